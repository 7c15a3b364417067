"""What every estimator holding a fitted Keras network shares.

The fitted check, pickling, saving and loading (the ``.keras`` archive with forecastkit's
manifest, written once here for every estimator), and the per-epoch training history
(built after ``fit``, written into and read from the saved manifest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecastkit.exceptions import ModelFileError, NotFittedError

__all__ = [
    "KerasEstimatorMixin",
    "best_epoch_from_manifest",
    "history_frame",
    "history_from_manifest",
    "history_to_manifest",
]


def history_frame(logs: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Per-epoch logs as a DataFrame indexed by epoch (1, 2, ...), columns in the given order.

    Examples
    --------
    >>> history_frame({"loss": [0.5, 0.25]}).index.tolist()
    [1, 2]
    """
    frame = pd.DataFrame({name: [float(v) for v in values] for name, values in logs.items()})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def history_to_manifest(history: pd.DataFrame) -> dict:
    """Return the manifest entries of a history (its keys get sorted: the order is kept too).

    Examples
    --------
    >>> history_to_manifest(history_frame({"loss": [1.0], "lr": [0.1]}))["history_columns"]
    ['loss', 'lr']
    """
    return {
        "history": {name: [float(v) for v in values] for name, values in history.items()},
        "history_columns": list(history.columns),
    }


def history_from_manifest(fitted: Mapping) -> pd.DataFrame:
    """Inverse of :func:`history_to_manifest` (files without ``history_columns``: key order).

    Examples
    --------
    >>> saved = history_to_manifest(history_frame({"loss": [1.0], "lr": [0.1]}))
    >>> history_from_manifest(saved).columns.tolist()
    ['loss', 'lr']
    """
    columns = fitted.get("history_columns", list(fitted["history"]))
    return history_frame({name: fitted["history"][name] for name in columns})


def best_epoch_from_manifest(fitted: Mapping) -> int | None:
    """Return the saved ``best_epoch``: None or a non-negative int, else a ValueError.

    Examples
    --------
    >>> best_epoch_from_manifest({"best_epoch": 3}), best_epoch_from_manifest({"best_epoch": None})
    (3, None)
    """
    value = fitted["best_epoch"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"best_epoch={value!r:.40}, not None or a non-negative integer")
    return value


#: The top-level keys of a model file's manifest (format keys, the estimator's, checksums).
MANIFEST_KEYS = frozenset(
    {
        "format",
        "format_version",
        "format_minor",
        "versions",
        "estimator",
        "params",
        "fitted",
        "checksums",
    }
)


class KerasEstimatorMixin:
    """Mixin for estimators whose fitted network is ``model_``.

    ``_fit_hint`` names the call that fits the estimator in the not-fitted message;
    ``_compiled`` names the attributes holding compiled TensorFlow functions, which cannot be
    pickled: they are left out of the pickled state (a copy: the live estimator keeps
    them) and rebuilt after unpickling, eagerly by ``__setstate__`` or lazily on first use.

    :meth:`save` and :meth:`load` are written here once. The manifest they write and read is
    ``{"estimator": class name, "params": encode_params(get_params()), "fitted": {...}}``,
    where ``fitted`` holds the estimator's own entries plus ``best_epoch``, ``history`` and
    ``history_columns`` (added and read back here). An estimator supplies its own part
    through these hooks:

    ``_fitted_state(self) -> tuple[dict, dict[str, numpy.ndarray]]`` (required)
        The estimator's entries of ``fitted`` (JSON-serialisable: plain values, lists and
        dicts; scalers through ``persistence.transformer_to_dict``), without the history
        keys, and the numeric arrays for ``forecastkit.npz`` (``{}`` for none). Runs after
        the fitted check and before anything is written: raise a ``DataError`` or
        ``ParameterError`` to refuse a state that cannot be saved without pickle.
    ``_restore_fitted(self, model, fitted, arrays, *, history, best_epoch) -> None`` (required)
        Called on a fresh estimator made from the saved parameters; sets every fitted
        attribute from the loaded Keras ``model``, the manifest's ``fitted`` dict and the
        ``arrays`` dict, all untrusted. ``history`` (DataFrame) and ``best_epoch`` (int or
        None) come decoded and checked. For missing, mistyped or inconsistent content, raise
        ``ValueError`` (or let a ``KeyError``, ``TypeError`` or ``OverflowError`` escape):
        :meth:`load` turns these into one ``ModelFileError`` naming the file; a
        ``ModelFileError`` (or subclass) passes through as it is. Check sizes read from the
        manifest against the network before allocating anything from them.
    ``_check_manifest_keys(fitted) -> None`` (optional static method)
        Raise ``ValueError`` for keys of ``fitted`` this format never writes; called only
        for files of this format minor or older (a newer minor's additions are ignored).
    ``_check_loaded(self) -> None`` (optional; does nothing by default)
        Consistency checks across the restored attributes, run after ``_restore_fitted``
        under the same error contract.
    ``_history_section(fitted) -> dict`` (optional static method)
        The dict inside ``fitted`` that holds ``best_epoch`` and the history (default:
        ``fitted`` itself), for layouts that nest them; called with the dict of
        ``_fitted_state`` on save and with the file's ``fitted`` on load (untrusted: raise
        ``KeyError``/``ValueError`` when it is missing).
    ``_absent_params`` (class attribute, dict)
        Parameters added after older files were written whose default has changed since:
        a file without one was fitted with the value given here, not today's default.
    """

    _fit_hint = "fit(X, y)"
    _absent_params: ClassVar[dict[str, Any]] = {}
    _compiled: tuple[str, ...] = ("_predict_fn",)

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "model_")
        except Exception as err:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call {self._fit_hint} before "
                "predicting."
            ) from err

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's is the live __dict__
        for name in self._compiled:
            state.pop(name, None)
        return state

    # --------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save to a ``.keras`` file with forecastkit's manifest, atomically, without pickle.

        The file is a native Keras archive (``keras.saving.load_model`` reads the network)
        plus forecastkit's manifest (parameters, fitted state, training history) and its
        numeric arrays; it is written to a temporary file and renamed into place, so an
        existing file is never left half written. Whatever the estimator carries between
        calls (e.g. the streaming state of a stateful :class:`~forecastkit.SequenceRegressor`)
        is saved too.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ending in ``.keras``, in an existing folder.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.
        ParameterError
            For a bad path, or a scaler or network that cannot be saved without pickle.
        DataError
            For fitted content that cannot be saved without pickle (e.g. class labels that
            are not strings, ints, floats or bools).

        Examples
        --------
        >>> import tempfile, os
        >>> from forecastkit import SequenceRegressor, datasets
        >>> x, y = datasets.make_sin_cos(n=400, stop=40.0)
        >>> m = SequenceRegressor(units=(4,), batch_size=4, val_size=80, epochs=1).fit(x, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "sin_cos.keras")
        >>> m.save(path)
        >>> SequenceRegressor.load(path).predict(x).equals(m.predict(x))
        True
        """
        from forecastkit.persistence import encode_params, save_archive

        self._check_fitted()
        fitted, arrays = self._fitted_state()
        self._history_section(fitted).update(
            best_epoch=self.best_epoch_, **history_to_manifest(self.history_)
        )
        manifest = {
            "estimator": type(self).__name__,
            "params": encode_params(self.get_params()),
            "fitted": fitted,
        }
        save_archive(path, self.model_, manifest, arrays)

    @classmethod
    def load(cls, path) -> Self:
        """Load an estimator saved with :meth:`save`; refuses corrupt or foreign files.

        Every byte is treated as untrusted (see :func:`forecastkit.persistence.load_archive`):
        nothing is unpickled, imported by name or run.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by ``save`` of this class.

        Returns
        -------
        estimator
            Fitted, with the saved parameters, history and carried state.

        Raises
        ------
        ModelFileError
            Missing, truncated, tampered, foreign (plain Keras or another estimator's),
            unsafe or newer-format file, or a manifest that is incomplete or disagrees with
            its network or arrays.

        Examples
        --------
        >>> from forecastkit import SequenceRegressor
        >>> SequenceRegressor.load("no-such-model.keras")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        forecastkit.exceptions.MissingModelFileError: ...
        """
        from forecastkit.persistence import FORMAT_MINOR, estimator_from_params, load_archive

        model, manifest, arrays = load_archive(path, estimator=cls.__name__)
        try:
            if manifest.get("format_minor", 0) <= FORMAT_MINOR:  # newer minors may add keys
                unknown = sorted(set(manifest) - MANIFEST_KEYS)
                if unknown:
                    raise ValueError(f"manifest keys forecastkit never writes: {unknown[:5]}")
                if isinstance(manifest.get("fitted"), dict):
                    cls._check_manifest_keys(manifest["fitted"])
            est = estimator_from_params(cls, manifest["params"])
            fitted = manifest["fitted"]
            if not isinstance(fitted, dict):
                raise ValueError("the fitted state is not a JSON object")
            section = cls._history_section(fitted)
            if not isinstance(section, dict):
                raise ValueError("the training history is not in a JSON object")
            est._restore_fitted(
                model,
                fitted,
                arrays,
                history=history_from_manifest(section),
                best_epoch=best_epoch_from_manifest(section),
            )
            est._check_loaded()
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise ModelFileError(
                f"{path!r} has an incomplete or invalid forecastkit manifest ({err!r}). "
                "Save the model again."
            ) from err
        return est

    def _fitted_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return the estimator's manifest entries and arrays (see the class docstring)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _fitted_state")

    def _restore_fitted(
        self,
        model,
        fitted: dict[str, Any],
        arrays: Mapping[str, np.ndarray],
        *,
        history: pd.DataFrame,
        best_epoch: int | None,
    ) -> None:
        """Set the fitted attributes from a loaded file (see the class docstring)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _restore_fitted")

    @staticmethod
    def _check_manifest_keys(fitted: dict[str, Any]) -> None:
        """Refuse keys of ``fitted`` that this format never writes (none checked by default)."""

    def _check_loaded(self) -> None:
        """Check the restored attributes against each other; raise ValueError if they clash."""

    @staticmethod
    def _history_section(fitted: dict[str, Any]) -> dict[str, Any]:
        """Return the dict of ``fitted`` holding ``best_epoch`` and the history."""
        return fitted
