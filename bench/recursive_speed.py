"""Recursive forecasting speed: forecastkit's compiled loop vs per-step Keras calls.

Measures, in one run on this machine:
1. ``Forecaster.forecast(horizon=200)`` (public API: one XLA-compiled tf.while_loop call);
2. the tutorial's way: one ``model.predict`` call per step on the same trained model;
3. one eager ``model(x)`` call per step;
4. the compiled recursion for 1 and for 256 start windows (series) at once.

The network is the default LSTM(50) -> LSTM(100) on windows of 10 (sine data, trained for
two epochs: speed does not depend on how well it is trained). Times are medians of repeated
runs after one warm-up call (the first call compiles; its time is printed separately).

Run: ``.venv/bin/python bench/recursive_speed.py``
"""

from __future__ import annotations

import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from forecastkit import Forecaster, datasets

HORIZON = 200


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    y = datasets.make_sine(2000, 100)
    f = Forecaster(window=10, n_models=1, epochs=2, verbose=0, random_state=0).fit(y)
    model, window = f.model_, f.window_
    start = time.perf_counter()
    f.forecast(HORIZON)
    first = time.perf_counter() - start
    t_api = timed(lambda: f.forecast(HORIZON), 20)

    scaled = f._scaled(f.values_)
    last = scaled[None, -window:, :].astype("float32")

    def loop(call):
        w = last.copy()
        for _ in range(HORIZON):
            p = np.asarray(call(w))[:, 0, :]
            w = np.concatenate([w[:, 1:, :], p[:, None, :]], axis=1)

    t_predict = timed(lambda: loop(lambda w: model.predict(w, verbose=0)), 2)
    t_call = timed(lambda: loop(lambda w: model(w, training=False)), 2)

    rec = f._recursion
    one = np.repeat(last, 1, axis=0)
    many = np.repeat(last, 256, axis=0)
    rec(one, HORIZON), rec(many, HORIZON)
    t_one = timed(lambda: rec(one, HORIZON), 20)
    t_many = timed(lambda: rec(many, HORIZON), 5)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; horizon={HORIZON}, window=10,")
    print("network LSTM(50) -> LSTM(100) -> Dense; medians after a warm-up call\n")
    print(f"{'method':<52}{'seconds':>10}{'speed-up':>10}")
    rows = [
        ("model.predict per step (tutorial)", t_predict),
        ("model(x) per step (eager)", t_call),
        ("Forecaster.forecast(200), first call (compiles)", first),
        ("Forecaster.forecast(200)", t_api),
        ("compiled recursion, 1 series", t_one),
        ("compiled recursion, 256 series at once", t_many),
    ]
    for name, t in rows:
        print(f"{name:<52}{t:>10.4f}{t_predict / t:>9.0f}x")
    print(f"\nforecast(200) vs model.predict loop: {t_predict / t_api:.0f}x faster (floor 50x)")
    print(f"256 series cost {t_many / t_one:.1f}x one series (floor: less than 10x)")


if __name__ == "__main__":
    main()
