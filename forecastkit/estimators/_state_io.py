"""The persistence of a Forecaster's per-series state: manifest entries and arrays.

One layout for any number of series: ``fitted["series"]`` lists one entry per series (id,
time axis, transform, seasonal adjustment, split sizes, calibration part, season, scalers)
and the npz holds every series' values end to end (``values``, with ``lengths``) and their
cached calibration errors (``calibration_residuals`` with ``calibration_lengths``). Files
of format 1 (one layout for one series and another for long-format fits) are read through
:func:`upgrade_fitted`. Everything read is checked by the caller's loader; here a
malformed entry raises KeyError, TypeError or ValueError, which the loader turns into a
``ModelFileError``.
"""

from __future__ import annotations

import warnings

import numpy as np

from forecastkit.data.long import is_series_id
from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.transforms import SeasonalAdjustment, TargetTransform
from forecastkit.estimators._state import SeriesState
from forecastkit.exceptions import DataError

__all__ = [
    "ENTRY_KEYS",
    "check_entry_keys",
    "check_loaded",
    "states_from_manifest",
    "states_to_manifest",
    "upgrade_fitted",
]


def states_to_manifest(states: dict, id_col: str) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Manifest entries and arrays of every series' state (ids: strings or integers)."""
    from forecastkit.persistence import check_ids, transformer_to_dict

    ids = [None] if list(states) == [None] else check_ids(states, id_col)
    entries = []
    for uid, s in zip(ids, states.values(), strict=True):
        entries.append(
            {
                "id": uid,
                "time_axis": s.axis.to_dict(),
                "transform": s.transform.to_dict(),
                "adjustment": None if s.adjustment is None else s.adjustment.to_dict(),
                "sizes": list(s.sizes),
                "n_calibration": s.n_calibration,
                "log_intervals": s.log_intervals,  # errors of logged targets are log errors
                "season_length": s.season_length,
                "scaler_target": transformer_to_dict(s.scaler.target_),
                "scaler_features": None
                if s.scaler.features_ is None
                else transformer_to_dict(s.scaler.features_),
            }
        )
    values = list(states.values())
    arrays = {
        "values": np.concatenate([s.values for s in values]),
        "lengths": np.array([len(s.values) for s in values], dtype=np.int64),
    }
    cached = [s.calibration for s in values]
    if all(c is not None for c in cached) and len({c.shape[1:] for c in cached}) == 1:
        arrays["calibration_residuals"] = np.concatenate(cached)
        arrays["calibration_lengths"] = np.array([len(c) for c in cached], dtype=np.int64)
    return entries, arrays


def states_from_manifest(fitted: dict, arrays: dict, *, scaler, targets, n_features: int) -> dict:
    """Series id -> :class:`SeriesState` from :func:`states_to_manifest`'s output."""
    from forecastkit.persistence import transformer_from_dict

    entries = fitted["series"]
    if not isinstance(entries, list) or not entries:
        raise ValueError("the manifest lists no series")
    values = np.asarray(arrays["values"], dtype=np.float32)
    lengths = np.asarray(arrays["lengths"], dtype=np.int64)
    if values.ndim != 2 or lengths.shape != (len(entries),) or lengths.min() < 1:
        raise ValueError(f"values {values.shape} do not match {len(entries)} series")
    if int(lengths.sum()) != len(values):
        raise ValueError("the saved values do not match the saved series lengths")
    residuals = _split_residuals(arrays, len(entries), len(targets))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    states: dict = {}
    for k, entry in enumerate(entries):
        uid = entry["id"]
        if uid is not None and not is_series_id(uid):
            raise ValueError(f"series id {uid!r:.40} is not a string or an integer")
        if uid in states:
            raise ValueError(f"series id {uid!r:.40} is listed twice")
        series_scaler = SeriesScaler(scaler, targets=targets, n_features=n_features)
        series_scaler.target_ = transformer_from_dict(entry["scaler_target"])
        features = entry.get("scaler_features")
        series_scaler.features_ = None if features is None else transformer_from_dict(features)
        log_intervals = entry.get("log_intervals", False)
        if not isinstance(log_intervals, bool):
            raise ValueError(f"log_intervals {log_intervals!r:.40} of series {uid!r:.40}")
        sizes = tuple(_count(v, "split size", uid) for v in entry["sizes"])
        n_calibration = _count(entry.get("n_calibration", 0), "n_calibration", uid)
        n_steps = int(lengths[k])
        if len(sizes) != 3 or sum(sizes) + n_calibration > n_steps:
            raise ValueError(
                f"split sizes {sizes} + calibration {n_calibration} of series {uid!r:.40} "
                f"exceed its {n_steps} saved steps"
            )
        season_length = _count(entry["season_length"], "season_length", uid)
        if season_length < 1:
            raise ValueError(f"season_length {season_length} of series {uid!r:.40}")
        states[uid] = SeriesState(
            values=values[bounds[k] : bounds[k + 1]],
            axis=TimeAxis.from_dict(entry["time_axis"]),
            transform=TargetTransform.from_dict(entry["transform"]),
            scaler=series_scaler,
            sizes=sizes,
            season_length=season_length,
            adjustment=SeasonalAdjustment.from_dict(entry.get("adjustment")),
            n_calibration=n_calibration,
            calibration=None if residuals is None else residuals[k],
            # files from before log-scale intervals keep their additive intervals
            log_intervals=log_intervals,
        )
    return states


#: The keys of one series' manifest entry (:func:`states_to_manifest`).
ENTRY_KEYS = frozenset(
    {
        "id",
        "time_axis",
        "transform",
        "adjustment",
        "sizes",
        "n_calibration",
        "log_intervals",
        "season_length",
        "scaler_target",
        "scaler_features",
    }
)


def check_entry_keys(fitted: dict) -> None:
    """Raise ValueError for keys no forecastkit of this file's format writes in a series entry.

    Called for files of this format version and minor (a newer minor's additions are
    ignored by design, see :mod:`forecastkit.persistence`).
    """
    for entry in fitted.get("series", []):
        unknown = set(entry) - ENTRY_KEYS if isinstance(entry, dict) else set()
        if unknown:
            raise ValueError(f"series entry keys forecastkit never writes: {sorted(unknown)}")


def _count(value, what: str, uid) -> int:
    """Return a non-negative integer of the manifest (a float, bool or string is refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} {value!r:.40} of series {uid!r:.40} is not a count")
    return value


def _split_residuals(arrays: dict, n_series: int, n_targets: int):
    if "calibration_residuals" not in arrays:
        return None
    residuals = np.asarray(arrays["calibration_residuals"], dtype=np.float64)
    if residuals.ndim != 3 or residuals.shape[2] != n_targets:
        raise ValueError(f"calibration_residuals of shape {residuals.shape}")
    counts = np.asarray(arrays.get("calibration_lengths", [len(residuals)]), dtype=np.int64)
    if counts.shape != (n_series,) or counts.min() < 0 or counts.sum() != len(residuals):
        raise ValueError("calibration_residuals do not match the saved series")
    return np.split(residuals, np.cumsum(counts)[:-1])


def upgrade_fitted(fitted: dict, arrays: dict, params: dict) -> tuple[dict, dict]:
    """Return a format-1 ``fitted`` manifest entry (and arrays) in today's layout.

    Format 1 wrote one layout for a one-series fit (per-series keys at the top level) and
    another for a long-format fit (under ``"long"``); a file already in today's layout is
    returned as it is.
    """
    if "series" in fitted:
        return fitted, arrays
    if "long" in fitted:
        old = fitted["long"]
        entries = [
            {**entry, "adjustment": None, "n_calibration": 0, "scaler_features": None}
            for entry in old["series"]
        ]
        new = {key: old[key] for key in old if key not in ("series",)}
        new.update(
            series=entries,
            names=[str(params.get("target_col", "y"))],
            targets=[0],
            has_covariates=False,
            input_kind="long",
        )
        return new, arrays
    entry = {
        "id": None,
        **{
            key: fitted[key]
            for key in ("time_axis", "transform", "sizes", "season_length", "scaler_target")
        },
        "adjustment": fitted.get("adjustment"),
        "n_calibration": fitted.get("n_calibration", 0),
        "scaler_features": fitted.get("scaler_features"),
    }
    moved = set(entry) | {"adjustment", "n_calibration", "scaler_features"}
    new = {key: value for key, value in fitted.items() if key not in moved}
    new.update(series=[entry], input_kind="series")
    values = np.asarray(arrays["values"])
    arrays = {**arrays, "lengths": np.array([len(values)], dtype=np.int64)}
    return new, arrays


def check_loaded(est) -> None:
    """Raise ValueError where a loaded manifest disagrees with its arrays or its network.

    Each piece is valid alone, but an edited file can pair them wrongly (targets outside
    the columns, a window the network does not take, a scaler fitted on other columns):
    such a model would load and then fail with a raw IndexError, or forecast from the wrong
    dates, at its first use.
    """
    names, targets = est.names_, est.targets_
    if est.input_kind_ not in ("long", "series"):
        raise ValueError(f"input kind {est.input_kind_!r}")
    if est.input_kind_ == "series" and list(est.series_) != [None]:
        raise ValueError("a one-series fit must hold exactly one series, with id None")
    if est.input_kind_ == "long" and (len(names) != 1 or est.has_covariates_):
        raise ValueError("a long-format fit has one value column and no covariates")
    steps = (None, None) if est.strategy == "seq2seq" else (est.window_, est.out_steps_)
    network = {  # a seq2seq network takes any number of steps and predicts at each
        "network input": (tuple(est.model_.inputs[0].shape[1:]), (steps[0], len(names))),
        "network output": (tuple(est.model_.outputs[0].shape[1:]), (steps[1], len(targets))),
    }
    for what, (got, expected) in network.items():
        if got != expected:
            raise ValueError(f"{what} of shape {got} where the manifest implies {expected}")
    from forecastkit.models.builders import n_members

    members = n_members(est.model_)
    if members != getattr(est, "n_models", 1):
        raise ValueError(
            f"the network holds {members} ensemble member(s) where the parameters say "
            f"n_models={getattr(est, 'n_models', 1)!r}"
        )
    _check_architecture(est, members)
    for uid, state in est.series_.items():
        state.scaler._columns()  # targets: distinct positions in range(len(names))
        shapes = {
            "values": (state.values.shape[1:], (len(names),)),
            "time axis": ((state.axis.n_steps,), (len(state.values),)),
            "log flags": ((len(state.transform.log),), (len(targets),)),
        }
        for what, (got, expected) in shapes.items():
            if state.values.ndim != 2 or got != expected:
                raise ValueError(
                    f"series {uid!r:.40}: {what} of shape {got} where the manifest implies "
                    f"{expected}"
                )
        if state.adjustment is not None and len(state.adjustment.indices) != len(targets):
            raise ValueError(f"series {uid!r:.40}: seasonal indices do not match the targets")
        # fit_seasonal_adjustment: one index per step of the season, multiplicative where logs
        if state.adjustment is not None and (
            state.adjustment.period != state.season_length
            or state.adjustment.multiplicative != state.transform.log
        ):
            raise ValueError(
                f"series {uid!r:.40}: seasonal indices of period {state.adjustment.period} "
                f"(multiplicative {state.adjustment.multiplicative}) where the series has "
                f"season_length {state.season_length} and log flags {state.transform.log}"
            )
        try:  # the scalers' fitted attributes must fit the columns (a DataError is data's)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                state.scaler.transform(state.values[-1:])
        except DataError:
            pass
        except (AttributeError, IndexError, TypeError, ValueError) as err:
            raise ValueError(
                f"series {uid!r:.40}: the saved scaler does not fit the saved columns ({err})"
            ) from err


def _check_architecture(est, members: int) -> None:
    """Raise ValueError unless the network has the parameters' recurrent layers.

    ``units``, ``cell`` and ``bidirectional`` must describe the network (an edited file
    made ``get_params`` and ``info`` describe another one).
    """
    import keras

    from forecastkit.models.builders import CELLS, check_units

    if not all(hasattr(est, name) for name in ("units", "cell", "bidirectional")):
        return
    layers = [
        layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        for layer in est.model_.layers
        if isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional)
    ]
    wrapped = any(isinstance(layer, keras.layers.Bidirectional) for layer in est.model_.layers)
    units = sorted(check_units(est.units) * members)
    kind = CELLS.get(est.cell) if isinstance(est.cell, str) else None
    if (
        sorted(layer.units for layer in layers) != units
        or any(type(layer) is not kind for layer in layers)
        or wrapped != bool(est.bidirectional)
    ):
        raise ValueError(
            f"the network's recurrent layers ({[type(x).__name__ for x in layers][:4]}, units "
            f"{sorted(x.units for x in layers)[:8]}) are not what the parameters say "
            f"(units={est.units!r:.40}, cell={est.cell!r:.20}, "
            f"bidirectional={est.bidirectional!r:.10}, n_models={members})"
        )
