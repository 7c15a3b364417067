"""Checks at the door: user input becomes a float32 array plus a :class:`TimeAxis`.

This is the one coercion point of forecastkit. Everything after it works on a
C-contiguous float32 array of shape (n_steps, n_features) whose columns keep the input's
order, a tuple of column names, the positions of the target columns, and the time axis.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecastkit.data.time_axis import TimeAxis
from forecastkit.exceptions import ConstantSeriesWarning, DataError, ParameterError

__all__ = ["CheckedSeries", "check_horizon", "check_number", "check_series", "check_window"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


class CheckedSeries(NamedTuple):
    """A validated series: values, time axis, column names and target positions.

    Attributes
    ----------
    values : numpy.ndarray of shape (n_steps, n_features)
        float32, C-contiguous, finite; columns in the input's order.
    axis : TimeAxis
        The time axis of the rows.
    names : tuple of str
        One name per column of ``values``.
    targets : tuple of int
        Positions in ``names`` of the column(s) to predict.

    Examples
    --------
    >>> checked = check_series([1.0, 2.0, 4.0])
    >>> checked.values.shape, checked.names, checked.targets
    ((3, 1), ('y',), (0,))
    """

    values: np.ndarray
    axis: TimeAxis
    names: tuple[str, ...]
    targets: tuple[int, ...]


def check_window(window, *, name: str = "window") -> int:
    """Return ``window`` as a positive int, or raise ParameterError.

    NumPy integers are accepted; booleans and floats (even ``3.0``) are not.

    Examples
    --------
    >>> check_window(24)
    24
    """
    return _check_int(window, name=name, allow_zero=False)


def check_horizon(horizon, *, name: str = "horizon", allow_zero: bool = False) -> int:
    """Return ``horizon`` as a positive int (or 0 when ``allow_zero``), or raise ParameterError.

    Examples
    --------
    >>> check_horizon(12), check_horizon(0, allow_zero=True)
    (12, 0)
    """
    return _check_int(horizon, name=name, allow_zero=allow_zero)


def _check_int(value, *, name: str, allow_zero: bool) -> int:
    """Return ``value`` as an int > 0 (>= 0 if ``allow_zero``), or raise ParameterError."""
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        hint = f" Pass an int, e.g. {name}={int(value)}." if _is_whole(value) else ""
        raise ParameterError(
            f"`{name}` must be an integer >= {lowest}; got {name}={value!r} "
            f"({type(value).__name__}).{hint or f' Pass an int >= {lowest}.'}"
        )
    if value < lowest:
        raise ParameterError(
            f"`{name}` must be an integer >= {lowest}; got {name}={value}. "
            f"Pass {name}={lowest} or more."
        )
    return operator.index(value)


def check_number(
    value, *, name: str, low: float, high: float = math.inf, example, include_low: bool = False
) -> float:
    """Return ``value`` as a float with ``low < value < high``, or raise ParameterError.

    ``include_low`` admits ``value == low`` too.

    Only real numbers pass: not a bool, a string ("0.1" is a typo for 0.1 that would be
    silently read), NaN or an infinity.

    Examples
    --------
    >>> check_number(0.2, name="dropout", low=0.0, high=1.0, example=0.2)
    0.2
    """
    number = isinstance(value, int | float | np.integer | np.floating)
    number = number and not isinstance(value, bool | np.bool_)
    inside = number and (low <= float(value) if include_low else low < float(value))
    if not inside or not float(value) < high:
        opening = "[" if include_low else "("
        bounds = f"> {low}" if high == math.inf else f"in {opening}{low}, {high})"
        raise ParameterError(
            f"`{name}` must be a number {bounds}; got {name}={value!r:.40} "
            f"({type(value).__name__}). For example {name}={example}."
        )
    return float(value)


def _is_whole(value) -> bool:
    """Whether ``value`` is a float-like with an integral value (for a hint)."""
    try:
        return not isinstance(value, bool | np.bool_) and float(value).is_integer()
    except (TypeError, ValueError):
        return False


def check_series(
    y,
    *,
    target=None,
    freq=None,
    name: str = "y",
    copy: bool = True,
    warn_constant: bool = True,
    labels_for_messages=None,
) -> CheckedSeries:
    """Check ``y`` and turn it into float32 values, a time axis, names and targets.

    Parameters
    ----------
    y : pandas.Series, pandas.DataFrame, numpy.ndarray or list
        The series. A DataFrame has one column per feature; a 1-D array is one column
        ``"y"``, a 2-D array has columns ``"y0", "y1", ...`` on a RangeIndex.
    target : str, int or list, optional
        Column(s) to predict: a column name or list of names; for arrays also column
        positions. Needed when ``y`` has several columns.
    freq : str or pandas.DateOffset, optional
        Frequency of a DatetimeIndex (``"D"``, ``"MS"``, ``"h"``, ...); sets or overrides the
        index's own, and the index must follow it.
    name : str, default "y"
        Name of the argument, used in error messages.
    copy : bool, default=True
        True: ``values`` never share memory with ``y``. False: when ``y`` already holds
        C-contiguous float32 values they are returned as a *read-only view* instead of a
        copy (values are read-only exactly when they may share memory with ``y``), for a
        caller that only reads them for a while and copies them before keeping them
        (``Forecaster.fit`` on a long series).
    warn_constant : bool, default=True
        Warn about constant columns. False for a few new steps (``update``, future
        covariates), which are often equal without anything being wrong.
    labels_for_messages : pandas.Index, optional
        The caller's own labels of the rows, named in error messages, when ``y`` comes with
        its index replaced (new steps whose labels were checked already).

    Returns
    -------
    CheckedSeries
        ``values`` (n_steps, n_features) float32 in the input's column order, ``axis``,
        ``names`` and ``targets``.

    Raises
    ------
    DataError
        For empty input, NaN or inf, non-numeric or boolean columns, a bad index
        (duplicates, unsorted, irregular), an unknown target or an array with more than 2
        dimensions.
    ParameterError
        For a malformed ``target`` or ``freq``.

    Warns
    -----
    ConstantSeriesWarning
        If a column has the same value at every step (its scaled values are all zero).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {"load": [1.0, 2.0, 3.0], "temp": [5.0, 3.0, 4.0]},
    ...     index=pd.date_range("2024-01-01", periods=3, freq="D"),
    ... )
    >>> checked = check_series(frame, target="load")
    >>> checked.values.dtype, checked.names, checked.targets, checked.axis.freq
    (dtype('float32'), ('load', 'temp'), (0,), 'D')
    """
    raw, index, labels, positional = _as_columns(y, name)
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        raise DataError(
            f"`{name}` is empty (shape {raw.shape}). Pass a series with at least one value."
        )
    names = tuple("y" if label is None else str(label) for label in labels)
    if len(set(names)) != len(names):
        dups = sorted({n for n in names if names.count(n) > 1})
        raise DataError(
            f"`{name}` has duplicate column names {dups}. Rename them, e.g. "
            f"`{name}.columns = [...]`, so each column has its own name."
        )
    targets = _resolve_targets(target, labels, names, name, positional=positional)
    values = _to_float(raw, names, name)
    axis = TimeAxis.from_index(index, freq=freq, argname=name)
    if not np.isfinite(values).all():
        bad = ~np.isfinite(values)
        row, col = (int(i[0]) for i in np.nonzero(bad))
        shown = index if labels_for_messages is None else labels_for_messages
        raise DataError(
            f"`{name}` contains {int(bad.sum())} NaN or infinite values; the first is in column "
            f"{names[col]!r} at label {shown[row]!s}. Fill them, e.g. "
            f"`{name} = {name}.interpolate()`, or drop them with `{name}.dropna()` (then "
            f"restore a regular index with `.asfreq(...)`)."
        )
    big = (values.max(axis=0) > _FLOAT32_MAX) | (values.min(axis=0) < -_FLOAT32_MAX)
    if big.any():
        raise DataError(
            f"`{name}` has values too large for float32 in column(s) "
            f"{[n for n, b in zip(names, big, strict=True) if b]}. Rescale them first, "
            f"e.g. divide by 1e6."
        )
    values32 = np.ascontiguousarray(values, dtype=np.float32)
    if np.may_share_memory(values32, raw if isinstance(raw, np.ndarray) else values):
        if copy:
            values32 = values32.copy()  # never alias (or freeze) the caller's data
        else:
            values32 = values32.view()  # a read-only view: the caller's array stays writable
            values32.flags.writeable = False
    values = values32
    constant = warn_constant and values.shape[0] > 1 and (values.min(axis=0) == values.max(axis=0))
    if np.any(constant):
        columns = [n for n, c in zip(names, constant, strict=True) if c]
        warnings.warn(
            f"`{name}` has constant column(s) {columns}: every value is equal, so the scaled "
            f"values are all zero and carry no information. Drop the column(s) or check "
            f"the data.",
            ConstantSeriesWarning,
            stacklevel=2,
        )
    return CheckedSeries(values, axis, names, targets)


def _as_columns(y, name: str) -> tuple[object, pd.Index, list, bool]:
    """Split ``y`` into 2-D raw values, an index, column labels, and whether it is an array."""
    if isinstance(y, pd.Series):
        return y.to_frame(), y.index, [y.name], False
    if isinstance(y, pd.DataFrame):
        return y, y.index, list(y.columns), False
    if isinstance(y, np.ndarray | list | tuple):
        array = np.asarray(y)
        if array.ndim == 1:
            return array[:, np.newaxis], pd.RangeIndex(len(array)), ["y"], True
        if array.ndim == 2:
            labels = [f"y{j}" for j in range(array.shape[1])]
            return array, pd.RangeIndex(array.shape[0]), labels, True
        raise DataError(
            f"`{name}` must be 1-D (n_steps,) or 2-D (n_steps, n_features); got an array of "
            f"shape {array.shape}. For several series, pass them one at a time or as a "
            f"DataFrame with one column per feature."
        )
    raise DataError(
        f"`{name}` must be a pandas Series or DataFrame, or a NumPy array; got "
        f"{type(y).__name__}. Convert it, e.g. `pd.Series(values, index=timestamps)`."
    )


def _resolve_targets(
    target, labels: list, names: tuple[str, ...], name: str, *, positional: bool
) -> tuple[int, ...]:
    """Positions of the target column(s) among ``names``."""
    if target is None:
        if len(names) == 1:
            return (0,)
        raise DataError(
            f"`{name}` has {len(names)} columns {list(names)}; say which to predict with "
            f"`target=`, e.g. target={names[0]!r} or target={list(names[:2])}."
        )
    many = isinstance(target, list | tuple)
    wanted = list(target) if many else [target]
    if not wanted:
        raise ParameterError(
            f"`target` must name at least one column; got target={target!r}. Pass e.g. "
            f"target={names[0]!r}."
        )
    positions = []
    for t in wanted:
        if isinstance(t, bool | np.bool_):
            pos = None
        elif t in labels:
            pos = labels.index(t)
        elif isinstance(t, str) and t in names:
            pos = names.index(t)
        elif positional and isinstance(t, int | np.integer) and 0 <= t < len(names):
            pos = int(t)  # a column position, allowed for NumPy input
        else:
            pos = None
        if pos is None:
            raise DataError(
                f"`target` {t!r} is not a column of `{name}`; its columns are {list(names)}. "
                f"Pass one of them, e.g. target={names[0]!r}."
            )
        positions.append(pos)
    if len(set(positions)) != len(positions):
        raise ParameterError(
            f"`target` names a column twice; got target={target!r}. List each column once."
        )
    return tuple(positions)


def _to_float(raw, names: tuple[str, ...], name: str) -> np.ndarray:
    """Float64 array of ``raw``; DataError naming non-numeric or boolean columns."""
    if isinstance(raw, pd.DataFrame):
        dtypes = list(raw.dtypes)
    else:
        dtypes = [raw.dtype] * raw.shape[1]
    is_bool = pd.api.types.is_bool_dtype
    bad = [
        (n, str(d))
        for n, d in zip(names, dtypes, strict=True)
        if is_bool(d) or not pd.api.types.is_numeric_dtype(d) or pd.api.types.is_complex_dtype(d)
    ]
    if bad:
        raise DataError(
            f"`{name}` has non-numeric or boolean column(s) {[n for n, _ in bad]} (dtypes "
            f"{[d for _, d in bad]}). Convert them, e.g. `{name}.astype(float)` or "
            f"`pd.to_numeric(...)`, or drop them."
        )
    dtype = np.float32 if all(d == np.float32 for d in dtypes) else np.float64
    if isinstance(raw, pd.DataFrame):
        return raw.to_numpy(dtype=dtype, na_value=np.nan)
    return np.asarray(raw, dtype=dtype)
