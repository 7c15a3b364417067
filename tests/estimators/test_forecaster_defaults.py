"""Defaults of the Forecaster that depend on the series."""

import numpy as np
import pandas as pd

from forecastkit import Forecaster
from forecastkit.estimators.forecaster import default_window


def test_default_window_is_capped_for_short_series_with_long_seasons():
    y = pd.Series(
        np.linspace(10, 20, 70) + np.sin(np.arange(70)),
        index=pd.date_range("2020-01-06", periods=70, freq="W-MON"),
    )
    f = Forecaster(units=(2,), epochs=1, verbose=0, random_state=0).fit(y)
    assert f.season_length_ == 52 and f.window_ == 14  # not 104, longer than the series
    assert len(f.forecast(3)) == 3


def test_default_window_two_seasons_when_the_series_is_long_enough():
    assert default_window(12, 144) == 24
    assert default_window(24, 24 * 60) == 48
    assert default_window(1, 30) == 6  # no season: 10, capped at a fifth of the length
    assert default_window(52, 3) == 2
