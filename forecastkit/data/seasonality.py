"""The usual seasonal period of a pandas frequency.

:func:`season_length` answers "how many steps make one season?" for a frequency alias, e.g.
12 for monthly data (a yearly cycle), 7 for daily data (a weekly cycle) or 24 for hourly data
(a daily cycle). It feeds seasonal-naive baselines and MASE.

Periods by base frequency (the anchor, such as ``-DEC`` or ``-SUN``, does not matter):

==============================================================  ===========  ============
aliases (pandas 3 and older spellings)                          period       cycle
==============================================================  ===========  ============
``YE``, ``YS``, ``BYE``, ``BYS``, ``Y``, ``A``, ``AS``, ``BA``  1            none
``QE``, ``QS``, ``BQE``, ``BQS``, ``Q``, ``BQ``                 4            year
``ME``, ``MS``, ``BME``, ``BMS``, ``CBME``, ``CBMS``, ``M``     12           year
``SME``, ``SMS`` (semi-month)                                   24           year
``W`` (any weekday anchor)                                      52           year
``D``                                                           7            week
``B``, ``C`` (business days)                                    5            week
``h`` (``H``)                                                   24           day
``min`` (``T``)                                                 60           hour
``s`` (``S``)                                                   60           minute
anything else (``ms``, ``us``, ``ns``, ``bh``, ...)             1            none
==============================================================  ===========  ============

A multiple divides the period when it divides evenly (``"2h"`` gives 12, ``"15min"`` gives 4,
``"2W"`` gives 26) and gives 1 otherwise (``"3D"``: no whole number of steps per week).
"""

from __future__ import annotations

import re
import warnings

from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from forecastkit.exceptions import ParameterError

__all__ = ["season_cycle", "season_length"]

# Seasonal period per pandas 3 base rule code (the rule code without its "-ANCHOR" suffix).
_PERIODS: dict[str, int] = {
    "YE": 1, "YS": 1, "BYE": 1, "BYS": 1,
    "QE": 4, "QS": 4, "BQE": 4, "BQS": 4,
    "ME": 12, "MS": 12, "BME": 12, "BMS": 12, "CBME": 12, "CBMS": 12,
    "SME": 24, "SMS": 24,
    "W": 52,
    "D": 7,
    "B": 5, "C": 5,
    "h": 24,
    "min": 60,
    "s": 60,
}  # fmt: skip

# The cycle that the season of each base rule code spans (see the module table).
_CYCLES: dict[str, str] = {
    "QE": "year", "QS": "year", "BQE": "year", "BQS": "year",
    "ME": "year", "MS": "year", "BME": "year", "BMS": "year", "CBME": "year", "CBMS": "year",
    "SME": "year", "SMS": "year", "W": "year",
    "D": "week", "B": "week", "C": "week",
    "h": "day", "min": "hour", "s": "minute",
}  # fmt: skip

# Older aliases that pandas 3 no longer parses (or warns about), mapped to the current ones.
# PeriodIndex.freqstr still reports "M", "Q-DEC" and "Y-DEC", so these must keep working.
_LEGACY: dict[str, str] = {
    "M": "ME", "BM": "BME", "CBM": "CBME", "SM": "SME",
    "Q": "QE", "BQ": "BQE",
    "Y": "YE", "BY": "BYE", "A": "YE", "BA": "BYE", "AS": "YS", "BAS": "BYS",
    "H": "h", "BH": "bh", "CBH": "cbh", "T": "min", "S": "s", "L": "ms", "U": "us", "N": "ns",
}  # fmt: skip

_ALIAS = re.compile(r"^(?P<multiple>[+-]?\d*)(?P<base>[A-Za-z]+)(?P<anchor>-\w+)?$")


def season_length(freq: str | BaseOffset | None) -> int:
    """Return the usual seasonal period (steps per season) for a pandas frequency.

    Parameters
    ----------
    freq : str, pandas DateOffset or None
        A frequency alias such as ``"MS"``, ``"ME"``, ``"M"``, ``"QE-DEC"``, ``"W-SUN"``,
        ``"D"``, ``"B"``, ``"h"``, ``"15min"`` (pandas 3 aliases and the older spellings,
        e.g. from ``PeriodIndex.freqstr``), or an offset object such as ``index.freq``.
        ``None`` (no known frequency) gives 1.

    Returns
    -------
    int
        The seasonal period: 12 for monthly, 4 for quarterly, 52 for weekly, 7 for daily, 5 for
        business daily, 24 for hourly, 60 for minutes and seconds, 1 for yearly, for
        frequencies without a usual season, and for ``None``. A multiple divides the period
        when it divides evenly (``"2h"`` gives 12), else the result is 1. See the module
        docstring for the full table.

    Raises
    ------
    ParameterError
        If ``freq`` is neither a string, an offset nor ``None``, or is a string that pandas
        does not recognise as a frequency (a typo such as ``"montly"``).

    Examples
    --------
    >>> from forecastkit.data.seasonality import season_length
    >>> season_length("MS"), season_length("M"), season_length("QE-DEC"), season_length("D")
    (12, 12, 4, 7)
    >>> season_length("2h"), season_length("15min"), season_length("3D"), season_length(None)
    (12, 4, 1, 1)
    """
    if freq is None:
        return 1
    if isinstance(freq, BaseOffset):
        offset = freq
    elif isinstance(freq, str):
        offset = _parse(freq)
    else:
        raise ParameterError(
            f"`freq` must be a pandas frequency alias (str), a DateOffset or None; got "
            f"freq={freq!r} of type {type(freq).__name__}. Pass e.g. 'MS' or index.freq."
        )
    base = offset.rule_code.split("-", 1)[0]
    period = _PERIODS.get(base, 1)
    multiple = offset.n
    if multiple < 1 or period % multiple != 0:
        return 1
    return period // multiple


def season_cycle(freq: str | BaseOffset | None) -> str | None:
    """Return the cycle that :func:`season_length` spans: "year", "week", "day", ... or None.

    None when the frequency has no season (yearly data, unknown or irregular frequencies, or
    a multiple that does not divide the period).

    Examples
    --------
    >>> from forecastkit.data.seasonality import season_cycle
    >>> season_cycle("MS"), season_cycle("QS-OCT"), season_cycle("D"), season_cycle("2h")
    ('year', 'year', 'week', 'day')
    >>> season_cycle("YS") is None, season_cycle(None) is None
    (True, True)
    """
    if season_length(freq) < 2:
        return None
    offset = freq if isinstance(freq, BaseOffset) else _parse(freq)
    return _CYCLES.get(offset.rule_code.split("-", 1)[0])


def _parse(freq: str) -> BaseOffset:
    """Translate older aliases to pandas 3 ones, then parse with ``to_offset``."""
    text = freq.strip()
    match = _ALIAS.match(text)
    if match is not None and match["base"] in _LEGACY:
        text = match["multiple"] + _LEGACY[match["base"]] + (match["anchor"] or "")
    try:
        with warnings.catch_warnings():
            # Deprecated spellings (e.g. "d") still parse; the caller's alias is not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            return to_offset(text)
    except ValueError as error:
        raise ParameterError(
            f"`freq` must be a pandas frequency alias; got freq={freq!r}, which pandas does not "
            f"recognise ({error}). Use e.g. 'MS' (monthly), 'D' (daily) or 'h' (hourly), or "
            f"None when the frequency is unknown."
        ) from error
