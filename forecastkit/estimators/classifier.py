"""The SequenceClassifier: one label per sequence, from a stacked recurrent network.

Each sample is a whole sequence ``(n_steps, n_features)``, e.g. an image read row by row
(the MNIST-rows tutorial). Samples are exchangeable, so the validation part used for early
stopping is a seeded, stratified random fraction of them, not the end of a time series.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target

from forecastkit.estimators._keras import KerasEstimatorMixin, history_frame
from forecastkit.exceptions import DataError, ParameterError

__all__ = ["SequenceClassifier"]

_LABEL_TYPES = (str, int, float, bool, np.str_, np.integer, np.floating, np.bool_)


class SequenceClassifier(KerasEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Classify whole sequences with a stacked recurrent network (LSTM, GRU or simple RNN).

    The network reads each sequence step by step and classifies it from the last output of
    the top recurrent layer through a softmax layer. Training minimises sparse categorical
    cross-entropy with early stopping on a held-out validation part (best weights restored).

    Parameters
    ----------
    units : int or tuple of int, default=(64,)
        Units per recurrent layer, bottom to top.
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    bidirectional : bool, default=False
        Read each sequence forwards and backwards.
    dropout : float, default=0.0
        Dropout after each recurrent layer.
    epochs : int, default=100
        Upper bound; early stopping usually ends training sooner.
    batch_size : int, default=32
    optimizer : str or keras optimizer, default="adam"
    learning_rate : float, default=1e-2
        Adam with 1e-2 reached 0.96-0.99 test accuracy on the digit rows within ~30 epochs
        (1e-3 needed more than 60); the rate is halved when the validation loss stalls.
    val_size : float or int, default=0.1
        Validation part for early stopping: a fraction in [0, 1) or a number of samples,
        drawn at random and stratified by class (when every class allows it). 0 monitors
        the training loss instead.
    patience : int, default=10
        Epochs without improvement before early stopping (the learning rate is halved after
        half as many).
    random_state : int or None, default=None
        Seeds the validation split, the weights, shuffling and dropout; equal seeds give
        identical predictions.
    verbose : {0, 1, 2, "auto"}, default=0
    callbacks : list of keras callbacks or None
        Added to the defaults (early stopping, checkpoint, plateau, stop on NaN).
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
        Input ``(batch, n_steps, n_features)``, output ``(batch, n_classes)`` probabilities.
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``, sorted. :meth:`save` stores them as a JSON list, so
        they must be strings, ints, floats or bools to be saved.
    n_steps_ : int
    n_features_in_ : int
        Features per time step.
    history_ : pandas.DataFrame
        ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` and ``learning_rate`` per
        epoch (1-based index).
    best_epoch_ : int or None
        The epoch whose weights were restored.

    Examples
    --------
    >>> from forecastkit import datasets
    >>> from forecastkit.estimators.classifier import SequenceClassifier
    >>> X, y = datasets.load_digit_rows()
    >>> clf = SequenceClassifier(units=(8,), epochs=1, random_state=0).fit(X[:200], y[:200])
    >>> clf.predict_proba(X[:3]).shape, clf.n_steps_, clf.n_features_in_
    ((3, 10), 8, 8)
    """

    def __init__(
        self,
        *,
        units=(64,),
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        epochs: int = 100,
        batch_size: int = 32,
        optimizer="adam",
        learning_rate: float = 1e-2,
        val_size=0.1,
        patience: int = 10,
        random_state: int | None = None,
        verbose=0,
        callbacks=None,
        resume_dir=None,
        log_dir=None,
    ):
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.val_size = val_size
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.resume_dir = resume_dir
        self.log_dir = log_dir

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Fit the network on labelled sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features), or list of 2-D arrays
            One sequence per sample; a list holds equal-length ``(n_steps, n_features)``
            arrays or DataFrames.
        y : array-like of shape (n_samples,)
            Labels of any type (ints, strings, ...); at least two classes.

        Returns
        -------
        self
        """
        from forecastkit.models.builders import build_classifier
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import resolve_seed

        X = _check_sequences(X)
        y = _check_labels(y, len(X))
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise DataError(
                f"`y` must hold at least two classes; got only {encoder.classes_[0]!r} in all "
                f"{len(y)} samples. Pass samples of every class you want to tell apart."
            )
        codes = encoder.transform(y).astype(np.int32)
        epochs = _positive_int(self.epochs, "epochs")
        batch_size = _positive_int(self.batch_size, "batch_size")
        patience = _positive_int(self.patience, "patience")

        seed = resolve_seed(self.random_state)
        train_idx, val_idx = _validation_split(codes, self.val_size, seed)
        model = build_classifier(
            n_steps=X.shape[1],
            n_features=X.shape[2],
            n_classes=len(encoder.classes_),
            units=self.units,
            cell=self.cell,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            seed=seed,
        )
        result = train(
            model,
            X[train_idx],
            codes[train_idx],
            validation=(X[val_idx], codes[val_idx]) if len(val_idx) else None,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            loss="sparse_categorical_crossentropy",
            patience=patience,
            callbacks=list(self.callbacks or []),
            verbose=self.verbose,
            resume_dir=self.resume_dir,
            log_dir=self.log_dir,
            seed=seed,
            metrics=["accuracy"],
        )
        order = ["loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"]
        columns = [c for c in order if c in result] + [c for c in result if c not in order]
        history = history_frame({c: result[c] for c in columns})
        self._set_fitted(
            model=model, classes=encoder.classes_, history=history, best_epoch=result.best_epoch
        )
        return self

    def _set_fitted(self, *, model, classes, history, best_epoch) -> None:
        """Store learned state (shared by fit and load)."""
        self.model_ = model
        self.classes_ = np.asarray(classes)
        self.n_steps_ = int(model.input_shape[1])
        self.n_features_in_ = int(model.input_shape[2])
        self.history_ = history
        self.best_epoch_ = best_epoch
        self._compile_predict()

    def _compile_predict(self) -> None:
        from forecastkit.models.compiled import CompiledPredict

        self._predict_fn = CompiledPredict(self.model_, jit_compile=False)

    # -------------------------------------------------------------- predict
    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities, shape (n_samples, n_classes), columns as ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features), or list of 2-D arrays
            With the ``n_steps`` and ``n_features`` seen in ``fit``.
        """
        self._check_fitted()
        X = _check_sequences(X)
        if X.shape[2] != self.n_features_in_:
            raise DataError(
                f"X has {X.shape[2]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input: `X` must have shape (n_samples, "
                f"n_steps={self.n_steps_}, n_features={self.n_features_in_}); got {X.shape}."
            )
        if X.shape[1] != self.n_steps_:
            raise DataError(
                f"`X` must have the shape seen in fit, (n_samples, n_steps={self.n_steps_}, "
                f"n_features={self.n_features_in_}); got {X.shape}. Pad or crop the sequences "
                "to the fitted length, or fit again on data of this shape."
            )
        return self._proba(X)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (n_samples, n_classes) from checked float32 X, without Keras overhead."""
        if self.__dict__.get("_predict_fn") is None:  # e.g. after unpickling
            self._compile_predict()
        return self._predict_fn(X).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """Return the most probable label of each sequence, shape (n_samples,).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features), or list of 2-D arrays
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        """Declare 3-D input (n_samples, n_steps, n_features) and no 2-D input."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    # --------------------------------------------------------- persistence
    # save() and load() come from KerasEstimatorMixin; these hooks give them the fitted state.
    def _fitted_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Return the labels for the manifest (a JSON list and their dtype); no arrays."""
        bad = [c for c in self.classes_.tolist() if not isinstance(c, _LABEL_TYPES)]
        if bad:
            raise DataError(
                f"Only str, int, float or bool labels can be saved (without pickle); got "
                f"{type(bad[0]).__name__} label {bad[0]!r}. Map the labels to strings or ints "
                "before fit, e.g. y = [str(label) for label in y]."
            )
        fitted = {
            "classes": [c.item() if isinstance(c, np.generic) else c for c in self.classes_],
            "classes_dtype": self.classes_.dtype.str,
        }
        return fitted, {}

    def _restore_fitted(self, model, fitted, arrays, *, history, best_epoch) -> None:
        """Restore the labels (checked against the network's outputs) from a saved file."""
        dtype = np.dtype(fitted["classes_dtype"])
        if dtype.kind not in "biufUO":
            raise ValueError(f"unexpected label dtype {dtype}")
        labels = fitted["classes"]
        if len(labels) != model.outputs[0].shape[-1]:
            raise ValueError(
                f"{len(labels)} classes for a network of {model.outputs[0].shape[-1]} outputs"
            )
        widest = max((len(str(c)) for c in labels), default=0)
        if dtype.kind == "U" and dtype.itemsize > 4 * max(widest, 256):
            # "<U50000000" for 10 labels would fill gigabytes with padding
            raise ValueError(f"label dtype {dtype} is far wider than the saved labels")
        classes = np.empty(len(labels), dtype=dtype)
        classes[:] = labels
        self._set_fitted(model=model, classes=classes, history=history, best_epoch=best_epoch)


# ---------------------------------------------------------------- checks
def _check_sequences(X) -> np.ndarray:
    """Return X as a finite float32 array (n_samples, n_steps, n_features), or raise DataError."""
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise DataError(
            "Sparse input is not supported: `X` must be a dense 3-D array (n_samples, n_steps, "
            "n_features). Convert it with X.toarray() and reshape."
        )
    if isinstance(X, list | tuple) and len(X) and all(_is_2d(s) for s in X):
        lengths = [np.shape(s) for s in X]
        for i, shape in enumerate(lengths):
            if shape != lengths[0]:
                raise DataError(
                    f"All sequences in `X` must have the same shape (n_steps, n_features); "
                    f"sample 0 has {lengths[0]} but sample {i} has {shape}. Pad or crop the "
                    "sequences to one length (e.g. keras.utils.pad_sequences)."
                )
        X = [s.to_numpy() if isinstance(s, pd.DataFrame) else s for s in X]
    elif isinstance(X, pd.DataFrame | pd.Series):
        raise DataError(
            f"`X` must be 3-D (n_samples, n_steps, n_features); got a {type(X).__name__} of "
            f"shape {X.shape}. Pass a list of DataFrames (one per sequence) or a 3-D array."
        )
    try:
        array = np.asarray(X)
    except ValueError as err:  # ragged nested lists
        raise DataError(
            f"`X` must be a 3-D array (n_samples, n_steps, n_features) or a list of "
            f"equal-length 2-D arrays; could not stack it ({err}). Pad the sequences to one "
            "length."
        ) from err
    if array.ndim != 3:
        hint = (
            " Reshape your data to (n_samples, n_steps, n_features), e.g. X.reshape(n_samples, "
            "n_steps, n_features) for flattened sequences, or X[:, :, None] for one feature "
            "per step."
        )
        raise DataError(
            f"`X` must be 3-D (n_samples, n_steps, n_features); got {array.ndim}-D X of shape "
            f"{array.shape}.{hint}"
        )
    if 0 in array.shape:
        raise DataError(
            f"`X` must have at least one sample, step and feature; got shape {array.shape}."
        )
    if array.dtype.kind == "c":
        raise DataError("Complex data not supported: `X` must hold real numbers.")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise DataError(
                f"`X` must hold numbers; got dtype {array.dtype} ({err}). Encode categories "
                "as numbers first."
            ) from err
    array = array.astype(np.float32)
    bad = ~np.isfinite(array)
    if bad.any():
        n_nan = int(np.isnan(array).sum())
        raise DataError(
            f"`X` must be finite; got {n_nan} NaN and {int(bad.sum()) - n_nan} infinite values "
            f"in {len(np.unique(np.nonzero(bad)[0]))} samples. Impute or drop them first."
        )
    return array


def _is_2d(sample) -> bool:
    """Return True for a DataFrame or anything NumPy sees as 2-D (one sequence)."""
    if isinstance(sample, pd.DataFrame):
        return True
    try:
        return np.ndim(sample) == 2
    except ValueError:
        return False


def _check_labels(y, n_samples: int) -> np.ndarray:
    """Return y as a 1-D array of length n_samples, or raise DataError."""
    if y is None:
        raise DataError(
            "SequenceClassifier requires y to be passed, but the target y is None. Call "
            "fit(X, y) with one label per sequence."
        )
    y = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            f"A column-vector y was passed when a 1d array was expected (shape {y.shape}); "
            "used as y[:, 0]. Pass y.ravel() to silence this warning.",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"`y` must be 1-D, one label per sequence; got shape {y.shape}. Multi-output "
            "classification is not supported."
        )
    if len(y) != n_samples:
        raise DataError(
            f"`X` and `y` must have the same number of samples; got {n_samples} sequences and "
            f"{len(y)} labels."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"`y` must not contain NaN or inf; got {int((~np.isfinite(y)).sum())}.")
    kind = type_of_target(y)
    if kind == "continuous":
        raise DataError(
            "Unknown label type: continuous. `y` looks like a regression target (non-integer "
            "floats); a classifier needs discrete labels. Round or bin them, or use a regressor."
        )
    return y


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ParameterError(f"`{name}` must be a positive int; got {name}={value!r}.")
    return int(value)


def _validation_split(codes: np.ndarray, val_size, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, validation) positions: a seeded random split, stratified when possible."""
    n = len(codes)
    if isinstance(val_size, bool) or not isinstance(val_size, Real):
        n_val = -1
    elif isinstance(val_size, Integral):
        n_val = int(val_size) if val_size < n else -1
    else:
        n_val = math.ceil(float(val_size) * n) if 0.0 <= val_size < 1.0 else -1
    if n_val < 0:
        raise ParameterError(
            f"`val_size` must be a fraction in [0, 1) or a number of samples below n_samples="
            f"{n}; got val_size={val_size!r}. For example val_size=0.1."
        )
    rng = np.random.default_rng(seed)
    if n_val == 0:
        return rng.permutation(n), np.zeros(0, dtype=np.intp)
    if n_val == n:
        n_val = n - 1
    counts = np.bincount(codes)
    n_classes = len(counts)
    if counts.min() >= 2 and n_classes <= n_val <= n - n_classes:
        from sklearn.model_selection import StratifiedShuffleSplit

        split = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        train_idx, val_idx = next(split.split(np.zeros(n), codes))
        return train_idx, val_idx
    order = rng.permutation(n)
    return order[n_val:], order[:n_val]
