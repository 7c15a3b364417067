"""One path for one series and many: a long frame of one series is the series itself, and
every method (intervals, update, plot, evaluate, backtest, save/load) works on many series."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, datasets
from forecastkit.backtest import backtest
from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.exceptions import DataError

TINY = dict(units=(4,), epochs=2, batch_size=64, verbose=0, random_state=0, n_models=1)
SAVED = Path(__file__).parent / "saved_v1"


def _long(series: dict) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": y.index, "y": y.to_numpy()})
            for uid, y in series.items()
        ],
        ignore_index=True,
    )


def _panel(n=3, length=96, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(n):
        t = np.arange(length - 8 * k)
        index = pd.date_range("2000-01-01", periods=len(t), freq="MS")
        y = 50 + 10 * k + 0.3 * t + 6 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, len(t))
        out[f"s{k}"] = pd.Series(y, index=index, name="y")
    return out


@pytest.fixture(scope="module")
def panel():
    series = _panel()
    f = Forecaster(window=12, calibration_size=24, **TINY).fit(_long(series))
    return f, series


def test_a_long_frame_of_one_series_is_the_series_itself():
    y = datasets.load_airline().rename("y")
    one = Forecaster(window=12, **TINY).fit(y)
    frame = pd.DataFrame({"unique_id": "air", "ds": y.index, "y": y.to_numpy()})
    many = Forecaster(window=12, **TINY).fit(frame)
    assert one.input_kind_ == "series" and many.input_kind_ == "long" and many.n_series_ == 1
    s, t = one.series_[None], many.series_["air"]
    assert s.transform == t.transform and s.sizes == t.sizes  # same choices, same split
    assert s.adjustment == t.adjustment  # monthly: seasonally adjusted either way
    for a, b in zip(one.model_.get_weights(), many.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(
        many.forecast(6, level=80).drop(columns=["unique_id", "ds"]).to_numpy(),
        one.forecast(6, level=80).to_numpy(),
        atol=1e-6,
    )
    np.testing.assert_allclose(many.predict()["Forecaster"], one.predict(), atol=1e-6)


def test_intervals_of_many_series_are_each_series_own(panel):
    f, _ = panel
    out = f.forecast(4, level=(80, 95))
    assert list(out.columns) == [
        "unique_id",
        "ds",
        "Forecaster",
        "Forecaster-lo-80",
        "Forecaster-hi-80",
        "Forecaster-lo-95",
        "Forecaster-hi-95",
    ]
    for uid in f.series_:
        rows = out[out["unique_id"] == uid]
        own = f.for_series(uid).forecast(4, level=(80, 95))  # its own calibration part
        np.testing.assert_allclose(rows.iloc[:, 2:].to_numpy(), own.to_numpy(), rtol=1e-5)
        assert (rows["Forecaster-lo-95"] <= rows["Forecaster-lo-80"]).all()
    widths = {
        uid: (r["Forecaster-hi-80"] - r["Forecaster"]).to_numpy()
        for uid, r in out.groupby("unique_id")
    }
    assert not np.allclose(widths["s0"], widths["s2"])  # per-series calibration


def test_update_appends_to_some_series_and_refuses_atomically(panel):
    import copy

    f0, series = panel
    f = copy.copy(f0)
    f.series_ = {k: s.copy() for k, s in f0.series_.items()}
    before = f.forecast(3)
    nxt = {
        uid: pd.Series(
            [70.0 + i, 71.0 + i],
            index=series[uid]
            .index[-1:]
            .shift(1, freq="MS")
            .append(series[uid].index[-1:].shift(2, freq="MS")),
            name="y",
        )
        for i, uid in enumerate(["s0", "s2"])
    }
    bad = _long({**nxt, "s1": pd.Series([1.0], index=series["s1"].index[-1:].shift(3, freq="MS"))})
    with pytest.raises(DataError, match="Series 's1'"):
        f.update(bad)  # s1's labels skip a month: nothing appended, not even to s0 and s2
    pd.testing.assert_frame_equal(f.forecast(3), before)
    f.update(_long(nxt))
    after = f.forecast(3)
    for uid in ("s0", "s2"):
        expected = f0.for_series(uid).update(nxt[uid]).forecast(3)
        rows = after[after["unique_id"] == uid]
        np.testing.assert_allclose(rows["Forecaster"], expected, rtol=1e-6)
        assert pd.DatetimeIndex(rows["ds"]).equals(pd.DatetimeIndex(expected.index, freq=None))
    unchanged = after[after["unique_id"] == "s1"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        unchanged, before[before["unique_id"] == "s1"].reset_index(drop=True)
    )
    assert len(f0.series_["s0"].values) == len(series["s0"])  # the original is untouched
    with pytest.raises(DataError, match="long-format frame"):
        f.update(series["s0"])


def test_evaluate_and_backtest_are_one_batched_call(monkeypatch):
    series = _panel(n=4, length=80, seed=1)
    f = Forecaster(window=12, test_size=6, **TINY).fit(_long(series))
    calls = []
    recursion = f._recursion
    monkeypatch.setattr(
        f, "_recursion", lambda *a, **k: calls.append(len(a[0])) or recursion(*a, **k)
    )
    table = f.evaluate()
    # test parts of 6 steps everywhere: one recursive call for the four series
    assert calls == [4]
    assert table.index.get_level_values(0).unique().tolist() == list(series)
    calls.clear()
    result = f.backtest(horizon=3, n_origins=4)
    assert calls == [16]  # 4 series x 4 origins, one call
    for uid in series:
        own = f.for_series(uid).backtest(horizon=3, n_origins=4)
        rows = result.forecasts[result.forecasts["unique_id"] == uid]
        np.testing.assert_allclose(rows["forecast"], own.forecasts["forecast"], rtol=1e-6)


def test_plot_draws_small_multiples(panel):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f, _ = panel
    axes = f.plot(3, level=80, ids=["s0", "s2"])
    assert len(axes) == 2 and all(ax.has_data() for ax in axes)
    with pytest.raises(DataError, match="nope"):
        f.plot(3, ids=["nope"])
    plt.close("all")


def test_save_load_keeps_every_series_and_its_calibration(panel, tmp_path):
    f, _ = panel
    expected = f.forecast(4, level=80)  # calibration errors cached on every series
    f.save(tmp_path / "panel.keras")
    g = Forecaster.load(tmp_path / "panel.keras")
    assert all(s.calibration is not None for s in g.series_.values())
    pd.testing.assert_frame_equal(g.forecast(4, level=80), expected)


@pytest.mark.parametrize("kind", ["series", "long"])
def test_format_1_files_still_load(kind, tmp_path):
    """Files written by forecastkit 0.x format 1 (before one path): same forecasts."""
    path = tmp_path / "m.keras"
    shutil.copy(SAVED / f"forecaster_{kind}_v1.keras", path)
    f = Forecaster.load(path)
    expected = np.load(SAVED / f"forecaster_{kind}_v1_forecast.npy")
    if kind == "series":
        got = f.forecast(4, level=80).to_numpy()  # its saved calibration errors are reused
        assert f.series_[None].calibration is not None
    else:
        got = f.forecast(4)["Forecaster"].to_numpy()
        assert list(f.series_) == ["a", "b"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    f.save(tmp_path / "again.keras")  # and saved again in today's layout
    again = Forecaster.load(tmp_path / "again.keras")
    forecast = pd.testing.assert_series_equal if kind == "series" else pd.testing.assert_frame_equal
    forecast(again.forecast(4), f.forecast(4))


def test_backtest_fits_an_unfitted_forecaster_before_the_first_origin():
    y = datasets.load_airline()
    result = backtest(NaiveForecaster("seasonal"), y, 12, n_origins=3)
    fitted = NaiveForecaster("seasonal").fit(y[: len(y) - 12 - 2])
    expected = backtest(fitted, y, 12, n_origins=3)
    pd.testing.assert_frame_equal(result.forecasts, expected.forecasts)
    # long frames: every series cut before its own first origin
    series = _panel(n=2, length=60)
    out = backtest(Forecaster(window=6, **TINY), _long(series), 3, n_origins=2)
    assert out.n_origins == 4 and out.forecasts["unique_id"].unique().tolist() == ["s0", "s1"]
