"""Stateful vs stateless training on sin -> cos: where carried memory matters.

Data: ``datasets.make_sin_cos`` with x advancing 1 / (10 pi) per step (the tutorial's
spacing); the first 20,000 steps are fitted (the last 10% of them validate, early stopping)
and the next 2,000 are held out. Network and training as in the tutorial: one LSTM layer of
20 units, chunks of 20 time steps, batches of 50, Adam with learning rate 0.006, at most 20
epochs (patience 10), the same seed for both modes.

- ``stateful=True``: 50 contiguous streams, state carried from batch to batch (reset at
  each epoch). Prediction streams the fitted inputs first, so the state reaches the test
  part, then the test part ("warm"); also reported from a zero state at the test start.
- ``stateful=False``: the same chunks of 20 steps, shuffled, each from a zero state;
  prediction reads the test part in chunks of 20 steps from a zero state (its documented
  behaviour).
- A third row runs the stateful-trained network the stateless way (``reset_state()``
  before each 20-step chunk), to separate training from carrying the state.

Metrics on the held-out part, in original units: MSE over the first 3 steps of every
20-step chunk (steps 0-2, 20-22, ... counted from the test start), MSE over all steps, and
the fit time. Repeated for seeds 0, 1, 2.

Run: ``.venv/bin/python bench/stateful.py [--seeds 0 1 2] [--epochs 20]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import SequenceRegressor, datasets

N_FIT, N_TEST, TIME_STEPS = 20_000, 2_000, 20
SETTINGS = {
    "units": (20,),
    "time_steps": TIME_STEPS,
    "batch_size": 50,
    "optimizer": "adam",
    "learning_rate": 0.006,
    "epochs": 20,
    "patience": 10,
    "val_size": 0.1,
}


def scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """MSE over the first 3 steps of each chunk, and over all steps."""
    errors = (pred - truth) ** 2
    first3 = (np.arange(len(errors)) % TIME_STEPS) < 3
    return {"first 3": float(errors[first3].mean()), "all": float(errors.mean())}


def run(seed: int, x: pd.Series, y: pd.Series) -> list[dict]:
    x_fit, y_fit, x_test = x[:N_FIT], y[:N_FIT], x[N_FIT:]
    truth = y[N_FIT:].to_numpy()
    rows = []
    for stateful in (True, False):
        start = time.perf_counter()
        m = SequenceRegressor(**SETTINGS, stateful=stateful, random_state=seed).fit(x_fit, y_fit)
        fit_s = time.perf_counter() - start
        common = {"seed": seed, "epochs": len(m.history_), "fit s": fit_s}
        if stateful:
            m.reset_state().predict(x_fit)
            warm = m.predict(x_test).to_numpy()
            cold = m.reset_state().predict(x_test).to_numpy()
            chunks = np.concatenate(
                [
                    m.reset_state().predict(x_test[a : a + TIME_STEPS]).to_numpy()
                    for a in range(0, N_TEST, TIME_STEPS)
                ]
            )
            for name, pred in [
                ("stateful, state streamed into the test part", warm),
                ("stateful, zero state at the test start", cold),
                ("stateful-trained, each chunk from zero state", chunks),
            ]:
                rows.append({"mode": name, **scores(pred, truth), **common})
        else:
            pred = m.predict(x_test).to_numpy()
            rows.append(
                {
                    "mode": "stateless, each chunk from zero state",
                    **scores(pred, truth),
                    **common,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20, help="upper bound, both modes")
    args = parser.parse_args()
    SETTINGS["epochs"] = args.epochs
    n = N_FIT + N_TEST
    x, y = datasets.make_sin_cos(n=n, stop=(n - 1) / (10 * np.pi))
    rows = [row for seed in args.seeds for row in run(seed, x, y)]
    table = pd.DataFrame(rows)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(
        f"sin -> cos, {N_FIT} steps fitted (10% validation), {N_TEST} held out; "
        f"LSTM(20), time_steps={TIME_STEPS}, batch 50, Adam 0.006, <= {args.epochs} epochs\n"
    )
    print("held-out MSE (original units) per seed:")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.5f}"))
    summary = table.groupby("mode", sort=False)[["first 3", "all", "fit s"]].median()
    print("\nmedian over seeds:")
    print(summary.to_string(float_format=lambda v: f"{v:.5f}"))
    s = table[table["mode"].str.startswith("stateful, state streamed")]["first 3"].to_numpy()
    t = table[table["mode"].str.startswith("stateless")]["first 3"].to_numpy()
    wins = int(np.sum(s < t))
    print(f"\nfirst-3-steps MSE lower with stateful=True in {wins} of {len(s)} seeds")


if __name__ == "__main__":
    main()
