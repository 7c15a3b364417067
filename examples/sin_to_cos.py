"""Read sin(x), output cos(x) at every step: a stateful LSTM trained by truncated BPTT.

The TensorFlow / Keras sin -> cos tutorials, redone with forecastkit's SequenceRegressor:
x advances 1 / (10 pi) per step; chunks of 20 time steps, batches of 50 streams, one LSTM
layer of 20 units, Adam with learning rate 0.006. The series is laid out as 50 contiguous
streams, and row j of each batch continues row j of the previous batch, so the state that
is carried across batches belongs to the same stretch of the curve (the tutorial's own
batches did not do this).

The last 2,000 steps are held out. The fitted model first streams the training inputs (so
its state reaches the start of the test part), then predicts the test part.

Run:  python examples/sin_to_cos.py [--quick] [--out out/]
Writes sin_to_cos.png (target and prediction on the test part), sin_to_cos_metrics.csv and,
when Pillow is installed, sin_to_cos_training.gif (the prediction after each epoch).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _common import example_args  # examples/_common.py: --out and --quick

from forecastkit import SequenceRegressor, datasets
from forecastkit.models.builders import build_sequence_regressor


class WeightRecorder(keras.callbacks.Callback):
    """Keep a copy of the network's weights after every epoch (for the animation)."""

    def __init__(self):
        super().__init__()
        self.snapshots: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append(self.model.get_weights())


def animate(model: SequenceRegressor, snapshots, x: pd.Series, y: pd.Series, path: Path) -> bool:
    """Write a GIF of the prediction on (x, y) after each epoch; False without Pillow."""
    if importlib.util.find_spec("PIL") is None:
        print("Pillow is not installed: no GIF written", file=sys.stderr)
        return False
    from matplotlib.animation import FuncAnimation, PillowWriter

    # A stateless twin reading the whole stretch at once equals the stateful network
    # streaming it from a zero state; only the weights change from frame to frame.
    twin = build_sequence_regressor(
        n_features=1, n_targets=1, units=model.units, cell=model.cell, stateful=False
    )
    inputs = model.x_scaler_.transform(x.to_numpy()[:, None])[None]
    frames = []
    for weights in snapshots:
        twin.set_weights(weights)
        scaled = keras.ops.convert_to_numpy(twin(inputs, training=False))[0]
        frames.append(model.y_scaler_.inverse_transform_targets(scaled)[:, 0])

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(y.index, y.to_numpy(), color="tab:red", label="target cos(x)")
    ax.plot(x.index, x.to_numpy(), color="0.7", lw=1, label="input sin(x)")
    (line,) = ax.plot(y.index, frames[0], color="tab:blue", ls="--", label="prediction")
    title = ax.set_title("after epoch 1 (streamed from a zero state)")
    ax.set_ylim(-1.3, 1.6)
    ax.legend(loc="upper center", ncol=3)
    fig.tight_layout()

    def draw(i):
        line.set_ydata(frames[i])
        title.set_text(f"after epoch {i + 1} (streamed from a zero state)")
        return line, title

    FuncAnimation(fig, draw, frames=len(frames)).save(path, writer=PillowWriter(fps=3))
    plt.close(fig)
    return True


def main(argv=None) -> int:
    args, out = example_args(__doc__, "tiny network, few epochs, short series", argv)

    if args.quick:
        n_fit, n_test = 2_000, 400
        options = {"units": (4,), "batch_size": 10, "epochs": 2}
    else:
        n_fit, n_test = 20_000, 2_000
        options = {"units": (20,), "batch_size": 50, "epochs": 20}
    n = n_fit + n_test
    x, y = datasets.make_sin_cos(n=n, stop=(n - 1) / (10 * np.pi))  # step 1 / (10 pi)
    recorder = WeightRecorder()
    model = SequenceRegressor(
        time_steps=20,
        stateful=True,
        optimizer="adam",
        learning_rate=0.006,
        val_size=0.1,  # the last 10% of the fitted part: early stopping
        random_state=0,
        callbacks=[recorder],
        **options,
    ).fit(x[:n_fit], y[:n_fit])
    print(f"trained {len(model.history_)} epochs, best epoch {model.best_epoch_}", file=sys.stderr)

    model.reset_state().predict(x[:n_fit])  # stream the fitted part: the state reaches the test
    pred = model.predict(x[n_fit:])
    truth = y[n_fit:]
    errors = (pred - truth) ** 2
    first3 = errors[(np.arange(len(errors)) % 20) < 3]
    table = pd.DataFrame(
        {"value": [float(errors.mean()), float(first3.mean())]},
        index=pd.Index(
            ["test mse", "test mse, first 3 steps of each 20-step chunk"], name="metric"
        ),
    )
    table.to_csv(out / "sin_to_cos_metrics.csv")
    print(table.to_string(float_format="%.5f"))

    shown = slice(0, min(600, n_test))
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(truth.index[shown], truth.to_numpy()[shown], color="tab:red", label="target cos(x)")
    ax.plot(pred.index[shown], pred.to_numpy()[shown], "--", color="tab:blue", label="prediction")
    ax.plot(x.index[n_fit:][shown], x.to_numpy()[n_fit:][shown], color="0.7", lw=1, label="sin(x)")
    ax.set_title(f"sin -> cos, held-out steps (test MSE {errors.mean():.5f})")
    ax.set_xlabel("step")
    ax.set_ylim(-1.3, 1.6)
    ax.legend(loc="upper center", ncol=3)
    fig.tight_layout()
    fig.savefig(out / "sin_to_cos.png", dpi=100)
    plt.close(fig)
    written = ["sin_to_cos.png", "sin_to_cos_metrics.csv"]

    stretch = slice(n_fit, n_fit + min(400, n_test))
    if animate(model, recorder.snapshots, x[stretch], y[stretch], out / "sin_to_cos_training.gif"):
        written.append("sin_to_cos_training.gif")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
