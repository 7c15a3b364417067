"""Per-series fitted state of a Forecaster, for one series or many (a panel of one is a panel).

A fit turns every checked series (one for ``fit(series)``, one per id for a long frame)
into a :class:`SeriesState`: its values in original units, time axis, chronological split,
seasonal adjustment, target transform and scaler, each chosen from that series' own
training part. :func:`build_states` makes the choices that the series share (the window,
whether to difference: one network cannot mix levels and differences) and reports every
series that is too short at once. Nothing here touches the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from forecastkit.data import transforms
from forecastkit.data.scaling import SeriesScaler, fit_transformed, transform_and_scale
from forecastkit.data.seasonality import season_cycle, season_length
from forecastkit.data.splits import default_calibration, split_sizes
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.transforms import (
    SeasonalAdjustment,
    TargetTransform,
    choose_transform,
    fit_seasonal_adjustment,
    redecide_diff,
)
from forecastkit.data.validation import CheckedSeries, check_horizon, check_window
from forecastkit.data.windows import default_window
from forecastkit.exceptions import DataError, ParameterError

__all__ = ["SeriesState", "build_states", "check_log_positive", "training_parts"]


@dataclass(eq=False)
class SeriesState:
    """What a Forecaster keeps for one fitted series.

    Attributes
    ----------
    values : numpy.ndarray of shape (n_steps, n_features)
        The series (float32, original units), a view of a buffer that :meth:`append` grows.
    axis : TimeAxis
        Its own time axis (start, length and frequency).
    transform : TargetTransform
        Its target transform (logs chosen from its own training part).
    scaler : SeriesScaler
        Fitted on its own training part only.
    sizes : tuple of int
        ``(n_train, n_val, n_test)`` steps.
    season_length : int
        Season of its frequency (1 when none is known).
    adjustment : SeasonalAdjustment or None
        Seasonal indices removed before the transform.
    n_calibration : int
        Steps of its calibration part (between validation and test; 0: none).
    calibration : numpy.ndarray or None
        Cached forecast errors over the calibration part, ``(n_origins, horizon,
        n_targets)``, NaN past the part (see :mod:`forecastkit.estimators._calibration`).
    log_intervals : bool
        Intervals of logged targets on the log scale (False only for models saved before
        log-scale intervals, which keep their additive intervals).
    """

    values: np.ndarray
    axis: TimeAxis
    transform: TargetTransform
    scaler: SeriesScaler
    sizes: tuple[int, int, int]
    season_length: int
    adjustment: SeasonalAdjustment | None = None
    n_calibration: int = 0
    calibration: np.ndarray | None = None
    log_intervals: bool = True
    _buffer: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_fitted(self) -> int:
        """Steps of the fitted series (train, validation, calibration, test parts)."""
        return sum(self.sizes) + self.n_calibration

    @property
    def n_seen(self) -> int:
        """Steps the fit used (training, validation, calibration); later ones are unseen."""
        return self.sizes[0] + self.sizes[1] + self.n_calibration

    def append(self, new: np.ndarray) -> None:
        """Append rows after the series in amortised O(len(new)) (the buffer doubles)."""
        n, k = len(self.values), len(new)
        buffer = self.values if self._buffer is None else self._buffer
        if n + k > len(buffer) or not buffer.flags.writeable:
            grown = np.empty((max(2 * len(buffer), n + k), self.values.shape[1]), np.float32)
            grown[:n] = self.values
            buffer = grown
        buffer[n : n + k] = new
        self._buffer = buffer
        self.values = buffer[: n + k]
        self.axis = self.axis.extend(k)

    def copy(self) -> SeriesState:
        """Return a state of its own (values shared until one of them appends)."""
        return replace(self, _buffer=None)


def check_log_positive(values, transform, targets, axis, *, start: int) -> None:
    """Refuse non-positive values of target columns that the model takes logs of."""
    logged = [t for t, log in zip(targets, transform.log, strict=True) if log]
    if not logged:
        return
    bad = np.flatnonzero(~(np.asarray(values)[:, logged] > 0).all(axis=1))
    if len(bad):
        label = axis.labels(start + int(bad[0]), start + int(bad[0]) + 1)[0]
        raise DataError(
            f"The model takes logs of the target (its transform, chosen from the training "
            f"part, is {transform}), but the value at {label!r} is not positive. Use "
            "target_transform='diff' or 'none' for a series that can reach zero."
        )


@dataclass(frozen=True)
class _Choices:
    """Per-series choices before the shared decision on differencing."""

    checked: CheckedSeries
    season: int
    sizes: object
    transform: TargetTransform
    adjustment: SeasonalAdjustment | None
    adjusted: np.ndarray


#: The cycles that ``seasonal_adjustment="auto"`` removes: the yearly season of monthly,
#: quarterly and weekly data, the weekly cycle of daily data, the daily cycle of hourly data
#: (the kinds of the real-series benchmark, docs/benchmarks.md). "always" removes any season.
AUTO_CYCLES = frozenset({"year", "week", "day"})


def _adjust_season(est, values, targets, season, n_train, transform, cycle):
    """Fit the seasonal adjustment on the training rows; return it and the adjusted rows.

    ``(None, values)`` when ``seasonal_adjustment`` rules it out ("none"; "auto" for a cycle
    outside :data:`AUTO_CYCLES`), or the series has no season or too short a training part.
    """
    mode = est.seasonal_adjustment
    if mode == "none" or (mode == "auto" and cycle not in AUTO_CYCLES):
        return None, values
    adjustment = fit_seasonal_adjustment(
        values[:n_train],
        targets,
        season_length=season,
        multiplicative=transform.log,
        cycles=transforms.SEASON_CYCLES,
    )
    if adjustment is None:
        return None, values
    return adjustment, adjustment.remove(values, targets)


def _label(uid, many: bool) -> str:
    return f"Series {uid!r}: " if many else ""


def build_states(
    est, parts: Sequence[tuple[object, CheckedSeries]], targets: Sequence[int]
) -> tuple[dict, dict, int, int, int]:
    """Split, adjust, transform and scale every series from its own training part.

    Differencing is one choice for all series (a network cannot mix levels and
    differences): with ``target_transform="auto"`` the series vote, each by the KPSS test on
    its own (seasonally adjusted) training part, and the majority wins (ties: none); logs
    and seasonal adjustment stay per series. ``window=None`` takes :func:`default_window`
    of the most common season length (ties: the longer) and the median series length. A
    single series is the same computation with one vote.

    Returns
    -------
    states : dict
        Series id -> :class:`SeriesState`, in the order of ``parts``.
    adjusted : dict
        Series id -> its rows seasonally adjusted (the values themselves when not), the
        input of :func:`training_parts`.
    window, out_steps, season : int
        The window, the steps the network outputs, and the most common season length.
    """
    many = len(parts) > 1
    seasons = [season_length(checked.axis.freq) for _, checked in parts]
    counts = Counter(seasons)
    common = max(counts, key=lambda m: (counts[m], m))
    if est.window is None:
        window = default_window(common, int(np.median([len(c.values) for _, c in parts])))
    else:
        window = check_window(est.window)
    out_steps = check_horizon(est.horizon) if est.strategy == "direct" else 1
    calibration = 0 if est.calibration_size is None else est.calibration_size

    choices, short = {}, {}
    for (uid, checked), m in zip(parts, seasons, strict=True):
        values, axis = checked.values, checked.axis
        try:
            sizes = split_sizes(
                len(values),
                window=window,
                horizon=out_steps,
                val_size=est.val_size,
                test_size=est.test_size,
                axis=axis,
                calibration_size=calibration,
            )
            if est.calibration_size is None:
                sizes = default_calibration(sizes, out_steps)
        except DataError:
            if not many:
                raise
            short[uid] = len(values)
            continue
        except ParameterError as err:
            if not many:
                raise
            raise ParameterError(f"{_label(uid, many)}{err}") from err
        try:
            transform = choose_transform(
                values[: sizes.n_train], targets, season_length=m, mode=est.target_transform
            )
            check_log_positive(values, transform, targets, axis, start=0)
        except (DataError, ParameterError) as err:
            if not many:
                raise
            raise type(err)(f"{_label(uid, many)}{err}") from err
        adjustment, adjusted = _adjust_season(
            est, values, targets, m, sizes.n_train, transform, season_cycle(axis.freq)
        )
        if adjustment is not None and est.target_transform == "auto":
            transform = redecide_diff(adjusted[: sizes.n_train], targets, transform)
        choices[uid] = _Choices(checked, m, sizes, transform, adjustment, adjusted)

    votes = [c.transform.diff for c in choices.values()]
    diff = int(2 * sum(votes) > len(votes)) if votes else 0
    for uid, c in choices.items():
        if c.sizes.n_train - diff < window + out_steps:
            if not many:
                raise DataError(
                    f"The training part has {c.sizes.n_train} steps; differencing the target "
                    f"uses {diff}, and window={window} + horizon={out_steps} need "
                    f"{window + out_steps} more. Use a shorter window, a smaller "
                    "val_size/test_size, or target_transform='none'."
                )
            short[uid] = len(c.checked.values)
    if short:
        raise DataError(_too_short_message(est, short, window, out_steps, diff, len(parts)))

    states, adjusted = {}, {}
    for uid, c in choices.items():
        transform = replace(c.transform, diff=diff)
        scaler = SeriesScaler(est.scaler, targets=targets, n_features=c.checked.values.shape[1])
        fit_transformed(scaler, c.adjusted[: c.sizes.n_train], transform, targets)
        states[uid] = SeriesState(
            values=c.checked.values,
            axis=c.checked.axis,
            transform=transform,
            scaler=scaler,
            sizes=(c.sizes.n_train, c.sizes.n_val, c.sizes.n_test),
            season_length=c.season,
            adjustment=c.adjustment,
            n_calibration=c.sizes.n_calibration,
        )
        adjusted[uid] = c.adjusted
    return states, adjusted, window, out_steps, common


def training_parts(states: dict, adjusted: dict, window: int, targets: Sequence[int]):
    """Training and validation rows of every series for ``make_training_data``.

    Returns ``(train_parts, val_parts, prepare, lag)``. One series: its (seasonally
    adjusted) rows in original units, with ``prepare`` (transform and scale) applied whole
    in memory or a batch at a time when streamed, so no scaled copy of a long series is
    made. Several series: each series' rows prepared with its own transform and scaler
    (``prepare`` None), since a streamed batch mixes series.
    """
    train, val, prepares = [], [], []
    for uid, state in states.items():
        rows = adjusted[uid]
        d = state.transform.diff
        n_train, n_fit = state.sizes[0] - d, state.sizes[0] + state.sizes[1] - d
        # Scaled row i comes from rows i..i+d: the scaled parts are [:n_train] (training)
        # and [n_train - window:n_fit] (validation windows), i.e. these rows, prepared.
        train.append(rows[: n_train + d])
        val.append(rows[max(n_train - window, 0) : n_fit + d])
        prepares.append(
            partial(
                transform_and_scale,
                transform=state.transform,
                targets=list(targets),
                scaler=state.scaler,
            )
        )
    lag = next(iter(states.values())).transform.diff
    if len(states) == 1:
        return train[0], val[0], prepares[0], lag
    return (
        [p(part) for p, part in zip(prepares, train, strict=True)],
        [p(part) for p, part in zip(prepares, val, strict=True)],
        None,
        0,
    )


def _too_short_message(est, short: dict, window: int, out_steps: int, diff: int, n: int) -> str:
    """DataError text naming the series that are too short, and the length they need."""
    listed = ", ".join(f"{uid!r} ({n_steps} steps)" for uid, n_steps in list(short.items())[:20])
    more = f" and {len(short) - 20} more" if len(short) > 20 else ""
    need = _min_length(est, window, out_steps, diff)
    keep = (
        f"drop them, e.g. `frame.groupby({est.id_col!r}).filter(lambda g: len(g) >= {need})`, "
        if need
        else "drop them, "
    )
    return (
        f"{len(short)} of {n} series are too short for window={window} + horizon={out_steps}"
        f"{' + 1 (differencing)' if diff else ''} training steps plus their validation and "
        f"test parts (val_size={est.val_size!r}, test_size={est.test_size!r}): {listed}{more}. "
        f"Either {keep}or use a smaller window / val_size / test_size."
    )


def _min_length(est, window: int, out_steps: int, diff: int) -> int | None:
    """Shortest series length that passes the split checks, or None for label sizes."""
    calibration = 0 if est.calibration_size is None else est.calibration_size
    for n_steps in range(window + out_steps + diff, 100 * (window + out_steps + diff) + 1000):
        try:
            s = split_sizes(
                n_steps,
                window=window,
                horizon=out_steps,
                val_size=est.val_size,
                test_size=est.test_size,
                calibration_size=calibration,
            )
        except DataError:
            continue
        except ParameterError:
            return None
        if s.n_train - diff >= window + out_steps:
            return n_steps
    return None
