"""Peak memory of one training epoch on a 10,000,000-step series with window 256.

Run: ``.venv/bin/python bench/memory.py`` (every measurement) or ``--mode train`` /
``--mode forecaster`` / ``--mode parquet`` (one; ``--mode both``: train and forecaster).
Each measurement runs in a fresh Python process, so nothing allocated by an earlier one (or
by this parent) counts.

How memory is measured, and why: the child imports TensorFlow and forecastkit, creates the
series (float32, 40 MB), and then takes its baseline. It resets the kernel's peak-RSS
counter (writing ``5`` to ``/proc/self/clear_refs`` resets ``VmHWM`` to the current RSS,
Linux >= 4.0), so the peak reported is the highest resident memory reached *after* the
baseline, read from ``VmHWM`` in ``/proc/self/status``. ``resource.getrusage``'s
``ru_maxrss`` cannot be reset and would include the temporaries of creating the series
(before the baseline); psutil is not a dependency. A thread also samples ``VmRSS`` every
20 ms as a cross-check (a lower bound: it can miss short spikes).

Modes:

- ``train``: the streamed training path itself: a :class:`WindowDataset` over the series and
  one epoch of :func:`forecastkit.training.fit.train` (the criterion: the peak increase stays
  under 3 x the raw series);
- ``forecaster``: ``Forecaster(...).fit(series)`` end to end, which also holds the scaled
  series (train and validation parts) through training, fits the scaler on the training
  part a chunk at a time, and copies the series (``values_``) once training is over;
- ``parquet``: many series that do not fit the memory budget at once, as a long-format
  Parquet folder of ``PARQUET_FILES`` files (one group of series each).
  ``LocalForecasters(NaiveForecaster()).fit`` is measured on ``pd.read_parquet(folder)``
  (the whole frame) and on ``read_parquet_groups(folder)`` (one file at a time), each in a
  fresh process; then the same for one global ``Forecaster`` (SimpleRNN(4), window 24,
  batch 2,048, the first ``GLOBAL_BATCHES`` batches of training: its windows are streamed
  by a ``WindowDataset``, so the data path is what differs); the figures are set beside the
  in-memory size of one group and of the whole frame. The naive template keeps the run to
  seconds: what is measured is the data path (reading, splitting, checking), not
  training, and every fitted model keeps its own series (its ``float64`` values), so what
  stays after the fit grows with the data in both cases; the peak above that is what the
  group-by-group reading bounds.

A tiny network (one SimpleRNN layer of 4 units) and a large batch (2,048) keep one epoch at
a few minutes on 2 CPU cores; the memory of the windows does not depend on the network.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time

from _procmem import reset_peak, status  # bench/ is on sys.path (the script's folder)

N_STEPS = 10_000_000
WINDOW = 256
BATCH = 2048
LIMIT = 3.0  # peak increase allowed, in multiples of the raw series
PARQUET_FILES, PARQUET_SERIES, PARQUET_STEPS = 20, 25, 20_000  # 10,000,000 rows in all
GLOBAL_BATCHES = 20  # training batches of the global fit on the Parquet folder


def _phase(phases: dict, *, peak: str, rss: str) -> None:
    """Record the peak since the last reset and the RSS now, then reset the peak."""
    now = status()
    phases[peak], phases[rss] = now["VmHWM"], now["VmRSS"]
    reset_peak()


class _Sampler(threading.Thread):
    """Highest VmRSS seen every ``interval`` seconds (a cross-check of VmHWM)."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, status()["VmRSS"])
            time.sleep(self.interval)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def child(mode: str, steps: int | None) -> dict:
    """One measurement in this (fresh) process; returns the figures."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf  # noqa: F401  (imported before the baseline)

    from forecastkit.models.builders import build_regressor
    from forecastkit.training.dataset import WindowDataset, windows_nbytes
    from forecastkit.training.fit import train

    t = np.arange(N_STEPS, dtype=np.float32)
    series = np.sin(t / 50.0, dtype=np.float32)[:, None]  # (n_steps, 1) float32, 40 MB
    del t
    if mode == "forecaster":
        import pandas as pd

        from forecastkit import Forecaster

        series = pd.Series(series[:, 0], name="y")  # the user's series (shares the array)

    reset_peak()  # VmHWM := the current RSS: the baseline
    base = status()["VmRSS"]
    sampler = _Sampler()
    sampler.start()
    phases = {}

    class Phases(keras.callbacks.Callback):
        """Note the peak so far and the RSS, then reset VmHWM, as training begins and ends."""

        def on_train_begin(self, logs=None):
            _phase(phases, peak="before_training_peak_mb", rss="training_start_rss_mb")

        def on_train_end(self, logs=None):
            _phase(phases, peak="training_peak_mb", rss="training_end_rss_mb")

    callbacks = [Phases()]
    if steps is not None:

        class StopAfter(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch + 1 >= steps:
                    self.model.stop_training = True

        callbacks.append(StopAfter())

    start = time.perf_counter()
    if mode == "train":
        dataset = WindowDataset(series, window=WINDOW, horizon=1, batch_size=BATCH, seed=0)
        model = build_regressor(
            window=WINDOW, n_features=1, horizon=1, n_targets=1, units=(4,), cell="rnn"
        )
        result = train(
            model,
            dataset,
            validation=None,
            epochs=1,
            batch_size=BATCH,
            callbacks=callbacks,
            verbose=0,
        )
        n_samples, n_batches, loss = dataset.n_samples, len(dataset), result["loss"][-1]
    else:
        f = Forecaster(
            window=WINDOW,
            units=(4,),
            n_models=1,  # one network, as in the figures of docs/benchmarks.md
            cell="rnn",
            batch_size=BATCH,
            epochs=1,
            target_transform="none",
            random_state=0,
            verbose=0,
            callbacks=callbacks,
        ).fit(series)
        n_samples = f.sizes_[0] - WINDOW  # training windows (one-step targets)
        n_batches, loss = -(-n_samples // BATCH), float(f.history_["loss"].iloc[-1])
    seconds = time.perf_counter() - start
    sampled = sampler.stop()
    after = status()["VmHWM"]
    peak = max(after, phases["before_training_peak_mb"], phases["training_peak_mb"])
    return {
        **phases,
        "after_training_peak_mb": after,
        "mode": mode,
        "steps_limit": steps,
        "n_samples": int(n_samples),
        "n_batches": int(n_batches),
        "seconds": seconds,
        "loss": float(loss),
        "baseline_mb": base,
        "peak_mb": peak,
        "sampled_peak_mb": sampled,
        "raw_mb": N_STEPS * 4 / 1e6,
        "windows_mb": windows_nbytes(n_samples, WINDOW, 1) / 1e6,
        "load": os.getloadavg(),
    }


def report(r: dict) -> bool:
    """Print one measurement; return whether the peak increase is under the limit."""
    increase = r["peak_mb"] - r["baseline_mb"]
    ratio = increase / r["raw_mb"]
    title = {
        "train": "streamed training (WindowDataset + train)",
        "forecaster": "Forecaster.fit end to end",
    }[r["mode"]]
    epoch = (
        "one full epoch"
        if r["steps_limit"] is None
        else f"first {r['steps_limit']} of {r['n_batches']} batches (steps limit)"
    )
    print(f"== {title}: {epoch} ==")
    print(f"series            : {N_STEPS:,} steps x 1 feature, float32 = {r['raw_mb']:.0f} MB raw")
    print(
        f"windows avoided   : {r['n_samples']:,} x {WINDOW} x 1 x 4 bytes = "
        f"{r['windows_mb'] / 1e3:.2f} GB if materialised"
    )
    print(f"batches           : {r['n_batches']:,} of {BATCH} windows, loss {r['loss']:.4f}")
    print(f"time              : {r['seconds']:.0f} s (load average {r['load'][0]:.2f})")
    print(f"baseline RSS      : {r['baseline_mb']:.0f} MB (TensorFlow imported, series created)")
    print(
        f"peak RSS          : {r['peak_mb']:.0f} MB (VmHWM); sampled every 20 ms: "
        f"{r['sampled_peak_mb']:.0f} MB"
    )
    b = r["baseline_mb"]
    print(
        f"  by phase        : before training peak +{r['before_training_peak_mb'] - b:.0f} MB, "
        f"kept at training start +{r['training_start_rss_mb'] - b:.0f} MB,\n"
        f"                    during training peak +{r['training_peak_mb'] - b:.0f} MB, "
        f"kept at training end +{r['training_end_rss_mb'] - b:.0f} MB, "
        f"after training peak +{r['after_training_peak_mb'] - b:.0f} MB"
    )
    ok = ratio < LIMIT
    verdict = "PASS" if ok else "FAIL"
    print(
        f"peak increase     : {increase:.0f} MB = {ratio:.2f} x the raw series "
        f"(limit {LIMIT:.0f} x = {LIMIT * r['raw_mb']:.0f} MB): {verdict}"
    )
    print()
    return ok


def write_parquet(folder: str) -> dict:
    """Write the Parquet folder of the ``parquet`` mode; return the in-memory sizes (MB)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    t = np.arange(PARQUET_STEPS)
    ds = pd.date_range("2000-01-01", periods=PARQUET_STEPS, freq="h")
    group_mb = 0.0
    for g in range(PARQUET_FILES):
        pieces = []
        for k in range(PARQUET_SERIES):
            y = 100 + 10 * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6.3))
            y = y + rng.normal(0, 1, PARQUET_STEPS)
            pieces.append(pd.DataFrame({"unique_id": f"g{g:02d}-s{k:03d}", "ds": ds, "y": y}))
        frame = pd.concat(pieces, ignore_index=True)
        group_mb = max(group_mb, frame.memory_usage(deep=True).sum() / 1e6)
        frame.to_parquet(os.path.join(folder, f"group-{g:02d}.parquet"), index=False)
    return {"group_mb": group_mb, "whole_mb": group_mb * PARQUET_FILES}


def child_parquet(kind: str, folder: str) -> dict:
    """Fit local naive models or one global Forecaster on the folder, whole or by groups."""
    import pandas as pd
    import tensorflow as tf  # noqa: F401  (imported before the baseline)

    from forecastkit import Forecaster, LocalForecasters, NaiveForecaster
    from forecastkit.data.long import read_parquet_groups

    reset_peak()
    base = status()["VmRSS"]
    sampler = _Sampler()
    sampler.start()
    start = time.perf_counter()
    data = pd.read_parquet(folder) if kind.endswith("whole") else read_parquet_groups(folder)
    if kind.startswith("global"):
        import keras

        class StopAfter(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch + 1 >= GLOBAL_BATCHES:
                    self.model.stop_training = True

        model = Forecaster(
            window=24,
            units=(4,),
            n_models=1,  # one network, as in the figures of docs/benchmarks.md
            cell="rnn",
            batch_size=BATCH,
            epochs=1,
            target_transform="none",
            random_state=0,
            verbose=0,
            callbacks=[StopAfter()],
        ).fit(data)
        n_series = len(model.series_)
    else:
        local = LocalForecasters(NaiveForecaster("last"), random_state=0).fit(data)
        n_series = len(local.estimators_)
    del data
    seconds = time.perf_counter() - start
    sampled = sampler.stop()
    now = status()
    return {
        "kind": kind,
        "n_series": n_series,
        "seconds": seconds,
        "baseline_mb": base,
        "peak_mb": now["VmHWM"],
        "sampled_peak_mb": sampled,
        "kept_mb": now["VmRSS"],
        "load": os.getloadavg(),
    }


def report_parquet(results: list[dict], sizes: dict) -> None:
    n_rows = PARQUET_FILES * PARQUET_SERIES * PARQUET_STEPS
    print(
        f"== LocalForecasters(NaiveForecaster()) and a global Forecaster (first "
        f"{GLOBAL_BATCHES} batches) on a Parquet folder: {PARQUET_FILES} files x "
        f"{PARQUET_SERIES} series x {PARQUET_STEPS:,} steps = {n_rows:,} rows =="
    )
    print(
        f"in memory as a pandas long frame: one group {sizes['group_mb']:.0f} MB, "
        f"the whole {sizes['whole_mb']:.0f} MB"
    )
    for r in results:
        b = r["baseline_mb"]
        print(
            f"{r['kind']:>13}: {r['n_series']} series in {r['seconds']:.0f} s (load "
            f"{r['load'][0]:.2f}); peak +{r['peak_mb'] - b:.0f} MB (sampled "
            f"+{r['sampled_peak_mb'] - b:.0f} MB), RSS after the fit +{r['kept_mb'] - b:.0f} MB"
            f" (models, and heap not handed back)"
        )
    print()


def run_parquet() -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="forecastkit-bench-") as folder:
        sizes = write_parquet(folder)
        results = []
        for kind in ("whole", "groups", "global-whole", "global-groups"):
            command = [sys.executable, __file__, "--child", "parquet", "--kind", kind, folder]
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                sys.exit(f"parquet {kind} measurement failed:\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report_parquet(results, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode", choices=["train", "forecaster", "parquet", "both", "all"], default="all"
    )
    parser.add_argument("--steps", type=int, default=None, help="stop after this many batches")
    children = ["train", "forecaster", "parquet"]
    parser.add_argument("--child", choices=children, help=argparse.SUPPRESS)
    kinds = ["whole", "groups", "global-whole", "global-groups"]
    parser.add_argument("--kind", choices=kinds, help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "parquet":
        print(json.dumps(child_parquet(args.kind, args.folder)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.steps)))
        return
    if args.mode in ("parquet", "all"):
        run_parquet()
    modes = {"both": ["train", "forecaster"], "all": ["train", "forecaster"]}.get(
        args.mode, [args.mode] if args.mode != "parquet" else []
    )
    for mode in modes:
        command = [sys.executable, __file__, "--child", mode]
        if args.steps is not None:
            command += ["--steps", str(args.steps)]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if out.returncode != 0:
            sys.exit(f"{mode} measurement failed:\n{out.stderr[-3000:]}")
        report(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
