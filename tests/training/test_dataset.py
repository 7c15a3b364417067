import math
import tracemalloc

import numpy as np
import pytest

from forecastkit.data.windows import make_sequence_windows, make_windows
from forecastkit.exceptions import DataError, ParameterError
from forecastkit.models.builders import build_regressor
from forecastkit.training import dataset as dataset_module
from forecastkit.training.dataset import (
    MemberBatches,
    WindowDataset,
    make_training_data,
    member_order_seed,
    windows_nbytes,
)
from forecastkit.training.fit import train


def _series(n: int, n_features: int = 1, offset: float = 0.0) -> np.ndarray:
    """Column 0 is the step number (+ offset), so a window's first value names its start."""
    steps = np.arange(n, dtype=np.float32)[:, None] + offset
    return np.hstack([steps, -steps * 10][:n_features]).astype(np.float32)


def _epoch(ds: WindowDataset) -> tuple[np.ndarray, np.ndarray]:
    batches = [ds[i] for i in range(len(ds))]
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def test_batches_in_order_equal_make_windows_slices():
    values = _series(50, n_features=2)
    X, Y = make_windows(values, 7, 3, targets=[1])
    ds = WindowDataset(values, window=7, horizon=3, targets=[1], batch_size=8, shuffle=False)
    assert ds.n_samples == len(X) == 41
    assert len(ds) == math.ceil(41 / 8) == 6
    for i in range(len(ds)):
        xb, yb = ds[i]
        np.testing.assert_array_equal(xb, X[8 * i : 8 * i + 8])
        np.testing.assert_array_equal(yb, Y[8 * i : 8 * i + 8])
    assert ds[5][0].shape == (1, 7, 2) and ds[5][1].shape == (1, 3, 1)  # last, partial batch
    assert ds[-1][0].shape == (1, 7, 2)
    with pytest.raises(IndexError):
        ds[6]


def test_shuffled_epoch_visits_every_sample_once_and_changes_order():
    values = _series(300)
    X, Y = make_windows(values, 5, 2)
    ds = WindowDataset(values, window=5, horizon=2, batch_size=32, seed=3)
    xs, ys = _epoch(ds)
    starts = xs[:, 0, 0].astype(int)
    np.testing.assert_array_equal(np.sort(starts), np.arange(len(X)))
    np.testing.assert_array_equal(xs, X[starts])  # each sample is its make_windows slice
    np.testing.assert_array_equal(ys, Y[starts])
    assert not np.array_equal(starts, np.arange(len(X)))  # shuffled
    ds.on_epoch_end()
    nxt = _epoch(ds)[0][:, 0, 0].astype(int)
    np.testing.assert_array_equal(np.sort(nxt), np.arange(len(X)))
    assert not np.array_equal(nxt, starts)  # a new order each epoch


def test_seeded_shuffle_is_reproducible():
    values = _series(200)

    def orders(seed):
        ds = WindowDataset(values, window=4, horizon=1, batch_size=16, seed=seed)
        first = _epoch(ds)[0][:, 0, 0]
        ds.on_epoch_end()
        return first, _epoch(ds)[0][:, 0, 0]

    a, b, c = orders(7), orders(7), orders(8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_several_arrays_with_starts():
    arrays = [_series(30, offset=0), _series(12, offset=1000), _series(40, offset=5000)]
    starts = [None, np.array([0, 5, 2]), range(10, 30, 4)]
    ds = WindowDataset(arrays, window=4, horizon=2, starts=starts, batch_size=5, seed=1)
    expected = {(0, s) for s in range(30 - 4 - 2 + 1)}
    expected |= {(1, s) for s in (0, 5, 2)} | {(2, s) for s in range(10, 30, 4)}
    assert ds.n_samples == len(expected) and len(ds) == math.ceil(len(expected) / 5)
    xs, ys = _epoch(ds)
    seen = []
    for x, y in zip(xs, ys, strict=True):
        a = {0: 0, 1: 1, 5: 2}[int(x[0, 0]) // 1000]
        s = int(x[0, 0]) - (0, 1000, 5000)[a]
        X, Y = make_windows(arrays[a], 4, 2)
        np.testing.assert_array_equal(x, X[s])
        np.testing.assert_array_equal(y, Y[s])
        seen.append((a, s))
    assert sorted(seen) == sorted(expected)  # every sample of every array exactly once
    assert len({a for a, _ in seen[:10]}) > 1  # shuffled across arrays, not array by array


def test_dataset_holds_views_and_batches_cost_only_the_batch():
    values = _series(1_000_000)  # materialised windows: 1e6 x 256 x 4 bytes = 1 GB
    assert windows_nbytes(len(values) - 256, 256, 1) > 10**9
    tracemalloc.start()
    try:
        ds = WindowDataset(values, window=256, horizon=1, batch_size=512, seed=0)
        built = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        X, _ = ds[100]
        batch = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert built < 1_000_000  # no copy of the series, no list of starts
    assert batch < 3 * X.nbytes + 2_000_000  # the batch itself (512 x 256 x 4 = 0.5 MB) + ids
    assert ds.n_samples == len(values) - 256


def test_invalid_inputs_raise_clear_errors():
    with pytest.raises(DataError, match="starts\\[0\\]"):
        WindowDataset(_series(10), window=3, horizon=1, starts=[np.array([7])])
    with pytest.raises(ParameterError, match="one entry per array"):
        WindowDataset([_series(10)], window=3, horizon=1, starts=[None, None])
    with pytest.raises(DataError, match="same number of features"):
        WindowDataset([_series(10), _series(10, n_features=2)], window=3, horizon=1)
    with pytest.raises(DataError, match="No training samples"):
        WindowDataset(_series(3), window=3, horizon=1)


def test_make_training_data_switches_to_streaming_above_the_threshold(monkeypatch):
    parts = [_series(40), _series(25, offset=100), _series(3)]  # the last has no window
    (X, Y), val = make_training_data(parts, parts[:1], window=5, horizon=2, batch_size=8)
    expected = [make_windows(p, 5, 2) for p in parts]
    np.testing.assert_array_equal(X, np.concatenate([e[0] for e in expected]))
    np.testing.assert_array_equal(Y, np.concatenate([e[1] for e in expected]))
    np.testing.assert_array_equal(val[0], expected[0][0])
    assert make_training_data(parts, [_series(3)], window=5, horizon=2, batch_size=8)[1] is None

    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    (ds, none), val = make_training_data(parts, parts[:1], window=5, horizon=2, batch_size=8)
    assert isinstance(ds, WindowDataset) and none is None and ds.shuffle
    assert ds.n_samples == len(X) and isinstance(val, WindowDataset) and not val.shuffle
    np.testing.assert_array_equal(_epoch(val)[0], expected[0][0])


@pytest.mark.parametrize("stream", [False, True])
def test_ensemble_members_get_their_own_order_of_the_same_samples(monkeypatch, stream):
    """members=k: each member shuffles every sample once per epoch in its own order."""
    parts = [_series(40), _series(25, offset=100)]
    X, Y = make_training_data(parts, None, window=5, horizon=2, batch_size=8)[0]
    if stream:
        monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    (ds, none), val = make_training_data(
        parts, parts[:1], window=5, horizon=2, batch_size=8, seed=3, members=3
    )
    assert isinstance(ds, MemberBatches) and none is None and len(ds) == math.ceil(len(X) / 8)
    assert ds.seed == 3 and ds.n_samples == len(X)
    epochs = []
    for _ in range(2):
        batches = [ds[i] for i in range(len(ds))]
        inputs = [np.concatenate([b[0][k] for b in batches]) for k in range(3)]
        targets = np.concatenate([b[1] for b in batches])  # (n, 2, 3): members side by side
        for k in range(3):
            order = np.argsort(inputs[k][:, 0, 0])  # column 0 names the window's start
            np.testing.assert_array_equal(inputs[k][order], X)  # every sample once
            np.testing.assert_array_equal(targets[order, :, k : k + 1], Y)  # paired targets
        assert not np.array_equal(inputs[0], inputs[1])
        assert not np.array_equal(inputs[1], inputs[2])
        epochs.append(inputs[0])
        ds.on_epoch_end()
    assert ds.epoch == 2 and not np.array_equal(epochs[0], epochs[1])
    ds.epoch = 0  # what resuming does: the same orders again
    np.testing.assert_array_equal(ds[0][0][1], batches_of(parts, seed=3)[0][0][1])
    ds.seed = 4
    assert [d.seed for d in ds.datasets] == [member_order_seed(4, k) for k in range(3)]
    Xv, Yv = make_windows(parts[0], 5, 2)
    v_inputs, v_targets = val[0]
    for k in range(3):  # validation: the same batches, in order, for every member
        np.testing.assert_array_equal(v_inputs[k], Xv[:8])
        np.testing.assert_array_equal(v_targets[..., k : k + 1], Yv[:8])
    with pytest.raises(ParameterError, match="members"):
        make_training_data(parts, None, window=5, horizon=2, batch_size=8, members=0)


def batches_of(parts, seed):
    (ds, _), _ = make_training_data(
        parts, None, window=5, horizon=2, batch_size=8, seed=seed, members=3
    )
    return ds


def _prepared(lag: int):
    """A row-wise ``prepare`` of two columns: log-difference column 0, scale column 1."""
    from functools import partial

    from forecastkit.data.scaling import SeriesScaler, transform_and_scale
    from forecastkit.data.transforms import TargetTransform

    transform = TargetTransform(log=(True,), diff=lag)
    rng = np.random.default_rng(0)
    values = np.exp(np.cumsum(rng.normal(0, 0.05, (300, 2)), axis=0)) + 1.0
    scaler = SeriesScaler(targets=[0], n_features=2)
    scaler.fit(transform_and_scale(values[:200], transform, [0]))
    return values, partial(transform_and_scale, transform=transform, targets=[0], scaler=scaler)


@pytest.mark.parametrize("lag", [0, 1])
def test_prepared_batches_equal_the_windows_of_the_prepared_series(lag):
    """Preparing a batch of raw blocks gives exactly the windows of the prepared series."""
    values, prepare = _prepared(lag)
    parts = [values[:180], values[150:]]  # two arrays (float64, kept as they are)
    expected = [make_windows(prepare(p), 7, 3, targets=[0]) for p in parts]
    X = np.concatenate([e[0] for e in expected])
    Y = np.concatenate([e[1] for e in expected])
    ds = WindowDataset(
        parts, window=7, horizon=3, targets=[0], batch_size=64, seed=2, prepare=prepare, lag=lag
    )
    assert ds.n_samples == len(X)
    for i in range(len(ds)):
        xb, yb = ds[i]
        ids = ds.sample_ids(64 * i, min(64 * i + 64, ds.n_samples))
        assert xb.dtype == yb.dtype == np.float32 and xb.flags.c_contiguous
        np.testing.assert_array_equal(xb, X[ids])  # bit for bit: preparing is row by row
        np.testing.assert_array_equal(yb, Y[ids])


def test_make_training_data_prepares_parts_whole_or_per_batch(monkeypatch):
    values, prepare = _prepared(1)
    train_part, val_part = values[:201], values[190:]
    expected = make_training_data(
        prepare(train_part), prepare(val_part), window=5, horizon=1, batch_size=32
    )
    options = {"window": 5, "horizon": 1, "batch_size": 32, "prepare": prepare, "lag": 1}
    (X, Y), (Xv, Yv) = make_training_data(train_part, val_part, **options)
    np.testing.assert_array_equal(X, expected[0][0])
    np.testing.assert_array_equal(Y, expected[0][1])
    np.testing.assert_array_equal(Yv, expected[1][1])
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    (ds, _), val = make_training_data(train_part, val_part, **options)
    assert ds.n_samples == len(X) and ds.lag == 1 and val.n_samples == len(Xv)
    np.testing.assert_array_equal(_epoch(val)[0], Xv)
    with pytest.raises(ParameterError, match="pass `prepare` too"):
        make_training_data(train_part, None, window=5, horizon=1, batch_size=8, lag=1)
    with pytest.raises(ParameterError, match="integer >= 0"):
        WindowDataset(train_part, window=5, horizon=1, prepare=prepare, lag=-1)


def test_train_on_a_dataset_matches_train_on_arrays():
    """Same batches in the same order (no shuffling) -> the same losses and weights."""
    values = np.sin(np.arange(120, dtype=np.float32) / 4)[:, None]
    X, Y = make_windows(values[:100], 6, 1)
    Xv, Yv = make_windows(values[94:], 6, 1)

    def fit(data, validation, **kw):
        model = build_regressor(window=6, n_features=1, horizon=1, n_targets=1, units=(3,))
        result = train(
            model, *data, validation=validation, epochs=3, batch_size=16, shuffle=False, **kw
        )
        return result, model

    arrays, m1 = fit((X, Y), (Xv, Yv))
    options = {"window": 6, "horizon": 1, "batch_size": 16, "shuffle": False}
    streamed, m2 = fit(
        (WindowDataset(values[:100], **options), None), WindowDataset(values[94:], **options)
    )
    np.testing.assert_allclose(streamed["loss"], arrays["loss"], rtol=1e-5)
    np.testing.assert_allclose(streamed["val_loss"], arrays["val_loss"], rtol=1e-5)
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    with pytest.raises(ParameterError, match="PyDataset"):
        train(m1, WindowDataset(values, **options), Y, validation=None, epochs=1, batch_size=4)


def test_each_training_epoch_of_fit_visits_every_sample_once():
    """Keras asks for batches and ends epochs; no batch may mix two epochs' orders."""
    requested = []

    class Recording(WindowDataset):
        def __getitem__(self, index):
            X, Y = super().__getitem__(index)
            requested.append((self.epoch, X[:, 0, 0].astype(int)))
            return X, Y

    values = _series(150)
    ds = Recording(values, window=5, horizon=1, batch_size=32, seed=0)
    model = build_regressor(window=5, n_features=1, horizon=1, n_targets=1, units=(2,))
    train(model, ds, validation=None, epochs=3, batch_size=32)
    by_epoch = {}
    for epoch, starts in requested:
        by_epoch.setdefault(epoch, []).append(starts)
    complete = [np.sort(np.concatenate(b)) for b in by_epoch.values() if len(b) == len(ds)]
    assert len(complete) == 3  # one full pass per training epoch (+ Keras's peek at 2 batches)
    for starts in complete:
        np.testing.assert_array_equal(starts, np.arange(ds.n_samples))
    orders = [np.concatenate(b) for b in by_epoch.values() if len(b) == len(ds)]
    assert not np.array_equal(orders[0], orders[1])  # a new order each epoch


@pytest.mark.parametrize("lag", [0, 1])
def test_sequence_samples_in_memory_streamed_and_prepared_agree(monkeypatch, lag):
    """Sequence targets (strategy="seq2seq") come out the same in every path."""
    values, prepare = _prepared(lag)
    parts = [values[:180], values[150:]]
    expected = [make_sequence_windows(prepare(p), 7, targets=[0]) for p in parts]
    X = np.concatenate([e[0] for e in expected])
    Y = np.concatenate([e[1] for e in expected])
    options = {"window": 7, "horizon": 1, "targets": [0], "batch_size": 64, "sequences": True}
    (Xm, Ym), _ = make_training_data(parts, None, prepare=prepare, lag=lag, **options)
    np.testing.assert_array_equal(Xm, X)
    np.testing.assert_array_equal(Ym, Y)
    assert Ym.shape[1:] == (7, 1)
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    for kwargs in ({"prepare": prepare, "lag": lag}, {}):  # raw blocks prepared, or prepared
        data = parts if kwargs else [prepare(p) for p in parts]
        (ds, _), _ = make_training_data(data, None, seed=3, **options, **kwargs)
        assert isinstance(ds, WindowDataset) and ds.n_samples == len(X)
        for i in range(len(ds)):
            xb, yb = ds[i]
            ids = ds.sample_ids(64 * i, min(64 * i + 64, ds.n_samples))
            np.testing.assert_array_equal(xb, X[ids])
            np.testing.assert_array_equal(yb, Y[ids])


def test_sequence_samples_need_horizon_one():
    with pytest.raises(ParameterError, match="horizon must be 1"):
        make_training_data(_series(50), None, window=5, horizon=2, batch_size=8, sequences=True)
    with pytest.raises(ParameterError, match="horizon must be 1"):
        WindowDataset(_series(50), window=5, horizon=3, sequences=True)
