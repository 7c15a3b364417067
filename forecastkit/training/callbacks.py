"""Training callbacks: the defaults every forecastkit fit uses, plus atomic checkpoints.

Defaults (``default_callbacks``): EarlyStopping with the best weights restored,
:class:`AtomicCheckpoint` of the best model, ReduceLROnPlateau, TerminateOnNaN and
:class:`LearningRateLogger`. User callbacks are added after them, never instead of them.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from forecastkit.persistence import atomic_path

__all__ = [
    "AtomicCheckpoint",
    "LearningRateLogger",
    "ResetStatesCallback",
    "default_callbacks",
    "reset_states",
]


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the best model so far, atomically: temporary file in the same folder, then rename.

    A crash mid-write never leaves a truncated checkpoint at ``filepath``.

    Parameters
    ----------
    filepath : str
        Destination, ending in ``.keras``.
    monitor : str, default="val_loss"
        Quantity to minimise.

    Examples
    --------
    >>> cb = AtomicCheckpoint("best.keras", monitor="loss")
    """

    def __init__(self, filepath: str, monitor: str = "val_loss"):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.best = np.inf
        self.best_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.best = np.inf
        self.best_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None or not np.isfinite(current) or current >= self.best:
            return
        self.best, self.best_epoch = float(current), epoch + 1
        with atomic_path(self.filepath, prefix=".tmp-checkpoint-") as tmp:
            self.model.save(tmp)


class LearningRateLogger(keras.callbacks.Callback):
    """Record the optimizer's learning rate of every epoch in ``logs["learning_rate"]``."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(
                keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            )


def reset_states(model: keras.Model) -> None:
    """Reset (to zeros) the carried state of every stateful recurrent layer of ``model``.

    Examples
    --------
    >>> from forecastkit.models.builders import build_sequence_regressor
    >>> model = build_sequence_regressor(
    ...     n_features=1, n_targets=1, units=(2,), stateful=True, batch_size=1
    ... )
    >>> reset_states(model)
    """
    for layer in model.layers:
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
            layer.reset_states()


class ResetStatesCallback(keras.callbacks.Callback):
    """Reset the state of stateful recurrent layers at the start of every epoch.

    The one place where carried state is cleared during training: at the start of every
    epoch, and before and after every evaluation (the validation batches are streams of
    their own, unrelated to the training streams). Between unrelated series call
    :meth:`reset` (or :func:`reset_states`) explicitly.

    Examples
    --------
    >>> cb = ResetStatesCallback()
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.reset()

    def on_test_begin(self, logs=None):
        self.reset()

    def on_test_end(self, logs=None):
        self.reset()

    def reset(self) -> None:
        """Reset every stateful layer of the model."""
        reset_states(self.model)


def default_callbacks(
    *, monitor: str, patience: int, checkpoint_path: str | None
) -> list[keras.callbacks.Callback]:
    """Return the default callbacks for one fit.

    Parameters
    ----------
    monitor : {"val_loss", "loss"}
        Quantity watched by early stopping, the checkpoint and the plateau schedule.
    patience : int
        Epochs without improvement before stopping; the learning rate is halved after
        ``max(1, patience // 2)`` such epochs.
    checkpoint_path : str or None
        Where :class:`AtomicCheckpoint` writes the best model; None disables it.

    Examples
    --------
    >>> [type(cb).__name__ for cb in default_callbacks(monitor="loss", patience=4,
    ...                                               checkpoint_path=None)]
    ['LearningRateLogger', 'EarlyStopping', 'ReduceLROnPlateau', 'TerminateOnNaN']
    """
    callbacks: list[keras.callbacks.Callback] = [
        LearningRateLogger(),
        keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(1, patience // 2), min_lr=1e-5
        ),
        keras.callbacks.TerminateOnNaN(),
    ]
    if checkpoint_path is not None:
        callbacks.insert(1, AtomicCheckpoint(checkpoint_path, monitor=monitor))
    return callbacks
