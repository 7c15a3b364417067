"""The SequenceRegressor: one series in, another out, one output per time step.

A many-to-many recurrent network (``return_sequences`` + a per-step Dense head) maps an
input series X (one or more columns) to a target series y of the same length, e.g. sin(t)
to cos(t). With ``stateful=True`` it is trained by truncated back-propagation through time:
the series is laid out as ``batch_size`` contiguous streams (:func:`~forecastkit.data.windows.
make_stream_batches`), the final state of one batch is the initial state of the next, and at
prediction time the state carries from one ``predict`` call to the next (streaming).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.splits import split_sizes
from forecastkit.data.validation import CheckedSeries, check_series, check_window
from forecastkit.data.windows import make_stream_batches
from forecastkit.estimators._inputs import _as_frame
from forecastkit.estimators._keras import KerasEstimatorMixin, history_frame
from forecastkit.exceptions import (
    DataError,
    DroppedStepsWarning,
    ParameterError,
)

__all__ = ["SequenceRegressor"]

logger = logging.getLogger("forecastkit")


class SequenceRegressor(KerasEstimatorMixin, RegressorMixin, BaseEstimator):
    """Map an input series to a target series step by step with a recurrent network.

    The network reads X one step at a time and outputs one value of y per step
    (``LSTM(return_sequences=True) -> Dense`` per step). Inputs and targets are scaled with
    clones of ``scaler`` fitted on the training part only; early stopping watches a
    validation part taken from the end of the series (best weights restored).

    **Stateful mode** (``stateful=True``, the truncated back-propagation through time of the
    sin -> cos tutorials). Training: the training part is cut into ``batch_size``
    contiguous streams; batch ``k + 1``, row ``j`` continues batch ``k``, row ``j`` (see
    :func:`~forecastkit.data.windows.make_stream_batches`; the last steps that do not fill a
    whole batch, fewer than ``batch_size * time_steps``, are not used, and a
    :class:`~forecastkit.exceptions.DroppedStepsWarning` says how many and how to avoid it).
    Batches are never
    shuffled; one :class:`~forecastkit.training.callbacks.ResetStatesCallback` zeroes the
    state at the start of every epoch and around every validation pass. Prediction: a
    batch-1 twin of the trained network (same builder, weights copied) reads X in one pass
    from the carried state, so any length works, and the state carries over to the next
    :meth:`predict` call (streaming) until :meth:`reset_state`. Streaming a series in
    pieces gives the same result as one call on the whole series.

    **Stateless mode** (``stateful=False``). Training: non-overlapping chunks of
    ``time_steps`` steps, shuffled, each read from a zero state. Prediction: X is read in
    consecutive chunks of ``time_steps`` steps, each from a zero state (as in training), and
    nothing carries over between calls.

    **Validation** (``val_size``): the last steps of the series, laid out like the training
    part. A stateful network has a fixed batch shape; when the validation part is too short
    for ``batch_size`` streams of ``time_steps`` steps it is read as fewer streams (the other
    rows are zero-weighted padding, so ``val_loss`` is still the mean squared error over the
    validation steps). A validation part shorter than ``time_steps`` cannot be validated on:
    it is used for training instead and the training loss is monitored (a log message on
    the ``"forecastkit"`` logger says so).

    Parameters
    ----------
    units : int or tuple of int, default=(20,)
        Units per recurrent layer, bottom to top.
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    dropout : float, default=0.0
        Dropout after each recurrent layer (training only).
    time_steps : int, default=20
        Steps per chunk: the truncation length of back-propagation through time.
    batch_size : int, default=16
        Streams per batch (stateful) or chunks per batch (stateless). A stateful fit needs
        at least ``batch_size * time_steps`` training steps.
    stateful : bool, default=True
        Carry the state across batches in training and across calls in :meth:`predict`.
    epochs : int, default=100
        Upper bound; early stopping usually ends training sooner.
    optimizer : str or keras optimizer, default="adam"
    learning_rate : float, default=6e-3
        The tutorial's Adam learning rate; halved when the monitored loss stalls.
    val_size : float, int or label, default=0.1
        Validation part at the end of the series: a fraction, a number of steps or the first
        label. 0 monitors the training loss.
    patience : int, default=10
        Epochs without improvement before early stopping.
    scaler : scikit-learn transformer or None, default=None
        None means StandardScaler; one clone for X's columns, one for y's, fitted on the
        training part only.
    random_state : int or None, default=None
        Seeds the weights, shuffling and dropout; equal seeds give identical predictions.
    verbose : {0, 1, 2, "auto"}, default=0
    callbacks : list of keras callbacks or None
        Added to the defaults (early stopping, checkpoint, plateau, stop on NaN and, when
        stateful, the state reset).
    resume_dir : str or path, optional
        Folder where the training state is backed up after every epoch (Keras's
        ``BackupAndRestore``, extended): a fit killed at epoch k and started again with the
        same ``resume_dir`` continues from epoch k and, with a set ``random_state``, ends
        with the weights of an uninterrupted fit. The backup (a ``forecastkit-backup``
        subfolder) is deleted when the fit completes; use one folder per fit. Not saved
        with the model. See "Resumable training" in the user guide.
    log_dir : str or path, optional
        Write TensorBoard logs (training and validation loss, learning rate, the model
        graph) of every fit into a fresh ``run-YYYYmmdd-HHMMSS-N`` folder under it; needs
        ``pip install "forecastkit[tensorboard]"``. Not saved with the model.

    Attributes
    ----------
    model_ : keras.Model
        The trained network; stateful: batch shape ``(batch_size, time_steps, n_features)``.
    inference_model_ : keras.Model
        Its twin for prediction (weights copied): batch 1 (stateful) or any batch
        (stateless), any number of time steps.
    x_scaler_, y_scaler_ : SeriesScaler
    feature_names_, target_names_ : tuple of str
    n_features_in_ : int
        Columns of X.
    sizes_ : tuple of int
        ``(n_train, n_val)`` steps used for training and validation.
    history_ : pandas.DataFrame
        ``loss``, ``val_loss`` (when validated) and ``learning_rate`` per epoch.
    best_epoch_ : int or None
        The epoch whose weights were restored.

    Notes
    -----
    ``predict`` (and ``score``, which calls it) advances the carried state in stateful mode;
    call :meth:`reset_state` first for a result that does not depend on earlier calls.
    :meth:`save` stores the carried state, so a loaded model continues the stream.

    Examples
    --------
    >>> from forecastkit import SequenceRegressor, datasets
    >>> x, y = datasets.make_sin_cos(n=1000, stop=100.0)
    >>> # 800 training steps: whole batches of 8 streams x 20 steps (nothing left out)
    >>> m = SequenceRegressor(units=(4,), batch_size=8, val_size=200, epochs=1, random_state=0)
    >>> m = m.fit(x, y)
    >>> pred = m.predict(x[:30])                  # the state now carries on to step 30
    >>> pred.name, len(pred), len(m.predict(x[30:60]))
    ('cos', 30, 30)
    >>> _ = m.reset_state()                       # back to a zero state
    """

    def __init__(
        self,
        *,
        units=(20,),
        cell: str = "lstm",
        dropout: float = 0.0,
        time_steps: int = 20,
        batch_size: int = 16,
        stateful: bool = True,
        epochs: int = 100,
        optimizer="adam",
        learning_rate: float = 6e-3,
        val_size=0.1,
        patience: int = 10,
        scaler=None,
        random_state: int | None = None,
        verbose=0,
        callbacks=None,
        resume_dir=None,
        log_dir=None,
    ):
        self.units = units
        self.cell = cell
        self.dropout = dropout
        self.time_steps = time_steps
        self.batch_size = batch_size
        self.stateful = stateful
        self.epochs = epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.val_size = val_size
        self.patience = patience
        self.scaler = scaler
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.resume_dir = resume_dir
        self.log_dir = log_dir

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Fit the network to map X to y step by step.

        Parameters
        ----------
        X : pandas Series, DataFrame or array of shape (n_steps,) or (n_steps, n_features)
            The input series.
        y : pandas Series, DataFrame or array of shape (n_steps,) or (n_steps, n_targets)
            The target series, one row per row of X (same index when both are pandas).

        Returns
        -------
        self

        Warns
        -----
        DroppedStepsWarning
            Stateful only: when the training part is not a multiple of
            ``batch_size * time_steps``, with the number of steps left out and the fix.
        """
        from forecastkit.models.builders import build_sequence_regressor
        from forecastkit.training.callbacks import ResetStatesCallback
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import resolve_seed

        stateful = _check_bool(self.stateful, "stateful")
        time_steps = check_window(self.time_steps, name="time_steps")
        batch_size = check_window(self.batch_size, name="batch_size")
        epochs = check_window(self.epochs, name="epochs")
        patience = check_window(self.patience, name="patience")
        xs, ys = _check_pair(X, y)
        n_steps = len(xs.values)
        sizes = split_sizes(
            n_steps, window=1, horizon=1, val_size=self.val_size, test_size=0, axis=ys.axis
        )
        n_train, n_val = sizes.n_train, sizes.n_val
        if 0 < n_val < time_steps:
            logger.info(
                "The validation part (%d steps) is shorter than time_steps=%d: it is used for "
                "training, and early stopping monitors the training loss.",
                n_val,
                time_steps,
            )
            n_train, n_val = n_steps, 0
        need = batch_size * time_steps if stateful else time_steps
        if n_train < need:
            raise DataError(
                f"The training part has {n_train} steps ({n_steps} minus {n_val} for "
                f"validation), fewer than the {need} that "
                + (
                    f"one stateful batch needs (batch_size={batch_size} x "
                    f"time_steps={time_steps}). Use a smaller batch_size or time_steps, "
                    if stateful
                    else f"one chunk needs (time_steps={time_steps}). Use a smaller time_steps, "
                )
                + "a smaller val_size, or a longer series."
            )

        x_scaler = SeriesScaler(
            self.scaler, targets=range(xs.values.shape[1]), n_features=xs.values.shape[1]
        ).fit(xs.values[:n_train])
        y_scaler = SeriesScaler(
            self.scaler, targets=range(ys.values.shape[1]), n_features=ys.values.shape[1]
        ).fit(ys.values[:n_train])
        x_scaled = x_scaler.transform(xs.values)
        y_scaled = y_scaler.transform(ys.values)
        end = n_train + n_val
        streams = batch_size if stateful else 1
        X_train = _samples(x_scaled[:n_train], streams, time_steps)
        Y_train = _samples(y_scaled[:n_train], streams, time_steps)
        n_dropped = n_train - len(X_train) * time_steps
        if n_dropped and stateful:
            warnings.warn(
                f"{n_dropped} of the {n_train} training steps (the last ones before the "
                f"validation part) do not fill a whole stateful batch of batch_size={batch_size}"
                f" x time_steps={time_steps} = {need} steps and are not trained on. To train on "
                f"every step, make the training part a multiple of {need} steps: e.g. "
                f"val_size={n_val + n_dropped} (those steps then validate), or a batch_size "
                f"or time_steps that divides {n_train}.",
                DroppedStepsWarning,
                stacklevel=2,
            )
        elif n_dropped:
            logger.info(
                "%d of the %d training steps do not fill a whole %s and are not used.",
                n_dropped,
                n_train,
                f"batch of {batch_size} x {time_steps}" if stateful else f"chunk of {time_steps}",
            )
        validation = None
        if n_val:
            stream_length = len(X_train) // streams * time_steps
            validation = _validation(
                x_scaled[n_train:end],
                y_scaled[n_train:end],
                batch_size if stateful else None,
                time_steps,
                stream_length,
            )

        seed = resolve_seed(self.random_state)
        model = build_sequence_regressor(
            n_features=xs.values.shape[1],
            n_targets=ys.values.shape[1],
            units=self.units,
            cell=self.cell,
            dropout=self.dropout,
            seed=seed,
            batch_size=batch_size if stateful else None,
            time_steps=time_steps,
            stateful=stateful,
        )
        callbacks = [ResetStatesCallback()] if stateful else []
        result = train(
            model,
            X_train,
            Y_train,
            validation=validation,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            patience=patience,
            callbacks=[*callbacks, *(self.callbacks or [])],
            verbose=self.verbose,
            resume_dir=self.resume_dir,
            log_dir=self.log_dir,
            seed=seed,
            shuffle=not stateful,
        )
        history = history_frame(result)
        self._set_fitted(
            model=model,
            x_scaler=x_scaler,
            y_scaler=y_scaler,
            feature_names=xs.names,
            target_names=ys.names,
            sizes=(n_train, n_val),
            history=history,
            best_epoch=result.best_epoch,
        )
        return self

    def _set_fitted(
        self, *, model, x_scaler, y_scaler, feature_names, target_names, sizes, history, best_epoch
    ) -> None:
        """Store learned state and build the inference twin (shared by fit and load)."""
        from forecastkit.models.builders import build_sequence_regressor

        stateful = bool(self.stateful)
        twin = build_sequence_regressor(
            n_features=len(feature_names),
            n_targets=len(target_names),
            units=self.units,
            cell=self.cell,
            dropout=self.dropout,
            batch_size=1 if stateful else None,
            time_steps=None,
            stateful=stateful,
        )
        twin.set_weights(model.get_weights())
        self.model_ = model
        self.inference_model_ = twin
        self.x_scaler_ = x_scaler
        self.y_scaler_ = y_scaler
        self.feature_names_ = tuple(feature_names)
        self.target_names_ = tuple(target_names)
        self.n_features_in_ = len(self.feature_names_)
        self.sizes_ = tuple(int(s) for s in sizes)
        self.history_ = history
        self.best_epoch_ = best_epoch
        self._predict_fn = None

    # -------------------------------------------------------------- predict
    def predict(self, X):
        """Predict the target at every step of X.

        Stateful: continues from the state left by the previous call (zero after ``fit``,
        :meth:`reset_state` or :meth:`load` of a fresh model). Stateless: X is read in
        chunks of ``time_steps`` steps, each from a zero state.

        Parameters
        ----------
        X : pandas Series, DataFrame or array of shape (n_steps,) or (n_steps, n_features)
            Any number of steps, with the columns seen in ``fit``.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed like X, named like y (a DataFrame for several target columns).
        """
        self._check_fitted()
        checked = _check_input(X, "X", names=self.feature_names_)
        scaled = self.x_scaler_.transform(checked.values)  # (n_steps, n_features)
        n_steps = len(scaled)
        if self.stateful:
            pred = self._call(scaled[np.newaxis])[0]  # (n_steps, n_targets)
        else:
            time_steps = int(self.time_steps)
            n_pad = -n_steps % time_steps  # padding at the end: causal, never read back
            padded = np.concatenate([scaled, np.zeros((n_pad, scaled.shape[1]), np.float32)])
            chunks = make_stream_batches(padded, 1, time_steps)[:, 0]  # (n_chunks, T, f)
            pred = self._call(chunks).reshape(-1, len(self.target_names_))[:n_steps]
        values = self.y_scaler_.inverse_transform_targets(pred)
        return checked.axis.wrap(values, start=0, names=self.target_names_)

    def _call(self, x: np.ndarray) -> np.ndarray:
        """Run the inference twin on scaled ``x`` (batch, n_steps, n_features)."""
        if self.__dict__.get("_predict_fn") is None:
            from forecastkit.models.compiled import CompiledPredict

            self._predict_fn = CompiledPredict(self.inference_model_, jit_compile=False)
        return self._predict_fn(x)

    def reset_state(self) -> SequenceRegressor:
        """Zero the state carried across :meth:`predict` calls; returns self.

        Examples
        --------
        >>> from forecastkit import SequenceRegressor, datasets
        >>> x, y = datasets.make_sin_cos(n=400, stop=40.0)
        >>> m = SequenceRegressor(units=(4,), batch_size=4, val_size=80, epochs=1).fit(x, y)
        >>> first = m.predict(x[:50])
        >>> m.reset_state().predict(x[:50]).equals(first)
        True
        """
        from forecastkit.training.callbacks import reset_states

        self._check_fitted()
        reset_states(self.inference_model_)
        return self

    def _states(self) -> list[np.ndarray]:
        """Return the carried state of the inference twin, one array per state variable."""
        return [
            np.asarray(v.numpy())
            for layer in self.inference_model_.layers
            if getattr(layer, "stateful", False)
            for v in layer.states
        ]

    def __sklearn_tags__(self):
        """Declare non-determinism when unseeded."""
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # --------------------------------------------------------- persistence
    # save() and load() come from KerasEstimatorMixin; these hooks give them the fitted state.
    def _fitted_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Return the manifest entries and the carried prediction state (one array each)."""
        from forecastkit.persistence import transformer_to_dict

        states = self._states()
        fitted = {
            "feature_names": list(self.feature_names_),
            "target_names": list(self.target_names_),
            "x_scaler": transformer_to_dict(self.x_scaler_.target_),
            "y_scaler": transformer_to_dict(self.y_scaler_.target_),
            "sizes": list(self.sizes_),
            "n_states": len(states),
        }
        return fitted, {f"state_{i}": s for i, s in enumerate(states)}

    def _restore_fitted(self, model, fitted, arrays, *, history, best_epoch) -> None:
        """Restore the scalers, the inference twin and its carried state from a saved file."""
        from forecastkit.persistence import transformer_from_dict

        scalers = []
        for key, names in (("x_scaler", "feature_names"), ("y_scaler", "target_names")):
            n = len(fitted[names])
            scaler = SeriesScaler(self.scaler, targets=range(n), n_features=n)
            scaler.target_ = transformer_from_dict(fitted[key])
            scaler.features_ = None
            scalers.append(scaler)
        # the inference twin is built from the parameters: they must describe the saved
        # network, or units=(100000,) in the manifest would allocate gigabytes
        units = (self.units,) if isinstance(self.units, int) else tuple(self.units)
        saved = tuple(
            layer.units
            for layer in model.layers
            if type(layer).__name__ in ("LSTM", "GRU", "SimpleRNN")
        )
        shapes = (model.inputs[0].shape[-1], model.outputs[0].shape[-1])
        names = (len(fitted["feature_names"]), len(fitted["target_names"]))
        if units != saved or shapes != names:
            raise ValueError(
                f"parameters units={self.units!r:.60} and {names} feature/target names for a "
                f"network of units {saved} and {shapes} inputs/outputs"
            )
        self._set_fitted(
            model=model,
            x_scaler=scalers[0],
            y_scaler=scalers[1],
            feature_names=fitted["feature_names"],
            target_names=fitted["target_names"],
            sizes=fitted["sizes"],
            history=history,
            best_epoch=best_epoch,
        )
        variables = [
            v
            for layer in self.inference_model_.layers
            if getattr(layer, "stateful", False)
            for v in layer.states
        ]
        if len(variables) != fitted["n_states"]:
            raise ValueError(f"{fitted['n_states']} saved states for {len(variables)}")
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(arrays[f"state_{i}"], dtype=np.float32))


# ---------------------------------------------------------------- helpers
def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"`{name}` must be True or False; got {name}={value!r}.")
    return bool(value)


def _check_input(data, name: str, names: tuple[str, ...] | None = None) -> CheckedSeries:
    """Check one series (every column is used); for predict, match the fitted ``names``."""
    if data is None:
        raise DataError(f"`{name}` is required: pass a series, DataFrame or array.")
    if not isinstance(data, pd.Series | pd.DataFrame | np.ndarray | list | tuple):
        raise DataError(
            f"`{name}` must be a pandas Series or DataFrame, or a NumPy array; got "
            f"{type(data).__name__}. Convert it, e.g. `np.asarray(values, dtype=float)`."
        )
    if isinstance(data, np.ndarray | list | tuple) and np.ndim(data) > 2:
        raise DataError(
            f"`{name}` must be 1-D (n_steps,) or 2-D (n_steps, n_columns); got shape "
            f"{np.shape(data)}. Pass one series at a time."
        )
    frame = _as_frame(data, name.lower(), None)
    if names is not None:
        if frame.shape[1] != len(names):
            raise DataError(
                f"`{name}` has {frame.shape[1]} column(s), but the model was fitted on "
                f"{len(names)}: {list(names)}. Pass the same columns as in fit."
            )
        if isinstance(data, pd.DataFrame) and len(names) > 1:
            given = [str(c) for c in frame.columns]
            if sorted(given) != sorted(names):
                raise DataError(
                    f"`{name}` has columns {given}; the model was fitted on {list(names)}. "
                    "Pass the same columns (any order)."
                )
            frame = frame.set_axis(given, axis=1)[list(names)]
    if frame.shape[1] == 0:
        raise DataError(f"`{name}` has no columns. Pass at least one.")
    return check_series(frame, target=list(frame.columns), name=name)


def _check_pair(X, y) -> tuple[CheckedSeries, CheckedSeries]:
    """Check the input and target series of ``fit``: same length, same index if pandas."""
    xs, ys = _check_input(X, "X"), _check_input(y, "y")
    if len(xs.values) != len(ys.values):
        raise DataError(
            f"`X` and `y` must have the same number of time steps; got {len(xs.values)} and "
            f"{len(ys.values)}. Align them first (e.g. X.loc[y.index])."
        )
    pandas = (pd.Series, pd.DataFrame)
    if isinstance(X, pandas) and isinstance(y, pandas) and not X.index.equals(y.index):
        raise DataError(
            "`X` and `y` must share the same index; the first differing label is "
            f"{X.index[(X.index != y.index).argmax()]!r}. Use X.loc[y.index]."
        )
    return xs, ys


def _samples(values: np.ndarray, streams: int, time_steps: int) -> np.ndarray:
    """Training samples (n_batches * streams, time_steps, n_columns), batch after batch."""
    batches = make_stream_batches(values, streams, time_steps)
    return batches.reshape(-1, time_steps, values.shape[1])


def _validation(
    x: np.ndarray, y: np.ndarray, batch_size: int | None, time_steps: int, stream_length: int
) -> tuple[np.ndarray, ...]:
    """Return the validation data made from the scaled validation rows.

    Stateless (``batch_size`` None): chunks ``(X, Y)``. Stateful: ``(X, Y, weights)`` in the
    fixed batch shape. The validation part is read as streams about as long as the training
    streams (``stream_length`` steps), so that both start from a zero state equally often
    and ``val_loss`` is comparable with ``loss``: that is ``round(n_val / stream_length)``
    streams, at least 1 and at most ``batch_size`` (or ``n_val // time_steps``). The other
    rows of each batch are zero padding with weight 0, and the real rows weigh ``batch_size
    / streams``, so Keras's mean over every element is the mean over the real ones.
    """
    if batch_size is None:
        return _samples(x, 1, time_steps), _samples(y, 1, time_steps)
    streams = int(np.clip(round(len(x) / stream_length), 1, batch_size))
    streams = min(streams, len(x) // time_steps)
    logger.info(
        "Validation: %d steps read as %d stream(s) of %d-step chunks in batches of %d rows "
        "(the other rows are zero-weighted padding).",
        len(x),
        streams,
        time_steps,
        batch_size,
    )
    parts = []
    for values in (x, y):
        batches = make_stream_batches(values, streams, time_steps)  # (n_batches, s, T, c)
        padded = np.zeros((len(batches), batch_size, *batches.shape[2:]), np.float32)
        padded[:, :streams] = batches
        parts.append(padded.reshape(-1, time_steps, values.shape[1]))
    weights = np.zeros((len(parts[0]) // batch_size, batch_size, time_steps), np.float32)
    weights[:, :streams] = batch_size / streams
    return parts[0], parts[1], weights.reshape(-1, time_steps)
