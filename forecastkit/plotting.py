"""Plots for forecasts, training histories, one-step vs recursive predictions and backtests.

matplotlib is optional at import time: it is imported inside each function, so
``import forecastkit.plotting`` stays light. Every function draws on ``ax`` when given (or on
a new figure's axes when ``ax=None``), sets axis labels, a title and a legend, and returns the
``matplotlib.axes.Axes``; :func:`plot_panel` draws many series of long frames as small
multiples and returns an array of Axes, one per series. They work with any backend,
including the headless ``"Agg"``.

The x axis is the data's own index: a ``DatetimeIndex``, a ``PeriodIndex`` (drawn at its
periods' start times) or integers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecastkit.exceptions import DataError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_backtest",
    "plot_forecast",
    "plot_history",
    "plot_one_step_vs_recursive",
    "plot_panel",
]

_INTERVAL = re.compile(r"^(?P<name>.+)-(?P<side>lo|hi)-(?P<level>\d+(?:\.\d+)?)$")


def plot_forecast(
    y: pd.Series | pd.DataFrame,
    forecast: pd.Series | pd.DataFrame,
    *,
    actual: pd.Series | pd.DataFrame | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot a series' history, its forecast with prediction intervals, and the held-out truth.

    Parameters
    ----------
    y : pd.Series or one-column pd.DataFrame
        The history (the series the forecast continues).
    forecast : pd.Series or pd.DataFrame
        The forecast, indexed by the future time labels. For a DataFrame the first column is
        the point forecast; the other columns must be prediction intervals named
        ``<name>-lo-<level>`` and ``<name>-hi-<level>``, where ``<name>`` is the first
        column's name (e.g. ``passengers``, ``passengers-lo-95``, ``passengers-hi-95``).
        Each level is drawn as a filled band labelled ``"<level>% interval"``; wider levels
        are lighter.
    actual : pd.Series or one-column pd.DataFrame, optional
        The held-out truth over the forecast period, drawn as its own line.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str, optional
        Title; default ``"Forecast of <y.name>"``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with lines labelled ``"history"``, ``"forecast"`` and ``"actual"``.

    Raises
    ------
    DataError
        If an input is not a Series / one-column DataFrame where one is expected, or a
        forecast column is neither the point forecast nor a paired interval column.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecastkit.plotting import plot_forecast
    >>> y = pd.Series([1.0, 3.0, 2.0, 4.0], index=pd.date_range("2024-01", periods=4, freq="MS"))
    >>> future = pd.date_range("2024-05", periods=2, freq="MS")
    >>> forecast = pd.DataFrame(
    ...     {"y": [3.5, 4.5], "y-lo-95": [2.0, 2.5], "y-hi-95": [5.0, 6.5]}, index=future
    ... )
    >>> ax = plot_forecast(y, forecast)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['history', 'forecast', '95% interval']
    """
    ax = _get_ax(ax)
    history = _as_series(y, "y")
    point, bands = _split_forecast(forecast)

    ax.plot(_x(history.index), history.to_numpy(dtype="float64"), label="history")
    (line,) = ax.plot(
        _x(point.index), point.to_numpy(dtype="float64"), label="forecast", linestyle="--"
    )
    # Widest band first, lightest: alpha grows as the bands narrow.
    alphas = np.linspace(0.15, 0.35, len(bands)) if bands else []
    for (level, lower, upper), alpha in zip(bands, alphas, strict=True):
        ax.fill_between(
            _x(point.index),
            lower.to_numpy(dtype="float64"),
            upper.to_numpy(dtype="float64"),
            color=line.get_color(),
            alpha=float(alpha),
            linewidth=0,
            label=f"{level:g}% interval",
        )
    if actual is not None:
        truth = _as_series(actual, "actual")
        ax.plot(_x(truth.index), truth.to_numpy(dtype="float64"), label="actual", color="black")

    _format_time_axis(ax, history.index)
    ax.set_xlabel(_axis_name(history.index))
    ax.set_ylabel(str(history.name) if history.name is not None else "value")
    ax.set_title(title if title is not None else f"Forecast of {_series_name(history)}")
    ax.legend()
    return ax


def plot_history(
    history: pd.DataFrame,
    *,
    best_epoch: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot a training history: losses per epoch, learning-rate reductions and the best epoch.

    Parameters
    ----------
    history : pd.DataFrame
        One row per epoch, indexed by epoch number (1-based), with a ``loss`` column and
        optionally ``val_loss`` and ``learning_rate`` (as in ``Forecaster.history_``).
    best_epoch : int, optional
        The epoch whose weights were restored; default: the epoch of the lowest
        ``val_loss`` when there is one, else of the lowest ``loss``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with a log-scale y axis; lines labelled ``"loss"`` and ``"val_loss"``, a
        dotted vertical line at each epoch where the learning rate changed (labelled once,
        ``"learning rate reduced"``, or ``"learning rate changed"`` if it ever rose), and a
        marker labelled ``"best epoch N"``.

    Raises
    ------
    DataError
        If ``history`` is not a non-empty DataFrame with a ``loss`` column.
    ParameterError
        If ``best_epoch`` is not one of the epochs in ``history``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecastkit.plotting import plot_history
    >>> history = pd.DataFrame(
    ...     {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.7],
    ...      "learning_rate": [1e-3, 1e-3, 1e-4]},
    ...     index=pd.RangeIndex(1, 4, name="epoch"),
    ... )
    >>> ax = plot_history(history)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['loss', 'val_loss', 'learning rate reduced', 'best epoch 2']
    """
    if not isinstance(history, pd.DataFrame) or "loss" not in history.columns or history.empty:
        got = (
            f"columns {list(history.columns)} and {len(history)} row(s)"
            if isinstance(history, pd.DataFrame)
            else f"type {type(history).__name__}"
        )
        raise DataError(
            f"`history` must be a non-empty DataFrame indexed by epoch with a 'loss' column "
            f"(optionally 'val_loss', 'learning_rate'); got {got}. Pass e.g. "
            f"Forecaster.history_."
        )
    ax = _get_ax(ax)
    epochs = history.index.to_numpy()
    ax.plot(epochs, history["loss"].to_numpy(dtype="float64"), label="loss")
    has_val = "val_loss" in history.columns and history["val_loss"].notna().any()
    if has_val:
        ax.plot(epochs, history["val_loss"].to_numpy(dtype="float64"), label="val_loss")
    ax.set_yscale("log")

    if "learning_rate" in history.columns:
        rate = history["learning_rate"].to_numpy(dtype="float64")
        changed = np.flatnonzero(rate[1:] != rate[:-1]) + 1  # positions where a new rate starts
        if changed.size:
            label = (
                "learning rate reduced"
                if np.all(rate[changed] < rate[changed - 1])
                else "learning rate changed"
            )
            for i, position in enumerate(changed):
                ax.axvline(
                    epochs[position],
                    linestyle=":",
                    color="gray",
                    label=label if i == 0 else "_nolegend_",
                )

    monitored = history["val_loss"] if has_val else history["loss"]
    if best_epoch is None:
        best_epoch = monitored.idxmin()
    elif best_epoch not in history.index:
        raise ParameterError(
            f"`best_epoch` must be one of the epochs in `history` ({history.index[0]} .. "
            f"{history.index[-1]}); got best_epoch={best_epoch!r}. Pass an epoch label from "
            f"history.index, or None to use the epoch of the lowest loss."
        )
    best_value = monitored.loc[best_epoch]
    if not np.isfinite(best_value):
        best_value = history["loss"].loc[best_epoch]
    ax.plot(
        [best_epoch],
        [float(best_value)],
        marker="o",
        linestyle="none",
        color="red",
        label=f"best epoch {best_epoch}",
    )

    ax.set_xlabel(str(history.index.name) if history.index.name is not None else "epoch")
    ax.set_ylabel("loss (log scale)")
    ax.set_title("Training history")
    ax.legend()
    return ax


def plot_one_step_vs_recursive(
    actual: pd.Series | pd.DataFrame,
    one_step: pd.Series | pd.DataFrame,
    recursive: pd.Series | pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Compare teacher-forced one-step predictions with a recursive multi-step forecast.

    One-step predictions see the true history at every step; the recursive forecast feeds
    its own predictions back, so its errors compound. Plotting both against the truth over
    the test part shows how much of a model's apparent accuracy comes from teacher forcing.

    Parameters
    ----------
    actual : pd.Series or one-column pd.DataFrame
        The truth over the test part.
    one_step : pd.Series or one-column pd.DataFrame
        Teacher-forced one-step predictions (``Forecaster.predict``).
    recursive : pd.Series or one-column pd.DataFrame
        The recursive multi-step forecast (``Forecaster.forecast``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.
    title : str, optional
        Title; default ``"One-step vs recursive forecast"``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with lines labelled ``"actual"``, ``"one-step (teacher-forced)"`` and
        ``"recursive"``.

    Raises
    ------
    DataError
        If an input is not a Series or one-column DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecastkit.plotting import plot_one_step_vs_recursive
    >>> actual = pd.Series([1.0, 2.0, 3.0])
    >>> ax = plot_one_step_vs_recursive(actual, actual + 0.1, actual * 1.5)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['actual', 'one-step (teacher-forced)', 'recursive']
    """
    ax = _get_ax(ax)
    truth = _as_series(actual, "actual")
    series = [
        (truth, "actual", {"color": "black"}),
        (_as_series(one_step, "one_step"), "one-step (teacher-forced)", {"linestyle": "--"}),
        (_as_series(recursive, "recursive"), "recursive", {"linestyle": "-."}),
    ]
    for values, label, style in series:
        ax.plot(_x(values.index), values.to_numpy(dtype="float64"), label=label, **style)
    _format_time_axis(ax, truth.index)
    ax.set_xlabel(_axis_name(truth.index))
    ax.set_ylabel(str(truth.name) if truth.name is not None else "value")
    ax.set_title(title if title is not None else "One-step vs recursive forecast")
    ax.legend()
    return ax


def plot_backtest(
    summary: pd.DataFrame,
    *,
    metric: str = "mae",
    ax: Axes | None = None,
) -> Axes:
    """Plot a backtest's error by step ahead, for the model and the seasonal-naive baseline.

    Parameters
    ----------
    summary : pd.DataFrame
        Indexed by step ahead (``1 .. horizon``, index name ``"step"``), with one column per
        metric for the model (``mae``, ``rmse``, ``mase``, ...) and ``naive_<metric>`` for the
        seasonal-naive baseline.
    metric : str, default "mae"
        The metric to draw: column ``metric`` for the model and, when present,
        ``naive_<metric>`` for the baseline.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with lines labelled ``"model"`` and ``"seasonal naive"``.

    Raises
    ------
    ParameterError
        If ``summary`` has no column named ``metric``.
    DataError
        If ``summary`` is not a non-empty DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecastkit.plotting import plot_backtest
    >>> summary = pd.DataFrame(
    ...     {"mae": [1.0, 1.5, 2.0], "naive_mae": [1.2, 2.0, 2.9]},
    ...     index=pd.RangeIndex(1, 4, name="step"),
    ... )
    >>> ax = plot_backtest(summary, metric="mae")
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['model', 'seasonal naive']
    """
    if not isinstance(summary, pd.DataFrame) or summary.empty:
        got = (
            f"{len(summary)} row(s)"
            if isinstance(summary, pd.DataFrame)
            else f"type {type(summary).__name__}"
        )
        raise DataError(
            f"`summary` must be a non-empty DataFrame indexed by step ahead with one column "
            f"per metric; got {got}. Pass the per-step summary of a backtest."
        )
    if not isinstance(metric, str) or metric not in summary.columns:
        available = [
            c for c in summary.columns if not (isinstance(c, str) and c.startswith("naive_"))
        ]
        raise ParameterError(
            f"`metric` must name a column of `summary`; got metric={metric!r}, but the "
            f"columns are {list(summary.columns)}. Pass one of {available}."
        )
    from matplotlib.ticker import MaxNLocator

    ax = _get_ax(ax)
    steps = summary.index.to_numpy()
    ax.plot(steps, summary[metric].to_numpy(dtype="float64"), marker="o", label="model")
    baseline = f"naive_{metric}"
    if baseline in summary.columns:
        ax.plot(
            steps,
            summary[baseline].to_numpy(dtype="float64"),
            marker="s",
            linestyle="--",
            label="seasonal naive",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("steps ahead")
    ax.set_ylabel(metric.upper())
    ax.set_title(f"Backtest {metric.upper()} by step ahead")
    ax.legend()
    return ax


def plot_panel(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    value_col: str | None = None,
    model: str | None = None,
    ids=None,
    level=None,
    ncols: int = 3,
    max_series: int = 12,
    axes=None,
) -> np.ndarray:
    """Plot many series of long frames as small multiples: one history and forecast each.

    Each series gets its own subplot, drawn by :func:`plot_forecast` (history, forecast and
    its prediction intervals as bands), titled with the series id. Series keep their own
    time labels (no shared x axis), so they may differ in start, length and frequency.

    Parameters
    ----------
    history : pd.DataFrame
        Long frame with columns ``id_col``, ``time_col`` and the values (``value_col``); other
        columns are ignored. Rows may come in any order (each series is sorted by time).
    forecast : pd.DataFrame
        Long frame with columns ``id_col``, ``time_col``, the point forecast of a model
        (a column named after it, e.g. ``"Forecaster"``) and optionally its prediction
        intervals ``<model>-lo-<level>`` / ``<model>-hi-<level>`` (e.g. ``Forecaster-lo-80``,
        ``Forecaster-hi-99.5``): the output of ``Forecaster.forecast`` on a long-format fit.
    id_col, time_col : str, default "unique_id", "ds"
        Names of the id and time columns, in both frames.
    value_col : str, optional
        The value column of ``history``; default ``"y"`` when there is one, else the only
        column besides ``id_col`` and ``time_col``.
    model : str, optional
        The point-forecast column of ``forecast``; default the only column that is neither
        ``id_col``, ``time_col`` nor an interval column.
    ids : id or list of ids, optional
        The series to draw, in this order; default the first ``max_series`` ids of
        ``history`` in order of first appearance. When there are more, the figure's title
        says how many are shown (no warning).
    level : float or sequence of float, optional
        Interval levels to draw, e.g. ``80`` or ``(80, 95)``; each must have both of its
        columns in ``forecast``. Default: every level ``forecast`` has for ``model``.
    ncols : int, default 3
        Columns of the grid of subplots (fewer when fewer series are drawn).
    max_series : int, default 12
        How many series to draw when ``ids`` is None.
    axes : array of matplotlib.axes.Axes, optional
        Axes to draw on, one per series in order (``axes.flat`` for a grid); extra axes are
        left untouched. A new figure with a grid of ``ncols`` columns is created when None
        (its unused cells hidden).

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One-dimensional, one Axes per drawn series, in the order of the series; the legend
        (``"history"``, ``"forecast"``, ``"<level>% interval"``) is on the first.

    Raises
    ------
    DataError
        If a frame is not a DataFrame or lacks a column, if ``ids`` names series that are not
        in ``history`` (the message names them and lists valid ones), if a drawn series has
        no rows in ``forecast``, or if a requested level has no interval columns.
    ParameterError
        For ``ncols`` or ``max_series`` that are not positive integers, too few ``axes``,
        or several candidate ``value_col`` / ``model`` columns when none is given.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecastkit.plotting import plot_panel
    >>> history = pd.DataFrame({
    ...     "unique_id": ["a"] * 4 + ["b"] * 3,
    ...     "ds": [0, 1, 2, 3, 0, 1, 2],
    ...     "y": [1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0],
    ... })
    >>> forecast = pd.DataFrame({
    ...     "unique_id": ["a", "a", "b", "b"],
    ...     "ds": [4, 5, 3, 4],
    ...     "Forecaster": [5.0, 6.0, 2.0, 1.0],
    ...     "Forecaster-lo-80": [4.0, 4.5, 1.0, 0.0],
    ...     "Forecaster-hi-80": [6.0, 7.5, 3.0, 2.0],
    ... })
    >>> axes = plot_panel(history, forecast)
    >>> [ax.get_title() for ax in axes]
    ['a', 'b']
    >>> [text.get_text() for text in axes[0].get_legend().get_texts()]
    ['history', 'forecast', '80% interval']
    """
    for count, name in ((ncols, "ncols"), (max_series, "max_series")):
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ParameterError(f"`{name}` must be a positive integer; got {name}={count!r}.")
    _check_long_columns(history, "history", [id_col, time_col])
    _check_long_columns(forecast, "forecast", [id_col, time_col])
    value_col = _pick_column(history, "history", value_col, "value_col", [id_col, time_col])
    model = _pick_column(forecast, "forecast", model, "model", [id_col, time_col])
    columns = [model, *_interval_columns(forecast, model, level)]

    histories = _groups(history, id_col, time_col, [value_col])
    forecasts = _groups(forecast, id_col, time_col, columns)
    known = list(histories)
    note = None
    if ids is None:
        chosen = known[:max_series]
        if len(known) > max_series:
            note = (
                f"First {max_series} of {len(known)} series (choose others with "
                f"ids=[...] or show more with max_series=)"
            )
    else:
        chosen = list(dict.fromkeys(_as_ids(ids)))  # order kept, repeats dropped
        if not chosen:
            raise DataError("`ids` is empty. Pass at least one series id, or ids=None.")
        unknown = [uid for uid in chosen if uid not in histories]
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise DataError(
                f"`ids` names series that are not in `history` ({id_col!r}): "
                f"{unknown[:5]!r}{more}. Valid ids include {known[:5]!r} ({len(known)} in all)."
            )
    unforecast = [uid for uid in chosen if uid not in forecasts]
    if unforecast:
        raise DataError(
            f"`forecast` has no rows for series {unforecast[:5]!r} ({id_col!r}). Forecast "
            f"them too, or leave them out with ids=[...]."
        )

    drawn = _panel_axes(axes, len(chosen), ncols)
    for k, (uid, ax) in enumerate(zip(chosen, drawn, strict=False)):
        plot_forecast(histories[uid][value_col], forecasts[uid], ax=ax, title=str(uid))
        if k:
            ax.get_legend().remove()  # one legend for the whole panel
    if note is not None:
        drawn[0].figure.suptitle(note)
    return drawn


# --------------------------------------------------------------------------------------------
# Helpers


def _get_ax(ax: Axes | None) -> Axes:
    """Return ``ax``, or the axes of a new figure when it is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=(10, 4), layout="constrained")
    return new_ax


def _as_series(values: Any, name: str) -> pd.Series:
    """Return a Series from a Series or a one-column DataFrame; raise DataError otherwise."""
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        return values.iloc[:, 0]
    if isinstance(values, pd.Series):
        return values
    shape = f" with {values.shape[1]} columns" if isinstance(values, pd.DataFrame) else ""
    raise DataError(
        f"`{name}` must be a pd.Series or a one-column pd.DataFrame; got "
        f"{type(values).__name__}{shape}. Select one column first, e.g. df['y']."
    )


def _split_forecast(
    forecast: Any,
) -> tuple[pd.Series, list[tuple[float, pd.Series, pd.Series]]]:
    """Split a forecast into its point column and ``(level, lower, upper)`` bands, widest first."""
    if isinstance(forecast, pd.Series):
        return forecast, []
    if not isinstance(forecast, pd.DataFrame) or forecast.shape[1] == 0:
        raise DataError(
            f"`forecast` must be a pd.Series or a pd.DataFrame whose first column is the point "
            f"forecast; got {type(forecast).__name__}. Pass the output of Forecaster.forecast."
        )
    point = forecast.iloc[:, 0]
    sides: dict[float, dict[str, pd.Series]] = {}
    for column in forecast.columns[1:]:
        match = _INTERVAL.match(str(column))
        if match is None or match["name"] != str(point.name):
            raise DataError(
                f"`forecast` columns after the first must be prediction intervals named "
                f"'{point.name}-lo-<level>' / '{point.name}-hi-<level>'; got column "
                f"{column!r}. Drop other columns, or plot one target at a time."
            )
        sides.setdefault(float(match["level"]), {})[match["side"]] = forecast[column]
    bands = []
    for level in sorted(sides, reverse=True):
        if set(sides[level]) != {"lo", "hi"}:
            missing = "hi" if "lo" in sides[level] else "lo"
            raise DataError(
                f"`forecast` has only one side of the {level:g}% interval: column "
                f"'{point.name}-{missing}-{level:g}' is missing. Pass both bounds."
            )
        bands.append((level, sides[level]["lo"], sides[level]["hi"]))
    return point, bands


def _x(index: pd.Index) -> np.ndarray:
    """Return x values for ``index``: periods at their start time, everything else as is."""
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    return index.to_numpy()


def _format_time_axis(ax: Axes, index: pd.Index) -> None:
    """Use compact date tick labels when the x axis holds dates or periods."""
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _axis_name(index: pd.Index) -> str:
    """Label the x axis with the index name, or "time"."""
    return str(index.name) if index.name is not None else "time"


def _series_name(values: pd.Series) -> str:
    """Name a series for a title."""
    return str(values.name) if values.name is not None else "the series"


def _check_long_columns(frame: Any, name: str, wanted: list[str]) -> None:
    """Raise DataError unless ``frame`` is a DataFrame holding the columns ``wanted``."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"`{name}` must be a long-format pd.DataFrame (columns {wanted} and values); got "
            f"{type(frame).__name__}."
        )
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"`{name}` has no column(s) {missing}; its columns are {list(frame.columns)}. "
            f"Name the id and time columns with id_col= and time_col= (defaults 'unique_id', "
            f"'ds'), or move them out of the index with `{name}.reset_index()`."
        )


def _pick_column(
    frame: pd.DataFrame, name: str, column: str | None, argname: str, keys: list[str]
) -> str:
    """Return the value column of a long frame: ``column``, else the one candidate."""
    if column is not None:
        if column not in frame.columns:
            raise DataError(
                f"`{name}` has no column {column!r} (given as {argname}=); its columns are "
                f"{list(frame.columns)}."
            )
        return column
    candidates = [c for c in frame.columns if c not in keys and not _INTERVAL.match(str(c))]
    if argname == "value_col" and "y" in candidates:
        return "y"
    if not candidates:
        raise DataError(
            f"`{name}` has no column to draw besides {keys} and interval columns; its columns "
            f"are {list(frame.columns)}. Add the values, e.g. a {argname} column."
        )
    if len(candidates) > 1:
        raise ParameterError(
            f"Cannot tell which column of `{name}` to draw: it has {candidates} (besides "
            f"{keys} and interval columns). Pass {argname}=<one of them>."
        )
    return candidates[0]


def _interval_columns(forecast: pd.DataFrame, model: str, level) -> list[str]:
    """Return the ``<model>-lo/hi-<level>`` columns to draw: all, or those of ``level``."""
    from forecastkit.intervals import check_levels, format_level

    found: dict[float, list[str]] = {}
    for column in forecast.columns:
        match = _INTERVAL.match(str(column))
        if match is not None and match["name"] == str(model):
            found.setdefault(float(match["level"]), []).append(column)
    if level is None:
        return [c for lvl in sorted(found) for c in found[lvl]]
    out = []
    for lvl in check_levels(level):
        if lvl not in found:
            raise DataError(
                f"`forecast` has no interval columns for level={format_level(lvl)} (expected "
                f"'{model}-lo-{format_level(lvl)}' and '{model}-hi-{format_level(lvl)}'); its "
                f"levels are {[format_level(v) for v in sorted(found)]}. Forecast with this "
                f"level, or pass one of those."
            )
        out.extend(found[lvl])
    return out


def _groups(
    frame: pd.DataFrame, id_col: str, time_col: str, columns: list[str]
) -> dict[Hashable, pd.DataFrame]:
    """Split a long frame into one frame per id (first-appearance order), indexed by time."""
    out = {}
    for uid, group in frame.groupby(id_col, sort=False, observed=True)[[time_col, *columns]]:
        index = pd.Index(group[time_col].array, name=time_col)
        piece = pd.DataFrame({c: group[c].to_numpy(dtype="float64") for c in columns}, index=index)
        try:
            piece = piece.sort_index(kind="stable")
        except TypeError:
            raise DataError(
                f"Series {uid!r} has time labels of several types in {time_col!r}. Use one kind "
                "of label for every row: datetimes, periods or integers."
            ) from None
        out[uid.item() if isinstance(uid, np.generic) else uid] = piece
    return out


def _as_ids(ids: Any) -> list:
    """Return ``ids`` as a list: one id (a string, a number) or an iterable of ids."""
    if isinstance(ids, str | bytes) or not hasattr(ids, "__iter__"):
        return [ids]
    return list(ids)


def _panel_axes(axes: Any, n: int, ncols: int) -> np.ndarray:
    """Return ``n`` axes to draw on, in order: the given ones, or a new grid's."""
    if axes is not None:
        flat = np.asarray(axes, dtype=object).ravel()
        if len(flat) < n:
            raise ParameterError(
                f"`axes` holds {len(flat)} Axes for {n} series. Pass at least {n} Axes, or "
                f"fewer ids=, or axes=None for a new figure."
            )
        return flat[:n]
    import matplotlib.pyplot as plt

    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    _, grid = plt.subplots(
        nrows, ncols, figsize=(4 * ncols, 3 * nrows), layout="constrained", squeeze=False
    )
    flat = grid.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return flat[:n]
