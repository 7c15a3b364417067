"""The seasonal indices' span without a network: seasonally adjusted naive and drift forecasts.

For every series of the development set with a yearly season (monthly, quarterly and weekly
data; ``../shared/data/dev`` and the airline, as in ``bench/accuracy.py``), the training part
is split as a default :class:`forecastkit.Forecaster` splits it (the last 10% validates),
the target transform is chosen as forecastkit chooses it, and the seasonal indices are fitted
on the training rows with :func:`forecastkit.data.transforms.fit_seasonal_adjustment` for each
span (``cycles``: None = the plain mean over every cycle, or the latest k cycles with tricube
weights). The adjusted series (on the log scale where the transform takes logs) is forecast
with the naive (last value) and the drift (first-to-last slope) methods from the end of the
whole training part, the season is put back, and the held-out horizon is scored with MASE.

This isolates the seasonal indices from everything the network does: a span whose indices
forecast the season better lowers both methods' error.

Run::

    .venv/bin/python bench/season_span.py
    .venv/bin/python bench/season_span.py --spans none 3 7 --data ../shared/data/dev
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import DEFAULT_DATA, load_series, mase

from forecastkit.data.seasonality import season_cycle
from forecastkit.data.splits import split_sizes
from forecastkit.data.transforms import choose_transform, fit_seasonal_adjustment
from forecastkit.data.windows import default_window


def forecasts(train: np.ndarray, m: int, h: int, cycles: int | None) -> dict[str, np.ndarray]:
    """Seasonally adjusted naive and drift forecasts of ``h`` steps after ``train``."""
    n = len(train)  # split as a default Forecaster splits it (val_size=0.1)
    n_train = split_sizes(n, window=default_window(m, n), horizon=1, val_size=0.1).n_train
    values = train[:, None]
    log = choose_transform(values[:n_train], [0], season_length=m).log
    adjustment = fit_seasonal_adjustment(
        values[:n_train], [0], season_length=m, multiplicative=log, cycles=cycles
    )
    z = adjustment.remove(values, [0])[:, 0].astype(float)
    z = np.log(z) if log[0] else z
    steps = np.arange(1, h + 1)
    paths = {
        "naive": np.repeat(z[-1], h),
        "drift": z[-1] + steps * (z[-1] - z[0]) / (len(z) - 1),
    }
    out = {}
    for name, path in paths.items():
        level = np.exp(path) if log[0] else path
        out[name] = adjustment.restore(level[None, :, None], np.array([len(train)]))[0, :, 0]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--spans", nargs="+", default=["none", "3", "5", "7", "11"])
    args = parser.parse_args(argv)
    spans = [None if s.lower() == "none" else int(s) for s in args.spans]
    rows = []
    for name, (y, m, h) in load_series(args.data).items():
        if season_cycle(y.index.freq) != "year":  # the seasons that "auto" adjusts
            continue
        train, test = y.to_numpy(float)[:-h], y.to_numpy(float)[-h:]
        for cycles in spans:
            for method, pred in forecasts(train, m, h, cycles).items():
                span = "all" if cycles is None else str(cycles)
                rows.append((name, method, span, mase(test, pred, train, m)))
    table = pd.DataFrame(rows, columns=["series", "method", "span", "mase"])
    wide = table.pivot_table(index="series", columns=["method", "span"], values="mase")
    order = ["all" if c is None else str(c) for c in spans]
    wide = wide.reindex(columns=pd.MultiIndex.from_product([["naive", "drift"], order]))
    with pd.option_context("display.width", 200):
        print("MASE of the held-out horizon per series, method and span (cycles):")
        print(wide.round(3).to_string())
        print("\nGeometric mean over the series:")
        print(np.exp(np.log(wide).mean()).round(3).unstack().to_string())


if __name__ == "__main__":
    main()
