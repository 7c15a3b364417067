"""Context windows: from per-series rows to one batched network call and back to levels.

The only place where a Forecaster turns rows in original units into network inputs for
prediction, and network outputs back into levels. Every prediction (forecast, one-step,
calibration, evaluation, backtest) is a list of :class:`Job` (one per series: its rows and
the positions to predict at), served by ONE network call over all jobs: a single series is
a list of one job. Per series: the last ``window`` (+ ``diff``) rows before each position
are seasonally adjusted, transformed and scaled with that series' own state (so the cost
does not grow with the history), the windows of all series are stacked, and the
predictions are split again, unscaled, un-transformed from the anchor before each position
and re-seasoned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecastkit.data.scaling import transform_and_scale
from forecastkit.data.windows import make_windows
from forecastkit.estimators._state import SeriesState
from forecastkit.exceptions import DataError
from forecastkit.strategies import STRATEGIES, one_step

__all__ = [
    "Job",
    "compiled_network",
    "context_rows",
    "multi_step",
    "one_step_predictions",
    "warm_up",
]


def compiled_network(model, targets, strategy: str) -> tuple:
    """Return ``(predict_fn, recursion)``, the compiled calls of a Forecaster's network.

    ``predict_fn`` maps windows to the network's outputs (:class:`CompiledPredict`);
    ``recursion`` forecasts from windows: the window recursion of a one-step network
    (:class:`CompiledRecursion`), or the state-carrying one of a ``"seq2seq"`` network
    (:class:`StateRecursion`; a ValueError for a network that is not one). Nothing runs
    here: both trace at their first call.
    """
    from forecastkit.models.compiled import CompiledPredict, CompiledRecursion, StateRecursion

    if strategy == "seq2seq":
        return CompiledPredict(model), StateRecursion(model, targets)
    return CompiledPredict(model), CompiledRecursion(model, targets)


def warm_up(net, *, loaded: bool = False) -> None:
    """Compile what a Forecaster's first forecasts need, so that they run warm.

    Called at the end of ``fit`` and of ``load``. ``"recursive"``: the XLA program of
    batches of 1 window, and for a fit of several series the one of 32 (many series), each
    serving every horizon (:class:`~forecastkit.models.compiled.CompiledRecursion`); a
    one-series fit compiles the program of 32 (backtest origins, interval calibration) at
    its first such call, since most one-series fits (local models, grid searches) never
    make one. At the end of ``fit`` of 32+ series also the unrolled program of exactly that
    many windows (the forecast of every series: 2x faster warm, about 8 s more in ``fit``);
    not at ``load`` (``loaded=True``), which stays within seconds.
    ``"seq2seq"``: the trace of the state recursion (one graph for every shape).
    ``"direct"``: nothing (compiled at first call).
    Costs about 2 s per XLA program on one CPU core for one LSTM(32)
    (``docs/benchmarks.md``, "Forecast speed and cold start").
    """
    if net.strategy == "seq2seq":
        net._recursion.warm_up(net.window_)
    elif net.strategy == "recursive":
        batches = (1,) if net.n_series_ == 1 else (1, 32)
        unrolled = (net.n_series_,) if net.n_series_ >= 32 and not loaded else ()
        net._recursion.warm_up(batches, net.window_, unrolled=unrolled)


def _one_step_position(net) -> int:
    """Output step of ``predict_fn`` that predicts the step after a window.

    A one-step or direct network outputs the steps after the window (the first is the
    next one); a sequence network the next value at every position (the last is after
    the window).
    """
    return -1 if net.strategy == "seq2seq" else 0


@dataclass(frozen=True, eq=False)
class Job:
    """Predictions wanted from one series.

    Attributes
    ----------
    state : SeriesState
        The fitted state of the series (transform, scaler, adjustment).
    values : numpy.ndarray of shape (n_steps, n_features)
        Rows in original units holding the context of every position.
    positions : numpy.ndarray of int
        Row numbers in ``values`` to predict at (a forecast starts there).
    phase : int
        Absolute position of ``values[0]`` counted from the fitted start (for the seasonal
        adjustment's calendar).
    covariates : numpy.ndarray or None
        Known future covariates ``(len(positions), horizon, n_covariates)``, original units.
    """

    state: SeriesState
    values: np.ndarray
    positions: np.ndarray
    phase: int = 0
    covariates: np.ndarray | None = None


def context_rows(job: Job, window: int):
    """Return the rows that predictions at ``job.positions`` read, and positions within them.

    Also returns the absolute position of the first row. Forecasts read only the last
    ``window`` (+ ``diff``) steps before each position, so transforming and scaling just
    those rows keeps the cost of a forecast independent of the history length (what makes
    ``update`` + ``forecast`` cheap).
    """
    d = job.state.transform.diff
    values, positions, phase = job.values, np.asarray(job.positions), int(job.phase)
    lo = int(positions.min()) - d - window if len(positions) else 0
    if lo > 0:
        values, positions, phase = values[lo : int(positions.max())], positions - lo, phase + lo
    return values, positions, phase


def _inputs(net, job: Job):
    """Scaled input windows of a job, and the context rows, positions and phase they use."""
    state, window = job.state, net.window_
    d = state.transform.diff
    values, positions, phase = context_rows(job, window)
    if state.adjustment is not None:
        values = state.adjustment.remove(values, net.targets_, start=phase)
    starts = positions - d - window
    if len(starts) and starts.min() < 0:
        raise DataError(
            f"Position {int(positions.min())} has fewer than window={window} (+{d} for "
            f"differencing) earlier steps; predictions start at step {window + d}."
        )
    scaled = transform_and_scale(values, state.transform, list(net.targets_), state.scaler)
    windows = make_windows(scaled, window, 0)[0][starts]
    return windows, values, positions, phase


def _to_levels(net, job: Job, pred, values, positions, phase) -> np.ndarray:
    """Scaled transformed predictions ``(n, h, t)`` -> original units and season."""
    state = job.state
    z = state.scaler.inverse_transform_targets(pred)
    anchor = state.transform.levels(values, net.targets_)[np.asarray(positions) - 1]
    levels = state.transform.inverse(z, anchor)
    if state.adjustment is None:
        return levels
    return state.adjustment.restore(levels, positions + phase)


def _scaled_covariates(net, job: Job, n: int, horizon: int) -> np.ndarray:
    """Return the job's future covariates scaled with its scaler ``(n, horizon, n_covariates)``."""
    others = net._covariate_columns
    n_cov = len(others)
    if n_cov == 0:
        return np.zeros((n, horizon, 0), np.float32)
    rows = np.zeros((n * horizon, len(net.names_)), np.float32)
    rows[:, others] = np.asarray(job.covariates, np.float32).reshape(-1, n_cov)
    return job.state.scaler.transform(rows)[:, others].reshape(n, horizon, n_cov)


def _split(pred: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    return np.split(pred, np.cumsum(counts)[:-1]) if counts else []


def multi_step(net, jobs: list[Job], horizon: int) -> list[np.ndarray]:
    """Forecasts ``(len(job.positions), horizon, n_targets)`` per job, in one network call.

    ``net`` is a fitted Forecaster (its window, columns, strategy and compiled network):
    ``"direct"`` reads the steps off the network's output, ``"recursive"`` and ``"seq2seq"``
    feed predictions back in ``net._recursion`` (see :func:`compiled_network`).
    """
    if not jobs:
        return []
    prepared = [_inputs(net, job) for job in jobs]
    counts = [len(p[0]) for p in prepared]
    windows = np.concatenate([p[0] for p in prepared])
    if net.strategy == "direct":
        pred = STRATEGIES["direct"](net._predict_fn, windows, horizon)
    else:
        cov = np.concatenate(
            [_scaled_covariates(net, job, k, horizon) for job, k in zip(jobs, counts, strict=True)]
        )
        pred = net._recursion(windows, horizon, cov)
    return [
        _to_levels(net, job, part, *p[1:])
        for job, part, p in zip(jobs, _split(pred, counts), prepared, strict=True)
    ]


def one_step_predictions(net, jobs: list[Job]) -> list[np.ndarray]:
    """Teacher-forced one-step predictions ``(len(job.positions), n_targets)`` per job."""
    if not jobs:
        return []
    prepared = [_inputs(net, job) for job in jobs]
    counts = [len(p[0]) for p in prepared]
    windows = np.concatenate([p[0] for p in prepared])
    position = _one_step_position(net)
    pred = one_step(lambda x: net._predict_fn(x)[:, position, :], windows)
    return [
        _to_levels(net, job, part, *p[1:])[:, 0, :]
        for job, part, p in zip(jobs, _split(pred, counts), prepared, strict=True)
    ]
