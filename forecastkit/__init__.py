"""forecastkit: forecast pandas time series with recurrent networks (Keras 3)."""

__version__ = "0.1.0"
