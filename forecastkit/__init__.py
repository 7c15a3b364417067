"""forecastkit: forecast pandas time series with recurrent networks (Keras 3).

``import forecastkit`` is light: TensorFlow is imported only when a model is built,
trained or loaded.
"""

__version__ = "0.1.0"

from forecastkit import datasets, metrics, plotting
from forecastkit.backtest import BacktestResult, backtest
from forecastkit.data.splits import make_splits
from forecastkit.estimators.classifier import SequenceClassifier
from forecastkit.estimators.forecaster import Forecaster
from forecastkit.estimators.local import LocalForecasters
from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.estimators.sequence_regressor import SequenceRegressor
from forecastkit.estimators.window_regressor import WindowRegressor, WindowTransformer

__all__ = [
    "BacktestResult",
    "Forecaster",
    "LocalForecasters",
    "NaiveForecaster",
    "SequenceClassifier",
    "SequenceRegressor",
    "WindowRegressor",
    "WindowTransformer",
    "__version__",
    "backtest",
    "datasets",
    "make_splits",
    "metrics",
    "plotting",
]
