import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import forecastkit.datasets as datasets
from forecastkit.datasets import (
    load_airline,
    load_digit_rows,
    load_mnist_rows,
    make_sin_cos,
    make_sine,
)
from forecastkit.exceptions import DataError, ParameterError


def test_all_is_sorted_and_complete():
    public = {name for name in vars(datasets) if name.startswith(("load_", "make_"))}
    assert datasets.__all__ == sorted(datasets.__all__)
    assert set(datasets.__all__) == public


# ---------------------------------------------------------------- airline


def test_load_airline():
    y = load_airline()
    assert isinstance(y, pd.Series)
    assert y.name == "passengers"
    assert y.dtype == np.float64
    assert len(y) == 144
    assert isinstance(y.index, pd.DatetimeIndex)
    assert y.index.name == "month"
    assert y.index.freqstr == "MS"
    assert y.index[0] == pd.Timestamp("1949-01-01")
    assert y.index[-1] == pd.Timestamp("1960-12-01")
    assert y.index.equals(pd.date_range("1949-01-01", "1960-12-01", freq="MS"))
    assert not y.isna().any()
    # the classic values: first year and the last value
    assert y.iloc[:12].tolist() == [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118]
    assert y.iloc[-1] == 432.0


def test_load_airline_returns_a_fresh_copy():
    first = load_airline()
    first.iloc[0] = -1.0
    assert load_airline().iloc[0] == 112.0


# ---------------------------------------------------------------- sines


def test_make_sine_defaults():
    y = make_sine()
    t = np.linspace(0, 100, 2000)
    assert y.name == "sin"
    assert y.dtype == np.float64
    assert isinstance(y.index, pd.RangeIndex)
    assert y.index.equals(pd.RangeIndex(2000))
    np.testing.assert_allclose(y.to_numpy(), np.sin(t))


def test_make_sine_arguments():
    y = make_sine(n=11, stop=np.pi)
    assert len(y) == 11
    assert y.iloc[0] == 0.0
    assert y.iloc[5] == pytest.approx(1.0)
    assert y.iloc[-1] == pytest.approx(0.0, abs=1e-12)


def test_make_sin_cos():
    x, y = make_sin_cos(n=500, stop=50.0)
    t = np.linspace(0, 50, 500)
    assert (x.name, y.name) == ("sin", "cos")
    assert x.index.equals(pd.RangeIndex(500)) and y.index.equals(x.index)
    np.testing.assert_allclose(x.to_numpy(), np.sin(t))
    np.testing.assert_allclose(y.to_numpy(), np.cos(t))
    np.testing.assert_allclose(x.to_numpy(), make_sine(500, 50.0).to_numpy())


@pytest.mark.parametrize("func", [make_sine, make_sin_cos])
@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10"])
def test_bad_n_raises(func, n):
    with pytest.raises(ParameterError, match="`n` must be a positive integer"):
        func(n=n)


@pytest.mark.parametrize("func", [make_sine, make_sin_cos])
@pytest.mark.parametrize("stop", [np.inf, np.nan, "100"])
def test_bad_stop_raises(func, stop):
    with pytest.raises(ParameterError, match="`stop` must be a finite number"):
        func(stop=stop)


# ---------------------------------------------------------------- digits


def test_load_digit_rows():
    X, y = load_digit_rows()
    assert X.shape == (1797, 8, 8)
    assert X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.shape == (1797,)
    assert np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(10))
    from sklearn.datasets import load_digits

    digits = load_digits()
    np.testing.assert_allclose(X[0], digits.images[0] / 16, rtol=1e-6)
    # each image read row by row: time step r is row r
    np.testing.assert_allclose(X[5, 3], digits.data[5, 24:32] / 16, rtol=1e-6)


# ---------------------------------------------------------------- mnist


def _write_fake_mnist(path, n_train=5, n_test=3, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }
    arrays.update(overrides)
    arrays = {key: value for key, value in arrays.items() if value is not None}
    np.savez(path, **arrays)
    return arrays


def test_load_mnist_rows(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = _write_fake_mnist(path)
    X_train, y_train, X_test, y_test = load_mnist_rows(path)
    assert X_train.shape == (5, 28, 28) and X_test.shape == (3, 28, 28)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    np.testing.assert_allclose(X_train, arrays["x_train"] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(X_test, arrays["x_test"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert np.issubdtype(y_train.dtype, np.integer)


def test_load_mnist_rows_accepts_str_path(tmp_path):
    path = tmp_path / "mnist.npz"
    _write_fake_mnist(path)
    assert load_mnist_rows(str(path))[0].shape == (5, 28, 28)


def test_load_mnist_rows_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "mnist.npz"
    with pytest.raises(DataError) as info:
        load_mnist_rows(path)
    message = str(info.value)
    assert "mnist.npz" in message and str(path) in message
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert key in message
    assert "never downloads" in message


def test_load_mnist_rows_missing_keys(tmp_path):
    path = tmp_path / "mnist.npz"
    _write_fake_mnist(path, y_test=None)
    with pytest.raises(DataError, match=r"lacks \['y_test'\]"):
        load_mnist_rows(path)


def test_load_mnist_rows_not_an_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("not a zip file")
    with pytest.raises(DataError, match=r"must be an \.npz archive"):
        load_mnist_rows(path)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(DataError, match="single array"):
        load_mnist_rows(single)


def test_load_mnist_rows_bad_shapes(tmp_path):
    path = tmp_path / "mnist.npz"
    _write_fake_mnist(path, y_train=np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError, match="x_train of shape"):
        load_mnist_rows(path)


def test_import_is_light():
    code = (
        "import sys, forecastkit.datasets; "
        "bad = [m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
