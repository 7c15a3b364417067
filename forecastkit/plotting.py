"""Plots for forecasts, training histories, one-step vs recursive predictions and backtests.

matplotlib is optional at import time: it is imported inside each function, so
``import forecastkit.plotting`` stays light. Every function draws on ``ax`` when given (or on
a new figure's axes when ``ax=None``), sets axis labels, a title and a legend, and returns the
``matplotlib.axes.Axes``. They work with any backend, including the headless ``"Agg"``.

The x axis is the data's own index: a ``DatetimeIndex``, a ``PeriodIndex`` (drawn at its
periods' start times) or integers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecastkit.exceptions import DataError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_backtest", "plot_forecast", "plot_history", "plot_one_step_vs_recursive"]

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
