"""Two worker processes on this machine train one global Forecaster (MultiWorkerMirroredStrategy).

The workers are examples/multi_worker.py (the script a user copies), started on free local
ports, each with its own TF_CONFIG. Every process this module starts is stopped in a
``finally`` (terminate, then kill), and every wait has a deadline.
"""

import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from forecastkit import Forecaster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multi_worker.py"
TIMEOUT = 240  # seconds for a whole two-worker run (about 20 s on an idle 2-core machine)


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("multi_worker_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def worker_env():
    # The workers import this checkout's forecastkit, whatever is installed.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    return env


@pytest.fixture(scope="module")
def launched(example, worker_env, tmp_path_factory):
    """The example's launcher, run here: two workers, then the chief's model reloaded."""
    out = tmp_path_factory.mktemp("multi_worker")
    patch = pytest.MonkeyPatch()
    for name, value in worker_env.items():
        patch.setenv(name, value)
    try:
        started = time.monotonic()
        code = example.main(["--quick", "--out", str(out), "--timeout", str(TIMEOUT)])
        seconds = time.monotonic() - started
    finally:
        patch.undo()
    logs = [(out / f"worker-{i}.log").read_text(errors="replace") for i in range(2)]
    assert code == 0, "\n".join(log[-3000:] for log in logs)
    return out, logs, seconds


def test_two_workers_train_one_model_that_the_chief_keeps(launched, example):
    out, logs, seconds = launched
    assert seconds < TIMEOUT
    for i, log in enumerate(logs):
        assert f"worker {i} done: 2 epochs" in log
    # only the chief's model is kept; worker 1 saved into a temporary folder, removed
    assert sorted(p.name for p in out.iterdir()) == [
        "model.keras",
        "multi_worker_forecast.csv",
        "multi_worker_forecast.png",
        "worker-0.log",
        "worker-1.log",
    ]
    loaded = Forecaster.load(out / "model.keras")  # no strategy in this process
    assert loaded.distribution is None
    forecast = loaded.forecast(5)
    assert forecast["unique_id"].nunique() == 6 and len(forecast) == 30
    assert np.isfinite(forecast["Forecaster"]).all()


def test_two_workers_equal_one_process_with_the_same_global_batch(launched, example):
    """Two workers x batch_size 8 per replica = one process with batch_size 16.

    Both shuffle with the same seeded permutation, start from the same seeded weights and
    average the loss over the same 16 windows per step; only the order of the floating
    point sums differs (per-replica sums added across workers), hence a tolerance.
    """
    out, _, _ = launched
    frame = example.make_frame(n_steps=example.QUICK_STEPS)
    settings = {**example.SETTINGS, "batch_size": 2 * example.SETTINGS["batch_size"]}
    single = Forecaster(**settings, epochs=2, verbose=0).fit(frame)
    multi = Forecaster.load(out / "model.keras")
    np.testing.assert_allclose(
        multi.history_[["loss", "val_loss"]].to_numpy(),
        single.history_[["loss", "val_loss"]].to_numpy(),
        rtol=1e-5,
    )
    for a, b in zip(multi.model_.get_weights(), single.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        multi.forecast(5)["Forecaster"], single.forecast(5)["Forecaster"], rtol=1e-5
    )
    # the same frame under one process with batch_size 8 takes other steps: not equal
    other = Forecaster(**example.SETTINGS, epochs=2, verbose=0).fit(frame)
    assert not np.allclose(other.history_["loss"], multi.history_["loss"], rtol=1e-5)


def test_a_worker_killed_mid_fit_stops_the_other_with_a_clear_error(
    example, worker_env, tmp_path
):
    args = ["--quick", "--out", str(tmp_path), "--epochs", "500"]
    procs = example.start_workers(2, args, tmp_path, env=worker_env)
    log0, log1 = tmp_path / "worker-0.log", tmp_path / "worker-1.log"
    try:
        deadline = time.monotonic() + TIMEOUT
        while "Epoch 2/" not in log1.read_text(errors="replace"):  # mid-fit
            assert procs[1].poll() is None, log1.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "worker 1 did not reach epoch 2"
            time.sleep(0.1)
        procs[1].kill()
        killed = time.monotonic()
        code = procs[0].wait(timeout=90)  # TensorFlow's heartbeats notice within ~15 s
        waited = time.monotonic() - killed
    finally:
        example.stop(procs)
    text = log0.read_text(errors="replace")
    assert code != 0, text[-3000:]
    assert waited < 90
    assert "UnavailableError: Another worker of this multi-worker fit stopped" in text
    assert "restart all of them with the same TF_CONFIG" in text
    assert "/job:worker/replica:0/task:1" in text  # TensorFlow names the lost worker
    assert not (tmp_path / "model.keras").exists()  # the chief saved nothing


def test_a_restart_with_the_same_resume_dir_continues_where_the_killed_fit_stopped(
    example, worker_env, tmp_path, monkeypatch
):
    """Kill worker 1 once the chief has backed up epoch 2, restart both: the fit continues.

    Only the chief writes the backup (``resume_dir/forecastkit-backup``); both workers
    restore it, so both start at the next epoch with the same weights. The restarted run
    (fresh ports) ends as an uninterrupted fit with the same global batch and seed, here
    one process with ``batch_size`` 16, to the tolerance of the test above (the order of
    the floating point sums across workers differs).
    """
    epochs, resume = 4, tmp_path / "resume"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    meta = resume / "forecastkit-backup" / "training_metadata.json"
    args = ["--quick", "--epochs", str(epochs), "--resume-dir", str(resume)]
    procs = example.start_workers(2, [*args, "--out", str(first)], first, env=worker_env)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (meta.exists() and json.loads(meta.read_text())["epoch"] >= 2):
            logs = [(first / f"worker-{i}.log").read_text(errors="replace") for i in range(2)]
            assert all(p.poll() is None for p in procs), "\n".join(t[-3000:] for t in logs)
            assert time.monotonic() < deadline, "the chief did not back up epoch 2"
            time.sleep(0.05)
        procs[1].kill()
        assert procs[0].wait(timeout=90) != 0
    finally:
        example.stop(procs)
    done = json.loads(meta.read_text())["epoch"]
    assert 2 <= done < epochs
    assert not (first / "model.keras").exists()

    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    code = example.main([*args, "--out", str(second), "--timeout", str(TIMEOUT)])
    logs = [(second / f"worker-{i}.log").read_text(errors="replace") for i in range(2)]
    assert code == 0, "\n".join(t[-3000:] for t in logs)
    for i, log in enumerate(logs):
        assert "Epoch 1/" not in log
        assert f"Epoch {done + 1}/{epochs}" in log
        assert f"worker {i} done: {epochs} epochs" in log
    assert not (resume / "forecastkit-backup").exists()  # a completed fit removes it

    resumed = Forecaster.load(second / "model.keras")
    assert len(resumed.history_) == epochs
    frame = example.make_frame(n_steps=example.QUICK_STEPS)
    settings = {**example.SETTINGS, "batch_size": 2 * example.SETTINGS["batch_size"]}
    monkeypatch.delenv("TF_CONFIG", raising=False)
    single = Forecaster(**settings, epochs=epochs, verbose=0, resume_dir=tmp_path / "one")
    single.fit(frame)
    np.testing.assert_allclose(
        resumed.history_[["loss", "val_loss"]].to_numpy(),
        single.history_[["loss", "val_loss"]].to_numpy(),
        rtol=1e-5,
    )
    for a, b in zip(resumed.model_.get_weights(), single.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
