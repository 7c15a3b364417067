"""Point-forecast accuracy metrics: MAE, RMSE, MAPE, sMAPE and MASE.

Every metric takes the truth first and the forecast second and returns one Python ``float``
averaged over every element, so it works the same on 1-D series and on 2-D arrays or
DataFrames (several targets, or several steps ahead).

Inputs may be NumPy arrays, lists, ``pd.Series`` or ``pd.DataFrame``:

- When both inputs are pandas objects they are aligned by index label: the same labels in a
  different order are reordered to ``y_true``'s order; different labels raise
  :class:`~forecastkit.exceptions.DataError`. Two DataFrames whose columns are the same set in
  a different order are aligned by column name too; otherwise columns pair by position.
- Otherwise the inputs pair by position and their shapes must match exactly. (One exception:
  a ``pd.Series`` pairs with a one-column ``pd.DataFrame``.)
- Missing (NaN) or infinite values in either input raise
  :class:`~forecastkit.exceptions.DataError`.

:data:`METRICS` maps each metric's name to its function, so callers can pick metrics by name.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from forecastkit.exceptions import DataError, ParameterError

__all__ = ["METRICS", "mae", "mape", "mase", "rmse", "smape"]

_PANDAS = (pd.Series, pd.DataFrame)


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error.

    ``mean(|y_true - y_pred|)`` over every element, in the units of the series.

    Parameters
    ----------
    y_true : array-like, pd.Series or pd.DataFrame
        Observed values, shape ``(n_steps,)`` or ``(n_steps, n_targets)``.
    y_pred : array-like, pd.Series or pd.DataFrame
        Forecast values, same shape as ``y_true`` (pandas inputs are aligned by index).

    Returns
    -------
    float
        The mean absolute error.

    Raises
    ------
    DataError
        If the shapes or index labels do not match, or an input holds NaN or infinite values.

    Examples
    --------
    >>> from forecastkit.metrics import mae
    >>> mae([1.0, 2.0, 3.0], [2.0, 2.0, 5.0])
    1.0
    """
    true, pred, _ = _check_pair(y_true, y_pred)
    return float(np.mean(np.abs(true - pred)))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error.

    ``sqrt(mean((y_true - y_pred) ** 2))`` over every element, in the units of the series.

    Parameters
    ----------
    y_true : array-like, pd.Series or pd.DataFrame
        Observed values, shape ``(n_steps,)`` or ``(n_steps, n_targets)``.
    y_pred : array-like, pd.Series or pd.DataFrame
        Forecast values, same shape as ``y_true`` (pandas inputs are aligned by index).

    Returns
    -------
    float
        The root mean squared error.

    Raises
    ------
    DataError
        If the shapes or index labels do not match, or an input holds NaN or infinite values.

    Examples
    --------
    >>> from forecastkit.metrics import rmse
    >>> rmse([0.0, 0.0], [3.0, -3.0])
    3.0
    """
    true, pred, _ = _check_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error, in percent.

    ``100 * mean(|y_true - y_pred| / |y_true|)`` over every element. MAPE is undefined where
    the truth is zero, so any zero in ``y_true`` raises an error; use :func:`smape` or
    :func:`mase` for series that touch zero.

    Parameters
    ----------
    y_true : array-like, pd.Series or pd.DataFrame
        Observed values, shape ``(n_steps,)`` or ``(n_steps, n_targets)``; no zeros.
    y_pred : array-like, pd.Series or pd.DataFrame
        Forecast values, same shape as ``y_true`` (pandas inputs are aligned by index).

    Returns
    -------
    float
        The mean absolute percentage error (``12.5`` means 12.5 %).

    Raises
    ------
    DataError
        If ``y_true`` holds a zero, if the shapes or index labels do not match, or if an input
        holds NaN or infinite values.

    Examples
    --------
    >>> from forecastkit.metrics import mape
    >>> mape([100.0, 200.0], [110.0, 180.0])
    10.0
    """
    true, pred, labels = _check_pair(y_true, y_pred)
    zeros = true == 0
    if zeros.any():
        where = _describe_position(labels, np.argwhere(zeros)[0])
        raise DataError(
            f"`y_true` must not contain zeros for MAPE (it divides by y_true); found "
            f"{int(zeros.sum())} zero(s), the first at {where}. Use smape() or mase() for "
            f"series that can be zero."
        )
    return float(100.0 * np.mean(np.abs(true - pred) / np.abs(true)))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric mean absolute percentage error, in percent on the 0..200 scale.

    The M4-competition definition: ``mean(200 * |y - ŷ| / (|y| + |ŷ|))`` over every element.
    Where both ``y`` and ``ŷ`` are zero the term is ``0 / 0``; it counts as 0 (a perfect
    forecast of zero), so sMAPE is defined for every finite input.

    Parameters
    ----------
    y_true : array-like, pd.Series or pd.DataFrame
        Observed values, shape ``(n_steps,)`` or ``(n_steps, n_targets)``.
    y_pred : array-like, pd.Series or pd.DataFrame
        Forecast values, same shape as ``y_true`` (pandas inputs are aligned by index).

    Returns
    -------
    float
        The symmetric MAPE, between 0 and 200.

    Raises
    ------
    DataError
        If the shapes or index labels do not match, or an input holds NaN or infinite values.

    Examples
    --------
    >>> from forecastkit.metrics import smape
    >>> smape([100.0, 0.0], [300.0, 0.0])  # (200 * 200 / 400 + 0) / 2
    50.0
    """
    true, pred, _ = _check_pair(y_true, y_pred)
    numerator = 200.0 * np.abs(true - pred)
    denominator = np.abs(true) + np.abs(pred)
    # 0 / 0 (both zero) counts as 0; the denominator is never 0 elsewhere.
    terms = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
    return float(np.mean(terms))


def mase(y_true: Any, y_pred: Any, *, y_train: Any, season_length: int = 1) -> float:
    """Mean absolute scaled error.

    The forecast's MAE divided by the in-sample MAE of the seasonal-naive forecast on the
    training series: ``scale = mean(|y_train[t] - y_train[t - m]|)`` for ``t = m .. n-1``
    with ``m = season_length``. Below 1 the forecast beats the seasonal-naive one-step
    forecast on average; above 1 it does worse.

    With several targets (2-D inputs) each column is scaled by its own ``y_train`` column
    (as in the M4 competition, per series) and the scaled errors are averaged over every
    element; for one column this is exactly ``mae(y_true, y_pred) / scale``.

    Parameters
    ----------
    y_true : array-like, pd.Series or pd.DataFrame
        Observed values, shape ``(n_steps,)`` or ``(n_steps, n_targets)``.
    y_pred : array-like, pd.Series or pd.DataFrame
        Forecast values, same shape as ``y_true`` (pandas inputs are aligned by index).
    y_train : array-like, pd.Series or pd.DataFrame
        The in-sample (training) series, shape ``(n_train,)`` or ``(n_train, n_targets)``,
        in time order; longer than ``season_length``. Not aligned by index.
    season_length : int, default 1
        Seasonal period ``m`` of the naive benchmark (1: the plain naive forecast; 12 for
        monthly data with a yearly season; see
        :func:`forecastkit.data.seasonality.season_length`).

    Returns
    -------
    float
        The mean absolute scaled error.

    Raises
    ------
    ParameterError
        If ``season_length`` is not a positive integer.
    DataError
        If ``y_train`` is not longer than ``season_length``, if its seasonal differences are
        all zero (the scale is 0), if shapes or index labels do not match, or if an input holds
        NaN or infinite values.

    Examples
    --------
    >>> from forecastkit.metrics import mase
    >>> mase([5.0, 6.0], [5.5, 5.0], y_train=[1.0, 2.0, 4.0, 3.0])  # 0.75 / (4 / 3)
    0.5625
    """
    if isinstance(season_length, bool) or not isinstance(season_length, Integral):
        raise ParameterError(
            f"`season_length` must be a positive integer; got season_length={season_length!r} "
            f"(type {type(season_length).__name__}). Pass e.g. season_length=12 for monthly "
            f"data, or 1 for the plain naive benchmark."
        )
    m = int(season_length)
    if m < 1:
        raise ParameterError(
            f"`season_length` must be a positive integer; got season_length={m}. Pass 1 for "
            f"the plain naive benchmark."
        )
    true, pred, _ = _check_pair(y_true, y_pred)
    train = _check_train(y_train, y_true, true.shape)
    n_train = train.shape[0]
    if n_train <= m:
        raise DataError(
            f"`y_train` must be longer than `season_length` to compute the seasonal-naive "
            f"scale of MASE; got {n_train} value(s) with season_length={m}. Pass a longer "
            f"training series or a smaller season_length."
        )
    scale = np.mean(np.abs(train[m:] - train[:-m]), axis=0)  # shape true.shape[1:]
    zero = np.atleast_1d(scale == 0)
    if zero.any():
        column = ""
        if train.ndim > 1:
            named = y_true if isinstance(y_true, pd.DataFrame) else y_train
            column = f" (column {_column_label(named, int(np.argmax(zero)))})"
        raise DataError(
            f"The MASE scale is 0{column}: every value of `y_train` equals the one "
            f"season_length={m} steps earlier, so the seasonal-naive forecast is perfect "
            f"in-sample and the scaled error is undefined. Use mae() or smape() instead, or "
            f"a different season_length."
        )
    return float(np.mean(np.abs(true - pred) / scale))


METRICS: dict[str, Callable[..., float]] = {
    "mae": mae,
    "mape": mape,
    "mase": mase,
    "rmse": rmse,
    "smape": smape,
}
"""Registry of the metrics by name. ``METRICS["mase"]`` needs the keyword ``y_train``."""


# --------------------------------------------------------------------------------------------
# Helpers: coercion, alignment and checks shared by every metric.


def _check_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    """Align and coerce a truth/forecast pair; return two float64 arrays and the row labels."""
    if isinstance(y_true, _PANDAS) and isinstance(y_pred, _PANDAS):
        y_pred = _align(y_true, y_pred)
    true = _to_float_array(y_true, "y_true")
    pred = _to_float_array(y_pred, "y_pred")
    if true.shape != pred.shape:
        if _is_series_vs_one_column_frame(y_true, y_pred):
            true = true.reshape(pred.shape)
        elif _is_series_vs_one_column_frame(y_pred, y_true):
            pred = pred.reshape(true.shape)
        else:
            raise DataError(
                f"`y_true` and `y_pred` must have the same shape; got y_true.shape="
                f"{true.shape} and y_pred.shape={pred.shape}. Pass a forecast for every "
                f"observed value (e.g. slice the truth to the forecast horizon)."
            )
    labels = y_true.index if isinstance(y_true, _PANDAS) else None
    _check_finite(true, "y_true", labels)
    _check_finite(pred, "y_pred", y_pred.index if isinstance(y_pred, _PANDAS) else None)
    return true, pred, labels


def _align(y_true: pd.Series | pd.DataFrame, y_pred: pd.Series | pd.DataFrame) -> Any:
    """Reorder ``y_pred`` to ``y_true``'s index (and columns); raise if the labels differ."""
    if not y_true.index.equals(y_pred.index):
        only_true = y_true.index.difference(y_pred.index, sort=False)
        only_pred = y_pred.index.difference(y_true.index, sort=False)
        n_differ = len(only_true) + len(only_pred)
        if n_differ:
            first = (
                f"{_format_label(only_true[0])} is in y_true only"
                if len(only_true)
                else f"{_format_label(only_pred[0])} is in y_pred only"
            )
            raise DataError(
                f"`y_true` and `y_pred` must have the same index labels; {n_differ} label(s) "
                f"differ (first: {first}). Select the common period first, e.g. "
                f"y_true.loc[y_pred.index], or pass NumPy arrays to compare by position."
            )
        if not (y_true.index.is_unique and y_pred.index.is_unique):
            raise DataError(
                "`y_true` and `y_pred` have the same index labels in a different order, but "
                "the labels repeat, so they cannot be aligned. Make the index unique or pass "
                "NumPy arrays to compare by position."
            )
        y_pred = y_pred.reindex(y_true.index)
    if (
        isinstance(y_true, pd.DataFrame)
        and isinstance(y_pred, pd.DataFrame)
        and not y_true.columns.equals(y_pred.columns)
        and y_true.columns.is_unique
        and y_pred.columns.is_unique
        and set(y_true.columns) == set(y_pred.columns)
    ):
        y_pred = y_pred[y_true.columns]
    return y_pred


def _is_series_vs_one_column_frame(a: Any, b: Any) -> bool:
    """Return True when ``a`` is a Series and ``b`` a one-column DataFrame of the same length."""
    return isinstance(a, pd.Series) and isinstance(b, pd.DataFrame) and b.shape == (len(a), 1)


def _to_float_array(values: Any, name: str) -> np.ndarray:
    """Coerce ``values`` to a float64 array with at least one dimension and one element."""
    if isinstance(values, pd.DataFrame):
        dtypes = list(values.dtypes)
    elif hasattr(values, "dtype"):
        dtypes = [values.dtype]
    else:
        try:
            dtypes = [np.asarray(values).dtype]
        except (TypeError, ValueError):  # ragged: refused below
            dtypes = []
    if any(pd.api.types.is_bool_dtype(d) for d in dtypes):
        raise DataError(
            f"`{name}` holds booleans, not numbers. Convert them if that is meant, e.g. "
            f"`{name}.astype(float)`, or pass the numeric values."
        )
    try:
        if isinstance(values, _PANDAS):
            array = values.to_numpy(dtype="float64", na_value=np.nan)
        else:
            array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as error:
        raise DataError(
            f"`{name}` must hold numbers; could not convert it to floats ({error}). Pass a "
            f"numeric array, list, Series or DataFrame."
        ) from error
    if array.ndim == 0 or array.size == 0:
        raise DataError(
            f"`{name}` must hold at least one value in an array of one or more dimensions; "
            f"got shape {array.shape}. Pass e.g. a 1-D array or a Series."
        )
    return array


def _check_finite(array: np.ndarray, name: str, labels: pd.Index | None) -> None:
    """Raise DataError naming the first NaN or infinite value of ``array``."""
    bad = ~np.isfinite(array)
    if bad.any():
        where = _describe_position(labels, np.argwhere(bad)[0])
        raise DataError(
            f"`{name}` must not contain NaN or infinite values; found {int(bad.sum())}, the "
            f"first at {where}. Drop or fill them (e.g. y.dropna() or y.interpolate()) first."
        )


def _describe_position(labels: pd.Index | None, position: np.ndarray) -> str:
    """Describe an element position by its index label when there is one."""
    if labels is not None and len(labels) > int(position[0]):
        text = f"index label {_format_label(labels[int(position[0])])}"
        if len(position) > 1:
            text += f", column position {int(position[1])}"
        return text
    return f"position {tuple(int(p) for p in position)}"


def _format_label(label: Any) -> str:
    """Show an index label readably: ``0``, ``'a'``, ``2024-01-02 00:00:00``."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, (pd.Timestamp, pd.Period, pd.Timedelta)):
        return str(label)
    return repr(label)


def _check_train(y_train: Any, y_true: Any, target_shape: tuple[int, ...]) -> np.ndarray:
    """Coerce ``y_train`` to float64 with one row per step and ``y_true``'s trailing shape."""
    if (
        isinstance(y_train, pd.DataFrame)
        and isinstance(y_true, pd.DataFrame)
        and not y_train.columns.equals(y_true.columns)
        and y_train.columns.is_unique
        and y_true.columns.is_unique
        and set(y_train.columns) == set(y_true.columns)
    ):
        y_train = y_train[y_true.columns]
    train = _to_float_array(y_train, "y_train")
    trailing = target_shape[1:]
    if train.shape[1:] != trailing:
        if train.ndim == 1 and trailing == (1,):
            train = train.reshape(-1, 1)
        elif train.ndim == 2 and train.shape[1] == 1 and trailing == ():
            train = train.reshape(-1)
        else:
            raise DataError(
                f"`y_train` must have one column per target of `y_true`; got "
                f"y_train.shape={train.shape} for y_true.shape={target_shape}. Pass the "
                f"training part of the same series."
            )
    _check_finite(train, "y_train", y_train.index if isinstance(y_train, _PANDAS) else None)
    return train


def _column_label(values: Any, position: int) -> str:
    """Name a column by label for DataFrames, else by position."""
    if isinstance(values, pd.DataFrame):
        return repr(values.columns[position])
    return f"position {position}"
