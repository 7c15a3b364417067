"""Forecaster on the streamed-window path (forced with a tiny threshold)."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.training import dataset as dataset_module
from forecastkit.training import fit as fit_module


@pytest.fixture
def series() -> pd.Series:
    t = np.arange(160)
    values = 10 + np.sin(2 * np.pi * t / 12) + 0.01 * t
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=160, freq="MS"), name="y")


@pytest.fixture
def spy(monkeypatch) -> list:
    """Record the type of the training data every ``train`` call receives."""
    seen, original = [], fit_module.train

    def recording_train(model, X, Y=None, **kwargs):
        seen.append((type(X).__name__, type(kwargs["validation"]).__name__))
        return original(model, X, Y, **kwargs)

    monkeypatch.setattr(fit_module, "train", recording_train)
    return seen


def _fit(series, **kw):
    params = {"window": 12, "units": (4,), "epochs": 3, "random_state": 0, "verbose": 0}
    params["n_models"] = 1  # one network: streaming is under test, not ensembles
    return Forecaster(**{**params, **kw}).fit(series)


def test_streamed_path_gives_the_in_memory_results_when_order_does_not_matter(
    series, spy, monkeypatch
):
    # One batch per epoch (batch_size > samples): shuffling only reorders a sum, so both
    # paths must train the same network on the same windows and validation windows.
    in_memory = _fit(series, batch_size=512)
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    streamed = _fit(series, batch_size=512)
    assert spy == [("ndarray", "tuple"), ("WindowDataset", "WindowDataset")]
    np.testing.assert_allclose(streamed.history_["loss"], in_memory.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(
        streamed.history_["val_loss"], in_memory.history_["val_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(streamed.forecast(6), in_memory.forecast(6), rtol=1e-5)


def test_streamed_path_scales_batches_from_the_raw_series(series, spy, monkeypatch):
    """No scaled copy when streaming: batches are transformed and scaled as they are cut,
    and give what the in-memory path (scaled whole first) gives."""
    from forecastkit.estimators import _state as forecaster_module  # where fit prepares rows

    scaled_rows, original = [], forecaster_module.transform_and_scale

    def recording(values, *args, **kwargs):
        scaled_rows.append(len(values))
        return original(values, *args, **kwargs)

    monkeypatch.setattr(forecaster_module, "transform_and_scale", recording)
    transform = "log-diff"  # the lag of differencing; the test above covers no transform
    in_memory = _fit(series, batch_size=512, target_transform=transform)
    whole = list(scaled_rows)
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    scaled_rows.clear()
    streamed = _fit(series, batch_size=512, target_transform=transform)
    assert spy == [("ndarray", "tuple"), ("WindowDataset", "WindowDataset")]
    assert max(whole) > 100  # the in-memory path prepared the training part whole
    block = 12 + 1 + 1  # window + horizon + lag rows per sample
    assert len(scaled_rows) >= 2 * 3  # a training and a validation batch in each of 3 epochs
    assert all(rows % block == 0 for rows in scaled_rows)  # whole samples, never the series
    np.testing.assert_allclose(streamed.history_["loss"], in_memory.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(streamed.forecast(6), in_memory.forecast(6), rtol=1e-5)


def test_streamed_fit_is_reproducible_and_forecasts(series, spy, monkeypatch, tmp_path):
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    a = _fit(series, batch_size=16, strategy="direct", horizon=3)
    b = _fit(series, batch_size=16, strategy="direct", horizon=3)
    assert [s[0] for s in spy] == ["WindowDataset", "WindowDataset"]
    pd.testing.assert_frame_equal(a.history_, b.history_)
    pd.testing.assert_series_equal(a.forecast(3), b.forecast(3))
    assert a.forecast(3).index[0] == pd.Timestamp("2013-05-01")
    path = tmp_path / "streamed.keras"
    a.save(path)
    pd.testing.assert_series_equal(Forecaster.load(path).forecast(3), a.forecast(3))
