import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecastkit.data import last_window, make_stream_batches, make_windows, stream_batches
from forecastkit.data.windows import make_sequence_windows
from forecastkit.exceptions import DataError, ParameterError


def _naive(values, window, horizon, targets):
    """Reference windows by plain Python slicing."""
    columns = list(range(values.shape[1])) if targets is None else list(targets)
    n_samples = max(len(values) - window - horizon + 1, 0)
    X = [values[i : i + window, :] for i in range(n_samples)]
    Y = [values[i + window : i + window + horizon][:, columns] for i in range(n_samples)]
    X = np.array(X).reshape(n_samples, window, values.shape[1])
    Y = np.array(Y).reshape(n_samples, horizon, len(columns))
    return X, Y


@st.composite
def windows_case(draw):
    n_steps = draw(st.integers(0, 40))
    n_features = draw(st.integers(1, 4))
    values = draw(
        hnp.arrays(np.float64, (n_steps, n_features), elements=st.floats(-100, 100, width=32))
    )
    window = draw(st.integers(1, 12))
    horizon = draw(st.integers(0, 6))
    targets = draw(
        st.none()
        | st.lists(st.integers(0, n_features - 1), min_size=1, max_size=n_features, unique=True)
    )
    return values, window, horizon, targets


@settings(deadline=None)
@given(windows_case())
def test_windows_equal_naive_slicing(case):
    values, window, horizon, targets = case
    X, Y = make_windows(values, window, horizon, targets=targets)
    X_ref, Y_ref = _naive(values, window, horizon, targets)
    assert X.shape == X_ref.shape and Y.shape == Y_ref.shape
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(Y, Y_ref)
    if len(X):
        assert np.shares_memory(X, values)
    assert not X.flags.writeable and not Y.flags.writeable


@settings(deadline=None)
@given(windows_case())
def test_last_window_is_the_last_row_of_make_windows(case):
    values, window, _, _ = case
    if len(values) < window:
        with pytest.raises(DataError):
            last_window(values, window)
        return
    last = last_window(values, window)
    X, _ = make_windows(values, window, horizon=0)
    assert last.shape == (1, window, values.shape[1])
    np.testing.assert_array_equal(last[0], X[-1])
    np.testing.assert_array_equal(last, X[-1:])


def test_shapes_and_example():
    values = np.arange(20.0).reshape(10, 2)
    X, Y = make_windows(values, 3, 2, targets=[1])
    assert X.shape == (6, 3, 2) and Y.shape == (6, 2, 1)
    np.testing.assert_array_equal(X[0], values[0:3])
    np.testing.assert_array_equal(Y[0, :, 0], values[3:5, 1])
    np.testing.assert_array_equal(Y[-1, :, 0], values[8:10, 1])


def test_horizon_zero_gives_every_window():
    values = np.arange(5.0)[:, None]
    X, Y = make_windows(values, 2, 0)
    assert X.shape == (4, 2, 1) and Y.shape == (4, 0, 1)
    np.testing.assert_array_equal(X[-1, :, 0], [3.0, 4.0])


@pytest.mark.parametrize(("n_steps", "window", "horizon"), [(0, 3, 1), (3, 3, 1), (2, 5, 0)])
def test_too_short_gives_zero_samples(n_steps, window, horizon):
    X, Y = make_windows(np.ones((n_steps, 2)), window, horizon, targets=[0])
    assert X.shape == (0, window, 2) and Y.shape == (0, horizon, 1)
    assert X.dtype == np.float64


def test_views_share_memory_and_are_read_only():
    values = np.arange(60.0, dtype=np.float32).reshape(20, 3)
    X, Y = make_windows(values, 4, 2)
    assert np.shares_memory(X, values) and np.shares_memory(Y, values)
    _, Y_run = make_windows(values, 4, 2, targets=[1, 2])  # contiguous run: still a view
    assert np.shares_memory(Y_run, values)
    _, Y_picked = make_windows(values, 4, 2, targets=[2, 0])  # one copy of the columns
    assert not np.shares_memory(Y_picked, values)
    np.testing.assert_array_equal(Y_picked[0], values[4:6][:, [2, 0]])
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0, 0] = 1.0
    assert not last_window(values, 4).flags.writeable


def test_ten_million_points_do_not_copy():
    values = np.zeros((10_000_000, 1), dtype=np.float32)
    tracemalloc.start()
    try:
        begin = time.perf_counter()
        X, Y = make_windows(values, 256, 1)
        elapsed = time.perf_counter() - begin
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert X.shape == (10_000_000 - 256, 256, 1)
    assert np.shares_memory(X, values) and np.shares_memory(Y, values)
    assert peak < 1_000_000  # bytes: no copy of the 40 MB series, let alone of the windows
    assert elapsed < 1.0


def test_errors():
    with pytest.raises(DataError, match=r"`values` must be 2-D.*got shape \(5,\).*np\.newaxis"):
        make_windows(np.ones(5), 2, 1)
    with pytest.raises(ParameterError, match="got window=0"):
        make_windows(np.ones((5, 1)), 0, 1)
    with pytest.raises(ParameterError, match="got horizon=-1"):
        make_windows(np.ones((5, 1)), 2, -1)
    with pytest.raises(ParameterError, match=r"`targets`.*range\(n_features=1\)"):
        make_windows(np.ones((5, 1)), 2, 1, targets=[1])
    with pytest.raises(ParameterError, match="`targets`"):
        make_windows(np.ones((5, 1)), 2, 1, targets=[])
    with pytest.raises(
        DataError, match=r"`values` has 3 time steps, fewer than window=4.*at least 4"
    ):
        last_window(np.ones((3, 1)), 4)


# ------------------------------------------------------------ stateful stream batches
@st.composite
def stream_case(draw):
    batch_size = draw(st.integers(1, 12))
    time_steps = draw(st.integers(1, 12))
    n_steps = draw(st.integers(batch_size * time_steps, 400))
    return n_steps, batch_size, time_steps


@settings(deadline=None, max_examples=200)
@given(stream_case())
def test_stream_batches_rows_continue_and_cover_each_point_once(case):
    n_steps, batch_size, time_steps = case
    idx = stream_batches(n_steps, batch_size, time_steps)
    n_batches = n_steps // (batch_size * time_steps)
    assert idx.shape == (n_batches, batch_size, time_steps)
    # Within a row: consecutive steps.
    np.testing.assert_array_equal(np.diff(idx, axis=2), 1)
    # Row j of batch k + 1 starts exactly where row j of batch k ended.
    np.testing.assert_array_equal(idx[1:, :, 0], idx[:-1, :, -1] + 1)
    # Every usable point exactly once: the first batch_size * n_batches * time_steps steps.
    n_used = batch_size * n_batches * time_steps
    np.testing.assert_array_equal(np.sort(idx, axis=None), np.arange(n_used))
    # What is dropped is the tail, shorter than one batch.
    assert 0 <= n_steps - n_used < batch_size * time_steps
    # The streams are contiguous, equally long, and in series order.
    streams = idx.transpose(1, 0, 2).reshape(batch_size, -1)
    np.testing.assert_array_equal(streams[:, 0], np.arange(batch_size) * n_batches * time_steps)


@settings(deadline=None, max_examples=50)
@given(stream_case(), st.integers(1, 3))
def test_make_stream_batches_is_a_view_matching_the_positions(case, n_features):
    n_steps, batch_size, time_steps = case
    values = np.arange(n_steps * n_features, dtype=np.float32).reshape(n_steps, n_features)
    batches = make_stream_batches(values, batch_size, time_steps)
    idx = stream_batches(n_steps, batch_size, time_steps)
    np.testing.assert_array_equal(batches, values[idx])
    assert np.shares_memory(batches, values) and not batches.flags.writeable
    # Also for a strided (non-contiguous) input: still a view, still right.
    wide = np.repeat(values, 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(make_stream_batches(wide, batch_size, time_steps), values[idx])


def test_stream_batches_too_short_and_bad_arguments():
    with pytest.raises(
        DataError, match=r"19 time steps, fewer than the batch_size=4 x time_steps=5 = 20"
    ):
        stream_batches(19, 4, 5)
    with pytest.raises(DataError, match="fewer than the batch_size=2"):
        make_stream_batches(np.ones((3, 1)), 2, 2)
    with pytest.raises(ParameterError, match="batch_size=0"):
        stream_batches(10, 0, 2)
    with pytest.raises(ParameterError, match="time_steps"):
        stream_batches(10, 2, 2.0)
    with pytest.raises(DataError, match="must be 2-D"):
        make_stream_batches(np.ones(10), 2, 2)
    assert stream_batches(20, 4, 5).shape == (1, 4, 5)


@pytest.mark.parametrize("targets", [None, [1], [2, 0]])
def test_sequence_windows_target_the_next_step_at_every_position(targets):
    values = np.arange(30.0).reshape(10, 3)
    X, Y = make_sequence_windows(values, 4, targets=targets)
    columns = [0, 1, 2] if targets is None else targets
    assert X.shape == (6, 4, 3) and Y.shape == (6, 4, len(columns))
    for i in range(6):
        np.testing.assert_array_equal(X[i], values[i : i + 4])
        np.testing.assert_array_equal(Y[i], values[i + 1 : i + 5][:, columns])
    # the samples of horizon 1, whose target is the last position's
    X1, Y1 = make_windows(values, 4, 1, targets=targets)
    np.testing.assert_array_equal(X, X1)
    np.testing.assert_array_equal(Y[:, -1:], Y1)
    assert np.shares_memory(X, values) and not X.flags.writeable
    if targets != [2, 0]:  # a contiguous run of columns: a view, no copy
        assert np.shares_memory(Y, values)


def test_sequence_windows_of_a_short_series_are_empty():
    X, Y = make_sequence_windows(np.zeros((3, 2)), 3, targets=[0])
    assert X.shape == (0, 3, 2) and Y.shape == (0, 3, 1)
    with pytest.raises(DataError, match="2-D"):
        make_sequence_windows(np.zeros(5), 2)
