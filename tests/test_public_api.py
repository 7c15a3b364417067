import subprocess
import sys
import types

import forecastkit

PUBLIC_CLASSES_AND_FUNCTIONS = {
    "BacktestResult",
    "Forecaster",
    "LocalForecasters",
    "NaiveForecaster",
    "SequenceClassifier",
    "SequenceRegressor",
    "WindowRegressor",
    "WindowTransformer",
    "backtest",
    "make_splits",
}
PUBLIC_MODULES = {"datasets", "metrics", "plotting"}


def test_all_equals_the_public_names():
    assert forecastkit.__all__ == sorted(forecastkit.__all__)
    assert set(forecastkit.__all__) == PUBLIC_CLASSES_AND_FUNCTIONS | PUBLIC_MODULES | {
        "__version__"
    }
    exposed = {
        name
        for name, value in vars(forecastkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert exposed == PUBLIC_CLASSES_AND_FUNCTIONS


def test_import_does_not_import_tensorflow():
    code = "import sys, forecastkit; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
