"""Every example in the data layer's docstrings runs and prints what it shows."""

import doctest
import importlib

import pytest

MODULES = [
    "forecastkit.exceptions",
    "forecastkit.data",
    "forecastkit.data.validation",
    "forecastkit.data.time_axis",
    "forecastkit.data.scaling",
    "forecastkit.data.windows",
    "forecastkit.data.splits",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_names_have_examples():
    import forecastkit.data as data

    for name in data.__all__:
        obj = getattr(data, name)
        assert obj.__doc__ and "Examples" in obj.__doc__, name


def test_public_surface():
    import forecastkit.data as data

    assert data.__all__ == sorted(data.__all__)
    assert set(data.__all__) == {
        "check_series",
        "check_window",
        "check_horizon",
        "CheckedSeries",
        "TimeAxis",
        "SeriesScaler",
        "make_windows",
        "last_window",
        "make_stream_batches",
        "stream_batches",
        "split_sizes",
        "SplitSizes",
        "part_windows",
        "Part",
        "Splits",
        "make_splits",
    }


def test_data_layer_imports_no_keras():
    import subprocess
    import sys

    code = (
        "import sys, forecastkit.data; "
        "bad = [m for m in ('keras', 'tensorflow') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
