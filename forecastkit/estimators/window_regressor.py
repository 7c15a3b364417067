"""Any scikit-learn regressor as a windowed forecaster.

:class:`WindowTransformer` turns a series into lagged windows (one row per predicted step,
columns ``y_lag_k ... y_lag_1``) with :func:`forecastkit.data.windows.make_windows`, the
one window function. :class:`WindowRegressor` fits a regressor on those windows and the
value that follows each, and forecasts through
:func:`forecastkit.strategies.recursive.recursive`, the one recursion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from forecastkit.data.seasonality import season_length
from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.data.windows import last_window, make_windows
from forecastkit.estimators._inputs import refuse_long_frame
from forecastkit.estimators._one_series import OneSeriesBacktest
from forecastkit.exceptions import DataError, NotFittedError
from forecastkit.strategies.recursive import recursive

__all__ = ["WindowRegressor", "WindowTransformer"]


def _as_column(X, name: str = "X") -> tuple[np.ndarray, pd.Index | None]:
    """Values ``(n_steps,)`` float64 and the pandas index (None for arrays)."""
    index = X.index if isinstance(X, pd.Series | pd.DataFrame) else None
    if isinstance(X, pd.DataFrame | pd.Series):
        array = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            array = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise DataError(f"`{name}` must hold numbers; got {type(X).__name__} ({err}).") from err
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(
            f"`{name}` must be one series: 1-D (n_steps,) or one column (n_steps, 1); got "
            f"shape {array.shape}. Select one column, e.g. X[['y']]."
        )
    if not np.isfinite(array).all():
        raise DataError(f"`{name}` contains NaN or inf; fill them first (e.g. X.interpolate()).")
    return array, index


class WindowTransformer(TransformerMixin, BaseEstimator):
    """Lagged windows of a series: row ``i`` holds the ``window`` values before step ``i + window``.

    Parameters
    ----------
    window : int, default=10
        Number of lags per row.

    Attributes
    ----------
    n_features_in_ : int
        Always 1.

    Examples
    --------
    >>> import pandas as pd
    >>> t = WindowTransformer(window=2).set_output(transform="pandas")
    >>> t.fit_transform(pd.Series([1.0, 2.0, 3.0, 4.0], index=[10, 11, 12, 13]))
        y_lag_2  y_lag_1
    12      1.0      2.0
    13      2.0      3.0
    """

    def __init__(self, window=10):
        self.window = window

    def fit(self, X, y=None):
        """Check the window against the series.

        Parameters
        ----------
        X : array of shape (n_steps,) or (n_steps, 1), pandas Series or one-column DataFrame
        y : ignored

        Returns
        -------
        self
        """
        window = check_window(self.window)
        values, _ = _as_column(X)
        if len(values) <= window:
            raise DataError(
                f"`X` has {len(values)} steps; window={window} needs at least {window + 1}. "
                "Use a shorter window or a longer series."
            )
        self.window_ = window
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        """Return the windows ``(n_steps - window, window)``, oldest lag first.

        Parameters
        ----------
        X : array of shape (n_steps,) or (n_steps, 1), pandas Series or one-column DataFrame

        Returns
        -------
        ndarray or DataFrame of shape (n_steps - window, window)
            With pandas output, indexed by the label of the step each row predicts.
        """
        check_is_fitted(self, "window_")
        values, index = _as_column(X)
        w = self.window_
        if len(values) <= w:
            raise DataError(
                f"`X` has {len(values)} steps; window={w} needs at least {w + 1} for one row."
            )
        windows, _ = make_windows(values[:, None], w, 1)  # (n - w, w, 1)
        out = np.array(windows[:, :, 0])
        if _get_output_config("transform", self)["dense"] == "pandas":
            labels = pd.RangeIndex(w, len(values)) if index is None else index[w:]
            return pd.DataFrame(out, index=labels, columns=self.get_feature_names_out())
        return out

    def get_feature_names_out(self, input_features=None):
        """Names ``y_lag_{window}`` ... ``y_lag_1``, oldest first.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "window_")
        return np.array([f"y_lag_{k}" for k in range(self.window_, 0, -1)], dtype=object)


class WindowRegressor(OneSeriesBacktest, RegressorMixin, BaseEstimator):
    """Forecast a series with any scikit-learn regressor over lagged windows.

    The regressor learns the next value from the previous ``window`` values; forecasts feed
    each prediction back as the newest lag (recursive strategy).

    Parameters
    ----------
    regressor : scikit-learn regressor
        Cloned at fit, e.g. ``Ridge()`` or ``make_pipeline(StandardScaler(), Ridge())``.
    window : int, default=10
        Number of lags.
    horizon : int, default=1
        Default number of steps for :meth:`forecast`.
    freq : str, optional
        Frequency of an irregular or unmarked DatetimeIndex.

    Attributes
    ----------
    regressor_ : the fitted clone of ``regressor``
    transformer_ : WindowTransformer
    values_ : ndarray of shape (n_steps, 1)
    time_axis_ : TimeAxis
    name_ : str
    season_length_ : int
        Season of the index frequency (the seasonal-naive baseline of a backtest).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import Ridge
    >>> y = pd.Series(np.sin(0.3 * np.arange(100)), name="y")
    >>> f = WindowRegressor(Ridge(alpha=1e-8), window=4).fit(y)
    >>> fc = f.forecast(3)
    >>> fc.index.tolist(), bool(np.allclose(fc, np.sin(0.3 * np.arange(100, 103)), atol=1e-3))
    ([100, 101, 102], True)
    """

    def __init__(self, regressor=None, window=10, *, horizon=1, freq=None):
        self.regressor = regressor
        self.window = window
        self.horizon = horizon
        self.freq = freq

    def fit(self, X=None, y=None):
        """Fit the regressor on (windows, next value).

        Parameters
        ----------
        X : pandas Series, one-column DataFrame or 1-D array
            The series (``fit(series)``); or None when it is passed as ``y``.
        y : optional
            The series when ``X`` is None.

        Returns
        -------
        self
        """
        series = X if y is None else y
        if series is None:
            raise DataError("`fit` needs a series: call fit(y).")
        refuse_long_frame(series)
        checked = check_series(series, freq=self.freq)
        if checked.values.shape[1] != 1:
            raise DataError(
                f"WindowRegressor forecasts one series; got {checked.values.shape[1]} columns "
                f"{list(checked.names)}. Pass one column."
            )
        if self.regressor is None:
            raise DataError("`regressor` is None; pass a scikit-learn regressor, e.g. Ridge().")
        values = checked.values.astype(np.float64)  # (n_steps, 1)
        self.transformer_ = WindowTransformer(self.window).fit(values)
        w = self.transformer_.window_
        self.regressor_ = clone(self.regressor).fit(
            self.transformer_.transform(values), values[w:, 0]
        )
        self.values_ = values
        self.time_axis_ = checked.axis
        self.name_ = checked.names[0]
        self.names_, self.targets_ = (self.name_,), (0,)
        self.window_ = self.min_history_ = w
        self.season_length_ = season_length(checked.axis.freq)
        self.n_features_in_ = 1
        return self

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "regressor_")
        except Exception as err:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call fit(series) first."
            ) from err

    def _step(self, windows: np.ndarray) -> np.ndarray:
        """Next values ``(n_series, 1)`` from windows ``(n_series, window, 1)``."""
        return np.asarray(self.regressor_.predict(windows[:, :, 0])).reshape(-1, 1)

    def _multi_step(self, values, positions, horizon, covariates=None) -> np.ndarray:
        """Forecasts ``(len(positions), horizon, 1)`` starting at each position."""
        values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        windows, _ = make_windows(values, self.window_, 0)
        starts = np.asarray(positions) - self.window_
        return recursive(self._step, np.array(windows[starts]), horizon, targets=[0])

    def forecast(self, horizon: int | None = None):
        """Forecast the steps after the end of the fitted series.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to ``self.horizon``.

        Returns
        -------
        pandas.Series
            Indexed by the labels that continue the fitted series.
        """
        self._check_fitted()
        horizon = check_horizon(self.horizon if horizon is None else horizon)
        windows = np.array(last_window(self.values_, self.window_))
        pred = recursive(self._step, windows, horizon, targets=[0])  # (1, horizon, 1)
        return self.time_axis_.wrap(pred[0], start="after_end", names=[self.name_])

    def predict(self, X=None):
        """Teacher-forced one-step predictions, each from the true previous ``window`` values.

        Parameters
        ----------
        X : pandas Series or 1-D array, optional
            None: over the fitted series. A series that continues the fitted one: one
            prediction per row, the fitted tail as context. Any other series: one per row
            that has a full window.

        Returns
        -------
        pandas.Series
            Indexed by the labels of the predicted steps.
        """
        self._check_fitted()
        w = self.window_
        if X is None:
            values, axis, start = self.values_, self.time_axis_, w
        else:
            checked = check_series(X, freq=self.freq, name="X")
            new = checked.values.astype(np.float64)
            if self.time_axis_.continued_by(checked.axis.index()):
                values = np.concatenate([self.values_, new])
                axis, start = self.time_axis_.extend(len(new)), len(self.values_)
            else:
                self.time_axis_.check_same_grid(checked.axis, argname="X")
                values, axis, start = new, checked.axis, w
        if len(values) <= start:
            raise DataError(
                f"`X` has {len(values)} steps; one-step prediction needs more than "
                f"window={w}. Pass a longer series, or one that continues the fitted series."
            )
        windows = self.transformer_.transform(values)[start - w :]
        pred = np.asarray(self.regressor_.predict(windows)).reshape(-1)
        return axis.wrap(pred, start=start, names=[self.name_])

