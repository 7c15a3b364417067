"""Teacher-forced one-step prediction: every step from the true previous window."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["one_step"]


def one_step(step: Callable[[np.ndarray], np.ndarray], windows: np.ndarray) -> np.ndarray:
    """Predict the step after each true window.

    Parameters
    ----------
    step : callable
        Maps windows ``(n_samples, window, n_features)`` to ``(n_samples, n_targets)``.
    windows : ndarray of shape (n_samples, window, n_features)

    Returns
    -------
    ndarray of shape (n_samples, 1, n_targets)

    Examples
    --------
    >>> w = np.array([[[1.0], [2.0]], [[2.0], [3.0]]])
    >>> one_step(lambda x: x[:, -1, :] + 1, w)[:, 0, 0].tolist()
    [3.0, 4.0]
    """
    prediction = np.asarray(step(windows))
    return prediction.reshape(len(windows), 1, -1)
