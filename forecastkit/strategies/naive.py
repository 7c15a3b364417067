"""Naive forecasts from any origins: last value, last season, mean, drift (NumPy only).

The baselines of :class:`~forecastkit.estimators.naive.NaiveForecaster`, of
:func:`~forecastkit.backtest.backtest` and of ``Forecaster.evaluate``.
"""

from __future__ import annotations

import numpy as np

from forecastkit.exceptions import DataError

__all__ = ["NAIVE_STRATEGIES", "min_history", "naive_forecasts"]

NAIVE_STRATEGIES = ("last", "seasonal", "mean", "drift")


def min_history(strategy: str, season_length: int) -> int:
    """Fewest earlier steps a forecast origin needs under ``strategy``."""
    return {"last": 1, "seasonal": season_length, "mean": 1, "drift": 2}[strategy]


def naive_forecasts(
    values: np.ndarray,
    positions,
    horizon: int,
    *,
    strategy: str = "seasonal",
    season_length: int = 1,
) -> np.ndarray:
    """Naive forecasts ``(len(positions), horizon, n_columns)`` starting at each position.

    The forecast from origin ``o`` (its first step) uses ``values[:o]`` only: "last" repeats
    ``values[o - 1]``, "seasonal" repeats the last season ``values[o - m : o]``, "mean" repeats
    ``mean(values[:o])`` and "drift" extends the line from ``values[0]`` to ``values[o - 1]``.

    Parameters
    ----------
    values : ndarray of shape (n_steps, n_columns)
    positions : array of int
        Origins, each ``>= min_history`` (``m`` for "seasonal", 2 for "drift", else 1).
    horizon : int
    strategy : {"last", "seasonal", "mean", "drift"}
    season_length : int
        ``m``, used by "seasonal".

    Returns
    -------
    ndarray of shape (len(positions), horizon, n_columns), float64

    Examples
    --------
    >>> values = np.arange(6.0)[:, None]
    >>> naive_forecasts(values, [4, 6], 3, strategy="seasonal", season_length=2)[:, :, 0]
    array([[2., 3., 2.],
           [4., 5., 4.]])
    """
    values = np.asarray(values, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.int64).reshape(-1)
    m = int(season_length)
    need = min_history(strategy, m)
    if len(positions) and (positions.min() < need or positions.max() > len(values)):
        raise DataError(
            f"Naive strategy {strategy!r} needs {need} earlier step(s) before each origin and "
            f"origins within the {len(values)} steps; got origins from {int(positions.min())} "
            f"to {int(positions.max())}. Use a longer series or later origins."
        )
    h = np.arange(horizon)
    last = values[positions - 1]  # (n, n_columns)
    if strategy == "last":
        return np.repeat(last[:, None, :], horizon, axis=1)
    if strategy == "seasonal":
        rows = positions[:, None] - m + (h[None, :] % m)  # (n, horizon)
        return values[rows]
    if strategy == "mean":
        cumsum = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
        mean = cumsum[positions] / positions[:, None]
        return np.repeat(mean[:, None, :], horizon, axis=1)
    slope = (last - values[0]) / (positions[:, None] - 1)  # drift
    return last[:, None, :] + (h[None, :, None] + 1) * slope[:, None, :]
