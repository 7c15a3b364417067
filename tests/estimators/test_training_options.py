"""Training options of every Keras estimator: resume_dir, log_dir, divergence."""

import json
import os
import sys
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.estimators.classifier import SequenceClassifier
from forecastkit.estimators.sequence_regressor import SequenceRegressor
from forecastkit.exceptions import MissingDependencyError, ResumeError, TrainingDivergedError
from forecastkit.training import dataset


class Killed(Exception):
    """Stands for the process being killed at the start of an epoch."""


class KillAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Killed(f"killed at epoch {epoch}")


def _series(n=90, seed=0):
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.3, n)
    values = 10 + 5 * np.sin(t / 4) + noise  # between about 5 and 15
    return pd.Series(values, index=pd.date_range("2021-01-01", periods=n, freq="D"))


def _digits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5, 2)).astype("float32")
    return X, np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")


def _sin_cos():
    x = np.sin(np.linspace(0, 20, 240))
    return x, np.cos(np.linspace(0, 20, 240))


CASES = {
    # name: (estimator factory, fit arguments)
    "forecaster": (
        lambda **kw: Forecaster(
            window=6, units=(3,), epochs=6, patience=2, verbose=0, random_state=3, n_models=1, **kw
        ),
        lambda: (_series(),),
    ),
    # An ensemble: every member shuffles with its own seed (MemberBatches), and a resumed
    # fit must bring every member's order back.
    "ensemble": (
        lambda **kw: Forecaster(
            window=6, units=(3,), epochs=6, patience=2, verbose=0, random_state=3, n_models=2, **kw
        ),
        lambda: (_series(),),
    ),
    "classifier": (
        lambda **kw: SequenceClassifier(
            units=(3,), epochs=5, patience=2, batch_size=16, random_state=3, **kw
        ),
        _digits,
    ),
    "stateful-regressor": (
        lambda **kw: SequenceRegressor(
            units=(3,),
            time_steps=10,
            batch_size=4,
            epochs=5,
            patience=2,
            val_size=40,  # 200 training steps: whole stateful batches of 4 x 10
            random_state=3,
            **kw,
        ),
        _sin_cos,
    ),
}


def _same_weights(a, b):
    wa, wb = a.model_.get_weights(), b.model_.get_weights()
    return len(wa) == len(wb) and all(np.allclose(x, y) for x, y in zip(wa, wb, strict=True))


@pytest.mark.parametrize("name", [*CASES, "forecaster-streamed", "ensemble-streamed"])
def test_a_killed_fit_resumes_to_the_weights_of_an_uninterrupted_one(name, tmp_path, monkeypatch):
    make, data = CASES[name.removesuffix("-streamed")]
    if name.endswith("-streamed"):  # WindowDataset batches, shuffled per (seed, epoch)
        monkeypatch.setattr(dataset, "STREAM_BYTES", 0)
    args = data()
    whole = make(resume_dir=tmp_path / "whole").fit(*args)
    with pytest.raises(Killed):
        make(resume_dir=tmp_path / "run", callbacks=[KillAt(3)]).fit(*args)
    backup = tmp_path / "run" / "forecastkit-backup"
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 3
    resumed = make(resume_dir=tmp_path / "run").fit(*args)
    assert _same_weights(whole, resumed)
    pd.testing.assert_frame_equal(whole.history_, resumed.history_)  # restored epochs too
    assert whole.best_epoch_ == resumed.best_epoch_
    assert not backup.exists() and (tmp_path / "run").is_dir()  # done: backup gone, dir kept


def test_a_backup_of_another_fit_is_refused(tmp_path):
    y = _series()
    make = CASES["forecaster"][0]
    with pytest.raises(Killed):
        make(resume_dir=tmp_path, callbacks=[KillAt(2)]).fit(y)
    with pytest.raises(ResumeError, match=r"different fit.*delete"):
        make(resume_dir=tmp_path).fit(y + 1.0)  # other data, same shapes
    with pytest.raises(ResumeError, match="different fit"):
        make(resume_dir=tmp_path).set_params(units=(4,)).fit(y)


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One Forecaster fitted twice with log_dir (3 epochs each)."""
    root = tmp_path_factory.mktemp("logs")
    f = Forecaster(window=6, units=(3,), epochs=3, patience=5, verbose=0, log_dir=root)
    f.fit(_series())
    f.fit(_series())
    return f, root


def _events(folder):
    """Tags (with their steps) and whether a graph was written, of one run's event files."""
    import tensorflow as tf
    from tensorboard.compat.proto.event_pb2 import Event

    tags, graph = {}, False
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = Event.FromString(record.numpy())
            graph = graph or bool(event.graph_def)
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    return tags, graph


def test_log_dir_writes_losses_learning_rate_and_graph_per_fit(logged):
    f, root = logged
    runs = sorted(p for p in root.iterdir())
    assert len(runs) == 2 and all(p.name.startswith("run-") for p in runs)  # never overwritten
    epochs = list(range(len(f.history_)))
    for run in runs:
        train_tags, graph = _events(run / "train")
        val_tags, _ = _events(run / "validation")
        assert train_tags["epoch_loss"] == epochs
        assert train_tags["epoch_learning_rate"] == epochs
        assert val_tags["epoch_loss"] == epochs
        assert graph and "keras" in train_tags  # op graph and the layers' (conceptual) graph


def test_run_time_paths_are_not_saved_with_the_model(logged, tmp_path):
    f, _ = logged
    path = tmp_path / "m.keras"
    f.save(path)
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json") and "forecastkit" in n)
        params = json.loads(archive.read(name))["params"]
    assert params["log_dir"] is None and params["resume_dir"] is None
    loaded = Forecaster.load(path)
    assert loaded.log_dir is None and loaded.resume_dir is None


def test_a_long_format_fit_writes_one_run(tmp_path):
    frame = pd.concat(
        [
            _series(seed=s).rename("y").rename_axis("ds").reset_index().assign(unique_id=s)
            for s in range(3)
        ]
    )
    Forecaster(window=6, units=(3,), epochs=2, verbose=0, log_dir=tmp_path).fit(frame)
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", list(CASES))
def test_missing_tensorboard_names_the_extra(name, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` fails
    make, data = CASES[name]
    est = make(log_dir=tmp_path / "logs")
    with pytest.raises(MissingDependencyError, match=r'pip install "forecastkit\[tensorboard\]"'):
        est.fit(*data())
    assert not hasattr(est, "model_") and not (tmp_path / "logs").exists()


@pytest.mark.parametrize("name", ["forecaster", "stateful-regressor"])
def test_a_fit_that_diverges_at_once_raises_and_stays_unfitted(name):
    # (The classifier's clipped cross-entropy stays finite even at learning_rate=1e12.)
    make, data = CASES[name]
    est = make(optimizer="sgd", learning_rate=1e12)
    with pytest.raises(TrainingDivergedError, match=r"epoch 1.*Lower learning_rate"):
        est.fit(*data())
    assert not hasattr(est, "model_")


def test_finite_but_exploding_epochs_are_refused_rather_than_forecasting_nonsense():
    # Issue 14's case: a series between 5 and 15, lr=1e3. The first epoch ends finite but
    # far worse than the untrained network, the second is inf: no usable weights.
    est = CASES["forecaster"][0](optimizer="sgd", learning_rate=1e3)
    with pytest.raises(TrainingDivergedError, match="no better than the untrained network"):
        est.fit(_series())
    assert not hasattr(est, "model_")


@pytest.mark.parametrize("name", list(CASES))
def test_new_parameters_default_to_none(name):
    params = CASES[name][0]().get_params()
    assert params["resume_dir"] is None and params["log_dir"] is None


def test_local_forecasters_give_each_series_its_own_resume_dir(tmp_path):
    from forecastkit import LocalForecasters

    frame = pd.concat(
        _series(n=40, seed=s).rename("y").rename_axis("ds").reset_index().assign(unique_id=uid)
        for s, uid in enumerate("ab")
    )
    template = Forecaster(window=5, units=(2,), epochs=1, verbose=0, resume_dir=tmp_path)
    local = LocalForecasters(template, random_state=0).fit(frame)
    dirs = {uid: est.resume_dir for uid, est in local.estimators_.items()}
    assert len(set(dirs.values())) == 2
    assert all(os.path.dirname(d) == os.fspath(tmp_path) for d in dirs.values())
