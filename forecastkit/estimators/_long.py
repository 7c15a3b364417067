"""One global Forecaster over many series given in long format (``unique_id``, ``ds``, ``y``).

:class:`~forecastkit.estimators.forecaster.Forecaster` calls these functions from short
branches when ``fit`` receives a long frame. Each series keeps its own time axis, target
transform (logs chosen per series; differencing shared, see :func:`fit_long`) and scaler
fitted on its own training part; training windows from every series train ONE network
(built and trained by ``Forecaster._train_network``, as for one series); forecasts of all
series come from one batched call of the compiled recursion.

Fitted state of a long-format fit: ``series_`` (dict id -> :class:`SeriesState`, in the
order the ids first appear), plus the attributes every fit sets (``model_``, ``window_``,
``history_``, ...). The one-series attributes (``values_``, ``time_axis_``, ``scaler_``,
``transform_``) are absent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecastkit.data.long import split_long, split_long_groups, to_long
from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.seasonality import season_length
from forecastkit.data.splits import split_sizes
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.transforms import TargetTransform, choose_transform
from forecastkit.data.validation import check_horizon, check_window
from forecastkit.data.windows import make_windows
from forecastkit.estimators._keras import history_from_manifest, history_to_manifest
from forecastkit.exceptions import DataError, ModelFileError, ParameterError
from forecastkit.strategies import STRATEGIES

__all__ = [
    "SeriesState",
    "evaluate_long",
    "fit_long",
    "forecast_long",
    "load_long",
    "one_series",
    "predict_long",
    "save_long",
    "unsupported",
]

_TARGETS = (0,)  # a long frame has one value column


@dataclass(frozen=True, eq=False)
class SeriesState:
    """What a global Forecaster keeps for one series of a long-format fit.

    Attributes
    ----------
    values : numpy.ndarray of shape (n_steps, 1)
        The fitted series, float32, original units.
    axis : TimeAxis
        Its own time axis (own start, length and frequency).
    transform : TargetTransform
        Its target transform (logs chosen from its own training part).
    scaler : SeriesScaler
        Fitted on its own training part only.
    sizes : tuple of int
        ``(n_train, n_val, n_test)`` steps.
    season_length : int
        Season of its frequency (1 when none is known).
    """

    values: np.ndarray
    axis: TimeAxis
    transform: TargetTransform
    scaler: SeriesScaler
    sizes: tuple[int, int, int]
    season_length: int


# ------------------------------------------------------------------------ fit
def fit_long(est, frame, y=None):
    """Fit ``est`` (a Forecaster) as one global model on every series of ``frame``.

    ``frame`` is a long frame, or long frames group by group (a list or iterator, e.g.
    :func:`~forecastkit.data.long.read_parquet_groups`): each group is split into its
    checked series (float32 values and time axis) before the next is read, so one group's
    long frame is in memory at a time; the training windows are then streamed as for any
    long-format fit (:class:`~forecastkit.training.dataset.WindowDataset` when large).

    Per series: checks and own time axis (:func:`~forecastkit.data.long.split_long`),
    chronological train / validation / test split, target transform and scaler from its
    training part only, and its training and validation windows. Differencing is one
    choice for all series (a network cannot mix levels and differences): with
    ``target_transform="auto"`` the series vote, each by the KPSS test on its own training part,
    and the majority wins (ties: no differencing); logs stay a per-series choice.
    ``window=None`` takes two seasons of the most common season length among the series
    (ties: the longer season), or 10 when no season is known, at most a fifth of the median
    series length (``default_window`` of the one-series fit).

    Returns
    -------
    est
    """
    if y is not None:
        raise ParameterError(
            "A long-format frame holds the targets itself: call fit(frame) without `y` "
            "(covariates are not supported in long format)."
        )
    if getattr(est, "calibration_size", None) is not None:
        raise ParameterError(
            "`calibration_size` sets aside a part for prediction intervals, which a "
            "long-format fit does not offer; drop calibration_size=."
        )
    if est.target is not None:
        raise ParameterError(
            f"`target` applies to one series with several columns; long-format input names "
            f"its value column with target_col= (got target={est.target!r}). Drop target=."
        )
    options = {
        "id_col": est.id_col,
        "time_col": est.time_col,
        "target_col": est.target_col,
        "freq": est.freq,
    }
    if isinstance(frame, pd.DataFrame):
        parts = split_long(frame, **options)
    else:  # long frames group by group (e.g. a Parquet folder): one in memory at a time
        parts = [part for group in split_long_groups(frame, **options) for part in group]
    seasons = [season_length(checked.axis.freq) for _, checked in parts]
    counts = Counter(seasons)
    common = max(counts, key=lambda m: (counts[m], m))
    if est.window is None:
        from forecastkit.estimators.forecaster import default_window  # (imports this module)

        median = int(np.median([len(checked.values) for _, checked in parts]))
        window = default_window(common, median)
    else:
        window = check_window(est.window)
    out_steps = check_horizon(est.horizon) if est.strategy == "direct" else 1

    sizes, short = {}, {}
    for uid, checked in parts:
        try:
            sizes[uid] = split_sizes(
                len(checked.values),
                window=window,
                horizon=out_steps,
                val_size=est.val_size,
                test_size=est.test_size,
                axis=checked.axis,
            )
        except DataError:
            short[uid] = len(checked.values)
        except ParameterError as err:
            raise ParameterError(f"Series {uid!r}: {err}") from err
    transforms = {}
    for (uid, checked), m in zip(parts, seasons, strict=True):
        if uid in sizes:
            train = checked.values[: sizes[uid].n_train]
            try:
                transforms[uid] = choose_transform(
                    train, _TARGETS, season_length=m, mode=est.target_transform
                )
            except ParameterError as err:
                raise ParameterError(f"Series {uid!r}: {err}") from err
    votes = [t.diff for t in transforms.values()]
    diff = int(2 * sum(votes) > len(votes))
    for uid, n_steps in ((u, len(c.values)) for u, c in parts):
        if uid in sizes and sizes[uid].n_train - diff < window + out_steps:
            short[uid] = n_steps
    if short:
        raise DataError(_too_short_message(est, short, window, out_steps, diff, len(parts)))

    states, train_parts, val_parts = {}, [], []
    for (uid, checked), m in zip(parts, seasons, strict=True):
        transform = TargetTransform(log=transforms[uid].log, diff=diff)
        n_train, n_val, n_test = (sizes[uid].n_train, sizes[uid].n_val, sizes[uid].n_test)
        z = transform.forward(checked.values, _TARGETS)
        scaler = SeriesScaler(est.scaler, targets=_TARGETS, n_features=1)
        scaled = scaler.fit(z[: n_train - diff]).transform(z)
        lo, hi = n_train - diff, n_train + n_val - diff
        train_parts.append(scaled[:lo])  # windows are cut (or streamed) by _train_network
        val_parts.append(scaled[max(lo - window, 0) : hi])
        states[uid] = SeriesState(
            checked.values, checked.axis, transform, scaler, (n_train, n_val, n_test), m
        )
    model, history, best_epoch = est._train_network(
        train_parts,
        val_parts,
        window=window,
        n_features=1,
        out_steps=out_steps,
        n_targets=1,
        targets=_TARGETS,
    )
    _set_fitted(
        est,
        model=model,
        states=states,
        window=window,
        out_steps=out_steps,
        season=common,
        history=history,
        best_epoch=best_epoch,
    )
    return est


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
    for n_steps in range(window + out_steps + diff, 100 * (window + out_steps + diff) + 1000):
        try:
            s = split_sizes(
                n_steps,
                window=window,
                horizon=out_steps,
                val_size=est.val_size,
                test_size=est.test_size,
            )
        except DataError:
            continue
        except ParameterError:
            return None
        if s.n_train - diff >= window + out_steps:
            return n_steps
    return None


def _set_fitted(est, *, model, states, window, out_steps, season, history, best_epoch):
    """Store the learned state of a long-format fit (shared by fit and load)."""
    from forecastkit.models.compiled import CompiledPredict, CompiledRecursion

    one_series = ("values_", "time_axis_", "transform_", "scaler_", "sizes_", "_buffer")
    for name in (*one_series, "n_calibration_", "_calibration"):
        vars(est).pop(name, None)  # one-series state of an earlier fit
    est.model_ = model
    est.series_ = dict(states)
    est.names_ = (str(est.target_col),)
    est.targets_ = _TARGETS
    est.window_ = int(window)
    est.out_steps_ = int(out_steps)
    est.season_length_ = int(season)
    est.has_covariates_ = False
    est.history_ = history
    est.best_epoch_ = best_epoch
    est.n_features_in_ = 1
    est._predict_fn = CompiledPredict(model)
    est._recursion = CompiledRecursion(model, _TARGETS)
    est._affine = None  # per-series scaling as (scale, offset), see _affine_scalers


# ------------------------------------------------------------------ predicting
def _column(est) -> str:
    """Name of the value column of long output: the estimator's class (neuralforecast style)."""
    return type(est).__name__


def forecast_long(est, horizon: int, X=None) -> pd.DataFrame:
    """Forecast ``horizon`` steps after the end of every series, in one batched call.

    Returns
    -------
    pandas.DataFrame
        Columns ``[id_col, time_col, "<class name>"]``; each series' rows carry the labels
        that continue that series.
    """
    if X is not None:
        raise ParameterError(
            "This Forecaster was fitted on a long-format frame, which has no covariates; call "
            "forecast(horizon) without X."
        )
    window, states = est.window_, list(est.series_.values())
    # Transformed tails (NumPy, per series), then every series' scaling at once: one
    # scikit-learn call per series would cost far more than the batched network.
    z = np.stack(
        [
            s.transform.forward(s.values[len(s.values) - window - s.transform.diff :], _TARGETS)
            for s in states
        ]
    )  # (n_series, window, 1)
    scale, offset = _affine_scalers(est)
    other = np.flatnonzero(np.isnan(scale))  # scalers that are not affine: one call each
    windows = (z * scale[:, None, None] + offset[:, None, None]).astype(np.float32)
    for i in other:
        windows[i] = states[i].scaler.transform(z[i])
    if est.strategy == "direct":
        pred = STRATEGIES["direct"](est._predict_fn, windows, horizon)
    else:
        pred = est._recursion(windows, horizon)  # (n_series, horizon, 1)
    z_pred = (pred - offset[:, None, None]) / scale[:, None, None]
    for i in other:
        z_pred[i] = states[i].scaler.inverse_transform_targets(pred[i : i + 1])[0]
    levels = np.empty(pred.shape, np.float64)
    for log in (False, True):  # transforms differ only in their log flag (diff is shared)
        rows = [i for i, s in enumerate(states) if bool(s.transform.log[0]) == log]
        if rows:
            transform = states[rows[0]].transform
            anchor = np.stack([transform.levels(states[i].values[-1:], _TARGETS)[0] for i in rows])
            levels[rows] = transform.inverse(z_pred[rows], anchor)
    pieces = [
        s.axis.wrap(levels[i], start=len(s.values), names=[_column(est)])
        for i, s in enumerate(states)
    ]
    return to_long(
        list(est.series_), pieces, id_col=est.id_col, time_col=est.time_col, name=_column(est)
    )


def _is_linear(transformer) -> bool:
    """Whether a fitted scikit-learn transformer is a per-column map ``x * a + b`` everywhere."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    if isinstance(transformer, Pipeline):
        return all(
            _is_linear(step) for _, step in transformer.steps if step not in (None, "passthrough")
        )
    if isinstance(transformer, MinMaxScaler):
        return not transformer.clip
    return type(transformer) in (StandardScaler, MaxAbsScaler, RobustScaler)


def _affine_scalers(est) -> tuple[np.ndarray, np.ndarray]:
    """Per-series ``(scale, offset)`` with ``scaler.transform(z) == z * scale + offset``.

    Known linear scalers (StandardScaler, MaxAbsScaler, RobustScaler, MinMaxScaler without
    clipping, pipelines of them) scale all series in one batch: their line is read off two
    probe points once per fit and cached. NaN for any other scaler, which is then called
    directly (a clipped or quantile scaler is linear only piecewise).
    """
    if getattr(est, "_affine", None) is not None:
        return est._affine
    probe = np.array([[0.0], [1.0]], dtype=np.float32)
    scale, offset = np.full(len(est.series_), np.nan), np.full(len(est.series_), np.nan)
    for i, s in enumerate(est.series_.values()):
        if _is_linear(s.scaler.target_):
            out = np.asarray(s.scaler.transform(probe), dtype=np.float64)[:, 0]
            scale[i], offset[i] = out[1] - out[0], out[0]
    est._affine = (scale, offset)
    return est._affine


def _to_levels(state: SeriesState, pred, values, positions) -> np.ndarray:
    """Scaled transformed predictions ``(n, h, 1)`` -> original units, anchored before each."""
    z = state.scaler.inverse_transform_targets(pred)
    anchor = state.transform.levels(values, _TARGETS)[np.asarray(positions) - 1]
    return state.transform.inverse(z, anchor)


def predict_long(est, X=None) -> pd.DataFrame:
    """Teacher-forced one-step predictions for every series, in one batched network call.

    ``X`` None: over the fitted series (each from its step ``window + diff`` on). ``X`` a
    long frame of fitted ids: a series that continues its fitted one (its first label is
    the next expected label) is predicted at each of its rows with the fitted tail as
    context; any other is predicted at each row that has a full window before it.
    """
    w = est.window_
    jobs = []  # (uid, state, values, axis, start)
    if X is None:
        for uid, s in est.series_.items():
            jobs.append((uid, s, s.values, s.axis, w + s.transform.diff))
    else:
        parts = split_long(
            X, id_col=est.id_col, time_col=est.time_col, target_col=est.target_col, freq=est.freq
        )
        unknown = [uid for uid, _ in parts if uid not in est.series_]
        if unknown:
            raise DataError(
                f"`X` has series that were not fitted: {unknown[:20]}. A global model keeps a "
                f"scaler per fitted series; predict only fitted ids, or refit with them."
            )
        for uid, checked in parts:
            s = est.series_[uid]
            if s.axis.continued_by(checked.axis.index()):
                values = np.concatenate([s.values, checked.values])
                jobs.append((uid, s, values, s.axis.extend(len(checked.values)), len(s.values)))
            else:
                try:
                    s.axis.check_same_grid(checked.axis, argname="X")
                except DataError as err:
                    raise DataError(f"Series {uid!r} ({est.id_col} == {uid!r}): {err}") from err
                jobs.append((uid, s, checked.values, checked.axis, w + s.transform.diff))
    short = [uid for uid, _, values, _, start in jobs if len(values) <= start]
    if short:
        raise DataError(
            f"Series {short[:20]} of `X` have no step with window={w} (+ differencing) steps "
            f"before it. Pass longer series, or ones that continue the fitted series."
        )
    windows, counts = [], []
    for _, s, values, _, start in jobs:
        positions = np.arange(start, len(values))
        scaled = s.scaler.transform(s.transform.forward(values, _TARGETS))
        windows.append(make_windows(scaled, w, 0)[0][positions - s.transform.diff - w])
        counts.append(len(positions))
    pred = est._predict_fn(np.concatenate(windows))[:, :1, :]  # (n_windows, 1, 1)
    pieces, offset = [], 0
    for (_, s, values, axis, start), k in zip(jobs, counts, strict=True):
        positions = np.arange(start, len(values))
        levels = _to_levels(s, pred[offset : offset + k], values, positions)[:, 0, :]
        pieces.append(axis.wrap(levels, start=start, names=[_column(est)]))
        offset += k
    return to_long(
        [uid for uid, *_ in jobs],
        pieces,
        id_col=est.id_col,
        time_col=est.time_col,
        name=_column(est),
    )


def one_series(est, uid):
    """Return the one-series Forecaster of series ``uid`` of a long-format fit (``for_series``)."""
    from sklearn.base import clone

    try:
        known_id = uid in est.series_
    except TypeError:  # unhashable: a list, a frame, ...
        known_id = False
    if not known_id:
        known = list(est.series_)
        raise DataError(
            f"No series {uid!r} in this fit; its ids are {known[:20]}"
            f"{' ...' if len(known) > 20 else ''}. Pass one of them."
        )
    s = est.series_[uid]
    view = clone(est)
    view._set_fitted(
        model=est.model_,
        values=s.values,
        axis=s.axis,
        names=(str(est.target_col),),
        targets=_TARGETS,
        window=est.window_,
        out_steps=est.out_steps_,
        transform=s.transform,
        scaler=s.scaler,
        sizes=s.sizes,
        season=s.season_length,
        has_covariates=False,
        history=est.history_,
        best_epoch=est.best_epoch_,
    )
    view._predict_fn, view._recursion = est._predict_fn, est._recursion  # compiled once
    return view


def evaluate_long(est) -> pd.DataFrame:
    """``evaluate()`` of every series (its own test part), stacked by id."""
    tables = {uid: one_series(est, uid).evaluate() for uid in est.series_}
    table = pd.concat(tables, names=[est.id_col, "model"])
    return table


def unsupported(method: str, hint: str) -> ParameterError:
    """Return the error for a one-series method called on a long-format fit."""
    return ParameterError(
        f"{method} is not available for a Forecaster fitted on a long-format frame (one "
        f"global model over many series). {hint}"
    )


# ----------------------------------------------------------------- persistence
def save_long(est, path) -> None:
    """Save a long-format fit: the network, per-series state in the manifest, values in npz."""
    from forecastkit.persistence import (
        check_ids,
        encode_params,
        save_archive,
        transformer_to_dict,
    )

    ids = check_ids(est.series_, est.id_col)
    states = list(est.series_.values())
    series = [
        {
            "id": uid,
            "time_axis": s.axis.to_dict(),
            "transform": s.transform.to_dict(),
            "sizes": list(s.sizes),
            "season_length": s.season_length,
            "scaler_target": transformer_to_dict(s.scaler.target_),
        }
        for uid, s in zip(ids, states, strict=True)
    ]
    manifest = {
        "estimator": type(est).__name__,
        "params": encode_params(est.get_params()),
        "fitted": {
            "long": {
                "series": series,
                "window": est.window_,
                "out_steps": est.out_steps_,
                "season_length": est.season_length_,
                "best_epoch": est.best_epoch_,
                **history_to_manifest(est.history_),
            }
        },
    }
    arrays = {
        "values": np.concatenate([s.values for s in states]),
        "lengths": np.array([len(s.values) for s in states], dtype=np.int64),
    }
    save_archive(path, est.model_, manifest, arrays)


def load_long(est, model, manifest: dict, arrays: dict, path):
    """Restore a long-format fit saved by :func:`save_long` into ``est``; returns ``est``."""
    from forecastkit.persistence import transformer_from_dict

    try:
        fitted = manifest["fitted"]["long"]
        lengths = np.asarray(arrays["lengths"], dtype=np.int64)
        values = np.asarray(arrays["values"], dtype=np.float32)
        if len(lengths) != len(fitted["series"]) or lengths.sum() != len(values):
            raise ValueError("the saved values do not match the saved series")
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        states: dict[Hashable, SeriesState] = {}
        for k, entry in enumerate(fitted["series"]):
            if entry["id"] in states:
                raise ValueError(f"series id {entry['id']!r:.40} is listed twice")
            scaler = SeriesScaler(est.scaler, targets=_TARGETS, n_features=1)
            scaler.target_ = transformer_from_dict(entry["scaler_target"])
            scaler.features_ = None
            states[entry["id"]] = SeriesState(
                values[bounds[k] : bounds[k + 1]],
                TimeAxis.from_dict(entry["time_axis"]),
                TargetTransform.from_dict(entry["transform"]),
                scaler,
                tuple(int(v) for v in entry["sizes"]),
                int(entry["season_length"]),
            )
        history = history_from_manifest(fitted)
        _set_fitted(
            est,
            model=model,
            states=states,
            window=fitted["window"],
            out_steps=fitted["out_steps"],
            season=fitted["season_length"],
            history=history,
            best_epoch=fitted["best_epoch"],
        )
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise ModelFileError(
            f"{path!r} has an incomplete or invalid forecastkit manifest for a long-format "
            f"fit ({err!r}). Save the model again."
        ) from err
    return est
