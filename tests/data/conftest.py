"""Shared index kinds and series for the data-layer tests."""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

# Each factory returns the first n labels of one infinite regular index, so the index of a
# longer series is the natural "truth" for what TimeAxis.future must produce.
INDEX_FACTORIES: dict[str, Callable[[int], pd.Index]] = {
    "daily": lambda n: pd.date_range("2024-01-01", periods=n, freq="D", name="ds"),
    "month_start": lambda n: pd.date_range("2019-11-01", periods=n, freq="MS"),
    "month_end": lambda n: pd.date_range("2019-11-30", periods=n, freq="ME"),
    # Europe/Berlin skips 02:00 on 2024-03-31: the series crosses the DST change.
    "hourly_berlin_dst": lambda n: pd.date_range(
        "2024-03-30 12:00", periods=n, freq="h", tz="Europe/Berlin"
    ),
    "period_monthly": lambda n: pd.period_range("2020-01", periods=n, freq="M", name="month"),
    "range": lambda n: pd.RangeIndex(n),
    "range_step5_start3": lambda n: pd.RangeIndex(3, 3 + 5 * n, 5, name="t"),
}

EXTRA_INDEX_FACTORIES: dict[str, Callable[[int], pd.Index]] = {
    "weekly_sunday": lambda n: pd.date_range("2024-01-07", periods=n, freq="W-SUN"),
    "quarter_start": lambda n: pd.date_range("2020-01-01", periods=n, freq="QS-JAN"),
    "quarter_hour": lambda n: pd.date_range("2024-01-01", periods=n, freq="15min"),
    "business_day": lambda n: pd.bdate_range("2024-01-01", periods=n),
    "daily_berlin_dst": lambda n: pd.date_range(
        "2024-10-20", periods=n, freq="D", tz="Europe/Berlin"
    ),
    "hourly_berlin_fall_dst": lambda n: pd.date_range(
        "2024-10-26 12:00", periods=n, freq="h", tz="Europe/Berlin"
    ),
    "hourly_utc_ns": lambda n: pd.date_range(
        "2024-01-01", periods=n, freq="h", tz="UTC", unit="ns"
    ),
    "period_quarterly": lambda n: pd.period_range("2020Q1", periods=n, freq="Q"),
    "integer_index_step2": lambda n: pd.Index(np.arange(10, 10 + 2 * n, 2)),
}

ALL_INDEX_FACTORIES = {**INDEX_FACTORIES, **EXTRA_INDEX_FACTORIES}


def _without_freq(index: pd.Index) -> pd.Index:
    """The same labels with no ``freq`` set, so the frequency must be inferred."""
    if isinstance(index, pd.DatetimeIndex):
        return index[np.arange(len(index))]
    return index


@pytest.fixture(params=sorted(INDEX_FACTORIES))
def index_factory(request) -> Callable[[int], pd.Index]:
    """``n -> index`` for each index kind every data feature must support."""
    return INDEX_FACTORIES[request.param]


@pytest.fixture(params=sorted(ALL_INDEX_FACTORIES))
def any_index_factory(request) -> Callable[[int], pd.Index]:
    """``n -> index`` for every index kind, including the extra ones."""
    return ALL_INDEX_FACTORIES[request.param]


@pytest.fixture
def without_freq() -> Callable[[pd.Index], pd.Index]:
    """Drop ``freq`` from a DatetimeIndex (so it must be inferred)."""
    return _without_freq


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def airline_like() -> pd.Series:
    """A monthly series with trend and season, 144 steps, like the airline data."""
    t = np.arange(144)
    values = 100 + 2 * t + 30 * np.sin(2 * np.pi * t / 12)
    return pd.Series(values, index=pd.date_range("1949-01-01", periods=144, freq="MS"), name="y")
