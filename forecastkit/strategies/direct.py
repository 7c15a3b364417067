"""Direct (MIMO) strategy: the network outputs the whole horizon from one window."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecastkit.exceptions import ParameterError

__all__ = ["direct"]


def direct(
    predict_all: Callable[[np.ndarray], np.ndarray], windows: np.ndarray, horizon: int
) -> np.ndarray:
    """Forecast ``horizon`` steps at once from each window.

    Parameters
    ----------
    predict_all : callable
        Maps windows ``(n_series, window, n_features)`` to ``(n_series, trained_horizon,
        n_targets)``.
    windows : ndarray of shape (n_series, window, n_features)
    horizon : int
        At most the horizon the network was trained for.

    Returns
    -------
    ndarray of shape (n_series, horizon, n_targets)

    Examples
    --------
    >>> w = np.zeros((1, 2, 1))
    >>> direct(lambda x: np.ones((1, 3, 1)), w, 2).shape
    (1, 2, 1)
    """
    out = np.asarray(predict_all(windows))
    if horizon > out.shape[1]:
        raise ParameterError(
            f"The direct strategy predicts at most the trained horizon={out.shape[1]} steps; "
            f"got horizon={horizon}. Refit with horizon={horizon} or use strategy='recursive'."
        )
    return out[:, :horizon, :]
