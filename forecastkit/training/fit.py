"""The only caller of ``model.fit`` in forecastkit."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Sequence

import keras
import numpy as np

from forecastkit.data.validation import check_number, check_window
from forecastkit.exceptions import (
    ParameterError,
    TrainingDivergedError,
    TrainingDivergedWarning,
)
from forecastkit.training.callbacks import (
    StopOnNonFinite,
    TrainingBackup,
    default_callbacks,
    fit_fingerprint,
    member_count,
    member_losses,
    reset_states,
    tensorboard_callback,
)
from forecastkit.training.seeding import resolve_seed

__all__ = [
    "ELEMENTWISE_OPTIMIZERS",
    "STEPS_PER_EXECUTION",
    "XLA_MIN_STEPS",
    "TrainingResult",
    "make_optimizer",
    "release_freed_memory",
    "resolve_verbose",
    "train",
    "updates_elementwise",
]

logger = logging.getLogger("forecastkit")

#: A fit that may run at least this many training steps (``epochs`` x batches per epoch)
#: compiles its training step with XLA when ``jit_compile="auto"``. On CPU, XLA makes an
#: epoch of the tutorial network (LSTM(50) -> LSTM(100), window 10, batch 32) about half as
#: long as Keras's default graph (with :data:`STEPS_PER_EXECUTION`), and an epoch of the
#: default ensemble (three LSTM(32)) about 2x faster, but compiling costs about 7-10 s more
#: in the first epoch (one compile per batch shape), which about 700-2,000 steps actually
#: run pay back (``bench/epoch_speed.py``, ``docs/benchmarks.md``). Early stopping ends
#: the default fits of long real series after about half of their 100 possible epochs,
#: hence 2,000 possible steps (it was 4,000 when the default allowed 200 epochs).
XLA_MIN_STEPS = 2000

#: Training steps per call of the XLA-compiled training function (Keras's
#: ``steps_per_execution``): fewer Python round trips per epoch. Per-batch callback hooks
#: then run once per call, so this is used only when no callback of the caller has them.
STEPS_PER_EXECUTION = 64

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


#: Optimizers whose update of a weight is element by element (no per-variable norms or
#: factored statistics), so that training an ensemble's members stacked in one variable
#: (:func:`~forecastkit.models.fused.fused_trainer`) updates each member as alone.
ELEMENTWISE_OPTIMIZERS = (
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "RMSprop",
    "SGD",
    "Adagrad",
    "Adadelta",
    "Ftrl",
    "Lion",
)


def updates_elementwise(optimizer) -> bool:
    """Tell whether ``optimizer`` updates every weight element by element.

    True for the optimizers of :data:`ELEMENTWISE_OPTIMIZERS` (a name or an instance)
    without ``clipnorm`` (a norm per variable; ``global_clipnorm`` and ``clipvalue`` are
    fine): then members stacked in one variable train exactly as members apart.

    Examples
    --------
    >>> updates_elementwise("adam"), updates_elementwise(keras.optimizers.SGD(clipnorm=1.0))
    (True, False)
    """
    try:
        opt = make_optimizer(optimizer, None)
    except ParameterError:
        return False
    return type(opt).__name__ in ELEMENTWISE_OPTIMIZERS and opt.clipnorm is None


class TrainingResult(dict):
    """Per-epoch logs (``loss``, ``val_loss``, ``learning_rate``) plus ``best_epoch``."""

    best_epoch: int | None = None
    monitor: str = "val_loss"
    log_run: str | None = None


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
        opt.learning_rate = check_number(learning_rate, name="learning_rate", low=0.0, example=1e-3)
    return opt


def resolve_verbose(verbose) -> int:
    """Map ``verbose`` to Keras: "auto" is the bar on a terminal, one line per epoch otherwise.

    The terminal test looks at the stream Keras writes its progress to: ``sys.stdout`` at
    the time of the call (``keras.utils.io_utils.print_msg``), or the ``logging`` module
    (never a terminal bar) when Keras's interactive logging is off. So ``python fit.py >
    log`` gets one plain line per epoch, without the bar's control characters.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # stdout to a file, not a terminal
    ...     choice = resolve_verbose("auto")
    >>> choice
    2
    """
    if verbose == "auto":
        return 1 if _progress_is_terminal() else 2
    if verbose in (0, 1, 2) and not isinstance(verbose, bool):
        return int(verbose)
    raise ParameterError(f"`verbose` must be 0, 1, 2 or 'auto'; got verbose={verbose!r}.")


def _progress_is_terminal() -> bool:
    """Whether Keras's progress output (stdout, when interactive logging is on) is a terminal."""
    if not keras.config.is_interactive_logging_enabled():
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


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
    resume_dir=None,
    log_dir=None,
    seed: int | None = None,
    jit_compile="auto",
    members: Sequence[keras.Model] | int = (),
    average_epochs: int = 1,
) -> TrainingResult:
    """Compile and fit ``model`` with the default callbacks; the best weights are restored.

    The fitted weights are always finite: when the loss becomes NaN or inf, training stops,
    the weights of the best earlier epoch are kept and a
    :class:`~forecastkit.exceptions.TrainingDivergedWarning` names both epochs; when no
    earlier epoch was finite and better than the untrained network,
    :class:`~forecastkit.exceptions.TrainingDivergedError` is raised.

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
        Where the best model is checkpointed (atomically) whenever the monitored loss
        improves. None writes no checkpoint: early stopping keeps the best weights in
        memory and restores them, so a file nobody reads would only cost a model save
        (about 80 ms for one LSTM(32)) per improving epoch.
    shuffle : bool, default=True
    metrics : sequence or None
        Extra Keras metrics to compile with.
    resume_dir : str or path, optional
        Back the training state up there after every epoch
        (:class:`~forecastkit.training.callbacks.TrainingBackup`); a fit interrupted at
        epoch k and run again with the same ``resume_dir`` continues from epoch k and ends
        with the weights of an uninterrupted fit. Shuffled arrays are then batched by
        :class:`~forecastkit.training.dataset.ArrayBatches` (an order per ``(seed,
        epoch)``), so the batches differ from a fit without ``resume_dir``.
    log_dir : str or path, optional
        Write TensorBoard logs (losses, learning rate, graph) into a fresh run folder
        under it (:func:`~forecastkit.training.callbacks.tensorboard_callback`).
    seed : int, optional
        Shuffling seed of :class:`~forecastkit.training.dataset.ArrayBatches` (with
        ``resume_dir``); None draws one.
    jit_compile : {"auto", True, False}, default="auto"
        Compile the training and validation steps with XLA. "auto": with XLA when the fit
        may run at least :data:`XLA_MIN_STEPS` steps (``epochs`` x batches per epoch) and
        is not under a ``tf.distribute`` strategy, otherwise Keras's default (XLA on GPU
        only). With XLA and no per-batch hooks in ``callbacks``, the training function runs
        :data:`STEPS_PER_EXECUTION` steps per call. The choice depends on the data shape and
        ``epochs`` only, so equal seeds still give identical fits; XLA's results equal
        Keras's default graph's to float32 rounding, not bit for bit.
    members : sequence of keras.Model, optional
        The members of an ensemble trained side by side (two or more, sharing their weights
        with ``model``, whose output holds theirs side by side on the last axis, as
        :func:`~forecastkit.models.builders.training_model` builds it): each member's MSE
        is logged (``member_<k>_mse``, ``val_member_<k>_mse``;
        :func:`~forecastkit.training.callbacks.member_losses`) and every member ends with
        the weights of its own best epoch, or the mean of its ``average_epochs`` best
        (:class:`~forecastkit.training.callbacks.MemberEarlyStopping`); training stops on
        the members' mean loss, and ``best_epoch`` is that mean's best epoch. A checkpoint
        holds the model of that epoch. An int: the number of members that ``model`` holds
        stacked, one row of every weight per member
        (:func:`~forecastkit.models.fused.fused_trainer`).
    average_epochs : int, default=1
        With ``members``: each member ends with the mean of the weights of its this many
        best epochs (checkpoint averaging) instead of its best epoch's.

    Returns
    -------
    TrainingResult
        Dict of per-epoch lists (restored epochs included), with ``best_epoch`` (1-based),
        ``monitor`` and ``log_run`` (the TensorBoard run folder, or None).

    Raises
    ------
    TrainingDivergedError
        The loss became NaN or inf and no epoch gave usable weights.
    ResumeError
        ``resume_dir`` holds the backup of a different fit.
    MissingDependencyError
        ``log_dir`` is given and ``tensorboard`` is not installed.

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
    n_batches = len(X) if streamed else -(-len(X) // int(batch_size))
    jit = _jit_choice(model, jit_compile, steps=int(epochs) * n_batches)
    members = _check_members(model, members, loss)
    average_epochs = check_window(average_epochs, name="average_epochs")
    if members:
        metrics = [*(metrics or ()), *member_losses(member_count(members))]
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate),
        loss=loss,
        metrics=metrics,
        jit_compile=jit,
    )
    if getattr(model, "_distribute_strategy", None) is None and model.built:
        # Keras (no strategy) leaves the optimizer's slots to the first traced train step;
        # a tf.function that creates variables is traced twice, so an unbuilt optimizer
        # doubles the graph building that dominates short fits (an ensemble of three
        # LSTM(32) on a 47-step series: 10.3 s -> 7.2 s). Under a strategy,
        # _built_for_strategy builds everything in the strategy's scope; a model that is
        # not built yet (no Input) has no variables to build the optimizer for.
        model.optimizer.build(model.trainable_variables)
    board = None if log_dir is None else tensorboard_callback(log_dir)  # fails before training
    fingerprint = None
    if resume_dir is not None:
        fingerprint = fit_fingerprint(
            model,
            loss=loss if isinstance(loss, str) else type(loss).__name__,
            metrics=[
                m if isinstance(m, str) else getattr(m, "name", type(m).__name__)
                for m in metrics or ()
            ],
            monitor=monitor,
            patience=patience,
            batch_size=batch_size,
            shuffle=shuffle,
            data=_digest(X) if streamed else _digest(X, Y),
            validation=None
            if validation is None
            else _digest(*((validation,) if _is_dataset(validation) else validation)),
            **({"average_epochs": average_epochs} if members else {}),
        )
    own_batches = None  # batches made here, released after training
    if resume_dir is not None and not streamed and shuffle:
        from forecastkit.training.dataset import ArrayBatches

        seed = resolve_seed(None) if seed is None else seed
        X, Y, streamed = ArrayBatches(X, Y, batch_size=batch_size, seed=seed), None, True
        own_batches = X
    initial = model.get_weights()  # the untrained network: the yardstick of a divergence
    with _built_for_strategy(model, X, Y):
        cbs = default_callbacks(
            monitor=monitor,
            patience=patience,
            checkpoint_path=checkpoint_path,
            members=members,
            average_epochs=average_epochs,
        )
        extra: list[keras.callbacks.Callback] = [] if board is None else [board]
        backup = None
        if resume_dir is not None:
            backup = TrainingBackup(
                resume_dir,
                fingerprint=fingerprint,
                tracked=cbs,
                dataset=X if hasattr(X, "epoch") else None,
            )
            extra.append(backup)
            backup.read_backup(move_dataset=True)  # before Keras reads the first batches
        if board is not None:
            logger.info("TensorBoard logs of this fit: %s", board.log_dir)
        if model.jit_compile is True and not _has_batch_hooks(callbacks):
            # forecastkit's own callbacks work per epoch (StopOnNonFinite checks the
            # epoch's running loss at the end of each call); Keras reads this at fit time.
            model.steps_per_execution = STEPS_PER_EXECUTION
        history = model.fit(
            *((X,) if streamed else (X, Y)),
            validation_data=validation,
            epochs=epochs,
            batch_size=None if streamed else batch_size,
            shuffle=False if streamed else shuffle,
            verbose=resolve_verbose(verbose),
            callbacks=[*cbs, *extra, *callbacks],
            **_steps(model, X, validation, streamed=streamed, batch_size=batch_size),
        )
    release_freed_memory()
    if backup is not None and backup.logs:
        logs = {k: [entry.get(k, np.nan) for entry in backup.logs] for k in backup.logs[0]}
    else:
        logs = history.history
    result = TrainingResult({k: [float(v) for v in vals] for k, vals in logs.items()})
    values = np.asarray(result[monitor], dtype=float)
    values[~np.isfinite(values)] = np.nan
    result.best_epoch = int(np.nanargmin(values)) + 1 if np.isfinite(values).any() else None
    result.monitor = monitor
    result.log_run = None if board is None else board.log_dir
    stopper = next(cb for cb in cbs if isinstance(cb, StopOnNonFinite))
    _check_finite(
        model,
        result,
        diverged=stopper.epoch,
        initial=initial,
        data=validation if validation is not None else ((X,) if streamed else (X, Y)),
        batch_size=batch_size,
        learning_rate=learning_rate,
        members=bool(members),
    )
    if own_batches is not None:  # TensorFlow keeps datasets alive after fit
        own_batches.release()
    return result


def _check_members(model: keras.Model, members: Sequence[keras.Model] | int, loss):
    """Return the checked ``train(..., members=...)`` (none for fewer than two members)."""
    stacked = isinstance(members, int) and not isinstance(members, bool)
    members = int(members) if stacked else list(members)
    if member_count(members) < 2:
        return []
    mse = loss in ("mse", "mean_squared_error") or isinstance(loss, keras.losses.MeanSquaredError)
    if not mse:
        raise ParameterError(
            "`members` picks every member's best epoch by its own mean squared error, so "
            f"the loss must be 'mse'; got loss={loss!r}. Pass members=() for another loss."
        )
    width = model.output_shape[-1]
    if width % member_count(members):
        raise ParameterError(
            f"`members`: {member_count(members)} members cannot share the model's {width} outputs "
            "side by side (the last axis must hold each member's outputs in turn, as "
            "forecastkit.models.builders.training_model builds it)."
        )
    if stacked:
        if not model.weights or any(
            len(v.shape) == 0 or v.shape[0] != members for v in model.weights
        ):
            raise ParameterError(
                f"`members={members}` means a model holding its members stacked (every "
                "weight with one row per member, as forecastkit.models.fused.fused_trainer "
                "builds it); this model's weights have the shapes "
                f"{[tuple(v.shape) for v in model.weights][:4]}... Pass the member models."
            )
        return members
    own = {id(v) for v in model.weights}
    if any(id(v) not in own for member in members for v in member.weights):
        raise ParameterError(
            "`members` must share their weights with the trained model (the members of "
            "the network that forecastkit.models.builders.training_model joined); got "
            "models with weights of their own."
        )
    return members


def _steps(model, X, validation, *, streamed: bool, batch_size: int) -> dict:
    """``steps_per_epoch`` and ``validation_steps`` for ``model.fit`` with arrays (else {}).

    Given the number of batches the arrays make anyway, Keras keeps each epoch's data
    iterator for the next epoch instead of creating a second one it throws away at the
    start of every epoch (training and validation): the same batches, less work. Datasets
    (and fits under a ``tf.distribute`` strategy) keep Keras's defaults: a dataset's next
    epoch must not be read before its ``on_epoch_end``.
    """
    if streamed or getattr(model, "_distribute_strategy", None) is not None:
        return {}
    steps = {"steps_per_epoch": -(-len(X) // int(batch_size))}
    if validation is not None and not _is_dataset(validation):
        steps["validation_steps"] = -(-len(validation[0]) // int(batch_size))
    return steps


def _jit_choice(model: keras.Model, jit_compile, *, steps: int):
    """Return ``jit_compile`` for ``model.compile``: True, False or Keras's "auto"."""
    if jit_compile is True or jit_compile is False:
        return jit_compile
    if jit_compile != "auto":
        raise ParameterError(
            f"`jit_compile` must be 'auto', True or False; got jit_compile={jit_compile!r}."
        )
    if (
        steps >= XLA_MIN_STEPS
        and keras.backend.backend() == "tensorflow"
        and getattr(model, "_distribute_strategy", None) is None
        and all(getattr(layer, "supports_jit", True) for layer in _layers(model))
    ):
        return True
    return "auto"


def _layers(layer) -> list:
    """``layer`` and every layer nested in it (wrapped layers included)."""
    found, todo, seen = [], [layer], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        for name in ("layers", "layer", "forward_layer", "backward_layer", "cell"):
            value = getattr(current, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(v for v in values if isinstance(v, keras.layers.Layer))
    return found


def _has_batch_hooks(callbacks) -> bool:
    """Whether any callback overrides a per-batch training hook of ``keras.callbacks.Callback``."""
    return any(
        getattr(type(cb), hook) is not getattr(keras.callbacks.Callback, hook)
        for cb in callbacks
        for hook in _BATCH_HOOKS
    )


def _digest(*arrays) -> list:
    """Shapes and the first and last samples of the data, for the fit fingerprint.

    Enough to tell two series (or two parts) apart without hashing every window; a
    dataset contributes its length and its first and last samples in sample order (not
    the shuffled order, which depends on the seed).
    """
    if len(arrays) == 1 and isinstance(arrays[0], keras.utils.PyDataset):
        data = arrays[0]
        n = getattr(data, "n_samples", None)
        if n is None or not hasattr(data, "take"):
            return [len(data)]
        return [len(data), n, *_digest(*data.take(np.array([0, n - 1], dtype=np.int64)))]
    return [
        None if a is None else [list(a.shape), *(np.asarray(a[k]).tolist() for k in (0, -1))]
        for a in arrays
    ]


def _is_dataset(data) -> bool:
    return isinstance(data, keras.utils.PyDataset)


def _weights_finite(model: keras.Model) -> bool:
    return all(np.isfinite(w).all() for w in model.get_weights())


def _check_finite(
    model, result, *, diverged, initial, data, batch_size, learning_rate, members=False
) -> None:
    """Leave ``model`` with finite weights that beat the untrained network, or raise.

    Early stopping has restored the weights of the best finite epoch (if any). After a
    divergence, those are kept only when their monitored loss is below the untrained
    network's (weights ``initial``), evaluated on the same data; a fit that diverged from
    its first epoch, or whose finite epochs were already blowing up, raises instead.
    """
    monitor = result.monitor
    finite = _weights_finite(model)
    if diverged is None and finite:
        return
    rate = "" if learning_rate is None else f" (now {learning_rate:g})"
    where = f"at epoch {diverged}" if diverged is not None else "(non-finite weights)"
    best = result.best_epoch
    if best is None or not finite:
        raise TrainingDivergedError(
            f"Training diverged {where}: the loss became NaN or inf before any epoch ended "
            f"with a finite {monitor}, so there are no usable weights. Lower learning_rate"
            f"{rate}, e.g. by a factor of 10, or scale the data."
        )
    best_value = result[monitor][best - 1]
    trained = model.get_weights()
    model.set_weights(initial)
    baseline = _evaluate(model, data, batch_size)
    model.set_weights(trained)
    if not best_value < baseline:
        raise TrainingDivergedError(
            f"Training diverged {where}, and the best finite epoch ({best}, {monitor}="
            f"{best_value:.4g}) is no better than the untrained network ({monitor}="
            f"{baseline:.4g}). Lower learning_rate{rate}, e.g. by a factor of 10."
        )
    restored = (
        f"every member's weights of its own best finite epochs were restored (their mean "
        f"was best at epoch {best}, {monitor}={best_value:.4g})"
        if members
        else f"the weights of epoch {best} ({monitor}={best_value:.4g}) were restored"
    )
    warnings.warn(
        TrainingDivergedWarning(
            f"Training diverged {where} (the loss became NaN or inf); {restored}. Lower "
            f"learning_rate{rate} for a fit that does not diverge."
        ),
        stacklevel=4,
    )


def _evaluate(model, data, batch_size: int) -> float:
    """Return the compiled loss of ``model`` on ``data`` (arrays or a dataset), states reset."""
    reset_states(model)
    if isinstance(data, keras.utils.PyDataset):
        data = (data,)
    if isinstance(data[0], keras.utils.PyDataset):
        logs = model.evaluate(data[0], verbose=0, return_dict=True)
    else:  # (X, Y) or (X, Y, sample_weight)
        weights = data[2] if len(data) > 2 else None
        logs = model.evaluate(
            data[0],
            data[1],
            sample_weight=weights,
            batch_size=batch_size,
            verbose=0,
            return_dict=True,
        )
    reset_states(model)
    value = float(logs["loss"])
    return value if np.isfinite(value) else np.inf


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
    shapes = keras.tree.map_structure(  # an ensemble's inputs are a tuple of member batches
        lambda part: keras.KerasTensor((None, *np.shape(part)[1:]), "float32"), tuple(batch[:2])
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
