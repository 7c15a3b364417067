"""Inputs after fit: columns matched by name, continuations checked label by label, logs."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, datasets
from forecastkit.exceptions import DataError, ParameterError

TINY = dict(window=6, units=(2,), epochs=1, verbose=0, random_state=0, n_models=1)


@pytest.fixture(scope="module")
def two_columns():
    idx = pd.date_range("2020-01-01", periods=80, freq="D")
    t = np.arange(80)
    frame = pd.DataFrame({"a": np.sin(t / 3) + 5, "b": 10 * np.cos(t / 5)}, index=idx)
    f = Forecaster(**TINY, target="a", target_transform="none").fit(frame[:70])
    return f, frame


def _copy(f):
    import copy

    g = copy.copy(f)
    g.series_ = {k: s.copy() for k, s in f.series_.items()}
    return g


def test_dataframe_columns_are_matched_by_name(two_columns):
    f, frame = two_columns
    pd.testing.assert_series_equal(f.predict(frame[70:][["b", "a"]]), f.predict(frame[70:]))
    a, b = _copy(f).update(frame[70:74][["b", "a"]]), _copy(f).update(frame[70:74])
    np.testing.assert_array_equal(a.values_, b.values_)
    with pytest.raises(DataError, match="fitted columns"):
        f.predict(frame[70:].rename(columns={"b": "c"}))


def test_update_with_one_row_needs_no_frequency(two_columns):
    f, frame = two_columns
    g = _copy(f).update(frame[70:71])
    assert g.forecast(1, X=frame[["b"]][71:72]).index[0] == frame.index[71]


def test_continuation_is_checked_label_by_label(two_columns):
    f, frame = two_columns
    every_other = frame[70::2][:3]  # starts at the next label, then skips days
    with pytest.raises(DataError, match="at the fitted spacing"):
        _copy(f).update(every_other)
    with pytest.raises(DataError, match="without X"):
        _copy(f).update(frame[70:72], X=frame[70:72])


def test_covariates_by_name_and_direct_strategy_refused():
    n = 60
    idx = pd.date_range("2021-01-01", periods=n, freq="D")
    t = np.arange(n)
    X = pd.DataFrame({"c": np.sin(t / 4), "d": np.cos(t / 7)}, index=idx)
    y = pd.Series(X["c"] * 3 + X["d"] + 10, name="y")
    f = Forecaster(**TINY, target_transform="none").fit(X[:50], y[:50])
    pd.testing.assert_series_equal(f.forecast(4, X=X[50:54][["d", "c"]]), f.forecast(4, X=X[50:54]))
    one_step = f.predict()  # teacher-forced over the fitted series, covariates in the windows
    assert one_step.index[0] == idx[6] and len(one_step) == 44
    with pytest.raises(ParameterError, match="direct"):
        Forecaster(**TINY, strategy="direct", horizon=2).fit(X[:50], y[:50])


def test_log_transform_refuses_non_positive_values_by_label():
    y = datasets.load_airline().copy()
    y.iloc[-1] = 0.0
    with pytest.raises(DataError, match=r"1960-12-01.*not positive"):
        Forecaster(**TINY, target_transform="log", test_size=5).fit(y)
    f = Forecaster(**TINY, target_transform="log").fit(y[:-12])
    with pytest.raises(DataError, match="not positive"):
        f.predict(y[-12:])
