"""Input and output adapters of the Forecaster: the only code that knows the caller's shape.

A Forecaster fitted on a Series, a wide DataFrame (several targets, covariates) or a long
frame (``id_col``, ``time_col``, ``target_col``) keeps the same state: one
:class:`~forecastkit.estimators._state.SeriesState` per series (id ``None`` for a
one-series fit). These functions turn what the caller passes into per-series pieces
(:func:`fit_parts`, :func:`per_series`), check each piece against its series
(:func:`continued_rows`, :func:`update_rows`, :func:`new_series`), and turn per-series
results back into what the caller gave (:func:`output`): the same kind of pandas object
for one series, a long frame for a long-format fit.
"""

from __future__ import annotations

import contextlib
from contextlib import contextmanager

import numpy as np
import pandas as pd

from forecastkit.data.long import (
    is_frame_groups,
    is_long_frame,
    long_series,
    split_long,
    split_long_groups,
    to_long,
)
from forecastkit.data.validation import CheckedSeries, check_series
from forecastkit.estimators._context import Job
from forecastkit.estimators._inputs import assemble, check_rows
from forecastkit.estimators._state import SeriesState, check_log_positive
from forecastkit.exceptions import DataError, ParameterError

__all__ = [
    "continued_rows",
    "fit_parts",
    "future_covariates",
    "history",
    "in_fitted_order",
    "new_series",
    "output",
    "per_series",
    "phase_of",
    "predict_job",
    "series_errors",
    "update_rows",
    "value_names",
]

LONG, SERIES = "long", "series"


def plain(data):
    """Pandas data with its index replaced by 0, 1, ... (labels checked elsewhere)."""
    if isinstance(data, pd.Series | pd.DataFrame):
        return data.set_axis(pd.RangeIndex(len(data)), axis=0)
    return data


def in_fitted_order(data, names, argname: str):
    """Return a DataFrame's columns in the fitted order, matched by name; others unchanged."""
    if not isinstance(data, pd.DataFrame):
        return data
    columns = [str(c) for c in data.columns]
    if sorted(columns) != sorted(names):
        raise DataError(
            f"`{argname}` must have the fitted columns {list(names)}; got {columns}. Select "
            f"them by name, e.g. {argname}[{list(names)}]."
        )
    return data.set_axis(columns, axis=1)[list(names)]


def _long_options(est) -> dict:
    return {"id_col": est.id_col, "time_col": est.time_col, "target_col": est.target_col}


def is_long_input(est, data) -> bool:
    """Whether ``data`` is a long frame (or long frames group by group) for ``est``."""
    return is_long_frame(data, id_col=est.id_col, time_col=est.time_col) or is_frame_groups(data)


def fit_parts(est, X, y):
    """Return the series of ``fit(X, y)``: ``(parts, names, targets, has_covariates, kind)``.

    ``parts`` lists ``(id, CheckedSeries)``: one entry with id None for a Series or wide
    DataFrame (``assemble``: covariates from ``X``; the values may be a read-only view of
    the caller's data), one per id for a long frame (or long frames group by group, e.g.
    ``read_parquet_groups(folder)``: one group's frame in memory at a time).
    """
    if is_long_input(est, X):
        if y is not None:
            raise ParameterError(
                "A long-format frame holds the targets itself: call fit(frame) without `y` "
                "(covariates are not supported in long format)."
            )
        if est.target is not None:
            raise ParameterError(
                f"`target` applies to one series with several columns; long-format input "
                f"names its value column with target_col= (got target={est.target!r}). Drop "
                "target=."
            )
        options = {**_long_options(est), "freq": est.freq}
        if isinstance(X, pd.DataFrame):
            parts = split_long(X, **options)
        else:  # long frames group by group (e.g. a Parquet folder): one in memory at a time
            parts = [part for group in split_long_groups(X, **options) for part in group]
        return parts, (str(est.target_col),), (0,), False, LONG
    checked, has_covariates = assemble(X, y, target=est.target, freq=est.freq, copy=False)
    return [(None, checked)], checked.names, checked.targets, has_covariates, SERIES


@contextmanager
def series_errors(uid, kind: str):
    """Name the series in a DataError raised for one series of a long-format fit."""
    try:
        yield
    except DataError as err:
        if kind != LONG:
            raise
        raise DataError(f"Series {uid!r}: {err}") from err


def per_series(est, data, argname: str) -> dict:
    """Split new data by series: ``{id: piece}`` (a one-series fit: ``{None: data}``).

    After a long-format fit, ``data`` must be a long frame of fitted ids; each piece is
    that id's rows as a pandas Series sorted by time (values and spacing unchecked: a few
    new rows are checked against the fitted series, not on their own).
    """
    if est.input_kind_ != LONG:
        if is_long_input(est, data):
            raise DataError(
                f"`{argname}` is a long-format frame, but this Forecaster was fitted on one "
                "series; pass that series' new data, or fit on a long frame."
            )
        return {None: data}
    if not isinstance(data, pd.DataFrame) or not is_long_input(est, data):
        raise DataError(
            f"This Forecaster was fitted on a long-format frame, so `{argname}` must be one "
            f"too (columns {est.id_col!r}, {est.time_col!r}, {est.target_col!r}); got "
            f"{type(data).__name__}. Use for_series(uid) to work on one series."
        )
    pieces = dict(long_series(data, **_long_options(est)))
    unknown = [uid for uid in pieces if uid not in est.series_]
    if unknown:
        raise DataError(
            f"`{argname}` has series that were not fitted: {unknown[:20]}. A global model "
            "keeps a scaler per fitted series; pass fitted ids only, or refit with them."
        )
    return pieces


def continued_rows(est, data, argname: str) -> np.ndarray:
    """Check the values of steps that continue a fitted series (labels already checked).

    The labels were compared with the expected ones, so the values are checked without
    their index: one or two rows need no frequency to be inferred.
    """
    labels = data.index if isinstance(data, pd.Series | pd.DataFrame) else None
    checked = check_series(
        plain(data),
        target=est.target,
        name=argname,
        warn_constant=False,
        labels_for_messages=labels,
    )
    if checked.values.shape[1] != len(est.names_):
        raise DataError(
            f"`{argname}` must have the fitted columns {list(est.names_)}; got "
            f"{list(checked.names)}."
        )
    return checked.values


def new_series(est, state: SeriesState, data, argname: str) -> CheckedSeries:
    """Check a series that does not continue ``state``'s (same columns, same calendar)."""
    checked = check_series(data, target=est.target, freq=est.freq, name=argname)
    if checked.values.shape[1] != len(est.names_):
        raise DataError(
            f"`{argname}` must have the fitted columns {list(est.names_)}; got "
            f"{list(checked.names)}."
        )
    state.axis.check_same_grid(checked.axis, argname=argname)
    return checked


def update_rows(est, state: SeriesState, y, X) -> np.ndarray:
    """Check the new steps of one series for ``update(y, X)``; return its rows, appended later."""
    if est.has_covariates_ and X is None:
        raise DataError(
            "This Forecaster was fitted with covariates: pass their values for the new "
            "steps too, update(y_new, X=X_new)."
        )
    if X is not None and not est.has_covariates_:
        raise DataError(
            "This Forecaster was fitted without covariates: call update(y_new) without X."
        )
    if isinstance(y, pd.Series | pd.DataFrame):
        if not y.index.is_monotonic_increasing:  # the labels give the order, as in a long frame
            with contextlib.suppress(TypeError):  # labels that cannot be compared: refused below
                order = np.argsort(y.index.to_numpy(), kind="stable")
                y = y.iloc[order]
                X = X.iloc[order] if isinstance(X, pd.DataFrame) and len(X) == len(y) else X
        state.axis.check_continued_by(y.index, argname="y")
    names, targets = est.names_, est.targets_
    if est.has_covariates_:
        others = [names[j] for j in est._covariate_columns]
        y = in_fitted_order(y, [names[j] for j in targets], "y")
        X = in_fitted_order(X, others, "X")
        pandas = isinstance(y, pd.Series | pd.DataFrame) and isinstance(X, pd.DataFrame)
        if pandas and not X.index.equals(y.index):
            raise DataError("`X` and `y` must share the same index; use X.loc[y.index].")
        new = assemble(plain(X), plain(y))[0].values
    else:
        new = continued_rows(est, in_fitted_order(y, names, "y"), "y")
    if new.shape[1] != len(names):
        raise DataError(
            f"`y` (with `X`) must have the fitted columns {list(names)}; got "
            f"{new.shape[1]} columns."
        )
    check_log_positive(new, state.transform, targets, state.axis, start=len(state.values))
    return new


def value_names(est) -> list[str]:
    """Names of the predicted columns in the output: the targets, or the model's name."""
    if est.input_kind_ == LONG:
        return [type(est).__name__]  # the neuralforecast / statsforecast convention
    return [est.names_[j] for j in est.targets_]


def output(est, pieces: dict, name: str | None = None):
    """Per-series results -> what the caller gave: the one piece, or one long frame.

    ``name``: the value column of Series pieces in the long frame (default: the model's).
    """
    if est.input_kind_ != LONG:
        return next(iter(pieces.values()))
    return to_long(
        list(pieces),
        list(pieces.values()),
        id_col=est.id_col,
        time_col=est.time_col,
        name=type(est).__name__ if name is None else name,
    )


def history(est):
    """Return the fitted series (targets) in the caller's shape, e.g. for plots."""
    names = value_names(est) if est.input_kind_ != LONG else [str(est.target_col)]
    pieces = {
        uid: s.axis.wrap(s.values[:, list(est.targets_)], start=0, names=names)
        for uid, s in est.series_.items()
    }
    return output(est, pieces, names[0])


def phase_of(state: SeriesState, axis) -> int:
    """Absolute position (from the fitted start) of the first row of a series on ``axis``.

    0 when the model has no seasonal adjustment or the axes do not share a calendar.
    """
    if state.adjustment is None or axis.kind != state.axis.kind:
        return 0
    try:
        return state.axis.position(axis.labels(0, 1)[0])
    except DataError:  # starts before the fitted series: count back from it
        with contextlib.suppress(DataError):
            return -axis.position(state.axis.labels(0, 1)[0])
        return 0


def predict_job(est, state: SeriesState, data):
    """Return the one-step job of a series for ``predict(data)``, and where it goes.

    ``(job, axis, start)``: the output of the job is labelled from ``start`` on ``axis``.
    """
    d, w = state.transform.diff, est.window_
    phase = 0
    if data is None:
        values, axis, start = state.values, state.axis, w + d
    else:
        data = in_fitted_order(data, est.names_, "X")
        if isinstance(data, pd.Series | pd.DataFrame) and state.axis.continued_by(data.index):
            new = continued_rows(est, data, "X")
            values = np.concatenate([state.values, new])
            axis, start = state.axis.extend(len(new)), len(state.values)
        else:
            checked = new_series(est, state, data, "X")
            values, axis, start = checked.values, checked.axis, w + d
            phase = phase_of(state, axis)
        check_log_positive(values[start:], state.transform, est.targets_, axis, start=start)
    if len(values) <= start:
        raise DataError(
            f"`X` has {len(values)} steps; one-step prediction needs more than window={w} "
            f"(+{d} for differencing). Pass a longer series, or one that continues the "
            "fitted series."
        )
    return Job(state, values, np.arange(start, len(values)), phase), axis, start


def future_covariates(est, X, horizon: int) -> np.ndarray | None:
    """Check the future covariates of a forecast; ``(1, horizon, n_covariates)`` or None."""
    n_cov = len(est.names_) - len(est.targets_)
    if n_cov == 0:
        if X is not None:
            raise DataError(
                "This Forecaster was fitted without covariates, so `X` would be ignored. "
                "Call forecast(horizon) without X, or refit with fit(X, y) to use "
                "covariates."
            )
        return None
    others = [est.names_[j] for j in est._covariate_columns]
    if X is None:
        raise DataError(
            f"This Forecaster was fitted with covariates {others}; forecasting needs their "
            f"future values: pass X with {horizon} rows (one per step ahead)."
        )
    X = in_fitted_order(X, others, "X")
    one_d = np.ndim(X) == 1
    cov = check_rows(X, "X")
    if cov.shape[1] != n_cov:
        raise DataError(
            f"X has {cov.shape[1]} features, but {type(est).__name__} is expecting "
            f"{n_cov} features as input (the covariates at fit, one column each)."
            + (" Reshape your data: a 1-D X is one covariate." if one_d else "")
        )
    if cov.shape != (horizon, n_cov):
        raise DataError(
            f"`X` must have shape ({horizon}, {n_cov}) (one row per step ahead, one column "
            f"per covariate); got {cov.shape}."
        )
    labels = getattr(X, "index", None)
    if isinstance(labels, pd.DatetimeIndex | pd.PeriodIndex):  # dated rows: the right ones?
        expected = est.time_axis_.future(horizon)
        if type(labels) is type(expected) and not labels.equals(expected):
            raise DataError(
                f"`X` must hold the covariates of the {horizon} steps after the fitted "
                f"series, {expected[0]} to {expected[-1]}; its index runs from "
                f"{labels[0]} to {labels[-1]}. Pass those rows, e.g. X.loc[start:]."
            )
    return cov[None]
