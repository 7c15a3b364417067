"""Classify 8x8 digits read row by row with an LSTM and a bidirectional LSTM.

The MNIST-rows tutorial in miniature: each image is a sequence of 8 rows (time steps) of 8
pixels (features). Prints the test accuracy of each model and writes a confusion matrix PNG
per model to ``--out``.

    python examples/digit_rows.py            # full run (early stopping, up to 60 epochs)
    python examples/digit_rows.py --quick    # a few epochs (also FORECASTKIT_QUICK=1)
"""

from __future__ import annotations

import argparse
import os
import time

from sklearn.model_selection import train_test_split

from forecastkit.datasets import load_digit_rows
from forecastkit.estimators.classifier import SequenceClassifier


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the confusion-matrix PNGs")
    parser.add_argument("--quick", action="store_true", help="a few epochs only (CI)")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("FORECASTKIT_QUICK") == "1"

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    X, y = load_digit_rows()  # X (1797, 8, 8): n_samples, n_steps (rows), n_features (pixels)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    os.makedirs(args.out, exist_ok=True)
    for name, bidirectional in [("lstm", False), ("bilstm", True)]:
        clf = SequenceClassifier(
            units=(64,),
            bidirectional=bidirectional,
            epochs=3 if quick else 60,
            batch_size=32,
            random_state=0,
        )
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = clf.score(X_test, y_test)
        print(
            f"{name:>6}: test accuracy {accuracy:.4f} after {len(clf.history_)} epochs "
            f"(best {clf.best_epoch_}), fit {seconds:.1f} s"
        )
        display = ConfusionMatrixDisplay.from_predictions(y_test, clf.predict(X_test))
        display.ax_.set_title(f"{name}: test accuracy {accuracy:.3f}")
        path = os.path.join(args.out, f"digit_rows_{name}_confusion.png")
        display.figure_.savefig(path, dpi=100)
        plt.close(display.figure_)
        print(f"        confusion matrix written to {path}")


if __name__ == "__main__":
    main()
