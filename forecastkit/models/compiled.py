"""Compiled recursion: the whole horizon in XLA-compiled graph calls.

The loop body is :func:`forecastkit.strategies.recursive.advance`, the same step the NumPy
driver uses, run here inside ``tf.while_loop`` over a batch of start windows. One call
forecasts a batch of series (or backtest origins) at once; there is no ``model.predict``
per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp

from forecastkit.models.builders import sequence_stacks
from forecastkit.models.fused import fused_twin
from forecastkit.strategies.recursive import advance, feature_order, next_row

__all__ = [
    "BUCKETS",
    "CHUNK",
    "UNROLL_FROM",
    "CompiledPredict",
    "CompiledRecursion",
    "StateRecursion",
    "unrolled_twin",
]

#: Windows up to this many steps run through an unrolled twin of the network (see
#: :func:`unrolled_twin`); longer ones keep the recurrent loop (unrolling grows the graph).
MAX_UNROLL = 64


def _set_unroll(config):
    if isinstance(config, dict):
        if config.get("class_name") in ("LSTM", "GRU", "SimpleRNN"):
            config["config"]["unroll"] = True
        for value in config.values():
            _set_unroll(value)
    elif isinstance(config, list):
        for value in config:
            _set_unroll(value)


def unrolled_twin(model: keras.Model, *, max_steps: int = MAX_UNROLL) -> keras.Model:
    """Return a twin of ``model`` whose recurrent loops are unrolled, or ``model`` itself.

    Unrolling turns the recurrent loop over a short window into straight-line code that XLA
    fuses: the batched recursion (backtests, many series) runs about 3-4 times faster on CPU
    with the same numbers (to float32 rounding). Models with windows longer than
    ``max_steps`` (or an unknown length, or stateful layers) are returned unchanged. A
    single network's twin is a copy that shares nothing with ``model``: its weights are
    copied once, so build it after training. An ensemble gets its
    :func:`~forecastkit.models.fused.fused_twin` with the loop unrolled instead: every
    member in one straight-line program (about a third of the compile of the members' own
    unrolled layers), reading the members' weights.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> model = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,))
    >>> twin = unrolled_twin(model)
    >>> twin is model, twin.layers[1].unroll
    (False, True)
    """
    steps = model.input_shape[1] if len(model.input_shape) == 3 else None
    stateful = any(getattr(layer, "stateful", False) for layer in model.layers)
    if steps is None or steps > max_steps or stateful:
        return model
    fused = fused_twin(model, unroll=True)  # an ensemble: all members in one unrolled loop
    if fused is not model:
        return fused
    config = model.get_config()
    _set_unroll(config)
    twin = model.__class__.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


#: Forecast steps per compiled call: one program serves every horizon (the loop runs the
#: steps asked for, up to this many; longer horizons run in chunks, carrying the window).
CHUNK = 128

#: Batch sizes compiled: a batch runs padded to the smallest compiled size that holds it
#: (see :meth:`CompiledRecursion.bucket`); larger batches run in pieces of the last size.
BUCKETS = (1, 8, 32, 256)

#: Batches of this many windows (the bucket of 256: backtests with many origins) run
#: through an unrolled twin: 4x faster warm than the rolled program for 1,000 origins
#: (0.06 s against 0.22-0.28 s, ``bench/backtest_speed.py``), for 8-12 s of compile at the
#: first such call, which only calls of more than 32 windows pay.
UNROLL_FROM = 256


def _inputs(windows, horizon, covariates, n_targets: int):
    """Windows and covariates as contiguous float32 (zero-width covariates when none)."""
    windows = np.ascontiguousarray(windows, dtype=np.float32)
    n_series, _, n_features = windows.shape
    horizon = int(horizon)
    if covariates is None:
        covariates = np.zeros((n_series, horizon, n_features - n_targets), np.float32)
    return windows, np.ascontiguousarray(covariates, dtype=np.float32), horizon


class CompiledRecursion:
    """Recursive forecaster over a one-step Keras model: few XLA programs, compiled early.

    One program per batch size of :data:`BUCKETS` (rows padded up to it) runs up to
    :data:`CHUNK` steps of the recursion in one ``tf.while_loop`` whose trip count is an
    argument, so the same program serves every horizon and every number of windows (larger
    batches in pieces of 32, longer horizons in chunks). :meth:`warm_up` compiles the
    programs a Forecaster needs at the end of ``fit`` and at ``load``, so that the first
    forecast runs warm (``docs/benchmarks.md``, "Forecast speed and cold start"). An
    ensemble's rolled programs run through its :func:`~forecastkit.models.fused.fused_twin`
    (all members in one recurrent loop, reading the members' own weights); the unrolled
    ones through :func:`unrolled_twin`.

    Parameters
    ----------
    model : keras.Model
        Maps ``(batch, window, n_features)`` to ``(batch, >=1, n_targets)``; step 0 is used.
    targets : sequence of int
        Positions of the predicted columns among the features.
    jit_compile : bool, default=True
        Compile with XLA (much faster on CPU for small recurrent networks).
    unroll_from : int or None, default=UNROLL_FROM
        Batches padded to at least this many windows run through an :func:`unrolled_twin`
        of the model (short windows only). On CPU it is no faster for batches up to 32
        windows, about 1.4x faster for 128 and 4x for pieces of 256, but it costs 8-12 s of
        XLA compile per program instead of about 2 s: only the largest bucket uses it by
        default. None never unrolls.
    buckets : sequence of int, default=BUCKETS
        Batch sizes compiled, ascending.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> model = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,))
    >>> rec = CompiledRecursion(model, targets=[0])
    >>> rec(np.zeros((2, 4, 1), "float32"), horizon=5).shape
    (2, 5, 1)
    """

    def __init__(
        self,
        model: keras.Model,
        targets: Sequence[int],
        *,
        jit_compile: bool = True,
        unroll_from: int | None = UNROLL_FROM,
        buckets: Sequence[int] = BUCKETS,
    ):
        self.model = model
        self.unroll_from = unroll_from
        self._twin: keras.Model | None = None
        self._fused: keras.Model | None = None
        self.targets = list(targets)
        self.jit_compile = jit_compile
        self.buckets = tuple(sorted(int(b) for b in buckets))
        self._functions: dict[tuple[int, bool], tf.types.experimental.GenericFunction] = {}
        self._compiled: set[tuple[int, bool]] = set()

    def _unrolled(self, batch: int) -> bool:
        return self.unroll_from is not None and batch >= self.unroll_from

    def bucket(self, n: int) -> int:
        """Batch size that ``n`` windows (at most the largest bucket) run padded to.

        The smallest bucket holding ``n`` that is compiled already and at most 4 times the
        smallest one holding ``n`` (so that no call compiles where a program of a similar
        size can serve it, and one window never runs padded to 32); else the smallest
        bucket holding ``n`` (compiled at this call).
        """
        fitting = [b for b in self.buckets if b >= n] or [self.buckets[-1]]
        for b in fitting:
            if b <= 4 * fitting[0] and (b, self._unrolled(b)) in self._compiled:
                return b
        return fitting[0]

    def _function(self, batch: int, unrolled: bool = False):
        if (batch, unrolled) not in self._functions:
            if unrolled and self._twin is None:
                self._twin = unrolled_twin(self.model)
            if self._fused is None:
                self._fused = fused_twin(self.model)  # an ensemble: one pass for all members
            # A window too long to unroll keeps the rolled (fused) network.
            model = self._twin if unrolled and self._twin is not self.model else self._fused
            n_targets = len(self.targets)
            n_features = model.input_shape[-1]
            order = tf.constant(feature_order(n_features, self.targets))

            def run(windows, covariates, steps):
                def body(k, window, out):
                    # float32 whatever the dtype policy (mixed_float16 outputs float16)
                    prediction = tf.cast(model(window, training=False)[:, 0, :], tf.float32)
                    out = tf.tensor_scatter_nd_update(out, tf.reshape(k, (1, 1)), prediction[None])
                    window = advance(window, prediction, covariates[:, k], order, xp=tnp)
                    return k + 1, window, out

                out = tf.zeros((CHUNK, batch, n_targets), tf.float32)
                _, window, out = tf.while_loop(
                    lambda k, *_: k < steps,
                    body,
                    (tf.constant(0), windows, out),
                    maximum_iterations=CHUNK,
                )
                return tf.transpose(out, (1, 0, 2)), window  # (batch, CHUNK, n_targets)

            self._functions[batch, unrolled] = tf.function(run, jit_compile=self.jit_compile)
        return self._functions[batch, unrolled]

    def warm_up(
        self, batches: Sequence[int] = (1,), window: int | None = None, *, unrolled=()
    ) -> None:
        """Compile (and run once) the programs of ``batches`` windows, ahead of real calls.

        Each distinct program costs one XLA compile (about 2 s on one CPU core for one
        LSTM(32)); afterwards forecasts of any horizon run warm. ``unrolled``: batch
        sizes that also get a program of the :func:`unrolled_twin` (short windows only),
        used for calls of exactly that many windows: 2-3x faster warm for batches of
        100+ windows, but 8-12 s of compile each. ``window`` is the window length
        (default: the model's input length).
        """
        window = int(window or self.model.input_shape[1])
        n_features = self.model.input_shape[-1]
        for n in batches:
            self(np.zeros((int(n), window, n_features), np.float32), 1)
        n_covariates = n_features - len(self.targets)
        for n in unrolled:
            if self._twin is None:
                self._twin = unrolled_twin(self.model)
            if self._twin is not self.model:
                zeros = np.zeros((int(n), window, n_features), np.float32)
                cov = np.zeros((int(n), 1, n_covariates), np.float32)
                self._piece(zeros, cov, 1, batch=int(n), unrolled=True)

    def _piece(
        self,
        windows: np.ndarray,
        covariates: np.ndarray,
        horizon: int,
        *,
        batch: int | None = None,
        unrolled: bool | None = None,
    ) -> np.ndarray:
        n = len(windows)
        batch = self.bucket(n) if batch is None else batch
        unrolled = self._unrolled(batch) if unrolled is None else unrolled
        function = self._function(batch, unrolled)
        if batch > n:
            pad = ((0, batch - n), (0, 0), (0, 0))
            windows, covariates = np.pad(windows, pad), np.pad(covariates, pad)
        window, parts = tf.constant(windows), []
        for start in range(0, horizon, CHUNK):
            steps = min(CHUNK, horizon - start)
            chunk = covariates[:, start : start + steps]
            if steps < CHUNK:
                chunk = np.pad(chunk, ((0, 0), (0, CHUNK - steps), (0, 0)))
            out, window = function(window, tf.constant(chunk), tf.constant(steps, tf.int32))
            parts.append(out.numpy()[:n, :steps])
        self._compiled.add((batch, unrolled))
        return np.concatenate(parts, axis=1)

    def __call__(
        self, windows: np.ndarray, horizon: int, covariates: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecast ``(n_series, horizon, n_targets)`` from windows ``(n_series, window, f)``.

        ``covariates`` (n_series, horizon, n_features - n_targets) are the known future
        values of the non-target columns (the last row is never needed).
        """
        windows, covariates, horizon = _inputs(windows, horizon, covariates, len(self.targets))
        n_series = len(windows)
        if n_series == 0 or horizon == 0:
            return np.zeros((n_series, horizon, len(self.targets)), np.float32)
        if (n_series, True) in self._compiled:  # an unrolled program of this size (warm_up)
            return self._piece(windows, covariates, horizon, batch=n_series, unrolled=True)
        # pieces of the largest bucket the call fills: 100 windows run in pieces of 32 (a
        # program fit/load compiled), 1,000 in pieces of 256 (the unrolled one)
        size = max([b for b in self.buckets if b <= n_series] or self.buckets[:1])
        parts = [
            self._piece(windows[i : i + size], covariates[i : i + size], horizon)
            for i in range(0, n_series, size)
        ]
        return np.concatenate(parts, axis=0)


class StateRecursion:
    """State-carrying forecaster over a sequence-to-sequence network, one graph call.

    Reads each context window once through the recurrent cells (``window`` cell steps per
    layer), then advances ONE cell step per forecast step, feeding each prediction back
    with the known covariates of that step: ``window + horizon - 1`` steps in all, not
    ``window x horizon``. The network is :func:`~forecastkit.models.builders.build_regressor`
    with ``sequences=True`` (found layer by layer by
    :func:`~forecastkit.models.builders.sequence_stacks`; a ValueError for anything else);
    an ensemble carries each member's state and feeds back the members' mean. The loop is
    the NumPy driver :func:`forecastkit.strategies.state.carried` written as one
    ``tf.while_loop`` (the context rows, then the fed-back ones), batched over all windows.
    Without XLA, one graph serves every batch size, window length and horizon (traced once,
    at the first call); with XLA, one function per horizon (compiled per shape).

    Parameters
    ----------
    model : keras.Model
        Maps ``(batch, steps, n_features)`` to the next values at every position,
        ``(batch, steps, n_targets)``.
    targets : sequence of int
        Positions of the predicted columns among the features.
    jit_compile : bool, default=False
        Compile with XLA: much faster warm calls (one series, 100 steps: about 2 ms against
        about 30 ms), but about a second of compiling at the first call of every shape
        (``docs/benchmarks.md``, "State-carrying recursion"). Off by default, so the
        first forecast costs a trace (a few tenths of a second) and no compile.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> model = build_regressor(
    ...     window=None, n_features=1, horizon=1, n_targets=1, units=(3,), sequences=True
    ... )
    >>> StateRecursion(model, targets=[0])(np.zeros((2, 4, 1), "float32"), horizon=5).shape
    (2, 5, 1)
    """

    def __init__(self, model: keras.Model, targets: Sequence[int], *, jit_compile: bool = False):
        self.model = model
        self.stacks = sequence_stacks(model)
        self.targets = list(targets)
        self.jit_compile = jit_compile
        self._functions: dict[int | None, tf.types.experimental.GenericFunction] = {}

    def initial_state(self, batch) -> list:
        """Zero states of every member's layers for ``batch`` rows."""
        return [
            [layer.cell.get_initial_state(batch) for layer in layers] for layers, _ in self.stacks
        ]

    def step(self, rows, state) -> tuple:
        """One cell step of every layer of every member: ``(members' mean prediction, state)``."""
        predictions, new_state = [], []
        for (layers, head), member in zip(self.stacks, state, strict=True):
            x, carried = rows, []
            for layer, cell_state in zip(layers, member, strict=True):
                x, cell_state = layer.cell(x, cell_state, training=False)
                nested = isinstance(cell_state, list | tuple)
                carried.append(list(cell_state) if nested else [cell_state])
            predictions.append(head(x))
            new_state.append(carried)
        prediction = predictions[0]
        for other in predictions[1:]:  # as keras.layers.Average: a running sum, then / n
            prediction = prediction + other
        if len(predictions) > 1:
            prediction = prediction / len(predictions)
        return prediction, new_state

    def _function(self, horizon: int):
        """Return the graph of ``horizon`` (XLA), or the one graph of all horizons (no XLA)."""
        key = horizon if self.jit_compile else None
        if key not in self._functions:
            n_targets = len(self.targets)
            n_features = self.model.input_shape[-1]
            order = tf.constant(feature_order(n_features, self.targets))

            def run(windows, covariates, horizon):
                batch = tf.shape(windows)[0]
                steps = tf.shape(windows)[1]
                sequence = tf.transpose(windows, (1, 0, 2))  # (steps, batch, n_features)
                future = tf.transpose(covariates, (1, 0, 2))  # (horizon, batch, n_covariates)
                total = steps + horizon - 1  # cell steps: the window, then one per step ahead

                def body(t, prediction, state, out):
                    # Row t: the context while t < steps, then the last prediction fed back
                    # with the covariates of its step (one loop body: traced once).
                    fed = next_row(prediction, future[tf.maximum(t - steps, 0)], order, xp=tnp)
                    rows = tf.where(t < steps, sequence[tf.minimum(t, steps - 1)], fed)
                    prediction, state = self.step(rows, state)
                    return t + 1, prediction, state, out.write(t, prediction)

                first = tf.zeros((batch, n_targets), windows.dtype)
                out = tf.TensorArray(windows.dtype, size=total, element_shape=None)
                _, _, _, out = tf.while_loop(
                    lambda t, *_: t < total,
                    body,
                    (tf.constant(0), first, self.initial_state(batch), out),
                )
                stacked = out.stack()[steps - 1 :]  # (horizon, batch, n_targets)
                return tf.reshape(tf.transpose(stacked, (1, 0, 2)), (-1, horizon, n_targets))

            if self.jit_compile:  # XLA: a static horizon (the TensorArray's size)
                self._functions[key] = tf.function(
                    lambda w, c: run(w, c, horizon), jit_compile=True, reduce_retracing=True
                )
            else:
                n_covariates = n_features - n_targets
                self._functions[key] = tf.function(
                    run,
                    input_signature=[
                        tf.TensorSpec((None, None, n_features), tf.float32),
                        tf.TensorSpec((None, None, n_covariates), tf.float32),
                        tf.TensorSpec((), tf.int32),
                    ],
                )
        return self._functions[key]

    def warm_up(self, window: int) -> None:
        """Trace (and run once) the graph, so that the first real forecast runs warm.

        Without XLA the one graph serves every batch size, window and horizon: a call on
        one zero window of ``window`` steps, 2 steps ahead, does the tracing (a few tenths
        of a second) ahead of time, e.g. at the end of ``fit``. With XLA it compiles that
        shape only, which real calls rarely share: nothing is done.
        """
        if not self.jit_compile:
            self(np.zeros((1, int(window), self.model.input_shape[-1]), np.float32), 2)

    def __call__(
        self, windows: np.ndarray, horizon: int, covariates: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecast ``(n_series, horizon, n_targets)`` from windows ``(n_series, window, f)``.

        ``covariates`` (n_series, horizon, n_features - n_targets) are the known future
        values of the non-target columns (the last row is never needed).
        """
        windows, covariates, horizon = _inputs(windows, horizon, covariates, len(self.targets))
        arguments = [tf.constant(windows), tf.constant(covariates)]
        if not self.jit_compile:
            arguments.append(tf.constant(horizon, tf.int32))
        return self._function(horizon)(*arguments).numpy()


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
