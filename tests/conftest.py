"""Shared fixtures: small series of every index kind."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import pytest


def seasonal_values(n: int, seed: int = 0) -> np.ndarray:
    """A positive trending seasonal series with a little noise."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)


INDEXES = {
    "daily": lambda n: pd.date_range("2020-01-01", periods=n, freq="D"),
    "month-start": lambda n: pd.date_range("2000-01-01", periods=n, freq="MS"),
    "month-end": lambda n: pd.date_range("2000-01-31", periods=n, freq="ME"),
    "hourly-tz-dst": lambda n: pd.date_range(
        "2021-03-27 20:00", periods=n, freq="h", tz="Europe/Berlin"
    ),
    "period": lambda n: pd.period_range("2000-01", periods=n, freq="M"),
    "range": lambda n: pd.RangeIndex(n),
    "range-step-5": lambda n: pd.RangeIndex(3, 3 + 5 * n, 5),
}


@pytest.fixture(params=sorted(INDEXES))
def indexed_series(request) -> pd.Series:
    n = 48
    return pd.Series(seasonal_values(n), index=INDEXES[request.param](n), name="sales")
