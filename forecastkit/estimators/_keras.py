"""What every estimator holding a fitted Keras network shares.

The fitted check, pickling, and the per-epoch training history (built after ``fit``,
written into and read from the saved manifest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from forecastkit.exceptions import NotFittedError

__all__ = ["KerasEstimatorMixin", "history_frame", "history_from_manifest", "history_to_manifest"]


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


class KerasEstimatorMixin:
    """Mixin for estimators whose fitted network is ``model_``.

    ``_fit_hint`` names the call that fits the estimator in the not-fitted message;
    ``_compiled`` names the attributes holding compiled TensorFlow functions, which cannot be
    pickled: they are left out of the pickled state (a copy: the live estimator keeps
    them) and rebuilt after unpickling, eagerly by ``__setstate__`` or lazily on first use.
    """

    _fit_hint = "fit(X, y)"
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
