"""Turn scikit-learn style ``fit(X, y)`` arguments into one checked series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastkit.data.validation import CheckedSeries, check_series
from forecastkit.exceptions import DataError

__all__ = ["assemble"]


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
    names = [prefix] if array.shape[1] == 1 else [f"{prefix}{j}" for j in range(array.shape[1])]
    return pd.DataFrame(array, columns=names, index=index)


def assemble(X, y, *, target=None, freq=None) -> tuple[CheckedSeries, bool]:
    """Check the series to forecast and any exogenous features in one go.

    ``fit(series)`` (``y`` None) forecasts ``series`` itself; ``fit(X, y)`` forecasts ``y``
    with the columns of ``X`` as covariates (their values are known at every step, also in
    the future). ``X`` identical to ``y`` adds nothing and is ignored.

    Returns
    -------
    (CheckedSeries, has_covariates)
    """
    if y is None:
        if X is None:
            raise DataError("`fit` needs a series: call fit(y) or fit(X, y).")
        return check_series(X, target=target, freq=freq, name="y"), False
    y_frame = _as_frame(y, "y", None)
    if X is None or (
        np.shape(X)[0] == len(y_frame)
        and np.array_equal(
            np.asarray(X, dtype=object).reshape(len(y_frame), -1), y_frame.to_numpy(dtype=object)
        )
    ):
        return check_series(y, target=target, freq=freq, name="y"), False
    X_frame = _as_frame(X, "x", y_frame.index)
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
    return check_series(frame, target=names, freq=freq, name="y"), True
