"""Streaming cost: ``Forecaster.update`` of one new point for short and long histories.

Run: ``.venv/bin/python bench/update_speed.py [--histories 1000 100000 1000000]``

What is measured
----------------
One Forecaster (window 24, one LSTM layer of 8 units, 1 epoch: the timings do not depend on
training) is fitted on 1,000 points of a noisy seasonal series. For each history length the
fitted history is extended to that length with one ``update`` call, then we time, as the
median of ``--calls`` calls each:

* ``update(one point)`` with a pandas Series that continues the index (its label is checked);
* ``update(one point)`` with a NumPy array;
* ``update(one point)`` followed by ``forecast(12)`` (the streaming loop a user runs).

``update`` must be O(1) in the history length: the history lives in a buffer that doubles
when full (amortised O(1) appends) and a forecast reads only the last window. The script
prints the medians per history length and the ratio longest / shortest (about 1 means the
cost does not grow with the history).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster


def make_series(n: int, seed: int = 0) -> pd.Series:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    values = 50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=n, freq="h"), name="y")


def median_seconds(fn, calls: int) -> float:
    times = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    longest = max(args.histories) + 3 * args.calls + 10
    y = make_series(longest)
    base = Forecaster(
        window=24, units=(8,), epochs=1, target_transform="none", verbose=0, random_state=0
    ).fit(y[:1000])
    path = os.path.join(tempfile.mkdtemp(prefix="forecastkit-bench-"), "base.keras")
    base.save(path)

    print(f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"{'history':>10} {'update(Series)':>16} {'update(array)':>15} {'+ forecast(12)':>20}")
    rows = []
    for n in sorted(args.histories):
        f = Forecaster.load(path)  # a fresh copy of the same fitted model per history
        f.forecast(12)  # compile
        if n > 1000:
            f.update(y[1000:n])
        pos = n

        def series_update(i, f=f):
            nonlocal pos
            f.update(y[pos : pos + 1])
            pos += 1

        def array_update(i, f=f):
            nonlocal pos
            f.update(y.to_numpy()[pos : pos + 1])
            pos += 1

        def streaming(i, f=f):
            nonlocal pos
            f.update(y[pos : pos + 1])
            f.forecast(12)
            pos += 1

        t_series = median_seconds(series_update, args.calls)
        t_array = median_seconds(array_update, args.calls)
        t_stream = median_seconds(streaming, args.calls)
        rows.append((n, t_series, t_array, t_stream))
        print(
            f"{n:>10} {t_series * 1e3:>13.3f} ms {t_array * 1e3:>12.3f} ms "
            f"{t_stream * 1e3:>17.3f} ms"
        )
    first, last = rows[0], rows[-1]
    print(
        f"history {last[0]} / {first[0]}: update(Series) x{last[1] / first[1]:.2f}, "
        f"update(array) x{last[2] / first[2]:.2f}, update+forecast x{last[3] / first[3]:.2f} "
        "(about 1: the cost does not grow with the history)"
    )


if __name__ == "__main__":
    main()
