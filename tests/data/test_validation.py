import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastkit.data import CheckedSeries, TimeAxis, check_horizon, check_series, check_window
from forecastkit.exceptions import ConstantSeriesWarning, DataError, ParameterError

# ------------------------------------------------------------------ window and horizon


@pytest.mark.parametrize("value", [1, 24, np.int64(3), np.int32(7), np.uint8(2)])
def test_check_window_accepts_positive_integers(value):
    assert check_window(value) == int(value)
    assert type(check_window(value)) is int


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0, r"`window` must be an integer >= 1; got window=0"),
        (-3, "got window=-3"),
        (True, r"got window=True \(bool\)"),
        (np.bool_(True), r"\(bool"),
        (3.0, r"got window=3.0 \(float\)\. Pass an int, e.g\. window=3"),
        (np.float64(3.0), "window=3"),
        (2.5, "got window=2.5"),
        ("3", "got window='3'"),
        (None, "got window=None"),
    ],
)
def test_check_window_rejects(value, match):
    with pytest.raises(ParameterError, match=match):
        check_window(value)


def test_check_window_names_the_argument():
    with pytest.raises(ParameterError, match="`time_steps` must be an integer >= 1"):
        check_window(0, name="time_steps")


def test_check_horizon():
    assert check_horizon(12) == 12
    assert check_horizon(0, allow_zero=True) == 0
    with pytest.raises(ParameterError, match=r"`horizon` must be an integer >= 1; got horizon=0"):
        check_horizon(0)
    with pytest.raises(ParameterError, match=r"`horizon` must be an integer >= 0; got horizon=-1"):
        check_horizon(-1, allow_zero=True)
    with pytest.raises(ParameterError, match=r"`steps`.*got steps=1.0"):
        check_horizon(1.0, name="steps")
    with pytest.raises(ParameterError, match="bool"):
        check_horizon(False, allow_zero=True)


# ------------------------------------------------------------------ accepted inputs


def _assert_clean(checked: CheckedSeries, shape):
    assert isinstance(checked, CheckedSeries)
    assert checked.values.dtype == np.float32
    assert checked.values.flags.c_contiguous
    assert checked.values.shape == shape
    assert len(checked.names) == shape[1]
    assert checked.axis.n_steps == shape[0]


def test_series(index_factory):
    index = index_factory(12)
    y = pd.Series(np.arange(12.0), index=index, name="sales")
    checked = check_series(y)
    _assert_clean(checked, (12, 1))
    assert checked.names == ("sales",) and checked.targets == (0,)
    assert checked.axis.index().equals(index)
    np.testing.assert_array_equal(checked.values[:, 0], np.arange(12))


def test_unnamed_series_is_called_y_and_default_index_is_a_range():
    checked = check_series(pd.Series([1.0, 2.0, 3.0]))
    assert checked.names == ("y",)
    assert checked.axis == TimeAxis.from_length(3)


def test_frame_keeps_column_order_and_resolves_targets():
    index = pd.date_range("2024-01-01", periods=5, freq="D")
    frame = pd.DataFrame(
        {"temp": np.arange(5.0), "load": np.arange(5.0) ** 2, 7: np.arange(5) % 3}, index=index
    )
    checked = check_series(frame, target="load")
    _assert_clean(checked, (5, 3))
    assert checked.names == ("temp", "load", "7")
    assert checked.targets == (1,)
    np.testing.assert_array_equal(checked.values[:, 1], frame["load"].to_numpy())
    assert check_series(frame, target=["load", "temp"]).targets == (1, 0)
    assert check_series(frame, target=7).targets == (2,)
    assert check_series(frame, target="7").targets == (2,)


def test_single_column_frame_needs_no_target():
    frame = pd.DataFrame({"y": [1.0, 2.0, 4.0]})
    assert check_series(frame).targets == (0,)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint16])
def test_arrays_and_lists(dtype):
    checked = check_series(np.arange(6, dtype=dtype))
    _assert_clean(checked, (6, 1))
    assert checked.names == ("y",) and checked.axis.kind == "range"
    two_d = check_series(np.arange(12, dtype=dtype).reshape(6, 2), target=1)
    _assert_clean(two_d, (6, 2))
    assert two_d.names == ("y0", "y1") and two_d.targets == (1,)
    assert check_series([1, 2, 3]).values.shape == (3, 1)
    assert check_series([[1, 2], [3, 4]], target=["y1", 0]).targets == (1, 0)


def test_nullable_dtypes_are_numeric():
    y = pd.Series([1, 2, 3], dtype="Int64")
    assert check_series(y).values.dtype == np.float32


def test_values_never_alias_the_input():
    raw = np.arange(5, dtype=np.float32)
    checked = check_series(raw)
    raw[0] = 100.0
    assert checked.values[0, 0] == 0.0
    assert checked.values.flags.writeable


def test_freq_sets_and_overrides_the_frequency():
    y = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert check_series(y, freq="MS").axis.freq == "MS"
    with pytest.raises(DataError, match=r"`y` is not regular with freq='D'.*asfreq"):
        check_series(y, freq="D")
    with pytest.raises(ParameterError, match=r"`freq`.*freq='nope'"):
        check_series(y, freq="nope")


def test_time_zone_is_kept():
    index = pd.date_range("2024-03-30", periods=48, freq="h", tz="Europe/Berlin")
    checked = check_series(pd.Series(np.arange(48.0), index=index[np.arange(48)]))
    assert str(checked.axis.start.tz) == "Europe/Berlin"
    assert checked.axis.future(1)[0] == index[-1] + pd.Timedelta(hours=1)


# ------------------------------------------------------------------ errors


def test_empty_inputs():
    for empty in (pd.Series([], dtype=float), pd.DataFrame({"a": []}), np.array([]), []):
        with pytest.raises(DataError, match=r"`y` is empty.*at least one value"):
            check_series(empty)
    with pytest.raises(DataError, match="`y` is empty"):
        check_series(pd.DataFrame(index=pd.RangeIndex(3)))


def test_nan_names_count_first_label_and_fix():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    y = pd.Series([1.0, 2.0, np.nan, 4.0, np.nan, 6.0], index=index, name="sales")
    with pytest.raises(
        DataError,
        match=r"`y` contains 2 NaN.*column 'sales' at label 2024-01-03.*y\.interpolate\(\).*dropna",
    ):
        check_series(y)


def test_inf_and_pandas_na():
    with pytest.raises(DataError, match=r"contains 1 NaN or infinite.*label 1"):
        check_series(np.array([1.0, np.inf, 2.0]))
    with pytest.raises(DataError, match="contains 1 NaN"):
        check_series(pd.Series([1.0, None, 3.0], dtype="Float64"))


def test_values_too_large_for_float32():
    with pytest.raises(DataError, match=r"too large for float32.*\['y'\]"):
        check_series(np.array([1e39, 1.0, 2.0]))


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"a": [1.0, 2.0], "flag": [True, False]}), r"boolean.*\['flag'\]"),
        (pd.DataFrame({"a": [1.0, 2.0], "city": ["x", "y"]}), r"\['city'\].*astype\(float\)"),
        (
            pd.DataFrame({"a": [1.0, 2.0], "when": pd.to_datetime(["2020", "2021"])}),
            r"\['when'\]",
        ),
        (pd.DataFrame({"a": [1.0, 2.0], "c": pd.Categorical([1, 2])}), r"\['c'\]"),
    ],
)
def test_non_numeric_or_boolean_columns(frame, match):
    with pytest.raises(DataError, match=r"`y` has non-numeric or boolean column"):
        check_series(frame, target="a")
    with pytest.raises(DataError, match=match):
        check_series(frame, target="a")


def test_boolean_and_object_arrays():
    with pytest.raises(DataError, match="boolean"):
        check_series(np.array([True, False, True]))
    with pytest.raises(DataError, match="non-numeric"):
        check_series(np.array(["1", "2"], dtype=object))


def test_duplicate_timestamps():
    index = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"])
    with pytest.raises(
        DataError, match=r"`y` has duplicate timestamps.*2024-01-02.*duplicated\(\)"
    ):
        check_series(pd.Series(np.arange(4.0), index=index))


def test_unsorted_index():
    index = pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"])
    with pytest.raises(DataError, match=r"`y` has an unsorted index.*2024-01-02.*sort_index\(\)"):
        check_series(pd.Series(np.arange(3.0), index=index))


def test_irregular_index_without_freq():
    index = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-08"])
    with pytest.raises(DataError, match=r"`y` has a DatetimeIndex with no freq.*freq=.*asfreq"):
        check_series(pd.Series(np.arange(4.0), index=index))


def test_several_columns_need_a_target():
    frame = pd.DataFrame({"load": [1.0, 2.0], "temp": [3.0, 5.0]})
    with pytest.raises(DataError, match=r"`y` has 2 columns \['load', 'temp'\].*target="):
        check_series(frame)
    with pytest.raises(DataError, match=r"y0.*y1.*target="):
        check_series(np.ones((3, 2)))


def test_unknown_target():
    frame = pd.DataFrame({"load": [1.0, 2.0], "temp": [3.0, 5.0]})
    with pytest.raises(DataError, match=r"`target` 'price' is not a column of `y`.*'load'"):
        check_series(frame, target="price")
    with pytest.raises(DataError, match="`target` 0 is not a column"):
        check_series(frame, target=0)  # positions only for arrays
    with pytest.raises(DataError, match="`target` 2 is not a column"):
        check_series(np.ones((3, 2)), target=[0, 2])
    with pytest.raises(DataError, match="`target` 'sales'"):
        check_series(pd.Series([1.0, 2.0], name="y"), target="sales")
    with pytest.raises(ParameterError, match="`target` names a column twice"):
        check_series(frame, target=["load", "load"])
    with pytest.raises(ParameterError, match="`target` must name at least one column"):
        check_series(frame, target=[])


def test_three_d_arrays_and_other_types():
    with pytest.raises(DataError, match=r"`y` must be 1-D.*or 2-D.*shape \(2, 3, 4\)"):
        check_series(np.ones((2, 3, 4)))
    with pytest.raises(DataError, match=r"`y` must be a pandas Series.*got dict"):
        check_series({"a": [1.0]})
    with pytest.raises(DataError, match="`y` has duplicate column names"):
        check_series(pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]), target="a")


def test_errors_name_the_argument():
    with pytest.raises(DataError, match="`y_new` contains 1 NaN"):
        check_series(np.array([1.0, np.nan]), name="y_new")


def test_errors_come_before_the_constant_warning():
    with pytest.raises(DataError, match="NaN"):
        check_series(np.array([1.0, 1.0, np.nan, 1.0]))  # no warning escapes (-W error)


# ------------------------------------------------------------------ constant columns


def test_constant_column_warns_and_works():
    frame = pd.DataFrame({"load": [1.0, 2.0, 3.0], "holiday": [0.0, 0.0, 0.0]})
    with pytest.warns(ConstantSeriesWarning, match=r"`y` has constant column\(s\) \['holiday'\]"):
        checked = check_series(frame, target="load")
    assert checked.values.shape == (3, 2)


def test_single_value_is_not_reported_as_constant():
    assert check_series(np.array([5.0])).values.shape == (1, 1)


@settings(deadline=None)
@given(
    st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
        min_size=2,
        max_size=40,
        unique=True,
    )
)
def test_any_finite_values_pass_unchanged(values):
    checked = check_series(np.asarray(values, dtype=np.float32))
    np.testing.assert_array_equal(checked.values[:, 0], np.asarray(values, dtype=np.float32))
