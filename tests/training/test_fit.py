import logging

import keras
import numpy as np
import pytest

from forecastkit.exceptions import ParameterError, ResumeError
from forecastkit.models.builders import build_regressor
from forecastkit.training import fit
from forecastkit.training.callbacks import AtomicCheckpoint, default_callbacks
from forecastkit.training.fit import make_optimizer, resolve_verbose, train


def _data(n=32):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4, 1)).astype("float32")
    return X, X[:, -1:, :] * 0.5


def _model():
    return build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,))


def test_train_with_validation_records_history_and_best_epoch(tmp_path):
    X, Y = _data()
    path = tmp_path / "best.keras"
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    result = train(
        _model(),
        X[:24],
        Y[:24],
        validation=(X[24:], Y[24:]),
        epochs=3,
        batch_size=8,
        callbacks=[Spy()],
        checkpoint_path=str(path),
    )
    assert {"loss", "val_loss", "learning_rate"} <= set(result)
    assert result.monitor == "val_loss"
    assert result.best_epoch == int(np.argmin(result["val_loss"])) + 1
    assert seen == [0, 1, 2]  # the user's callback ran beside the defaults
    assert path.exists()
    assert not list(tmp_path.glob(".tmp-*"))  # the atomic write left no temporary file
    keras.saving.load_model(path)


def test_without_validation_monitors_training_loss(caplog):
    X, Y = _data()
    with caplog.at_level(logging.INFO, logger="forecastkit"):
        result = train(_model(), X, Y, validation=None, epochs=2, batch_size=8)
    assert result.monitor == "loss"
    assert "monitor the training loss" in caplog.text


def test_best_weights_restored():
    X, Y = _data()
    model = _model()
    result = train(
        model, X[:24], Y[:24], validation=(X[24:], Y[24:]), epochs=6, batch_size=8, patience=2
    )
    final = float(model.evaluate(X[24:], Y[24:], verbose=0))
    assert final == pytest.approx(min(result["val_loss"]), rel=1e-4)


def test_the_training_step_is_traced_once():
    # An optimizer built inside the first traced step makes tf.function trace it twice.
    X, Y = _data()
    model, traced = _model(), []
    step = model.train_step

    def counting_step(data):
        traced.append(1)
        return step(data)

    model.train_step = counting_step
    train(model, X[:24], Y[:24], validation=(X[24:], Y[24:]), epochs=2, batch_size=8)
    assert len(traced) == 1


def test_a_model_built_by_its_first_batch_trains():
    # No Input: the variables exist only after the first call, so the optimizer cannot be
    # built before training (it would know no variables).
    X, Y = _data()
    model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(1)])
    result = train(model, X, Y[:, 0, :], validation=None, epochs=2, batch_size=8)
    assert len(result["loss"]) == 2 and np.isfinite(result["loss"]).all()


def test_default_callbacks_are_complete():
    names = [
        type(cb).__name__
        for cb in default_callbacks(monitor="val_loss", patience=4, checkpoint_path="x.keras")
    ]
    assert names == [
        "LearningRateLogger",
        "AtomicCheckpoint",
        "EarlyStopping",
        "ReduceLROnPlateau",
        "StopOnNonFinite",
    ]


def test_atomic_checkpoint_skips_non_improving(tmp_path):
    cb = AtomicCheckpoint(str(tmp_path / "m.keras"), monitor="loss")
    cb.set_model(_model())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": float("nan")})
    assert not (tmp_path / "m.keras").exists()
    cb.on_epoch_end(1, {"loss": 1.0})
    assert cb.best_epoch == 2 and (tmp_path / "m.keras").exists()


def test_optimizer_and_verbose_validation():
    assert isinstance(make_optimizer("rmsprop", 0.1), keras.optimizers.RMSprop)
    original = keras.optimizers.Adam(0.5)
    copy = make_optimizer(original, None)
    assert copy is not original and float(copy.learning_rate) == pytest.approx(0.5)
    with pytest.raises(ParameterError, match="optimizer"):
        make_optimizer("nope", None)
    with pytest.raises(ParameterError, match="learning_rate"):
        make_optimizer("adam", -1.0)
    assert resolve_verbose(0) == 0
    assert resolve_verbose("auto") in (1, 2)
    with pytest.raises(ParameterError, match="verbose"):
        resolve_verbose(True)


def test_without_checkpoint_path_no_model_is_saved(monkeypatch):
    saves = []
    monkeypatch.setattr(keras.Model, "save", lambda self, *a, **k: saves.append(a))
    X, Y = _data()
    result = train(_model(), X[:24], Y[:24], validation=(X[24:], Y[24:]), epochs=3, batch_size=8)
    assert len(result["loss"]) == 3 and saves == []  # early stopping holds the best weights


def test_a_backup_with_other_default_callbacks_is_refused(tmp_path):
    class Kill(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    X, Y = _data()
    options = dict(validation=(X[24:], Y[24:]), epochs=4, batch_size=8, seed=0)
    options["resume_dir"] = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(_model(), X[:24], Y[:24], callbacks=[Kill()], **options)
    with pytest.raises(ResumeError, match=r"default callbacks.*Delete"):
        train(_model(), X[:24], Y[:24], checkpoint_path=str(tmp_path / "best.keras"), **options)


class _BatchSpy(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def _seeded_fit(**options):
    keras.utils.set_random_seed(0)  # Keras shuffles arrays with TensorFlow's global seed
    X, Y = _data(40)
    # a SimpleRNN: XLA compiles it in a fraction of an LSTM's time
    model = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,), cell="rnn")
    result = train(
        model, X[:32], Y[:32], validation=(X[32:], Y[32:]), epochs=3, batch_size=8, **options
    )
    return model, result


def test_long_fits_compile_with_xla_reproducibly_and_equal_the_default_graph(monkeypatch):
    monkeypatch.setattr(fit, "XLA_MIN_STEPS", 12)  # 3 epochs x 4 batches: XLA
    first, result = _seeded_fit()
    assert first.jit_compile is True and first.steps_per_execution == fit.STEPS_PER_EXECUTION
    spy = _BatchSpy()  # a per-batch hook: one step per call, so it sees every batch
    again, result_again = _seeded_fit(callbacks=[spy])
    assert again.jit_compile is True and again.steps_per_execution == 1
    assert spy.batches == 3 * 4
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # equal seeds: the same fit, bit for bit
    assert result == result_again
    monkeypatch.setattr(fit, "XLA_MIN_STEPS", 13)  # one step short: Keras's own choice
    assert fit._jit_choice(first, "auto", steps=12) == "auto"
    plain, plain_result = _seeded_fit(jit_compile=False)
    assert plain.jit_compile is False and plain.steps_per_execution == 1
    for a, b in zip(first.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)  # the same training, to float32 rounding
    np.testing.assert_allclose(result["val_loss"], plain_result["val_loss"], rtol=1e-4)
    with pytest.raises(ParameterError, match="jit_compile"):
        _seeded_fit(jit_compile="yes")


def _ensemble_fit(epochs=12, fused=False, **options):
    """Three members of one ensemble trained side by side, each on its own batch order.

    ``fused``: trained as one fused network (forecastkit.models.fused), then copied back.
    """
    from forecastkit.models.builders import member_models, training_model
    from forecastkit.models.fused import fused_trainer, write_members
    from forecastkit.training.dataset import make_training_data

    t = np.arange(240, dtype="float32")
    noise = np.random.default_rng(1).normal(0, 0.3, t.size).astype("float32")
    series = (np.sin(t / 4) + noise)[:, None]
    data, validation = make_training_data(
        series[:180], series[180:], window=6, horizon=1, batch_size=16, seed=0, members=3
    )
    model = build_regressor(
        window=6, n_features=1, horizon=1, n_targets=1, units=(3,), n_models=3, seed=0
    )
    members = member_models(model)
    trainer = fused_trainer(model) if fused else training_model(model)
    result = train(
        trainer,
        *data,
        validation=validation,
        epochs=epochs,
        batch_size=16,
        learning_rate=0.1,  # a noisy validation curve: the members peak apart
        patience=epochs,
        members=3 if fused else members,
        **options,
    )
    if fused:
        write_members(trainer, model)
    windows = np.lib.stride_tricks.sliding_window_view(series[180:, 0], 7)
    return members, result, windows[:, :6, None], windows[:, 6:, None]


@pytest.fixture(scope="module")
def ensemble_fit(tmp_path_factory):
    """One uninterrupted ensemble fit, backed up as it goes (the resume test's reference)."""
    return _ensemble_fit(resume_dir=tmp_path_factory.mktemp("whole"))


@pytest.fixture(scope="module")
def fused_ensemble_fit(tmp_path_factory):
    """``ensemble_fit`` trained as one fused network."""
    return _ensemble_fit(resume_dir=tmp_path_factory.mktemp("fused"), fused=True)


@pytest.mark.parametrize("fit_name", ["ensemble_fit", "fused_ensemble_fit"])
def test_each_ensemble_member_restores_its_own_best_epoch(fit_name, request):
    members, result, X_val, Y_val = request.getfixturevalue(fit_name)
    best_epochs = [int(np.argmin(result[f"val_member_{k}_mse"])) for k in range(3)]
    assert len(set(best_epochs)) > 1  # else one epoch for all would pass too
    for k, member in enumerate(members):
        mse = float(np.mean((member.predict(X_val, verbose=0) - Y_val) ** 2))
        assert mse == pytest.approx(min(result[f"val_member_{k}_mse"]), rel=1e-4)
    # The members' mean loss (val_loss) is their mean MSE: never worse than its best epoch.
    means = np.mean([result[f"val_member_{k}_mse"] for k in range(3)], axis=0)
    np.testing.assert_allclose(means, result["val_loss"], rtol=1e-5)


class _Killed(Exception):
    pass


class _KillAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.at = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at:
            raise _Killed


def test_a_resumed_ensemble_fit_keeps_every_members_best(ensemble_fit, tmp_path):
    whole, result, X_val, _ = ensemble_fit
    bests = [int(np.argmin(result[f"val_member_{k}_mse"])) for k in range(3)]
    with pytest.raises(_Killed):
        _ensemble_fit(resume_dir=tmp_path / "run", callbacks=[_KillAt(10)])
    resumed, again, _, _ = _ensemble_fit(resume_dir=tmp_path / "run")
    assert min(bests) < 10  # a member's best lies before the kill: its state must survive
    np.testing.assert_allclose(again["val_loss"], result["val_loss"], rtol=1e-5)
    for a, b in zip(whole, resumed, strict=True):
        np.testing.assert_allclose(a.predict(X_val, verbose=0), b.predict(X_val, verbose=0))


def test_fused_and_member_by_member_fits_agree(ensemble_fit, fused_ensemble_fit):
    layered, a, X_val, _ = ensemble_fit
    fused, b, _, _ = fused_ensemble_fit
    np.testing.assert_allclose(b["val_loss"], a["val_loss"], rtol=1e-3)
    for x, y in zip(layered, fused, strict=True):
        np.testing.assert_allclose(
            y.predict(X_val, verbose=0), x.predict(X_val, verbose=0), rtol=1e-3, atol=1e-4
        )


def test_a_resumed_fused_ensemble_fit_keeps_every_members_best(fused_ensemble_fit, tmp_path):
    whole, result, X_val, _ = fused_ensemble_fit
    with pytest.raises(_Killed):
        _ensemble_fit(resume_dir=tmp_path / "run", callbacks=[_KillAt(10)], fused=True)
    resumed, again, _, _ = _ensemble_fit(resume_dir=tmp_path / "run", fused=True)
    np.testing.assert_allclose(again["val_loss"], result["val_loss"], rtol=1e-5)
    for a, b in zip(whole, resumed, strict=True):
        np.testing.assert_allclose(a.predict(X_val, verbose=0), b.predict(X_val, verbose=0))


def _eight_epochs(trainer, X, Y, Xv, Yv, callbacks) -> dict:
    """Fit a two-member trainer for 8 epochs in a fixed order; return the history."""
    return trainer.fit(
        [X, X],
        Y.astype("float32"),
        validation_data=([Xv, Xv], Yv.astype("float32")),
        epochs=8,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    ).history


def test_stacked_members_restore_the_mean_of_their_best_epochs():
    from forecastkit.models.fused import fused_trainer
    from forecastkit.training.callbacks import MemberEarlyStopping, member_losses

    model = build_regressor(
        window=4, n_features=1, horizon=1, n_targets=1, units=(2,), n_models=2, seed=0
    )
    trainer = fused_trainer(model)
    trainer.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse", metrics=member_losses(2))
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(32, 4, 1)).astype("float32"), rng.normal(size=(32, 1, 2))
    Xv, Yv = rng.normal(size=(8, 4, 1)).astype("float32"), rng.normal(size=(8, 1, 2))
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(trainer.get_weights())
    )
    stopper = MemberEarlyStopping(2, monitor="val_loss", patience=50, average_epochs=3)
    history = _eight_epochs(trainer, X, Y, Xv, Yv, [record, stopper])
    restored = trainer.get_weights()
    kept = []
    for k in range(2):
        best3 = sorted(np.argsort(history[f"val_member_{k}_mse"], kind="stable")[:3].tolist())
        kept.append(best3)
        assert stopper.member_kept_epochs[k] == best3
        for j, weight in enumerate(restored):
            want = np.mean([seen[e][j][k] for e in best3], axis=0)
            np.testing.assert_allclose(weight[k], want, rtol=1e-6, atol=1e-7)
    assert kept[0] != kept[1]  # else one set of epochs for both would pass too


def test_a_model_without_stacked_members_is_refused_a_member_count():
    model = build_regressor(window=4, n_features=2, horizon=1, n_targets=2, units=(3,))
    X, Y = np.zeros((8, 4, 2), "float32"), np.zeros((8, 1, 2), "float32")
    with pytest.raises(ParameterError, match="stacked"):
        train(model, X, Y, validation=None, epochs=1, batch_size=4, members=2)


class _MemberWeights(keras.callbacks.Callback):
    """Every member's weights at the end of every epoch (runs before early stopping's)."""

    def __init__(self, members):
        super().__init__()
        self.members, self.epochs = members, []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append([m.get_weights() for m in self.members])


@pytest.fixture(scope="module")
def averaged_fit(tmp_path_factory):
    """The ensemble fit of ``ensemble_fit``, each member averaging its 3 best epochs."""
    return _ensemble_fit(resume_dir=tmp_path_factory.mktemp("avg"), average_epochs=3)


@pytest.mark.parametrize("tolerance", [None, 0.0])
def test_each_member_restores_the_mean_of_its_best_epochs(tolerance):
    from forecastkit.models.builders import member_models, training_model
    from forecastkit.training.callbacks import MemberEarlyStopping, member_losses

    model = build_regressor(
        window=4, n_features=1, horizon=1, n_targets=1, units=(2,), n_models=2, seed=0
    )
    members, trainer = member_models(model), training_model(model)
    trainer.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse", metrics=member_losses(2))
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(32, 4, 1)).astype("float32"), rng.normal(size=(32, 1, 2))
    # Validation on other noise: the members' validation curves do not just fall.
    Xv, Yv = rng.normal(size=(8, 4, 1)).astype("float32"), rng.normal(size=(8, 1, 2))
    seen = _MemberWeights(members)
    stopper = MemberEarlyStopping(members, monitor="val_loss", patience=50, average_epochs=3)
    stopper.tolerance = tolerance  # None: all kept epochs; 0.0: those as good as the best
    history = _eight_epochs(trainer, X, Y, Xv, Yv, [seen, stopper])
    kept = [
        sorted(np.argsort(history[f"val_member_{k}_mse"], kind="stable")[:3].tolist())
        for k in range(2)
    ]
    assert any(epochs != [5, 6, 7] for epochs in kept)  # else "the last 3 epochs" would pass
    for k, member in enumerate(members):
        losses, best3 = history[f"val_member_{k}_mse"], kept[k]
        assert stopper.member_kept_epochs[k] == best3
        assert stopper.member_best_epochs[k] == int(np.argmin(losses))
        bound = np.inf if tolerance is None else min(losses) * (1 + tolerance)
        averaged = [e for e in best3 if losses[e] <= bound]
        assert len(averaged) == (3 if tolerance is None else 1)
        expected = [
            np.mean([seen.epochs[e][k][j] for e in averaged], axis=0)
            for j in range(len(member.weights))
        ]
        for got, want in zip(member.get_weights(), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("average", [0, -1, 1.5, True, "3"])
def test_a_bad_average_is_refused(average):
    from forecastkit.training.callbacks import MemberEarlyStopping

    members, _ = _members_and_trainer()
    with pytest.raises(ParameterError, match="`average_epochs`"):
        MemberEarlyStopping(members, monitor="val_loss", patience=2, average_epochs=average)
    X = np.zeros((8, 4, 1), "float32")
    with pytest.raises(ParameterError, match="`average_epochs`"):  # also without members
        train(
            _model(),
            X,
            np.zeros((8, 1)),
            validation=None,
            epochs=1,
            batch_size=4,
            average_epochs=average,
        )


def test_a_resumed_averaging_fit_keeps_every_members_kept_epochs(averaged_fit, tmp_path):
    whole, result, X_val, _ = averaged_fit
    with pytest.raises(_Killed):
        _ensemble_fit(resume_dir=tmp_path / "run", callbacks=[_KillAt(6)], average_epochs=3)
    resumed, again, _, _ = _ensemble_fit(resume_dir=tmp_path / "run", average_epochs=3)
    kept = [np.argsort(result[f"val_member_{k}_mse"], kind="stable")[:3] for k in range(3)]
    # A member averages epochs from both sides of the kill: the kept ones must survive it.
    assert any(min(epochs) < 6 <= max(epochs) for epochs in kept)
    np.testing.assert_allclose(again["val_loss"], result["val_loss"], rtol=1e-5)
    for a, b in zip(whole, resumed, strict=True):
        np.testing.assert_allclose(a.predict(X_val, verbose=0), b.predict(X_val, verbose=0))


def test_a_backup_of_another_averaging_is_refused(tmp_path):
    with pytest.raises(_Killed):
        _ensemble_fit(resume_dir=tmp_path / "run", callbacks=[_KillAt(2)], average_epochs=3)
    with pytest.raises(ResumeError, match="different fit"):
        _ensemble_fit(resume_dir=tmp_path / "run", average_epochs=1)


def test_an_ensemble_backup_without_its_kept_epochs_is_refused(tmp_path):
    import json

    with pytest.raises(_Killed):
        _ensemble_fit(resume_dir=tmp_path / "run", callbacks=[_KillAt(2)], average_epochs=3)
    meta_path = tmp_path / "run" / "forecastkit-backup" / "training_metadata.json"
    meta = json.loads(meta_path.read_text())
    assert len(meta["member_kept"]) == 3
    del meta["member_kept"]  # as an older forecastkit wrote it
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ResumeError, match="older forecastkit"):
        _ensemble_fit(resume_dir=tmp_path / "run", average_epochs=3)


def test_an_ensemble_checkpoint_loads_with_its_member_metrics(tmp_path):
    path = tmp_path / "best.keras"
    _ensemble_fit(epochs=2, checkpoint_path=str(path))
    loaded = keras.saving.load_model(path)  # compiled, member metrics included
    assert loaded.output_shape == (None, 1, 3)


def _members_and_trainer():
    from forecastkit.models.builders import member_models, training_model

    model = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(2,), n_models=2)
    return member_models(model), training_model(model)


@pytest.mark.parametrize(
    "case, match",
    [
        ("loss", "loss must be 'mse'"),
        ("foreign", "share their weights"),
    ],
)
def test_members_that_cannot_be_scored_are_refused(case, match):
    members, trainer = _members_and_trainer()
    options = {"loss": "mae"} if case == "loss" else {}
    if case == "foreign":
        members = [_model(), _model()]
    X = np.zeros((8, 4, 1), "float32")
    with pytest.raises(ParameterError, match=match):
        train(
            trainer,
            (X, X),
            np.zeros((8, 1, 2), "float32"),
            validation=None,
            epochs=1,
            batch_size=4,
            members=members,
            **options,
        )


def test_member_early_stopping_without_member_losses_names_the_fix():
    from forecastkit.training.callbacks import MemberEarlyStopping

    members, trainer = _members_and_trainer()
    trainer.compile(optimizer="adam", loss="mse")
    X, Y = np.zeros((8, 4, 1), "float32"), np.zeros((8, 1, 2), "float32")
    stopper = MemberEarlyStopping(members, monitor="loss", patience=2)
    with pytest.raises(ParameterError, match=r"member_losses\(2\)"):
        trainer.fit((X, X), Y, epochs=1, verbose=0, callbacks=[stopper])


@pytest.mark.parametrize("bad", [0, -1e-3, "0.1", float("inf"), float("nan"), True])
def test_a_learning_rate_must_be_a_positive_finite_number(bad):
    # "0.1" was read as 0.1, and inf trained to NaN weights
    with pytest.raises(ParameterError, match=r"`learning_rate` must be a number > 0\.0"):
        make_optimizer("adam", bad)
