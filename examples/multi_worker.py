"""Train one global Forecaster on several worker processes (MultiWorkerMirroredStrategy).

Synchronous data parallelism across processes or machines: every worker holds the whole long
frame, builds the same network (same ``random_state``) and trains on its share of every
global batch; the gradients are averaged across workers after each step, so all workers
hold the same weights. Worker 0 is the chief: only its saved model is kept; the others save into
a temporary folder that is removed (saving is collective in TensorFlow's convention, so every
worker calls ``save``).

Two ways to run it:

Launcher (default, one machine): picks free ports on 127.0.0.1, starts ``--workers`` copies
of this script as workers, each with its own ``TF_CONFIG``, waits for all of them (at most
``--timeout`` seconds; if one fails or the time is up, the others are stopped), then reloads
the chief's model in this process, without any strategy, and forecasts::

    python examples/multi_worker.py [--quick] [--out out/] [--workers 2]

Worker (what you start on every machine of a real cluster, with that machine's own
``TF_CONFIG``; worker 0 is the chief)::

    export TF_CONFIG='{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
                       "task": {"type": "worker", "index": 0}}'
    python examples/multi_worker.py --out /shared/run1

With ``--resume-dir DIR`` every epoch is backed up into DIR (``Forecaster(resume_dir=...)``;
only the chief writes, every worker reads): if a worker dies mid-fit the others stop with an
error, and running the same command again (all workers, the same DIR; the ports may change)
continues from the last completed epoch. On a real cluster DIR must be on a file system every
worker can read.

The data here is a generated long frame of 6 series (``make_frame``); put your own
``pd.read_parquet(...)``, ``pd.read_csv(...)`` or
``forecastkit.data.long.read_parquet_groups(folder)`` in its place. Writes (launcher) into --out:
``model.keras`` (the chief's model), ``multi_worker_forecast.csv`` and
``multi_worker_forecast.png``; each worker's output in ``worker-<i>.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

#: Steps per series in --quick mode.
QUICK_STEPS = 40

#: Forecaster settings shared by every worker (and by the tests' single-process reference).
SETTINGS = {"window": 8, "units": (4,), "batch_size": 8, "random_state": 0}


def make_frame(n_series: int = 6, n_steps: int = 72) -> pd.DataFrame:
    """A long frame (unique_id, ds, y) of ``n_series`` daily seasonal series, the same each call."""
    rng = np.random.default_rng(0)
    t = np.arange(n_steps)
    pieces = [
        pd.DataFrame(
            {
                "unique_id": f"s{k}",
                "ds": pd.date_range("2024-01-01", periods=n_steps, freq="D"),
                "y": 10 + 3 * k + np.sin(2 * np.pi * t / 7 + k) + rng.normal(0, 0.1, n_steps),
            }
        )
        for k in range(n_series)
    ]
    return pd.concat(pieces, ignore_index=True)


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on 127.0.0.1 now (bound to port 0, then released)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` of a cluster of workers on 127.0.0.1 ``ports``."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def start_workers(
    n_workers: int, args: list[str], log_dir: Path, env: dict | None = None
) -> list[subprocess.Popen]:
    """Start ``n_workers`` copies of this script as workers on free local ports.

    Each worker's stdout and stderr go to ``log_dir/worker-<i>.log``.
    """
    ports = free_ports(n_workers)
    procs = []
    try:
        for i in range(n_workers):
            worker_env = {**(env or os.environ), "TF_CONFIG": tf_config(ports, i)}
            with open(log_dir / f"worker-{i}.log", "w") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, __file__, *args],
                        env=worker_env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
    except BaseException:
        stop(procs)
        raise
    return procs


def wait_all(procs: list[subprocess.Popen], timeout: float) -> list[int]:
    """Wait for every worker; if one fails or ``timeout`` seconds pass, stop them all.

    Returns the exit codes (negative: killed by that signal).
    """
    deadline = time.monotonic() + timeout
    try:
        while any(p.poll() is None for p in procs):
            if any(p.returncode not in (None, 0) for p in procs):
                break  # one failed: the others would wait for it forever
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        stop(procs)
    return [p.returncode for p in procs]


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate, then kill, every worker still running (our own processes only)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def worker(out: Path, epochs: int, n_steps: int, resume_dir: str | None = None) -> int:
    """Train as the worker ``TF_CONFIG`` names; the chief saves ``out/model.keras``."""
    import tensorflow as tf

    # First, before any other TensorFlow work. A collective that waits longer than
    # `timeout_seconds` for a peer fails instead of waiting forever.
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=60
        )
    )
    from forecastkit import Forecaster

    task = json.loads(os.environ["TF_CONFIG"])["task"]
    chief = task["index"] == 0
    frame = make_frame(n_steps=n_steps)  # every worker loads the whole frame
    f = Forecaster(
        **SETTINGS, epochs=epochs, verbose=2, distribution=strategy, resume_dir=resume_dir
    )
    f.fit(frame)  # batch_size per replica: each step trains on 8 x n_workers windows
    scratch = None if chief else tempfile.mkdtemp(prefix="forecastkit-worker-")
    try:
        f.save(out / "model.keras" if chief else Path(scratch) / "model.keras")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"worker {task['index']} done: {len(f.history_)} epochs", flush=True)
    return 0


def launch(
    out: Path,
    n_workers: int,
    epochs: int,
    n_steps: int,
    timeout: float,
    resume_dir: str | None = None,
) -> int:
    """Start the workers here, wait, then reload the chief's model and forecast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forecastkit import Forecaster

    args = ["--out", str(out), "--epochs", str(epochs), "--steps", str(n_steps)]
    if resume_dir is not None:
        args += ["--resume-dir", str(resume_dir)]
    procs = start_workers(n_workers, args, out)
    codes = wait_all(procs, timeout)
    if any(codes):
        for i, code in enumerate(codes):
            log = (out / f"worker-{i}.log").read_text(errors="replace")
            print(f"--- worker {i} (exit code {code}), last lines:\n{log[-2000:]}")
        print(f"the workers did not all finish (exit codes {codes}); see above", file=sys.stderr)
        return 1
    f = Forecaster.load(out / "model.keras")  # no strategy needed to load and forecast
    forecast = f.forecast(14)
    forecast.to_csv(out / "multi_worker_forecast.csv", index=False)
    frame = make_frame(n_steps=n_steps)
    fig, ax = plt.subplots(figsize=(10, 4))
    for uid, part in frame.groupby("unique_id"):
        line = ax.plot(part["ds"], part["y"], lw=1)[0]
        future = forecast[forecast["unique_id"] == uid]
        ax.plot(future["ds"], future["Forecaster"], ls="--", color=line.get_color())
    ax.set_title(f"One global network trained on {n_workers} workers; dashed: forecasts")
    fig.tight_layout()
    fig.savefig(out / "multi_worker_forecast.png", dpi=100)
    plt.close(fig)
    print(f.history_.to_string(float_format="%.4f"))
    print(f"wrote model.keras, multi_worker_forecast.csv, multi_worker_forecast.png to {out}")
    return 0


def main(argv=None) -> int:
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from _common import example_args

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workers", type=int, default=2, help="workers to start (launcher)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs")
    parser.add_argument("--steps", type=int, default=None, help="steps per series")
    parser.add_argument("--timeout", type=float, default=600, help="seconds (launcher)")
    parser.add_argument("--resume-dir", default=None, help="back up every epoch; resume there")
    extra, rest = parser.parse_known_args(argv)
    args, out = example_args(__doc__, "2 epochs, series of 40 steps", rest)
    epochs = extra.epochs or (2 if args.quick else 50)
    n_steps = extra.steps or (QUICK_STEPS if args.quick else 365)
    if "TF_CONFIG" in os.environ:
        return worker(out, epochs, n_steps, extra.resume_dir)
    return launch(out, extra.workers, epochs, n_steps, extra.timeout, extra.resume_dir)


if __name__ == "__main__":
    sys.exit(main())
