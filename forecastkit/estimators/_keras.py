"""What every estimator holding a fitted Keras network shares: the fitted check, pickling."""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted

from forecastkit.exceptions import NotFittedError

__all__ = ["KerasEstimatorMixin"]


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
