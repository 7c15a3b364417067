"""Many local models on a Dask cluster: 200 LocalForecasters fits on 1 vs 2 Dask workers.

Data: ``--series`` (200) synthetic daily series of ``--steps`` (120) points (weekly season,
levels 10 to 1,000), a long frame. Model: one ``Forecaster(window=14, units=(8,),
epochs=--epochs (3), batch_size=32)`` per series, ``LocalForecasters(..., random_state=0)``.

Measured: wall clock of ``LocalForecasters(..., backend="dask").fit`` on a
``distributed.LocalCluster`` of 1 worker process, then of 2 worker processes
(``threads_per_worker=1``), one run each; each cluster is started before the clock and
warmed by a fit of as many series as it has workers (the import of TensorFlow in a worker
is paid once per worker process; it is reported apart). The forecasts of the 2-worker run
are checked to be exactly those of the 1-worker run (``tests/estimators/test_local.py``
checks them against ``n_jobs=1``).

Run: ``.venv/bin/python bench/local_cluster.py`` (``--series 20`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster, LocalForecasters


def make_frame(n_series: int, n_steps: int, seed: int = 0) -> pd.DataFrame:
    """Long frame of synthetic daily seasonal series."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    pieces = []
    for k in range(n_series):
        level = rng.uniform(10, 1000)
        y = level + 0.2 * level * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 6.3))
        y = y + rng.normal(0, 0.02 * level, n_steps)
        ds = pd.date_range("2020-01-01", periods=n_steps, freq="D")
        pieces.append(pd.DataFrame({"unique_id": f"s{k:04d}", "ds": ds, "y": y}))
    return pd.concat(pieces, ignore_index=True)


def main() -> None:
    import distributed

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    frame = make_frame(args.series, args.steps)
    template = Forecaster(
        window=14, units=(8,), n_models=1, epochs=args.epochs, batch_size=32, verbose=0
    )
    print(
        f"{args.series} series x {args.steps} steps, one Forecaster(window=14, units=(8,), "
        f"epochs={args.epochs}) each; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    expected, base = None, None
    for n_workers in (1, 2):
        with (
            distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            started = time.perf_counter()
            warm = make_frame(n_workers, args.steps, seed=1)
            LocalForecasters(template, backend="dask", random_state=0).fit(warm)
            warm_s = time.perf_counter() - started
            started = time.perf_counter()
            local = LocalForecasters(template, backend="dask", random_state=0).fit(frame)
            wall = time.perf_counter() - started
            forecast = local.forecast(7)
            if expected is None:
                expected, base = forecast, wall
            assert forecast.equals(expected), "forecasts differ between the clusters"
            assert len(client.scheduler_info()["workers"]) == n_workers
        print(
            f"dask, {n_workers} worker process(es): {wall:7.1f} s  "
            f"({1000 * wall / args.series:.0f} ms/model, x{base / wall:.2f} vs 1 worker; "
            f"warm-up incl. TensorFlow import {warm_s:.1f} s)"
        )
    print("forecasts of the two runs identical")


if __name__ == "__main__":
    main()
