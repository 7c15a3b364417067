"""Fit seconds per epoch of the single default network beside ensembles (#17).

Every configuration trains on the same series for a fixed number of epochs (no early stop:
``patience`` = ``epochs``), in turns (A B C A B C ...) so that a busy machine slows all alike;
the table gives the median seconds per epoch and the trainable weights.

Run::

    nice -n 10 python bench/ensemble_speed.py --epochs 10 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from forecastkit import Forecaster, datasets

CONFIGS = {
    "default (1 x (50, 100))": {},
    "5 x (16,)": {"n_models": 5, "units": (16,)},
    "3 x (32,)": {"n_models": 3, "units": (32,)},
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    y = datasets.load_airline().astype(float)
    rows = []
    for repeat in range(args.repeats):
        for name, params in CONFIGS.items():
            f = Forecaster(
                epochs=args.epochs, patience=args.epochs, verbose=0, random_state=repeat, **params
            )
            start = time.perf_counter()
            f.fit(y)
            seconds = time.perf_counter() - start
            weights = int(sum(np.prod(w.shape) for w in f.model_.trainable_weights))
            rows.append(
                {"config": name, "s/epoch": seconds / len(f.history_), "weights": weights}
            )
            print(f"{name:26s} repeat {repeat}: {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows).groupby("config", sort=False).median()
    print(table.to_string(float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
