import json
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastkit.data import TimeAxis
from forecastkit.exceptions import DataError, ParameterError

N, H = 40, 7


def _same_index(got: pd.Index, expected: pd.Index) -> None:
    assert got.equals(expected), (got, expected)
    assert got.name == expected.name
    assert got.dtype == expected.dtype
    assert getattr(got, "tz", None) == getattr(expected, "tz", None)


# ------------------------------------------------------------------ index kinds


def test_future_continues_the_input_exactly(any_index_factory, without_freq):
    full = any_index_factory(N + H)
    for index in (any_index_factory(N), without_freq(any_index_factory(N))):
        axis = TimeAxis.from_index(index)
        _same_index(axis.future(H), full[N:])


def test_index_reproduces_the_input(any_index_factory, without_freq):
    index = any_index_factory(N)
    axis = TimeAxis.from_index(without_freq(index))
    assert axis.n_steps == N
    _same_index(axis.index(), index)
    if isinstance(index, pd.DatetimeIndex):
        assert axis.index().freq == index.freq


def test_dict_round_trip_through_json(any_index_factory):
    axis = TimeAxis.from_index(any_index_factory(N))
    back = TimeAxis.from_dict(json.loads(json.dumps(axis.to_dict())))
    assert back == axis
    assert back.freq == axis.freq
    _same_index(back.index(), axis.index())
    _same_index(back.future(H), axis.future(H))


def test_to_dict_has_the_documented_keys(index_factory):
    d = TimeAxis.from_index(index_factory(5)).to_dict()
    assert {"kind", "start", "freq", "tz", "n_steps", "name"} <= set(d)


def test_labels_and_position_agree_past_the_end(any_index_factory):
    full = any_index_factory(N + H)
    axis = TimeAxis.from_index(any_index_factory(N))
    _same_index(axis.labels(5, N + 3), full[5 : N + 3])
    for k in (0, 1, N - 1, N, N + H - 1):
        assert axis.position(full[k]) == k
    _same_index(axis.labels(3, 3), full[3:3])


def test_range_axis_of_a_series_with_default_index():
    axis = TimeAxis.from_index(pd.Series([1.0, 2.0, 3.0]).index)
    assert (axis.kind, axis.start, axis.step, axis.n_steps, axis.freq) == ("range", 0, 1, 3, None)
    assert axis == TimeAxis.from_length(3)


def test_integer_index_with_constant_step_is_a_range():
    axis = TimeAxis.from_index(pd.Index([2000, 2001, 2002], name="year"))
    assert (axis.kind, axis.start, axis.step, axis.name) == ("range", 2000, 1, "year")
    assert list(axis.future(2)) == [2003, 2004]


def test_hourly_berlin_skips_the_missing_hour_in_march():
    axis = TimeAxis.from_index(pd.date_range("2024-03-31", periods=2, freq="h", tz="Europe/Berlin"))
    future = axis.future(2)
    assert [t.strftime("%H:%M%z") for t in future] == ["03:00+0200", "04:00+0200"]
    assert str(future.tz) == "Europe/Berlin"


def test_datetime_kinds_and_aliases():
    cases = {"D": "D", "MS": "MS", "ME": "ME", "h": "h", "W": "W-SUN", "QS": "QS-JAN"}
    for given_freq, alias in cases.items():
        axis = TimeAxis.from_index(pd.date_range("2024-01-07", periods=4, freq=given_freq))
        assert axis.kind == "datetime"
        assert axis.freq == alias
    period = TimeAxis.from_index(pd.period_range("2020-01", periods=3, freq="M"))
    assert (period.kind, period.freq) == ("period", "M")


def test_freq_argument_sets_the_frequency():
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-02"])  # too short to infer
    axis = TimeAxis.from_index(index, freq="D")
    assert axis.freq == "D"
    assert list(axis.future(1)) == [pd.Timestamp("2024-01-03")]
    two_daily = pd.date_range("2024-01-01", periods=3, freq="2D")
    axis = TimeAxis.from_index(two_daily[np.arange(3)], freq="2D")
    assert axis.freq == "2D" and axis.future(1)[0] == pd.Timestamp("2024-01-07")
    with pytest.raises(DataError, match=r"`index` is not regular with freq='D'"):
        TimeAxis.from_index(two_daily, freq="D")  # freq= overrides the index's own


def test_label_generation_is_vectorised_far_in_the_future():
    axis = TimeAxis.from_index(pd.date_range("2000-01-01", periods=10, freq="D"))
    begin = time.perf_counter()
    labels = axis.labels(1_000_000, 1_000_003)
    far = axis.labels(0, 2_000_000)
    assert time.perf_counter() - begin < 2.0
    assert labels[0] == pd.Timestamp("2000-01-01") + pd.Timedelta(days=1_000_000)
    assert len(far) == 2_000_000
    assert axis.position(labels[2]) == 1_000_002


# ------------------------------------------------------------------ positions and wrap


def test_position_reads_strings_and_rejects_off_grid_labels():
    axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=12, freq="MS"))
    assert axis.position("2020-03-01") == 2
    assert axis.position("2021-01-01") == 12
    with pytest.raises(DataError, match=r"not on the grid.*2020-01-01"):
        axis.position("2020-03-15")
    with pytest.raises(DataError, match="before the start"):
        axis.position("2019-12-01")
    with pytest.raises(DataError, match="cannot be read"):
        axis.position("not a date")


def test_position_on_range_and_period_axes():
    axis = TimeAxis.from_index(pd.RangeIndex(3, 53, 5))
    assert axis.position(13) == 2
    assert axis.position("103") == 20
    assert axis.position(np.int64(8)) == 1
    with pytest.raises(DataError, match="not on the grid"):
        axis.position(14)
    with pytest.raises(DataError, match="cannot be read"):
        axis.position(13.0)
    period = TimeAxis.from_index(pd.period_range("2020-01", periods=3, freq="M"))
    assert period.position("2020-05") == 4
    assert period.position(pd.Period("2020-02", freq="M")) == 1


def test_position_time_zones():
    axis = TimeAxis.from_index(pd.date_range("2024-03-31", periods=4, freq="h", tz="Europe/Berlin"))
    assert axis.position("2024-03-31 03:00") == 2  # a naive label is read in the axis' zone
    assert axis.position(pd.Timestamp("2024-03-31 01:00", tz="UTC")) == 2
    naive = TimeAxis.from_index(pd.date_range("2024-01-01", periods=4, freq="h"))
    with pytest.raises(DataError, match="time zone"):
        naive.position(pd.Timestamp("2024-01-01", tz="UTC"))


def test_negative_positions_are_an_error():
    axis = TimeAxis.from_length(5)
    with pytest.raises(ParameterError, match=r"`start`.*got start=-1"):
        axis.labels(-1, 2)
    with pytest.raises(ParameterError, match="`stop` must be >= `start`"):
        axis.labels(3, 2)
    with pytest.raises(ParameterError, match="horizon"):
        axis.future(-1)


def test_extend_lengthens_the_axis():
    axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="D"))
    longer = axis.extend(2)
    assert longer.n_steps == 5 and longer.start == axis.start
    assert longer.index().equals(pd.date_range("2020-01-01", periods=5, freq="D"))
    assert list(longer.future(1)) == [pd.Timestamp("2020-01-06")]
    with pytest.raises(ParameterError, match="`n`"):
        axis.extend(-1)


def test_wrap_makes_series_and_frames(index_factory):
    axis = TimeAxis.from_index(index_factory(10))
    series = axis.wrap(np.arange(3.0), start="after_end", names=["y"])
    assert isinstance(series, pd.Series) and series.name == "y"
    assert series.index.equals(axis.future(3))
    one_column = axis.wrap(np.ones((3, 1)), start=2, names=["load"])
    assert isinstance(one_column, pd.Series) and one_column.index.equals(axis.labels(2, 5))
    frame = axis.wrap(np.ones((4, 2)), start=0, names=["a", "b"])
    assert list(frame.columns) == ["a", "b"]
    assert frame.index.equals(axis.labels(0, 4))


def test_wrap_checks_the_shape():
    axis = TimeAxis.from_length(3)
    with pytest.raises(ParameterError, match=r"`values`.*\(n, 2\).*got shape \(3, 3\)"):
        axis.wrap(np.ones((3, 3)), start=0, names=["a", "b"])
    with pytest.raises(ParameterError, match="`values`"):
        axis.wrap(np.ones(3), start=0, names=["a", "b"])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("index", "match"),
    [
        (pd.DatetimeIndex([]), "`index` is empty"),
        (pd.RangeIndex(0), "`index` is empty"),
        (pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02"]), r"duplicate.*2020-01-02"),
        (pd.Index([1, 2, 2, 3]), "duplicate"),
        (pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-03"]), r"sort_index\(\)"),
        (pd.RangeIndex(10, 0, -1), r"unsorted.*sort_index"),
        (pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"]), "freq="),
        (pd.to_datetime(["2020-01-01"]), r"only 1 time label.*pandas needs 3.*freq="),
        (pd.to_datetime(["2020-01-01", "2020-01-02"]), r"only 2 time label.*Drop so short"),
        (pd.Index([1, 2, 4, 8]), "irregular|not regular"),
        (pd.Index([0.5, 1.5, 2.5]), "to_datetime"),
        (pd.Index(["a", "b"]), "to_datetime"),
        (pd.MultiIndex.from_tuples([("a", 1), ("a", 2)]), "xs"),
        (pd.PeriodIndex(["2020-01", "2020-02", "2020-04"], freq="M"), "not regular"),
    ],
)
def test_from_index_errors(index, match):
    with pytest.raises(DataError, match=match):
        TimeAxis.from_index(index)


def test_from_index_errors_name_the_argument():
    index = pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-03"])
    with pytest.raises(DataError, match=r"`sales` has an unsorted index.*2020-01-01"):
        TimeAxis.from_index(index, argname="sales")


def test_freq_errors():
    with pytest.raises(ParameterError, match=r"`freq`.*freq='nonsense'"):
        TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="D"), freq="nonsense")
    with pytest.raises(ParameterError, match=r"`freq` only applies.*RangeIndex"):
        TimeAxis.from_index(pd.RangeIndex(3), freq="D")
    with pytest.raises(DataError, match=r"asfreq\('Q'\)"):
        TimeAxis.from_index(pd.period_range("2020-01", periods=3, freq="M"), freq="Q")
    index = pd.date_range("2020-01-01", periods=3, freq="D")
    with pytest.raises(DataError, match=r"freq='MS'.*2020-01-02.*should be 2020-02-01"):
        TimeAxis.from_index(index, freq="MS")


def test_from_dict_errors():
    with pytest.raises(ParameterError, match=r"`d` is not a TimeAxis.*to_dict"):
        TimeAxis.from_dict({"kind": "datetime"})
    with pytest.raises(ParameterError, match="`kind`"):
        TimeAxis.from_dict({"kind": "weird", "start": 0, "step": 1, "n_steps": 3})


# ------------------------------------------------------------------ properties


@settings(deadline=None)
@given(
    start=st.integers(-1000, 1000),
    step=st.integers(1, 50),
    n=st.integers(1, 50),
    a=st.integers(0, 200),
    length=st.integers(0, 20),
)
def test_range_labels_match_arange(start, step, n, a, length):
    axis = TimeAxis.from_index(pd.RangeIndex(start, start + n * step, step))
    labels = axis.labels(a, a + length)
    expected = start + step * np.arange(a, a + length)
    np.testing.assert_array_equal(labels.to_numpy(), expected)
    for k, label in enumerate(labels):
        assert axis.position(label) == a + k
    assert TimeAxis.from_dict(json.loads(json.dumps(axis.to_dict()))) == axis


@settings(deadline=None)
@given(n=st.integers(1, 30), k=st.integers(0, 400))
def test_month_end_position_inverts_labels(n, k):
    axis = TimeAxis.from_index(pd.date_range("2000-01-31", periods=n, freq="ME"))
    assert axis.position(axis.labels(k, k + 1)[0]) == k


@pytest.mark.parametrize(
    ("index", "good", "bad"),
    [
        (
            pd.date_range("2020-01-01", periods=3, freq="MS"),
            ["2020-04-01"],
            ["2020-04-01", "2020-07-01"],
        ),
        (pd.period_range("2020Q1", periods=3, freq="Q"), ["2020Q4", "2021Q1"], ["2021Q1"]),
        (pd.RangeIndex(3, 30, 5), [33, 38], [33, 34]),
    ],
)
def test_continued_by_compares_every_label(index, good, bad):
    axis = TimeAxis.from_index(index)
    as_index = (
        pd.PeriodIndex(good, freq="Q") if isinstance(index, pd.PeriodIndex) else pd.Index(good)
    )
    assert axis.continued_by(pd.DatetimeIndex(good) if index.dtype.kind == "M" else as_index)
    bad_index = (
        pd.PeriodIndex(bad, freq="Q") if isinstance(index, pd.PeriodIndex) else pd.Index(bad)
    )
    assert not axis.continued_by(pd.DatetimeIndex(bad) if index.dtype.kind == "M" else bad_index)
    assert not axis.continued_by(index[:0])


def test_memoised_labels_cannot_be_changed_through_a_returned_index():
    axis = TimeAxis.from_index(pd.date_range("2000-01-31", periods=5, freq="ME", name="t"))
    first = axis.future(3)
    first.name = "renamed"  # a caller renaming its forecast's index in place
    again = axis.future(3)
    assert again.name == "t" and again is not first
    assert again.equals(pd.date_range("2000-06-30", periods=3, freq="ME"))
    assert again.freq == "ME"


def test_check_future_refuses_horizons_past_pandas_dates_or_the_step_limit():
    from forecastkit.data.time_axis import MAX_FORECAST_STEPS

    yearly = TimeAxis.from_index(pd.date_range("2000-01-01", periods=3, freq="YS"))
    yearly.check_future(1000)
    with pytest.raises(ParameterError, match="past what pandas can represent"):
        yearly.check_future(400_000)  # beyond the year 294,276
    with pytest.raises(ParameterError, match="more than 1,000,000 steps"):
        TimeAxis.from_length(5).check_future(MAX_FORECAST_STEPS + 1)
    TimeAxis.from_length(5).check_future(MAX_FORECAST_STEPS)


def test_a_missing_time_stamp_is_named_as_such_not_as_an_unsorted_index():
    # a blank date read as NaT was reported as "label ... comes after NaT: sort it first"
    index = pd.DatetimeIndex(["2023-01-01", "2023-01-02", None, "2023-01-04"])
    with pytest.raises(DataError, match=r"1 missing time stamp\(s\) \(NaT\).*position 2"):
        TimeAxis.from_index(index)
