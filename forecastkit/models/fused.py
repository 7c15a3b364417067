"""Run every member of an ensemble in one recurrent pass (training, compiled forecasts).

An ensemble of :func:`~forecastkit.models.builders.build_regressor` holds its members as
separate layers, which is what forecasting, saving and reading one member need. Trained that
way (:func:`~forecastkit.models.builders.training_model`), every member is its own
recurrent loop and every weight its own optimizer update: ``n_models`` loops and
``5 * n_models`` updates (one LSTM layer and a head each) to trace and to run at every step.
:func:`fused_trainer` copies the members' weights into one :class:`FusedMembers` layer that
holds each weight of all members in one variable, members on the leading axis, and runs one
loop per depth whose step multiplies every member at once (a batched matrix product): the
training graph and the optimizer's updates are those of one member, whatever ``n_models``.
:func:`write_members` copies the trained weights back into the members' layers, and
:func:`fused_twin` builds a fused view of an ensemble for forecasting (the members' mean,
reading the members' own variables), which the compiled recursion runs (its loop unrolled
for the large batches, ``unrolled_twin``).

The arithmetic is the Keras cells' (LSTM, GRU with ``reset_after``, SimpleRNN; tanh and
sigmoid activations, biases), so a fused trainer's outputs and gradients equal the layer by
layer trainer's to float32 rounding at every step (trained fits agree closely; rounding can
move an epoch of early stopping); :func:`fusable` says which networks qualify (no dropout,
no bidirectional layer, no constraint or regularizer, Keras's default activations) and the
others train layer by layer. The fused trainer is what Keras callbacks see during an
ensemble's fit (a model with one input per member and the ``members`` layer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from forecastkit.models.builders import CELLS, member_layers

__all__ = ["FusedMembers", "fusable", "fused_trainer", "fused_twin", "write_members"]

_STEPS = re.compile(r"^m(\d+)_steps$")
_GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _unconstrained(layer) -> bool:
    """Tell whether ``layer`` is trainable with no constraint, regularizer or extra loss.

    A fused trainer computes the same outputs, but it neither adds regularization losses
    nor applies constraints: such networks train member by member.
    """
    names = ("kernel", "recurrent", "bias")
    extras = [
        getattr(layer, f"{n}_{kind}", None) for n in names for kind in ("constraint", "regularizer")
    ]
    extras.append(getattr(layer, "activity_regularizer", None))
    return layer.trainable and all(extra is None for extra in extras)


def _plain_cell(layer, cell: str) -> bool:
    """Tell whether ``layer`` computes what :class:`FusedMembers` computes for ``cell``."""
    if type(layer) is not CELLS[cell]:
        return False
    inner = layer.cell
    plain = (
        inner.use_bias
        and _unconstrained(layer)
        and _unconstrained(inner)
        and inner.activation is keras.activations.tanh
        and not layer.stateful
        and not layer.go_backwards
        and not layer.unroll
        and inner.dropout == 0
        and inner.recurrent_dropout == 0
    )
    if cell != "rnn":
        plain = plain and inner.recurrent_activation is keras.activations.sigmoid
    if cell == "gru":
        plain = plain and inner.reset_after
    return bool(plain)


def fusable(model: keras.Model) -> tuple[list[list], list] | None:
    """Return an ensemble's recurrent layers and heads if one fused pass can train it.

    ``model`` is a :func:`~forecastkit.models.builders.build_regressor` ensemble: members
    ``m<k>_`` of the same cell and units, each a stack of plain recurrent layers (see
    :class:`FusedMembers`) and a Dense head. Returns ``(stacks, heads)``, member by member,
    or None for anything else (one network, dropout, a bidirectional layer, a
    non-default activation), which then trains layer by layer.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> net = build_regressor(
    ...     window=4, n_features=1, horizon=1, n_targets=1, units=(3,), n_models=2
    ... )
    >>> stacks, heads = fusable(net)
    >>> [[layer.name for layer in stack] for stack in stacks], [h.name for h in heads]
    ([['m0_lstm_0'], ['m1_lstm_0']], ['m0_head', 'm1_head'])
    >>> fusable(build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,)))
    """
    members, others = member_layers(model)
    for layer in others:
        steps = isinstance(layer, keras.layers.Reshape) and _STEPS.match(layer.name)
        if not (isinstance(layer, keras.layers.InputLayer | keras.layers.Average) or steps):
            return None
    if len(members) < 2 or None in members or sorted(members) != list(range(len(members))):
        return None
    cells = set().union(*(m.cells for m in members.values()))
    if len(cells) != 1:
        return None
    (cell,) = cells
    stacks, heads = [], []
    for k in range(len(members)):
        stack, head = members[k].stack(), members[k].head
        if not stack or head is None or not all(_plain_cell(layer, cell) for layer in stack):
            return None
        linear = getattr(head, "activation", None) is keras.activations.linear
        if not (type(head) is keras.layers.Dense and linear and head.use_bias):
            return None
        if not _unconstrained(head):
            return None
        stacks.append(stack)
        heads.append(head)
    shapes = {tuple(layer.units for layer in stack) for stack in stacks}
    last = [stack[-1].return_sequences for stack in stacks]
    inner = [layer.return_sequences for stack in stacks for layer in stack[:-1]]
    if len(shapes) != 1 or len(set(last)) != 1 or not all(inner):
        return None
    if len({head.units for head in heads}) != 1:
        return None
    return stacks, heads


@keras.saving.register_keras_serializable(package="forecastkit")
class FusedMembers(keras.layers.Layer):
    """The members of an ensemble side by side: one recurrent loop per depth, one head.

    Called on a list of ``n_members`` batches ``(batch, steps, n_features)``, member ``k``
    reading the ``k``-th, it returns what
    :func:`~forecastkit.models.builders.training_model`'s layer by layer network returns:
    the members' outputs side by side on the last axis, ``(batch, horizon, n_members *
    n_targets)`` (``(batch, steps, n_members * n_targets)`` for a sequence network). Each
    weight holds every member's on its leading axis, in the order of one member's layers'
    weights (per depth kernel, recurrent kernel, bias; then the head's kernel and bias), so
    ``[w[k] for w in layer.get_weights()]`` are member ``k``'s weights.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}
    units : sequence of int
        Units per recurrent layer, bottom to top.
    n_members, n_features : int
    horizon, n_targets : int
        The head's outputs are ``horizon * n_targets`` per member, reshaped to
        ``(horizon, n_targets)``; a sequence network has ``horizon=1`` and one row per step.
    sequences : bool, default=False
        The last recurrent layer returns its sequence and the head reads every position.
    average : bool, default=False
        Return the members' mean, ``(batch, horizon, n_targets)``, instead of their outputs
        side by side (what the ensemble forecasts; :func:`fused_twin`).
    sources : sequence of sequence of keras.Variable, optional
        Per member, its weight variables in the order above: the layer then has no weights
        of its own and stacks these at every call (a view of the members, for forecasting;
        it cannot be trained as one or saved). None: weights of its own (a trainer).
    unroll : bool, default=False
        Unroll the loop over a known number of steps into straight-line code (what XLA
        fuses best for large batches of short windows; slower to train, see
        ``docs/benchmarks.md``, "Session 15").

    Called on one batch instead of a list, every member reads that batch.

    Examples
    --------
    >>> layer = FusedMembers(
    ...     cell="lstm", units=(3,), n_members=2, n_features=1, horizon=2, n_targets=1
    ... )
    >>> y = layer([keras.ops.ones((5, 4, 1)), keras.ops.ones((5, 4, 1))])
    >>> tuple(y.shape), [tuple(w.shape) for w in layer.weights]
    ((5, 2, 2), [(2, 1, 12), (2, 3, 12), (2, 12), (2, 3, 2), (2, 2)])
    """

    def __init__(
        self,
        *,
        cell: str,
        units: Sequence[int],
        n_members: int,
        n_features: int,
        horizon: int,
        n_targets: int,
        sequences: bool = False,
        average: bool = False,
        sources: Sequence[Sequence] | None = None,
        unroll: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.average = bool(average)
        self.cell = cell
        self.units = tuple(int(u) for u in units)
        self.n_members, self.n_features = int(n_members), int(n_features)
        self.horizon, self.n_targets = int(horizon), int(n_targets)
        self.sequences = bool(sequences)
        self.unroll = bool(unroll)
        self._sources = sources is not None
        if sources is not None:
            # Read the members' own variables at every call (never a stale copy). A
            # closure, so that Keras does not track them as this layer's weights.
            members = [list(variables) for variables in sources]
            self._read = lambda: [
                tf.stack([tf.convert_to_tensor(m[i].value) for m in members])
                for i in range(len(members[0]))
            ]
            return
        gates = _GATES[cell]
        n, below = self.n_members, self.n_features
        own = []
        for i, u in enumerate(self.units):
            own += [
                self.add_weight((n, below, gates * u), initializer="zeros", name=f"kernel_{i}"),
                self.add_weight((n, u, gates * u), initializer="zeros", name=f"recurrent_{i}"),
                self.add_weight(
                    (n, 2, gates * u) if cell == "gru" else (n, gates * u),
                    initializer="zeros",
                    name=f"bias_{i}",
                ),
            ]
            below = u
        outputs = self.horizon * self.n_targets
        own.append(self.add_weight((n, below, outputs), initializer="zeros", name="head"))
        own.append(self.add_weight((n, outputs), initializer="zeros", name="head_bias"))
        self._read = lambda: [tf.convert_to_tensor(w.value) for w in own]

    def get_config(self):
        """Return the layer's arguments (a layer that reads its ``sources`` has none)."""
        if self._sources:
            raise TypeError(
                "A FusedMembers layer built on `sources` reads another model's weights and "
                "cannot be saved: save that model instead."
            )
        return {
            **super().get_config(),
            "cell": self.cell,
            "units": list(self.units),
            "n_members": self.n_members,
            "n_features": self.n_features,
            "horizon": self.horizon,
            "n_targets": self.n_targets,
            "sequences": self.sequences,
            "average": self.average,
            "unroll": self.unroll,
        }

    def _depth(self, x, weights, *, sequences: bool):
        """Run one depth of every member on ``x`` ``(steps, n, batch, features)``.

        ``x`` of shape ``(steps, batch, features)``: every member reads the same input.
        """
        kernel, recurrent, bias = weights
        units = recurrent.shape[1]
        if self.cell == "gru":
            x_bias, h_bias = bias[:, 0][:, None], bias[:, 1][:, None]
        else:
            x_bias, h_bias = bias[:, None], None
        if len(x.shape) == 3:  # one input for all members: (steps, 1, batch, features)
            x = x[:, None]
        h0 = tf.zeros(tf.stack([self.n_members, tf.shape(x)[2], units]), dtype=x.dtype)
        cell = self.cell

        def step(carry, x_t):
            # The input's share inside the step, as Keras's cells do: projecting every step
            # at once before the loop made training about 2x slower on CPU (measured).
            h = carry[0]
            outer = tf.matmul(x_t, kernel) + x_bias  # (n, batch, gates * units)
            inner = tf.matmul(h, recurrent)
            if cell == "lstm":
                i, f, g, o = tf.split(outer + inner, 4, axis=-1)
                c = tf.sigmoid(f) * carry[1] + tf.sigmoid(i) * tf.tanh(g)
                return (tf.sigmoid(o) * tf.tanh(c), c)
            if cell == "gru":
                x_z, x_r, x_h = tf.split(outer, 3, axis=-1)
                r_z, r_r, r_h = tf.split(inner + h_bias, 3, axis=-1)
                z = tf.sigmoid(x_z + r_z)
                r = tf.sigmoid(x_r + r_r)
                return (z * h + (1 - z) * tf.tanh(x_h + r * r_h),)
            return (tf.tanh(outer + inner),)

        init = (h0, h0) if cell == "lstm" else (h0,)
        if self.unroll and x.shape[0] is not None:  # straight-line code (see fused_twin)
            carry, outputs = init, []
            for t in range(x.shape[0]):
                carry = step(carry, x[t])
                outputs.append(carry[0])
            return tf.stack(outputs) if sequences else carry[0]
        if sequences:
            return tf.scan(step, x, initializer=init)[0]  # (steps, n, batch, units)
        return tf.foldl(step, x, initializer=init)[0]  # (n, batch, units)

    def call(self, inputs):
        """Return the members' outputs side by side (see the class docstring)."""
        if isinstance(inputs, list | tuple):
            x = tf.stack(list(inputs), axis=0)  # (n, batch, steps, features)
            x = tf.transpose(x, (2, 0, 1, 3))  # time first: (steps, n, batch, features)
        else:  # one batch for all: (steps, batch, features)
            x = tf.transpose(tf.convert_to_tensor(inputs), (1, 0, 2))
        values = self._read()  # per depth kernel, recurrent kernel, bias; then the head's
        depths = len(self.units)
        for i in range(depths):
            weights = values[3 * i : 3 * i + 3]
            x = self._depth(x, weights, sequences=self.sequences or i < depths - 1)
        kernel, bias = values[-2:]  # (n, units, outputs), (n, outputs)
        n, targets = self.n_members, self.n_targets
        if self.sequences:  # (steps, n, batch, units) -> (batch, steps, n, targets)
            y = tf.einsum("tnbu,nuo->btno", x, kernel) + bias
        else:
            y = tf.matmul(x, kernel) + bias[:, None]  # (n, batch, horizon * targets)
            y = tf.reshape(y, tf.stack([n, tf.shape(y)[1], self.horizon, targets]))
            y = tf.transpose(y, (1, 2, 0, 3))  # (batch, horizon, n, targets)
        if self.average:
            return tf.reduce_mean(y, axis=2)
        return tf.reshape(y, tf.concat([tf.shape(y)[:2], [n * targets]], axis=0))

    def compute_output_shape(self, input_shape):
        """Return ``(batch, horizon or steps, n_members * n_targets)`` (mean: n_targets)."""
        several = isinstance(input_shape, list | tuple) and isinstance(input_shape[0], list | tuple)
        first = input_shape[0] if several else input_shape
        steps = first[1] if self.sequences else self.horizon
        return (first[0], steps, self.n_targets * (1 if self.average else self.n_members))


def _member_weights(stacks, heads) -> list[list]:
    """Per member, its weight variables in :class:`FusedMembers`'s order."""
    return [
        [w for layer in stack for w in layer.weights] + list(head.weights)
        for stack, head in zip(stacks, heads, strict=True)
    ]


def _fused(model: keras.Model, *, average: bool, unroll: bool = False) -> keras.Model | None:
    """Build the fused network of ``model``'s members from their current weights (or None)."""
    found = fusable(model)
    if found is None:
        return None
    stacks, heads = found
    cell = next(name for name, kind in CELLS.items() if type(stacks[0][0]) is kind)
    window, n_features = model.inputs[0].shape[1:]
    _, steps, n_targets = model.output_shape
    sequences = bool(stacks[0][-1].return_sequences)
    n = len(stacks)
    layer = FusedMembers(
        cell=cell,
        units=[layer.units for layer in stacks[0]],
        n_members=n,
        n_features=n_features,
        horizon=1 if sequences else steps,
        n_targets=n_targets,
        sequences=sequences,
        average=average,
        unroll=unroll,
        sources=_member_weights(stacks, heads) if average else None,
        dtype=stacks[0][0].dtype_policy,
        name="members",
    )
    if average:
        inputs = keras.Input((window, n_features), name="window")
        fused = keras.Model(inputs, layer(inputs), name="forecastkit_fused_mean")
    else:
        inputs = [keras.Input((window, n_features), name=f"member_{k}") for k in range(n)]
        fused = keras.Model(inputs, layer(inputs), name="forecastkit_fused_members")
    if not average:  # a trainer starts from the members' weights, stacked
        members = _member_weights(stacks, heads)
        layer.set_weights(
            [np.stack([np.asarray(m[i]) for m in members]) for i in range(len(layer.weights))]
        )
    return fused


def fused_twin(model: keras.Model, *, unroll: bool = False) -> keras.Model:
    """Return a view of an ensemble that runs its members in one pass, or ``model`` itself.

    The view maps ``(batch, window, n_features)`` to the members' mean, as ``model`` does,
    through one :class:`FusedMembers` layer (one recurrent loop per depth for all members)
    that reads the members' own weight variables at every call (so it follows any change
    of them): what a compiled forecast runs for an ensemble, the same numbers to float32
    rounding. Networks that :func:`fusable` refuses are returned unchanged. ``unroll``:
    the loop over a known window unrolled (the compiled recursion's large batches,
    :func:`~forecastkit.models.compiled.unrolled_twin`).

    Examples
    --------
    >>> import numpy as np
    >>> from forecastkit.models.builders import build_regressor
    >>> net = build_regressor(
    ...     window=4, n_features=1, horizon=2, n_targets=1, units=(3,), n_models=3
    ... )
    >>> x = np.ones((2, 4, 1), "float32")
    >>> bool(np.allclose(fused_twin(net)(x), net(x), atol=1e-6))
    True
    """
    fused = _fused(model, average=True, unroll=unroll)
    return model if fused is None else fused


def fused_trainer(model: keras.Model) -> keras.Model | None:
    """Return a network that trains ``model``'s members in one pass, or None.

    For an ensemble that :func:`fusable` accepts: a model with one input per member (as
    :func:`~forecastkit.models.builders.training_model`'s, member ``k``'s named
    ``member_<k>``) and the members' outputs side by side on the last axis, whose one
    :class:`FusedMembers` layer starts from the members' current weights. Train it, then
    copy its weights back with :func:`write_members`. None for any other network (train
    it with ``training_model``).

    Examples
    --------
    >>> import numpy as np
    >>> from forecastkit.models.builders import build_regressor, training_model
    >>> net = build_regressor(
    ...     window=4, n_features=1, horizon=2, n_targets=1, units=(3,), n_models=2
    ... )
    >>> x = [np.ones((1, 4, 1), "float32"), np.zeros((1, 4, 1), "float32")]
    >>> fused = fused_trainer(net)
    >>> bool(np.allclose(fused(x), training_model(net)(x), atol=1e-6))
    True
    """
    return _fused(model, average=False)


def write_members(trainer: keras.Model, model: keras.Model) -> None:
    """Copy the weights of :func:`fused_trainer`'s ``trainer`` into ``model``'s members.

    Examples
    --------
    >>> from forecastkit.models.builders import build_regressor
    >>> net = build_regressor(
    ...     window=4, n_features=1, horizon=1, n_targets=1, units=(3,), n_models=2
    ... )
    >>> trainer = fused_trainer(net)
    >>> trainer.set_weights([w + 1 for w in trainer.get_weights()])
    >>> write_members(trainer, net)
    >>> float(net.get_layer("m1_head").bias.numpy()[0])
    1.0
    """
    stacks, heads = fusable(model) or ([], [])
    fused = trainer.get_layer("members").get_weights()
    members = _member_weights(stacks, heads)
    if len(members) != (fused[0].shape[0] if fused else 0) or any(
        len(m) != len(fused) for m in members
    ):
        raise ValueError("the trainer was not fused from this model's members")
    for k, variables in enumerate(members):
        for variable, values in zip(variables, fused, strict=True):
            variable.assign(values[k])
