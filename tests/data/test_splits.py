import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from forecastkit.data import (
    Part,
    SeriesScaler,
    Splits,
    SplitSizes,
    TimeAxis,
    make_splits,
    part_windows,
    split_sizes,
)
from forecastkit.exceptions import ConstantSeriesWarning, DataError, ParameterError

IDENTITY = FunctionTransformer()  # keeps values = positions, so positions can be read back

# ------------------------------------------------------------------ split_sizes


def test_sizes_from_fractions_counts_and_labels():
    assert split_sizes(100, window=5, horizon=1, val_size=0.2, test_size=0.1) == SplitSizes(
        70, 20, 10
    )
    assert split_sizes(101, window=5, horizon=1, val_size=0.2) == SplitSizes(80, 21, 0)  # ceil
    assert split_sizes(100, window=5, horizon=1, val_size=15, test_size=np.int64(5)) == (
        SplitSizes(80, 15, 5)
    )
    axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=48, freq="MS"))
    sizes = split_sizes(
        48,
        window=12,
        horizon=1,
        val_size="2022-01-01",
        test_size=pd.Timestamp("2023-01-01"),
        axis=axis,
    )
    assert sizes == SplitSizes(24, 12, 12)
    period_axis = TimeAxis.from_index(pd.period_range("2020-01", periods=48, freq="M"))
    assert split_sizes(
        48, window=12, horizon=1, test_size=pd.Period("2023-07", freq="M"), axis=period_axis
    ) == SplitSizes(42, 0, 6)
    range_axis = TimeAxis.from_index(pd.RangeIndex(100, 200))
    assert split_sizes(100, window=5, horizon=1, test_size="180", axis=range_axis).n_test == 20


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"val_size": True}, r"`val_size` must be a fraction.*got val_size=True"),
        ({"test_size": -1}, "got test_size=-1"),
        ({"test_size": -0.1}, "got test_size=-0.1"),
        ({"val_size": 1.0}, "got val_size=1.0"),
        ({"val_size": 100}, r"number of time steps in \[0, 100\)"),
        ({"val_size": float("nan")}, "got val_size=nan"),
        ({"val_size": [10]}, r"got val_size=\[10\]"),
        ({"val_size": 50, "test_size": 50}, r"`val_size` and `test_size` take 50 \+ 50"),
        ({"test_size": "2020-05-01"}, r"`test_size` is a label.*axis="),
    ],
)
def test_size_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        split_sizes(100, window=5, horizon=1, **kwargs)


def test_label_errors():
    axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=48, freq="MS"))
    with pytest.raises(ParameterError, match="`val_size` '2023-06-01' is at position 41"):
        split_sizes(48, window=2, horizon=1, val_size="2023-06-01", test_size=12, axis=axis)
    with pytest.raises(ParameterError, match="`test_size`"):
        split_sizes(48, window=2, horizon=1, test_size="2030-01-01", axis=axis)
    with pytest.raises(DataError, match="not on the grid"):
        split_sizes(48, window=2, horizon=1, test_size="2022-01-15", axis=axis)


def test_too_short_states_minimum_and_actual_length():
    with pytest.raises(
        DataError,
        match=r"too short.*window=24 and horizon=3.*at least 24 \+ 3 \+ 8 \+ 10 = 45.*got 40",
    ):
        split_sizes(40, window=24, horizon=3, val_size=8, test_size=10)
    with pytest.raises(DataError, match=r"at least 5 \+ 4 \+ 4 \+ 0 = 13.*got 20"):
        split_sizes(20, window=5, horizon=4, val_size=2)  # a val part shorter than horizon
    with pytest.raises(ParameterError, match="`n_steps`"):
        split_sizes(0, window=5, horizon=1)


# ------------------------------------------------------------------ make_splits


def test_airline_like_split(airline_like):
    splits = make_splits(airline_like, window=24, horizon=1, val_size=0.1, test_size=24)
    assert isinstance(splits, Splits)
    assert splits.sizes == SplitSizes(n_train=105, n_val=15, n_test=24)
    assert splits.train.X.shape == (81, 24, 1) and splits.train.y.shape == (81, 1, 1)
    assert splits.val.X.shape == (15, 24, 1) and splits.test.X.shape == (24, 24, 1)
    index = airline_like.index
    assert splits.train.index.equals(index[24:105])
    assert splits.val.index.equals(index[105:120])
    assert splits.test.index.equals(index[120:])
    assert (splits.test.start, splits.test.stop) == (120, 144)
    assert splits.values.dtype == np.float32 and splits.values.shape == (144, 1)
    assert splits.names == ("y",) and splits.targets == (0,)
    assert splits.axis.index().equals(index)
    assert np.shares_memory(splits.train.X, splits.values)


def test_scaler_is_fitted_on_training_rows_only(airline_like):
    splits = make_splits(airline_like, window=12, val_size=24, test_size=24)
    assert isinstance(splits.scaler, SeriesScaler)
    np.testing.assert_allclose(
        splits.scaler.target_.mean_[0], airline_like.iloc[:96].mean(), rtol=1e-6
    )
    unscaled = splits.scaler.inverse_transform_targets(splits.test.y)
    np.testing.assert_allclose(unscaled[:, 0, 0], airline_like.iloc[120:].to_numpy(), rtol=1e-5)


def test_custom_scaler_and_multivariate_targets(rng):
    index = pd.date_range("2024-01-01", periods=60, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame(rng.normal(size=(60, 3)), index=index, columns=["a", "b", "c"])
    splits = make_splits(
        frame,
        window=6,
        horizon=3,
        val_size=12,
        test_size=12,
        target=["c", "a"],
        scaler=MinMaxScaler(),
    )
    assert splits.targets == (2, 0) and splits.names == ("a", "b", "c")
    assert splits.train.X.shape == (36 - 6 - 3 + 1, 6, 3)
    assert splits.train.y.shape == (28, 3, 2) and splits.val.y.shape == (10, 3, 2)
    assert splits.values[:36].min() >= 0.0 and splits.values[:36].max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(splits.test.y[0], splits.values[48:51][:, [2, 0]])


def test_empty_parts_have_the_right_shapes():
    splits = make_splits(np.arange(30.0), window=4, horizon=2, val_size=0)
    for part in (splits.val, splits.test):
        assert part.X.shape == (0, 4, 1) and part.y.shape == (0, 2, 1)
        assert len(part.index) == 0
    assert splits.train.X.shape == (25, 4, 1)


def test_splits_on_every_index_kind(index_factory):
    index = index_factory(60)
    y = pd.Series(np.sin(np.arange(60) / 3), index=index)
    # an int is always a number of steps, so a range axis takes integer labels as strings
    test_start = str(index[50]) if isinstance(index, pd.RangeIndex) else index[50]
    splits = make_splits(y, window=5, val_size=0.2, test_size=test_start)
    assert splits.sizes == SplitSizes(38, 12, 10)
    assert splits.test.index.equals(index[50:])
    assert splits.val.index.equals(index[38:50])
    assert splits.train.index.equals(index[5:38])


def test_constant_series_warns_and_stays_finite():
    with pytest.warns(ConstantSeriesWarning, match="constant"):
        splits = make_splits(np.full(40, 3.0), window=5, val_size=5)
    assert np.isfinite(splits.values).all()
    assert np.isfinite(splits.train.X).all() and np.isfinite(splits.train.y).all()


def test_parameter_errors_come_first():
    with pytest.raises(ParameterError, match="got window=0"):
        make_splits(np.array([1.0, np.nan]), window=0)
    with pytest.raises(DataError, match="NaN"):
        make_splits(np.array([1.0, np.nan]), window=1)


def test_part_windows_reaches_back_for_inputs():
    values = np.arange(20.0)[:, None]
    axis = TimeAxis.from_index(pd.RangeIndex(100, 120))
    part = part_windows(values, start=10, stop=15, window=4, horizon=2, targets=[0], axis=axis)
    assert isinstance(part, Part)
    assert list(part.index) == [110, 111, 112, 113]
    np.testing.assert_array_equal(part.X[0, :, 0], [6, 7, 8, 9])
    np.testing.assert_array_equal(part.y[-1, :, 0], [13, 14])
    with pytest.raises(ParameterError, match=r"0 <= start <= stop <= n_steps=20.*start=15"):
        part_windows(values, start=15, stop=10, window=4, horizon=2, targets=None, axis=axis)


# ------------------------------------------------------------------ properties


@st.composite
def split_case(draw):
    window = draw(st.integers(1, 8))
    horizon = draw(st.integers(1, 4))
    n_val = draw(st.sampled_from([0, horizon]) | st.integers(horizon, 15))
    n_test = draw(st.sampled_from([0, horizon]) | st.integers(horizon, 15))
    n_steps = window + horizon + n_val + n_test + draw(st.integers(0, 20))
    return n_steps, window, horizon, n_val, n_test


def _positions(part: Part) -> np.ndarray:
    """Target positions (n_samples, horizon) read back from identity-scaled values."""
    return part.y[:, :, 0].astype(np.int64)


@settings(deadline=None, max_examples=150)
@given(split_case())
def test_splits_are_disjoint_ordered_deterministic_and_cover(case):
    n_steps, window, horizon, n_val, n_test = case
    values = np.arange(n_steps, dtype=np.float64)
    splits = make_splits(values, window, horizon, val_size=n_val, test_size=n_test, scaler=IDENTITY)
    again = make_splits(values, window, horizon, val_size=n_val, test_size=n_test, scaler=IDENTITY)
    n_train = n_steps - n_val - n_test
    assert splits.sizes == SplitSizes(n_train, n_val, n_test)
    bounds = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n_steps)]
    seen = []
    for part, twin, (start, stop) in zip(
        (splits.train, splits.val, splits.test),
        (again.train, again.val, again.test),
        bounds,
        strict=True,
    ):
        assert (part.start, part.stop) == (start, stop)
        np.testing.assert_array_equal(part.X, twin.X)  # deterministic
        np.testing.assert_array_equal(part.y, twin.y)
        targets = _positions(part)
        # every target step lies inside the part's rows (no target in two parts)
        assert targets.size == 0 or (targets.min() >= start and targets.max() < stop)
        # the first targets are exactly the usable positions, each once, in order
        first = np.arange(max(start, window), stop - horizon + 1)
        np.testing.assert_array_equal(targets[:, 0], first)
        np.testing.assert_array_equal(np.asarray(part.index), first)
        # inputs are the window steps right before the first target (past values only)
        for i, position in enumerate(first):
            np.testing.assert_array_equal(part.X[i, :, 0], np.arange(position - window, position))
        assert part.X.shape == (len(first), window, 1)
        assert part.y.shape == (len(first), horizon, 1)
        seen.append(set(targets.ravel().tolist()))
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    if horizon == 1:
        usable = set(range(window, n_steps))
        assert seen[0] | seen[1] | seen[2] == usable


@settings(deadline=None, max_examples=60)
@given(
    case=split_case(),
    seed=st.integers(0, 2**16),
    new_value=st.floats(-1e3, 1e3, width=32),
    part_name=st.sampled_from(["val", "test"]),
)
def test_changing_val_or_test_values_does_not_leak_into_training(case, seed, new_value, part_name):
    n_steps, window, horizon, n_val, n_test = case
    n_rows = n_val if part_name == "val" else n_test
    if n_rows == 0:
        return
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n_steps, freq="D")
    frame = pd.DataFrame(rng.normal(size=(n_steps, 2)), index=index, columns=["y", "x"])
    n_train = n_steps - n_val - n_test
    row = n_train + int(rng.integers(n_rows)) + (n_val if part_name == "test" else 0)
    changed = frame.copy()
    changed.iloc[row, int(rng.integers(2))] = new_value
    kwargs = {"val_size": n_val, "test_size": n_test, "target": "y"}
    before = make_splits(frame, window, horizon, **kwargs)
    after = make_splits(changed, window, horizon, **kwargs)
    for name in ("target_", "features_"):
        fitted_before, fitted_after = getattr(before.scaler, name), getattr(after.scaler, name)
        for attribute in ("mean_", "scale_", "var_"):
            assert getattr(fitted_before, attribute).tobytes() == (
                getattr(fitted_after, attribute).tobytes()
            )
    assert before.train.X.tobytes() == after.train.X.tobytes()
    assert before.train.y.tobytes() == after.train.y.tobytes()
    assert before.train.index.equals(after.train.index)
    if part_name == "test":
        assert before.val.y.tobytes() == after.val.y.tobytes()


# ------------------------------------------------------------------ calibration part
def test_calibration_part_sits_between_validation_and_test():
    sizes = split_sizes(144, window=24, horizon=1, val_size=0.1, test_size=24, calibration_size=30)
    assert sizes == SplitSizes(75, 15, 24, 30)
    assert sizes.n_train + sizes.n_val + sizes.n_calibration + sizes.n_test == 144
    assert split_sizes(100, window=5, horizon=1, val_size=10) == SplitSizes(90, 10, 0)
    assert split_sizes(100, window=5, horizon=1, val_size=10).n_calibration == 0
    assert "n_calibration" not in repr(SplitSizes(90, 10, 0))
    # a fraction; labels: calibration from its first label to the test part, val before it
    assert split_sizes(100, window=5, horizon=1, calibration_size=0.2).n_calibration == 20
    axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=48, freq="MS"))
    sizes = split_sizes(
        48,
        window=2,
        horizon=1,
        val_size="2022-07-01",
        calibration_size="2023-01-01",
        test_size=6,
        axis=axis,
    )
    assert sizes == SplitSizes(30, 6, 6, 6)


def test_calibration_part_errors_name_it():
    with pytest.raises(ParameterError, match=r"`calibration_size` and `test_size` take 50 \+ 30"):
        split_sizes(100, window=5, horizon=1, val_size=50, calibration_size=30, test_size=20)
    with pytest.raises(ParameterError, match="got calibration_size=-1"):
        split_sizes(100, window=5, horizon=1, calibration_size=-1)
    with pytest.raises(
        DataError, match=r"4 calibration.*at least 5 \+ 2 \+ 2 \+ 4 \+ 2 = 15.*calibration_size"
    ):
        split_sizes(14, window=5, horizon=2, val_size=2, calibration_size=4, test_size=1)
