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
from forecastkit.plotting import (
    plot_backtest,
    plot_forecast,
    plot_history,
    plot_one_step_vs_recursive,
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


# ---------------------------------------------------------------- import


def test_import_does_not_import_matplotlib():
    code = (
        "import sys, forecastkit.plotting; "
        "bad = [m for m in ('matplotlib', 'keras', 'tensorflow') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
