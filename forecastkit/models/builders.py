"""Builders of stacked recurrent networks (Keras only; no pandas, no global state).

``units=(50, 100)`` means ``LSTM(50, return_sequences=True) -> LSTM(100) -> Dense``. Every
builder takes explicit arguments and a seed; weights are initialised from that seed alone,
so two builds with the same arguments are identical without touching global random state.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from forecastkit.exceptions import ParameterError

__all__ = [
    "CELLS",
    "build_classifier",
    "build_regressor",
    "build_sequence_regressor",
    "check_units",
]

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
    if isinstance(dropout, bool) or not 0.0 <= float(dropout) < 1.0:
        raise ParameterError(f"`dropout` must be in [0, 1); got dropout={dropout!r}.")
    return float(dropout)


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
):
    """Apply the recurrent layers to tensor ``x``; the last returns sequences if asked."""
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
            name=f"{cell}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=seed + 1000 + i, name=f"dropout_{i}")(x)
    return x


def _head(x, units: int, *, seed: int, activation=None):
    """Apply the output layer: Dense, seeded apart from the recurrent layers' initialisers."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 500),
        name="head",
    )(x)


def build_regressor(
    *,
    window: int,
    n_features: int,
    horizon: int,
    n_targets: int,
    units: Sequence[int] = (50, 100),
    cell: str = "lstm",
    bidirectional: bool = False,
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Build a stacked recurrent regressor from windows to the next ``horizon`` steps.

    Parameters
    ----------
    window, n_features : int
        Input shape ``(window, n_features)``.
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

    Returns
    -------
    keras.Model
        Input ``(batch, window, n_features)``, output ``(batch, horizon, n_targets)``.

    Examples
    --------
    >>> model = build_regressor(window=10, n_features=1, horizon=1, n_targets=1, units=(4,))
    >>> model.output_shape
    (None, 1, 1)
    """
    inputs = keras.Input((window, n_features), name="window")
    x = _recurrent_stack(
        inputs,
        units=units,
        cell=cell,
        bidirectional=bidirectional,
        dropout=dropout,
        seed=seed,
        last_sequences=False,
    )
    x = _head(x, horizon * n_targets, seed=seed)
    outputs = keras.layers.Reshape((horizon, n_targets), name="steps")(x)
    return keras.Model(inputs, outputs, name="forecastkit_regressor")


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
