"""The only caller of ``model.fit`` in forecastkit."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

import keras
import numpy as np

from forecastkit.exceptions import ParameterError
from forecastkit.training.callbacks import default_callbacks

__all__ = ["TrainingResult", "make_optimizer", "release_freed_memory", "resolve_verbose", "train"]

logger = logging.getLogger("forecastkit")


class TrainingResult(dict):
    """Per-epoch logs (``loss``, ``val_loss``, ``learning_rate``) plus ``best_epoch``."""

    best_epoch: int | None = None
    monitor: str = "val_loss"


def make_optimizer(optimizer, learning_rate: float | None) -> keras.optimizers.Optimizer:
    """Return a fresh optimizer from a name (``"adam"``) or a Keras optimizer (copied).

    Examples
    --------
    >>> opt = make_optimizer("adam", 0.01)
    >>> type(opt).__name__, round(float(opt.learning_rate), 4)
    ('Adam', 0.01)
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        opt = optimizer.__class__.from_config(optimizer.get_config())
    elif isinstance(optimizer, str):
        try:
            opt = keras.optimizers.get(optimizer)
        except ValueError as err:
            raise ParameterError(
                f"`optimizer` must be a Keras optimizer name or instance; got "
                f"optimizer={optimizer!r}. Try 'adam', 'rmsprop' or 'sgd'."
            ) from err
        opt = opt.__class__.from_config(opt.get_config())
    else:
        raise ParameterError(
            f"`optimizer` must be a Keras optimizer name or instance; got {optimizer!r}."
        )
    if learning_rate is not None:
        if isinstance(learning_rate, bool) or not float(learning_rate) > 0:
            raise ParameterError(
                f"`learning_rate` must be a positive number; got learning_rate={learning_rate!r}."
            )
        opt.learning_rate = float(learning_rate)
    return opt


def resolve_verbose(verbose) -> int:
    """Map ``verbose`` to Keras: "auto" is the bar on a terminal, one line per epoch otherwise."""
    if verbose == "auto":
        return 1 if sys.stderr.isatty() else 2
    if verbose in (0, 1, 2) and not isinstance(verbose, bool):
        return int(verbose)
    raise ParameterError(f"`verbose` must be 0, 1, 2 or 'auto'; got verbose={verbose!r}.")


def train(
    model: keras.Model,
    X: np.ndarray | keras.utils.PyDataset,
    Y: np.ndarray | None = None,
    *,
    validation: tuple[np.ndarray, np.ndarray] | keras.utils.PyDataset | None,
    epochs: int,
    batch_size: int,
    optimizer="adam",
    learning_rate: float | None = None,
    loss="mse",
    patience: int = 20,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose=0,
    checkpoint_path: str | None = None,
    shuffle: bool = True,
    metrics: Sequence | None = None,
) -> TrainingResult:
    """Compile and fit ``model`` with the default callbacks; the best weights are restored.

    Parameters
    ----------
    model : keras.Model
    X, Y : ndarray, or a keras.utils.PyDataset and None
        Training inputs and targets (any shapes the model accepts), or a dataset of
        ``(X, Y)`` batches such as :class:`~forecastkit.training.dataset.WindowDataset`
        (streamed windows) with ``Y=None``. A dataset brings its own batches and
        shuffling: ``batch_size`` and ``shuffle`` apply to arrays only.
    validation : (X_val, Y_val), keras.utils.PyDataset or None
        Validation data for early stopping; with None (or no samples) the training loss is
        monitored instead, and a log message says so.
    epochs, batch_size, patience : int
    optimizer : str or keras.optimizers.Optimizer, default="adam"
    learning_rate : float or None
    loss : str or keras loss, default="mse"
    callbacks : sequence of keras.callbacks.Callback
        Added after the defaults.
    verbose : {0, 1, 2, "auto"}
    checkpoint_path : str or None
        Where the best model is checkpointed (atomically). None writes it into a temporary
        folder removed after training.
    shuffle : bool, default=True
    metrics : sequence or None
        Extra Keras metrics to compile with.

    Returns
    -------
    TrainingResult
        Dict of per-epoch lists, with ``best_epoch`` (1-based) and ``monitor``.

    Examples
    --------
    >>> import numpy as np
    >>> from forecastkit.models.builders import build_regressor
    >>> m = build_regressor(window=3, n_features=1, horizon=1, n_targets=1, units=(2,))
    >>> X, Y = np.zeros((8, 3, 1), "float32"), np.zeros((8, 1, 1), "float32")
    >>> result = train(m, X, Y, validation=None, epochs=2, batch_size=4)
    >>> sorted(result)
    ['learning_rate', 'loss']
    """
    streamed = isinstance(X, keras.utils.PyDataset)
    if streamed != (Y is None):
        raise ParameterError(
            "`train` takes arrays X and Y, or a keras.utils.PyDataset of (X, Y) batches as X "
            f"with Y=None; got X of type {type(X).__name__} and Y of type {type(Y).__name__}."
        )
    if validation is not None and _n_items(validation) == 0:
        validation = None
    monitor = "val_loss" if validation is not None else "loss"
    if validation is None:
        logger.info("No validation data: early stopping and checkpoints monitor the training loss.")
    model.compile(optimizer=make_optimizer(optimizer, learning_rate), loss=loss, metrics=metrics)
    with (
        tempfile.TemporaryDirectory(prefix="forecastkit-") as tmp,
        _built_for_strategy(model, X, Y),
    ):
        path = checkpoint_path or os.path.join(tmp, "best.keras")
        cbs = default_callbacks(monitor=monitor, patience=patience, checkpoint_path=path)
        history = model.fit(
            *((X,) if streamed else (X, Y)),
            validation_data=validation,
            epochs=epochs,
            batch_size=None if streamed else batch_size,
            shuffle=False if streamed else shuffle,
            verbose=resolve_verbose(verbose),
            callbacks=[*cbs, *callbacks],
        )
    release_freed_memory()
    result = TrainingResult({k: [float(v) for v in vals] for k, vals in history.history.items()})
    values = np.asarray(result[monitor], dtype=float)
    result.best_epoch = int(np.nanargmin(values)) + 1 if np.isfinite(values).any() else None
    result.monitor = monitor
    return result


@contextlib.contextmanager
def _built_for_strategy(model: keras.Model, X, Y):
    """Fit a model created under a ``tf.distribute`` strategy past two Keras 3 defects.

    Keras 3 (3.15, TensorFlow backend) fails every ``fit`` under a multi-worker
    ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585), twice:

    1. it builds the compiled loss and metrics from the first batch of the distributed
       dataset after averaging that ``(X, Y)`` pair across replicas with
       ``strategy.reduce``, which cannot reduce a pair across workers ("Attempt to convert
       a value (PerReplica...) to a Tensor"). Building needs only the shapes: the model is
       built here from symbolic inputs shaped like ``X`` and ``Y`` (or the first batch of
       the dataset ``X`` when ``Y`` is None), in the strategy's scope, and
       Keras's reducing step is skipped during ``fit``;
    2. it averages each step's logs across workers with ``strategy.reduce("MEAN", v,
       axis=0)``, which refuses the scalar logs ("Invalid reduction dimension 0"). With
       several workers the train and test steps return their logs as 1-element vectors:
       the mean along axis 0 across replicas is then the replicas' mean, a scalar. The
       epoch logs (what callbacks and the history see) are read by Keras from the metrics
       themselves, summed over every replica of every worker, as without the workaround.

    Without a strategy nothing changes; with one worker only the build of step 1 does.
    With several workers, a worker that stops (or a collective that outlives the
    strategy's ``CommunicationOptions(timeout_seconds=...)``) aborts the step on the
    others with ``UnavailableError`` / ``DeadlineExceededError``; it is raised again,
    same type, with what happened and what to do first.
    """
    strategy = getattr(model, "_distribute_strategy", None)  # Keras's own condition
    if strategy is None:
        yield
        return
    batch = X[0] if Y is None else (X, Y)
    shapes = tuple(
        keras.KerasTensor((None, *np.shape(part)[1:]), "float32") for part in batch[:2]
    )
    with strategy.scope():
        model._symbolic_build(data_batch=shapes)
    patched = {"_maybe_symbolic_build": lambda iterator=None, data_batch=None: None}
    workers = strategy.num_replicas_in_sync > len(strategy.extended.worker_devices)
    if workers:
        for name in ("train_step", "test_step"):
            patched[name] = _vector_logs(getattr(model, name))
    for name, method in patched.items():
        setattr(model, name, method)
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError) as err:
        if not workers:
            raise
        raise type(err)(
            err.node_def,
            err.op,
            "Another worker of this multi-worker fit stopped or could not be reached, so "
            "the collective training step was aborted on this worker too. A synchronous "
            "fit cannot go on without every worker: restart all of them with the same "
            f"TF_CONFIG. TensorFlow says: {err.message}",
        ) from err
    finally:
        for name in patched:
            delattr(model, name)


def _vector_logs(step):
    """``step`` returning each log as a 1-element vector (see :func:`_built_for_strategy`)."""

    def vector_step(data):
        return {name: keras.ops.reshape(value, (1,)) for name, value in step(data).items()}

    return vector_step


def _n_items(validation) -> int:
    """Return the number of validation samples (arrays) or batches (a dataset)."""
    if isinstance(validation, keras.utils.PyDataset):
        return len(validation)
    return len(validation[0])


def release_freed_memory() -> bool:
    """Hand the heap memory that training freed back to the operating system.

    Training allocates and frees many batch-sized buffers; glibc keeps freed heap memory
    for reuse, so the process stays as large as at the height of training and whatever is
    allocated next (e.g. the Forecaster's copy of a long series) adds to it
    (``bench/memory.py``). ``malloc_trim(0)`` returns the free pages. Where the C library
    has no ``malloc_trim`` (macOS, Windows, musl) this does nothing.

    Returns
    -------
    bool
        Whether memory was returned (glibc's answer), False where unavailable.

    Examples
    --------
    >>> isinstance(release_freed_memory(), bool)
    True
    """
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):
        return False
    return bool(trim(0))
