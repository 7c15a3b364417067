"""Naive baselines: the last value, the value one season earlier, the mean and the drift.

A :class:`NaiveForecaster` follows the :class:`~forecastkit.Forecaster` conventions
(``fit(series)``, ``forecast(horizon)``, teacher-forced ``predict``) with no training, so any
forecast can be scored against it. The arithmetic lives in :func:`naive_forecasts`, arrays in
and arrays out, which the backtest also uses for its seasonal-naive baseline.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from forecastkit.data.seasonality import season_length as season_of
from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.estimators._inputs import assemble
from forecastkit.estimators._one_series import OneSeriesBacktest
from forecastkit.exceptions import DataError, NotFittedError, ParameterError
from forecastkit.strategies.naive import NAIVE_STRATEGIES, min_history, naive_forecasts

__all__ = ["NAIVE_STRATEGIES", "NaiveForecaster", "naive_forecasts"]


class NaiveForecaster(OneSeriesBacktest, RegressorMixin, BaseEstimator):
    """Naive forecasts of a pandas series: the baselines every model must beat.

    Parameters
    ----------
    strategy : {"last", "seasonal", "mean", "drift"}, default="seasonal"
        "last": the last value. "seasonal": the value one season earlier. "mean": the
        mean of the whole history. "drift": the last value plus the average change per
        step (the line through the first and the last value).
    season_length : int or None, default=None
        Steps per season for "seasonal" (and the backtest's baseline). None: from the
        index frequency (12 for monthly data, 7 for daily), 1 when no season is known.
    horizon : int, default=1
        Default number of steps for :meth:`forecast`.
    target : str or list of str, optional
        Column(s) to predict when the series is a DataFrame with several columns.
    freq : str, optional
        Frequency of an irregular or unmarked DatetimeIndex.

    Attributes
    ----------
    values_ : ndarray of shape (n_steps, n_features)
        The fitted series (float32).
    time_axis_ : TimeAxis
    names_ : tuple of str
    targets_ : tuple of int
    season_length_ : int
        The season used by "seasonal" (and by backtest baselines).
    min_history_ : int
        Fewest earlier steps a forecast needs (``season_length_`` for "seasonal").
    n_features_in_ : int

    Examples
    --------
    >>> from forecastkit import datasets
    >>> from forecastkit.estimators.naive import NaiveForecaster
    >>> y = datasets.load_airline()
    >>> f = NaiveForecaster("seasonal").fit(y)
    >>> f.season_length_, f.forecast(2).index[0]
    (12, Timestamp('1961-01-01 00:00:00'))
    >>> bool((f.forecast(12).to_numpy() == y.to_numpy()[-12:]).all())
    True
    """

    def __init__(
        self, strategy="seasonal", *, season_length=None, horizon=1, target=None, freq=None
    ):
        self.strategy = strategy
        self.season_length = season_length
        self.horizon = horizon
        self.target = target
        self.freq = freq

    # ------------------------------------------------------------------ fit
    def fit(self, X=None, y=None):
        """Remember the series (naive forecasts need no training).

        Parameters
        ----------
        X : pandas Series, DataFrame or array
            The series when ``y`` is None (``fit(series)``); otherwise covariates, which
            naive forecasts ignore.
        y : pandas Series, DataFrame or array, optional
            The target series when ``X`` holds covariates.

        Returns
        -------
        self
        """
        if self.strategy not in NAIVE_STRATEGIES:
            raise ParameterError(
                f"`strategy` must be one of {list(NAIVE_STRATEGIES)}; got "
                f"strategy={self.strategy!r}. Use e.g. strategy='seasonal'."
            )
        check_horizon(self.horizon)
        checked, has_covariates = assemble(X, y, target=self.target, freq=self.freq)
        m = (
            season_of(checked.axis.freq)
            if self.season_length is None
            else check_window(self.season_length, name="season_length")
        )
        need = min_history(self.strategy, m)
        n_steps = len(checked.values)
        if n_steps < need:
            raise DataError(
                f"The series has {n_steps} steps, fewer than the {need} that strategy="
                f"{self.strategy!r} needs (season_length={m}). Pass a longer series or a "
                "smaller season_length."
            )
        self.values_ = checked.values
        self.time_axis_ = checked.axis
        self.names_ = tuple(checked.names)
        self.targets_ = tuple(int(t) for t in checked.targets)
        self.season_length_ = int(m)
        self.min_history_ = int(need)
        self.has_covariates_ = bool(has_covariates)
        n_names = len(self.names_)
        self.n_features_in_ = n_names - len(self.targets_) if has_covariates else n_names
        return self

    # ------------------------------------------------------------ helpers
    @property
    def target_names_(self) -> list[str]:
        """Names of the predicted columns."""
        return [self.names_[j] for j in self.targets_]

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "values_")
        except Exception as err:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call fit(series) before "
                "predicting or forecasting."
            ) from err

    def _multi_step(self, values, positions, horizon, covariates=None) -> np.ndarray:
        """Forecasts ``(len(positions), horizon, n_targets)`` starting at each position."""
        return naive_forecasts(
            np.asarray(values)[:, list(self.targets_)],
            positions,
            horizon,
            strategy=self.strategy,
            season_length=self.season_length_,
        )

    def _one_step(self, values, positions) -> np.ndarray:
        """Teacher-forced one-step forecasts ``(len(positions), n_targets)``."""
        return self._multi_step(values, positions, 1)[:, 0, :]


    # ---------------------------------------------------------- predicting
    def forecast(self, horizon: int | None = None):
        """Forecast the steps after the end of the fitted series.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to ``self.horizon``.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels that continue the fitted series, named like the target(s).

        Examples
        --------
        >>> import pandas as pd
        >>> from forecastkit.estimators.naive import NaiveForecaster
        >>> NaiveForecaster("drift").fit(pd.Series([1.0, 2.0, 3.0])).forecast(2).tolist()
        [4.0, 5.0]
        """
        self._check_fitted()
        horizon = check_horizon(self.horizon if horizon is None else horizon)
        n = len(self.values_)
        pred = self._multi_step(self.values_, np.array([n]), horizon)
        return self.time_axis_.wrap(pred[0], start=n, names=self.target_names_)

    def predict(self, X=None):
        """Teacher-forced one-step forecasts, each from the true values before its step.

        Parameters
        ----------
        X : pandas Series, DataFrame or array, optional
            None: over the fitted series (from step ``min_history_`` on). A series that
            continues the fitted one (its first label is the next expected label): one
            prediction per row, the fitted series as history. Any other series: one
            prediction per row that has ``min_history_`` earlier rows.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels of the predicted steps.

        Examples
        --------
        >>> import pandas as pd
        >>> from forecastkit.estimators.naive import NaiveForecaster
        >>> f = NaiveForecaster("last").fit(pd.Series([1.0, 2.0, 3.0]))
        >>> f.predict().tolist(), f.predict(pd.Series([7.0, 8.0], index=[3, 4])).tolist()
        ([1.0, 2.0], [3.0, 7.0])
        """
        self._check_fitted()
        need = self.min_history_
        if X is None:
            values, axis, start = self.values_, self.time_axis_, need
        else:
            checked = check_series(X, target=self.target, freq=self.freq, name="X")
            if checked.values.shape[1] != len(self.names_):
                raise DataError(
                    f"`X` must have the fitted columns {list(self.names_)}; got "
                    f"{list(checked.names)}."
                )
            if self.time_axis_.continued_by(checked.axis.index()):
                values = np.concatenate([self.values_, checked.values])
                axis, start = self.time_axis_.extend(len(checked.values)), len(self.values_)
            else:
                self.time_axis_.check_same_grid(checked.axis, argname="X")
                values, axis, start = checked.values, checked.axis, need
        positions = np.arange(start, len(values))
        if len(positions) == 0:
            raise DataError(
                f"`X` has {len(values)} steps; strategy={self.strategy!r} needs more than "
                f"{need}. Pass a longer series, or one that continues the fitted series."
            )
        pred = self._one_step(values, positions)
        return axis.wrap(pred, start=start, names=self.target_names_)

    # ---------------------------------------------------------- evaluation
    def backtest(self, y=None, horizon=None, n_origins=None, step=1):
        """Rolling-origin evaluation; see :func:`forecastkit.backtest.backtest`.

        Examples
        --------
        >>> from forecastkit import datasets
        >>> from forecastkit.estimators.naive import NaiveForecaster
        >>> f = NaiveForecaster("last").fit(datasets.load_airline())
        >>> f.backtest(horizon=3, n_origins=10).forecasts.shape
        (30, 5)
        """
        from forecastkit.backtest import backtest

        horizon = self.horizon if horizon is None else horizon
        return backtest(self, y, horizon, n_origins=n_origins, step=step)
