"""Saving and loading estimators: a native ``.keras`` archive plus our own manifest.

Layout of a saved file (a zip, loadable by ``keras.saving.load_model`` as it is):

- Keras's own entries (``config.json``, ``metadata.json``, ``model.weights.h5``);
- ``forecastkit.json``: the manifest (format version, library versions, estimator
  parameters, time axis, scaler parameters as numbers, checksums of Keras's entries);
- ``forecastkit.npz``: plain numeric arrays (the fitted series), read with
  ``allow_pickle=False``.

No pickle anywhere. Files are written to a temporary file in the destination folder and
renamed into place, so a crash never leaves a half-written model. Loading refuses a
truncated, foreign or tampered file with :class:`~forecastkit.exceptions.ModelFileError`.

Several saved models (one per series of :class:`~forecastkit.LocalForecasters`) travel as
a *bundle*: a ``.zip`` holding each model's own ``.keras`` file unchanged plus
``forecastkit-bundle.json`` (format, versions, the owner's description and the SHA-256 of
every member), written and checked the same way (:func:`save_bundle`, :func:`load_bundle`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from forecastkit.exceptions import ModelFileError, ParameterError

__all__ = [
    "check_ids",
    "decode_params",
    "encode_params",
    "load_archive",
    "load_bundle",
    "save_archive",
    "save_bundle",
    "transformer_from_dict",
    "transformer_to_dict",
]

FORMAT = "forecastkit"
FORMAT_VERSION = 1
MANIFEST = "forecastkit.json"
ARRAYS = "forecastkit.npz"
BUNDLE_MANIFEST = "forecastkit-bundle.json"


def _versions() -> dict[str, str]:
    import keras
    import pandas
    import sklearn
    import tensorflow

    from forecastkit import __version__

    return {
        "forecastkit": __version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _checksums(archive: zipfile.ZipFile) -> dict[str, str]:
    names = sorted(n for n in archive.namelist() if n not in (MANIFEST,))
    return {n: hashlib.sha256(archive.read(n)).hexdigest() for n in names}


def save_archive(path, model, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``model`` + ``manifest`` + ``arrays`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; must end in ``.keras``.
    model : keras.Model
    manifest : dict
        JSON-serialisable description of the estimator (the ``format`` keys are added).
    arrays : dict of str to ndarray
        Numeric arrays saved with ``numpy.savez`` (no object arrays).
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ParameterError(
            f"`path` must end in '.keras' (a native Keras archive); got path={path!r}."
        )
    with atomic_path(path) as tmp:
        model.save(tmp)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(ARRAYS, buffer.getvalue())
            archive.writestr(MANIFEST, _full_manifest(manifest, _checksums(archive)))


@contextlib.contextmanager
def atomic_path(path, *, prefix: str = ".tmp-forecastkit-") -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    The temporary file (same folder, same suffix, so same file system and format) gets the
    usual permissions under the umask (``mkstemp`` makes it 0600) and is renamed into place
    with ``os.replace``: ``path`` is never half written. On an error it is removed and
    ``path`` is left as it was. The one atomic write of forecastkit (models, bundles,
    checkpoints, command-line outputs).

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp, open(tmp, "w") as f:
    ...     _ = f.write("done")
    >>> with open(target) as f:
    ...     f.read()
    'done'
    >>> os.listdir(os.path.dirname(target))  # no temporary file left
    ['out.txt']
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(suffix=os.path.splitext(path)[1], dir=folder, prefix=prefix)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_manifest(path: str, manifest: dict[str, Any], estimator: str, what: str) -> None:
    """Refuse a manifest of another format, a newer format version or another estimator."""
    if manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a forecastkit {what} (format).")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} was written by a newer forecastkit (format version "
            f"{manifest['format_version']}); upgrade forecastkit to load it."
        )
    if manifest.get("estimator") != estimator:
        raise ModelFileError(
            f"{path!r} holds a {manifest.get('estimator')!r}, not a {estimator!r}. "
            f"Load it with forecastkit.{manifest.get('estimator')}.load."
        )


def _full_manifest(manifest: dict[str, Any], checksums: dict[str, str]) -> str:
    """Return the manifest as written: format keys, versions, the owner's keys, checksums."""
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        **manifest,
        "checksums": checksums,
    }
    return json.dumps(full, indent=2, sort_keys=True)


def load_archive(path, *, estimator: str) -> tuple[Any, dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`save_archive`; check it before trusting it.

    Returns
    -------
    (model, manifest, arrays)
    """
    import keras

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"No model file at path={path!r}. Check the path.")
    try:
        with zipfile.ZipFile(path) as archive:
            if MANIFEST not in archive.namelist():
                raise ModelFileError(
                    f"{path!r} is not a forecastkit model: it has no {MANIFEST} entry (a plain "
                    "Keras file?). Load it with keras.saving.load_model, or save it with "
                    "forecastkit."
                )
            manifest = json.loads(archive.read(MANIFEST))
            expected = manifest.get("checksums", {})
            if manifest.get("format") != FORMAT or _checksums(archive) != expected:
                raise ModelFileError(
                    f"{path!r} failed its integrity check: its contents do not match the "
                    "checksums written when it was saved (modified or corrupted). Save the "
                    "model again."
                )
            with archive.open(ARRAYS) as f:
                arrays = dict(np.load(io.BytesIO(f.read()), allow_pickle=False))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(
            f"{path!r} is not a readable forecastkit model (truncated or corrupt: {err}). "
            "Save the model again."
        ) from err
    _check_manifest(path, manifest, estimator, "model")
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    return model, manifest, arrays


def _sha256(read) -> str:
    """SHA-256 of a binary file object, read a megabyte at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: read.read(2**20), b""):
        digest.update(block)
    return digest.hexdigest()


def save_bundle(path, manifest: dict[str, Any], files: dict[str, str]) -> None:
    """Write saved model files and a manifest into one ``.zip`` at ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; must end in ``.zip``.
    manifest : dict
        JSON-serialisable description (must name its ``estimator``); the ``format``,
        ``versions`` and ``checksums`` keys are added.
    files : dict of str to str
        Member name in the bundle -> path of a file on disk (e.g. a saved ``.keras``).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> member = os.path.join(folder, "m.bin")
    >>> with open(member, "wb") as f:
    ...     _ = f.write(b"weights")
    >>> save_bundle(os.path.join(folder, "b.zip"), {"estimator": "Demo"}, {"m.bin": member})
    >>> manifest, paths = load_bundle(os.path.join(folder, "b.zip"), estimator="Demo",
    ...                               folder=folder)
    >>> with open(paths["m.bin"], "rb") as f:
    ...     f.read()
    b'weights'
    """
    path = os.fspath(path)
    if not path.endswith(".zip"):
        raise ParameterError(f"`path` must end in '.zip' (a bundle); got path={path!r}.")
    checksums = {}
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, source in files.items():
                archive.write(source, name)
                with open(source, "rb") as f:
                    checksums[name] = _sha256(f)
            archive.writestr(BUNDLE_MANIFEST, _full_manifest(manifest, checksums))


def load_bundle(path, *, estimator: str, folder: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a bundle written by :func:`save_bundle` and extract its members into ``folder``.

    Every member listed in the manifest must be present with its saved SHA-256; members
    are written as ``folder/<k>.member`` (never under their own names), so a crafted
    name cannot write outside ``folder``.

    Returns
    -------
    (manifest, paths)
        ``paths`` maps each member name to its extracted file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"No saved bundle at path={path!r}. Check the path.")
    paths = {}
    try:
        with zipfile.ZipFile(path) as archive:
            if BUNDLE_MANIFEST not in archive.namelist():
                raise ModelFileError(
                    f"{path!r} is not a forecastkit bundle: it has no {BUNDLE_MANIFEST} entry. "
                    "Save it with forecastkit."
                )
            manifest = json.loads(archive.read(BUNDLE_MANIFEST))
            _check_manifest(path, manifest, estimator, "bundle")
            for k, (name, expected) in enumerate(sorted(manifest["checksums"].items())):
                data = archive.read(name)
                if hashlib.sha256(data).hexdigest() != expected:
                    raise ModelFileError(
                        f"{path!r} failed its integrity check: member {name!r} does not "
                        "match the checksum written when it was saved (modified or "
                        "corrupted). Save the model again."
                    )
                paths[name] = os.path.join(folder, f"{k}.member")
                with open(paths[name], "wb") as out:
                    out.write(data)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(
            f"{path!r} is not a readable forecastkit bundle (truncated or corrupt: {err}). "
            "Save the model again."
        ) from err
    return manifest, paths


def check_ids(ids, id_col: str) -> list:
    """Return series ids for a manifest: strings or integers, refused otherwise.

    JSON keeps ``1`` and ``"1"`` apart, so both come back as they were.

    Examples
    --------
    >>> check_ids(["a", 1], "unique_id")
    ['a', 1]
    """
    ids = list(ids)
    bad = [uid for uid in ids if isinstance(uid, bool) or not isinstance(uid, str | int)]
    if bad:
        raise ParameterError(
            f"Series ids must be strings or integers to be saved; got {bad[:5]!r}. Convert "
            f"them before fitting, e.g. `frame[{id_col!r}] = frame[{id_col!r}].astype(str)`."
        )
    return ids


def _encode(value):
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        return {"__transformer__": transformer_to_dict(value)}
    if isinstance(value, type) and value.__module__.startswith("numpy"):
        return {"__dtype__": np.dtype(value).name}
    raise ParameterError(
        f"Cannot save a value of type {type(value).__name__} without pickle. Use a scikit-learn "
        "transformer with plain numeric parameters as `scaler`."
    )


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__transformer__" in value:
            return transformer_from_dict(value["__transformer__"])
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"]).type
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Make an estimator's ``get_params()`` JSON-safe for the manifest.

    Callbacks, a ``distribution`` strategy, ``resume_dir`` and ``log_dir`` are dropped
    (stored as None: they belong to the training run, not to the saved model) and an
    optimizer instance is stored by name; tuples, NumPy scalars and scikit-learn
    transformers are encoded without pickle.

    Examples
    --------
    >>> decode_params(encode_params({"units": (8, 4), "callbacks": [1]}))
    {'units': (8, 4), 'callbacks': None}
    >>> list(encode_params({"window": 3, "scaler__copy": True}))  # deep get_params()
    ['window', 'callbacks']
    """
    # get_params() (deep) also lists nested parameters ("scaler__copy"); the top-level object
    # carries them, and __init__ takes only top-level names.
    params = {k: v for k, v in params.items() if "__" not in k}
    params["callbacks"] = None
    # Run-time settings of the machine that trained, not of the model: a loaded model
    # refitted elsewhere must neither resume an unrelated backup nor write logs to a path
    # of another machine.
    for name in ("distribution", "resume_dir", "log_dir"):
        if name in params:
            params[name] = None
    if not isinstance(params.get("optimizer", ""), str):
        params["optimizer"] = params["optimizer"].name
    return {k: _encode(v) for k, v in params.items()}


def decode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_params`."""
    return {k: _decode(v) for k, v in params.items()}


def transformer_to_dict(transformer) -> dict[str, Any]:
    """Describe a scikit-learn transformer (fitted or not) with numbers only.

    Only classes from scikit-learn are accepted (their module path is re-imported at load).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> d = transformer_to_dict(StandardScaler().fit([[1.0], [3.0]]))
    >>> transformer_from_dict(d).mean_.tolist()
    [2.0]
    """
    cls = type(transformer)
    if not cls.__module__.startswith("sklearn."):
        raise ParameterError(
            f"Only scikit-learn transformers can be saved without pickle; got "
            f"{cls.__module__}.{cls.__name__}. Use e.g. StandardScaler or MinMaxScaler."
        )
    params = transformer.get_params(deep=False)
    if "steps" in params:  # Pipeline
        params["steps"] = [[name, transformer_to_dict(step)] for name, step in params["steps"]]
    fitted = {
        k: v for k, v in vars(transformer).items() if k.endswith("_") and not k.startswith("_")
    }
    return {
        "class": f"{cls.__module__}.{cls.__name__}",
        "params": {k: _encode(v) for k, v in params.items() if k != "steps"}
        | ({"steps": params["steps"]} if "steps" in params else {}),
        "fitted": {k: _encode(v) for k, v in fitted.items()},
    }


def transformer_from_dict(d: dict[str, Any]):
    """Rebuild a transformer described by :func:`transformer_to_dict`."""
    module_name, _, class_name = d["class"].rpartition(".")
    if not module_name.startswith("sklearn."):
        raise ModelFileError(f"Refusing to import {d['class']!r}: not a scikit-learn class.")
    cls = getattr(importlib.import_module(module_name), class_name)
    params = {k: _decode(v) for k, v in d["params"].items() if k != "steps"}
    if "steps" in d["params"]:
        params["steps"] = [
            (name, transformer_from_dict(step)) for name, step in d["params"]["steps"]
        ]
    obj = cls(**params)
    for k, v in d["fitted"].items():
        setattr(obj, k, _decode(v))
    return obj
