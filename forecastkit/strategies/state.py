"""State-carrying recursion: read the context once, then one step per forecast step.

A sequence-to-sequence network predicts the next value at every position of its input, so
after reading a context window its state holds everything the next prediction needs: each
forecast step feeds the prediction back as the next input row and advances the state by
ONE step (``window + horizon`` steps in all, where :func:`~.recursive.recursive` re-reads
the whole window for every step ahead). Arrays in, arrays out; no Keras. The compiled
twin is :class:`forecastkit.models.compiled.StateRecursion`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from forecastkit.strategies.recursive import feature_order, next_row

__all__ = ["carried"]


def carried(
    step: Callable[[np.ndarray, object], tuple[np.ndarray, object]],
    state,
    windows: np.ndarray,
    horizon: int,
    *,
    targets: Sequence[int],
    covariates: np.ndarray | None = None,
) -> np.ndarray:
    """Forecast ``horizon`` steps from each context window, carrying the state forward.

    Parameters
    ----------
    step : callable
        ``step(rows, state) -> (predictions, state)``: one time step of the network for rows
        ``(n_series, n_features)``, predicting the next values ``(n_series, n_targets)``.
    state : object
        The initial state (e.g. zeros), passed to the first ``step``.
    windows : ndarray of shape (n_series, window, n_features)
        The context, read once step by step.
    horizon : int
    targets : sequence of int
        Positions of the predicted columns among the features.
    covariates : ndarray of shape (n_series, horizon, n_features - n_targets), optional
        Known future values of the other columns (the last row is never needed).

    Returns
    -------
    ndarray of shape (n_series, horizon, n_targets)

    Examples
    --------
    A running sum as the "state", predicting the mean of what it read:

    >>> def step(rows, state):
    ...     total, n = state
    ...     total, n = total + rows, n + 1
    ...     return total / n, (total, n)
    >>> w = np.array([[[1.0], [3.0]]])
    >>> carried(step, (0.0, 0), w, 2, targets=[0])[0, :, 0].tolist()
    [2.0, 2.0]
    """
    n_series, n_steps, n_features = windows.shape
    order = feature_order(n_features, targets)
    if covariates is None:
        covariates = np.zeros((n_series, horizon, n_features - len(targets)), windows.dtype)
    prediction = None
    for t in range(n_steps):
        prediction, state = step(windows[:, t], state)
    out = []
    for k in range(horizon):
        prediction = np.asarray(prediction).reshape(n_series, len(targets))
        out.append(prediction)
        if k + 1 < horizon:
            row = next_row(prediction.astype(windows.dtype), covariates[:, k], order)
            prediction, state = step(row, state)
    return np.stack(out, axis=1)
