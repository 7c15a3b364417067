"""Split-conformal calibration of a Forecaster's intervals, per series, batched across series.

Each series calibrates on its own part that the network never trained on: its calibration
part when ``calibration_size`` was set, else its validation part. Its forecast errors from
every origin of that part come from one batched call for all series
(:func:`~forecastkit.estimators._context.multi_step`), are cached on the series' state
(and saved with the model), and give one half-width per step ahead and level
(:func:`~forecastkit.intervals.step_widths`).

Which part calibrates (:func:`calibration_part`): the calibration part when there is one.
With the default ``calibration_size=None``, a validation part of at least
:data:`~forecastkit.data.splits.MIN_SPLIT_VALIDATION` steps is split at fit time
(:func:`~forecastkit.data.splits.default_calibration`): early stopping uses its first half
and its second half is the calibration part, so the intervals calibrate on errors that
neither training nor the choice of the epoch saw. A shorter validation part (or
``calibration_size=0``) calibrates on the whole validation part, whose errors early stopping
made slightly optimistic.

Scale: where a series' target transform takes logs, the errors are log errors,
``log(actual) - log(forecast)``, and the bounds are ``forecast * exp(-q)`` and
``forecast * exp(q)`` (multiplicative: asymmetric, always positive, and their width follows
the level of the forecast); other targets get ``forecast -/+ q`` in their own units
(:func:`log_targets`, :func:`bounds`).
"""

from __future__ import annotations

import numpy as np

from forecastkit.estimators._context import Job, multi_step
from forecastkit.estimators._state import SeriesState
from forecastkit.exceptions import DataError, ParameterError
from forecastkit.intervals import format_level, min_calibration_size, step_widths

__all__ = ["bounds", "calibration_part", "interval_widths", "log_targets"]


def log_targets(state: SeriesState) -> np.ndarray:
    """Per target: True where the intervals are on the log scale (the transform takes logs)."""
    return np.asarray(state.transform.log, dtype=bool) & bool(state.log_intervals)


def bounds(point, widths, log) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds ``(n_levels, horizon, n_targets)`` around ``point``.

    ``point`` is ``(horizon, n_targets)``, ``widths`` the half-widths ``(n_levels,
    horizon, n_targets)`` of :func:`interval_widths`, ``log`` the flags of
    :func:`log_targets`: additive ``point -/+ q``, or ``point * exp(-/+ q)`` on the log
    scale.

    Examples
    --------
    >>> lo, hi = bounds(np.array([[10.0, 10.0]]), np.full((1, 1, 2), np.log(2)), [False, True])
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([[[9.307, 5.0]]], [[[10.693, 20.0]]])
    """
    point = np.asarray(point, dtype=np.float64)[None]
    widths = np.asarray(widths, dtype=np.float64)
    log = np.asarray(log, dtype=bool)
    lo = np.where(log, point * np.exp(-widths), point - widths)
    hi = np.where(log, point * np.exp(widths), point + widths)
    return lo, hi


def calibration_part(state: SeriesState) -> tuple[int, int]:
    """Rows ``[start, stop)`` whose forecast errors calibrate the intervals of a series."""
    n_train, n_val = state.sizes[0], state.sizes[1]
    if state.n_calibration:
        return n_train + n_val, n_train + n_val + state.n_calibration
    if n_val == 0:
        raise ParameterError(
            "Prediction intervals need data the network never trained on, but this "
            "Forecaster was fitted with val_size=0 and no calibration part. Refit with "
            "calibration_size > 0 (e.g. calibration_size=0.2) or val_size > 0."
        )
    return n_train, n_train + n_val


def _check_long_enough(
    uid, state: SeriesState, horizon: int, top: float, many: bool, default: bool
) -> None:
    start, stop = calibration_part(state)
    need = min_calibration_size(top) + horizon - 1
    if stop - start >= need:
        return
    if state.n_calibration and default:
        part = (
            f"calibration part (the second half of the validation part, split off by "
            f"default as no calibration_size was set; calibration_size=0 keeps the "
            f"validation part whole) has {stop - start} steps"
        )
    elif state.n_calibration:
        part = f"calibration part has {stop - start} steps"
    else:
        part = (
            f"validation part (the calibration data, as no calibration_size was set) "
            f"has {stop - start} steps"
        )
    raise DataError(
        f"{f'Series {uid!r}: its ' if many else 'The '}{part}; {format_level(top)}% intervals "
        f"over horizon={horizon} need at least {need}: step {horizon} ahead has forecasts "
        f"from only {max(stop - start - horizon + 1, 0)} origins in the part (its steps "
        f"minus {horizon - 1}), and a {format_level(top)}% split-conformal interval needs "
        f"{min_calibration_size(top)}. Refit with calibration_size={need} or more (a longer "
        "series if it is short), or use a shorter horizon or a lower level."
    )


def _residual_job(net, state: SeriesState, horizon: int) -> tuple[Job, np.ndarray, int]:
    """Return the job forecasting from every origin of the part, and the rows they cover."""
    start, stop = calibration_part(state)
    origins = np.arange(start, stop)
    rows = origins[:, None] + np.arange(horizon)[None, :]  # (n_origins, horizon)
    # Steps past the part read the part's last row instead: fillers for the masked steps
    # (a recursive step only sees covariates of earlier steps).
    filled = np.minimum(rows, stop - 1)
    others = net._covariate_columns
    cov = state.values[:, others][filled] if others else None
    return Job(state, state.values, origins, 0, cov), rows, stop


def _compute_residuals(net, states: list[SeriesState], horizon: int) -> None:
    """Fill ``state.calibration`` ``(n_origins, horizon, n_targets)`` of each state."""
    made = [_residual_job(net, state, horizon) for state in states]
    preds = multi_step(net, [job for job, _, _ in made], horizon)
    targets = list(net.targets_)
    for state, (_, rows, stop), pred in zip(states, made, preds, strict=True):
        filled = np.minimum(rows, stop - 1)
        actual = state.values[:, targets][filled].astype(np.float64)
        pred = np.asarray(pred, dtype=np.float64)
        log = log_targets(state)
        if log.any():  # log errors: logged targets are positive, their forecasts too
            with np.errstate(divide="ignore", invalid="ignore"):
                actual[..., log] = np.log(actual[..., log])
                pred[..., log] = np.log(pred[..., log])
        error = actual - pred
        state.calibration = np.where((rows < stop)[..., None], error, np.nan)


def interval_widths(net, states: dict, horizon: int, levels: tuple[float, ...]) -> dict:
    """Half-widths ``(n_levels, horizon, n_targets)`` per series id, non-decreasing in steps.

    Computes (in one batched call) and caches the calibration errors of the series that
    have none for this horizon yet; a longer horizon recomputes.
    """
    many = len(states) > 1
    for uid, state in states.items():
        _check_long_enough(uid, state, horizon, levels[-1], many, net.calibration_size is None)
    stale = [
        s for s in states.values() if s.calibration is None or s.calibration.shape[1] < horizon
    ]
    if stale:
        _compute_residuals(net, stale, horizon)
    return {
        uid: step_widths(state.calibration[:, :horizon], levels) for uid, state in states.items()
    }
