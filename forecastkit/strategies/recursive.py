"""Recursive multi-step forecasting: each prediction is fed back as the newest input.

Arrays in, arrays out; no Keras. The recursion's one step, :func:`advance`, is written once
over an array namespace ``xp`` (NumPy, or ``tf.experimental.numpy`` inside the compiled loop
of :mod:`forecastkit.models.compiled`), so every driver slides windows the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["advance", "feature_order", "next_row", "recursive"]


def feature_order(n_features: int, targets: Sequence[int]) -> np.ndarray:
    """Positions that put ``concat([targets, covariates])`` back into feature order.

    Examples
    --------
    >>> feature_order(3, [2]).tolist()
    [1, 2, 0]
    """
    targets = list(targets)
    others = [j for j in range(n_features) if j not in targets]
    stacked = targets + others  # stacked[k] = feature position of stacked column k
    order = np.empty(n_features, dtype=np.int32)
    order[stacked] = np.arange(n_features, dtype=np.int32)
    return order


def next_row(prediction, covariates, order, xp=np):
    """Return the input row of the next step: predictions + covariates, in feature order.

    Shapes ``(n_series, n_targets)`` and ``(n_series, n_features - n_targets)`` in,
    ``(n_series, n_features)`` out; ``order`` from :func:`feature_order`.

    Examples
    --------
    >>> next_row(np.array([[9.0]]), np.array([[7.0]]), feature_order(2, [1])).tolist()
    [[7.0, 9.0]]
    """
    return xp.take(xp.concatenate([prediction, covariates], axis=-1), order, axis=-1)


def advance(window, prediction, covariates, order, xp=np):
    """Slide windows one step: drop the oldest row, append predictions + covariates.

    Parameters
    ----------
    window : array of shape (n_series, window, n_features)
    prediction : array of shape (n_series, n_targets)
    covariates : array of shape (n_series, n_features - n_targets)
        Known values of the other columns at the new step (width 0 when there are none).
    order : array of int, shape (n_features,)
        From :func:`feature_order`.
    xp : module
        Array namespace with ``concatenate`` and ``take``.

    Returns
    -------
    array of shape (n_series, window, n_features)

    Examples
    --------
    >>> w = np.arange(6.0).reshape(1, 3, 2)
    >>> advance(w, np.array([[9.0]]), np.array([[7.0]]), feature_order(2, [0]))[0].tolist()
    [[2.0, 3.0], [4.0, 5.0], [9.0, 7.0]]
    """
    row = next_row(prediction, covariates, order, xp=xp)
    return xp.concatenate([window[:, 1:, :], row[:, None, :]], axis=1)


def recursive(
    step: Callable[[np.ndarray], np.ndarray],
    windows: np.ndarray,
    horizon: int,
    *,
    targets: Sequence[int],
    covariates: np.ndarray | None = None,
) -> np.ndarray:
    """Forecast ``horizon`` steps from each start window, feeding predictions back.

    Parameters
    ----------
    step : callable
        Maps windows ``(n_series, window, n_features)`` to next-step predictions
        ``(n_series, n_targets)`` (a Keras model's first output step, a scikit-learn
        pipeline, or ``lambda x: x[:, -1, :]`` in a test).
    windows : ndarray of shape (n_series, window, n_features)
    horizon : int
    targets : sequence of int
        Positions of the predicted columns among the features.
    covariates : ndarray of shape (n_series, horizon, n_features - n_targets), optional
        Known future values of the other columns; required when there are any.

    Returns
    -------
    ndarray of shape (n_series, horizon, n_targets)

    Examples
    --------
    >>> w = np.array([[[1.0], [2.0]]])
    >>> recursive(lambda x: x[:, -1, :] + 1, w, 3, targets=[0])[0, :, 0].tolist()
    [3.0, 4.0, 5.0]
    """
    n_series, _, n_features = windows.shape
    order = feature_order(n_features, targets)
    if covariates is None:
        covariates = np.zeros((n_series, horizon, n_features - len(targets)), windows.dtype)
    out = []
    window = windows
    for k in range(horizon):
        prediction = np.asarray(step(window)).reshape(n_series, len(targets))
        out.append(prediction)
        if k + 1 < horizon:
            window = advance(window, prediction.astype(window.dtype), covariates[:, k], order)
    return np.stack(out, axis=1)
