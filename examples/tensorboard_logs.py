"""Log two airline fits to TensorBoard and compare their learning curves.

The TF1 sin -> cos tutorial wrote its graph and training curves to TensorBoard; here every
fit with ``log_dir=`` does: training and validation loss per epoch, the learning rate (each
plateau reduction shows as a step) and the model graph, in a fresh run folder
``run-YYYYmmdd-HHMMSS-N`` per fit, so the two fits below (learning rates 3e-3 and 3e-2) can
be compared side by side. Needs ``pip install "forecastkit[tensorboard]"``.

Run:  python examples/tensorboard_logs.py [--quick] [--out out/]
      tensorboard --logdir out/logs        # then open http://localhost:6006
Writes logs/run-*/ (TensorBoard event files, one folder per fit) and tensorboard_losses.png
(the same validation curves drawn from ``history_``) into --out.
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


def main(argv=None) -> int:
    args, out = example_args(__doc__, "tiny network and few epochs", argv)
    options = {"units": (4,), "epochs": 3} if args.quick else {"epochs": 150}
    logs = out / "logs"

    y = datasets.load_airline()
    fig, ax = plt.subplots(figsize=(6, 4))
    for rate in (3e-3, 3e-2):
        f = Forecaster(random_state=0, learning_rate=rate, log_dir=logs, **options).fit(y)
        ax.plot(f.history_.index, f.history_["val_loss"], label=f"learning_rate={rate:g}")
        print(
            f"learning_rate={rate:g}: best epoch {f.best_epoch_} of {len(f.history_)}, "
            f"val_loss {f.history_['val_loss'].min():.4f}",
            file=sys.stderr,
        )
    ax.set(xlabel="epoch", ylabel="validation loss (scaled)", yscale="log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "tensorboard_losses.png", dpi=100)
    plt.close(fig)

    runs = sorted(p.name for p in logs.iterdir())
    print(f"wrote {len(runs)} TensorBoard runs ({', '.join(runs)}) under {logs}")
    print(f"open them with:  tensorboard --logdir {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
