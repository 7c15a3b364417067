"""Backtest speed: 1,000 origins x horizon 24 in one batched call vs a loop over origins.

Run: ``.venv/bin/python bench/backtest_speed.py [--origins 1000] [--horizon 24]``

What is measured
----------------
A Forecaster (window 24, one LSTM layer of 16 units, 1 epoch: speed does not depend on
training) is fitted on a synthetic 5,000-point monthly-seasonal series. Then, on the same
fitted model:

* batched: ``backtest(forecaster, horizon=24, n_origins=1000)`` (refit=False): every origin's
  24-step recursive forecast in one compiled call, plus the tidy frame and the metrics;
* loop: ``forecaster._multi_step(values, [o], 24)`` once per origin (the work of one
  ``forecast(24)`` call per origin, without building pandas output), in a Python loop.

The batched timing is the best of ``--repeats`` runs, the loop's a single run, each after a
warm-up (it compiles the XLA graph for the batch shape; the loop's warm-up is one origin).
The script prints both times, the speed-up (it must be at least 20x) and the largest
absolute difference between the two sets of forecasts (it must be at most 1e-5). The
batched call is compute-bound (about 0.2 ms per origin for 24 x 24 LSTM cell steps on two
CPU cores); the loop pays the per-call work (scaling the series, slicing windows, one small
graph call) 1,000 times. Timings on a shared machine vary with its load, so the script
also prints CPU (process) seconds and the load average.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster
from forecastkit.backtest import backtest


def make_series(n: int, seed: int = 0) -> pd.Series:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    values = 100 + 0.01 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.RangeIndex(n), name="y")


def best_of(fn, repeats: int, warmup=None) -> tuple[float, float, object]:
    """Best wall-clock and best CPU (process) seconds of ``repeats`` runs, and the output."""
    (warmup or fn)()  # warm-up: compiles the graph for this batch shape
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-steps", type=int, default=5000)
    parser.add_argument("--origins", type=int, default=1000)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    y = make_series(args.n_steps)
    f = Forecaster(
        window=24,
        units=(16,),
        n_models=1,  # one network, as in the figures of docs/benchmarks.md
        epochs=1,
        target_transform="none",
        verbose=0,
        random_state=0,
    ).fit(y)
    values, h = f.values_, args.horizon
    origins = len(values) - h - np.arange(args.origins)[::-1]

    t_batch, c_batch, result = best_of(
        lambda: backtest(f, horizon=h, n_origins=args.origins), args.repeats
    )

    def loop():
        return np.concatenate([f._multi_step(values, np.array([o]), h) for o in origins])

    t_loop, c_loop, looped = best_of(loop, 1, warmup=lambda: f._multi_step(values, origins[:1], h))
    batched = result.forecasts["forecast"].to_numpy()
    diff = float(np.max(np.abs(batched - looped.reshape(-1))))
    speedup = t_loop / t_batch

    print(f"series: {args.n_steps} steps, window 24, LSTM units=(16,), target_transform='none'")
    print(f"origins: {args.origins}, horizon: {h} (forecasts: {args.origins * h})")
    print(f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(
        f"batched backtest(refit=False), best of {args.repeats}: {t_batch:.3f} s wall, "
        f"{c_batch:.3f} s CPU"
    )
    print(f"loop of _multi_step per origin, 1 run: {t_loop:.3f} s wall, {c_loop:.3f} s CPU")
    print(f"speed-up: {speedup:.1f}x wall (floor 20x), {c_loop / c_batch:.1f}x CPU time")
    print(f"max abs difference: {diff:.2e} (limit 1e-5)")
    if speedup < 20 or diff > 1e-5:
        raise SystemExit("FAILED: speed-up below 20x or forecasts differ")


if __name__ == "__main__":
    main()
