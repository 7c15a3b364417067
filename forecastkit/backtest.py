"""Rolling-origin backtests: forecast from many origins, score each step ahead.

An origin ``o`` is the position of the first forecast step: the forecast from ``o`` sees
``values[:o]`` and predicts ``values[o : o + horizon]``. Without refitting, every origin is
forecast in ONE batched call of the fitted model (``forecaster._multi_step``), so a thousand
origins cost about as much as one. With ``refit``, a clone is refitted on ``values[:o]``
(scaling and target transform included), so nothing after an origin reaches its forecast.

Careful: without refitting the model was fitted once, on the fitted series, and early
origins may lie inside its training data, which flatters the scores. The honest layout is to
fit with a held-out part (``Forecaster(test_size=T).fit(y)``) and backtest only there
(``n_origins <= T - horizon + 1``), or to fit on older data and pass the newer series as
``y`` (a series that starts with, or continues, the fitted one).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone

from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.estimators.naive import naive_forecasts
from forecastkit.exceptions import DataError, ForecastkitError, NotFittedError, ParameterError
from forecastkit.metrics import mae, mase, rmse

__all__ = ["BacktestResult", "backtest"]


@dataclass(frozen=True)
class BacktestResult:
    """The forecasts of a backtest and their errors by step ahead.

    Attributes
    ----------
    forecasts : pandas.DataFrame
        Tidy: one row per origin, step and target, with columns ``origin`` (label of the
        first forecast step), ``step`` (1..horizon), ``label`` (label of the forecast
        step), ``actual`` and ``forecast``, plus ``target`` for several targets. After a
        long-format fit, the series id comes first (column ``id_col``).
    summary : pandas.DataFrame
        Indexed by ``step``; columns ``mae``, ``rmse``, ``mase`` of the model and
        ``naive_mae``, ``naive_rmse``, ``naive_mase`` of the seasonal-naive forecast from
        the same origins (the layout :func:`forecastkit.plotting.plot_backtest` draws).
        After a long-format fit: the mean over series of each series' summary (compare
        series of different scales by ``mase``).
    horizon, n_origins, season_length : int
        ``n_origins``: all series together after a long-format fit.
    refit : bool or int
    """

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    horizon: int
    n_origins: int
    season_length: int
    refit: bool | int

    def __repr__(self) -> str:
        """Show the settings and the summary table."""
        first, last = self.forecasts["origin"].iloc[0], self.forecasts["origin"].iloc[-1]
        return (
            f"BacktestResult(horizon={self.horizon}, n_origins={self.n_origins}, "
            f"origins {first} .. {last}, refit={self.refit}, "
            f"season_length={self.season_length})\n{self.summary.to_string()}"
        )


def backtest(
    forecaster,
    y=None,
    horizon: int = 1,
    *,
    n_origins: int | None = None,
    step: int = 1,
    refit: bool | int = False,
    season_length: int | None = None,
) -> BacktestResult:
    """Evaluate a fitted forecaster from rolling origins, beside the seasonal naive.

    A Forecaster fitted on a long frame is backtested series by series (each through
    ``forecaster.for_series(uid)``, the shared network forecasting all of a series' origins
    in one call), without refitting; ``n_origins`` then counts per series.

    Parameters
    ----------
    forecaster : Forecaster or NaiveForecaster
        A fitted forecaster.
    y : pandas Series, DataFrame or array, optional
        None: the fitted series. Otherwise a series with the fitted columns that starts
        with the fitted series (same first label, e.g. the fitted data plus newer steps),
        or continues it (its first label is the next one); its values are used. After a
        long-format fit: None or a long frame of fitted ids, each series starting with or
        continuing its fitted one (only its ids are backtested).
    horizon : int, default=1
        Steps forecast from each origin.
    n_origins : int, optional
        Number of origins. None: as many as fit, from the last one (``n_steps - horizon``)
        back to the first with enough history (the model's window, plus one step when the
        target is differenced).
    step : int, default=1
        Steps between consecutive origins.
    refit : bool or int, default=False
        False: the fitted model forecasts every origin, all in one batched call (early
        origins may overlap its training data; see the module notes). True: refit a
        clone on ``values[:o]`` at every origin ``o``. An int ``k``: refit every ``k``
        origins; the origins in between use the last refit (fitted on even older data).
        A refitted clone gets ``test_size=0``: the backtest is its test.
    season_length : int, optional
        Season of the naive baseline and of the MASE scale; defaults to the forecaster's
        ``season_length_``. Origins with less than one season of history use the last
        value as their naive forecast.

    Returns
    -------
    BacktestResult
        ``forecasts`` (tidy) and ``summary`` (by step). MASE divides each step's MAE by
        the in-sample MAE of the seasonal naive on the data before the first origin (NaN
        when that part is not longer than a season, or is exactly seasonal); with several
        targets the summary averages over targets (each scaled by its own MASE scale).

    Raises
    ------
    NotFittedError
        If the forecaster is not fitted.
    ParameterError
        For a bad ``horizon``, ``n_origins``, ``step`` or ``refit``.
    DataError
        If the series is too short for one origin with this horizon, or ``n_origins``
        do not fit, or ``y`` neither starts with nor continues the fitted series.

    Examples
    --------
    >>> from forecastkit import datasets
    >>> from forecastkit.backtest import backtest
    >>> from forecastkit.estimators.naive import NaiveForecaster
    >>> f = NaiveForecaster("seasonal").fit(datasets.load_airline())
    >>> result = backtest(f, horizon=12, n_origins=24)
    >>> result.forecasts.shape, list(result.summary.columns)
    ((288, 5), ['mae', 'rmse', 'mase', 'naive_mae', 'naive_rmse', 'naive_mase'])
    """
    if hasattr(forecaster, "series_"):  # a global model fitted on a long frame
        return _backtest_long(
            forecaster, y, horizon, n_origins=n_origins, step=step, refit=refit, m=season_length
        )
    _check_fitted(forecaster)
    horizon = check_horizon(horizon)
    step = check_window(step, name="step")
    every = _check_refit(refit)
    values, axis = _series(forecaster, y)
    n = len(values)
    targets = list(forecaster.targets_)
    need = _min_history(forecaster)
    last = n - horizon
    if last < need:
        raise DataError(
            f"`horizon`={horizon} is too long for a series of {n} steps: the first origin "
            f"needs {need} earlier steps, so at most horizon={max(n - need, 0)} fits. Use a "
            "shorter horizon or a longer series."
        )
    room = (last - need) // step + 1
    if n_origins is None:
        n_origins = room
    else:
        n_origins = check_window(n_origins, name="n_origins")
        if n_origins > room:
            raise DataError(
                f"`n_origins`={n_origins} do not fit: with {n} steps, horizon={horizon}, "
                f"step={step} and {need} steps of history before the first origin, at most "
                f"{room} origins fit. Pass n_origins<={room}, a smaller step or more data."
            )
    origins = last - step * np.arange(n_origins)[::-1]  # ascending positions

    if every:
        pred = _refit_forecasts(forecaster, values, axis, origins, horizon, every)
    else:
        pred = forecaster._multi_step(
            values, origins, horizon, _covariates(forecaster, values, origins, horizon)
        )
    pred = np.asarray(pred, dtype=np.float64)  # (n_origins, horizon, n_targets)

    m = int(getattr(forecaster, "season_length_", 1) if season_length is None else season_length)
    m = check_window(m, name="season_length")
    rows = origins[:, None] + np.arange(horizon)[None, :]  # (n_origins, horizon)
    target_values = np.asarray(values, dtype=np.float64)[:, targets]
    actual = target_values[rows]  # (n_origins, horizon, n_targets)
    naive = naive_forecasts(target_values, origins, horizon, strategy="last")
    ok = origins >= m  # origins with a full season of history
    if ok.any():
        naive[ok] = naive_forecasts(target_values, origins[ok], horizon, season_length=m)
    names = [forecaster.names_[j] for j in targets]
    forecasts = _tidy(axis, origins, rows, actual, pred, names)
    summary = _summary(actual, pred, naive, target_values[: origins[0]], m)
    return BacktestResult(forecasts, summary, horizon, int(n_origins), m, refit)


# --------------------------------------------------------------------------------------------
# Helpers


def _backtest_long(forecaster, y, horizon, *, n_origins, step, refit, m) -> BacktestResult:
    """Backtest every series of a long-format fit; forecasts stacked, summaries averaged."""
    from forecastkit.data.long import split_long

    if _check_refit(refit):
        raise ParameterError(
            "refit= is not offered after a long-format fit: refitting the global model at "
            "every origin would retrain it on every series. Use refit=False, with the origins "
            "in a held-out part (fit with test_size=)."
        )
    id_col, target_col = forecaster.id_col, forecaster.target_col
    if y is None:
        series = dict.fromkeys(forecaster.series_)
    else:
        parts = split_long(
            y,
            id_col=id_col,
            time_col=forecaster.time_col,
            target_col=target_col,
            freq=forecaster.freq,
        )
        unknown = [uid for uid, _ in parts if uid not in forecaster.series_]
        if unknown:
            raise DataError(
                f"`y` has series that were not fitted: {unknown[:20]}. Backtest fitted ids "
                "only (a global model keeps a scaler per fitted series)."
            )
        series = {
            uid: checked.axis.wrap(checked.values, start=0, names=[target_col])
            for uid, checked in parts
        }
    results = {}
    for uid, data in series.items():
        try:
            results[uid] = backtest(
                forecaster.for_series(uid), data, horizon, n_origins=n_origins, step=step,
                season_length=m,
            )
        except DataError as err:
            raise DataError(f"Series {uid!r}: {err}") from err
    forecasts = pd.concat(
        [r.forecasts.assign(**{id_col: [uid] * len(r.forecasts)}) for uid, r in results.items()],
        ignore_index=True,
    )
    forecasts = forecasts[[id_col, *(c for c in forecasts.columns if c != id_col)]]
    summary = pd.concat([r.summary for r in results.values()]).groupby(level="step").mean()
    first = next(iter(results.values()))
    n_total = sum(r.n_origins for r in results.values())
    season = first.season_length if m is None else int(m)
    return BacktestResult(forecasts, summary, first.horizon, n_total, season, False)


def _check_fitted(forecaster) -> None:
    """Raise NotFittedError unless the forecaster holds a fitted series."""
    if not hasattr(forecaster, "values_"):
        raise NotFittedError(
            f"This {type(forecaster).__name__} is not fitted yet. Call fit(series) before "
            "backtest()."
        )


def _check_refit(refit) -> int:
    """Refit every how many origins (0: never)."""
    if isinstance(refit, bool | np.bool_):
        return int(bool(refit))
    if isinstance(refit, Integral) and refit >= 1:
        return int(refit)
    raise ParameterError(
        f"`refit` must be True, False or an int >= 1 (refit every k origins); got refit={refit!r}."
    )


def _min_history(forecaster) -> int:
    """Fewest earlier steps an origin needs."""
    if hasattr(forecaster, "min_history_"):
        return int(forecaster.min_history_)
    return int(forecaster.window_) + int(forecaster.transform_.diff)


def _series(forecaster, y):
    """Values ``(n_steps, n_features)`` and time axis of the backtested series."""
    fitted, axis = forecaster.values_, forecaster.time_axis_
    if y is None:
        return fitted, axis
    checked = check_series(
        y, target=getattr(forecaster, "target", None), freq=getattr(forecaster, "freq", None)
    )
    if checked.values.shape[1] != fitted.shape[1]:
        raise DataError(
            f"`y` must have the fitted columns {list(forecaster.names_)}; got "
            f"{list(checked.names)}."
        )
    new = checked.axis
    try:  # the same first label AND spacing: the same labels from the start
        same_start = (new.kind, new.start, new.step) == (axis.kind, axis.start, axis.step)
    except (TypeError, ValueError):
        same_start = False
    if same_start:
        return checked.values, new
    if axis.continued_by(new.index()):
        return np.concatenate([fitted, checked.values]), axis.extend(len(checked.values))
    raise DataError(
        f"`y` must start with the fitted series (first label {axis.labels(0, 1)[0]!s}) or "
        f"continue it (first label {axis.future(1)[0]!s}); its first label is "
        f"{new.labels(0, 1)[0]!s}. Pass y=None to backtest over the fitted series."
    )


def _covariates(forecaster, values, origins, horizon):
    """Known future covariates ``(n_origins, horizon, n_covariates)``, or None."""
    others = [j for j in range(values.shape[1]) if j not in forecaster.targets_]
    if not others:
        return None
    rows = origins[:, None] + np.arange(horizon)[None, :]
    return np.asarray(values)[:, others][rows]


def _refit_forecasts(forecaster, values, axis, origins, horizon, every) -> np.ndarray:
    """Refit a clone on ``values[:o]`` at every ``every``-th origin; forecast in groups."""
    names = list(forecaster.names_)
    targets = list(forecaster.targets_)
    parts = []
    for first in range(0, len(origins), every):
        group = origins[first : first + every]
        model = clone(forecaster)
        if "test_size" in model.get_params():
            model.set_params(test_size=0)
        history = axis.wrap(values[: group[0]], start=0, names=names)
        try:
            if getattr(forecaster, "has_covariates_", False):
                target_names = [names[j] for j in targets]
                model.fit(history.drop(columns=target_names), history[target_names])
            else:
                model.fit(history)
        except ForecastkitError as err:
            label = axis.labels(group[0], group[0] + 1)[0]
            raise DataError(
                f"Refitting on the {group[0]} steps before origin {label!s} failed: {err} "
                "Use fewer origins (n_origins) or refit=False."
            ) from err
        cov = _covariates(model, values, group, horizon)
        parts.append(model._multi_step(values, group, horizon, cov))
    return np.concatenate(parts, axis=0)


def _tidy(axis, origins, rows, actual, pred, names) -> pd.DataFrame:
    """Long frame: origin, step, label, actual, forecast (+ target), origin-major order."""
    n_origins, horizon, n_targets = pred.shape
    labels = axis.labels(0, int(rows.max()) + 1)
    frame = pd.DataFrame(
        {
            "origin": labels.take(np.repeat(origins, horizon * n_targets)),
            "step": np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), n_origins),
            "label": labels.take(np.repeat(rows.reshape(-1), n_targets)),
            "actual": actual.reshape(-1),
            "forecast": pred.reshape(-1),
        }
    )
    if n_targets > 1:
        frame.insert(3, "target", np.tile(names, n_origins * horizon))
    return frame


def _summary(actual, pred, naive, history, m) -> pd.DataFrame:
    """Errors by step ahead for the model and the naive baseline, averaged over targets."""
    rows = {}
    for s in range(actual.shape[1]):
        row = {}
        for prefix, p in (("", pred), ("naive_", naive)):
            row[f"{prefix}mae"] = mae(actual[:, s], p[:, s])
            row[f"{prefix}rmse"] = rmse(actual[:, s], p[:, s])
            try:
                row[f"{prefix}mase"] = mase(actual[:, s], p[:, s], y_train=history, season_length=m)
            except DataError:
                row[f"{prefix}mase"] = np.nan
        rows[s + 1] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary = summary[["mae", "rmse", "mase", "naive_mae", "naive_rmse", "naive_mase"]]
    summary.index = pd.RangeIndex(1, actual.shape[1] + 1, name="step")
    return summary
