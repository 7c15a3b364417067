"""Chronological train / validation / test splits without leakage.

Rows ``[0, n_train)`` train, ``[n_train, n_train + n_val)`` validate, the last ``n_test``
rows test; an optional calibration part (for prediction intervals) sits between the
validation and test parts. A part holds every sample whose target steps all lie in its
rows, so no target is in two parts; input windows may reach back into earlier rows (those
are past values, known at prediction time, not leakage). The scaler is fitted on the
training rows only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.data.windows import make_windows
from forecastkit.exceptions import DataError, ParameterError

__all__ = [
    "MIN_SPLIT_VALIDATION",
    "Part",
    "SplitSizes",
    "Splits",
    "default_calibration",
    "make_splits",
    "part_windows",
    "split_sizes",
]

_LABEL_TYPES = (str, pd.Timestamp, pd.Period, dt.date, np.datetime64)


@dataclass(frozen=True)
class SplitSizes:
    """Number of time steps in each part; the parts are consecutive and cover the series.

    Train is rows ``[0, n_train)``, validation ``[n_train, n_train + n_val)``, calibration
    the ``n_calibration`` rows after the validation part (0 unless asked for), test the
    last ``n_test`` rows.

    Examples
    --------
    >>> SplitSizes(n_train=100, n_val=20, n_test=24).n_train
    100
    >>> SplitSizes(100, 20, 24, n_calibration=30)
    SplitSizes(n_train=100, n_val=20, n_test=24, n_calibration=30)
    """

    n_train: int
    n_val: int
    n_test: int
    n_calibration: int = 0

    def __repr__(self) -> str:
        """Show the calibration part only when there is one."""
        calibration = f", n_calibration={self.n_calibration}" if self.n_calibration else ""
        return (
            f"SplitSizes(n_train={self.n_train}, n_val={self.n_val}, "
            f"n_test={self.n_test}{calibration})"
        )


def split_sizes(
    n_steps: int,
    *,
    window: int,
    horizon: int,
    val_size=0.0,
    test_size=0.0,
    axis: TimeAxis | None = None,
    calibration_size=0.0,
) -> SplitSizes:
    """Resolve ``val_size``, ``test_size`` and ``calibration_size`` into numbers of time steps.

    Parameters
    ----------
    n_steps : int
        Length of the series.
    window, horizon : int
        Input and target steps per sample (both > 0).
    val_size, test_size : float, int or label, default 0.0
        A float in [0, 1) is a fraction of ``n_steps`` (rounded up); an int >= 0 a number of
        time steps; a label (str, Timestamp, Period) the first label of the part (needs
        ``axis``). On a range axis an integer label is given as a string, e.g. ``"120"``.
    axis : TimeAxis, optional
        Time axis of the series, to read labels.
    calibration_size : float, int or label, default 0.0
        A part between the validation and the test part (train | val | calibration | test),
        given like the others; a label is the first label of the calibration part, and
        then ``val_size`` as a label is the first label of the validation part before it.

    Returns
    -------
    SplitSizes

    Raises
    ------
    ParameterError
        For a bool, negative, too large or unreadable size, or a validation part that does
        not start before the test part.
    DataError
        If the series is too short: training needs ``window + horizon`` steps, a non-empty
        validation, calibration or test part ``horizon`` steps.

    Examples
    --------
    >>> split_sizes(144, window=24, horizon=1, val_size=0.1, test_size=24)
    SplitSizes(n_train=105, n_val=15, n_test=24)
    >>> split_sizes(144, window=24, horizon=1, val_size=0.1, test_size=24, calibration_size=30)
    SplitSizes(n_train=75, n_val=15, n_test=24, n_calibration=30)
    """
    n_steps = check_window(n_steps, name="n_steps")
    window, horizon = check_window(window), check_horizon(horizon)
    n_test = _resolve_size(test_size, "test_size", n_steps, n_steps, axis)
    n_cal = _resolve_size(calibration_size, "calibration_size", n_steps, n_steps - n_test, axis)
    n_val = _resolve_size(val_size, "val_size", n_steps, n_steps - n_test - n_cal, axis)
    # Name the calibration part in messages only when there is one (the common case has none).
    cal = bool(n_cal)
    if n_val + n_cal + n_test >= n_steps:
        names = "`val_size`, `calibration_size` and" if cal else "`val_size` and"
        given = f"calibration_size={calibration_size!r}, " if cal else ""
        taken = " + ".join(str(n) for n in ((n_val, n_cal, n_test) if cal else (n_val, n_test)))
        raise ParameterError(
            f"{names} `test_size` take {taken} of the {n_steps} time steps, leaving none to "
            f"train on; got val_size={val_size!r}, {given}test_size={test_size!r}. Use "
            "smaller sizes."
        )
    n_train = n_steps - n_val - n_cal - n_test
    parts = (n_val, n_cal, n_test)
    if n_train < window + horizon or any(0 < n < horizon for n in parts):
        need_val, need_cal, need_test = (max(n, horizon) if n else 0 for n in parts)
        need = window + horizon + need_val + need_cal + need_test
        counts = (
            f"{n_val} validation, {n_cal} calibration and {n_test} test steps"
            if cal
            else f"{n_val} validation and {n_test} test steps"
        )
        terms = f"{need_val} + {need_cal} + {need_test}" if cal else f"{need_val} + {need_test}"
        parts_named = "validation, calibration" if cal else "validation"
        raise DataError(
            f"The series is too short: window={window} and horizon={horizon} with {counts} "
            f"need at least {window} + {horizon} + {terms} = {need} time steps (training "
            f"needs window + horizon, each non-empty {parts_named} "
            f"or test part at least horizon), got {n_steps}. Use a smaller window, horizon, "
            f"val_size{', calibration_size' if cal else ''} or test_size, or a longer series."
        )
    return SplitSizes(n_train, n_val, n_test, n_cal)


def _resolve_size(size, argname: str, n_steps: int, end: int, axis: TimeAxis | None) -> int:
    """Return the number of time steps of a part that ends at position ``end``."""
    if isinstance(size, bool | np.bool_):
        pass
    elif isinstance(size, int | np.integer):
        if 0 <= size < n_steps:
            return int(size)
    elif isinstance(size, float | np.floating):
        if 0.0 <= size < 1.0:
            return math.ceil(size * n_steps)
    elif isinstance(size, _LABEL_TYPES):
        if axis is None:
            raise ParameterError(
                f"`{argname}` is a label ({size!r}), which needs the time axis of the series. "
                f"Pass `axis=`, or give {argname} as a fraction or a number of time steps."
            )
        start = axis.position(size)
        if 0 < start < end:
            return end - start
        raise ParameterError(
            f"`{argname}` {size!r} is at position {start}, outside the usable positions "
            f"1 .. {end - 1} (a validation part must start before the test part, and each "
            f"part after the first label). Pick a later or earlier label."
        )
    raise ParameterError(
        f"`{argname}` must be a fraction in [0, 1), a number of time steps in [0, {n_steps}) "
        f"or a label such as '2020-01-01'; got {argname}={size!r}. E.g. {argname}=0.2."
    )


@dataclass(frozen=True, eq=False)
class Part:
    """The samples of one part (train, validation or test).

    Attributes
    ----------
    X : numpy.ndarray of shape (n_samples, window, n_features)
        Scaled input windows, a read-only view.
    y : numpy.ndarray of shape (n_samples, horizon, n_targets)
        Scaled targets.
    index : pandas.Index
        Label of the first target step of each sample.
    start, stop : int
        The part's rows ``[start, stop)``; every target step lies in them.

    Examples
    --------
    >>> values = np.arange(10.0).reshape(10, 1)
    >>> part = part_windows(
    ...     values, start=6, stop=10, window=3, horizon=1, targets=[0],
    ...     axis=TimeAxis.from_length(10),
    ... )
    >>> part.X.shape, list(part.index)
    ((4, 3, 1), [6, 7, 8, 9])
    """

    X: np.ndarray
    y: np.ndarray
    index: pd.Index
    start: int
    stop: int


def part_windows(
    values: np.ndarray,
    *,
    start: int,
    stop: int,
    window: int,
    horizon: int,
    targets: Sequence[int] | None,
    axis: TimeAxis,
) -> Part:
    """All samples of ``values`` (n_steps, n_features) whose target steps lie in ``[start, stop)``.

    Inputs may reach back ``window`` steps before ``start``. For ``start < window`` (the
    training part), the first sample's first target is at position ``window``.

    Examples
    --------
    >>> part = part_windows(
    ...     np.zeros((8, 2)), start=0, stop=5, window=3, horizon=2, targets=[1],
    ...     axis=TimeAxis.from_length(8),
    ... )
    >>> part.X.shape, part.y.shape, list(part.index)
    ((1, 3, 2), (1, 2, 1), [3])
    """
    window, horizon = check_window(window), check_horizon(horizon, allow_zero=True)
    n_steps = np.shape(values)[0]
    if not 0 <= start <= stop <= n_steps:
        raise ParameterError(
            f"`start` and `stop` must satisfy 0 <= start <= stop <= n_steps={n_steps}; got "
            f"start={start}, stop={stop}. Pass rows inside the series."
        )
    lo = max(start - window, 0)
    X, y = make_windows(values[lo:stop], window, horizon, targets=targets)
    first = lo + window
    index = axis.labels(first, first + X.shape[0])
    return Part(X, y, index, int(start), int(stop))


@dataclass(frozen=True, eq=False)
class Splits:
    """Train, validation and test samples of one series, with what made them.

    Attributes
    ----------
    train, val, test : Part
        The three parts; an empty part has 0 samples and the right trailing shapes.
    scaler : SeriesScaler
        Fitted on the training rows ``[0, n_train)`` only.
    values : numpy.ndarray of shape (n_steps, n_features)
        Scaled values of the whole series, float32.
    axis : TimeAxis
    names : tuple of str
    targets : tuple of int
    sizes : SplitSizes

    Examples
    --------
    >>> splits = make_splits(np.sin(np.arange(100) / 5), window=10, val_size=0.2)
    >>> splits.train.X.shape, splits.val.X.shape, splits.test.X.shape
    ((70, 10, 1), (20, 10, 1), (0, 10, 1))
    """

    train: Part
    val: Part
    test: Part
    scaler: SeriesScaler
    values: np.ndarray
    axis: TimeAxis
    names: tuple[str, ...]
    targets: tuple[int, ...]
    sizes: SplitSizes


def make_splits(
    y,
    window: int,
    horizon: int = 1,
    *,
    val_size=0.2,
    test_size=0.0,
    target=None,
    scaler=None,
    freq=None,
) -> Splits:
    """Check, scale and window a series into chronological train / validation / test parts.

    Parameters
    ----------
    y : pandas.Series, pandas.DataFrame or numpy.ndarray
        The series; see :func:`~forecastkit.data.check_series`.
    window : int
        Input steps per sample.
    horizon : int, default 1
        Target steps per sample.
    val_size, test_size : float, int or label
        Size of the validation and test parts; see :func:`split_sizes`.
    target : str, int or list, optional
        Column(s) to predict; needed when ``y`` has several columns.
    scaler : scikit-learn transformer, optional
        Cloned and fitted on the training rows only; None means StandardScaler.
    freq : str or pandas.DateOffset, optional
        Frequency of a DatetimeIndex, if pandas cannot infer it.

    Returns
    -------
    Splits

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series(
    ...     np.arange(48.0), index=pd.date_range("2020-01-01", periods=48, freq="MS")
    ... )
    >>> splits = make_splits(y, window=12, val_size=0.25, test_size=6)
    >>> splits.sizes
    SplitSizes(n_train=30, n_val=12, n_test=6)
    >>> str(splits.test.index[0].date())
    '2023-07-01'
    """
    window, horizon = check_window(window), check_horizon(horizon)
    checked = check_series(y, target=target, freq=freq)
    n_steps = checked.values.shape[0]
    sizes = split_sizes(
        n_steps,
        window=window,
        horizon=horizon,
        val_size=val_size,
        test_size=test_size,
        axis=checked.axis,
    )
    fitted = SeriesScaler(scaler, targets=checked.targets, n_features=len(checked.names))
    fitted.fit(checked.values[: sizes.n_train])
    values = fitted.transform(checked.values)
    bounds = (0, sizes.n_train, sizes.n_train + sizes.n_val, n_steps)
    train, val, test = (
        part_windows(
            values,
            start=lo,
            stop=hi,
            window=window,
            horizon=horizon,
            targets=checked.targets,
            axis=checked.axis,
        )
        for lo, hi in itertools.pairwise(bounds)
    )
    return Splits(
        train, val, test, fitted, values, checked.axis, checked.names, checked.targets, sizes
    )


#: Validation steps from which, with no ``calibration_size``, the validation part is split in
#: two: early stopping on the first half, interval calibration on the second (see
#: :func:`default_calibration`).
MIN_SPLIT_VALIDATION = 1000


def default_calibration(sizes: SplitSizes, horizon: int = 1) -> SplitSizes:
    """Split the validation part for honest default intervals (no ``calibration_size``).

    Prediction intervals calibrate on forecast errors of data the network never trained
    on. With no ``calibration_size`` that is the validation part, but early stopping picked
    the epoch that did best there, so its errors are optimistic and the intervals
    under-cover on average. When the validation part has at least
    :data:`MIN_SPLIT_VALIDATION` steps (a series of about 10,000 steps at ``val_size=0.1``),
    its second half becomes the calibration part, which early stopping never sees; its first
    half early-stops. The network trains on exactly the same rows, so the point forecasts
    lose nothing but half of the early-stopping data. Shorter validation parts are kept
    whole: halving them doubles the variance of the coverage one fit gets (about
    ``L (100 - L) / n`` squared points from ``n`` origins), which on short series outweighed
    the small bias the split removes (docs/benchmarks.md, "Default interval coverage").

    Parameters
    ----------
    sizes : SplitSizes
        A split without a calibration part.
    horizon : int, default=1
        Target steps per sample: each half must hold at least this many.

    Returns
    -------
    SplitSizes

    Examples
    --------
    >>> default_calibration(SplitSizes(n_train=9000, n_val=1001, n_test=0))
    SplitSizes(n_train=9000, n_val=501, n_test=0, n_calibration=500)
    >>> default_calibration(SplitSizes(n_train=2000, n_val=300, n_test=0))
    SplitSizes(n_train=2000, n_val=300, n_test=0)
    """
    n_val = sizes.n_val
    if sizes.n_calibration or n_val < max(MIN_SPLIT_VALIDATION, 2 * horizon):
        return sizes
    n_cal = n_val // 2
    return SplitSizes(sizes.n_train, n_val - n_cal, sizes.n_test, n_calibration=n_cal)
