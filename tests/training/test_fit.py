import logging

import keras
import numpy as np
import pytest

from forecastkit.exceptions import ParameterError, ResumeError
from forecastkit.models.builders import build_regressor
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
