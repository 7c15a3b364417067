"""Seconds per training epoch: forecastkit's training path vs plain Keras ``model.fit`` (#16).

Run: ``.venv/bin/python bench/epoch_speed.py [--quick] [--repeats 5] [--epochs 8]
[--max-epochs 200] [--baseline PATH ...]``

What is measured
----------------
The tutorial network of the Keras sin(t) forecasting tutorial: ``LSTM(50,
return_sequences=True) -> LSTM(100) -> Dense(1)``, windows of 10 steps, one step ahead,
batch 32, Adam (learning rate 3e-3, forecastkit's default) and MSE, on a sine: 1,800
training windows and 190 validation windows (validation is evaluated every epoch in every
configuration, as early stopping needs it). Configurations:

* ``plain``: the network built with ``keras.layers`` and trained with ``model.fit``
  (``jit_compile="auto"``, which is no XLA on a CPU-only machine): the reference;
* ``plain-xla``: the same with ``model.compile(jit_compile=True)``;
* ``forecastkit``: :func:`forecastkit.training.fit.train` (what ``Forecaster.fit`` calls)
  on :func:`forecastkit.models.builders.build_regressor`'s network of the same shape, with
  its default callbacks (early stopping with best weights, learning-rate plateau,
  non-finite-loss stop, learning-rate log; before #16 also a checkpoint of the best model);
* ``forecastkit@NAME`` (with ``--baseline PATH ...``): the same, importing forecastkit
  from another checkout (folder NAME, e.g. the code before a change), for before/after in
  one run.

Every fit is given ``--max-epochs`` (200, ``Forecaster``'s default) and stopped after
``--epochs`` by a callback, as early stopping would stop it: forecastkit chooses how to
compile the training step from the most steps a fit may run.

Each measurement runs in a fresh Python process (no TensorFlow state shared between
configurations), the configurations interleaved, ``--repeats`` rounds. Per run: the
first epoch (from the call of ``fit``/``train``, so tracing and compiling included) and
the median of epochs 2..N (the time between the ends of consecutive epochs, so every
callback's per-epoch work is included), in wall-clock seconds and in CPU seconds of the
process (all threads; less disturbed by other processes on a shared machine). The table
shows the median over the runs with the spread (min-max), and ``x plain``: the median
over the rounds of the ratio to ``plain``'s per-epoch seconds in the same round (wall
clock, and CPU seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WINDOW, BATCH, N_TRAIN, N_VAL = 10, 32, 1800, 190
CONFIGS = ("plain", "plain-xla", "forecastkit")


def make_data():
    """Training and validation windows ``(n, 10, 1)`` / targets ``(n, 1, 1)`` of a sine."""
    n = N_TRAIN + N_VAL + 2 * WINDOW
    y = np.sin(np.arange(n, dtype=np.float64) * 0.05).astype(np.float32)[:, None]

    def windows(part):
        k = len(part) - WINDOW
        X = np.stack([part[i : i + WINDOW] for i in range(k)])
        return X, part[WINDOW:][:, None, :]

    train = y[: N_TRAIN + WINDOW]
    val = y[N_TRAIN + WINDOW :]
    return windows(train), windows(val)


def child(config: str, epochs: int, max_epochs: int) -> dict:
    """Train once in this process and return the epoch timings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    (X, Y), (Xv, Yv) = make_data()
    stamps: list[tuple[float, float]] = []

    class Stamp(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append((time.perf_counter(), time.process_time()))
            if len(stamps) == epochs:
                self.model.stop_training = True

    if config.startswith("plain"):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((WINDOW, 1)),
                keras.layers.LSTM(50, return_sequences=True),
                keras.layers.LSTM(100),
                keras.layers.Dense(1),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(3e-3),
            loss="mse",
            jit_compile=True if config == "plain-xla" else "auto",
        )
        start = (time.perf_counter(), time.process_time())
        model.fit(
            X,
            Y[:, 0, :],
            validation_data=(Xv, Yv[:, 0, :]),
            batch_size=BATCH,
            epochs=max_epochs,
            verbose=0,
            callbacks=[Stamp()],
        )
    else:
        import forecastkit
        from forecastkit.models.builders import build_regressor
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import resolve_seed

        seed = resolve_seed(0)
        model = build_regressor(
            window=WINDOW, n_features=1, horizon=1, n_targets=1, units=(50, 100), seed=seed
        )
        start = (time.perf_counter(), time.process_time())
        train(
            model,
            X,
            Y,
            validation=(Xv, Yv),
            epochs=max_epochs,
            batch_size=BATCH,
            learning_rate=3e-3,
            patience=max(20, epochs),  # no early stop before `epochs`
            callbacks=[Stamp()],
            seed=seed,
        )
        config = f"{config} from {os.path.dirname(os.path.dirname(forecastkit.__file__))}"
    if len(stamps) != epochs:
        raise RuntimeError(f"{config}: {len(stamps)} epochs ran, {epochs} expected")
    st = np.array(stamps)
    return {
        "config": config,
        "first": st[0, 0] - start[0],
        "first_cpu": st[0, 1] - start[1],
        "epoch": float(np.median(np.diff(st[:, 0]))),
        "epoch_cpu": float(np.median(np.diff(st[:, 1]))),
    }


def run_child(config: str, epochs: int, max_epochs: int, path: str) -> dict:
    env = dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, __file__, "--child", config, "--epochs", str(epochs)]
    cmd += ["--max-epochs", str(max_epochs)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{config} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 4 epochs")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run (>= 2)")
    parser.add_argument(
        "--max-epochs", type=int, default=200, help="epochs allowed (Forecaster's default)"
    )
    parser.add_argument(
        "--baseline",
        nargs="+",
        default=[],
        metavar="PATH",
        help="other forecastkit checkouts to measure beside this one (e.g. before a change)",
    )
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 1, 4
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (epoch 1 includes compiling)")
    if args.child:
        print(json.dumps(child(args.child, args.epochs, args.max_epochs)))
        return

    runs = [(c, c, ROOT) for c in args.configs]
    for path in args.baseline:
        name = f"forecastkit@{os.path.basename(os.path.normpath(path))}"
        runs.append((name, "forecastkit", os.path.abspath(path)))
    print(f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(
        f"window {WINDOW}, batch {BATCH}, {N_TRAIN} training / {N_VAL} validation windows, "
        f"{args.epochs} of at most {args.max_epochs} epochs per run, {args.repeats} "
        "interleaved rounds"
    )
    results: dict[str, list[dict]] = {}
    for r in range(args.repeats):
        for label, config, path in runs:
            res = run_child(config, args.epochs, args.max_epochs, path)
            results.setdefault(label, []).append(res)
            print(
                f"  round {r + 1}: {label:<22} first {res['first']:6.2f} s, "
                f"epoch {res['epoch']:.3f} s (CPU {res['epoch_cpu']:.3f} s) ({res['config']})",
                flush=True,
            )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    plain = results.get("plain")
    head = (
        f"| {'configuration':<22} | s/epoch, median [min-max] | CPU s/epoch | x plain "
        "| x plain, CPU | epoch 1, s | epoch 1, CPU s |"
    )
    print(head)
    print("|" + "|".join("-" * len(p) for p in head.split("|")[1:-1]) + "|")
    for name, rows in results.items():
        ratio = cpu_ratio = "-"
        if plain:
            pairs = list(zip(rows, plain, strict=True))
            ratio = f"{np.median([a['epoch'] / b['epoch'] for a, b in pairs]):.2f}"
            cpu = [a["epoch_cpu"] / b["epoch_cpu"] for a, b in pairs]
            cpu_ratio = f"{np.median(cpu):.2f}"
        print(
            f"| {name:<22} | {_spread([x['epoch'] for x in rows], 3):<25} "
            f"| {_spread([x['epoch_cpu'] for x in rows], 3)} | {ratio:>7} | {cpu_ratio:>12} "
            f"| {_spread([x['first'] for x in rows], 1)} "
            f"| {_spread([x['first_cpu'] for x in rows], 1)} |"
        )


def _spread(values, digits: int) -> str:
    v = np.asarray(values)
    return f"{np.median(v):.{digits}f} [{v.min():.{digits}f}-{v.max():.{digits}f}]"


if __name__ == "__main__":
    main()
