"""Rolling-origin backtests: forecast from many origins, score each step ahead.

An origin ``o`` is the position of the first forecast step: the forecast from ``o`` sees
``values[:o]`` and predicts ``values[o : o + horizon]``. Without refitting, every origin is
forecast in ONE batched call of the fitted model, for every series of a long-format fit
together, so a thousand origins (or series) cost about as much as one. With ``refit``, a
clone is refitted on ``values[:o]`` (scaling and target transform included), so nothing
after an origin reaches its forecast.

Out of sample by default: with ``n_origins=None`` the origins are the steps the model never
fitted on (those after its training, validation and calibration parts: its held-out test
part, steps added by ``update``, the newer steps of ``y``). So
``Forecaster(test_size=T).fit(y).backtest()`` scores the held-out part only (a held-out part
shorter than the horizon is refused), and an unfitted forecaster is fitted on ``y`` before
its last fifth and scored there. Only a model that saw every step (``test_size=0`` and no
newer data) is backtested from origins inside its training data, which flatters the scores;
an explicit ``n_origins`` also reaches back there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone

from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.exceptions import DataError, ForecastkitError, NotFittedError, ParameterError
from forecastkit.strategies.naive import naive_forecasts

__all__ = ["BacktestResult", "backtest", "starting_or_continuing"]


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
    """Evaluate a forecaster from rolling origins, beside the seasonal naive.

    A Forecaster fitted on a long frame is backtested on every series at once: the
    origins of all series are forecast in one batched call of the shared network, without
    refitting; ``n_origins`` then counts per series. An unfitted forecaster is first fitted
    (a clone, ``test_size=0``) on the part of ``y`` before the first origin.

    Parameters
    ----------
    forecaster : Forecaster or NaiveForecaster
        A fitted forecaster, or an unfitted one together with ``y``.
    y : pandas Series, DataFrame or array, optional
        None: the fitted series. Otherwise a series with the fitted columns that starts
        with the fitted series (same first label, e.g. the fitted data plus newer steps),
        or continues it (its first label is the next one); its values are used. After a
        long-format fit: None or a long frame of fitted ids, each series starting with or
        continuing its fitted one (only its ids are backtested). For an unfitted
        forecaster: the whole series (or long frame) to fit and backtest.
    horizon : int, default=1
        Steps forecast from each origin.
    n_origins : int, optional
        Number of origins, the last at ``n_steps - horizon``, counted back from there (they
        may reach into the data the model was fitted on). None: every origin the model
        never fitted on, from the first step after its training, validation and
        calibration parts (its held-out test part and any newer steps); a model fitted on
        every step gets every origin with enough history (the model's window, plus one
        step when the target is differenced), inside its training data. For an unfitted
        forecaster None means the origins of the last fifth of ``y`` (at least one).
    step : int, default=1
        Steps between consecutive origins.
    refit : bool or int, default=False
        False: the fitted model forecasts every origin, all in one batched call (early
        origins may overlap its training data; see the module notes). True: refit a
        clone on ``values[:o]`` at every origin ``o``. An int ``k``: refit every ``k``
        origins; the origins in between use the last refit (fitted on even older data).
        A refitted clone gets ``test_size=0``: the backtest is its test.
    season_length : int, optional
        Season of the naive baseline and of the MASE scale; defaults to the season of each
        series (the forecaster's ``season_length_`` for one series). Origins with less
        than one season of history use the last value as their naive forecast.

    Returns
    -------
    BacktestResult
        ``forecasts`` (tidy) and ``summary`` (by step). MASE divides each step's MAE by
        the in-sample MAE of the seasonal naive on the data before the first origin; when
        that part is not longer than a season (origins inside the training data), without
        refitting, on the data the model was fitted on instead (NaN when that is not longer
        either, or is exactly seasonal); with several targets the summary averages over
        targets (each scaled by its own MASE scale).

    Raises
    ------
    NotFittedError
        If the forecaster is not fitted and no ``y`` is given.
    ParameterError
        For a bad ``horizon``, ``n_origins``, ``step`` or ``refit``.
    DataError
        If a series is too short for one origin with this horizon, or ``n_origins``
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

    An unfitted forecaster is fitted on the part before the first origin:

    >>> backtest(NaiveForecaster("last"), datasets.load_airline(), 6, n_origins=3).n_origins
    3
    """
    horizon = check_horizon(horizon)
    step = check_window(step, name="step")
    every = _check_refit(refit)
    if n_origins is not None:
        n_origins = check_window(n_origins, name="n_origins")
    if season_length is not None:
        season_length = check_window(season_length, name="season_length")
    if not _is_fitted(forecaster):
        forecaster = _fit_before_origins(forecaster, y, horizon, n_origins, step)
    long = getattr(forecaster, "input_kind_", "series") == "long"
    if every and long:
        raise ParameterError(
            "refit= is not offered after a long-format fit: refitting the global model at "
            "every origin would retrain it on every series. Use refit=False, with the origins "
            "in a held-out part (fit with test_size=)."
        )
    series = forecaster._backtest_series(y)  # {id: (values, axis)}
    origins = {}
    for uid, (values, _) in series.items():
        need = forecaster._min_history(uid)
        try:
            if n_origins is None:
                need = _out_of_sample(len(values), need, forecaster._seen_steps(uid), horizon)
            origins[uid] = _origins(len(values), need, horizon, n_origins, step)
        except DataError as err:
            if not long:
                raise
            raise DataError(f"Series {uid!r}: {err}") from err
    if every:
        ((uid, (values, axis)),) = series.items()
        preds = {uid: _refit_forecasts(forecaster, values, axis, origins[uid], horizon, every)}
    else:
        preds = forecaster._backtest_forecasts(series, origins, horizon)

    targets = list(forecaster.targets_)
    names = [forecaster.names_[j] for j in targets]
    pieces, summaries, seasons = [], [], []
    for uid, (values, axis) in series.items():
        o, pred = origins[uid], np.asarray(preds[uid], dtype=np.float64)
        m = forecaster._season_length(uid) if season_length is None else season_length
        rows = o[:, None] + np.arange(horizon)[None, :]  # (n_origins, horizon)
        target_values = np.asarray(values, dtype=np.float64)[:, targets]
        actual = target_values[rows]  # (n_origins, horizon, n_targets)
        naive = naive_forecasts(target_values, o, horizon, strategy="last")
        ok = o >= m  # origins with a full season of history
        if ok.any():
            naive[ok] = naive_forecasts(target_values, o[ok], horizon, season_length=m)
        if not np.isfinite(pred).all():
            raise DataError(
                f"{f'Series {uid!r}: ' if long else ''}the forecasts hold NaN or infinite "
                "values; the model is not usable on this data (refit it)."
            )
        pieces.append(_tidy_columns(axis, o, rows, actual, pred))
        in_sample = int(o[0])
        if in_sample <= m and not every:  # too short to scale: the data the model fitted on
            in_sample = max(in_sample, forecaster._seen_steps(uid))
        summaries.append(_summary(actual, pred, naive, target_values[:in_sample], m))
        seasons.append(m)
    n_total = sum(len(o) for o in origins.values())
    forecasts = _tidy(pieces, names)
    if long:
        lengths = [len(piece["actual"]) for piece in pieces]
        forecasts.insert(0, forecaster.id_col, pd.Index(list(series)).repeat(lengths))
    # several series: the mean over series of each series' summary (MASE is scale free)
    table = summaries[0]
    if len(summaries) > 1:
        with warnings.catch_warnings():  # a step with no MASE in any series stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            table = np.nanmean(np.stack(summaries), axis=0)
    summary = pd.DataFrame(table, columns=SUMMARY_COLUMNS)
    summary.index = pd.RangeIndex(1, horizon + 1, name="step")
    season = seasons[0] if not long else forecaster.season_length_
    season = season if season_length is None else season_length
    return BacktestResult(forecasts, summary, horizon, n_total, int(season), refit)


def starting_or_continuing(forecaster, fitted, axis, y):
    """Return the values and time axis of ``y``, which starts with or continues a fitted series.

    ``fitted`` (on ``axis``) is the fitted series; a continuing ``y`` is appended to it.
    """
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


# --------------------------------------------------------------------------------------------
# Helpers


def _is_fitted(forecaster) -> bool:
    try:
        forecaster._check_fitted()
    except ForecastkitError:
        return False
    return True


def _fit_before_origins(forecaster, y, horizon, n_origins, step):
    """Fit a clone on the part of ``y`` before its first origin (long frames: per series)."""
    from forecastkit.data.long import is_long_frame

    if y is None:
        raise NotFittedError(
            f"This {type(forecaster).__name__} is not fitted yet. Call fit(series) before "
            "backtest(), or pass the series as y= to fit it on the part before the first origin."
        )
    model = _unfitted_clone(forecaster)
    options = {
        k: getattr(forecaster, k, d) for k, d in (("id_col", "unique_id"), ("time_col", "ds"))
    }
    if is_long_frame(y, **options):
        id_col, time_col = options["id_col"], options["time_col"]
        frame = y.sort_values([id_col, time_col], kind="stable")
        sizes = frame.groupby(id_col, sort=False, observed=True)[time_col].transform("size")
        position = frame.groupby(id_col, sort=False, observed=True).cumcount()
        keep = position < sizes - _held_out(sizes.to_numpy(), horizon, n_origins, step)
        history = frame[keep.to_numpy()]
    else:
        n = len(y)
        history = y[: n - int(_held_out(np.array([n]), horizon, n_origins, step)[0])]
    try:
        return model.fit(history)
    except ForecastkitError as err:
        raise DataError(
            f"Fitting {type(forecaster).__name__} on the part before the first origin "
            f"failed: {err} Use fewer origins (n_origins) or a longer series."
        ) from err


def _unfitted_clone(forecaster):
    """Return a clone to fit inside a backtest, with no test part (the backtest is its test)."""
    model = clone(forecaster)
    if "test_size" in model.get_params():
        model.set_params(test_size=0)
    return model


def _held_out(n_steps: np.ndarray, horizon: int, n_origins, step: int) -> np.ndarray:
    """Return the steps from the first origin to the end, per series length."""
    if n_origins is None:  # the origins of the last fifth of each series
        span = np.maximum(np.asarray(n_steps) // 5, horizon)
        return horizon + step * ((span - horizon) // step)
    return np.full(len(n_steps), horizon + step * (n_origins - 1))


def _out_of_sample(n: int, need: int, seen: int, horizon: int) -> int:
    """Return the history before the first default origin: the steps the model fitted on.

    ``seen`` of the ``n`` steps (training, validation, calibration) were fitted on; the
    default origins start after them (and after the model's own ``need``). A model that
    fitted on every step gets every origin with ``need`` steps of history (in sample).

    >>> _out_of_sample(100, 12, 80, 6), _out_of_sample(100, 12, 100, 6)
    (80, 12)

    Raises
    ------
    DataError
        If the unseen part is shorter than one horizon.
    """
    if seen >= n or need + horizon > n:
        return need  # in sample; or a horizon too long for the series (refused by _origins)
    if seen + horizon > n:
        raise DataError(
            f"The model never fitted on the last {n - seen} steps, fewer than "
            f"`horizon`={horizon}: no origin of the default backtest fits there. Use "
            f"horizon<={n - seen}, fit with a larger test_size, or pass n_origins= to "
            "backtest from origins inside the training data (optimistic)."
        )
    return max(need, seen)


def _origins(n: int, need: int, horizon: int, n_origins, step: int) -> np.ndarray:
    """Ascending origin positions, the last at ``n - horizon``."""
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
    elif n_origins > room:
        raise DataError(
            f"`n_origins`={n_origins} do not fit: with {n} steps, horizon={horizon}, "
            f"step={step} and {need} steps of history before the first origin, at most "
            f"{room} origins fit. Pass n_origins<={room}, a smaller step or more data."
        )
    return last - step * np.arange(n_origins)[::-1]


def _check_refit(refit) -> int:
    """Refit every how many origins (0: never)."""
    if isinstance(refit, bool | np.bool_):
        return int(bool(refit))
    if isinstance(refit, Integral) and refit >= 1:
        return int(refit)
    raise ParameterError(
        f"`refit` must be True, False or an int >= 1 (refit every k origins); got refit={refit!r}."
    )


def _refit_forecasts(forecaster, values, axis, origins, horizon, every) -> np.ndarray:
    """Refit a clone on ``values[:o]`` at every ``every``-th origin; forecast in groups."""
    names = list(forecaster.names_)
    targets = list(forecaster.targets_)
    parts = []
    for first in range(0, len(origins), every):
        group = origins[first : first + every]
        model = _unfitted_clone(forecaster)
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
        ((uid, _),) = model._backtest_series(None).items()
        parts.append(model._backtest_forecasts({uid: (values, axis)}, {uid: group}, horizon)[uid])
    return np.concatenate(parts, axis=0)


SUMMARY_COLUMNS = ["mae", "rmse", "mase", "naive_mae", "naive_rmse", "naive_mase"]


def _tidy_columns(axis, origins, rows, actual, pred) -> dict:
    """One series' tidy columns (arrays and label indexes), origin-major order."""
    n_origins, horizon, n_targets = pred.shape
    labels = axis.labels(0, int(rows.max()) + 1)
    return {
        "origin": labels.take(np.repeat(origins, horizon * n_targets)),
        "step": np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), n_origins),
        "label": labels.take(np.repeat(rows.reshape(-1), n_targets)),
        "actual": actual.reshape(-1),
        "forecast": pred.reshape(-1),
        "n_targets": n_targets,
    }


def _tidy(pieces: list[dict], names) -> pd.DataFrame:
    """Long frame: origin, step, label, actual, forecast (+ target), series after series.

    Built once from every series' columns: one DataFrame, not one per series.
    """

    def index(key):
        first = pieces[0][key]
        return first.append([p[key] for p in pieces[1:]]) if len(pieces) > 1 else first

    frame = pd.DataFrame(
        {
            "origin": index("origin"),
            "step": np.concatenate([p["step"] for p in pieces]),
            "label": index("label"),
            "actual": np.concatenate([p["actual"] for p in pieces]),
            "forecast": np.concatenate([p["forecast"] for p in pieces]),
        }
    )
    n_targets = pieces[0]["n_targets"]
    if n_targets > 1:
        frame.insert(3, "target", np.tile(names, len(frame) // n_targets))
    return frame


def _summary(actual, pred, naive, history, m) -> np.ndarray:
    """Errors by step ahead ``(horizon, 6)`` of the model and the naive baseline.

    Columns :data:`SUMMARY_COLUMNS`, averaged over targets; vectorised over steps (the same
    numbers as :func:`forecastkit.metrics.mae`, ``rmse`` and ``mase`` per step): MASE
    divides by the in-sample seasonal-naive MAE of ``history`` per target, NaN when
    ``history`` is not longer than ``m`` or that scale is 0.
    """
    history = np.asarray(history, dtype=np.float64)
    scale = np.full(actual.shape[2], np.nan)
    if len(history) > m:
        scale = np.mean(np.abs(history[m:] - history[:-m]), axis=0)
        scale = np.where(scale > 0, scale, np.nan)
    columns = []
    for p in (pred, naive):
        err = np.asarray(actual, dtype=np.float64) - p  # (n_origins, horizon, n_targets)
        columns.append(np.mean(np.abs(err), axis=(0, 2)))
        columns.append(np.sqrt(np.mean(err**2, axis=(0, 2))))
        columns.append(np.mean(np.abs(err) / scale, axis=(0, 2)))
    return np.stack(columns, axis=1)
