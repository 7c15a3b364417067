"""Training callbacks: the defaults every forecastkit fit uses, plus atomic checkpoints.

Defaults (``default_callbacks``): EarlyStopping with the best weights restored (for an
ensemble :class:`MemberEarlyStopping`: every member its own best epoch, or the mean of its
``average_epochs`` best),
:class:`AtomicCheckpoint` of the best model (when given a path), ReduceLROnPlateau,
:class:`StopOnNonFinite` and :class:`LearningRateLogger`; on request
:class:`TrainingBackup` (resumable training) and a TensorBoard writer
(:func:`tensorboard_callback`). User callbacks are added after them, never instead of them.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence

import keras
import numpy as np

from forecastkit.data.validation import check_window
from forecastkit.exceptions import MissingDependencyError, ParameterError, ResumeError
from forecastkit.persistence import atomic_path

__all__ = [
    "AtomicCheckpoint",
    "LearningRateLogger",
    "MemberEarlyStopping",
    "MemberMSE",
    "ResetStatesCallback",
    "StopOnNonFinite",
    "TrainingBackup",
    "default_callbacks",
    "fit_fingerprint",
    "learning_rate",
    "member_count",
    "member_losses",
    "new_run_dir",
    "reset_states",
    "tensorboard_callback",
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


def _member_loss_name(member: int) -> str:
    """Return the name member ``member``'s MSE is logged under (``val_`` prefixed too)."""
    return f"member_{int(member)}_mse"


def _member_mse(y_true, y_pred, member: int, n_members: int):
    """Per-sample MSE of member ``member``'s slice of the side-by-side outputs."""
    width = y_pred.shape[-1] // n_members
    part = slice(member * width, (member + 1) * width)
    error = keras.ops.convert_to_tensor(y_true, dtype=y_pred.dtype)[..., part] - y_pred[..., part]
    return keras.ops.mean(keras.ops.square(error), axis=-1)


@keras.saving.register_keras_serializable(package="forecastkit")
class MemberMSE(keras.metrics.MeanMetricWrapper):
    """The MSE of one ensemble member's outputs (see :func:`member_losses`).

    A registered class, not a closure, so a model compiled with it (a checkpoint of an
    ensemble's training model) saves and loads.

    Parameters
    ----------
    member, n_members : int
        Which member, of how many side by side on the last axis.
    name : str, optional
        Defaults to ``member_<member>_mse``.

    Examples
    --------
    >>> import numpy as np
    >>> metric = MemberMSE(1, 2)
    >>> metric.update_state(np.zeros((1, 1, 2)), np.array([[[1.0, 3.0]]]))
    >>> metric.name, float(metric.result())
    ('member_1_mse', 9.0)
    """

    def __init__(self, member: int, n_members: int, name: str | None = None, dtype=None):
        super().__init__(
            _member_mse,
            name=name or _member_loss_name(member),
            dtype=dtype,
            member=int(member),
            n_members=int(n_members),
        )
        self.member, self.n_members = int(member), int(n_members)

    def get_config(self):
        return {
            "member": self.member,
            "n_members": self.n_members,
            "name": self.name,
            "dtype": self.dtype,
        }


def member_count(members: Sequence[keras.Model] | int) -> int:
    """Return how many members ``members`` names: member models, or their number (stacked).

    Examples
    --------
    >>> member_count(3), member_count([])
    (3, 0)
    """
    return members if isinstance(members, int) else len(members)


def member_losses(n_members: int) -> list[MemberMSE]:
    """Return one Keras metric per ensemble member: the MSE of its own outputs.

    The members' outputs sit side by side on the last axis of the training model's output
    (:func:`~forecastkit.models.builders.training_model`), ``width = outputs //
    n_members`` each; metric ``k`` (:class:`MemberMSE`, logged as ``member_<k>_mse`` and
    ``val_member_<k>_mse``) is the MSE of member ``k``'s slice, so with the plain MSE loss
    the mean of the ``n_members`` metrics is the loss.

    Examples
    --------
    >>> [metric.name for metric in member_losses(2)]
    ['member_0_mse', 'member_1_mse']
    """
    return [MemberMSE(k, n_members) for k in range(int(n_members))]


class MemberEarlyStopping(keras.callbacks.EarlyStopping):
    """Early stopping for an ensemble: stop on the members' mean, restore each member's best.

    Training stops as ``keras.callbacks.EarlyStopping`` would on ``monitor`` (the members'
    mean loss), but the weights restored at the end are chosen member by member, by its own
    loss (the ``member_<k>_mse`` metric of :func:`member_losses`, ``val_`` prefixed when
    ``monitor`` is): the mean of the weights of its ``average_epochs`` best epochs
    (checkpoint averaging; ``average_epochs=1`` restores its best epoch). Members trained
    on their own batch orders reach their best at different epochs, so one epoch for all
    would leave some members short of, or past, their best; averaging a few good epochs of
    one member's trajectory makes the restored weights depend less on which single epoch
    happened to score best on a small validation part. ``best_weights`` holds the composite (so a
    :class:`TrainingBackup` saves and restores it like the plain callback's), with
    ``kept`` (each member's best epochs) from which ``member_best``, ``member_best_epochs``
    (0-based, as ``best_epoch``) and ``member_kept_epochs`` (the epochs averaged) follow.

    Parameters
    ----------
    members : sequence of keras.Model, or int
        The members, sharing their weights with the trained model; or their number, when
        the trained model holds them stacked: every weight has one row per member on its
        leading axis (:func:`~forecastkit.models.fused.fused_trainer`).
    monitor : str
        The mean loss that decides when to stop ("val_loss" or "loss").
    patience : int
    average_epochs : int, default 1
        How many of each member's best epochs are averaged.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor, member_models
    >>> net = build_regressor(
    ...     window=3, n_features=1, horizon=1, n_targets=1, units=(2,), n_models=2
    ... )
    >>> cb = MemberEarlyStopping(
    ...     member_models(net), monitor="val_loss", patience=3, average_epochs=3
    ... )
    >>> cb.restore_best_weights, cb.average_epochs
    (True, 3)
    """

    #: Average only the kept epochs whose loss is within this share of the member's best
    #: (e.g. 0.05: at most 5% above it); None, the default: all kept epochs. Measured in
    #: session 12 (``bench/accuracy.py --config ens3-avg5-tol5``): no better than None.
    tolerance: float | None = None

    def __init__(
        self,
        members: Sequence[keras.Model] | int,
        *,
        monitor: str,
        patience: int,
        average_epochs: int = 1,
    ):
        super().__init__(monitor=monitor, patience=patience, restore_best_weights=True)
        self.average_epochs = check_window(average_epochs, name="average_epochs")
        self.members = members if isinstance(members, int) else list(members)
        self.n_members = member_count(self.members)
        # Per member, its best epochs so far, best first: (loss, epoch, its weights).
        self.kept: list[list[tuple[float, int, list[np.ndarray]]]] = [
            [] for _ in range(self.n_members)
        ]
        # Per member, the positions of its weights among the model's (None: stacked).
        self._slots: list[list[int]] | None = []
        self._width = 0  # weights per member

    @property
    def member_best(self) -> list[float]:
        """Each member's lowest loss so far (inf before its first finite one)."""
        return [kept[0][0] if kept else np.inf for kept in self.kept]

    @property
    def member_best_epochs(self) -> list[int]:
        """The epoch (0-based) of each member's lowest loss so far."""
        return [kept[0][1] if kept else 0 for kept in self.kept]

    @property
    def member_kept_epochs(self) -> list[list[int]]:
        """The epochs (0-based) whose weights each member's restored weights average."""
        return [sorted(epoch for _, epoch, _ in kept) for kept in self.kept]

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.kept = [[] for _ in range(self.n_members)]
        if isinstance(self.members, int):
            self._slots, self._width = None, len(self.model.weights)
        else:
            where = {id(v): i for i, v in enumerate(self.model.weights)}
            self._slots = [[where[id(v)] for v in member.weights] for member in self.members]
            self._width = len(self._slots[0]) if self._slots else 0

    def _weights_of(self, weights: list[np.ndarray], k: int) -> list[np.ndarray]:
        """Member ``k``'s arrays among the model's ``weights`` (copies when stacked)."""
        if self._slots is None:
            return [np.array(w[k]) for w in weights]
        return [weights[i] for i in self._slots[k]]

    def _write(self, composite: list[np.ndarray], k: int, arrays: list[np.ndarray]) -> None:
        """Put member ``k``'s ``arrays`` into the model's weights ``composite``."""
        for j, array in enumerate(arrays):
            if self._slots is None:
                composite[j][k] = array
            else:
                composite[self._slots[k][j]] = array

    def on_epoch_end(self, epoch, logs=None):
        composite = self.best_weights
        super().on_epoch_end(epoch, logs)
        logs = logs or {}
        prefix = "val_" if self.monitor.startswith("val_") else ""
        names = [prefix + _member_loss_name(k) for k in range(self.n_members)]
        if self.monitor in logs and not all(name in logs for name in names):
            raise ParameterError(
                f"MemberEarlyStopping needs each member's loss in the logs ({names[0]}, ...), "
                "but the model does not log them: compile it with "
                f"metrics=member_losses({self.n_members}) (train(..., members=...) does)."
            )
        current = None
        for k in range(self.n_members):
            value, kept = logs.get(names[k]), self.kept[k]
            if value is None or not np.isfinite(value):
                continue
            if len(kept) == self.average_epochs and value >= kept[-1][0]:
                continue
            if current is None:
                current = self.model.get_weights()
                base = current if composite is None else composite
                composite = [np.array(w) for w in base] if self._slots is None else list(base)
            kept.append((float(value), epoch, self._weights_of(current, k)))
            kept.sort(key=lambda snapshot: snapshot[0])
            del kept[self.average_epochs :]
            bound = np.inf if self.tolerance is None else kept[0][0] * (1 + self.tolerance)
            close = [weights for loss, _, weights in kept if loss <= bound]
            self._write(
                composite,
                k,
                [
                    arrays[0] if len(arrays) == 1 else np.mean(arrays, axis=0)
                    for arrays in zip(*close, strict=True)
                ],
            )
        if composite is not None:
            self.best_weights = composite

    def kept_state(self) -> tuple[list, dict[str, np.ndarray]]:
        """Return the kept epochs as ``(losses and epochs, arrays)`` for a backup."""
        meta = [[[value, epoch] for value, epoch, _ in kept] for kept in self.kept]
        arrays = {
            f"kept_{k}_{r}_{j}": np.asarray(w)
            for k, kept in enumerate(self.kept)
            for r, (_, _, weights) in enumerate(kept)
            for j, w in enumerate(weights)
        }
        return meta, arrays

    def restore_kept(self, meta: list, arrays) -> None:
        """Restore what :meth:`kept_state` saved (the callback must have begun training)."""
        self.kept = [
            [
                (
                    float(value),
                    int(epoch),
                    [arrays[f"kept_{k}_{r}_{j}"] for j in range(self._width)],
                )
                for r, (value, epoch) in enumerate(entries)
            ]
            for k, entries in enumerate(meta)
        ]
        if len(self.kept) != self.n_members:
            raise ValueError(f"the backup holds {len(self.kept)} members, not {self.n_members}")


def learning_rate(model: keras.Model) -> float:
    """Return the current learning rate of ``model``'s optimizer as a float.

    ``Variable.numpy()`` rather than ``keras.ops.convert_to_numpy``: the latter goes
    through ``numpy.array``, which warns (DeprecationWarning, NumPy 2) for some optimizers'
    learning-rate variables, e.g. SGD's.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> m = build_regressor(window=3, n_features=1, horizon=1, n_targets=1, units=(2,))
    >>> m.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    >>> learning_rate(m)
    0.5
    """
    value = model.optimizer.learning_rate
    return float(value.numpy() if hasattr(value, "numpy") else value)


class LearningRateLogger(keras.callbacks.Callback):
    """Record the optimizer's learning rate of every epoch in ``logs["learning_rate"]``."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = learning_rate(self.model)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training (quietly) at the first batch or epoch whose loss is NaN or inf.

    The batch check reads the epoch's running mean of the loss, so it also catches a
    non-finite loss inside a group of batches that Keras runs in one call
    (``steps_per_execution``): training then stops at the end of that call.

    Keras's ``TerminateOnNaN`` does the same but prints to stdout even with ``verbose=0``;
    here :func:`~forecastkit.training.fit.train` reports the divergence instead (a
    :class:`~forecastkit.exceptions.TrainingDivergedWarning` or error). ``epoch`` is the
    1-based epoch where the loss stopped being finite (None: it never did).

    Examples
    --------
    >>> cb = StopOnNonFinite()
    >>> cb.epoch is None
    True
    """

    def __init__(self):
        super().__init__()
        self.epoch: int | None = None
        self._current = 0

    def on_train_begin(self, logs=None):
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        self._check((logs or {}).get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            if name in ("loss", "val_loss"):
                self._check(value)

    def _check(self, value) -> None:
        if value is not None and not np.all(np.isfinite(keras.ops.convert_to_numpy(value))):
            if self.epoch is None:
                self.epoch = self._current
            self.model.stop_training = True


def new_run_dir(log_dir) -> str:
    """Create and return a fresh run folder ``log_dir/run-YYYYmmdd-HHMMSS-N``.

    The folder is made with an exclusive ``mkdir``, so two fits (even in two processes)
    never share one and an earlier run is never overwritten; ``N`` counts up from 1.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> a, b = new_run_dir(root), new_run_dir(root)
    >>> a != b and os.path.basename(a).startswith("run-")
    True
    """
    root = os.fspath(log_dir)
    os.makedirs(root, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        path = os.path.join(root, f"run-{stamp}-{n}")
        try:
            os.mkdir(path)
        except FileExistsError:
            n += 1
            continue
        return path


def tensorboard_callback(log_dir) -> keras.callbacks.TensorBoard:
    """Return a TensorBoard callback writing into a fresh run folder under ``log_dir``.

    Losses (training and validation), the learning rate (``epoch_learning_rate``) and the
    model graph are written per epoch; the run folder is the callback's ``log_dir``.

    Raises
    ------
    MissingDependencyError
        When the ``tensorboard`` package is not installed (it names the extra).

    Examples
    --------
    >>> import tempfile
    >>> tensorboard_callback(tempfile.mkdtemp()).log_dir.split(os.sep)[-1][:4]
    'run-'
    """
    try:
        import tensorboard  # noqa: F401  (tf.summary needs it; the tensorflow wheel lacks it)
    except ImportError as err:
        raise MissingDependencyError(
            "log_dir= writes TensorBoard logs, which needs the `tensorboard` package: "
            'pip install "forecastkit[tensorboard]" (or pip install tensorboard), or leave '
            "log_dir=None."
        ) from err
    return _TensorBoard(log_dir=new_run_dir(log_dir), write_graph=True)


class _TensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard, also writing the op graph of the network's forward pass.

    Keras writes the conceptual graph (the layers, tag ``keras``) and the op graph of the
    train function only when that function exposes one, which a Keras 3 train function
    compiled with XLA does not; the forward pass is traced instead (tracing runs nothing,
    so no weight or carried state changes).
    """

    def _collect_learning_rate(self, logs):
        logs["learning_rate"] = learning_rate(self.model)  # no NumPy 2 DeprecationWarning
        return logs

    def _write_keras_model_train_graph(self):
        import tensorflow as tf

        model = self.model
        specs = [tf.TensorSpec(t.shape, t.dtype) for t in model.inputs]
        graph = (
            tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False))
            .get_concrete_function(*specs)
            .graph
        )
        with self._train_writer.as_default():
            self.summary.graph(graph)


def fit_fingerprint(model: keras.Model, **options) -> str:
    """Return a hash of what makes a fit resumable: the network, optimizer and ``options``.

    A :class:`TrainingBackup` refuses a backup whose fingerprint differs (another network,
    other data shapes or options): loading it would resume a different fit. Seeds are left
    out (a fit with ``random_state=None`` draws a new one each time, and the backup holds
    the weights anyway), so is ``epochs`` (a resumed fit may run longer).

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> m = build_regressor(window=3, n_features=1, horizon=1, n_targets=1, units=(2,))
    >>> fit_fingerprint(m, epochs=2) == fit_fingerprint(m, epochs=3)
    False
    """
    optimizer = getattr(model, "optimizer", None)  # None before compile
    parts = {
        "model": _without(_without(json.loads(model.to_json()), "seed"), "compile_config"),
        "optimizer": None  # its name is numbered per process ("adam_1"): left out
        if optimizer is None
        else _without(keras.saving.serialize_keras_object(optimizer), "name"),
        "options": options,
    }
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _without(config, key: str):
    """``config`` (nested dicts and lists) without its ``key`` entries."""
    if isinstance(config, dict):
        return {k: _without(v, key) for k, v in config.items() if k != key}
    if isinstance(config, list):
        return [_without(v, key) for v in config]
    return config


#: Attributes of the default callbacks that a resumed fit must restore.
_CALLBACK_STATE = {
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
    AtomicCheckpoint: ("best", "best_epoch"),
}


def _plain(value):
    """Return a JSON-safe copy of a callback attribute (NumPy scalars to Python numbers)."""
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    return value


class TrainingBackup(keras.callbacks.BackupAndRestore):
    """Keras's ``BackupAndRestore``, extended so a resumed fit equals an uninterrupted one.

    At the end of every epoch it writes, under ``resume_dir/forecastkit-backup``: the
    weights and optimizer state (Keras's ``save_weights``), the random-seed states of the
    layers (dropout), the best weights early stopping holds (for
    :class:`MemberEarlyStopping` also each member's kept best epochs), the state of early
    stopping, the learning-rate plateau and the checkpoint, the per-epoch logs and the epoch. The
    files of an epoch are written first and ``training_metadata.json`` (which names them)
    is replaced atomically last, so a kill at any moment leaves a complete backup. A new
    ``fit`` with the same ``resume_dir`` restores all of it and continues at the next
    epoch; a completed fit deletes the backup folder (never ``resume_dir`` itself).

    Under a multi-worker ``tf.distribute`` strategy only the chief (the worker whose
    ``strategy.extended.should_checkpoint`` is true) writes and deletes the backup; every
    worker restores the chief's, so all of them continue at the same epoch with the same
    weights (``resume_dir`` must then be a folder all workers can read: a shared file
    system on a real cluster). Saving runs collectives, so the other workers save too, as
    TensorFlow's own convention has it, but into a scratch folder they then remove: they
    never race the chief on the same files.

    Parameters
    ----------
    resume_dir : str or path
        Folder for the backup (created when needed). Use one per fit.
    fingerprint : str
        :func:`fit_fingerprint` of this fit; a backup with another one is refused.
    tracked : sequence of keras.callbacks.Callback
        Callbacks whose state is saved and restored (the defaults).
    dataset : keras.utils.PyDataset, optional
        Training batches with an ``epoch`` attribute (their shuffling order), set to the
        first epoch run after a restore.

    Attributes
    ----------
    logs : list of dict
        Logs of every epoch so far, restored ones included.
    initial_epoch : int
        Epochs restored from the backup (0 for a fresh fit).

    Examples
    --------
    >>> import tempfile
    >>> backup = TrainingBackup(tempfile.mkdtemp(), fingerprint="x", tracked=[])
    >>> os.path.basename(backup.backup_dir)
    'forecastkit-backup'
    """

    def __init__(
        self,
        resume_dir,
        *,
        fingerprint: str,
        tracked: Sequence[keras.callbacks.Callback] = (),
        dataset=None,
    ):
        super().__init__(backup_dir=os.path.join(os.fspath(resume_dir), "forecastkit-backup"))
        self.resume_dir = os.fspath(resume_dir)
        self.fingerprint = fingerprint
        self.tracked = list(tracked)
        self.dataset = dataset
        self.logs: list[dict] = []
        self.initial_epoch = 0

    def on_train_begin(self, logs=None):
        self.logs, self.initial_epoch = [], 0
        self._load_model()

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append({k: float(v) for k, v in (logs or {}).items()})
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        if self._writes():
            super().on_train_end(logs)

    def _writes(self) -> bool:
        """Whether this process writes the backup: always, except on a non-chief worker."""
        strategy = getattr(self.model, "_distribute_strategy", None)
        return bool(getattr(getattr(strategy, "extended", None), "should_checkpoint", True))

    def _early_stopping(self):
        for cb in self.tracked:
            if isinstance(cb, keras.callbacks.EarlyStopping):
                return cb
        return None

    def read_backup(self, *, move_dataset: bool = False) -> dict | None:
        """Return the backup's metadata (None: no backup), checked against this fit.

        With ``move_dataset``, also set ``dataset``'s epoch to the first epoch to run and
        its seed to the backed-up one. :func:`~forecastkit.training.fit.train` does this
        before ``model.fit``: Keras reads batches (and advances the dataset's epoch once)
        before ``on_train_begin``, so a dataset at epoch k then follows the order of an
        uninterrupted fit's epoch k.
        """
        meta_path = os.path.join(self.backup_dir, "training_metadata.json")
        if not os.path.exists(meta_path):
            return None
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            found, epoch, states = meta["fingerprint"], int(meta["epoch"]), meta["callbacks"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ResumeError(
                f"resume_dir={self.resume_dir!r} holds an unreadable backup ({err!r}); delete "
                f"{self.backup_dir!r} to start afresh."
            ) from err
        if found != self.fingerprint:
            raise ResumeError(
                f"resume_dir={self.resume_dir!r} holds the backup of a different fit (another "
                "network, data shape or training option); resuming it would mix two fits. "
                f"Use another resume_dir, or delete {self.backup_dir!r} to start afresh."
            )
        if len(states) != len(self.tracked):  # e.g. a checkpoint then, none now
            raise ResumeError(
                f"resume_dir={self.resume_dir!r} holds the backup of a fit with "
                f"{len(states)} default callbacks, this fit has "
                f"{len(self.tracked)} (another checkpoint_path, or another forecastkit "
                f"version); resuming it would mix two fits. Delete {self.backup_dir!r} to "
                "start afresh, or resume with the settings of the interrupted fit."
            )
        if move_dataset and self.dataset is not None:
            self.dataset.epoch = epoch
            if meta.get("shuffle_seed") is not None:
                self.dataset.seed = int(meta["shuffle_seed"])
        return meta

    def _load_model(self):
        meta = self.read_backup()
        if meta is None:
            return
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(os.path.join(self.backup_dir, meta["weights"]))
        with np.load(os.path.join(self.backup_dir, meta["state"])) as arrays:
            for i, variable in enumerate(_seed_states(model)):
                variable.assign(arrays[f"seed_{i}"])
            stopping = self._early_stopping()
            if stopping is not None and meta.get("n_best_weights") is not None:
                stopping.best_weights = [arrays[f"best_{i}"] for i in range(meta["n_best_weights"])]
            if isinstance(stopping, MemberEarlyStopping):
                if meta.get("member_kept") is None:
                    raise ResumeError(
                        f"resume_dir={self.resume_dir!r} holds an ensemble backup without "
                        "its members' best epochs (written by an older forecastkit); "
                        "resuming it could restore worse weights. Delete "
                        f"{self.backup_dir!r} to start afresh."
                    )
                stopping.restore_kept(meta["member_kept"], arrays)
        for cb, state in zip(self.tracked, meta["callbacks"], strict=True):
            for name, value in state.items():
                setattr(cb, name, value)
        self.logs = [dict(entry) for entry in meta["logs"]]
        self.initial_epoch = self._current_epoch = int(meta["epoch"])
        model._initial_epoch = self.initial_epoch

    def _save_model(self):
        if self._writes():
            self._save_into(self.backup_dir)
            return
        # A non-chief worker: saving runs collectives (every worker must take part), so it
        # saves as the chief does, into a scratch folder that is then removed.
        scratch = tempfile.mkdtemp(prefix="forecastkit-backup-worker-")
        try:
            self._save_into(scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _save_into(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        epoch = self._current_epoch
        weights, state = f"epoch-{epoch}.weights.h5", f"epoch-{epoch}.npz"
        self.model.save_weights(os.path.join(folder, weights), overwrite=True)
        arrays = {
            f"seed_{i}": keras.ops.convert_to_numpy(v)
            for i, v in enumerate(_seed_states(self.model))
        }
        stopping = self._early_stopping()
        best = None if stopping is None else stopping.best_weights
        if best is not None:
            arrays.update({f"best_{i}": np.asarray(w) for i, w in enumerate(best)})
        kept = None
        if isinstance(stopping, MemberEarlyStopping):
            kept, kept_arrays = stopping.kept_state()
            arrays.update(kept_arrays)
        with open(os.path.join(folder, state), "wb") as f:
            np.savez(f, **arrays)
        meta = {
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "batch": 0,
            "weights": weights,
            "state": state,
            "n_best_weights": None if best is None else len(best),
            "member_kept": kept,
            "shuffle_seed": getattr(self.dataset, "seed", None),
            "callbacks": [
                {
                    name: _plain(getattr(cb, name))
                    for kind, names in _CALLBACK_STATE.items()
                    if isinstance(cb, kind)
                    for name in names
                }
                for cb in self.tracked
            ],
            "logs": self.logs,
        }
        with atomic_path(os.path.join(folder, "training_metadata.json")) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(meta, f)
        for name in os.listdir(folder):  # the files of earlier epochs
            if name.startswith("epoch-") and name not in (weights, state):
                os.remove(os.path.join(folder, name))


def _seed_states(model: keras.Model) -> list:
    """Return the state variables of the random-seed generators of ``model``'s layers (dropout)."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


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
    *,
    monitor: str,
    patience: int,
    checkpoint_path: str | None,
    members: Sequence[keras.Model] | int = (),
    average_epochs: int = 1,
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
    members : sequence of keras.Model, or int, optional
        An ensemble's members (two or more), or their number when the model holds them
        stacked (see :class:`MemberEarlyStopping`): early stopping is then
        :class:`MemberEarlyStopping` (each member restores its own best epoch, or the mean
        of its ``average_epochs`` best; the model must be compiled with
        :func:`member_losses`).
    average_epochs : int, default 1
        With ``members``: how many of each member's best epochs its restored weights
        average (:class:`MemberEarlyStopping`'s ``average_epochs``).

    Examples
    --------
    >>> [type(cb).__name__ for cb in default_callbacks(monitor="loss", patience=4,
    ...                                               checkpoint_path=None)]
    ['LearningRateLogger', 'EarlyStopping', 'ReduceLROnPlateau', 'StopOnNonFinite']
    """
    callbacks: list[keras.callbacks.Callback] = [
        LearningRateLogger(),
        MemberEarlyStopping(
            members, monitor=monitor, patience=patience, average_epochs=average_epochs
        )
        if member_count(members) > 1
        else keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(1, patience // 2), min_lr=1e-5
        ),
        StopOnNonFinite(),
    ]
    if checkpoint_path is not None:
        callbacks.insert(1, AtomicCheckpoint(checkpoint_path, monitor=monitor))
    return callbacks
