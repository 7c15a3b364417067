"""Accuracy of the Forecaster's defaults against the seasonal-naive forecast.

For each series the last part is held out (``test_size``); the Forecaster is fitted with
its defaults (window from the frequency, LSTM(50) -> LSTM(100), automatic target transform,
early stopping on the last 10% before the test part) and scored by ``evaluate()``: MASE of
the recursive forecast over the whole test part, beside the seasonal-naive forecast from the
same origin. Median over 3 seeds.

Series: airline passengers (monthly, last 12 months held out; the issue's floor), the
tutorial sine (window 10, 200 held out), and two generated series that are not tuned for:
a noisy trending weekly-seasonal daily series and a random walk with drift.

Run: ``.venv/bin/python bench/accuracy.py [--seeds 3]``
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster, datasets


def generated() -> dict[str, tuple[pd.Series, dict]]:
    rng = np.random.default_rng(123)
    t = np.arange(400)
    daily = pd.Series(
        200 + 0.3 * t + 15 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 4, t.size),
        index=pd.date_range("2022-01-01", periods=t.size, freq="D"),
        name="daily",
    )
    walk = pd.Series(
        np.cumsum(rng.normal(0.2, 1.0, 300)) + 50,
        index=pd.date_range("2000-01-03", periods=300, freq="W-MON"),
        name="walk",
    )
    return {
        "airline (monthly, 12 held out)": (datasets.load_airline(), dict(test_size=12)),
        "sine (window 10, 200 held out)": (
            datasets.make_sine(2000, 100),
            dict(window=10, test_size=200, val_size=200),
        ),
        "daily trend + weekly season (28 held out)": (daily, dict(test_size=28)),
        "random walk with drift (weekly, 26 held out)": (walk, dict(test_size=26)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name, (y, kw) in generated().items():
        model, naive, seconds = [], [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            f = Forecaster(random_state=seed, verbose=0, **kw).fit(y)
            seconds.append(time.perf_counter() - start)
            table = f.evaluate()
            model.append(table.loc["forecaster recursive", "mase"])
            naive.append(table.loc["seasonal naive recursive", "mase"])
        rows.append(
            {
                "series": name,
                "transform": f"log={f.transform_.log[0]}, diff={f.transform_.diff}",
                "window": f.window_,
                "MASE forecaster (median)": np.median(model),
                "MASE per seed": " ".join(f"{v:.3f}" for v in model),
                "MASE seasonal naive": naive[0],
                "fit seconds (median)": np.median(seconds),
            }
        )
        print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    print("\nSummary (recursive forecast over the whole held-out part):")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
