"""Forecast sin(t) with a stacked LSTM: one-step (teacher-forced) vs recursive prediction.

The Keras LSTM tutorial, redone with forecastkit: t = linspace(0, 100, 2000), y = sin(t);
windows of 10 steps; the last 200 points are the test part and the 200 before them the
validation part (early stopping); LSTM(50) -> LSTM(100) -> Dense(1).

One-step prediction sees the true previous 10 values at every test step; the recursive
forecast feeds its own predictions back, so its errors compound over the 200 steps.

Run:  python examples/sine_forecasting.py [--quick] [--out out/]
Writes sine_one_step_vs_recursive.png, sine_history.png and sine_metrics.csv into --out.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from _common import example_args  # examples/_common.py: --out and --quick

from forecastkit import Forecaster, datasets, metrics
from forecastkit.plotting import plot_history, plot_one_step_vs_recursive


def main(argv=None) -> int:
    args, out = example_args(__doc__, "tiny network, few epochs, short series", argv)

    if args.quick:
        y = datasets.make_sine(n=300, stop=15.0)
        n_test, options = 50, {"units": (4,), "epochs": 2, "n_models": 1}
    else:
        y = datasets.make_sine()  # 2000 points of sin(t), t in [0, 100]
        n_test, options = 200, {"units": (50, 100), "epochs": 50, "n_models": 1}
    history, test = y.iloc[:-n_test], y.iloc[-n_test:]

    forecaster = Forecaster(
        window=10,
        val_size=n_test,  # the 200 steps before the test part validate (early stopping)
        target_transform="none",  # a sine is stationary: no log, no differences
        optimizer="rmsprop",
        random_state=0,
        **options,
    ).fit(history)
    print(
        f"trained {len(forecaster.history_)} epochs, best epoch {forecaster.best_epoch_}",
        file=sys.stderr,
    )

    one_step = forecaster.predict(test)  # test continues the fitted series: true windows
    recursive = forecaster.forecast(len(test))  # fed back on its own predictions
    table = pd.DataFrame(
        {
            name: {"mae": metrics.mae(test, pred), "rmse": metrics.rmse(test, pred)}
            for name, pred in {"one-step": one_step, "recursive": recursive}.items()
        }
    ).T
    table.index.name = "prediction"
    table.to_csv(out / "sine_metrics.csv")
    print(table.to_string(float_format="%.4f"))

    fig, ax = plt.subplots(figsize=(10, 4))
    plot_one_step_vs_recursive(test, one_step, recursive, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "sine_one_step_vs_recursive.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    plot_history(forecaster.history_, best_epoch=forecaster.best_epoch_, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "sine_history.png", dpi=100)
    plt.close(fig)
    print(f"wrote sine_one_step_vs_recursive.png, sine_history.png, sine_metrics.csv to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
