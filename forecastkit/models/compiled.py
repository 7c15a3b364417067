"""Compiled recursion: the whole horizon in one XLA-compiled graph call.

The loop body is :func:`forecastkit.strategies.recursive.advance`, the same step the NumPy
driver uses, run here inside ``tf.while_loop`` over a batch of start windows. One call
forecasts every series (or backtest origin) at once; there is no ``model.predict`` per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp

from forecastkit.strategies.recursive import advance, feature_order

__all__ = ["CompiledPredict", "CompiledRecursion"]


class CompiledRecursion:
    """Recursive forecaster over a one-step Keras model, compiled once per horizon.

    Parameters
    ----------
    model : keras.Model
        Maps ``(batch, window, n_features)`` to ``(batch, >=1, n_targets)``; step 0 is used.
    targets : sequence of int
        Positions of the predicted columns among the features.
    jit_compile : bool, default=True
        Compile with XLA (much faster on CPU for small recurrent networks).

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> model = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,))
    >>> rec = CompiledRecursion(model, targets=[0])
    >>> rec(np.zeros((2, 4, 1), "float32"), horizon=5).shape
    (2, 5, 1)
    """

    def __init__(self, model: keras.Model, targets: Sequence[int], *, jit_compile: bool = True):
        self.model = model
        self.targets = list(targets)
        self.jit_compile = jit_compile
        self._functions: dict[int, tf.types.experimental.GenericFunction] = {}

    def _function(self, horizon: int):
        if horizon not in self._functions:
            model, n_targets = self.model, len(self.targets)
            n_features = model.input_shape[-1]
            order = tf.constant(feature_order(n_features, self.targets))

            def run(windows, covariates):
                def body(k, window, out):
                    prediction = model(window, training=False)[:, 0, :]
                    out = out.write(k, prediction)
                    window = advance(window, prediction, covariates[:, k], order, xp=tnp)
                    return k + 1, window, out

                out = tf.TensorArray(tf.float32, size=horizon, element_shape=None)
                _, _, out = tf.while_loop(
                    lambda k, *_: k < horizon, body, (tf.constant(0), windows, out)
                )
                stacked = out.stack()  # (horizon, batch, n_targets)
                return tf.reshape(tf.transpose(stacked, (1, 0, 2)), (-1, horizon, n_targets))

            self._functions[horizon] = tf.function(run, jit_compile=self.jit_compile)
        return self._functions[horizon]

    def __call__(
        self, windows: np.ndarray, horizon: int, covariates: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecast ``(n_series, horizon, n_targets)`` from windows ``(n_series, window, f)``.

        ``covariates`` (n_series, horizon, n_features - n_targets) are the known future
        values of the non-target columns (the last row is never needed).
        """
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        n_series, _, n_features = windows.shape
        if covariates is None:
            covariates = np.zeros((n_series, horizon, n_features - len(self.targets)), np.float32)
        covariates = np.ascontiguousarray(covariates, dtype=np.float32)
        result = self._function(horizon)(tf.constant(windows), tf.constant(covariates))
        return result.numpy()


class CompiledPredict:
    """``model(x)`` compiled once with XLA; batches of any size, no ``model.predict`` overhead.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> model = build_regressor(window=4, n_features=1, horizon=2, n_targets=1, units=(3,))
    >>> CompiledPredict(model)(np.zeros((5, 4, 1), "float32")).shape
    (5, 2, 1)
    """

    def __init__(self, model: keras.Model, *, jit_compile: bool = True, chunk: int = 65536):
        self.model = model
        self.chunk = chunk
        self._function = tf.function(
            lambda x: model(x, training=False), jit_compile=jit_compile, reduce_retracing=True
        )

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """Predict ``(n_samples, horizon, n_targets)`` from ``(n_samples, window, f)``."""
        windows = np.asarray(windows, dtype=np.float32)
        if len(windows) == 0:
            return np.zeros((0, *self.model.output_shape[1:]), np.float32)
        parts = [
            self._function(tf.constant(windows[i : i + self.chunk])).numpy()
            for i in range(0, len(windows), self.chunk)
        ]
        return np.concatenate(parts, axis=0)
