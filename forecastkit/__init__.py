"""forecastkit: forecast pandas time series with recurrent networks (Keras 3).

``import forecastkit`` is light: TensorFlow is imported only when a model is built,
trained or loaded.
"""

from forecastkit import datasets, metrics
from forecastkit.data.splits import make_splits
from forecastkit.estimators.forecaster import Forecaster

__version__ = "0.1.0"

__all__ = ["Forecaster", "__version__", "datasets", "make_splits", "metrics"]
