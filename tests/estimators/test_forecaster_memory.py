"""Forecaster.fit's low-memory path (bench/memory.py): no aliasing, no kept datasets."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.training import dataset as dataset_module


def _fit(y, **kw):
    params = {"window": 8, "units": (4,), "epochs": 2, "random_state": 0, "verbose": 0}
    params["n_models"] = 1  # one network: memory is under test, not ensembles
    return Forecaster(**{**params, **kw}).fit(y)


@pytest.fixture
def raw() -> np.ndarray:
    t = np.arange(120)
    return (10 + np.sin(2 * np.pi * t / 12) + 0.02 * t).astype(np.float32)


@pytest.mark.parametrize("wrap", [lambda a: a, lambda a: pd.Series(a, name="y", copy=False)])
def test_fit_reads_the_callers_float32_data_but_keeps_its_own_copy(raw, wrap):
    reference = _fit(raw.astype(np.float64))  # converted at the door: owned from the start
    f = _fit(wrap(raw))
    assert not np.shares_memory(f.values_, raw) and f.values_.flags.writeable
    expected = reference.forecast(6)
    raw[-20:] = 1e4  # the caller changes its data after fit: nothing of the model moves
    pd.testing.assert_series_equal(f.forecast(6), expected)


def test_streamed_datasets_are_released_after_training(raw, monkeypatch):
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)  # force the streamed path
    released, original = [], dataset_module.WindowDataset.release

    def recording_release(self):
        released.append(self.shuffle)
        original(self)

    monkeypatch.setattr(dataset_module.WindowDataset, "release", recording_release)
    f = _fit(raw)
    assert sorted(released) == [False, True]  # validation and training datasets
    assert len(f.forecast(3)) == 3


def test_in_memory_ensemble_batches_are_released_after_training(raw):
    """An ensemble trains from ArrayBatches (one order per member); TensorFlow keeps
    datasets alive after fit, so each is released: no copy of the windows outlives the fit."""
    import gc
    import weakref

    made = []
    original = dataset_module.ArrayBatches.__init__

    def recording_init(self, X, Y, **kw):
        original(self, X, Y, **kw)
        made.append((weakref.ref(self), weakref.ref(X)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset_module.ArrayBatches, "__init__", recording_init)
        f = _fit(raw, n_models=2)
    gc.collect()
    assert len(made) == 3  # two members' orders and the validation batches
    for dataset, _ in made:  # the datasets may live on in TensorFlow, their windows not
        assert dataset() is None or len(dataset().X) == 0
    assert all(windows() is None for _, windows in made)
    assert len(f.forecast(3)) == 3
