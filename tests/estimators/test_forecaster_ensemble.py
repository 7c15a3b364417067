"""Forecaster(n_models=...): ensembles trained together as one model (#17)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, datasets
from forecastkit.estimators._state_io import check_loaded
from forecastkit.exceptions import ParameterError
from forecastkit.models.builders import n_members

TINY = dict(window=12, units=(4,), epochs=2, verbose=0)


@pytest.fixture(scope="module")
def airline():
    return datasets.load_airline()


@pytest.fixture(scope="module")
def ensemble(airline):
    return Forecaster(n_models=3, random_state=0, test_size=12, **TINY).fit(airline)


@pytest.fixture(scope="module")
def long_frame():
    t = np.arange(50)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 50),
            "ds": np.tile(pd.date_range("2024-01-01", periods=50, freq="D"), 2),
            "y": np.r_[np.sin(t / 3) + 5, np.cos(t / 4) * 2 + 9],
        }
    )


@pytest.fixture(scope="module")
def long_ensemble(long_frame):
    kw = {**TINY, "window": 7}
    return Forecaster(n_models=2, random_state=1, **kw).fit(long_frame)


def test_the_network_holds_the_members_and_forecasts_their_mean(ensemble):
    assert n_members(ensemble.model_) == 3
    assert ensemble.model_.output_shape == (None, 1, 1)
    paths = ensemble.forecast(6, members=True)
    members = paths.iloc[:, 1:]
    assert members.columns.tolist() == [f"passengers-member-{k}" for k in range(3)]
    # Step 1 of a recursive forecast is the members' mean in the network's scale (here
    # logs: between the members in levels); the members disagree.
    assert members.iloc[0].min() < paths.iloc[0, 0] < members.iloc[0].max()
    assert members.iloc[:, 0].to_numpy().tolist() != members.iloc[:, 1].to_numpy().tolist()
    pd.testing.assert_series_equal(paths.iloc[:, 0], ensemble.forecast(6))
    assert np.isfinite(members.to_numpy()).all()


def test_direct_strategy_forecast_is_the_members_mean_at_every_step(airline):
    linear = dict(target_transform="none", seasonal_adjustment="none")  # mean in levels too
    f = Forecaster(n_models=2, strategy="direct", horizon=4, random_state=0, **linear, **TINY)
    f.fit(airline)
    paths = f.forecast(4, members=True)
    np.testing.assert_allclose(paths.iloc[:, 0], paths.iloc[:, 1:].mean(axis=1), rtol=1e-5)


def test_member_zero_starts_as_the_single_network_with_the_same_seed():
    from forecastkit.models.builders import build_regressor, member_models

    kw = dict(window=5, n_features=1, horizon=1, n_targets=1, units=(3,), seed=7)
    single = build_regressor(**kw)
    first, second = member_models(build_regressor(n_models=2, **kw))
    for a, b in zip(single.get_weights(), first.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], second.get_weights()[0])
    assert [w.name for w in single.layers] == [w.name for w in build_regressor(**kw).layers]


def test_training_model_loss_is_the_mean_of_the_members_own_mse():
    """Each member reads its own batch; MSE on the targets side by side = members' mean MSE."""
    from forecastkit.models.builders import build_regressor, member_models, training_model

    model = build_regressor(window=5, n_features=2, horizon=3, n_targets=2, units=(3,), n_models=3)
    trainer = training_model(model)
    rng = np.random.default_rng(0)
    inputs = tuple(rng.normal(size=(4, 5, 2)).astype("float32") for _ in range(3))
    targets = rng.normal(size=(4, 3, 3 * 2)).astype("float32")  # 3 members of 2 targets
    pred = np.asarray(trainer(inputs))
    for k, member in enumerate(member_models(model)):  # member k reads input k only
        np.testing.assert_allclose(pred[..., 2 * k : 2 * k + 2], member([inputs[k]]), rtol=1e-5)
    trainer.compile(loss="mse")
    got = trainer.evaluate(inputs, targets, verbose=0)
    expected = np.mean(
        [
            np.mean((pred[..., 2 * k : 2 * k + 2] - targets[..., 2 * k : 2 * k + 2]) ** 2)
            for k in range(3)
        ]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert len(trainer.weights) == len(model.weights)  # the same weights, shared


def test_equal_seeds_give_identical_ensembles_and_other_seeds_differ(ensemble, airline):
    again = Forecaster(n_models=3, random_state=0, test_size=12, **TINY).fit(airline)
    pd.testing.assert_frame_equal(
        again.forecast(5, members=True), ensemble.forecast(5, members=True)
    )
    other = Forecaster(n_models=3, random_state=1, test_size=12, **TINY).fit(airline)
    assert not np.allclose(other.forecast(5), ensemble.forecast(5))


def test_an_ensemble_fit_averages_each_members_best_epochs(airline, monkeypatch):
    from forecastkit.estimators import _network
    from forecastkit.training import fit

    seen, train = [], fit.train

    def spy(*args, **kwargs):
        seen.append((kwargs["members"], kwargs["average_epochs"]))
        return train(*args, **kwargs)

    monkeypatch.setattr(fit, "train", spy)
    Forecaster(n_models=2, random_state=0, **{**TINY, "epochs": 1}).fit(airline[:60])
    # The members train fused, so train() is told their number (not member models).
    assert seen == [(2, _network.MEMBER_AVERAGE_EPOCHS)] and _network.MEMBER_AVERAGE_EPOCHS == 5


def test_history_and_early_stopping_report_the_members_mean_loss(ensemble):
    history = ensemble.history_
    assert {"loss", "val_loss"} <= set(history.columns)
    assert ensemble.best_epoch_ in (1, 2)
    # Each member's own losses too (each member averages its own best validation epochs).
    members = history[[f"val_member_{k}_mse" for k in range(3)]]
    np.testing.assert_allclose(members.mean(axis=1), history["val_loss"], rtol=1e-5)


def test_intervals_are_calibrated_on_the_ensemble_forecast(ensemble):
    out = ensemble.forecast(4, level=80, members=True)
    assert out.columns.tolist()[:3] == ["passengers", "passengers-lo-80", "passengers-hi-80"]
    assert len(out.columns) == 6
    assert (out["passengers-lo-80"] <= out["passengers"]).all()
    assert (out["passengers"] <= out["passengers-hi-80"]).all()


def test_save_load_and_pickle_round_trip(ensemble, tmp_path):
    path = tmp_path / "ensemble.keras"
    ensemble.save(path)
    loaded = Forecaster.load(path)
    assert loaded.n_models == 3 and n_members(loaded.model_) == 3
    expected = ensemble.forecast(5, level=80, members=True)
    pd.testing.assert_frame_equal(loaded.forecast(5, level=80, members=True), expected)
    pd.testing.assert_frame_equal(loaded.evaluate(), ensemble.evaluate())
    copy = pickle.loads(pickle.dumps(ensemble))
    pd.testing.assert_frame_equal(
        copy.forecast(5, members=True), ensemble.forecast(5, members=True)
    )


def test_a_network_that_disagrees_with_n_models_is_refused(ensemble):
    import copy

    edited = copy.copy(ensemble)
    edited.n_models = 2
    with pytest.raises(ValueError, match="3 ensemble member"):
        check_loaded(edited)


def test_update_evaluate_and_backtest_use_the_ensemble(ensemble, airline):
    import copy

    f = copy.copy(ensemble)
    f.series_ = {k: s.copy() for k, s in ensemble.series_.items()}
    before = f.forecast(3, members=True)
    nxt = pd.Series([500.0], index=pd.DatetimeIndex(["1961-01-01"], freq="MS"), name="passengers")
    f.update(nxt)
    after = f.forecast(3, members=True)
    assert after.index[0] == before.index[0] + pd.offsets.MonthBegin(1)
    assert ensemble.evaluate().shape == (4, 4)
    assert ensemble.backtest(horizon=3, n_origins=4).summary.shape == (3, 6)


def test_long_format_and_for_series(long_ensemble):
    out = long_ensemble.forecast(3, members=True, level=50)
    assert out.columns.tolist() == [
        "unique_id",
        "ds",
        "Forecaster",
        "Forecaster-lo-50",
        "Forecaster-hi-50",
        "Forecaster-member-0",
        "Forecaster-member-1",
    ]
    one = long_ensemble.for_series("b").forecast(3, members=True)
    got = out[out["unique_id"] == "b"]
    np.testing.assert_allclose(one.to_numpy(), got.iloc[:, [2, 5, 6]].to_numpy(), rtol=1e-6)
    assert [c.split("-", 1)[1] for c in one.columns[1:]] == ["member-0", "member-1"]
    assert long_ensemble.backtest(horizon=2, n_origins=3).summary.shape[0] == 2


def test_one_network_gives_one_member_column_equal_to_the_forecast(airline):
    f = Forecaster(random_state=0, n_models=1, **{**TINY, "epochs": 1}).fit(airline)
    out = f.forecast(3, members=True)
    assert out.columns.tolist() == ["passengers", "passengers-member-0"]
    np.testing.assert_array_equal(out.iloc[:, 0], out.iloc[:, 1])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_bad_n_models_is_refused(bad, airline):
    with pytest.raises(ParameterError, match="n_models"):
        Forecaster(n_models=bad, **TINY).fit(airline)


def test_cli_fit_takes_n_models(tmp_path, capsys):
    from forecastkit.cli import main

    t = np.arange(48)
    data = tmp_path / "sales.csv"
    pd.DataFrame(
        {
            "ds": pd.date_range("2015-01-01", periods=48, freq="MS").strftime("%Y-%m-%d"),
            "y": 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12),
        }
    ).to_csv(data, index=False)
    out = tmp_path / "m.keras"
    tiny = ["--units", "4", "--epochs", "1", "--window", "6", "--seed", "0", "--quiet"]
    args = ["fit", str(data), "--time-col", "ds", *tiny, "--n-models", "2", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    loaded = Forecaster.load(out)
    assert loaded.n_models == 2 and n_members(loaded.model_) == 2
    with pytest.raises(SystemExit):  # argparse refuses it, naming the option
        main([*args[:-4], "--n-models", "0", "--out", str(tmp_path / "x.keras")])
    assert "--n-models: must be a positive integer" in capsys.readouterr().err


def test_a_fused_fit_forecasts_as_the_member_by_member_fit(airline, monkeypatch):
    from forecastkit.models import fused

    kw = dict(n_models=2, random_state=0, test_size=12, **{**TINY, "epochs": 3})
    together = Forecaster(**kw).fit(airline[:80])
    monkeypatch.setattr(fused, "fused_trainer", lambda model: None)
    apart = Forecaster(**kw).fit(airline[:80])
    np.testing.assert_allclose(together.history_["val_loss"], apart.history_["val_loss"], rtol=1e-4)
    np.testing.assert_allclose(
        together.forecast(4, members=True), apart.forecast(4, members=True), rtol=1e-4
    )


@pytest.mark.parametrize(
    "optimizer, fused", [("adam", True), ("adafactor", False), ("clipnorm", False)]
)
def test_only_elementwise_optimizers_train_fused(airline, monkeypatch, optimizer, fused):
    import keras

    from forecastkit.training import fit

    seen, train = [], fit.train

    def spy(*args, **kwargs):
        seen.append(kwargs["members"])
        return train(*args, **kwargs)

    monkeypatch.setattr(fit, "train", spy)
    if optimizer == "clipnorm":  # a norm per variable would clip the members together
        optimizer = keras.optimizers.Adam(clipnorm=1.0)
    kw = {**TINY, "epochs": 1}
    Forecaster(n_models=2, optimizer=optimizer, random_state=0, **kw).fit(airline[:60])
    assert isinstance(seen[0], int) == fused
