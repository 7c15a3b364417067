import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecastkit import Forecaster, datasets
from forecastkit.data.transforms import SEASON_CYCLES, fit_seasonal_adjustment
from forecastkit.exceptions import DataError, ModelFileError, NotFittedError, ParameterError

TINY = dict(units=(4,), epochs=2, verbose=0, random_state=0, window=6, n_models=1)


def _series(n=48, seed=0, name="y"):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    values = 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=n, freq="MS"), name=name)


def test_forecast_continues_every_index_kind(indexed_series):
    f = Forecaster(**TINY).fit(indexed_series)
    out = f.forecast(5)
    longer_index = type(indexed_series.index)  # compare with the labels of a longer series
    expected = f.time_axis_.future(5)
    assert isinstance(out, pd.Series)
    assert out.name == "sales"
    assert out.index.equals(expected)
    assert isinstance(out.index, longer_index)
    assert np.isfinite(out.to_numpy()).all()
    one_step = f.predict()
    assert one_step.index.equals(indexed_series.index[len(indexed_series) - len(one_step) :])


def test_history_and_fitted_attributes():
    f = Forecaster(**TINY).fit(_series())
    assert list(f.history_.columns[:2]) == ["loss", "val_loss"]
    assert "learning_rate" in f.history_.columns
    assert f.history_.index[0] == 1
    assert f.best_epoch_ in f.history_.index
    assert f.window_ == 6 and f.n_features_in_ == 1
    assert "window" not in vars(f) or f.window == 6  # constructor parameter untouched


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_cells_and_bidirectional(cell, bidirectional):
    f = Forecaster(cell=cell, bidirectional=bidirectional, **TINY).fit(_series())
    assert len(f.forecast(3)) == 3


def test_same_seed_same_forecast():
    a = Forecaster(**TINY).fit(_series()).forecast(6)
    b = Forecaster(**TINY).fit(_series()).forecast(6)
    pd.testing.assert_series_equal(a, b)


def test_direct_strategy_refuses_longer_horizon():
    f = Forecaster(strategy="direct", horizon=4, **TINY).fit(_series())
    assert len(f.forecast()) == 4
    assert len(f.forecast(2)) == 2
    with pytest.raises(ParameterError, match="strategy='recursive'"):
        f.forecast(5)


def test_recursive_horizon_may_exceed_trained_horizon():
    f = Forecaster(horizon=2, **TINY).fit(_series())
    assert len(f.forecast(30)) == 30


def test_multivariate_targets_and_column_names():
    s = _series()
    frame = pd.DataFrame({"a": s, "b": s * 2 + 1, "c": np.cos(np.arange(len(s)))})
    f = Forecaster(target=["a", "b"], **TINY)
    with pytest.raises(DataError, match=r"covariates|future"):
        f.fit(frame).forecast(3)
    f = Forecaster(target=["a", "b"], **TINY).fit(frame[["a", "b"]])
    out = f.forecast(3)
    assert list(out.columns) == ["a", "b"]
    assert out.index.equals(f.time_axis_.future(3))


def test_covariates_fit_x_y():
    y = _series()
    X = pd.DataFrame({"promo": np.arange(len(y)) % 2}, index=y.index)
    f = Forecaster(**TINY).fit(X, y)
    assert f.n_features_in_ == 1
    future = pd.DataFrame({"promo": [0, 1, 0]})
    out = f.forecast(3, X=future)
    assert len(out) == 3
    assert f.predict(future).equals(out)
    with pytest.raises(DataError, match="future"):
        f.forecast(3)
    with pytest.raises(DataError, match="shape"):
        f.forecast(3, X=np.zeros((2, 1)))


def test_predict_on_continuing_and_standalone_series():
    y = _series(60)
    f = Forecaster(**TINY).fit(y.iloc[:48])
    cont = f.predict(y.iloc[48:])
    assert cont.index.equals(y.index[48:])  # one prediction per new row
    other = f.predict(y.iloc[:30])
    assert len(other) == 30 - f.window_ - f.transform_.diff


def test_errors_before_fit_and_bad_input():
    f = Forecaster(**TINY)
    with pytest.raises(NotFittedError, match="fit"):
        f.forecast(3)
    with pytest.raises(NotFittedError):
        f.predict()
    fitted = Forecaster(**TINY).fit(_series())
    with pytest.raises(ParameterError, match="horizon"):
        fitted.forecast(0)
    with pytest.raises(ParameterError, match=r"more than 1,000,000 steps"):
        fitted.forecast(10**7)  # refused at once: it ran 140 s, then pandas refused its dates
    with pytest.raises(DataError):
        fitted.predict(np.zeros((5, 3, 1)))
    with pytest.raises(DataError, match="window"):
        fitted.predict(_series(5))
    with pytest.raises(DataError, match="NaN"):
        Forecaster(**TINY).fit(_series().where(lambda s: s.index.month != 3))
    with pytest.raises(DataError, match=r"short|minimum|training part"):
        Forecaster(**TINY).fit(_series(6))
    with pytest.raises(ParameterError, match="strategy"):
        Forecaster(strategy="magic", **TINY).fit(_series())


def test_get_params_clone_set_params():
    f = Forecaster(window=12, units=(8, 4))
    params = f.get_params()
    assert params["window"] == 12 and params["units"] == (8, 4)
    g = clone(f).set_params(window=24)
    assert g.window == 24 and f.window == 12


def test_evaluate_table_has_model_and_baseline():
    f = Forecaster(test_size=12, **TINY).fit(_series(72))
    table = f.evaluate()
    assert list(table.columns) == ["mae", "rmse", "smape", "mase"]
    assert {"forecaster one-step", "forecaster recursive", "seasonal naive recursive"} <= set(
        table.index
    )
    assert (table.to_numpy() >= 0).all()
    with pytest.raises(ParameterError, match="test_size"):
        Forecaster(**TINY).fit(_series()).evaluate()


def test_test_part_never_reaches_scaler_or_training():
    y = _series(72)
    a = Forecaster(test_size=12, **TINY).fit(y)
    changed = y.copy()
    changed.iloc[-12:] = 1e6
    b = Forecaster(test_size=12, **TINY).fit(changed)
    np.testing.assert_array_equal(a.scaler_.target_.mean_, b.scaler_.target_.mean_)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


SAVE_SCRIPT = """
import sys, numpy as np
from forecastkit import Forecaster
f = Forecaster.load(sys.argv[1])
np.save(sys.argv[2], f.forecast(7).to_numpy())
"""


def test_save_load_round_trip_in_fresh_process(tmp_path):
    y = _series()
    f = Forecaster(**TINY).fit(y)
    # fit compiled the program of one window (any horizon): no first-call compile
    assert f._recursion._compiled == {(1, False)}
    path = tmp_path / "model.keras"
    f.save(path)
    before = f.forecast(7)
    loaded = Forecaster.load(path)
    assert loaded._recursion._compiled == {(1, False)}  # load: the same
    pd.testing.assert_series_equal(loaded.forecast(7), before)
    pd.testing.assert_series_equal(loaded.predict(), f.predict())
    assert loaded.get_params()["units"] == (4,)
    out = tmp_path / "fc.npy"
    subprocess.run([sys.executable, "-c", SAVE_SCRIPT, str(path), str(out)], check=True)
    np.testing.assert_allclose(np.load(out), before.to_numpy(), rtol=1e-6)


def test_load_refuses_truncated_foreign_and_tampered_files(tmp_path):
    f = Forecaster(**TINY).fit(_series())
    path = tmp_path / "m.keras"
    f.save(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"truncated|corrupt"):
        Forecaster.load(truncated)
    foreign = tmp_path / "plain.keras"
    f.model_.save(foreign)
    with pytest.raises(ModelFileError, match="not a forecastkit model"):
        Forecaster.load(foreign)
    tampered = tmp_path / "tampered.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.namelist():
            content = src.read(item)
            if item == "config.json":
                config = json.loads(content)
                config["name"] = "evil"
                content = json.dumps(config).encode()
            dst.writestr(item, content)
    with pytest.raises(ModelFileError, match="integrity"):
        Forecaster.load(tampered)
    with pytest.raises(ModelFileError, match="No model file"):
        Forecaster.load(tmp_path / "missing.keras")


def test_sine_accuracy_floors():
    """The issue's floors on the tutorial data with default settings (window 10, 30 epochs)."""
    y = datasets.make_sine(2000, 100)
    fitted, test = y.iloc[:-200], y.iloc[-200:]
    f = Forecaster(window=10, val_size=200, epochs=30, verbose=0, random_state=0).fit(fitted)
    one_step = f.predict(y).loc[test.index]
    recursive = f.forecast(200)
    assert np.sqrt(np.mean((one_step - test) ** 2)) < 0.005
    assert np.sqrt(np.mean((recursive.to_numpy() - test.to_numpy()) ** 2)) < 0.03


def _seasonal(n=120, phase=0):
    t = np.arange(n) + phase
    rng = np.random.default_rng(5)
    values = 100 + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=n, freq="MS"), name="y")


@pytest.fixture(scope="module")
def adjusted_fit():
    y = _seasonal()
    return y, Forecaster(**TINY).fit(y.iloc[:108])


def test_seasonal_adjustment_puts_the_season_back_on_forecasts(adjusted_fit):
    y, f = adjusted_fit
    assert f.adjustment_ is not None and f.adjustment_.period == 12
    assert not f.adjustment_.multiplicative[0]  # a constant spread: additive
    # the adjusted series is flat, so even a 2-epoch network forecasts the season
    error = np.abs(f.forecast(12).to_numpy() - y.iloc[108:].to_numpy()).mean()
    assert error < 4.0  # the season's amplitude is 20, its mean absolute value ~12.7
    plain = Forecaster(seasonal_adjustment="none", **TINY).fit(y.iloc[:108])
    assert plain.adjustment_ is None
    # the indices: the recent span's, from the training part only (no validation rows)
    state = f.series_[None]
    train = state.values[: state.sizes[0]]
    expected = fit_seasonal_adjustment(
        train, [0], season_length=12, multiplicative=[False], cycles=SEASON_CYCLES
    )
    assert f.adjustment_ == expected
    everything = fit_seasonal_adjustment(
        state.values, [0], season_length=12, multiplicative=[False], cycles=SEASON_CYCLES
    )
    assert f.adjustment_ != everything


def test_seasonal_adjustment_phase_of_other_series_and_save_load(adjusted_fit, tmp_path):
    y, f = adjusted_fit
    # a series that starts 5 months later is adjusted with its own phase
    full = f.predict()
    late = f.predict(y.iloc[5:108])
    pd.testing.assert_series_equal(late, full.loc[late.index], rtol=1e-5)
    path = tmp_path / "adjusted.keras"
    f.save(path)
    loaded = Forecaster.load(path)
    assert loaded.adjustment_ == f.adjustment_
    pd.testing.assert_series_equal(loaded.forecast(5), f.forecast(5))


def test_seasonal_adjustment_parameter_checked():
    with pytest.raises(ParameterError, match="seasonal_adjustment"):
        Forecaster(seasonal_adjustment="stl", **TINY).fit(_series())
    y = _series()
    frame = pd.DataFrame({"unique_id": "a", "ds": y.index, "y": y.to_numpy()})
    with pytest.raises(ParameterError, match="seasonal_adjustment"):  # long format too
        Forecaster(seasonal_adjustment="stl", **TINY).fit(frame)


def test_seasonal_adjustment_auto_adjusts_yearly_weekly_and_daily_cycles():
    t = np.arange(70)
    daily = pd.Series(
        20 + 5 * np.sin(2 * np.pi * t / 7) + 0.1 * t,
        index=pd.date_range("2024-01-01", periods=70, freq="D"),
    )
    auto = Forecaster(**TINY).fit(daily)  # the weekly cycle of daily data
    assert auto.adjustment_ is not None and auto.adjustment_.period == 7
    np.testing.assert_allclose(  # the sine's shape, read from the training part
        auto.adjustment_.indices[0], 5 * np.sin(2 * np.pi * np.arange(7) / 7), atol=0.05
    )
    always = Forecaster(seasonal_adjustment="always", **TINY).fit(daily)
    assert always.adjustment_ == auto.adjustment_
    assert Forecaster(seasonal_adjustment="none", **TINY).fit(daily).adjustment_ is None
    t = np.arange(120)
    hourly = pd.Series(  # the daily cycle of hourly data
        20 + 5 * np.sin(2 * np.pi * t / 24),
        index=pd.date_range("2024-01-01", periods=120, freq="h"),
    )
    assert Forecaster(**TINY).fit(hourly).adjustment_.period == 24
    assert Forecaster(**TINY).fit(hourly.iloc[:50]).adjustment_ is None  # < 2 days + 1 to train
    assert Forecaster(**TINY).fit(_series()).adjustment_.period == 12  # monthly: yearly cycle
    yearly = daily.set_axis(pd.date_range("1900", periods=70, freq="YS"))
    assert Forecaster(**TINY).fit(yearly).adjustment_ is None  # no season
    t = np.arange(300)
    minutes = pd.Series(  # the hourly cycle of minute data
        20 + 5 * np.sin(2 * np.pi * t / 60),
        index=pd.date_range("2024-01-01", periods=300, freq="min"),
    )
    assert Forecaster(**TINY).fit(minutes).adjustment_ is None  # hourly cycle: not "auto"'s
    always = Forecaster(seasonal_adjustment="always", **TINY).fit(minutes)
    assert always.adjustment_.period == 60
