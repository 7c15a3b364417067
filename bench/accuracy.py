"""Accuracy of forecastkit on real series beside the seasonal naive, AutoARIMA and AutoETS.

Data: the 16 real series of the development set (``../shared/data/dev`` next to the
repository, or ``--data DIR``; its README.md gives the protocol) plus the airline series
(``datasets.load_airline()``, monthly, horizon 18 like the set's other monthly series).

Protocol (the data set's README): hold out the last ``horizon`` points, fit on the rest,
forecast ``horizon`` steps from the end of the training part; score the whole horizon with
MASE whose denominator is the training part's seasonal-naive error at lag
``m = season_length`` (``m = 1`` for yearly data). The summary is the geometric mean of the
per-series MASE (forecastkit: median over seeds), the share of series where a method beats
the seasonal naive, the seed max/min MASE ratio per series and the fit seconds.

forecastkit configurations are presets (``--config NAME ...``, see ``CONFIGS``): keyword
arguments of :class:`forecastkit.Forecaster` with ``horizon`` set to the series' horizon,
``verbose=0`` and ``random_state=seed``. The classical references come from statsforecast
(``pip install 'forecastkit[bench]'``).

Every fit is appended to a CSV cache (``--cache``, default
``bench/results/accuracy_runs.csv``) keyed by (series, method, seed); a rerun skips what the
cache holds, so runs can be interrupted, resumed and compared (``--report-only`` prints the
tables from the cache alone).

Run (CPU-heavy: the default fit takes 15-190 s per series; use ``nice``)::

    nice -n 10 .venv/bin/python bench/accuracy.py --config default --seeds 1
    nice -n 10 .venv/bin/python bench/accuracy.py --config default deseason --seeds 3
    .venv/bin/python bench/accuracy.py --config default deseason --seeds 3 --report-only
    .venv/bin/python bench/accuracy.py --quick   # 4 short series, small network: a smoke run
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import math
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

# Measure the checkout this script lives in, not an installed forecastkit.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecastkit import Forecaster, datasets
from forecastkit.data import transforms
from forecastkit.data.seasonality import season_cycle
from forecastkit.data.transforms import choose_transform
from forecastkit.estimators import _network as network_module
from forecastkit.estimators import _state as state_module
from forecastkit.models import builders
from forecastkit.models import compiled as compiled_module
from forecastkit.models import fused as fused_module
from forecastkit.training import callbacks as callbacks_module
from forecastkit.training import dataset as dataset_module
from forecastkit.training import fit as fit_module
from forecastkit.training.callbacks import MemberEarlyStopping

REPO = Path(__file__).resolve().parent.parent
# ../shared/data/dev next to the checkout; a git worktree one level deeper finds it too.
DEFAULT_DATA = next(
    (d / "shared/data/dev" for d in REPO.parents if (d / "shared/data/dev").is_dir()),
    REPO.parent / "shared/data/dev",
)
DEFAULT_SEASON_CYCLES = transforms.SEASON_CYCLES
DEFAULT_XLA_MIN_STEPS = fit_module.XLA_MIN_STEPS
#: The XLA threshold the presets of sessions 5-10 ran with (the package's until session 11).
LEGACY_XLA_MIN_STEPS = 4000
#: Presets other than "default" restore each member's best epoch (sessions 10-11), unless
#: they name ``_average_epochs``; "default" follows the package.
DEFAULT_AVERAGE_EPOCHS = network_module.MEMBER_AVERAGE_EPOCHS
DEFAULT_HEAD = builders._head
DEFAULT_STACK = builders._recurrent_stack
DEFAULT_TRAIN = fit_module.train
DEFAULT_FUSED_TRAINER = fused_module.fused_trainer
DEFAULT_FUSED_TWIN = compiled_module.fused_twin
DEFAULT_TRAINING_DATA = dataset_module.make_training_data
DEFAULT_CHECK_MEMBERS = fit_module._check_members
DEFAULT_MEMBER_LOSS = callbacks_module._member_mse
DEFAULT_FIT_TRANSFORMED = state_module.fit_transformed
DEFAULT_CHOOSE_TRANSFORM = state_module.choose_transform
DEFAULT_REDECIDE_DIFF = state_module.redecide_diff
#: Prototype (#17, session 11): fraction of the window each ensemble member reads.
MEMBER_WINDOW_FRACTIONS: tuple[float, ...] | None = None


def _cropped_stack(x, *, prefix="", **kw):
    """Prototype: member k reads only the last fraction_k of the window (Cropping1D)."""
    found = re.match(r"^m(\d+)_$", prefix or "")
    steps = x.shape[1]
    if MEMBER_WINDOW_FRACTIONS and found and steps:
        if int(found.group(1)) >= len(MEMBER_WINDOW_FRACTIONS):
            raise ValueError("_member_windows needs one fraction per member (n_models)")
        keep = max(2, round(steps * MEMBER_WINDOW_FRACTIONS[int(found.group(1))]))
        if keep < steps:
            import keras

            x = keras.layers.Cropping1D((steps - keep, 0), name=f"{prefix}crop")(x)
    return DEFAULT_STACK(x, prefix=prefix, **kw)


#: Prototype (#17, session 16): per-window level normalisation (Hewamalage, Bergmeir and
#: Bandara 2021): each member reads its window minus the window's mean level and predicts the
#: next value minus that level; the series is not differenced (log and seasonal adjustment
#: as "auto" chooses). The input of the stack being built (see ``_level_stack``).
_WINDOW_INPUT = None


@functools.cache
def _window_layers():
    """Two serialisable layers: a window minus its level, and an output plus the level."""
    import keras

    @keras.saving.register_keras_serializable(package="forecastkit_bench")
    class WindowCentre(keras.layers.Layer):
        def call(self, x):
            return x - keras.ops.mean(x[..., :1], axis=1, keepdims=True)

    @keras.saving.register_keras_serializable(package="forecastkit_bench")
    class AddWindowLevel(keras.layers.Layer):
        def call(self, inputs):
            y, x = inputs
            return y + keras.ops.mean(x[..., 0], axis=1, keepdims=True)

    return WindowCentre, AddWindowLevel


def _level_stack(x, *, prefix="", **kw):
    """Prototype: the recurrent stack reads the window minus its mean level."""
    global _WINDOW_INPUT
    if x.shape[-1] != 1:
        raise ValueError("the window-normalisation prototype is for univariate series")
    _WINDOW_INPUT = x
    centre, _ = _window_layers()
    return DEFAULT_STACK(centre(name=f"{prefix}centre")(x), prefix=prefix, **kw)


def _level_head(x, units, *, seed, activation=None, prefix=""):
    """Prototype: the head's output plus the window's mean level."""
    _, add = _window_layers()
    y = DEFAULT_HEAD(x, units, seed=seed, activation=activation, prefix=prefix)
    return add(name=f"{prefix}level")([y, _WINDOW_INPUT])


def _levels_transform(*args, **kwargs):
    """Prototype: the "auto" transform choice with differencing switched off."""
    return dataclasses.replace(DEFAULT_CHOOSE_TRANSFORM(*args, **kwargs), diff=0)


def _levels_redecide(adjusted, targets, transform):
    """Prototype: no differences after the seasonal adjustment either."""
    return dataclasses.replace(transform, diff=0)


def _zero_head(x, units, *, seed, activation=None, prefix=""):
    """The output layer with a zero kernel: an untrained network predicts its bias."""
    import keras

    return keras.layers.Dense(
        units, activation=activation, kernel_initializer="zeros", name=f"{prefix}head"
    )(x)


def _member_error(y_true, y_pred, member: int, n_members: int):
    width = y_pred.shape[-1] // n_members
    part = slice(member * width, (member + 1) * width)
    import keras

    return keras.ops.convert_to_tensor(y_true, dtype=y_pred.dtype)[..., part] - y_pred[..., part]


def _member_mae(y_true, y_pred, member: int, n_members: int):
    """Prototype (#17, session 13): a member's mean absolute error (its slice)."""
    import keras

    return keras.ops.mean(keras.ops.abs(_member_error(y_true, y_pred, member, n_members)), -1)


def _member_huber(y_true, y_pred, member: int, n_members: int):
    """Prototype (#17, session 13): a member's Huber loss, delta 1 (its slice)."""
    import keras

    error = keras.ops.abs(_member_error(y_true, y_pred, member, n_members))
    small = keras.ops.minimum(error, 1.0)
    return keras.ops.mean(0.5 * keras.ops.square(small) + (error - small), -1)


#: Prototype losses (``_loss``): the Keras loss trained on, and the member metric that picks
#: each member's epochs (the same loss on its own outputs; its name still says ``mse``).
LOSSES = {"mae": ("mae", _member_mae), "huber": ("huber", _member_huber)}


def _use_loss(name: str | None) -> None:
    """Train every network of the next fit on the prototype loss ``name`` (None: MSE)."""
    import functools

    if name is None:
        fit_module.train = DEFAULT_TRAIN
        fit_module._check_members = DEFAULT_CHECK_MEMBERS
        callbacks_module._member_mse = DEFAULT_MEMBER_LOSS
        return
    loss, member_loss = LOSSES[name]
    fit_module.train = functools.partial(DEFAULT_TRAIN, loss=loss)
    fit_module._check_members = lambda model, members, _loss: DEFAULT_CHECK_MEMBERS(
        model, members, "mse"
    )
    callbacks_module._member_mse = member_loss


def _pooled_training_data(train, validation, *, members=1, seed=None, batch_size, **options):
    """Prototype (#17, session 13): validation windows drawn at random from all windows.

    The windows of the training and the validation parts are pooled, and as many as the
    validation part holds are drawn at random (seeded) to early-stop on; the network trains
    on the rest, the most recent windows included (Bergmeir, Hyndman and Koo 2018: k-fold
    validation of windows is valid for autoregressive models). In-memory windows only.
    """
    kw = dict(batch_size=batch_size, seed=seed, **options)
    (X, Y), val = DEFAULT_TRAINING_DATA(train, validation, members=1, max_bytes=2**62, **kw)
    if val is None:
        return DEFAULT_TRAINING_DATA(train, validation, members=members, **kw)
    X_all, Y_all = np.concatenate([X, val[0]]), np.concatenate([Y, val[1]])
    order = np.random.default_rng(seed).permutation(len(X_all))
    held, kept = np.sort(order[: len(val[0])]), np.sort(order[len(val[0]) :])
    data, val = (X_all[kept], Y_all[kept]), (X_all[held], Y_all[held])
    if members == 1:
        return data, val
    batches = dataset_module.ArrayBatches
    orders = [
        batches(*data, batch_size=batch_size, seed=dataset_module.member_order_seed(seed, k))
        for k in range(members)
    ]
    val = dataset_module.MemberBatches(
        [batches(*val, batch_size=batch_size, seed=0, shuffle=False)] * members
    )
    return (dataset_module.MemberBatches(orders), None), val


DEFAULT_MEMBER_TRAIN_END = MemberEarlyStopping.on_train_end
#: The validation data and batch size of the fit in progress (for the greedy soup).
SOUP_VALIDATION: tuple | None = None


def _soup_train(*args, validation=None, batch_size, **kwargs):
    """``train`` that leaves its validation data where :func:`_greedy_soup_end` finds it."""
    global SOUP_VALIDATION
    SOUP_VALIDATION = (validation, batch_size)
    try:
        return DEFAULT_TRAIN(*args, validation=validation, batch_size=batch_size, **kwargs)
    finally:
        SOUP_VALIDATION = None


def _greedy_soup_end(self, logs=None):
    """Prototype (#17, session 13): a greedy soup of each member's kept epochs.

    Each member starts from its best epoch's weights; its next-best epochs are added one
    at a time, best first, and an epoch stays in the mean only if the mean's own validation
    loss (measured, one evaluation per candidate for all members at once) does not rise
    (Wortsman et al. 2022, "Model soups", greedy soup).
    """
    validation, batch_size = SOUP_VALIDATION or (None, None)
    if validation is not None and self.monitor.startswith("val_") and all(self.kept):
        base = list(self.best_weights)

        def weights(soups):
            out = list(base)
            for slots, soup in zip(self._slots, soups, strict=True):
                for j, i in enumerate(slots):
                    arrays = [snapshot[2][j] for snapshot in soup]
                    out[i] = arrays[0] if len(arrays) == 1 else np.mean(arrays, axis=0)
            return out

        def member_losses(soups):
            self.model.set_weights(weights(soups))
            if isinstance(validation, tuple):
                res = self.model.evaluate(
                    *validation, batch_size=batch_size, verbose=0, return_dict=True
                )
            else:
                res = self.model.evaluate(validation, verbose=0, return_dict=True)
            return [float(res[f"member_{k}_mse"]) for k in range(len(soups))]

        soups = [[kept[0]] for kept in self.kept]
        best = member_losses(soups)
        for r in range(1, self.average_epochs):
            if all(r >= len(kept) for kept in self.kept):
                break
            trial = [
                [*soup, kept[r]] if r < len(kept) else soup
                for soup, kept in zip(soups, self.kept, strict=True)
            ]
            losses = member_losses(trial)
            for k, kept in enumerate(self.kept):
                if r < len(kept) and losses[k] <= best[k]:
                    soups[k], best[k] = trial[k], losses[k]
        self.best_weights = weights(soups)
    DEFAULT_MEMBER_TRAIN_END(self, logs)


#: Prototype (#17, session 13): the head's initial kernel scaled by this (std ratio).
HEAD_SCALE = 1.0


def _scaled_head(x, units, *, seed, activation=None, prefix=""):
    """The output layer with a Glorot-uniform kernel shrunk to ``HEAD_SCALE`` of its std.

    An untrained network's output is then close to its (zero) bias: a network that early-
    stops after a few batches forecasts little of its random initial function, while the
    gradients still reach the recurrent layers (unlike a zero kernel) and Adam's steps do
    not depend on their scale. ``HEAD_SCALE=1`` is Keras's GlorotUniform, draw for draw.
    """
    import keras

    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=HEAD_SCALE**2, mode="fan_avg", distribution="uniform", seed=seed + 500
        ),
        name=f"{prefix}head",
    )(x)


def _heads(model, members):
    """The output layer of every ensemble member (of the one network without members)."""
    if members:
        return [m.get_layer(f"m{k}_head") for k, m in enumerate(members)]
    return [model.get_layer("head")]


def _bias_init_train(model, X, Y=None, *, members=(), **kwargs):
    """Prototype (#17, session 13): start each head's bias at the mean training target.

    Before training, every member's head bias is moved by the mean, over the training
    windows (the first 4,096 arrays, or up to 64 batches of epoch 1's order), of the target
    minus that member's initial output, per step ahead and target: an untrained member then
    predicts the mean target (the drift of the adjusted series) instead of a random offset;
    its initial weights are unchanged ("initialise the final bias to the mean target").
    """
    import keras

    inputs, targets = (X[:4096], Y[:4096]) if Y is not None else _batches(X, limit=64)
    output = keras.ops.convert_to_numpy(model(inputs, training=False))
    gap = (np.asarray(targets, dtype=float) - output).mean(axis=0)  # (horizon, width)
    if not members and len(model.inputs) > 1:
        raise ValueError("_bias_init needs each member's head: not with _shared_best_epoch")
    heads = _heads(model, members)
    n_targets = gap.shape[-1] // len(heads)
    for k, head in enumerate(heads):
        kernel, bias = head.get_weights()
        shift = gap[:, k * n_targets : (k + 1) * n_targets].reshape(-1)
        head.set_weights([kernel, bias + shift.astype(bias.dtype)])
    return DEFAULT_TRAIN(model, X, Y, members=members, **kwargs)


def _uncentred_fit_transformed(scaler, values, transform, targets, **kwargs):
    """Prototype (#17, session 14): differenced targets scaled without their mean.

    The default StandardScaler centres the differences on their training mean, so a network
    whose output is about zero (one that early stopping keeps after an epoch or two)
    forecasts the training part's mean change, the global drift, for every step. With the
    mean left in (the scale unchanged), an output of zero is no change: the untrained
    forecast is the naive one (seasonal naive once the season is put back), and the drift
    is what the network learns, from its bias or from the window of recent changes.
    Levels (``diff=0``) stay centred.
    """
    scaler = DEFAULT_FIT_TRANSFORMED(scaler, values, transform, targets, **kwargs)
    if transform.diff and hasattr(scaler.target_, "mean_"):
        scaler.target_.mean_ = scaler.target_.mean_ * DRIFT_CENTRE
    return scaler


#: Share of the training drift the differenced target is centred on by
#: :func:`_uncentred_fit_transformed`: 0 (session 14's ``ens3-nodrift``), or 0.5 (session 16's
#: ``ens8-half-drift``: an untrained network forecasts half the training drift, the Theta
#: method's drift, Hyndman and Billah 2003).
DRIFT_CENTRE = 0.0


#: Prototype (#17, session 14): the training drift in scaled units (mean / scale of the
#: differenced target) of the series being fitted, recorded by :func:`_drift_fit_transformed`.
DRIFT = None


def _drift_fit_transformed(scaler, values, transform, targets, **kwargs):
    """The default scaler fit; records the drift (mean / scale) of a differenced target."""
    global DRIFT
    scaler = DEFAULT_FIT_TRANSFORMED(scaler, values, transform, targets, **kwargs)
    target = scaler.target_
    DRIFT = (
        np.asarray(target.mean_ / target.scale_, dtype=float)
        if transform.diff and hasattr(target, "mean_")
        else None
    )
    return scaler


def _batches(data, limit=None):
    """(inputs, targets) of arrays, or of a PyDataset's first ``limit`` batches concatenated."""
    if isinstance(data, tuple):
        return data
    batches = [data[i] for i in range(len(data) if limit is None else min(len(data), limit))]
    if isinstance(batches[0][0], tuple):
        inputs = tuple(
            np.concatenate([b[0][k] for b in batches]) for k in range(len(batches[0][0]))
        )
    else:
        inputs = np.concatenate([b[0] for b in batches])
    return inputs, np.concatenate([b[1] for b in batches])


def _drift_shrink_train(model, X, Y=None, *, members=(), validation=None, **kwargs):
    """Prototype (#17, session 14): shrink the training drift by the validation residuals.

    A differenced target is centred on the training part's mean change ``mu`` (scaled:
    ``m = mu / scale``), so a network's output of 0 forecasts the global drift. After
    training, the ensemble's mean validation residual ``r`` (targets minus outputs, scaled,
    one-step targets) gives the share ``c = clip(1 + r / m, 0, 1)`` of the drift that the
    most recent data supports (least squares over ``c`` in ``o + (c - 1) m``), and every
    member's head bias moves by ``(c - 1) m``: the forecast keeps the drift when the
    validation part follows it and tends to no change (naive) when it does not. It never
    adds drift the training part did not have.
    """
    result = DEFAULT_TRAIN(model, X, Y, members=members, validation=validation, **kwargs)
    if DRIFT is None or validation is None:
        return result
    inputs, targets = _batches(validation)
    if len(targets) == 0:
        return result
    import keras

    output = keras.ops.convert_to_numpy(model(inputs, training=False))
    heads = _heads(model, members)
    n = len(heads)
    residual = (np.asarray(targets, float) - output).reshape(len(targets), -1, n, len(DRIFT))
    r = residual[:, 0].mean(axis=(0, 1))  # one step ahead, mean over members: per target
    m = DRIFT
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(np.abs(m) > 1e-12, np.clip(1.0 + r / m, 0.0, 1.0), 1.0)
    shift = (c - 1.0) * m  # per target, scaled units
    global DRIFT_SHARE
    DRIFT_SHARE = c
    for head in heads:
        kernel, bias = head.get_weights()
        steps = bias.size // len(shift)
        head.set_weights([kernel, bias + np.tile(shift, steps).astype(bias.dtype)])
    return result


DRIFT_SHARE = None


DEFAULT_CACHE = REPO / "bench" / "results" / "accuracy_runs.csv"
CLASSICAL = ("seasonal_naive", "autoarima", "autoets")
FIELDS = (
    "series",
    "method",
    "seed",
    "mase",
    "fit_seconds",
    "best_epoch",
    "epochs_run",
    "transform",
    "window",
    "note",
)

#: forecastkit presets: Forecaster keyword arguments; ``_deseason`` is handled here (see
#: :func:`deseasonalise`). ``horizon`` is always the series' horizon.
#: The defaults before session 7 (the stacked tutorial network); the session-7 presets that
#: were measured on it spell it out, so their cached rows stay what their names say.
STACKED = {"units": (50, 100), "epochs": 200, "patience": 20, "n_models": 1}

CONFIGS: dict[str, dict] = {
    # The checkout's defaults (recursive strategy, an ensemble of LSTM(32) since session 8:
    # three members, eight since session 15 (ens8-avg5, trained fused), 100 epochs,
    # patience 10, automatic target transform and seasonal adjustment). Presets that name
    # a network spell out n_models=1 where they were measured with one (before session 8
    # every default fit was one network).
    "default": {},
    # (#17, session 7) the defaults before session 7's change: the stacked tutorial network
    # LSTM(50) -> LSTM(100), 200 epochs, patience 20 (rows named "default" in the caches
    # written before that change).
    "stacked-50-100": dict(STACKED),
    # The defaults before the seasonal adjustment (the network sees the season itself).
    "no-adjustment": {"seasonal_adjustment": "none"},
    # (a) the seasonal adjustment of every seasonal series (also daily and hourly ones).
    "always": {"seasonal_adjustment": "always"},
    # (c) one multi-output (MIMO) head for the whole horizon.
    "direct": {"strategy": "direct"},
    # (d) a smaller network, fewer epochs, earlier stopping: the defaults since session 7.
    "small": {"units": (32,), "epochs": 100, "patience": 10, "n_models": 1},
    # (a) deseasonalised input, prototyped here before it became the package's
    # `seasonal_adjustment="auto"`: classical decomposition of the (logged) training part,
    # the network forecasts the seasonally adjusted series, the season is added back.
    "deseason-prototype": {"_deseason": True, "seasonal_adjustment": "none"},
    "adjusted": {"seasonal_adjustment": "auto"},
    "small-direct": {
        "units": (32,),
        "epochs": 100,
        "patience": 10,
        "strategy": "direct",
        "n_models": 1,
    },
    # (#17) an ensemble of 5 small networks trained together as one model (n_models);
    # the members' mean is the forecast.
    "ensemble": {"n_models": 5, "units": (16,)},
    "ensemble-3x32": {"n_models": 3, "units": (32,)},
    # (#16) the default network trained with a target at every position (teacher
    # forcing), forecast by carrying its recurrent state one step per step ahead.
    "seq2seq": {"strategy": "seq2seq"},
    # (#17, session 6) three LSTM(32) members with the `small` schedule (100 epochs,
    # patience 10): the ensemble's seed stability at about one network's fit time.
    "small-ens3": {"n_models": 3, "units": (32,), "epochs": 100, "patience": 10},
    # (#17, session 6) `small` with batches of 128: one or two gradient steps per epoch on
    # the short series, so the order of the shuffled batches (which depends on the seed)
    # weighs less in the few epochs before early stopping.
    "small-b128": {
        "units": (32,),
        "epochs": 100,
        "patience": 10,
        "batch_size": 128,
        "n_models": 1,
    },
    # (#17, session 6) the defaults with a smaller learning rate: short series stop at best
    # epoch 1 with 3e-3 (the validation part of a quarterly series is ~8 windows).
    "lr-1e-3": {"learning_rate": 1e-3},
    # (#17, session 6) a validation part of at least two horizons (``_val_horizons``: the
    # script passes ``val_size=max(ceil(0.1 * n), k * horizon)`` steps): more windows for
    # early stopping on short series, and the direct strategy fits series whose 10% is
    # shorter than one horizon (livestock, euretail).
    "val-2h": {"_val_horizons": 2},
    "direct-val-2h": {"strategy": "direct", "_val_horizons": 2},
    "small-direct-val-2h": {
        "units": (32,),
        "epochs": 100,
        "patience": 10,
        "strategy": "direct",
        "_val_horizons": 2,
    },
    # (#17, session 7) the seasonal indices as before session 7: the plain mean over every
    # cycle of the training part (``SEASON_CYCLES = None``); the default now weighs the
    # latest 7 cycles (STL's seasonal span), so a season that changes shape is followed.
    "season-all": {**STACKED, "_season_cycles": None},
    # (#17, session 7) the span's sensitivity: 5 and 11 cycles instead of STL's 7.
    "season-5": {**STACKED, "_season_cycles": 5},
    "season-11": {**STACKED, "_season_cycles": 11},
    # (#17, session 7) prototype of "refit on everything": the default fit chooses the
    # epoch count E on its validation part; a second network (same seed, same settings) is
    # then trained on the whole training part (validation included, ``val_size=0``) for as
    # many gradient steps (E x whole / training part epochs) and forecasts. The validation
    # part is the latest stretch of the series; a default fit never trains on it.
    "refit-prototype": {**STACKED, "_refit": True},
    # (#17, session 7) dropout of 0.2 between the recurrent layers and before the head: the
    # default network (70,901 weights) overfits the ~100 windows of a short series in a few
    # epochs (training loss falls while the validation loss rises after epoch 4-7).
    "dropout-0.2": {**STACKED, "dropout": 0.2},
    # (#17, session 7) the default without XLA-compiled training steps (Keras's default graph,
    # as before #16's epoch work): does XLA's float rounding change what long fits learn?
    "xla-off": {**STACKED, "_xla_min_steps": 10**12},
    # (#17, session 7) the default network (one LSTM(32)) with dropout 0.2 before its head.
    "small-dropout": {"dropout": 0.2, "n_models": 1},
    # (#17, session 8) one network: the default before n_models=3 (session 8). In
    # accuracy_s8_runs.csv these rows are the new seasonal-adjustment rule with one LSTM(32).
    "one-network": {"n_models": 1},
    # (#17, session 8) the default of session 7: "auto" adjusted only yearly seasons
    # (quarterly, monthly, weekly data) and left the weekly and daily cycles of daily and
    # hourly data to the network; "auto" now adjusts those cycles too (AUTO_CYCLES).
    "default-s7": {"_year_only": True, "n_models": 1},
    # (#17, session 8) "always" with the indices as before session 7 (plain mean over every
    # cycle): which change made adjusting daily and hourly cycles pay, the recent indices or
    # the smaller network?
    "always-season-all": {"seasonal_adjustment": "always", "_season_cycles": None, "n_models": 1},
    # (#17, session 8) "always" (the same as "auto" on every benchmark series, whose cycles
    # are yearly, weekly or daily) and "none" with one network: the session-8 presets spell
    # one network out, so their cached rows keep their meaning after the default became
    # n_models=3.
    "always-one-network": {"seasonal_adjustment": "always", "n_models": 1},
    "no-adjustment-one-network": {"seasonal_adjustment": "none", "n_models": 1},
    # (#17, session 8) the default with a zero-initialised output kernel: an untrained
    # network predicts its bias (the training mean of the scaled target: the drift of a
    # differenced series), so a fit that early-stops after an epoch or two forecasts close
    # to the drift instead of a random function of its initial weights.
    "zero-head": {"_zero_head": True, "n_models": 1},
    # (#17, session 9) the ensemble of three with every member on its own shuffled order of
    # the training windows (MemberBatches); the ensembles of the presets above shared one
    # order. In accuracy_s9_runs.csv these rows are session 9's default.
    "ens3-own-orders": {"n_models": 3, "_shared_best_epoch": True},
    # (#17, session 9) prototype: the forecast's seasonal indices from the training and
    # validation parts (the network still trains on the training part's indices).
    "ens3-season-trainval": {"n_models": 3, "_refit_season": True, "_shared_best_epoch": True},
    # (#17, session 9) prototype: refit the own-orders ensemble on the whole series (no
    # validation part) for the early-stopped number of gradient steps.
    "ens3-refit": {"n_models": 3, "_refit": True, "_shared_best_epoch": True},
    # (#17, session 9) more, smaller members on their own orders at about the same cost:
    # five LSTM(24) (an LSTM's step costs about units**2, 5 x 24**2 ~ 3 x 32**2).
    "ens5x24": {"n_models": 5, "units": (24,), "_shared_best_epoch": True},
    # (#17, session 10) the own-orders ensemble with every member restoring the weights of
    # its own best validation epoch (MemberEarlyStopping); the presets of session 9 above
    # (``_shared_best_epoch``) restored one epoch, the best of the members' mean, for all.
    "ens3-member-best": {"n_models": 3},
    # (#17, session 11) prototype: members read windows of different lengths (the last
    # 100%, 75%, 50% of the default window: two seasons, 1.5, one), N-BEATS's ensembles of
    # lookbacks; shorter members cost fewer cell steps.
    "ens3-windows": {"n_models": 3, "_member_windows": (1.0, 0.75, 0.5)},
    # (#16, session 11) the state-carrying recursion with today's default recipe (an
    # ensemble of three LSTM(32), each member its own best epoch); the "seq2seq" rows of
    # accuracy_s2s_runs.csv were the stacked single network of session 6.
    "ens3-seq2seq": {"n_models": 3, "strategy": "seq2seq"},
    # (#16/#17, session 11) the default ensemble with XLA-compiled training steps from
    # 2,000 possible steps (epochs x batches) instead of 4,000: the long series (640+
    # training windows) train compiled (the package's default since session 11); and five
    # members the same way.
    "ens3-xla2000": {"n_models": 3, "_xla_min_steps": 2000},
    "ens5-xla2000": {"n_models": 5, "_xla_min_steps": 2000},
    # (#17, session 11) today's default with dropout 0.2 after each member's LSTM (more
    # differences between the members; session 7 measured it on one network).
    "ens3-dropout": {"n_models": 3, "dropout": 0.2, "_xla_min_steps": 2000},
    # Session 12: each member's weights averaged over its k best epochs (checkpoint averaging).
    "ens3-avg3": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 3},
    "ens3-avg5": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 5},
    "ens3-avg8": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 8},
    # ... only the kept epochs within 5% of the member's best validation loss.
    "ens3-avg5-tol5": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_average_tolerance": 0.05,
    },
    # Session 13: the default trained on the mean absolute error (Hewamalage et al. 2021
    # train on L1: MASE is an absolute error) or on the Huber loss (delta 1 on the scaled
    # series); each member's epochs are picked by the same loss.
    "ens3-avg5-mae": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 5, "_loss": "mae"},
    "ens3-avg5-huber": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_loss": "huber",
    },
    # Session 13: early-stop on windows drawn at random from the training and validation
    # parts; the network trains on the rest, the latest windows included.
    "ens3-avg5-pooled": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_pooled_validation": True,
    },
    # Session 13: a greedy soup of each member's 5 best epochs (_greedy_soup_end).
    "ens3-soup5": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 5, "_soup": True},
    # Session 13: the default with each member's head initialised 10x smaller (std).
    "ens3-head01": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_head_scale": 0.1,
    },
    "ens3-head03": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_head_scale": 0.3,
    },
    # Session 13: the default with each head's bias started at the mean training target.
    "ens3-bias-init": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_bias_init": True,
    },
    # Session 14: differenced targets scaled without centring (an output of 0 = no change).
    "ens3-nodrift": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_uncentred_diff": True,
    },
    # Session 14: the drift shrunk to what the validation part supports (head bias moved).
    "ens3-drift-shrink": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_drift_shrink": True,
    },
    # Session 14: eight / five members, the default otherwise (the seed spread of the short
    # series comes from the networks the members start from): eight meet the stability
    # floor at 2.2x the fit time of three; five were stopped after chicago and jfk.
    "ens8-avg5": {"n_models": 8, "_xla_min_steps": 2000, "_average_epochs": 5},
    "ens5-avg5": {"n_models": 5, "_xla_min_steps": 2000, "_average_epochs": 5},
    # Session 15: an ensemble trains and forecasts fused (one recurrent loop and one
    # optimizer update per weight for all members, forecastkit.models.fused); "_unfused"
    # trains and forecasts member by member as before (the rows cached in session 14 ran so).
    "ens3-unfused": {"n_models": 3, "_xla_min_steps": 2000, "_average_epochs": 5, "_unfused": True},
    "ens8-unfused": {"n_models": 8, "_xla_min_steps": 2000, "_average_epochs": 5, "_unfused": True},
    # Session 16: eight members, the differenced target centred on half its training mean
    # (an output of 0 = half the training drift, the Theta method's drift).
    "ens8-half-drift": {
        "n_models": 8,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_uncentred_diff": True,
        "_drift_centre": 0.5,
    },
    # Session 16: per-window level normalisation instead of differencing (Hewamalage et
    # al. 2021); three members, to compare with the cached ens3-avg5 rows (trains unfused).
    "ens3-window-norm": {
        "n_models": 3,
        "_xla_min_steps": 2000,
        "_average_epochs": 5,
        "_window_norm": True,
    },
    # --quick smoke preset.
    "quick": {"units": (8,), "epochs": 5, "patience": 2},
}


# ---------------------------------------------------------------------------- data
def load_series(data_dir: Path) -> dict[str, tuple[pd.Series, int, int]]:
    """Name -> (series, season length m, horizon): the dev set's 16 series plus airline."""
    meta_path = data_dir / "series.json"
    if not meta_path.is_file():
        sys.exit(
            f"No series.json in {data_dir}: the development set was not found. Pass its "
            "folder with --data DIR (a checkout expects it at ../shared/data/dev next to the "
            "repository)."
        )
    out = {}
    for s in json.loads(meta_path.read_text()):
        frame = pd.read_csv(data_dir / s["file"], parse_dates=["ds"])
        freq = s["frequency"]
        y = frame.set_index("ds")["y"].astype(float)
        y.index = pd.DatetimeIndex(y.index, freq=freq)
        y.name = s["name"]
        if len(y) != s["length"] or y.isna().any():
            sys.exit(f"{s['file']}: expected {s['length']} values without gaps; got {len(y)}.")
        out[s["name"]] = (y, int(s["season_length"]), int(s["horizon"]))
    out["airline"] = (datasets.load_airline().astype(float), 12, 18)
    return out


def mase(y_test, y_hat, y_train, m: int) -> float:
    """MASE over the horizon, denominator: the training part's seasonal-naive error at lag m."""
    y_train = np.asarray(y_train, dtype=float)
    scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
    return float(np.mean(np.abs(np.asarray(y_test, float) - np.asarray(y_hat, float))) / scale)


# ---------------------------------------------------------------------------- methods
def deseasonalise(train: np.ndarray, m: int):
    """Classical decomposition fitted on the training part only.

    The target transform that forecastkit would choose (``choose_transform``: log when the
    spread grows with the level) is applied first, so a multiplicative season becomes
    additive; seasonal indices are the mean over cycles of the series minus its centred
    moving average of length ``m`` (2 x m for even ``m``), centred to sum to zero.

    Returns ``(adjusted, season, log, diff)``: the seasonally adjusted training part in the
    original scale when not logged, the indices by position ``t % m``, the log flag and the
    difference order that ``choose_transform`` picked for the adjusted series.
    """
    t0 = choose_transform(train[:, None], [0], season_length=m)
    log = bool(t0.log[0])
    z = np.log(train) if log else train.astype(float)
    if m > 1 and len(z) >= 2 * m + 1:
        if m % 2 == 0:
            kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m
        else:
            kernel = np.ones(m) / m
        trend = np.convolve(z, kernel, mode="valid")
        half = (len(kernel) - 1) // 2
        detr = z[half : half + len(trend)] - trend
        pos = (np.arange(len(trend)) + half) % m
        season = np.array([detr[pos == k].mean() for k in range(m)])
        season -= season.mean()
    else:
        season = np.zeros(max(m, 1))
    adjusted = z - season[np.arange(len(z)) % len(season)]
    diff = choose_transform(adjusted[:, None], [0], season_length=1, mode="auto").diff
    return adjusted, season, log, diff


def fit_forecastkit(y_train: pd.Series, m: int, h: int, config: str, seed: int) -> dict:
    params = dict(CONFIGS[config])
    deseason = params.pop("_deseason", False)
    val_horizons = params.pop("_val_horizons", 0)
    transforms.SEASON_CYCLES = params.pop("_season_cycles", DEFAULT_SEASON_CYCLES)
    refit = params.pop("_refit", False)
    refit_season = params.pop("_refit_season", False)
    # Presets keep the threshold their cached rows ran with; "default" follows the package.
    fit_module.XLA_MIN_STEPS = params.pop(
        "_xla_min_steps", DEFAULT_XLA_MIN_STEPS if config == "default" else LEGACY_XLA_MIN_STEPS
    )
    builders._head = _zero_head if params.pop("_zero_head", False) else DEFAULT_HEAD
    global HEAD_SCALE
    HEAD_SCALE = params.pop("_head_scale", 1.0)
    if HEAD_SCALE != 1.0:
        builders._head = _scaled_head
    bias_init = params.pop("_bias_init", False)
    # The prototypes that replace train read the member models: they train unfused.
    unfused = params.pop("_unfused", False) or bias_init
    unfused = unfused or any(params.get(k) for k in ("_soup", "_drift_shrink"))
    fused_module.fused_trainer = (lambda model: None) if unfused else DEFAULT_FUSED_TRAINER
    compiled_module.fused_twin = (lambda model, **_: model) if unfused else DEFAULT_FUSED_TWIN
    if sum(bool(params.get(k)) for k in ("_loss", "_soup", "_drift_shrink")) + bool(bias_init) > 1:
        raise ValueError(
            "_loss, _bias_init, _soup and _drift_shrink each replace train: use one per preset"
        )
    network_module.MEMBER_BEST_EPOCHS = not params.pop("_shared_best_epoch", False)
    MemberEarlyStopping.tolerance = params.pop("_average_tolerance", None)
    network_module.MEMBER_AVERAGE_EPOCHS = params.pop(
        "_average_epochs", DEFAULT_AVERAGE_EPOCHS if config == "default" else 1
    )
    _use_loss(params.pop("_loss", None))
    if bias_init:
        fit_module.train = _bias_init_train
    soup = params.pop("_soup", False)
    MemberEarlyStopping.on_train_end = _greedy_soup_end if soup else DEFAULT_MEMBER_TRAIN_END
    if soup:
        fit_module.train = _soup_train
    uncentred = params.pop("_uncentred_diff", False)
    global DRIFT_CENTRE
    DRIFT_CENTRE = float(params.pop("_drift_centre", 0.0))
    drift_shrink = params.pop("_drift_shrink", False)
    state_module.fit_transformed = (
        _uncentred_fit_transformed
        if uncentred
        else _drift_fit_transformed
        if drift_shrink
        else DEFAULT_FIT_TRANSFORMED
    )
    global DRIFT_SHARE
    DRIFT_SHARE = None
    if drift_shrink:
        fit_module.train = _drift_shrink_train
    pooled = params.pop("_pooled_validation", False)
    dataset_module.make_training_data = _pooled_training_data if pooled else DEFAULT_TRAINING_DATA
    global MEMBER_WINDOW_FRACTIONS
    MEMBER_WINDOW_FRACTIONS = params.pop("_member_windows", None)
    builders._recurrent_stack = _cropped_stack if MEMBER_WINDOW_FRACTIONS else DEFAULT_STACK
    window_norm = params.pop("_window_norm", False)
    if window_norm:
        builders._recurrent_stack = _level_stack
        builders._head = _level_head
    state_module.choose_transform = _levels_transform if window_norm else DEFAULT_CHOOSE_TRANSFORM
    state_module.redecide_diff = _levels_redecide if window_norm else DEFAULT_REDECIDE_DIFF
    if params.pop("_year_only", False) and season_cycle(y_train.index.freq) != "year":
        params["seasonal_adjustment"] = "none"
    if val_horizons:
        params["val_size"] = max(math.ceil(0.1 * len(y_train)), val_horizons * h)
    kw = dict(horizon=h, verbose=0, random_state=seed, **params)
    start = time.perf_counter()
    if deseason:
        adjusted, season, log, diff = deseasonalise(y_train.to_numpy(float), m)
        series = pd.Series(adjusted, index=y_train.index, name=y_train.name)
        f = Forecaster(target_transform="diff" if diff else "none", **kw).fit(series)
        steps = (len(y_train) + np.arange(h)) % len(season)
        z = f.forecast(h).to_numpy(float) + season[steps]
        pred = np.exp(z) if log else z
        transform = f"deseason(log={log}), diff={diff}"
    else:
        f = Forecaster(**kw).fit(y_train)
        if refit:
            n_train = f.series_[None].sizes[0]
            epochs = max(1, round(f.best_epoch_ * len(y_train) / n_train))
            f = Forecaster(**{**kw, "epochs": epochs, "val_size": 0}).fit(y_train)
        if refit_season:
            _refit_season_indices(f)
        pred = f.forecast(h).to_numpy(float)
        transform = f"log={f.transform_.log[0]}, diff={f.transform_.diff}"
        if drift_shrink and DRIFT_SHARE is not None:
            transform += f", drift share={float(DRIFT_SHARE[0]):.2f}"
    seconds = time.perf_counter() - start
    extra = {}
    if f.n_models > 1 and not deseason:
        # Other ways to combine the members, from the same fit: each member's own recursive
        # path (its predictions fed back), then their median or mean per step in levels.
        paths = f.forecast(h, members=True).filter(like="-member-").to_numpy(float)
        extra = {"median-paths": np.median(paths, axis=1), "mean-paths": paths.mean(axis=1)}
    return dict(
        extra=extra,
        pred=pred,
        fit_seconds=seconds,
        best_epoch=f.best_epoch_,
        epochs_run=len(f.history_),
        transform=transform,
        window=f.window_,
    )


def _refit_season_indices(f) -> None:
    """Prototype: seasonal indices of the forecast from the training AND validation parts.

    The network trained (and early-stopped) on the series adjusted with indices of the
    training part; only the forecast's indices (removed from its context, put back on its
    output) then also weigh the validation part's cycles, the most recent ones.
    """
    st = f.series_[None]
    if st.adjustment is None:
        return
    n_train, n_val, _ = st.sizes
    st.adjustment = transforms.fit_seasonal_adjustment(
        st.values[: n_train + n_val + st.n_calibration],
        list(f.targets_),
        season_length=st.adjustment.period,
        multiplicative=st.adjustment.multiplicative,
        cycles=transforms.SEASON_CYCLES,
    )


def fit_classical(y_train: pd.Series, m: int, h: int, method: str) -> dict:
    train = y_train.to_numpy(float)
    start = time.perf_counter()
    if method == "seasonal_naive":
        pred = np.resize(train[-m:], h) if m > 1 else np.repeat(train[-1], h)
    else:
        try:
            from statsforecast.models import AutoARIMA, AutoETS
        except ImportError:
            sys.exit(
                "AutoARIMA/AutoETS need statsforecast: pip install 'forecastkit[bench]' "
                "(or leave them out with --no-classical)."
            )
        model = (AutoARIMA if method == "autoarima" else AutoETS)(season_length=m)
        pred = np.asarray(model.forecast(y=train, h=h)["mean"], dtype=float)
    return dict(pred=pred, fit_seconds=time.perf_counter() - start)


# ---------------------------------------------------------------------------- cache
def read_cache(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=FIELDS)
    return pd.read_csv(path, keep_default_na=True)


def append_row(path: Path, row: dict) -> None:
    """Append one finished fit (one line, flushed), so an interrupted run loses nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file()
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in FIELDS})
        fh.flush()
        os.fsync(fh.fileno())


# ---------------------------------------------------------------------------- report
def report(runs: pd.DataFrame, names: list[str], methods: list[str], seeds=None) -> str:
    """Tables of the cached fits of ``methods`` on ``names`` (forecastkit: ``seeds`` only)."""
    runs = runs[runs["series"].isin(names) & runs["method"].isin(methods)]
    runs = runs.drop_duplicates(["series", "method", "seed"])
    if seeds is not None:
        runs = runs[runs["method"].isin(CLASSICAL) | runs["seed"].isin(list(seeds))]
    if runs.empty:
        return "(no results yet)"
    med = runs.groupby(["series", "method"])["mase"].median().unstack("method")
    med = med.reindex(index=[n for n in names if n in med.index], columns=methods)
    lines = [
        "Per-series MASE (forecastkit: median over seeds):",
        med.to_string(float_format="{:.3f}".format),
    ]
    complete = med.dropna()
    lines.append(f"\nSummary over the {len(complete)} series that every method has:")
    rows = []
    for method in methods:
        if method not in complete:
            continue
        sub = runs[(runs["method"] == method) & runs["series"].isin(complete.index)]
        if sub.empty:
            continue
        seeds = sorted(sub["seed"].unique())
        per = sub.groupby("series")["mase"]
        ratio = (per.max() / per.min()).replace([np.inf], np.nan)
        own = med[method].dropna()
        rows.append(
            {
                "method": method,
                "gmean MASE": float(np.exp(np.log(complete[method]).mean())),
                "gmean, all its series (n)": f"{np.exp(np.log(own).mean()):.3f} ({len(own)})",
                "beats snaive": f"{int((complete[method] < complete['seasonal_naive']).sum())}/"
                f"{len(complete)}"
                if "seasonal_naive" in complete
                else "",
                "seeds": f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0]),
                "worst seed max/min": float(ratio.max()) if len(seeds) > 1 else np.nan,
                "median fit s": float(sub.groupby("series")["fit_seconds"].median().median()),
                "total fit s (one seed)": float(
                    sub.groupby("series")["fit_seconds"].median().sum()
                ),
                "epochs run (sum)": float(sub.groupby("series")["epochs_run"].median().sum()),
            }
        )
    lines.append(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format))
    fk = [m for m in methods if m not in CLASSICAL]
    multi = runs[runs["method"].isin(fk)].groupby(["series", "method"])["mase"]
    if (multi.count() > 1).any():
        ratio = (multi.max() / multi.min()).unstack("method").reindex(index=med.index)
        lines.append("\nSeed max/min MASE per series:")
        lines.append(ratio.to_string(float_format="{:.2f}".format))
    extra = runs[runs["method"].isin(fk)]
    if not extra.empty:
        info = extra.groupby(["series", "method"]).agg(
            fit_s=("fit_seconds", "median"),
            best_epoch=("best_epoch", "median"),
            epochs=("epochs_run", "median"),
            transform=("transform", "first"),
            window=("window", "first"),
        )
        lines.append("\nforecastkit fits (median over seeds):")
        lines.append(info.to_string(float_format="{:.1f}".format))
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dev set folder")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    parser.add_argument("--seed-start", type=int, default=0)
    parser.add_argument("--series", nargs="+", help="only these series (names)")
    parser.add_argument(
        "--config", nargs="*", default=["default"], choices=sorted(CONFIGS), help="presets"
    )
    parser.add_argument("--no-classical", action="store_true", help="skip AutoARIMA/AutoETS")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--report-only", action="store_true", help="print tables from cache")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 4 short series, the 'quick' preset, one seed, a temporary cache",
    )
    args = parser.parse_args(argv)
    all_series = load_series(args.data)
    names = args.series or list(all_series)
    unknown = sorted(set(names) - set(all_series))
    if unknown:
        sys.exit(f"Unknown series {unknown}; choose from {sorted(all_series)}.")
    configs = args.config
    if args.quick:
        names = args.series or ["livestock", "euretail", "johnsonjohnson", "airline"]
        configs, args.seeds = ["quick"], 1
        if args.cache == DEFAULT_CACHE:
            import tempfile

            args.cache = Path(tempfile.mkdtemp()) / "accuracy_quick.csv"
    classical = ["seasonal_naive"] + ([] if args.no_classical else ["autoarima", "autoets"])
    methods = classical + configs
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    done = read_cache(args.cache)
    have = set(zip(done["series"], done["method"], done["seed"].astype(int), strict=True))
    if not args.report_only:
        for name in names:
            y, m, h = all_series[name]
            y_train, y_test = y.iloc[:-h], y.iloc[-h:]
            jobs = [(meth, 0) for meth in classical] + [(c, s) for c in configs for s in seeds]
            for method, seed in jobs:
                if (name, method, seed) in have:
                    continue
                row = dict(series=name, method=method, seed=seed)
                try:
                    if method in CLASSICAL:
                        res = fit_classical(y_train, m, h, method)
                    else:
                        res = fit_forecastkit(y_train, m, h, method, seed)
                    extra = res.pop("extra", {})
                    row.update(res, mase=mase(y_test, res["pred"], y_train, m))
                    for how, pred in extra.items():  # cached beside the fit, as method:how
                        append_row(
                            args.cache,
                            {
                                **row,
                                "method": f"{method}:{how}",
                                "pred": pred,
                                "mase": mase(y_test, pred, y_train, m),
                            },
                        )
                except Exception as exc:  # recorded, not fatal: one failure must not stop a run
                    row.update(mase=np.nan, note=f"{type(exc).__name__}: {exc}"[:200])
                append_row(args.cache, row)
                print(
                    f"{name:24s} {method:16s} seed {seed}: MASE {row['mase']:.3f} "
                    f"({row.get('fit_seconds', float('nan')):.1f} s) {row.get('note', '')}",
                    flush=True,
                )
        done = read_cache(args.cache)
    print()
    methods += sorted({m for m in done["method"] if any(m.startswith(f"{c}:") for c in configs)})
    print(report(done, names, methods, seeds))
    print(f"\n(cache: {args.cache})")


if __name__ == "__main__":
    main()
