import re
import subprocess
import sys

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from forecastkit.exceptions import DataError, ParameterError
from forecastkit.intervals import interval_columns
from forecastkit.plotting import (
    plot_backtest,
    plot_forecast,
    plot_history,
    plot_one_step_vs_recursive,
    plot_panel,
)


@pytest.fixture(autouse=True)
def _headless():
    matplotlib.use("Agg")
    yield
    plt.close("all")


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _save(ax, tmp_path, name="plot.png"):
    path = tmp_path / name
    ax.figure.savefig(path)
    assert path.stat().st_size > 0


def _index(kind, n, start=0):
    if kind == "datetime":
        return pd.date_range("2020-01-01", periods=n + start, freq="MS")[start:]
    if kind == "period":
        return pd.period_range("2020-01", periods=n + start, freq="M")[start:]
    return pd.RangeIndex(start, start + n)


def _forecast_frame(index, levels=(80, 95)):
    point = np.linspace(10, 12, len(index))
    data = {"y": point}
    for level in levels:
        width = level / 20
        data[f"y-lo-{level}"] = point - width
        data[f"y-hi-{level}"] = point + width
    return pd.DataFrame(data, index=index)


# ---------------------------------------------------------------- plot_forecast


@pytest.mark.parametrize("kind", ["datetime", "period", "range"])
def test_plot_forecast_with_intervals_and_actual(kind, tmp_path):
    history = pd.Series(np.arange(24.0), index=_index(kind, 24), name="y")
    future = _index(kind, 6, start=24)
    forecast = _forecast_frame(future)
    actual = pd.Series(np.linspace(10, 13, 6), index=future, name="y")
    ax = plot_forecast(history, forecast, actual=actual, title="My forecast")
    _save(ax, tmp_path)

    assert ax.get_title() == "My forecast"
    assert ax.get_ylabel() == "y"
    assert ax.get_xlabel() == "time"
    assert _legend(ax) == ["history", "forecast", "95% interval", "80% interval", "actual"]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["history", "forecast", "actual"]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [band.get_label() for band in bands] == ["95% interval", "80% interval"]
    # wider level lighter
    assert bands[0].get_alpha() < bands[1].get_alpha()
    # the forecast line sits at the forecast's x positions, after the history
    hist_x = ax.get_lines()[0].get_xdata()
    fc_x = ax.get_lines()[1].get_xdata()
    assert len(hist_x) == 24 and len(fc_x) == 6
    assert fc_x[0] > hist_x[-1]


def test_plot_forecast_uses_real_datetime_axis():
    index = pd.date_range("1949-01-01", periods=12, freq="MS", name="month")
    history = pd.Series(np.arange(12.0), index=index, name="passengers")
    forecast = pd.Series([12.0, 13.0], index=pd.date_range("1950-01-01", periods=2, freq="MS"))
    ax = plot_forecast(history, forecast)
    assert ax.get_xlabel() == "month"
    assert ax.get_title() == "Forecast of passengers"
    low, high = ax.get_xlim()
    assert mdates.num2date(low).year in (1948, 1949)
    assert mdates.num2date(high).year == 1950
    assert _legend(ax) == ["history", "forecast"]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_plot_forecast_one_column_frames_and_given_ax(tmp_path):
    _, ax = plt.subplots()
    history = pd.DataFrame({"passengers": [1.0, 2.0, 3.0]})
    forecast = pd.DataFrame(
        {"passengers": [4.0], "passengers-lo-99.5": [3.0], "passengers-hi-99.5": [5.0]},
        index=[3],
    )
    returned = plot_forecast(history, forecast, ax=ax)
    assert returned is ax
    assert "99.5% interval" in _legend(ax)
    _save(ax, tmp_path)


def test_plot_forecast_refuses_unknown_columns():
    history = pd.Series([1.0, 2.0], name="y")
    forecast = pd.DataFrame({"y": [3.0], "other": [1.0]}, index=[2])
    with pytest.raises(DataError, match="'other'"):
        plot_forecast(history, forecast)


def test_plot_forecast_refuses_one_sided_interval():
    history = pd.Series([1.0, 2.0], name="y")
    forecast = pd.DataFrame({"y": [3.0], "y-lo-95": [1.0]}, index=[2])
    with pytest.raises(DataError, match="'y-hi-95' is missing"):
        plot_forecast(history, forecast)


def test_plot_forecast_refuses_multi_column_history():
    history = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(DataError, match=r"`y` must be a pd\.Series"):
        plot_forecast(history, pd.Series([1.0], index=[1]))


# ---------------------------------------------------------------- plot_history


def _history(n=30):
    epochs = pd.RangeIndex(1, n + 1, name="epoch")
    loss = 1.0 / np.arange(1, n + 1)
    val_loss = loss + 0.05 * (np.arange(n) - 12) ** 2 / n
    rate = np.where(np.arange(n) < 10, 1e-3, np.where(np.arange(n) < 20, 1e-4, 1e-5))
    return pd.DataFrame({"loss": loss, "val_loss": val_loss, "learning_rate": rate}, index=epochs)


def test_plot_history(tmp_path):
    history = _history()
    ax = plot_history(history)
    _save(ax, tmp_path)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch"
    assert "loss" in ax.get_ylabel()
    assert ax.get_title()
    best = int(history["val_loss"].idxmin())
    assert _legend(ax) == ["loss", "val_loss", "learning rate reduced", f"best epoch {best}"]
    # one dotted vertical line per learning-rate change, at epochs 11 and 21
    vlines = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in vlines] == [11, 21]
    marker = next(line for line in ax.get_lines() if line.get_label().startswith("best"))
    assert marker.get_xdata()[0] == best
    assert marker.get_ydata()[0] == pytest.approx(history["val_loss"].min())


def test_plot_history_loss_only_and_explicit_best_epoch():
    history = pd.DataFrame({"loss": [3.0, 2.0, 1.0, 1.5]}, index=pd.RangeIndex(1, 5))
    ax = plot_history(history)
    assert _legend(ax) == ["loss", "best epoch 3"]
    plt.close("all")
    ax = plot_history(history, best_epoch=2)
    assert _legend(ax) == ["loss", "best epoch 2"]


def test_plot_history_learning_rate_increase_is_called_changed():
    history = pd.DataFrame(
        {"loss": [3.0, 2.0, 1.0], "learning_rate": [1e-3, 1e-2, 1e-2]}, index=[1, 2, 3]
    )
    assert "learning rate changed" in _legend(plot_history(history))


def test_plot_history_errors():
    with pytest.raises(DataError, match="'loss' column"):
        plot_history(pd.DataFrame({"val_loss": [1.0]}))
    with pytest.raises(DataError, match="'loss' column"):
        plot_history(pd.Series([1.0]))
    with pytest.raises(ParameterError, match="best_epoch=99"):
        plot_history(_history(), best_epoch=99)


# ---------------------------------------------------------------- one-step vs recursive


@pytest.mark.parametrize("kind", ["datetime", "period", "range"])
def test_plot_one_step_vs_recursive(kind, tmp_path):
    index = _index(kind, 20)
    t = np.linspace(0, 6, 20)
    actual = pd.Series(np.sin(t), index=index, name="sin")
    one_step = actual + 0.05
    recursive = pd.Series(np.sin(t) * np.linspace(1, 0.3, 20), index=index)
    ax = plot_one_step_vs_recursive(actual, one_step, recursive.to_frame())
    _save(ax, tmp_path)
    assert _legend(ax) == ["actual", "one-step (teacher-forced)", "recursive"]
    assert len(ax.get_lines()) == 3
    assert ax.get_ylabel() == "sin"
    assert ax.get_xlabel() == "time"
    assert ax.get_title() == "One-step vs recursive forecast"
    assert plot_one_step_vs_recursive(actual, actual, actual, title="T").get_title() == "T"


# ---------------------------------------------------------------- backtest


def _summary():
    steps = pd.RangeIndex(1, 7, name="step")
    mae = np.linspace(1, 2, 6)
    return pd.DataFrame(
        {
            "mae": mae, "rmse": mae * 1.2, "mase": mae / 2,
            "naive_mae": mae * 1.5, "naive_rmse": mae * 1.7, "naive_mase": mae * 0.75,
        },
        index=steps,
    )  # fmt: skip


@pytest.mark.parametrize("metric", ["mae", "rmse", "mase"])
def test_plot_backtest(metric, tmp_path):
    summary = _summary()
    ax = plot_backtest(summary, metric=metric)
    _save(ax, tmp_path)
    assert _legend(ax) == ["model", "seasonal naive"]
    model, naive = ax.get_lines()
    np.testing.assert_array_equal(model.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(model.get_ydata(), summary[metric])
    np.testing.assert_allclose(naive.get_ydata(), summary[f"naive_{metric}"])
    assert ax.get_xlabel() == "steps ahead"
    assert ax.get_ylabel() == metric.upper()
    assert metric.upper() in ax.get_title()


def test_plot_backtest_without_baseline():
    ax = plot_backtest(_summary()[["mae"]])
    assert _legend(ax) == ["model"]


def test_plot_backtest_missing_metric():
    with pytest.raises(ParameterError, match=r"metric='smape'.*\['mae', 'rmse', 'mase'\]"):
        plot_backtest(_summary(), metric="smape")


def test_plot_backtest_bad_summary():
    with pytest.raises(DataError, match="`summary` must be a non-empty DataFrame"):
        plot_backtest(pd.DataFrame())


# ---------------------------------------------------------------- panel of many series


def _long_frames(n_series=5, levels=(80, 99.5), model="Forecaster"):
    """Long history and forecast frames; series differ in start and length, rows shuffled."""
    rng = np.random.default_rng(0)
    hist, fc = [], []
    for k in range(n_series):
        uid = f"s{k}"
        n = 10 + k
        ds = pd.date_range(f"202{k % 4}-01-01", periods=n + 3, freq="D")
        hist.append(pd.DataFrame({"unique_id": uid, "ds": ds[:n], "y": np.arange(n) + 10.0 * k}))
        point = np.full(3, 10.0 * k + n)
        part = {"unique_id": uid, "ds": ds[n:], model: point}
        names = interval_columns(model, levels) if levels else []
        for lo, hi in zip(names[::2], names[1::2], strict=True):
            width = float(lo.rpartition("-")[2]) / 20
            part[lo], part[hi] = point - width, point + width
        fc.append(pd.DataFrame(part))
    history = pd.concat(hist, ignore_index=True)
    history = history.iloc[rng.permutation(len(history))]
    return history, pd.concat(fc, ignore_index=True)


def _bands(ax):
    return [c.get_label() for c in ax.collections if isinstance(c, PolyCollection)]


def test_plot_panel_draws_one_subplot_per_series(tmp_path):
    history, forecast = _long_frames(5)
    axes = plot_panel(history, forecast, ncols=2)
    assert isinstance(axes, np.ndarray) and axes.shape == (5,)
    order = list(dict.fromkeys(history["unique_id"]))  # first appearance (rows are shuffled)
    assert sorted(order) == [f"s{k}" for k in range(5)] != order
    assert [ax.get_title() for ax in axes] == order
    figure = axes[0].figure
    assert all(ax.figure is figure for ax in axes)
    assert len(figure.axes) == 6 and sum(ax.get_visible() for ax in figure.axes) == 5
    for uid, ax in zip(order, axes, strict=True):
        k = int(uid[1:])
        hist_line, fc_line = ax.get_lines()[:2]
        assert list(hist_line.get_ydata()) == list(np.arange(10 + k) + 10.0 * k)  # time order
        assert len(fc_line.get_ydata()) == 3 and fc_line.get_xdata()[0] > hist_line.get_xdata()[-1]
        assert ax.get_ylabel() == "y" and ax.get_xlabel() == "ds"
    assert _legend(axes[0]) == ["history", "forecast", "99.5% interval", "80% interval"]
    assert all(ax.get_legend() is None for ax in axes[1:])
    assert not figure.get_suptitle()
    _save(axes[0], tmp_path)


def test_plot_panel_draws_the_interval_bands_of_the_forecast():
    history, forecast = _long_frames(2)
    for ax in plot_panel(history, forecast):
        assert _bands(ax) == ["99.5% interval", "80% interval"]
    for ax in plot_panel(history, forecast, level=99.5):
        assert _bands(ax) == ["99.5% interval"]
    no_bands = forecast[["unique_id", "ds", "Forecaster"]]
    assert all(_bands(ax) == [] for ax in plot_panel(history, no_bands))
    with pytest.raises(DataError, match=r"level=95 .*'Forecaster-lo-95'.*\['80', '99.5'\]"):
        plot_panel(history, forecast, level=(80, 95))


def test_plot_panel_ids_select_and_order_the_series():
    history, forecast = _long_frames(5)
    assert [ax.get_title() for ax in plot_panel(history, forecast, ids=["s3", "s0"])] == [
        "s3",
        "s0",
    ]
    assert [ax.get_title() for ax in plot_panel(history, forecast, ids="s2")] == ["s2"]
    plt.close("all")
    axes = plot_panel(history, forecast, ids=["s1", "s4", "s1"], ncols=1)
    assert [ax.get_title() for ax in axes] == ["s1", "s4"]
    assert len(axes[0].figure.axes) == 2


def test_plot_panel_draws_the_first_max_series_and_says_so():
    history, forecast = _long_frames(7, levels=())
    axes = plot_panel(history, forecast, max_series=4)
    assert [ax.get_title() for ax in axes] == list(dict.fromkeys(history["unique_id"]))[:4]
    assert "First 4 of 7 series" in axes[0].figure.get_suptitle()


def test_plot_panel_unknown_ids_are_named_with_valid_ones():
    history, forecast = _long_frames(3)
    valid = list(dict.fromkeys(history["unique_id"]))
    with pytest.raises(
        DataError, match=rf"\['nope', 7\].*Valid ids include {re.escape(str(valid))}"
    ):
        plot_panel(history, forecast, ids=["s0", "nope", 7])
    with pytest.raises(DataError, match="`ids` is empty"):
        plot_panel(history, forecast, ids=[])


def test_plot_panel_on_given_axes():
    history, forecast = _long_frames(3)
    _, grid = plt.subplots(2, 2)
    axes = plot_panel(history, forecast, axes=grid)
    assert list(axes) == list(grid.flat[:3])
    assert grid.flat[3].get_visible() and not grid.flat[3].get_lines()
    with pytest.raises(ParameterError, match="2 Axes for 3 series"):
        plot_panel(history, forecast, axes=grid[0])


def test_plot_panel_refusals():
    history, forecast = _long_frames(2)
    with pytest.raises(DataError, match=r"no rows for series \['s1'\]"):
        plot_panel(history, forecast[forecast["unique_id"] == "s0"])
    with pytest.raises(DataError, match=r"no column\(s\) \['id'\]"):
        plot_panel(history, forecast, id_col="id")
    two_models = forecast.assign(Naive=1.0)
    with pytest.raises(ParameterError, match=r"\['Forecaster', 'Naive'\].*model="):
        plot_panel(history, two_models)
    axes = plot_panel(history, two_models, model="Naive")
    assert list(axes[0].get_lines()[1].get_ydata()) == [1.0, 1.0, 1.0]
    with pytest.raises(ParameterError, match="ncols=0"):
        plot_panel(history, forecast, ncols=0)
    with pytest.raises(DataError, match="`history` must be a long-format"):
        plot_panel(history["y"], forecast)


# ---------------------------------------------------------------- import


def test_import_does_not_import_matplotlib():
    code = (
        "import sys, forecastkit.plotting; "
        "bad = [m for m in ('matplotlib', 'keras', 'tensorflow') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
