import subprocess
import sys
import warnings

import pandas as pd
import pytest
from pandas.tseries.frequencies import to_offset

from forecastkit.data.seasonality import season_length
from forecastkit.exceptions import ParameterError


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        # monthly, pandas 3 and older aliases
        ("ME", 12), ("MS", 12), ("BME", 12), ("BMS", 12), ("M", 12), ("BM", 12),
        ("CBME", 12), ("CBMS", 12), ("SME", 24), ("SMS", 24),
        # quarterly, with and without anchors
        ("QE", 4), ("QS", 4), ("QE-DEC", 4), ("QS-JAN", 4), ("QE-MAR", 4), ("BQE", 4),
        ("BQS", 4), ("Q", 4), ("Q-DEC", 4), ("BQ", 4),
        # weekly
        ("W", 52), ("W-SUN", 52), ("W-MON", 52),
        # daily and business daily
        ("D", 7), ("B", 5), ("C", 5),
        # intraday
        ("h", 24), ("H", 24), ("min", 60), ("T", 60), ("s", 60), ("S", 60),
        # yearly
        ("YE", 1), ("YS", 1), ("YE-DEC", 1), ("Y", 1), ("Y-DEC", 1), ("A", 1), ("AS", 1),
        ("A-DEC", 1), ("BYE", 1), ("BA", 1),
        # no usual season
        ("ms", 1), ("us", 1), ("ns", 1), ("bh", 1),
        (None, 1),
    ],
)  # fmt: skip
def test_season_length_of_aliases(freq, expected):
    assert season_length(freq) == expected


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("2h", 12), ("15min", 4), ("30s", 2), ("2W", 26), ("2ME", 6), ("3ME", 4), ("2QE", 2),
        ("1D", 7), ("7D", 1), ("3D", 1), ("5h", 1), ("45min", 1), ("1h30min", 1),
        ("2M", 6), ("2H", 12), ("6T", 10),
    ],
)  # fmt: skip
def test_multiples_divide_the_period_when_they_divide_evenly(freq, expected):
    assert season_length(freq) == expected


@pytest.mark.parametrize("freq", ["ME", "2h", "W-MON", "B", "QE-DEC"])
def test_offsets_give_the_same_as_aliases(freq):
    assert season_length(to_offset(freq)) == season_length(freq)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (pd.date_range("2000-01-01", periods=5, freq="MS"), 12),
        (pd.date_range("2000-01-01", periods=5, freq="D"), 7),
        (pd.date_range("2000-01-01", periods=5, freq="h"), 24),
        (pd.period_range("2000-01", periods=5, freq="M"), 12),
        (pd.period_range("2000Q1", periods=5, freq="Q"), 4),
        (pd.period_range("2000", periods=5, freq="Y"), 1),
    ],
)
def test_index_freqstr_and_freq(index, expected):
    assert season_length(index.freqstr) == expected
    assert season_length(index.freq) == expected


@pytest.mark.parametrize("returns_offset", [True, False])
def test_inferred_frequency(returns_offset):
    # pandas 3 moves infer_freq from returning a string to returning an offset: accept both.
    index = pd.DatetimeIndex(["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"])
    with pd.option_context("future.infer_freq_returns_offset", returns_offset):
        inferred = pd.infer_freq(index)
    assert season_length(inferred) == 12


def test_no_warnings_for_deprecated_spellings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert season_length("d") == 7
        assert season_length(" MS ") == 12


@pytest.mark.parametrize("freq", ["montly", "xyz", "", "12"])
def test_unrecognised_alias_raises(freq):
    with pytest.raises(ParameterError, match="`freq` must be a pandas frequency alias"):
        season_length(freq)


@pytest.mark.parametrize("freq", [12, 1.0, ["MS"]])
def test_wrong_type_raises(freq):
    with pytest.raises(ParameterError, match="`freq` must be"):
        season_length(freq)


def test_import_is_light():
    code = (
        "import sys, forecastkit.data.seasonality; "
        "bad = [m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_season_cycle_names_the_cycle_of_the_season():
    from forecastkit.data.seasonality import season_cycle

    assert [season_cycle(f) for f in ("MS", "ME", "QE-DEC", "W-SUN", "2W", "SMS")] == ["year"] * 6
    assert [season_cycle(f) for f in ("D", "B", "h", "2h", "15min")] == [
        "week", "week", "day", "day", "hour"
    ]
    assert [season_cycle(f) for f in ("YS", "3D", None)] == [None, None, None]
