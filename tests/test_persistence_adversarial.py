"""Adversarial model files: loading treats every byte as untrusted (issue 14).

One tiny model is fitted and saved per module; each test mutates a copy of its file the way
an attacker (or a damaged download) would, and checks that loading refuses it with the
right ModelFileError subclass, naming the member and the problem, before anything runs.
"""

import hashlib
import io
import json
import os
import pickle
import struct
import tracemalloc
import warnings
import zipfile

import h5py
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from forecastkit import Forecaster, LocalForecasters, SequenceRegressor, persistence
from forecastkit.cli import main
from forecastkit.exceptions import (
    ForeignModelFileError,
    MissingModelFileError,
    ModelFileError,
    ModelVersionError,
    ModelVersionWarning,
    NotAnArchiveError,
    ParameterError,
    TamperedModelFileError,
    TruncatedModelFileError,
    UnsafeModelFileError,
)

MANIFEST, WEIGHTS, CONFIG = "forecastkit.json", "model.weights.h5", "config.json"
TINY = dict(window=4, units=(4,), epochs=1, verbose=0, random_state=0, n_models=1)


def _entry(doc: dict) -> dict:
    """The manifest entry of the (only) fitted series: where its axis, transform, scaler are."""
    return doc["fitted"]["series"][0]


def _series(n: int = 40) -> pd.Series:
    t = np.arange(n)
    index = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.Series(10 + np.sin(t / 3) + 0.05 * t, index=index, name="y")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted tiny Forecaster and its saved file (never modified: tests copy it)."""
    f = Forecaster(**TINY).fit(_series())
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    f.save(path)
    return f, path


@pytest.fixture
def no_keras_load(monkeypatch):
    """Fail the test if Keras is ever asked to build a network from the file."""
    import keras

    def refuse(*args, **kwargs):
        raise AssertionError("keras.saving.load_model was reached")

    monkeypatch.setattr(keras.saving, "load_model", refuse)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rewrite(
    src,
    dst,
    *,
    manifest=None,
    members=None,
    extra=(),
    rechecksum=False,
    compression=zipfile.ZIP_STORED,
):
    """Copy the zip ``src`` to ``dst`` with edits, as an attacker would.

    ``manifest(dict)`` edits the parsed manifest in place; ``members`` maps a name to a
    function of its bytes; ``extra`` adds (name, bytes) members; ``rechecksum`` rewrites the
    manifest's checksums to match the edited members (the manifest is not covered by them).
    """
    with zipfile.ZipFile(src) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    for name, edit in (members or {}).items():
        contents[name] = edit(contents[name])
    doc = json.loads(contents[MANIFEST])
    if manifest is not None:
        manifest(doc)
    if rechecksum:
        doc["checksums"] = {n: _sha(d) for n, d in contents.items() if n != MANIFEST}
    contents[MANIFEST] = json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w", compression=compression) as out:
        for name, data in [*contents.items(), *extra]:
            out.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return dst


# ------------------------------------------------------------------ the manifest names code
def _callable_scaler(marker) -> dict:
    """The issue's attack: a scaler 'class' that is subprocess.check_output."""
    return {
        "class": "sklearn.utils._testing.check_output",
        "params": {"args": ["touch", str(marker)]},
        "fitted": {},
    }


def test_the_attack_is_real_sklearn_re_exports_check_output():
    import subprocess

    import sklearn.utils._testing as testing

    # the name the attack uses resolves to a command runner in this scikit-learn: the
    # tests below are only meaningful while that holds
    assert testing.check_output is subprocess.check_output


@pytest.mark.parametrize("where", ["scaler_target", "params.scaler"])
def test_manifest_naming_a_callable_runs_nothing(saved, tmp_path, where, no_keras_load):
    marker = tmp_path / "marker"

    def edit(doc):
        if where == "scaler_target":
            doc["fitted"]["series"][0]["scaler_target"] = _callable_scaler(marker)
        else:
            doc["params"]["scaler"] = {"__transformer__": _callable_scaler(marker)}

    bad = rewrite(saved[1], tmp_path / "evil.keras", manifest=edit)
    with pytest.raises(UnsafeModelFileError) as info:
        Forecaster.load(bad)
    message = str(info.value)
    assert "forecastkit.json" in message and "sklearn.utils._testing.check_output" in message
    assert "sklearn.preprocessing.StandardScaler" in message  # what is loaded instead
    assert not marker.exists()


def test_cli_forecast_of_a_malicious_file_exits_1_with_one_line(saved, tmp_path, capsys):
    marker = tmp_path / "marker"
    bad = rewrite(
        saved[1],
        tmp_path / "evil.keras",
        manifest=lambda doc: _entry(doc).update(scaler_target=_callable_scaler(marker)),
    )
    assert main(["forecast", str(bad), "--horizon", "2"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "check_output" in err and "forecastkit.json" in err
    assert not marker.exists()


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (  # an allowed class, but its functions name code
            {
                "class": "sklearn.preprocessing.FunctionTransformer",
                "params": {"func": "os.system"},
                "fitted": {},
            },
            "func must be None",
        ),
        (  # a Pipeline whose cache folder would make scikit-learn unpickle at fit
            {
                "class": "sklearn.pipeline.Pipeline",
                "params": {"steps": [], "memory": "/tmp/cache"},
                "fitted": {},
            },
            "memory must be None",
        ),
        (  # a parameter the class does not take
            {
                "class": "sklearn.preprocessing.StandardScaler",
                "params": {"evil": 1},
                "fitted": {},
            },
            "no parameter 'evil'",
        ),
        (  # a fitted 'attribute' that would replace a method or the class
            {
                "class": "sklearn.preprocessing.StandardScaler",
                "params": {},
                "fitted": {"__class__": 1},
            },
            "unexpected fitted attribute",
        ),
        (  # an object array
            {
                "class": "sklearn.preprocessing.StandardScaler",
                "params": {},
                "fitted": {"mean_": {"__ndarray__": [1], "dtype": "object"}},
            },
            "not a number type",
        ),
        (  # a nested object where a plain parameter belongs
            {
                "class": "sklearn.preprocessing.StandardScaler",
                "params": {"copy": {"__transformer__": {}}},
                "fitted": {},
            },
            "not a plain value",
        ),
    ],
)
def test_allowed_classes_with_non_plain_parameters_are_refused(saved, tmp_path, entry, match):
    bad = rewrite(
        saved[1],
        tmp_path / "bad.keras",
        manifest=lambda doc: doc["fitted"]["series"][0].update(scaler_target=entry),
    )
    with pytest.raises(ModelFileError, match=match):
        Forecaster.load(bad)


def test_deeply_nested_manifest_is_refused(saved, tmp_path):
    nested: list = []
    for _ in range(500):
        nested = [nested]
    bad = rewrite(saved[1], tmp_path / "deep.keras", manifest=lambda doc: doc.update(deep=nested))
    with pytest.raises(UnsafeModelFileError, match="nested more than"):
        Forecaster.load(bad)


# ------------------------------------------------------------------------ member lists
@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("evil.py", UnsafeModelFileError, "unexpected member 'evil.py'"),
        ("assets/x.txt", UnsafeModelFileError, "unexpected member 'assets/x.txt'"),
        ("../escape.txt", UnsafeModelFileError, "unsafe path, '../escape.txt'"),
        ("/tmp/escape.txt", UnsafeModelFileError, "unsafe path, '/tmp/escape.txt'"),
        ("a/../../escape.txt", UnsafeModelFileError, "unsafe path"),
        (CONFIG, UnsafeModelFileError, "'config.json' more than once"),
    ],
)
def test_extra_unsafe_and_duplicate_members_are_refused(
    saved, tmp_path, name, error, match, no_keras_load
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        bad = rewrite(saved[1], tmp_path / "extra.keras", extra=[(name, b"print('hi')")])
    with pytest.raises(error, match=match):
        Forecaster.load(bad)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_missing_member_is_refused(saved, tmp_path, no_keras_load):
    with zipfile.ZipFile(saved[1]) as z, zipfile.ZipFile(tmp_path / "m.keras", "w") as out:
        for name in z.namelist():
            if name != "forecastkit.npz":
                out.writestr(name, z.read(name))
    with pytest.raises(TamperedModelFileError, match=r"lacks member 'forecastkit.npz'"):
        Forecaster.load(tmp_path / "m.keras")


# ------------------------------------------------------------------------------- bombs
def _with_weights(saved_path, dst, data: bytes, compression=zipfile.ZIP_DEFLATED):
    """Replace the weights member with ``data`` (deflated), checksums matching."""
    return rewrite(
        saved_path, dst, members={WEIGHTS: lambda _: data}, rechecksum=True, compression=compression
    )


def test_a_member_declaring_more_than_its_limit_is_refused_unread(
    saved, tmp_path, monkeypatch, no_keras_load
):
    bomb = _with_weights(saved[1], tmp_path / "bomb.keras", bytes(4 * 2**20))
    assert bomb.stat().st_size < 64 * 1024  # 4 MiB of zeros deflate to a few KB
    monkeypatch.setitem(persistence.MEMBER_LIMITS, WEIGHTS, 2**20)  # a lowered limit
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeModelFileError, match=r"'model.weights.h5' declares 4,194,304"):
            Forecaster.load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # refused from the zip directory: the member was never inflated


def test_a_highly_inflating_member_is_refused_unread(saved, tmp_path, monkeypatch, no_keras_load):
    bomb = _with_weights(saved[1], tmp_path / "bomb.keras", bytes(4 * 2**20))
    monkeypatch.setattr(persistence, "EXPANSION_FLOOR", 2**20)  # a lowered floor
    with pytest.raises(UnsafeModelFileError, match=r"decompression bomb"):
        Forecaster.load(bomb)


def test_the_streaming_check_stops_at_the_limit_without_holding_the_member(
    saved, tmp_path, monkeypatch
):
    # Skip the directory checks (as if the declared size were within the limit) to show the
    # streaming count alone stops an inflating member, holding one chunk at a time.
    bomb = _with_weights(saved[1], tmp_path / "bomb.keras", bytes(32 * 2**20))
    monkeypatch.setattr(persistence, "_check_info", lambda *args: None)
    monkeypatch.setitem(persistence.MEMBER_LIMITS, WEIGHTS, 8 * 2**20)
    seen = []
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo(WEIGHTS)
        tracemalloc.start()
        try:
            with pytest.raises(UnsafeModelFileError, match="inflates past 8,388,608"):
                persistence._stream(
                    archive, info, str(bomb), "model", lambda c: seen.append(len(c))
                )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert sum(seen) <= 8 * 2**20  # nothing past the limit reached the sink
    assert peak < 4 * 2**20  # about one 1 MiB chunk (plus the decompressor's buffers)


def _patch_declared_size(path, name: str, size: int) -> None:
    """Rewrite ``name``'s uncompressed size in the zip's central directory."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        (length,) = struct.unpack("<H", data[start + 28 : start + 30])
        if bytes(data[start + 46 : start + 46 + length]) == encoded:
            data[start + 24 : start + 28] = struct.pack("<I", size)
            path.write_bytes(bytes(data))
            return
        start += 4
    raise AssertionError(f"{name} not found")


def test_a_member_inflating_past_its_declared_size_is_refused(saved, tmp_path, no_keras_load):
    bomb = _with_weights(saved[1], tmp_path / "liar.keras", bytes(8 * 2**20))
    _patch_declared_size(bomb, WEIGHTS, 1000)  # the directory lies: 1000 bytes
    with pytest.raises(TamperedModelFileError, match=r"'model.weights.h5' is corrupt"):
        Forecaster.load(bomb)


# ------------------------------------------------------------------- Keras's config.json
def _edit_config(edit):
    def member(data: bytes) -> bytes:
        config = json.loads(data)
        edit(config)
        return json.dumps(config).encode()

    return member


def _first_layer(config) -> dict:
    return config["config"]["layers"][1]  # the recurrent layer after the InputLayer


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda c: _first_layer(c).update(module="os", class_name="system"),
            "class 'system' of module 'os'",
        ),
        (
            lambda c: _first_layer(c).update(class_name="Lambda"),
            "class 'Lambda' of module 'keras.layers'",
        ),
        (
            lambda c: _first_layer(c)["config"].update(
                activation={
                    "module": "builtins",
                    "class_name": "function",
                    "config": "eval",
                    "registered_name": "function",
                }
            ),
            "class 'function' of module 'builtins'",
        ),
        (
            lambda c: _first_layer(c)["config"].update(activation="os.system"),
            "activation 'os.system'",
        ),
        (
            lambda c: _first_layer(c).update(registered_name="evil>Layer"),
            "registered as 'evil>Layer'",
        ),
        (
            lambda c: c.update(module="keras.layers", class_name="Dense", registered_name=None),
            "top-level object other than a Keras Functional model",
        ),
        (  # unhashable names must be refused, not crash the check with a raw TypeError
            lambda c: _first_layer(c).update(class_name=["LSTM"]),
            r"a class name that is not a string \(\['LSTM'\]\)",
        ),
        (
            lambda c: _first_layer(c)["config"].update(activation=["tanh"]),
            r"activation \['tanh'\]",
        ),
    ],
)
def test_keras_config_naming_a_class_outside_the_allow_list_is_refused(
    saved, tmp_path, edit, match, no_keras_load
):
    # the checksums are rewritten to match, as an attacker would: the allow-list must hold
    bad = rewrite(
        saved[1], tmp_path / "cfg.keras", members={CONFIG: _edit_config(edit)}, rechecksum=True
    )
    with pytest.raises(UnsafeModelFileError, match=match) as info:
        Forecaster.load(bad)
    assert "'config.json'" in str(info.value)


def test_the_allow_list_admits_every_network_forecastkit_builds():
    from forecastkit.models.builders import (
        build_classifier,
        build_regressor,
        build_sequence_regressor,
    )

    models = [
        build_regressor(
            window=3,
            n_features=2,
            horizon=2,
            n_targets=1,
            units=(2, 2),
            cell=c,
            bidirectional=b,
            dropout=0.1,
        )
        for c in ("lstm", "gru", "rnn")
        for b in (False, True)
    ]
    models.append(
        build_sequence_regressor(
            n_features=1, n_targets=1, units=(2,), stateful=True, batch_size=2, time_steps=3
        )
    )
    models.append(build_classifier(n_steps=3, n_features=2, n_classes=3, units=(2,)))
    for model in models:
        model.compile(optimizer="rmsprop", loss="mse")
        config = json.loads(json.dumps(model.get_config()))
        full = {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": config,
            "registered_name": "Functional",
            "compile_config": json.loads(json.dumps(model.get_compile_config())),
        }
        assert persistence._keras_config_problem(full) is None
        # the size bound is a lower bound: each network fits in its own weights, at 2 bytes
        weights = persistence._MIN_WEIGHT_BYTES * model.count_params()
        assert persistence._keras_size_problem(full, weights) is None


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: _first_layer(c)["config"].update(units=6000),  # 4 x 6000^2 float32: 576 MB
        lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 4, 10**7]),
        lambda c: _first_layer(c).update(build_config={"input_shape": [None, 4, 10**7]}),
        # thousands of layers: seconds of Keras wiring, then a RecursionError
        lambda c: c["config"]["layers"].extend([dict(_first_layer(c), class_name="Dropout")] * 300),
    ],
    ids=["units", "input-features", "build-config", "layers"],
)
def test_a_network_too_large_for_its_weights_is_refused_unbuilt(
    saved, tmp_path, edit, no_keras_load
):
    # Keras allocates and initialises every variable before reading the weights: without
    # this check a 30 KB file with units=6000 took minutes and gigabytes to refuse
    bad = rewrite(
        saved[1], tmp_path / "big.keras", members={CONFIG: _edit_config(edit)}, rechecksum=True
    )
    with pytest.raises(UnsafeModelFileError, match=r"'config.json' names a network of"):
        Forecaster.load(bad)


def _wide_dense_chain(config, *, reverse=False, width=5000):
    """Replace the network by input -> Dense(width) -> Dense(width) -> the saved head.

    Built from a tiny Keras model, then widened in the JSON, so the test allocates nothing.
    A Dense layer holds input width x units weights: 50 million here, in a 40 KB file.
    """
    import keras

    inputs = keras.Input((24, 3), name="window")
    out = keras.layers.Dense(3, name="d2")(keras.layers.Dense(3, name="d1")(inputs))
    layers = json.loads(json.dumps(keras.Model(inputs, out).get_config()))["layers"]
    text = json.dumps(layers).replace('"units": 3', f'"units": {width}')
    text = text.replace("[null, 24, 3]", f"[null, 24, {width}]")
    layers = json.loads(text)
    for layer in layers:
        layer.pop("build_config", None)  # only the wiring says how wide the inputs are
    config["config"]["layers"] = layers[::-1] if reverse else layers
    config["config"]["output_layers"] = [["d2", 0, 0]]


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "listed-backwards"])
def test_a_dense_layer_wired_to_wide_inputs_is_refused_unbuilt(
    saved, tmp_path, reverse, no_keras_load
):
    # the bound counted a Dense layer as its units alone (15,000 weights here), so this file
    # passed and Keras allocated two 5000 x 5000 kernels (1.1 GB) before refusing it
    bad = rewrite(
        saved[1],
        tmp_path / "wide.keras",
        members={CONFIG: _edit_config(lambda c: _wide_dense_chain(c, reverse=reverse))},
        rechecksum=True,
    )
    with pytest.raises(UnsafeModelFileError, match=r"at least 50,0\d\d,\d{3} weights"):
        Forecaster.load(bad)


def test_a_time_zone_naming_a_file_is_refused_unopened(saved, tmp_path, monkeypatch):
    # pandas resolves "dateutil/<name>" with dateutil.tz.gettz, which opens a path as a zone
    # file: an edited manifest made loading open any file on disk (and trust its contents)
    import dateutil.tz

    opened = []
    real = dateutil.tz.gettz
    monkeypatch.setattr(dateutil.tz, "gettz", lambda name=None: opened.append(name) or real(name))
    zone = tmp_path / "planted-zone"
    zone.write_bytes(b"TZif" + bytes(60))  # any file: its name alone must be refused
    for tz in (f"dateutil/{zone}", "dateutil/../../../../etc/passwd"):
        bad = rewrite(
            saved[1],
            tmp_path / "tz.keras",
            manifest=lambda d, tz=tz: d["fitted"]["series"][0]["time_axis"].update(tz=tz),
        )
        with pytest.raises(ModelFileError, match="is not a zone name"):
            Forecaster.load(bad)
    assert opened == []


def _scaler_fitted(doc) -> dict:
    return doc["fitted"]["series"][0]["scaler_target"]["fitted"]


@pytest.mark.parametrize(
    ("edit", "match"),
    [  # each loaded before, then failed at forecast() with a raw error or wrong dates
        (lambda d: d["fitted"].update(targets=[7]), r"targets.*range\(n_features=1\)"),
        (lambda d: d["fitted"].update(window=40), r"network input of shape \(4, 1\)"),
        (  # the network (checked first) or the values, whichever disagrees first
            lambda d: d["fitted"].update(names=["y", "x"]),
            r"network input of shape \(4, 1\)|values of shape \(1,\)",
        ),
        (lambda d: _entry(d)["time_axis"].update(n_steps=10**12), "time axis of shape"),
        (lambda d: _entry(d)["transform"].update(log=[True, True]), "log flags of shape"),
        (
            lambda d: _scaler_fitted(d).update(mean_={"__ndarray__": [1.0, 2.0], "dtype": "f8"}),
            "the saved scaler does not fit the saved columns",
        ),
        (
            lambda d: _scaler_fitted(d).update(mean_=[1.0]),  # a list, not an array
            "the saved scaler does not fit the saved columns",
        ),
    ],
    ids=["targets", "window", "names", "n-steps", "log", "scaler-shape", "scaler-list"],
)
def test_a_manifest_disagreeing_with_its_arrays_or_network_is_refused(saved, tmp_path, edit, match):
    bad = rewrite(saved[1], tmp_path / "odd.keras", manifest=edit)
    with pytest.raises(ModelFileError, match=match):
        Forecaster.load(bad)


# ------------------------------------------------------------------ HDF5 and npz members
def _edit_h5(tmp_path, edit):
    """A function of the weights member's bytes that edits it with h5py (in a file)."""

    def member(data: bytes) -> bytes:
        work = tmp_path / "work.h5"
        work.write_bytes(data)
        with h5py.File(work, "r+") as h5:
            edit(h5, h5["layers/dense/vars"])
        return work.read_bytes()

    return member


def _replace(group, name, **dataset):
    del group[name]
    group.create_dataset(name, **dataset)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda h5, g, o: (
                g.pop("1"),
                g.__setitem__("1", h5py.ExternalLink(o, "/x")),
            ),
            "a link of type ExternalLink at '/layers/dense/vars/1'",
        ),
        (
            lambda h5, g, o: (g.pop("1"), g.__setitem__("1", h5py.SoftLink("/vars"))),
            "a link of type SoftLink",
        ),
        (
            lambda h5, g, o: _replace(g, "1", shape=(1,), dtype="f4", external=[(o, 0, 4)]),
            "a dataset stored in other files at '/layers/dense/vars/1'",
        ),
        (  # a 600 MB dataset of unwritten chunks: a few bytes in the file
            lambda h5, g, o: _replace(g, "0", shape=(12000, 12000), dtype="f4", chunks=(500, 500)),
            r"datasets declaring over 576,\d{3},\d{3} bytes in",
        ),
        (
            lambda h5, g, o: _replace(g, "1", data=["a"], dtype=h5py.string_dtype()),
            "a dataset of dtype object",
        ),
        (
            lambda h5, g, o: g.__setitem__("loop", h5["layers"]),  # a cycle of hard links
            "an object linked twice",
        ),
    ],
    ids=["external-link", "soft-link", "external-storage", "shape-bomb", "strings", "cycle"],
)
def test_weights_reaching_other_files_or_declaring_huge_shapes_are_refused(
    saved, tmp_path, edit, match, no_keras_load
):
    other = tmp_path / "other.h5"  # a file elsewhere on the disk the weights could point to
    other.write_bytes(bytes(64))
    member = _edit_h5(tmp_path, lambda h5, g: edit(h5, g, str(other)))
    bad = rewrite(saved[1], tmp_path / "h5.keras", members={WEIGHTS: member}, rechecksum=True)
    with pytest.raises(UnsafeModelFileError, match=match) as info:
        Forecaster.load(bad)
    assert "'model.weights.h5'" in str(info.value)


def _npz(values=None, *, header_shape=None, compression=zipfile.ZIP_STORED) -> bytes:
    """An npz holding ``values.npy``: the array, or a header declaring ``header_shape``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as z:
        with z.open("values.npy", "w", force_zip64=True) as f:
            if header_shape is None:
                np.lib.format.write_array(f, values, allow_pickle=False)
            else:
                header = {"descr": "<f4", "fortran_order": False, "shape": header_shape}
                np.lib.format.write_array_header_1_0(f, header)
                f.write(bytes(64))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (  # 256 MiB of zeros deflated inside a stored npz: about 256 KB on disk
            lambda: _npz(np.zeros(2**26, "f4"), compression=zipfile.ZIP_DEFLATED),
            r"the compressed array 'values.npy' \(a decompression bomb\?\)",
        ),
        (  # NumPy would allocate the declared 4 TiB before reading 64 bytes
            lambda: _npz(header_shape=(2**40,)),
            r"declaring shape \(1099511627776,\) in",
        ),
        (lambda: _npz(np.array(["1.0"] * 40)), "of dtype <U3"),
    ],
    ids=["deflated", "huge-header", "strings"],
)
def test_npz_arrays_that_inflate_or_are_not_numbers_are_refused(
    saved, tmp_path, data, match, no_keras_load
):
    bad = rewrite(
        saved[1],
        tmp_path / "npz.keras",
        members={"forecastkit.npz": lambda _: data()},
        rechecksum=True,
    )
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeModelFileError, match=match) as info:
            Forecaster.load(bad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "'forecastkit.npz'" in str(info.value)
    assert peak < 32 * 2**20  # only headers were read


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["fitted"]["series"][0]["scaler_target"]["fitted"].update(
            mean_={"__ndarray__": [10**30], "dtype": "int64"}
        ),
        lambda d: d["fitted"]["series"][0]["time_axis"].update(freq="10000000000000000000D"),
    ],
    ids=["int64-overflow", "frequency-overflow"],
)
def test_out_of_range_numbers_in_the_manifest_are_a_model_file_error(saved, tmp_path, edit):
    bad = rewrite(saved[1], tmp_path / "num.keras", manifest=edit)
    with pytest.raises(
        ModelFileError, match=r"invalid forecastkit manifest.*(OverflowError|out-of-range)"
    ):
        Forecaster.load(bad)


@pytest.fixture(scope="module")
def saved_adjusted(tmp_path_factory):
    """A tiny Forecaster with weekly seasonal indices, and its saved file."""
    f = Forecaster(**TINY, seasonal_adjustment="always").fit(_series(60))
    assert f.series_[None].adjustment is not None
    path = tmp_path_factory.mktemp("adjusted") / "model.keras"
    f.save(path)
    return f, path


def _adjustment(doc: dict) -> dict:
    return doc["fitted"]["series"][0]["adjustment"]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda a: a.update(indices=[a["indices"][0][:5]]), "period 5 .* season_length 7"),
        (lambda a: a["indices"][0].__setitem__(2, "nan"), "not finite"),
        (lambda a: a["indices"][0].__setitem__(2, 1e308 * 10), "not finite"),
        (
            lambda a: a.update(multiplicative=[not a["multiplicative"][0]]),
            "positive factors|log flags",
        ),
    ],
    ids=["period", "nan", "inf", "multiplicative"],
)
def test_seasonal_indices_that_do_not_fit_the_series_are_a_model_file_error(
    saved_adjusted, tmp_path, edit, match
):
    # indices of period 5 on a weekly series loaded and silently moved every forecast
    bad = rewrite(
        saved_adjusted[1], tmp_path / "adj.keras", manifest=lambda d: edit(_adjustment(d))
    )
    with pytest.raises(ModelFileError, match=match):
        Forecaster.load(bad)
    assert Forecaster.load(saved_adjusted[1]).forecast(3).equals(saved_adjusted[0].forecast(3))


# --------------------------------------------------------------------------- versions
def test_a_newer_major_format_is_refused_naming_both_versions(saved, tmp_path, no_keras_load):
    bad = rewrite(
        saved[1],
        tmp_path / "v2.keras",
        manifest=lambda doc: doc.update(
            format_version=persistence.FORMAT_VERSION + 1, format_minor=3
        ),
    )
    newer, now = persistence.FORMAT_VERSION + 1, persistence.FORMAT_VERSION
    with pytest.raises(ModelVersionError, match=rf"format {newer}\.3 .* reads format {now}\.x"):
        Forecaster.load(bad)


def test_a_newer_minor_format_loads_with_one_warning(saved, tmp_path):
    newer = rewrite(
        saved[1],
        tmp_path / "v1_9.keras",
        manifest=lambda doc: doc.update(format_minor=persistence.FORMAT_MINOR + 9),
    )
    with pytest.warns(ModelVersionWarning) as caught:
        loaded = Forecaster.load(newer)
    assert len(caught) == 1 and f"{persistence.FORMAT_VERSION}.9" in str(caught[0].message)
    pd.testing.assert_series_equal(loaded.forecast(2), saved[0].forecast(2))


def test_a_newer_keras_and_minor_format_give_one_warning(saved, tmp_path):
    def keras_99(data: bytes) -> bytes:
        return json.dumps({**json.loads(data), "keras_version": "9.9.0"}).encode()

    newer = rewrite(
        saved[1],
        tmp_path / "keras99.keras",
        members={"metadata.json": keras_99},
        manifest=lambda doc: doc.update(format_minor=persistence.FORMAT_MINOR + 1),
        rechecksum=True,
    )
    with pytest.warns(ModelVersionWarning) as caught:
        Forecaster.load(newer)
    assert len(caught) == 1
    newer = f"format {persistence.FORMAT_VERSION}.{persistence.FORMAT_MINOR + 1}"
    assert "Keras 9.9.0" in str(caught[0].message) and newer in str(caught[0].message)


def test_an_ordinary_file_loads_without_warnings(saved):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = Forecaster.load(saved[1])
    pd.testing.assert_series_equal(loaded.forecast(3), saved[0].forecast(3))


# -------------------------------------------------------------------- each bad-file kind
def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MissingModelFileError, match="No model file"):
        Forecaster.load(tmp_path / "nope.keras")
    with pytest.raises(MissingModelFileError, match="it is a folder"):
        Forecaster.load(tmp_path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"window,units\n12,4\n", r"a text file \(it starts with 'window,units"),
        (pickle.dumps({"model": 1}, protocol=4), r"a Python pickle\. forecastkit never unpickles"),
        (pickle.dumps([1], protocol=5), "never unpickles"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "an HDF5 file"),
        (b"", "an empty file"),
        (b"\x00\x01\x02\xff\xfe", "unknown binary data"),
    ],
)
def test_not_a_zip_says_what_it_looks_like(tmp_path, content, match):
    path = tmp_path / "thing.keras"
    path.write_bytes(content)
    with pytest.raises(NotAnArchiveError, match=match):
        Forecaster.load(path)


def test_truncated_zip(saved, tmp_path):
    data = saved[1].read_bytes()
    path = tmp_path / "cut.keras"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedModelFileError, match=r"truncated or corrupt.*interrupted"):
        Forecaster.load(path)


def test_plain_keras_file(saved, tmp_path):
    path = tmp_path / "plain.keras"
    saved[0].model_.save(path)
    with pytest.raises(ForeignModelFileError, match=r"no forecastkit.json entry.*plain Keras"):
        Forecaster.load(path)


def test_tampered_weights_name_the_member(saved, tmp_path, no_keras_load):
    def flip(data: bytes) -> bytes:
        return data[:-10] + bytes(b ^ 0xFF for b in data[-10:])

    bad = rewrite(saved[1], tmp_path / "t.keras", members={WEIGHTS: flip})
    with pytest.raises(TamperedModelFileError, match=r"integrity check: member 'model.weights.h5'"):
        Forecaster.load(bad)


def test_foreign_estimator(saved, no_keras_load):
    with pytest.raises(ForeignModelFileError, match=r"holds a Forecaster, not a SequenceRegressor"):
        SequenceRegressor.load(saved[1])


def test_unknown_estimator_name(saved, tmp_path, no_keras_load):
    bad = rewrite(saved[1], tmp_path / "u.keras", manifest=lambda d: d.update(estimator="os"))
    with pytest.raises(ForeignModelFileError, match="unknown estimator"):
        Forecaster.load(bad)


def test_callbacks_in_the_manifest_are_refused(saved, tmp_path):
    bad = rewrite(
        saved[1], tmp_path / "cb.keras", manifest=lambda d: d["params"].update(callbacks=["x"])
    )
    with pytest.raises(ModelFileError, match="callbacks"):
        Forecaster.load(bad)


@pytest.mark.parametrize(
    "params",
    [{"units": [64]}, {"units": [4, 4]}, {"cell": "gru"}, {"bidirectional": True}],
    ids=["units", "depth", "cell", "bidirectional"],
)
def test_parameters_that_do_not_describe_the_network_are_a_model_file_error(
    saved, tmp_path, params
):
    # they loaded, and get_params() and `forecastkit info` described another network
    bad = rewrite(saved[1], tmp_path / "p.keras", manifest=lambda d: d["params"].update(params))
    with pytest.raises(ModelFileError, match="not what the parameters say"):
        Forecaster.load(bad)


# ------------------------------------------------------------------------------ bundles
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 30),
            "ds": np.tile(pd.date_range("2024-01-01", periods=30, freq="D"), 2),
            "y": np.sin(np.arange(60) / 3) + 5,
        }
    )
    local = LocalForecasters(Forecaster(**TINY), random_state=0).fit(frame)
    path = tmp_path_factory.mktemp("bundle") / "local.zip"
    local.save(path)
    return path


def _rewrite_bundle(src, dst, *, manifest=None, extra=()):
    with zipfile.ZipFile(src) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(contents["forecastkit-bundle.json"])
    if manifest is not None:
        manifest(doc)
    contents["forecastkit-bundle.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w") as out:
        for name, data in [*contents.items(), *extra]:
            out.writestr(zipfile.ZipInfo(name), data)
    return dst


def test_bundle_refusals(bundle, tmp_path):
    cases = [
        (dict(extra=[("evil.py", b"x")]), UnsafeModelFileError, "unexpected member 'evil.py'"),
        (dict(extra=[("../x.keras", b"x")]), UnsafeModelFileError, "unsafe path"),
        (
            dict(manifest=lambda d: d["template"].update({"class": "WindowRegressor"})),
            UnsafeModelFileError,
            "names class 'WindowRegressor'",
        ),
        (
            dict(manifest=lambda d: d.update(format_version=7)),
            ModelVersionError,
            "format 7",
        ),
        (
            dict(manifest=lambda d: d["checksums"].update({"series/000009.keras": "0" * 64})),
            TamperedModelFileError,
            "lacks member 'series/000009.keras'",
        ),
    ]
    for k, (edits, error, match) in enumerate(cases):
        bad = _rewrite_bundle(bundle, tmp_path / f"bad{k}.zip", **edits)
        with pytest.raises(error, match=match):
            LocalForecasters.load(bad)
    assert LocalForecasters.load(bundle).forecast(1).shape == (2, 3)


@pytest.mark.parametrize(
    ("edit", "match"),
    [  # a file listed twice raised a raw FileNotFoundError; an id twice lost a series
        (lambda d: d["series"][1].update(file=d["series"][0]["file"]), "listed twice"),
        (lambda d: d["series"][1].update(id=d["series"][0]["id"]), "listed twice"),
        (lambda d: d["series"][0].update(seed=float("inf")), "OverflowError"),
    ],
    ids=["file-twice", "id-twice", "infinite-seed"],
)
def test_a_bundle_listing_a_series_twice_or_out_of_range_is_refused(bundle, tmp_path, edit, match):
    bad = _rewrite_bundle(bundle, tmp_path / "bad.zip", manifest=edit)
    with pytest.raises(ModelFileError, match=match):
        LocalForecasters.load(bad)


def test_a_newer_bundle_and_newer_members_give_one_warning(bundle, tmp_path):
    def newer(data: bytes) -> bytes:  # a member .keras from a newer minor format
        src, dst = tmp_path / "in.keras", tmp_path / "out.keras"
        src.write_bytes(data)
        return rewrite(src, dst, manifest=lambda d: d.update(format_minor=9)).read_bytes()

    with zipfile.ZipFile(bundle) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(contents["forecastkit-bundle.json"])
    for name in doc["checksums"]:
        contents[name] = newer(contents[name])
        doc["checksums"][name] = _sha(contents[name])
    doc["format_minor"] = 9
    contents["forecastkit-bundle.json"] = json.dumps(doc).encode()
    path = tmp_path / "newer.zip"
    with zipfile.ZipFile(path, "w") as out:
        for name, data in contents.items():
            out.writestr(name, data)
    with pytest.warns(ModelVersionWarning) as caught:
        loaded = LocalForecasters.load(path)
    assert len(caught) == 1 and f"format {persistence.FORMAT_VERSION}.9" in str(caught[0].message)
    assert loaded.forecast(1).shape == (2, 3)


# --------------------------------------------------------------------------- save side
@pytest.mark.parametrize("name", [".keras", ""])
def test_save_without_a_file_name_is_a_clear_error(saved, tmp_path, name):
    target = os.path.join(str(tmp_path), name) if name else str(tmp_path) + os.sep
    with pytest.raises(ParameterError, match=r"file name|names a folder"):
        saved[0].save(target)
    assert os.listdir(tmp_path) == []


def test_save_onto_an_existing_folder_is_a_clear_error(saved, tmp_path):
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(ParameterError, match="existing folder"):
        saved[0].save(tmp_path / "m.keras")


def test_save_into_a_missing_folder_is_a_clear_error(saved, tmp_path):
    with pytest.raises(ParameterError, match=r"folder .*missing.* does not exist.*makedirs"):
        saved[0].save(tmp_path / "missing" / "m.keras")
    assert not (tmp_path / "missing").exists()


def test_save_onto_a_symlink_is_refused_and_leaves_link_and_target(saved, tmp_path):
    target = tmp_path / "target.keras"
    target.write_bytes(b"old model")
    link = tmp_path / "link.keras"
    link.symlink_to(target)
    with pytest.raises(ParameterError, match=r"symbolic link.*Save to the target itself"):
        saved[0].save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"old model"
    saved[0].save(target)  # the fix the message names works
    assert Forecaster.load(link).forecast(1).equals(saved[0].forecast(1))


def test_a_failing_save_leaves_the_old_file_intact(saved, tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    saved[0].save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        saved[0].save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left


def test_a_scaler_outside_the_allow_list_is_refused_at_save(saved, tmp_path):
    class MyScaler(StandardScaler):
        pass

    path = tmp_path / "m.keras"
    f = Forecaster(**TINY, scaler=MyScaler()).fit(_series())  # fits and forecasts fine
    with pytest.raises(ParameterError, match=r"MyScaler without pickle.*StandardScaler"):
        f.save(path)
    assert not path.exists()
    for scaler, match in [
        (Normalizer(), r"Normalizer without pickle"),
        (FunctionTransformer(np.log1p, np.expm1), r"func=.*without pickle"),
    ]:
        g = pickle.loads(pickle.dumps(saved[0])).set_params(scaler=scaler)
        with pytest.raises(ParameterError, match=match):
            g.save(path)
        assert not path.exists()


# ------------------------------------------------------------------ the allow-list itself
@pytest.mark.parametrize(
    "transformer",
    [
        StandardScaler(),
        MinMaxScaler(feature_range=(-1, 1), clip=True),
        MaxAbsScaler(),
        RobustScaler(quantile_range=(10.0, 90.0)),
        PowerTransformer(),  # keeps a private StandardScaler (_scaler)
        PowerTransformer(method="box-cox", standardize=False),
        QuantileTransformer(n_quantiles=20),
        FunctionTransformer(),  # the identity
        Pipeline([("minmax", MinMaxScaler()), ("standard", StandardScaler())]),
    ],
    ids=lambda t: type(t).__name__,
)
def test_every_allowed_transformer_round_trips_through_json(transformer):
    x = np.random.default_rng(0).gamma(2.0, size=(50, 1)) + 1.0
    transformer.fit(x)
    d = json.loads(json.dumps(persistence.transformer_to_dict(transformer)))
    back = persistence.transformer_from_dict(d)
    assert type(back) is type(transformer)
    np.testing.assert_allclose(back.transform(x), transformer.transform(x))
    np.testing.assert_allclose(back.inverse_transform(transformer.transform(x)), x)


def test_files_written_before_with_private_module_paths_still_load():
    scaler = StandardScaler().fit([[1.0], [3.0]])
    d = persistence.transformer_to_dict(scaler)
    d["class"] = f"{StandardScaler.__module__}.StandardScaler"  # what forecastkit 0.1 wrote
    assert d["class"] != "sklearn.preprocessing.StandardScaler"
    assert persistence.transformer_from_dict(d).mean_.tolist() == [2.0]


def test_saved_arrays_are_stored_and_read_without_pickle(saved):
    with zipfile.ZipFile(saved[1]) as z:
        assert sorted(z.namelist()) == sorted(persistence.MEMBERS)
        info = z.getinfo("forecastkit.npz")
        assert info.compress_type == zipfile.ZIP_STORED
        with np.load(io.BytesIO(z.read("forecastkit.npz")), allow_pickle=False) as npz:
            assert all(npz[k].dtype != object for k in npz.files)


@pytest.mark.parametrize("path", [None, 3, b"model.keras", ["model.keras"]])
def test_save_and_load_refuse_a_path_that_is_not_a_path(saved, path):
    f, _ = saved
    with pytest.raises(ParameterError, match=r"`path` must be a str or os.PathLike"):
        f.save(path)
    with pytest.raises(ParameterError, match=r"`path` must be a str or os.PathLike"):
        Forecaster.load(path)
    with pytest.raises(ParameterError, match=r"`path` must be a str or os.PathLike"):
        LocalForecasters.load(path)
