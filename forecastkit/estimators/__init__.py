"""Estimators: where pandas and Keras meet (scikit-learn conventions)."""
