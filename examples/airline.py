"""Forecast the airline passengers series and compare with the seasonal-naive baseline.

Fits a Forecaster on 1949-1959 with 1960 held out (``test_size=12``), prints the held-out
metrics of one-step and recursive prediction beside the seasonal naive (the same month one
year earlier), saves the model to a ``.keras`` archive, loads it back, and draws the
forecast of the 24 months after 1960 and the training history.

The automatic target transform matters here: the yearly swings grow with the level, so
Guerrero's criterion picks logs, and the KPSS test rejects stationarity of the trend, so the
network learns first differences of the log series (see ``forecaster.transform_``).

Run:  python examples/airline.py [--quick] [--out out/]
Writes airline_metrics.csv, airline_forecast.csv, airline_forecast.png, airline_history.png
and airline.keras into --out.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _common import example_args  # examples/_common.py: --out and --quick

from forecastkit import Forecaster, datasets
from forecastkit.plotting import plot_history


def main(argv=None) -> int:
    args, out = example_args(__doc__, "tiny network and few epochs", argv)
    options = {"units": (4,), "epochs": 2} if args.quick else {}

    y = datasets.load_airline()  # 144 months, 1949-01 .. 1960-12
    forecaster = Forecaster(test_size=12, random_state=0, **options).fit(y)
    print(
        f"window={forecaster.window_} (two seasons), transform={forecaster.transform_}, "
        f"best epoch {forecaster.best_epoch_} of {len(forecaster.history_)}",
        file=sys.stderr,
    )

    table = forecaster.evaluate()  # rows: forecaster / seasonal naive, one-step / recursive
    table.to_csv(out / "airline_metrics.csv", index_label="model")
    print(table.to_string(float_format="%.3f"))

    # Save to a .keras archive (no pickle) and check the loaded model forecasts the same.
    forecaster.save(out / "airline.keras")
    loaded = Forecaster.load(out / "airline.keras")
    forecast = loaded.forecast(24)  # the 24 months after 1960-12
    assert forecast.equals(forecaster.forecast(24))
    forecast.to_csv(out / "airline_forecast.csv")

    fig, ax = plt.subplots(figsize=(10, 4))
    loaded.plot(24, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "airline_forecast.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    plot_history(forecaster.history_, best_epoch=forecaster.best_epoch_, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "airline_history.png", dpi=100)
    plt.close(fig)
    print(f"wrote airline_metrics.csv, airline_forecast.csv/.png, airline_history.png to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
