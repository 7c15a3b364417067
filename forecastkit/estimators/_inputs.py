"""Turn scikit-learn style ``fit(X, y)`` arguments into one checked series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from forecastkit.data.long import is_long_frame
from forecastkit.data.validation import CheckedSeries, check_series
from forecastkit.exceptions import DataError

__all__ = ["assemble", "check_rows", "n_rows", "refuse_long_frame"]


def _as_frame(data, prefix: str, index: pd.Index | None) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame(prefix if data.name is None else data.name)
    if isinstance(data, pd.DataFrame):
        return data
    array = np.asarray(data)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataError(
            f"`{prefix}` must be 1-D or 2-D (n_steps, n_features); got an array of shape "
            f"{array.shape}. Reshape it or pass a DataFrame."
        )
    if index is not None and len(array) != len(index):
        raise DataError(
            f"`X` and `y` must have the same number of time steps; got {len(array)} and "
            f"{len(index)}. Pass one row of `X` per step of `y` (e.g. X[: len(y)])."
        )
    names = [prefix] if array.shape[1] == 1 else [f"{prefix}{j}" for j in range(array.shape[1])]
    return pd.DataFrame(array, columns=names, index=index)


def _is_pandas(data) -> bool:
    return isinstance(data, pd.Series | pd.DataFrame)


def _refuse_sparse(data, argname: str) -> None:
    if sparse.issparse(data):
        raise DataError(
            f"Sparse input is not supported: `{argname}` is a {type(data).__name__}. A time "
            f"series is dense; pass `{argname}.toarray()` or a pandas object."
        )


def _same_values(X, y_frame: pd.DataFrame) -> bool:
    """Whether ``X`` holds exactly the values of ``y`` (the ``fit(y, y)`` convention)."""
    if np.ndim(X) not in (1, 2) or len(X) != len(y_frame) or len(y_frame) == 0:
        return False
    values = np.asarray(X, dtype=object).reshape(len(y_frame), -1)
    return np.array_equal(values, y_frame.to_numpy(dtype=object))


def assemble(X, y, *, target=None, freq=None, copy=True) -> tuple[CheckedSeries, bool]:
    """Check the series to forecast and any exogenous features in one go.

    ``fit(series)`` (``y`` None) forecasts ``series`` itself; ``fit(X, y)`` forecasts ``y``
    with the columns of ``X`` as covariates (their values are known at every step, also in
    the future). ``X`` identical to ``y`` adds nothing and is ignored: ``fit(y, y)`` is how
    scikit-learn's model selection (``GridSearchCV``, ``cross_val_score``) fits a forecaster
    on the training rows, and ``predict(y_test)`` then scores the rows that continue them.
    That needs pandas input, whose index places ``y_test`` in time: identical NumPy arrays
    are refused, as ``predict`` could not tell which steps ``y_test`` holds.

    ``copy`` is passed to :func:`~forecastkit.data.validation.check_series` (False: the
    values may be a read-only view of the caller's data).

    Returns
    -------
    (CheckedSeries, has_covariates)
    """
    _refuse_sparse(X, "X")
    _refuse_sparse(y, "y")
    refuse_long_frame(X)
    refuse_long_frame(y)
    if y is None:
        if X is None:
            raise DataError("`fit` needs a series: call fit(y) or fit(X, y).")
        return check_series(X, target=target, freq=freq, name="y", copy=copy), False
    y_frame = _as_frame(y, "y", None)
    if X is None:
        return check_series(y, target=target, freq=freq, name="y", copy=copy), False
    if _same_values(X, y_frame):
        if not (_is_pandas(X) or _is_pandas(y)):
            raise DataError(
                "fit(X, y) got X identical to y as NumPy arrays. For scikit-learn model "
                "selection (GridSearchCV, cross_val_score) pass pandas, e.g. "
                "search.fit(pd.Series(y), pd.Series(y)): predict(X_test) then knows from the "
                "index that X_test continues the training rows and scores each of them. "
                "Outside model selection call fit(y)."
            )
        series = y if _is_pandas(y) else X  # the one with an index
        return check_series(series, target=target, freq=freq, name="y", copy=copy), False
    X_frame = _as_frame(X, "x", y_frame.index)
    if X_frame.shape[1] == 0:
        raise DataError(
            f"`X` has 0 feature(s) (shape={X_frame.shape}) while a minimum of 1 is required "
            "for covariates. Call fit(y) to forecast without covariates."
        )
    if len(X_frame) != len(y_frame):
        raise DataError(
            f"`X` and `y` must have the same number of time steps; got {len(X_frame)} and "
            f"{len(y_frame)}. Align them first (e.g. X.loc[y.index])."
        )
    if isinstance(X, pd.Series | pd.DataFrame) and not X_frame.index.equals(y_frame.index):
        raise DataError(
            "`X` and `y` must share the same index; the first differing label is "
            f"{X_frame.index[(X_frame.index != y_frame.index).argmax()]!r}. Use X.loc[y.index]."
        )
    clash = set(map(str, X_frame.columns)) & set(map(str, y_frame.columns))
    if clash:
        raise DataError(f"`X` and `y` share column names {sorted(clash)}; rename them.")
    frame = pd.concat([y_frame, X_frame.set_axis(y_frame.index)], axis=1)
    names = [str(c) for c in y_frame.columns]
    return check_series(frame, target=names, freq=freq, name="y", copy=copy), True


def n_rows(data) -> int:
    """Return the number of rows of array-like ``data`` (0 for a scalar)."""
    return len(data) if np.ndim(data) else 0


def check_rows(data, argname: str) -> np.ndarray:
    """Float32 values ``(n_rows, n_columns)`` of new rows, every column kept; DataError if bad.

    For rows whose labels are checked elsewhere (``update``, future covariates): the
    checks of :func:`~forecastkit.data.validation.check_series` (dimensions, dtype,
    NaN/inf, emptiness) on the values alone, without a constant-column warning.
    """
    _refuse_sparse(data, argname)
    if isinstance(data, list | tuple):
        data = np.asarray(data)
    if isinstance(data, pd.Series | pd.DataFrame):
        data = data.set_axis(pd.RangeIndex(len(data)), axis=0)
    if isinstance(data, pd.DataFrame):
        target = list(data.columns)
    elif isinstance(data, pd.Series):
        target = None
    else:
        target = list(range(np.shape(data)[1] if np.ndim(data) == 2 else 1))
    return check_series(data, target=target, name=argname, warn_constant=False).values


def refuse_long_frame(data) -> None:
    """Refuse a long-format frame (``unique_id``, ``ds``, ``y``) where one series is expected."""
    if is_long_frame(data):
        raise DataError(
            "This looks like a long-format frame of many series (columns 'unique_id' and "
            "'ds'), but this estimator fits one series. Fit them with Forecaster (one global "
            "model) or LocalForecasters(estimator) (one model per series), or select one "
            "series: frame[frame.unique_id == uid].set_index('ds')['y']."
        )
