"""A diverged fit never leaves NaN weights; the progress choice follows stdout."""

import io
import re
import sys
import warnings

import keras
import numpy as np
import pytest

from forecastkit.exceptions import TrainingDivergedError, TrainingDivergedWarning
from forecastkit.models.builders import build_regressor
from forecastkit.training import fit
from forecastkit.training.fit import resolve_verbose, train


def _data(n=48):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4, 1)).astype("float32")
    return X, X[:, -1:, :] * 0.5


def _model():
    return build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,), seed=0)


class _BlowUpAt(keras.callbacks.Callback):
    """Set an absurd learning rate from 0-based epoch ``at``: the loss becomes NaN/inf."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.model.optimizer.learning_rate.assign(1e30)


def _finite(model):
    return all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("xla", [False, True], ids=["graph", "xla"])
def test_divergence_after_good_epochs_keeps_the_best_finite_epoch_and_warns(xla, monkeypatch):
    if xla:  # XLA, several steps per call: the non-finite loss is seen at the end of a call
        monkeypatch.setattr(fit, "XLA_MIN_STEPS", 1)
    X, Y = _data()
    model = build_regressor(
        window=4,
        n_features=1,
        horizon=1,
        n_targets=1,
        units=(3,),
        seed=0,
        cell="rnn" if xla else "lstm",
    )
    # Not pytest.warns: it would also catch the Keras DeprecationWarnings this suite
    # ignores and re-emit them as errors; here only our warning is recorded.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingDivergedWarning)
        result = train(
            model,
            X[:32],
            Y[:32],
            validation=(X[32:], Y[32:]),
            epochs=8,
            batch_size=8,
            learning_rate=0.01,
            callbacks=[_BlowUpAt(3)],
        )
    assert model.jit_compile is True or not xla
    [warning] = [w for w in caught if w.category is TrainingDivergedWarning]
    assert re.search(r"diverged at epoch 4.*restored.*learning_rate", str(warning.message))
    assert _finite(model)
    assert not np.isfinite(result["loss"][3])  # the diverged epoch stays in the history
    finite = np.asarray(result["val_loss"][:3])
    assert result.best_epoch == int(np.argmin(finite)) + 1
    restored = float(model.evaluate(X[32:], Y[32:], verbose=0))
    assert restored == pytest.approx(finite.min(), rel=1e-4)


def test_divergence_in_the_first_epoch_raises_naming_the_fix():
    X, Y = _data()
    with pytest.raises(TrainingDivergedError, match=r"epoch 1.*learning_rate \(now 1e\+12\)"):
        train(
            _model(),
            X,
            Y,
            validation=None,
            epochs=3,
            batch_size=8,
            optimizer="sgd",
            learning_rate=1e12,
        )


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_auto_verbose_looks_at_stdout_not_stderr(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert resolve_verbose("auto") == 2  # `python fit.py > log` from a terminal
    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert resolve_verbose("auto") == 1  # `python fit.py 2> err` on a terminal
    monkeypatch.setattr(sys, "stdout", None)  # pythonw: no stdout at all
    assert resolve_verbose("auto") == 2


def test_redirected_stdout_gets_plain_epoch_lines(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # stderr: a terminal
    X, Y = _data()
    train(_model(), X, Y, validation=None, epochs=2, batch_size=16, verbose="auto")
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss" in out
    assert not {"\r", "\b", "\x1b"} & set(out)  # no progress-bar control characters
