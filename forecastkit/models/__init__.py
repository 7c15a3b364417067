"""Keras model builders: stacked recurrent networks (no pandas)."""
