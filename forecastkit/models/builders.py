"""Builders of stacked recurrent networks (Keras only; no pandas, no global state).

``units=(50, 100)`` means ``LSTM(50, return_sequences=True) -> LSTM(100) -> Dense``. Every
builder takes explicit arguments and a seed; weights are initialised from that seed alone,
so two builds with the same arguments are identical without touching global random state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import keras

from forecastkit.data.validation import check_number
from forecastkit.exceptions import ParameterError
from forecastkit.models.limits import MAX_LAYERS

__all__ = [
    "CELLS",
    "ENSEMBLE_LAYER",
    "MemberLayers",
    "build_classifier",
    "build_regressor",
    "build_sequence_regressor",
    "check_n_models",
    "check_units",
    "member_layers",
    "member_models",
    "n_members",
    "sequence_stacks",
    "training_model",
]

#: Name of the layer that averages an ensemble's members (see :func:`build_regressor`).
ENSEMBLE_LAYER = "ensemble_mean"
#: Seed offset between ensemble members: member ``k`` is seeded ``seed + k * MEMBER_SEED_STEP``
#: (apart from every offset one member's initialisers use).
MEMBER_SEED_STEP = 10007

#: Recurrent layer per ``cell`` name.
CELLS: dict[str, type[keras.layers.Layer]] = {
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "rnn": keras.layers.SimpleRNN,
}


def check_units(units) -> tuple[int, ...]:
    """Return ``units`` as a non-empty tuple of positive ints (an int means one layer)."""
    if isinstance(units, bool):
        units = None
    if isinstance(units, int) or hasattr(units, "__index__"):
        units = (int(units),)
    try:
        out = tuple(int(u) for u in units if not isinstance(u, bool) and int(u) == u)
        ok = len(out) == len(tuple(units)) and len(out) > 0 and min(out) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(
            f"`units` must be a positive int or a non-empty sequence of positive ints, one per "
            f"recurrent layer; got units={units!r}. For example units=(50, 100)."
        )
    return out


def _check_cell(cell: str) -> type[keras.layers.Layer]:
    if cell not in CELLS:
        raise ParameterError(f"`cell` must be one of {sorted(CELLS)}; got cell={cell!r}.")
    return CELLS[cell]


def _check_dropout(dropout: float) -> float:
    return check_number(dropout, name="dropout", low=0.0, high=1.0, example=0.2, include_low=True)


def _recurrent_stack(
    x,
    *,
    units: Sequence[int],
    cell: str,
    bidirectional: bool,
    dropout: float,
    seed: int,
    last_sequences: bool,
    stateful: bool = False,
    prefix: str = "",
):
    """Apply the recurrent layers to tensor ``x``; the last returns sequences if asked.

    ``prefix`` starts every layer name (ensemble members: ``"m1_"``, ...).
    """
    layer_cls = _check_cell(cell)
    units = check_units(units)
    dropout = _check_dropout(dropout)
    for i, n_units in enumerate(units):
        last = i == len(units) - 1
        layer = layer_cls(
            n_units,
            return_sequences=last_sequences or not last,
            stateful=stateful,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2 * i),
            recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 2 * i + 1),
            name=f"{prefix}{cell}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{prefix}bidirectional_{i}")
        x = layer(x)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=seed + 1000 + i, name=f"{prefix}dropout_{i}")(x)
    return x


def _head(x, units: int, *, seed: int, activation=None, prefix: str = ""):
    """Apply the output layer: Dense, seeded apart from the recurrent layers' initialisers."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 500),
        name=f"{prefix}head",
    )(x)


def _member_seed(seed: int, k: int) -> int:
    """Seed of ensemble member ``k`` (member 0: ``seed`` itself)."""
    return seed if k == 0 else (seed + k * MEMBER_SEED_STEP) % (2**31 - 1)


def build_regressor(
    *,
    window: int | None,
    n_features: int,
    horizon: int,
    n_targets: int,
    units: Sequence[int] = (50, 100),
    cell: str = "lstm",
    bidirectional: bool = False,
    dropout: float = 0.0,
    seed: int = 0,
    n_models: int = 1,
    sequences: bool = False,
) -> keras.Model:
    """Build a stacked recurrent regressor from windows to the next ``horizon`` steps.

    Parameters
    ----------
    window, n_features : int
        Input shape ``(window, n_features)``; ``window=None`` takes any number of steps.
    horizon, n_targets : int
        Output shape ``(horizon, n_targets)``: 1 step for the recursive strategy, the whole
        horizon at once for the direct (MIMO) strategy.
    units : sequence of int, default=(50, 100)
        Units per recurrent layer, bottom to top.
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    bidirectional : bool, default=False
    dropout : float, default=0.0
        Dropout after each recurrent layer.
    seed : int, default=0
        Seed of every initialiser and dropout layer.
    n_models : int, default=1
        Ensemble members: ``n_models`` networks of this architecture side by side on the
        same input, member ``k`` seeded ``seed + k * MEMBER_SEED_STEP`` (member 0 is the
        single network of ``n_models=1``, layer for layer), their outputs averaged by a
        ``keras.layers.Average`` layer named :data:`ENSEMBLE_LAYER`. Train the members with
        :func:`training_model` (each learns on its own batches); read them with
        :func:`member_models`.
    sequences : bool, default=False
        Sequence to sequence (``strategy="seq2seq"``): every recurrent layer returns its
        sequence and the Dense head predicts the next step at every position, output
        ``(batch, steps, n_targets)``; ``horizon`` must be 1 and ``bidirectional`` False
        (a backward layer reads the future of each position). The recurrent layers are
        named ``[m<k>_]<cell>_<i>`` and the heads ``[m<k>_]head``, which is how
        :func:`sequence_stacks` finds them for the state-carrying forecast.

    Returns
    -------
    keras.Model
        Input ``(batch, window, n_features)``, output ``(batch, horizon, n_targets)`` (the
        members' mean for an ensemble); ``(batch, window, n_targets)`` with ``sequences``.

    Examples
    --------
    >>> model = build_regressor(window=10, n_features=1, horizon=1, n_targets=1, units=(4,))
    >>> model.output_shape
    (None, 1, 1)
    >>> ensemble = build_regressor(
    ...     window=10, n_features=1, horizon=2, n_targets=1, units=(4,), n_models=3
    ... )
    >>> ensemble.output_shape, n_members(ensemble)
    ((None, 2, 1), 3)
    >>> build_regressor(
    ...     window=None, n_features=2, horizon=1, n_targets=1, units=(4,), sequences=True
    ... ).output_shape
    (None, None, 1)
    """
    n_models = check_n_models(n_models)
    _check_size(n_models, units, dropout, sequences)
    if sequences and (bidirectional or horizon != 1):
        raise ParameterError(
            "A sequence-to-sequence network (strategy='seq2seq') predicts the next step at "
            "every position and carries its state forward, so it needs horizon=1 network "
            "outputs and no backward layer; got "
            f"bidirectional={bidirectional!r}, horizon={horizon!r}. Use bidirectional=False, "
            "or strategy='recursive'."
        )
    inputs = keras.Input((window, n_features), name="window")
    members = []
    for k in range(n_models):
        prefix = "" if n_models == 1 else f"m{k}_"
        member_seed = _member_seed(seed, k)
        x = _recurrent_stack(
            inputs,
            units=units,
            cell=cell,
            bidirectional=bidirectional,
            dropout=dropout,
            seed=member_seed,
            last_sequences=bool(sequences),
            prefix=prefix,
        )
        x = _head(x, horizon * n_targets, seed=member_seed, prefix=prefix)
        if not sequences:
            x = keras.layers.Reshape((horizon, n_targets), name=f"{prefix}steps")(x)
        members.append(x)
    outputs = members[0] if n_models == 1 else keras.layers.Average(name=ENSEMBLE_LAYER)(members)
    return keras.Model(inputs, outputs, name="forecastkit_regressor")


def check_n_models(n_models) -> int:
    """Return ``n_models`` as an int from 1 to 1000, or raise a ParameterError naming it."""
    if (
        isinstance(n_models, bool)
        or not hasattr(n_models, "__index__")
        or not 1 <= int(n_models) <= 1000
    ):
        raise ParameterError(
            "`n_models` must be an int from 1 (one network) to 1000 (ensemble members); got "
            f"n_models={n_models!r}. For example n_models=5."
        )
    return int(n_models)


def _check_size(n_models: int, units, dropout, sequences: bool) -> None:
    """Refuse, before building, an ensemble of more layers than a saved model may hold.

    Every layer :func:`build_regressor` would add is counted (input, per member its
    recurrent and dropout layers, head and reshape, the members' average) against
    :data:`~forecastkit.models.limits.MAX_LAYERS`, which is also what ``load`` accepts.
    """
    units = check_units(units)
    per_member = len(units) * (2 if _check_dropout(dropout) else 1) + (1 if sequences else 2)
    n_layers = 1 + n_models * per_member + (n_models > 1)
    if n_layers > MAX_LAYERS:
        most = (MAX_LAYERS - 2) // per_member
        raise ParameterError(
            f"n_models={n_models} with units={units!r}"
            f"{f' and dropout={dropout}' if dropout else ''} makes a network of {n_layers} "
            f"layers; forecastkit saves and loads networks of at most {MAX_LAYERS} layers. "
            f"Use n_models={most} or fewer (or fewer recurrent layers per member)."
        )


def _member_tensors(model: keras.Model) -> list:
    """Return the symbolic outputs of the members of ``model`` (one network: its output)."""
    try:
        layer = model.get_layer(ENSEMBLE_LAYER)
    except ValueError:
        return [model.outputs[0]]
    return list(layer.input)


def n_members(model: keras.Model) -> int:
    """Return the number of ensemble members of a :func:`build_regressor` network (1: none).

    Examples
    --------
    >>> n_members(build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(2,)))
    1
    """
    return len(_member_tensors(model))


def member_models(model: keras.Model) -> list[keras.Model]:
    """Return one model per ensemble member, sharing ``model``'s layers and weights.

    Each maps ``(batch, window, n_features)`` to that member's ``(batch, horizon,
    n_targets)``; a single network gives ``[model]``. Works on a loaded model too (the
    members are found behind its :data:`ENSEMBLE_LAYER`).

    Examples
    --------
    >>> model = build_regressor(
    ...     window=4, n_features=1, horizon=1, n_targets=1, units=(2,), n_models=2
    ... )
    >>> [m.output_shape for m in member_models(model)]
    [(None, 1, 1), (None, 1, 1)]
    """
    tensors = _member_tensors(model)
    if len(tensors) == 1:
        return [model]
    return [
        keras.Model(model.inputs, tensor, name=f"forecastkit_member_{k}")
        for k, tensor in enumerate(tensors)
    ]


_MEMBER_LAYER = re.compile(
    r"^(?:m(?P<member>\d+)_)?(?:(?P<cell>lstm|gru|rnn)_(?P<depth>\d+)|(?P<head>head))$"
)


@dataclass(frozen=True)
class MemberLayers:
    """One member's recurrent layers and head, found by :func:`member_layers`.

    Attributes
    ----------
    recurrent : dict
        Depth -> recurrent layer (``[m<k>_]<cell>_<depth>``, a ``keras.layers.RNN``).
    cells : frozenset of str
        The cell names those layers' names give (``{"lstm"}`` for a plain member).
    head : keras.layers.Dense or None
        The member's output layer (``[m<k>_]head``), None if it has none.
    """

    recurrent: dict
    cells: frozenset
    head: keras.layers.Layer | None

    def stack(self) -> list | None:
        """Return the recurrent layers bottom to top, or None if their depths have gaps."""
        if sorted(self.recurrent) != list(range(len(self.recurrent))):
            return None
        return [self.recurrent[i] for i in range(len(self.recurrent))]


def member_layers(model: keras.Model) -> tuple[dict, list]:
    """Sort the layers of a :func:`build_regressor` network by member, by their names.

    The one reading of the layer names :func:`build_regressor` gives (``[m<k>_]<cell>_<i>``
    for recurrent layers, ``[m<k>_]head`` for the heads): the state-carrying forecast
    (:func:`sequence_stacks`) and the fused trainer
    (:func:`~forecastkit.models.fused.fusable`) each judge the result by their own rules.

    Returns
    -------
    members : dict
        Member index (None for a single network's unprefixed layers) -> :class:`MemberLayers`,
        in the model's layer order; a name without the matching layer type is not a member's.
    others : list of keras.layers.Layer
        Every other layer (input, dropout, reshape, the members' average, anything unknown).

    Examples
    --------
    >>> net = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,),
    ...                       n_models=2)
    >>> members, others = member_layers(net)
    >>> {k: ([layer.name for layer in m.stack()], m.head.name) for k, m in members.items()}
    {0: (['m0_lstm_0'], 'm0_head'), 1: (['m1_lstm_0'], 'm1_head')}
    >>> sorted(layer.name for layer in others)
    ['ensemble_mean', 'm0_steps', 'm1_steps', 'window']
    """
    recurrent: dict = {}
    cells: dict = {}
    heads: dict = {}
    others = []
    for layer in model.layers:
        found = _MEMBER_LAYER.match(layer.name)
        member = None if found is None or found["member"] is None else int(found["member"])
        if found and found["cell"] and isinstance(layer, keras.layers.RNN):
            recurrent.setdefault(member, {})[int(found["depth"])] = layer
            cells.setdefault(member, set()).add(found["cell"])
        elif found and found["head"] and isinstance(layer, keras.layers.Dense):
            heads[member] = layer
        else:
            others.append(layer)
    members = {
        k: MemberLayers(recurrent.get(k, {}), frozenset(cells.get(k, ())), heads.get(k))
        for k in dict.fromkeys([*recurrent, *heads])
    }
    return members, others


def sequence_stacks(model: keras.Model) -> list[tuple[list, keras.layers.Layer]]:
    """Return each member's recurrent layers (bottom to top) and head of a sequence network.

    For a network of :func:`build_regressor` with ``sequences=True`` (or a member of one,
    :func:`member_models`): what a state-carrying forecast steps through one cell at a time
    (:class:`~forecastkit.models.compiled.StateRecursion`). The network must hold nothing
    else than its input, forward non-stateful recurrent layers returning sequences, dropout
    (inactive when predicting), one Dense head per member and the members' average: anything
    else (a bidirectional wrapper, an edited file) raises a ValueError naming it.

    Examples
    --------
    >>> model = build_regressor(
    ...     window=None, n_features=1, horizon=1, n_targets=1, units=(3, 2), sequences=True
    ... )
    >>> [([layer.name for layer in layers], head.name) for layers, head in sequence_stacks(model)]
    [(['lstm_0', 'lstm_1'], 'head')]
    """
    members, others = member_layers(model)
    for layer in others:
        if isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout):
            continue
        if isinstance(layer, keras.layers.Average) and layer.name == ENSEMBLE_LAYER:
            continue
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) has no place in a "
            "sequence-to-sequence network (a bidirectional or an unknown layer); refit with "
            "strategy='seq2seq' and bidirectional=False"
        )
    for member in members.values():
        for layer in member.recurrent.values():
            if layer.stateful or layer.go_backwards or not layer.return_sequences:
                raise ValueError(
                    f"recurrent layer {layer.name!r} is stateful, runs backwards or does not "
                    "return sequences: not a sequence-to-sequence network"
                )
    if not members or any(not m.recurrent or m.head is None for m in members.values()):
        raise ValueError(
            "the network's recurrent layers and heads do not pair up into members "
            f"(members {sorted(members, key=lambda k: -1 if k is None else k)})"
        )
    stacks = []
    for k in sorted(members, key=lambda k: -1 if k is None else k):
        layers = members[k].stack()
        if layers is None:
            raise ValueError(
                f"member {k!r}: recurrent layers {sorted(members[k].recurrent)} have gaps"
            )
        stacks.append((layers, members[k].head))
    return stacks


def training_model(model: keras.Model) -> keras.Model:
    """Return the model to train: ``model`` itself, or its members side by side.

    An ensemble's training model takes one input per member (a tuple of ``(batch, window,
    n_features)`` batches, member ``k``'s input named ``member_<k>``) and returns the
    members' outputs concatenated on the last axis, ``(batch, horizon, n_models *
    n_targets)``: each member reads its own batch, so every member trains on its own
    shuffled order of the samples
    (:class:`~forecastkit.training.dataset.MemberBatches`), and the targets of the members
    side by side make the plain mean squared error the mean of the members' own MSE, each
    member's gradient coming from its own error alone. The weights are ``model``'s.

    Examples
    --------
    >>> model = build_regressor(
    ...     window=4, n_features=1, horizon=2, n_targets=1, units=(2,), n_models=3
    ... )
    >>> trainer = training_model(model)
    >>> trainer.output_shape, [tuple(i.shape) for i in trainer.inputs]
    ((None, 2, 3), [(None, 4, 1), (None, 4, 1), (None, 4, 1)])
    """
    members = member_models(model)
    if len(members) == 1:
        return model
    shape = tuple(model.inputs[0].shape[1:])
    inputs = tuple(keras.Input(shape, name=f"member_{k}") for k in range(len(members)))
    outputs = [member([x]) for member, x in zip(members, inputs, strict=True)]
    joined = keras.layers.Concatenate(axis=-1, name="members")(outputs)
    return keras.Model(inputs, joined, name="forecastkit_members")


def build_sequence_regressor(
    *,
    n_features: int,
    n_targets: int,
    units: Sequence[int] = (20,),
    cell: str = "lstm",
    dropout: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    time_steps: int | None = None,
    stateful: bool = False,
) -> keras.Model:
    """Build a many-to-many network: one output per input time step.

    With ``stateful=True`` the batch shape ``(batch_size, time_steps, n_features)`` is fixed
    and the final state of one batch is the initial state of the next.

    Examples
    --------
    >>> model = build_sequence_regressor(n_features=1, n_targets=1, units=(4,))
    >>> model.output_shape
    (None, None, 1)
    """
    if stateful:
        inputs = keras.Input(batch_shape=(batch_size, time_steps, n_features), name="sequence")
    else:
        inputs = keras.Input((time_steps, n_features), name="sequence")
    x = _recurrent_stack(
        inputs,
        units=units,
        cell=cell,
        bidirectional=False,
        dropout=dropout,
        seed=seed,
        last_sequences=True,
        stateful=stateful,
    )
    outputs = _head(x, n_targets, seed=seed)
    return keras.Model(inputs, outputs, name="forecastkit_sequence_regressor")


def build_classifier(
    *,
    n_steps: int,
    n_features: int,
    n_classes: int,
    units: Sequence[int] = (128,),
    cell: str = "lstm",
    bidirectional: bool = False,
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Build a sequence classifier: recurrent stack, last output, softmax over classes.

    Examples
    --------
    >>> model = build_classifier(n_steps=8, n_features=8, n_classes=10, units=(4,))
    >>> model.output_shape
    (None, 10)
    """
    inputs = keras.Input((n_steps, n_features), name="sequence")
    x = _recurrent_stack(
        inputs,
        units=units,
        cell=cell,
        bidirectional=bidirectional,
        dropout=dropout,
        seed=seed,
        last_sequences=False,
    )
    outputs = _head(x, n_classes, seed=seed, activation="softmax")
    return keras.Model(inputs, outputs, name="forecastkit_classifier")
