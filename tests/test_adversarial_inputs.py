"""Adversarial data inputs: every misfit input is refused with the problem and the fix.

One tiny fitted Forecaster per kind of fit (one series, covariates, long format) is shared by
the whole module; the tests only call cheap methods on it. Every refusal is a forecastkit
error (``DataError``/``ParameterError``, so also ``ValueError``), never a raw ``IndexError``
or ``KeyError``, and leaves the fitted state as it was (the forecast after the refused call
equals the forecast before it).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from forecastkit import Forecaster, NaiveForecaster, SequenceRegressor, WindowRegressor, metrics
from forecastkit.data.long import split_long
from forecastkit.data.time_axis import TimeAxis
from forecastkit.exceptions import (
    DataError,
    DroppedStepsWarning,
    ForecastkitError,
    ParameterError,
)

TINY = {"units": (4,), "epochs": 1, "verbose": 0, "random_state": 0, "window": 5, "n_models": 1}
N = 40
INDEX = pd.date_range("2024-01-01", periods=N, freq="D")
FUTURE = pd.date_range(INDEX[-1] + pd.Timedelta(days=1), periods=3, freq="D")


def _series(index=INDEX, name="y") -> pd.Series:
    return pd.Series(np.sin(np.arange(len(index)) / 3) + 5, index=index, name=name)


@pytest.fixture(scope="module")
def fitted():
    return Forecaster(**TINY, target_transform="none").fit(_series())


@pytest.fixture(scope="module")
def with_covariates():
    X = pd.DataFrame({"a": np.cos(np.arange(N) / 3), "b": np.arange(N, dtype=float)}, index=INDEX)
    return Forecaster(**TINY, target_transform="none").fit(X, _series())


@pytest.fixture(scope="module")
def long_fit():
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 30),
            "ds": np.tile(pd.date_range("2024-01-01", periods=30, freq="D"), 2),
            "y": np.sin(np.arange(60) / 3) + 5,
        }
    )
    return Forecaster(**TINY, target_transform="none").fit(frame)


def _future_X(rows=3) -> pd.DataFrame:
    return pd.DataFrame(
        {"a": np.linspace(0, 1, rows), "b": np.arange(N, N + rows, dtype=float)},
        index=FUTURE[:rows],
    )


def _refused(est, call, error, match, *, forecast=lambda est: est.forecast(3)):
    """Assert ``call(est)`` raises ``error`` matching ``match`` and changes no fitted state."""
    before = forecast(est)
    n_before, axis_before = len(est.values_), est.time_axis_
    with pytest.raises(error, match=match) as info:
        call(est)
    assert isinstance(info.value, ForecastkitError)
    assert len(est.values_) == n_before and est.time_axis_ == axis_before
    pd.testing.assert_series_equal(forecast(est), before)
    return str(info.value)


# ------------------------------------------------------------ forecast()
def test_forecast_with_X_on_a_model_fitted_without_covariates_is_refused(fitted):
    message = _refused(fitted, lambda f: f.forecast(3, X=np.ones((3, 1))), DataError, "without")
    assert "forecast(horizon) without X" in message


@pytest.mark.parametrize(
    ("horizon", "error"),
    [(0, ParameterError), (-2, ParameterError), (2.5, ParameterError), (True, ParameterError)],
)
def test_bad_horizons_are_refused(fitted, horizon, error):
    _refused(fitted, lambda f: f.forecast(horizon), error, "horizon")


@pytest.mark.parametrize("level", [0, 100, 150, -5, float("nan"), "95", []])
def test_levels_outside_the_open_interval_are_refused(fitted, level):
    _refused(fitted, lambda f: f.forecast(3, level=level), ParameterError, "level")


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (None, "future values"),
        (lambda: _future_X()[["a"]], "fitted columns"),
        (lambda: _future_X().rename(columns={"a": "c"}), "fitted columns"),
        (lambda: np.ones((3, 3)), "3 features"),
        (lambda: _future_X(2), r"shape \(3, 2\)"),
        (lambda: _future_X().assign(a=np.nan), "NaN"),
        (lambda: _future_X().astype(str), "non-numeric"),
        (lambda: _future_X().assign(a=True), "boolean"),
        (lambda: np.ones((3, 2, 1)), "1-D"),
        (lambda: "abc", "Series or DataFrame"),
        (lambda: _future_X().iloc[:0], "empty"),
        (lambda: _future_X().set_axis(FUTURE + pd.Timedelta(days=5)), "after the fitted"),
        (lambda: _future_X().tz_localize("UTC"), "after the fitted"),
    ],
)
def test_misfit_future_covariates_are_refused(with_covariates, X, match):
    future = _future_X()
    value = X() if callable(X) else X
    _refused(
        with_covariates,
        lambda f: f.forecast(3, X=value),
        DataError,
        match,
        forecast=lambda f: f.forecast(3, X=future),
    )


def test_predict_with_empty_future_covariates_says_so(with_covariates):
    future = _future_X()
    _refused(
        with_covariates,
        lambda f: f.predict(future.iloc[:0]),
        DataError,
        "no rows",
        forecast=lambda f: f.forecast(3, X=future),
    )


# ------------------------------------------------------------- predict()
def test_predict_of_an_hourly_series_on_a_daily_model_is_refused(fitted):
    hourly = _series(pd.date_range("2024-01-01", periods=30, freq="h"))
    message = _refused(fitted, lambda f: f.predict(hourly), DataError, "freq 'h'")
    assert "'D'" in message and "resample" in message


@pytest.mark.parametrize(
    ("index", "match"),
    [
        (INDEX.tz_localize("UTC"), r"time zone UTC.*tz_localize\(None\)"),
        (INDEX.to_period("D"), "period index"),
    ],
)
def test_predict_on_another_clock_or_kind_is_refused(fitted, index, match):
    _refused(fitted, lambda f: f.predict(_series(index)), DataError, match)


@pytest.mark.parametrize(
    ("transform", "match"),
    [
        (lambda y: y.iloc[:0], "empty"),
        (lambda y: y.where(y > 5.5), "NaN"),
        (lambda y: y.replace(y.iloc[3], np.inf), "NaN or infinite"),
        (lambda y: y > 5, "boolean"),
        (lambda y: y.astype(str), "non-numeric"),
        (lambda y: pd.concat([y, y.iloc[-1:]]), "duplicate"),
        (lambda y: y.iloc[::-1], "unsorted"),
        (lambda y: y.to_frame("z"), "fitted columns"),
        (lambda y: y.drop(y.index[5]), "not regular|infer"),
    ],
)
def test_bad_series_are_refused_by_predict(fitted, transform, match):
    _refused(fitted, lambda f: f.predict(transform(_series())), DataError, match)


# -------------------------------------------------------------- update()
@pytest.mark.parametrize(
    ("new", "match"),
    [
        (lambda: _series().iloc[:0], "no rows"),
        (lambda: np.array([]), "empty"),
        (lambda: pd.Series([1.0], index=FUTURE[2:3], name="y"), "gap"),
        (lambda: _series().iloc[-2:], "overlaps"),
        (lambda: _series(pd.date_range(FUTURE[0], periods=3, freq="2D")), "spacing"),
        (lambda: pd.Series([1.0], index=FUTURE[:1].tz_localize("UTC"), name="y"), "time zone"),
        (lambda: pd.Series([1.0], name="y"), "RangeIndex"),
        (lambda: pd.Series([np.nan], index=FUTURE[:1], name="y"), "NaN"),
        (lambda: np.array([np.inf]), "infinite"),
        (lambda: np.array([True]), "boolean"),
        (lambda: np.ones((2, 2, 2)), "1-D"),
        (lambda: "abc", "Series or DataFrame"),
    ],
)
def test_update_refuses_steps_that_do_not_continue_the_series(fitted, new, match):
    _refused(fitted, lambda f: f.update(new()), DataError, match)


def test_update_with_X_on_a_model_without_covariates_is_refused(fitted):
    _refused(fitted, lambda f: f.update(np.array([1.0]), X=np.ones((1, 1))), DataError, "without")


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (None, "covariates"),
        (lambda: np.ones((2, 2)), "same number of time steps"),
        (lambda: np.ones((1, 3)), "fitted columns"),
        (lambda: np.array([[np.nan, 1.0]]), "NaN"),
    ],
)
def test_update_with_misfit_covariates_is_refused(with_covariates, X, match):
    future = _future_X()
    _refused(
        with_covariates,
        lambda f: f.update(np.array([1.0]), X=None if X is None else X()),
        DataError,
        match,
        forecast=lambda f: f.forecast(3, X=future),
    )


def test_update_with_two_equal_values_does_not_warn(fitted):
    est = Forecaster.__new__(Forecaster)  # a shallow twin: update() must not touch `fitted`
    est.__dict__.update(fitted.__dict__)
    est.series_ = {k: s.copy() for k, s in fitted.series_.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.update(pd.Series([5.0, 5.0], index=FUTURE[:2], name="y"))
    assert est.time_axis_.n_steps == N + 2 and fitted.time_axis_.n_steps == N


# ---------------------------------------------------------- fit(X, y)
@pytest.mark.parametrize("rows", [N - 5, N + 5])
def test_fit_with_covariates_of_another_length_is_refused_before_training(rows):
    with pytest.raises(DataError, match="same number of time steps"):
        Forecaster(**TINY).fit(np.ones((rows, 2)), _series())


# ------------------------------------------------------------ long format
def _long(ds, n=30) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": np.repeat(["a", "b"], n), "ds": ds, "y": np.arange(2 * n, dtype=float) + 1}
    )


@pytest.mark.parametrize(
    ("other", "zones"),
    [("Asia/Tokyo", r"\['UTC', 'Asia/Tokyo'\]"), (None, r"\['UTC', 'no time zone'\]")],
)
def test_a_long_frame_mixing_time_zones_is_refused(other, zones):
    utc = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    second = pd.date_range("2024-01-01", periods=30, freq="D", tz=other)
    frame = _long(list(utc) + list(second))
    with pytest.raises(DataError, match=f"mixes time zones {zones}"):
        split_long(frame)
    with pytest.raises(DataError, match="mixes time zones"):
        Forecaster(**TINY).fit(frame)


def test_a_long_frame_on_one_clock_is_accepted():
    utc = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    parts = split_long(_long(list(utc) * 2))
    assert [str(s.axis.start.tz) for _, s in parts] == ["UTC", "UTC"]


def test_long_predict_at_another_frequency_is_refused(long_fit):
    frame = _long(np.tile(pd.date_range("2024-01-01", periods=30, freq="h"), 2))
    before = long_fit.forecast(2)
    with pytest.raises(DataError, match=r"Series 'a'.*freq 'h'"):
        long_fit.predict(frame)
    pd.testing.assert_frame_equal(long_fit.forecast(2), before)


@pytest.mark.parametrize("uid", ["zz", ["a"], 3])
def test_for_series_with_an_unknown_id_names_the_known_ones(long_fit, uid):
    with pytest.raises(DataError, match=r"its ids are \['a', 'b'\]"):
        long_fit.for_series(uid)


def test_long_fit_refuses_X_and_a_series_in_place_of_a_frame(long_fit):
    with pytest.raises(ParameterError, match="no covariates"):
        long_fit.forecast(2, X=np.ones((2, 1)))
    with pytest.raises(DataError, match="long-format frame"):
        long_fit.predict(pd.Series([1.0, 2.0]))


# ----------------------------------------------------- other estimators
def test_naive_and_window_regressor_refuse_another_frequency():
    y = _series()
    hourly = _series(pd.date_range("2024-01-01", periods=30, freq="h"))
    for est in (NaiveForecaster().fit(y), WindowRegressor(Ridge(), window=4).fit(y)):
        before = est.forecast(2)
        with pytest.raises(DataError, match="freq 'h'"):
            est.predict(hourly)
        with pytest.raises(DataError, match="time zone"):
            est.predict(y.tz_localize("Asia/Tokyo"))
        pd.testing.assert_series_equal(est.forecast(2), before)


def test_stateful_sequence_regressor_warns_about_the_steps_it_leaves_out():
    x = np.sin(np.arange(200) / 5)
    y = np.cos(np.arange(200) / 5)
    model = SequenceRegressor(
        units=(2,), epochs=1, time_steps=7, batch_size=3, stateful=True, verbose=0
    )
    # 200 steps, 20 validate: 180 train, batches of 3 x 7 = 21 steps hold 168 of them.
    # (Recorded by hand: pytest.warns would re-raise Keras's own deprecation warnings.)
    messages = {}
    for val_size in (0.1, 32):  # 32 (the suggested val_size) trains on every step
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.set_params(val_size=val_size).fit(x, y)
        messages[val_size] = [str(w.message) for w in caught if w.category is DroppedStepsWarning]
    assert len(messages[0.1]) == 1 and messages[32] == []
    assert re.search(r"12 of the 180 training steps.*val_size=32", messages[0.1][0])


def test_sequence_regressor_refuses_a_string():
    with pytest.raises(DataError, match="Series or DataFrame"):
        SequenceRegressor(units=(2,), epochs=1).fit("abc", np.ones(10))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        (np.array([True, False]), np.array([1.0, 0.0]), "booleans"),
        ([], [], "at least one value"),
        ([1.0, 2.0], [1.0], "same shape"),
        (np.array(["a"]), np.array([1.0]), "numbers"),
        ([np.nan], [1.0], "NaN"),
    ],
)
def test_metrics_refuse_junk(y_true, y_pred, match):
    with pytest.raises(DataError, match=match):
        metrics.mae(y_true, y_pred)


# --------------------------------------------------------------- TimeAxis
def test_check_continued_by_accepts_exactly_the_next_labels():
    axis = TimeAxis.from_index(INDEX)
    axis.check_continued_by(FUTURE)
    with pytest.raises(DataError, match="no rows"):
        axis.check_continued_by(FUTURE[:0])


# ------------------------------------------------------- property: junk in
_junk_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
    st.integers(-(2**40), 2**40),
)
_junk_labels = st.one_of(
    st.datetimes(min_value=pd.Timestamp("2023-12-01"), max_value=pd.Timestamp("2024-04-01")),
    st.integers(-5, 100),
    st.text(max_size=4),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_junk_labels, _junk_values), max_size=8),
    method=st.sampled_from(["predict", "update"]),
)
def test_junk_series_are_accepted_or_refused_with_forecastkit_errors(fitted, rows, method):
    """Random junk frames are accepted or refused as DataError/ParameterError, never raw."""
    labels = [label for label, _ in rows]
    values = [value for _, value in rows]
    try:
        junk = pd.Series(values, index=pd.Index(labels, dtype=object), name="y", dtype=object)
        junk = junk.infer_objects()
    except (TypeError, ValueError):
        return  # pandas itself refuses to build it
    before = fitted.forecast(2)
    est = Forecaster.__new__(Forecaster)  # updates go to a shallow twin, not the fixture
    est.__dict__.update(fitted.__dict__)
    est.series_ = {k: s.copy() for k, s in fitted.series_.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant-column warnings are fine here
            getattr(est, method)(junk)
    except (DataError, ParameterError):
        pass
    pd.testing.assert_series_equal(fitted.forecast(2), before)


@pytest.mark.parametrize("make", [NaiveForecaster, lambda: WindowRegressor(Ridge(), window=2)])
def test_one_series_estimators_refuse_a_long_frame_naming_the_alternatives(make):
    frame = _long(np.tile(pd.date_range("2024-01-01", periods=30, freq="D"), 2))
    with pytest.raises(DataError, match=r"long-format frame.*LocalForecasters"):
        make().fit(frame)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", None, 1]), _junk_labels, _junk_values), max_size=10
    ),
    zone=st.sampled_from([None, "UTC", "Asia/Tokyo"]),
)
def test_junk_long_frames_are_split_or_refused_with_forecastkit_errors(rows, zone):
    """Random long frames (ids, labels and zones mixed) split or raise DataError, never raw."""
    stamps = [  # every other datetime label in the drawn time zone
        pd.Timestamp(label).tz_localize(zone) if isinstance(label, datetime) and i % 2 else label
        for i, (_, label, _) in enumerate(rows)
    ]
    frame = pd.DataFrame(
        {
            "unique_id": pd.Series([uid for uid, _, _ in rows], dtype=object),
            "ds": pd.Series(stamps, dtype=object),
            "y": pd.Series([value for _, _, value in rows], dtype=object).infer_objects(),
        }
    )
    try:
        parts = split_long(frame)
    except (DataError, ParameterError):
        return
    assert all(np.isfinite(s.values).all() for _, s in parts)
