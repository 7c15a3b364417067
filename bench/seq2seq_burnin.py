"""Does skipping the first positions of the seq2seq loss help? (#16, an experiment).

``strategy="seq2seq"`` trains on the MSE over every position of a window, including the
first ones, where the network has read only a step or two (a forecast always reads a whole
window first). This script refits the ``seq2seq`` preset of ``bench/accuracy.py`` with the
loss taken over positions ``[skip:]`` only (``skip = window // 2``; the training code is
patched here, the package has no such option) on the same protocol and seed, and prints
both MASE per series (``skip = 0`` from the accuracy cache when it holds the fit).

Run::

    taskset -c 0 nice -n 10 /work/main/.venv/bin/python bench/seq2seq_burnin.py \\
        --cache bench/results/accuracy_s2s_runs.csv --series airline livestock
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402  (this folder's benchmark: series, protocol, presets)


def patch_loss(fraction: float = 0.5) -> None:
    """Make every ``train`` call use the MSE over positions ``[window * fraction:]``."""
    import keras

    from forecastkit.training import fit as fit_module

    original = fit_module.train

    def train(model, X, Y, **kwargs):
        skip = int(X.shape[1] * fraction)  # in-memory windows (the benchmark's series)

        def burn_in_mse(y_true, y_pred):
            y_true = keras.ops.cast(y_true, y_pred.dtype)
            error = keras.ops.square(y_pred[:, skip:] - y_true[:, skip:])
            return keras.ops.mean(error, axis=(1, 2))

        return original(model, X, Y, **{**kwargs, "loss": burn_in_mse})

    fit_module.train = train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", required=True)
    parser.add_argument("--cache", type=Path, required=True, help="accuracy cache (skip = 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    all_series = accuracy.load_series(accuracy.DEFAULT_DATA)
    cached = accuracy.read_cache(args.cache)
    patch_loss()
    print("| series | window | MASE, loss over all positions | MASE, loss over the last half |")
    print("|---|---|---|---|")
    for name in args.series:
        y, m, h = all_series[name]
        y_train, y_test = y.iloc[:-h], y.iloc[-h:]
        res = accuracy.fit_forecastkit(y_train, m, h, "seq2seq", args.seed)
        burn = accuracy.mase(y_test, res["pred"], y_train, m)
        row = cached[
            (cached["series"] == name)
            & (cached["method"] == "seq2seq")
            & (cached["seed"] == args.seed)
        ]
        full = f"{row['mase'].iloc[0]:.3f}" if len(row) else "-"
        print(f"| {name} | {res['window']} | {full} | {burn:.3f} |", flush=True)


if __name__ == "__main__":
    main()
