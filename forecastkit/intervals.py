"""Split-conformal prediction intervals, one width per step ahead.

Split conformal prediction turns the errors of a fitted model on data it never trained on
(the calibration part) into intervals with a finite-sample coverage guarantee: if the
calibration errors and the future error are exchangeable, the interval
``forecast ± q`` covers the truth with probability at least ``level`` %, where ``q`` is the
``ceil((n + 1) * level / 100)``-th smallest of the ``n`` absolute calibration errors (the
``+ 1`` is the finite-sample correction; a plain empirical quantile undercovers for small
``n``). When ``ceil((n + 1) * level / 100) > n`` no calibration error is large enough, the
interval would be infinite, and this module refuses with an error naming the smallest ``n``
(:func:`min_calibration_size`).

A recursive forecast's error grows with the step ahead, so the rule is applied separately
to every step: ``residuals`` is an array ``(n_origins, horizon, n_targets)`` of
``actual - forecast`` from many forecast origins, with NaN where an origin's step falls
past the calibration data. The half-widths are then made non-decreasing over the steps
(a cumulative maximum): a forecast further ahead is never more certain than a nearer one
from the same origin, and a dip in the estimated quantile is sampling noise. This only
widens intervals, so the per-step guarantee is kept (slightly conservative).

Columns are named like the forecast they bound: ``y-lo-95`` and ``y-hi-95`` for target
``y``; in a long format (one row per series, one column per model) the same helper gives
``<model>-lo-95`` when passed the model name (:func:`interval_columns`).

Numpy only: no pandas index arithmetic, no Keras.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from numbers import Real

import numpy as np

from forecastkit.exceptions import DataError, ParameterError

__all__ = [
    "check_levels",
    "conformal_quantile",
    "format_level",
    "interval_columns",
    "min_calibration_size",
    "step_widths",
]


def check_levels(level) -> tuple[float, ...]:
    """Validate interval levels in percent; return them sorted, without repeats.

    Parameters
    ----------
    level : int, float or sequence of them
        Coverage in percent, each in [1, 100), e.g. ``95`` or ``(80, 95)``. Levels below 1
        are refused: they are almost always fractions meant as percents (0.95 for 95).

    Returns
    -------
    tuple of float
        The levels in increasing order.

    Raises
    ------
    ParameterError
        For an empty sequence, a non-number (bools included), NaN, or a level outside [1, 100).

    Examples
    --------
    >>> check_levels(95)
    (95.0,)
    >>> check_levels((95, 80, 80.0))
    (80.0, 95.0)
    """
    levels = list(level) if isinstance(level, Sequence | np.ndarray) else [level]
    if isinstance(level, str) or not levels:
        raise ParameterError(
            f"`level` must be a coverage in percent or a sequence of them, e.g. level=95 or "
            f"level=(80, 95); got level={level!r}."
        )
    for value in levels:
        if not isinstance(value, Real) or isinstance(value, bool | np.bool_):
            raise ParameterError(
                f"`level` must be a coverage in percent or a sequence of them, e.g. level=95 "
                f"or level=(80, 95); got level={level!r}."
            )
        if not 1.0 <= float(value) < 100.0:
            raise ParameterError(
                f"Each `level` must be a coverage in percent, at least 1 and below 100 (e.g. "
                f"95 for a 95% interval); got level={level!r}. Pass percents, not fractions: "
                "95, not 0.95."
            )
    return tuple(sorted({float(value) for value in levels}))


def format_level(level: float) -> str:
    """Write a level the way column names use it: no exponent, no trailing zeros.

    Examples
    --------
    >>> format_level(95.0), format_level(99.5), format_level(80)
    ('95', '99.5', '80')
    """
    return np.format_float_positional(float(level), trim="-")


def interval_columns(name: str, levels) -> list[str]:
    """Names of the lower and upper bound columns for ``name``, level by level.

    Parameters
    ----------
    name : str
        The forecast column the intervals belong to: a target name in the wide format
        (``y-lo-95``), or a model name in a long format (``<model>-lo-95``).
    levels : int, float or sequence of them
        See :func:`check_levels`.

    Returns
    -------
    list of str
        ``[name-lo-L1, name-hi-L1, name-lo-L2, ...]`` for the levels in increasing order.

    Examples
    --------
    >>> interval_columns("y", (95, 80))
    ['y-lo-80', 'y-hi-80', 'y-lo-95', 'y-hi-95']
    >>> interval_columns("Forecaster", 99.5)
    ['Forecaster-lo-99.5', 'Forecaster-hi-99.5']
    """
    return [
        f"{name}-{side}-{format_level(level)}"
        for level in check_levels(levels)
        for side in ("lo", "hi")
    ]


def _one_level(level) -> float:
    """Check one level (not a sequence)."""
    levels = check_levels(level)
    if len(levels) != 1 or isinstance(level, Sequence | np.ndarray):
        raise ParameterError(f"Pass one `level` here, e.g. level=95; got level={level!r}.")
    return levels[0]


def _fraction(level: float) -> Fraction:
    """Return the level as an exact fraction of one (95 -> 19/20), free of float rounding."""
    return Fraction(str(float(level))) / 100


def min_calibration_size(level: float) -> int:
    """Fewest calibration residuals that give a finite interval at ``level`` percent.

    The smallest ``n`` with ``ceil((n + 1) * level / 100) <= n``, i.e.
    ``n >= level / (100 - level)``.

    Examples
    --------
    >>> min_calibration_size(80), min_calibration_size(95), min_calibration_size(99)
    (4, 19, 99)
    """
    q = _fraction(_one_level(level))
    return max(1, math.ceil(q / (1 - q)))


def conformal_quantile(scores, level: float) -> np.ndarray:
    """Return the split-conformal quantile of ``scores`` along axis 0, ignoring NaN.

    For each column with ``n`` finite scores, the ``ceil((n + 1) * level / 100)``-th
    smallest (1-based) score.

    Parameters
    ----------
    scores : array-like of shape (n, ...)
        Non-conformity scores (e.g. absolute residuals), one row per calibration sample;
        NaN marks a missing score.
    level : float
        Coverage in percent, see :func:`check_levels`.

    Returns
    -------
    numpy.ndarray of shape scores.shape[1:]

    Raises
    ------
    DataError
        If a column has fewer finite scores than :func:`min_calibration_size` (its interval
        would be infinite).

    Examples
    --------
    With 9 scores, 80% takes the ceil(10 * 0.8) = 8th smallest, not the 7.2th:

    >>> float(conformal_quantile([1, 2, 3, 4, 5, 6, 7, 8, 9], 80))
    8.0
    """
    level = _one_level(level)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 0:
        raise ParameterError(
            f"`scores` must have at least one axis (one row per calibration sample); got a "
            f"scalar {scores!r}."
        )
    n = np.sum(~np.isnan(scores), axis=0)
    need = min_calibration_size(level)
    if np.any(n < need):
        raise DataError(
            f"{int(np.min(n))} calibration scores give no finite {format_level(level)}% "
            f"interval: the split-conformal rule takes the ceil((n + 1) * "
            f"{format_level(level)} / 100)-th smallest of n scores, which needs n >= {need}. "
            "Use more calibration data or a lower level."
        )
    q = _fraction(level)
    k = np.array([math.ceil((int(m) + 1) * q) for m in np.ravel(n)]).reshape(np.shape(n))
    ordered = np.sort(scores, axis=0)  # NaN sort last
    return np.take_along_axis(ordered, (k - 1)[None, ...], axis=0)[0]


def step_widths(residuals, levels) -> np.ndarray:
    """Interval half-widths per level, step ahead and target, non-decreasing over steps.

    Parameters
    ----------
    residuals : array-like of shape (n_origins, horizon, n_targets)
        ``actual - forecast`` of forecasts from ``n_origins`` calibration origins; NaN where
        an origin's step falls past the calibration data.
    levels : int, float or sequence of them
        See :func:`check_levels`.

    Returns
    -------
    numpy.ndarray of shape (n_levels, horizon, n_targets)
        Half-widths ``q``: the interval at step ``h`` is ``forecast ± q[level, h - 1]``,
        levels in increasing order. Each is the per-step conformal quantile of
        ``|residuals|``, then a cumulative maximum over steps.

    Raises
    ------
    DataError
        If a step has too few residuals for a level; the message names the step.

    Examples
    --------
    >>> r = np.array([[1.0, -3.0], [-2.0, 1.0], [4.0, np.nan], [0.5, np.nan]])[..., None]
    >>> step_widths(r, 50)[0, :, 0].tolist()  # step 2: ceil(3 * 0.5) = 2nd of (1, 3) = 3.0
    [2.0, 3.0]
    """
    levels = check_levels(levels)
    residuals = np.asarray(residuals, dtype=np.float64)
    if residuals.ndim != 3:
        raise ParameterError(
            f"`residuals` must have shape (n_origins, horizon, n_targets); got shape "
            f"{residuals.shape}."
        )
    scores = np.abs(residuals)
    n = np.sum(~np.isnan(scores), axis=0).min(axis=1)  # (horizon,) fewest over targets
    widths = []
    for level in levels:
        need = min_calibration_size(level)
        short = np.flatnonzero(n < need)
        if len(short):
            step = int(short[0]) + 1
            raise DataError(
                f"Step {step} ahead has {int(n[short[0]])} calibration residuals; a "
                f"{format_level(level)}% split-conformal interval needs at least {need} "
                f"(the ceil((n + 1) * {format_level(level)} / 100)-th smallest of n must "
                "exist). Use more calibration origins, a shorter horizon or a lower level."
            )
        widths.append(np.maximum.accumulate(conformal_quantile(scores, level), axis=0))
    return np.stack(widths)
