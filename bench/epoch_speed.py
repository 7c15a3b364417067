"""Seconds per training epoch: forecastkit's training path vs plain Keras ``model.fit`` (#16).

Run: ``.venv/bin/python bench/epoch_speed.py [--quick] [--repeats 5] [--epochs 8]
[--baseline PATH]``

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
  its default callbacks (early stopping with best weights, checkpoint of the best model,
  learning-rate plateau, non-finite-loss stop, learning-rate log);
* ``forecastkit@baseline`` (with ``--baseline PATH``): the same, importing forecastkit from
  another checkout (e.g. the code before a change), for before/after in one run.

Each measurement runs in a fresh Python process (no TensorFlow state shared between
configurations), the configurations interleaved, ``--repeats`` rounds. Per run: the
first epoch (from the call of ``fit``/``train``, so tracing and compiling included) and
the median of epochs 2..N (the time between the ends of consecutive epochs, so every
callback's per-epoch work is included). The table shows the median over the runs and the
spread (min-max), and the ratio of the per-epoch median to ``plain``'s.
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


def child(config: str, epochs: int) -> dict:
    """Train once in this process and return the epoch timings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    (X, Y), (Xv, Yv) = make_data()
    stamps: list[float] = []

    class Stamp(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append(time.perf_counter())

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
        start = time.perf_counter()
        model.fit(
            X,
            Y[:, 0, :],
            validation_data=(Xv, Yv[:, 0, :]),
            batch_size=BATCH,
            epochs=epochs,
            verbose=0,
            callbacks=[Stamp()],
        )
        end = time.perf_counter()
    else:
        import forecastkit
        from forecastkit.models.builders import build_regressor
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import resolve_seed

        seed = resolve_seed(0)
        model = build_regressor(
            window=WINDOW, n_features=1, horizon=1, n_targets=1, units=(50, 100), seed=seed
        )
        start = time.perf_counter()
        train(
            model,
            X,
            Y,
            validation=(Xv, Yv),
            epochs=epochs,
            batch_size=BATCH,
            learning_rate=3e-3,
            patience=max(20, epochs),  # every epoch runs (no early stop)
            callbacks=[Stamp()],
            seed=seed,
        )
        end = time.perf_counter()
        config = f"{config} from {os.path.dirname(os.path.dirname(forecastkit.__file__))}"
    if len(stamps) != epochs:
        raise RuntimeError(f"{config}: {len(stamps)} epochs ran, {epochs} expected")
    return {
        "config": config,
        "first": stamps[0] - start,
        "epoch": float(np.median(np.diff(stamps))),
        "total": end - start,
    }


def run_child(config: str, epochs: int, path: str) -> dict:
    env = dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, __file__, "--child", config, "--epochs", str(epochs)]
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
        "--baseline", help="another forecastkit checkout to measure beside this one"
    )
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 1, 4
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (epoch 1 includes compiling)")
    if args.child:
        print(json.dumps(child(args.child, args.epochs)))
        return

    runs = [(c, c, ROOT) for c in args.configs]
    if args.baseline:
        runs.append(("forecastkit@baseline", "forecastkit", os.path.abspath(args.baseline)))
    print(f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(
        f"window {WINDOW}, batch {BATCH}, {N_TRAIN} training / {N_VAL} validation windows, "
        f"{args.epochs} epochs per run, {args.repeats} interleaved rounds"
    )
    results: dict[str, list[dict]] = {}
    for r in range(args.repeats):
        for label, config, path in runs:
            res = run_child(config, args.epochs, path)
            results.setdefault(label, []).append(res)
            print(
                f"  round {r + 1}: {label:<22} first {res['first']:6.2f} s, "
                f"epoch {res['epoch']:.3f} s ({res['config']})",
                flush=True,
            )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    reference = next((v for k, v in results.items() if k == "plain"), None)
    ref = np.median([x["epoch"] for x in reference]) if reference else None
    head = f"| {'configuration':<22} | s/epoch (2..N), median [min-max] | x plain | epoch 1, s |"
    print(head)
    print("|" + "|".join("-" * (len(p)) for p in head.split("|")[1:-1]) + "|")
    for name, rows in results.items():
        ep = np.array([x["epoch"] for x in rows])
        first = np.array([x["first"] for x in rows])
        ratio = f"{np.median(ep) / ref:.2f}" if ref else "-"
        cell = f"{np.median(ep):.3f} [{ep.min():.3f}-{ep.max():.3f}]"
        print(
            f"| {name:<22} | {cell:<32} | {ratio:>7} | "
            f"{np.median(first):5.2f} [{first.min():.2f}-{first.max():.2f}] |"
        )


if __name__ == "__main__":
    main()
