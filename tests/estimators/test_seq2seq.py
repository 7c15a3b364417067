"""Forecaster(strategy="seq2seq"): a sequence network whose state is carried forward (#16)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, datasets
from forecastkit.exceptions import ParameterError
from forecastkit.models.compiled import StateRecursion
from forecastkit.strategies.recursive import feature_order, next_row

TINY = dict(units=(4,), epochs=2, verbose=0, strategy="seq2seq", n_models=1)


@pytest.fixture(scope="module")
def airline():
    return datasets.load_airline()


@pytest.fixture(scope="module")
def fitted(airline):
    options = dict(window=12, random_state=0, test_size=12, calibration_size=24)
    return Forecaster(**options, **TINY).fit(airline)


@pytest.fixture(scope="module")
def with_covariates():
    """A target driven by a known covariate (feature 0 is the covariate, 1 the target)."""
    n = 120
    t = np.arange(n)
    index = pd.date_range("2020-01-01", periods=n, freq="D")
    x = pd.DataFrame({"promo": np.sin(t / 3.0)}, index=index)
    y = pd.Series(10 + 2 * np.roll(x["promo"].to_numpy(), 1) + 0.01 * t, index=index, name="y")
    options = {**TINY, "units": (4, 3), "cell": "gru"}
    f = Forecaster(window=8, random_state=1, **options).fit(x[:-10], y[:-10])
    return f, x


@pytest.fixture(scope="module")
def long_frame():
    t = np.arange(60)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b", "c"], 60),
            "ds": np.tile(pd.date_range("2024-01-01", periods=60, freq="D"), 3),
            "y": np.r_[np.sin(t / 3) + 5, np.cos(t / 4) * 2 + 9, t * 0.1 + 3],
        }
    )


@pytest.fixture(scope="module")
def long_fit(long_frame):
    options = dict(window=7, random_state=2, test_size=8, calibration_size=10)
    return Forecaster(**options, **TINY).fit(long_frame)


def _regrowing(model, targets):
    """A drop-in for ``_recursion``: the network re-run over the growing sequence each step."""

    def recursion(windows, horizon, covariates=None):
        n, _, n_features = windows.shape
        if covariates is None:
            covariates = np.zeros((n, horizon, n_features - len(targets)), np.float32)
        order = feature_order(n_features, targets)
        sequence, out = np.asarray(windows, np.float32), []
        for k in range(horizon):
            prediction = model(sequence, training=False).numpy()[:, -1, :]
            out.append(prediction)
            row = next_row(prediction, covariates[:, k].astype(np.float32), order)
            sequence = np.concatenate([sequence, row[:, None, :]], axis=1)
        return np.stack(out, axis=1)

    return recursion


def _slow_twin(f):
    """A shallow copy of ``f`` forecasting the slow way."""
    import copy

    twin = copy.copy(f)
    twin._recursion = _regrowing(f.model_, list(f.targets_))
    return twin


def test_network_is_a_sequence_network_with_a_state_recursion(fitted):
    assert fitted.model_.output_shape == (None, None, 1)
    assert isinstance(fitted._recursion, StateRecursion)
    assert np.isfinite(fitted.history_[["loss", "val_loss"]].to_numpy()).all()


def test_forecast_equals_the_network_rerun_over_the_growing_sequence(fitted):
    fast = fitted.forecast(15)
    slow = _slow_twin(fitted).forecast(15)
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=1e-5)
    assert fast.index.equals(slow.index) and fast.index[0] == pd.Timestamp("1961-01-01")


def test_forecast_with_covariates_equals_the_slow_way(with_covariates):
    f, x = with_covariates
    future = x[-10:]
    fast = f.forecast(10, X=future)
    slow = _slow_twin(f).forecast(10, X=future)
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=1e-5)
    # the covariates matter: other future values give another forecast
    assert not np.allclose(f.forecast(10, X=-future).to_numpy(), fast.to_numpy())
    # predict(X) with future covariates is that forecast
    pd.testing.assert_series_equal(f.predict(future), fast)


def test_one_step_prediction_is_the_first_step_of_the_forecast_from_each_origin(fitted):
    # predict() reads the network's output at the last position of each window; a
    # forecast's first step reads the window cell by cell: the same number.
    values = fitted.values_
    positions = np.arange(fitted.window_ + fitted.transform_.diff, len(values))
    one = fitted._one_step(values, positions)
    first = fitted._multi_step(values, positions, 1)[:, 0]
    np.testing.assert_allclose(one, first, rtol=1e-5)
    predicted = fitted.predict()
    np.testing.assert_allclose(predicted.to_numpy(), one[:, 0], rtol=1e-6)
    table = fitted.evaluate()
    assert np.isfinite(table.to_numpy()).all()


def test_intervals_backtest_and_update(fitted, airline):
    out = fitted.forecast(6, level=(80, 95))
    bounds = ["passengers-lo-80", "passengers-hi-80", "passengers-lo-95", "passengers-hi-95"]
    assert out.columns.tolist()[1:] == bounds
    assert (out.iloc[:, 3] <= out.iloc[:, 1]).all() and (out.iloc[:, 1] <= out.iloc[:, 0]).all()
    result = fitted.backtest(horizon=4, n_origins=6)
    assert result.summary.shape == (4, 6) and np.isfinite(result.summary.to_numpy()).all()
    short = Forecaster(window=12, random_state=0, **TINY).fit(airline[:-3])
    full = short.forecast(4)
    short.update(airline[-3:])
    after = short.forecast(2)
    assert after.index[0] == pd.Timestamp("1961-01-01")
    # update feeds the observed values, not the forecasts: the next step changes
    assert after.iloc[0] != pytest.approx(full.iloc[3])


def test_save_load_and_pickle_give_identical_forecasts(fitted, tmp_path):
    path = tmp_path / "s2s.keras"
    fitted.save(path)
    loaded = Forecaster.load(path)
    assert loaded.strategy == "seq2seq" and isinstance(loaded._recursion, StateRecursion)
    pd.testing.assert_frame_equal(loaded.forecast(8, level=80), fitted.forecast(8, level=80))
    pd.testing.assert_series_equal(loaded.predict(), fitted.predict())
    copied = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_series_equal(copied.forecast(8), fitted.forecast(8))


def test_long_format_fit_forecast_intervals_and_for_series(long_fit, long_frame):
    out = long_fit.forecast(5, level=80)
    bounds = ["Forecaster-lo-80", "Forecaster-hi-80"]
    assert out.columns.tolist() == ["unique_id", "ds", "Forecaster", *bounds]
    assert len(out) == 15 and np.isfinite(out.iloc[:, 2:].to_numpy()).all()
    slow = _slow_twin(long_fit).forecast(5)
    np.testing.assert_allclose(out["Forecaster"], slow["Forecaster"], rtol=1e-5)
    one = long_fit.for_series("b").forecast(5)
    np.testing.assert_allclose(one.to_numpy(), out.loc[out.unique_id == "b", "Forecaster"])
    result = long_fit.backtest(horizon=3, n_origins=4)
    assert np.isfinite(result.summary.to_numpy()).all()
    table = long_fit.evaluate()
    assert set(table.index.get_level_values(0)) == {"a", "b", "c"}
    new = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-03-01")], "y": [5.5]})
    updated = long_fit._subset(["a", "b", "c"])  # a view: update it, not the fixture
    updated.series_ = {uid: s.copy() for uid, s in long_fit.series_.items()}
    later = updated.update(new).forecast(2)
    assert later.loc[later.unique_id == "a", "ds"].iloc[0] == pd.Timestamp("2024-03-02")


def test_an_ensemble_carries_each_members_state(airline):
    e = Forecaster(window=12, random_state=0, **{**TINY, "n_models": 2}).fit(airline)
    assert e.model_.output_shape == (None, None, 1)
    paths = e.forecast(5, members=True)
    assert paths.columns.tolist()[1:] == ["passengers-member-0", "passengers-member-1"]
    slow = _slow_twin(e).forecast(5)
    np.testing.assert_allclose(paths.iloc[:, 0].to_numpy(), slow.to_numpy(), rtol=1e-5)
    members = paths.iloc[:, 1:].to_numpy()
    assert np.isfinite(members).all() and not np.allclose(members[:, 0], members[:, 1])


def test_refusals_name_the_problem_and_the_fix(airline):
    with pytest.raises(ParameterError, match="bidirectional=False"):
        Forecaster(window=12, bidirectional=True, **TINY).fit(airline)
    with pytest.raises(ParameterError, match=r"'direct', 'recursive', 'seq2seq'"):
        Forecaster(window=12, units=(4,), epochs=1, strategy="seq-to-seq").fit(airline)


def test_cli_fits_and_forecasts_with_seq2seq(tmp_path, capsys):
    from forecastkit.cli import main

    t = np.arange(60)
    frame = pd.DataFrame(
        {
            "ds": pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"),
            "y": 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12),
        }
    )
    csv, model = tmp_path / "sales.csv", tmp_path / "m.keras"
    frame.to_csv(csv, index=False)
    tiny = ["--units", "4", "--epochs", "1", "--window", "6", "--seed", "0"]
    args = ["fit", str(csv), "--time-col", "ds", *tiny, "--strategy", "seq2seq"]
    assert main([*args, "--out", str(model)]) == 0
    assert Forecaster.load(model).strategy == "seq2seq"
    capsys.readouterr()
    assert main(["forecast", str(model), "--horizon", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "ds,y" and lines[1].startswith("2020-01-01,") and len(lines) == 4


def test_streamed_training_equals_in_memory_training(airline, monkeypatch):
    # One batch per epoch (batch_size > samples): both paths train on the same sequence
    # targets (the streamed one cuts and prepares them per batch, log-differenced here).
    from forecastkit.training import dataset as dataset_module

    options = dict(window=12, batch_size=512, random_state=0, target_transform="log-diff")
    in_memory = Forecaster(**options, **TINY).fit(airline)
    monkeypatch.setattr(dataset_module, "STREAM_BYTES", 0)
    streamed = Forecaster(**options, **TINY).fit(airline)
    for column in ("loss", "val_loss"):
        np.testing.assert_allclose(streamed.history_[column], in_memory.history_[column], rtol=1e-5)
    np.testing.assert_allclose(streamed.forecast(6), in_memory.forecast(6), rtol=1e-5)
