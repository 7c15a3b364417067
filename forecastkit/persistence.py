"""Saving and loading estimators: a native ``.keras`` archive plus our own manifest.

Layout of a saved file (a zip, loadable by ``keras.saving.load_model`` as it is):

- Keras's own entries (``config.json``, ``metadata.json``, ``model.weights.h5``);
- ``forecastkit.json``: the manifest (format version, library versions, estimator
  parameters, time axis, scaler parameters as numbers, checksums of the other entries);
- ``forecastkit.npz``: plain numeric arrays (the fitted series), read with
  ``allow_pickle=False``.

No pickle anywhere. Files are written to a temporary file in the destination folder and
renamed into place, so a crash never leaves a half-written model.

Loading treats every byte as untrusted (:func:`load_archive`, :func:`load_bundle`). Before
anything is resolved or unpacked: the file must be a zip (a text file, a pickle or an HDF5
file is named as such), its member list must be exactly what forecastkit writes (no extra,
duplicate, absolute or ``..`` names), and each member's declared size must stay under
:data:`MEMBER_LIMITS` (and, above :data:`EXPANSION_FLOOR`, under :data:`MAX_EXPANSION` times
its compressed size). Members are then read a chunk at a time, counting bytes against the
same limits while their SHA-256 is checked. Every class named anywhere is looked up in an
explicit allow-list, never imported by name: the scikit-learn transformers of
:func:`transformer_classes` in the manifest, and the Keras layers, initializers, optimizers
and losses of :data:`KERAS_CLASSES` in Keras's ``config.json``, whose network must also be
small enough for its weights member. The HDF5 weights may hold only groups and numeric
datasets reached by hard links, stored in the member itself, declaring no more bytes than it
holds; the npz only uncompressed numeric arrays whose headers match their bytes. Keras then
rebuilds the network from a private copy of the checked Keras members, with
``safe_mode=True``. Every
refusal is a :class:`~forecastkit.exceptions.ModelFileError` (a subclass per kind).

Several saved models (one per series of :class:`~forecastkit.LocalForecasters`) travel as
a *bundle*: a ``.zip`` holding each model's own ``.keras`` file unchanged plus
``forecastkit-bundle.json`` (format, versions, the owner's description and the SHA-256 of
every member), written and checked the same way (:func:`save_bundle`, :func:`load_bundle`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import io
import json
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

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
from forecastkit.models.limits import MAX_LAYERS

__all__ = [
    "EXPANSION_FLOOR",
    "KERAS_CLASSES",
    "MAX_EXPANSION",
    "MEMBER_LIMITS",
    "atomic_path",
    "check_ids",
    "decode_params",
    "encode_params",
    "estimator_from_params",
    "load_archive",
    "load_bundle",
    "read_manifest",
    "save_archive",
    "save_bundle",
    "transformer_classes",
    "transformer_from_dict",
    "transformer_to_dict",
]

FORMAT = "forecastkit"
#: Major version of the file format: a file with a higher one is refused. 2: a Forecaster
#: keeps one list of per-series states for one series or many (#15); format-1 files load.
FORMAT_VERSION = 2
#: Minor version: a file with a higher one (same major) loads with a ModelVersionWarning.
FORMAT_MINOR = 0
MANIFEST = "forecastkit.json"
ARRAYS = "forecastkit.npz"
BUNDLE_MANIFEST = "forecastkit-bundle.json"
KERAS_CONFIG, KERAS_METADATA, KERAS_WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
#: The members of a saved ``.keras`` file: exactly these, nothing else.
MEMBERS = (KERAS_CONFIG, KERAS_METADATA, KERAS_WEIGHTS, MANIFEST, ARRAYS)
_BUNDLE_MEMBER = re.compile(r"series/[0-9]{6}\.keras")

_MIB = 2**20
_CHUNK = _MIB
#: Largest size, in bytes, of each member (declared in the zip directory and actually read).
MEMBER_LIMITS: dict[str, int] = {
    KERAS_CONFIG: 16 * _MIB,
    KERAS_METADATA: _MIB,
    MANIFEST: 256 * _MIB,
    ARRAYS: 4096 * _MIB,
    KERAS_WEIGHTS: 4096 * _MIB,
    BUNDLE_MANIFEST: 256 * _MIB,
    "series/*.keras": 8192 * _MIB,
}
#: Members larger than this may not inflate to more than MAX_EXPANSION x their stored bytes.
EXPANSION_FLOOR = 16 * _MIB
#: Largest inflation ratio of a member above EXPANSION_FLOOR (Keras stores its own uncompressed).
MAX_EXPANSION = 20

#: Keras classes a forecastkit network may name in ``config.json``, by ``module``.
KERAS_CLASSES: dict[str, frozenset[str]] = {
    "keras.src.models.functional": frozenset({"Functional"}),
    "keras.models": frozenset({"Functional"}),
    "keras": frozenset({"DTypePolicy", "FloatDTypePolicy"}),
    "keras.layers": frozenset(
        {
            "Average",
            "Bidirectional",
            "Dense",
            "Dropout",
            "GRU",
            "InputLayer",
            "LSTM",
            "Reshape",
            "SimpleRNN",
        }
    ),
    "keras.initializers": frozenset({"GlorotUniform", "Ones", "Orthogonal", "Zeros"}),
    "keras.optimizers": frozenset(
        {
            "Adadelta",
            "Adafactor",
            "Adagrad",
            "Adam",
            "AdamW",
            "Adamax",
            "Ftrl",
            "Lamb",
            "Lion",
            "LossScaleOptimizer",
            "Nadam",
            "RMSprop",
            "SGD",
        }
    ),
    "keras.optimizers.schedules": frozenset(
        {
            "CosineDecay",
            "CosineDecayRestarts",
            "ExponentialDecay",
            "InverseTimeDecay",
            "PiecewiseConstantDecay",
            "PolynomialDecay",
        }
    ),
    "keras.losses": frozenset(
        {"Huber", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy"}
    ),
    "keras.metrics": frozenset({"Mean", "SparseCategoricalAccuracy"}),
}
# Keras's own markers for values (not classes): a symbolic tensor, a tuple.
_KERAS_MARKERS = frozenset({"__keras_tensor__", "__tuple__"})
# Activations named by string in a layer's config (Keras resolves them in its own registry).
_KERAS_ACTIVATIONS = frozenset({"hard_sigmoid", "linear", "relu", "sigmoid", "softmax", "tanh"})
_MAX_DEPTH = 64  # JSON nesting forecastkit accepts (its own files nest about 12 deep)

_ESTIMATORS = ("Forecaster", "SequenceRegressor", "SequenceClassifier")


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


def _fspath(path) -> str:
    """Return ``path`` (a str or os.PathLike) as a str; anything else is a ParameterError."""
    try:
        text = os.fspath(path)
    except TypeError:
        text = None
    if not isinstance(text, str):
        raise ParameterError(
            "`path` must be a str or os.PathLike naming the file (e.g. 'model.keras'); got "
            f"path={path!r:.60} ({type(path).__name__})."
        )
    return text


# ------------------------------------------------------------------------------ saving
def _check_target(path, suffix: str) -> str:
    """Return ``path`` as a string after the checks of a save destination."""
    path = _fspath(path)
    name = os.path.basename(path)
    kind = "a native Keras archive" if suffix == ".keras" else "a bundle"
    if not name:
        raise ParameterError(
            f"`path` names a folder, not a file: path={path!r}. Add a file name, e.g. "
            f"{os.path.join(path, 'model' + suffix)!r}."
        )
    if not name.endswith(suffix):
        raise ParameterError(f"`path` must end in {suffix!r} ({kind}); got path={path!r}.")
    if name == suffix:
        raise ParameterError(
            f"`path` has no file name before {suffix!r}: path={path!r}. Name the file, e.g. "
            f"{os.path.join(os.path.dirname(path), 'model' + suffix)!r}."
        )
    if os.path.isdir(path) and not os.path.islink(path):
        raise ParameterError(
            f"`path` is an existing folder: path={path!r}. Choose a file name inside it, e.g. "
            f"{os.path.join(path, 'model' + suffix)!r}."
        )
    return path


def _member_sha256(archive: zipfile.ZipFile, name: str) -> str:
    with archive.open(name) as f:
        return _sha256(f)


def save_archive(path, model, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``model`` + ``manifest`` + ``arrays`` to ``path`` atomically.

    The network's ``config.json`` is checked against :data:`KERAS_CLASSES` before the file
    is moved into place: a network forecastkit would refuse to load is refused here.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; must end in ``.keras`` (with a file name before it), in an existing
        folder, and not be a symbolic link (see :func:`atomic_path`).
    model : keras.Model
    manifest : dict
        JSON-serialisable description of the estimator (the ``format`` keys are added).
    arrays : dict of str to ndarray
        Numeric arrays saved with ``numpy.savez`` (no object arrays).

    Raises
    ------
    ParameterError
        For a bad path, or a network naming a Keras class outside the allow-list; the
        file at ``path``, if any, is left as it was.
    """
    path = _check_target(path, ".keras")
    manifest_text = _full_manifest(manifest, {})  # JSON problems surface before any write
    with atomic_path(path) as tmp:
        model.save(tmp)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with zipfile.ZipFile(tmp, "a") as archive:
            with archive.open(KERAS_CONFIG) as f:
                problem = _keras_config_problem(json.load(f))
            if problem is not None:
                raise ParameterError(
                    f"Cannot save this network: {problem}, and forecastkit loads only the "
                    "Keras classes its own builders use (forecastkit.persistence.KERAS_CLASSES)."
                    " Build the model with forecastkit's options instead."
                )
            archive.writestr(ARRAYS, buffer.getvalue(), compress_type=zipfile.ZIP_STORED)
            checksums = {n: _member_sha256(archive, n) for n in sorted(archive.namelist())}
            manifest_text = _full_manifest(manifest, checksums)
            archive.writestr(MANIFEST, manifest_text, compress_type=zipfile.ZIP_DEFLATED)


@contextlib.contextmanager
def atomic_path(path, *, prefix: str = ".tmp-forecastkit-") -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    The temporary file (same folder, same suffix, so same file system and format) gets the
    usual permissions under the umask (``mkstemp`` makes it 0600) and is renamed into place
    with ``os.replace``: ``path`` is never half written. On an error it is removed and
    ``path`` is left as it was. The one atomic write of forecastkit (models, bundles,
    checkpoints, command-line outputs).

    A symbolic link at ``path`` is refused, not replaced by a file and not written through
    (which file the link should end up naming is the owner's choice): save to the link's
    target, or remove the link first. A missing folder is refused too.

    Raises
    ------
    ParameterError
        If ``path`` is a symbolic link or its folder does not exist.

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
    path = _fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.islink(path):
        raise ParameterError(
            f"Cannot save to path={path!r}: it is a symbolic link (to "
            f"{os.readlink(path)!r}), and forecastkit neither replaces links nor writes through "
            f"them. Save to the target itself ({os.path.realpath(path)!r}), or remove the link "
            "first."
        )
    if not os.path.isdir(folder):
        raise ParameterError(
            f"Cannot save to path={path!r}: the folder {folder!r} does not exist. Create it "
            f"first (os.makedirs({folder!r}, exist_ok=True)) or choose another path."
        )
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


def _full_manifest(manifest: dict[str, Any], checksums: dict[str, str]) -> str:
    """Return the manifest as written: format keys, versions, the owner's keys, checksums."""
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "format_minor": FORMAT_MINOR,
        "versions": _versions(),
        **manifest,
        "checksums": checksums,
    }
    return json.dumps(full, indent=2, sort_keys=True)


# ----------------------------------------------------------------------------- loading
_SIGNATURES = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (a legacy Keras .h5 model or weights file?)"),
    (b"\x93NUMPY", "a NumPy .npy array file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
)
_PICKLE_HINT = (
    "forecastkit never unpickles (a pickle can run any code when it is loaded), so it cannot "
    "read this. Load the model where it was made and save it with its .save() method"
)


def _sniff(head: bytes, path: str, what: str) -> None:
    """Refuse a file that is not a zip, saying what it looks like instead."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return
    if not head:
        looks = "an empty file"
        hint = "Save the model again"
    elif head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        looks = "a Python pickle"
        hint = _PICKLE_HINT
    else:
        looks, hint = "", f"Pass a {what} saved by forecastkit"
        for signature, description in _SIGNATURES:
            if head.startswith(signature):
                looks = description
                break
        if not looks:
            try:
                text = head.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
                looks = f"a text file (it starts with {text[:40]!r})"
            else:
                looks = f"unknown binary data (it starts with {head[:8]!r})"
    raise NotAnArchiveError(
        f"{path!r} is not a forecastkit {what}: a {what} is a zip archive, and this is "
        f"{looks}. {hint}."
    )


def _open_file(path, what: str, missing: str):
    """Open ``path`` for reading after the existence and type checks."""
    path = _fspath(path)
    if not os.path.exists(path):
        raise MissingModelFileError(f"{missing} at path={path!r}. Check the path.")
    if not os.path.isfile(path):
        raise MissingModelFileError(
            f"{missing} at path={path!r}: it is a folder or a special file, not a saved "
            f"{what}. Check the path."
        )
    raw = open(path, "rb")  # closed by the caller's with-block
    try:
        _sniff(raw.read(512), path, what)
        raw.seek(0)
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as err:
        raw.close()
        raise TruncatedModelFileError(
            f"{path!r} is not a readable forecastkit {what}: it starts like a zip archive but "
            f"its directory is missing or damaged (truncated or corrupt: {err}), as after an "
            f"interrupted download or copy. Copy or save the {what} again."
        ) from err
    except BaseException:
        raw.close()
        raise
    return raw, archive


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\"))
        or ".." in parts
        or "\x00" in name
        or re.match(r"^[A-Za-z]:", name) is not None
    )


def _limit(name: str) -> int:
    return MEMBER_LIMITS["series/*.keras" if _BUNDLE_MEMBER.fullmatch(name) else name]


def _check_names(names: list[str], path: str) -> None:
    """Refuse unsafe (absolute, ``..``) and duplicated member names."""
    for name in names:
        if _unsafe_name(name):
            raise UnsafeModelFileError(
                f"{path!r} has a member with an unsafe path, {name!r:.200} (absolute or with "
                "'..'); forecastkit never writes one. Nothing was extracted; do not use this file."
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UnsafeModelFileError(
                f"{path!r} holds member {name!r:.200} more than once; forecastkit writes each "
                "member once. Do not use this file."
            )
        seen.add(name)


def _check_info(info: zipfile.ZipInfo, path: str, size: int, what: str) -> None:
    """Check one member's declared sizes, encryption and compression; nothing is read."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise UnsafeModelFileError(
            f"{path!r}: member {name!r} is encrypted; forecastkit never encrypts members."
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsafeModelFileError(
            f"{path!r}: member {name!r} uses compression method {info.compress_type}; "
            "forecastkit writes stored or deflated members only."
        )
    limit = _limit(name)
    if info.file_size > limit:
        raise UnsafeModelFileError(
            f"{path!r}: member {name!r} declares {info.file_size:,} bytes, above the limit of "
            f"{limit:,} for it (forecastkit.persistence.MEMBER_LIMITS): refused unread (a "
            "decompression bomb?)."
        )
    if info.compress_size > size:
        raise TamperedModelFileError(
            f"{path!r}: member {name!r} declares {info.compress_size:,} stored bytes in a file "
            f"of {size:,}: the zip directory is corrupt. Save the {what} again."
        )
    if info.file_size > EXPANSION_FLOOR and info.file_size > MAX_EXPANSION * max(
        info.compress_size, 1
    ):
        raise UnsafeModelFileError(
            f"{path!r}: member {name!r} would inflate {info.compress_size:,} stored bytes to "
            f"{info.file_size:,} (over {MAX_EXPANSION}x): refused unread as a decompression "
            "bomb. forecastkit never writes such a member."
        )


def _check_members(
    archive: zipfile.ZipFile, path: str, expected: set[str], size: int, what: str
) -> dict[str, zipfile.ZipInfo]:
    """Check the member list (exactly ``expected``) and each member's declared sizes."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    _check_names(names, path)
    extra = sorted(set(names) - expected)
    if extra:
        raise UnsafeModelFileError(
            f"{path!r} holds unexpected member {extra[0]!r:.200}: a forecastkit {what} holds "
            f"exactly {sorted(expected)[:8]}. The file was not written by forecastkit or was "
            "edited; do not use it."
        )
    missing = sorted(expected - set(names))
    if missing:
        raise TamperedModelFileError(
            f"{path!r} lacks member {missing[0]!r} (a forecastkit {what} holds "
            f"{sorted(expected)[:8]}). Save the {what} again."
        )
    for info in infos:
        _check_info(info, path, size, what)
    return {info.filename: info for info in infos}


def _stream(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    path: str,
    what: str,
    sink: Callable[[bytes], Any] | None = None,
) -> str:
    """Read one member a chunk at a time, bounded by its limit; return its SHA-256.

    Each chunk goes to ``sink`` (if any); at most one chunk is held at a time. The count of
    bytes actually inflated is checked against the member's limit and its declared size.
    """
    limit = min(_limit(info.filename), info.file_size)
    digest, count = hashlib.sha256(), 0
    try:
        with archive.open(info) as f:
            while chunk := f.read(_CHUNK):
                count += len(chunk)
                if count > limit:
                    raise UnsafeModelFileError(
                        f"{path!r}: member {info.filename!r} inflates past {limit:,} bytes "
                        "(its declared size or limit): refused (a decompression bomb?)."
                    )
                digest.update(chunk)
                if sink is not None:
                    sink(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise TamperedModelFileError(
            f"{path!r}: member {info.filename!r} is corrupt ({err}): the file was modified or "
            f"damaged. Save the {what} again."
        ) from err
    if count != info.file_size:
        raise TamperedModelFileError(
            f"{path!r}: member {info.filename!r} holds {count:,} bytes, not the {info.file_size:,}"
            f" its directory declares: the file was modified or damaged. Save the {what} again."
        )
    return digest.hexdigest()


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, what: str
) -> tuple[bytes, str]:
    """Return a (bounded) member's bytes and SHA-256."""
    buffer = io.BytesIO()
    digest = _stream(archive, info, path, what, buffer.write)
    return buffer.getvalue(), digest


def _json(data: bytes, member: str, path: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        raise TamperedModelFileError(
            f"{path!r}: member {member!r} is not valid JSON ({type(err).__name__}: {err})."
            " The file was modified or damaged; save it again."
        ) from err


def _check_checksum(path: str, name: str, digest: str, expected: Any, what: str) -> None:
    if not isinstance(expected, dict) or expected.get(name) != digest:
        raise TamperedModelFileError(
            f"{path!r} failed its integrity check: member {name!r} does not match the checksum "
            f"written when it was saved (modified or corrupted). Save the {what} again."
        )


def _version_tuple(text: Any) -> tuple[int, ...] | None:
    match = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text) if isinstance(text, str) else None
    return None if match is None else tuple(int(g or 0) for g in match.groups())


def _check_manifest(
    path: str, manifest: Any, estimator: str, what: str, known: tuple[str, ...]
) -> list[str]:
    """Refuse another format, a newer major format version or another estimator.

    Returns the reasons for a version warning (a newer minor format), possibly none.
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ForeignModelFileError(
            f"{path!r} is not a forecastkit {what}: its manifest does not name the forecastkit "
            f"format. Save the {what} with forecastkit."
        )
    major, minor = manifest.get("format_version"), manifest.get("format_minor", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (major, minor)):
        raise TamperedModelFileError(
            f"{path!r} has an invalid format version ({major!r}, {minor!r}) in its manifest. "
            f"Save the {what} again."
        )
    versions = manifest.get("versions")
    writer = versions.get("forecastkit", "?") if isinstance(versions, dict) else "?"
    if major > FORMAT_VERSION:
        raise ModelVersionError(
            f"{path!r} was written in forecastkit file format {major}.{minor} (by forecastkit "
            f"{writer!s:.20}); this forecastkit reads format {FORMAT_VERSION}.x only (it writes "
            f"{FORMAT_VERSION}.{FORMAT_MINOR}). Upgrade forecastkit to load it."
        )
    reasons = []
    if major == FORMAT_VERSION and minor > FORMAT_MINOR:
        reasons.append(
            f"it was written in forecastkit file format {major}.{minor} (by forecastkit "
            f"{writer!s:.20}), newer than the {FORMAT_VERSION}.{FORMAT_MINOR} this forecastkit "
            "writes: what was added since is ignored"
        )
    name = manifest.get("estimator")
    if name != estimator:
        if isinstance(name, str) and name in known:
            raise ForeignModelFileError(
                f"{path!r} holds a {name}, not a {estimator}. Load it with "
                f"forecastkit.{name}.load({path!r})."
            )
        raise ForeignModelFileError(
            f"{path!r} names an unknown estimator ({name!r:.60}), not a {estimator}. It was not "
            f"written by this forecastkit; save the {what} again."
        )
    return reasons


def _warn_versions(path: str, reasons: list[str]) -> None:
    """One ModelVersionWarning for all the reasons of one load."""
    if reasons:
        warnings.warn(
            f"{path!r} loads, but {'; and '.join(reasons)}. Upgrade to be sure it behaves as "
            "when it was saved.",
            ModelVersionWarning,
            stacklevel=4,
        )


def _walk(obj: Any, visit: Callable[[Any, Any, str], None], where: str = "", depth: int = 0):
    """Call ``visit(value, key, location)`` on every value of a JSON document, depth-first."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested more than {_MAX_DEPTH} levels deep at {where or '/'}")
    if isinstance(obj, dict):
        for key, value in obj.items():
            visit(value, key, f"{where}/{key}")
            _walk(value, visit, f"{where}/{key}", depth + 1)
    elif isinstance(obj, list):
        for k, value in enumerate(obj):
            visit(value, None, f"{where}/{k}")
            _walk(value, visit, f"{where}/{k}", depth + 1)


def _keras_config_problem(config: Any) -> str | None:
    """Describe the first class or function ``config`` names outside the allow-list, or None."""
    problems: list[str] = []

    def visit(value, key, where):
        if problems:
            return
        if isinstance(value, dict):
            if "class_name" not in value:
                if "module" in value or "registered_name" in value:
                    problems.append(f"an object without a class at {where}")
                return
            module, name = value.get("module"), value["class_name"]
            registered = value.get("registered_name")
            if not isinstance(name, str):
                problems.append(f"a class name that is not a string ({name!r:.80}) at {where}")
                return
            if name in _KERAS_MARKERS and module is None and registered is None:
                return
            if (
                isinstance(module, str)
                and isinstance(name, str)
                and name in KERAS_CLASSES.get(module, ())
                and registered in (None, name)
            ):
                return
            problems.append(
                f"class {name!r:.80} of module {module!r:.80} (registered as {registered!r:.80})"
                f" at {where or '/'}"
            )
        elif key in ("activation", "recurrent_activation") and not (
            value is None or (isinstance(value, str) and value in _KERAS_ACTIVATIONS)
        ):
            problems.append(f"activation {value!r:.80} at {where}")

    try:
        visit(config, None, "")
        _walk(config, visit)
    except ValueError as err:
        return str(err)
    if not problems and not (isinstance(config, dict) and config.get("class_name") == "Functional"):
        problems.append("a top-level object other than a Keras Functional model")
    return problems[0] if problems else None


# Gates of each recurrent layer: its recurrent kernel alone holds gates x units^2 weights.
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
#: Fewest bytes a weight takes in ``model.weights.h5`` (float16; forecastkit writes float32).
_MIN_WEIGHT_BYTES = 2
_H5_MAX_OBJECTS = 100_000  # HDF5 groups and datasets a weights member may hold


def _count(value) -> int:
    """Return ``value`` if it is a positive int (units, a shape's last axis), else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _last_axis(shape) -> int:
    """Return the last axis of a shape list of a Keras config, 0 when there is none."""
    return _count(shape[-1]) if isinstance(shape, list) and shape else 0


def _inbound(layer: dict) -> list[str]:
    """Names of the layers whose outputs ``layer`` is called on (its ``keras_history``)."""
    names: list[str] = []

    def visit(value, key, where):
        if key == "keras_history" and isinstance(value, list) and value:
            if isinstance(value[0], str):
                names.append(value[0])

    _walk(layer.get("inbound_nodes"), visit)
    return names


def _directions(config: dict) -> list[dict]:
    """Return the forward and backward layer configs of a ``Bidirectional`` config (dicts)."""
    forward = config.get("layer")
    parts = (forward, config.get("backward_layer") or forward)
    return [part for part in parts if isinstance(part, dict)]


def _layer_weights(kind, config: dict, width: int) -> int:
    """Fewest weights layer ``kind`` with ``config`` holds on inputs of ``width`` features."""
    units = _count(config.get("units"))
    if kind == "Dense":
        return width * units
    if kind in _GATES:
        return _GATES[kind] * (width * units + units * units)
    if kind == "Bidirectional":
        return sum(
            _layer_weights(part.get("class_name"), part.get("config") or {}, width)
            for part in _directions(config)
        )
    return 0


def _output_width(kind, config: dict, width: int) -> int:
    """Features of the output of layer ``kind`` with ``config`` on inputs of ``width``."""
    if kind in ("Dense", *_GATES):
        return _count(config.get("units"))
    if kind == "Bidirectional":
        widths = [_count((part.get("config") or {}).get("units")) for part in _directions(config)]
        concat = config.get("merge_mode", "concat") == "concat"
        return sum(widths) if concat else max(widths, default=0)
    if kind == "InputLayer":
        return _last_axis(config.get("batch_shape") or config.get("batch_input_shape"))
    if kind == "Reshape":
        return _last_axis(config.get("target_shape"))
    return width  # Dropout, Average: the width of their inputs


def _weights_lower_bound(layers: list) -> int:
    """Fewest weights a functional model's ``layers`` (its config's list) allocate.

    Keras builds a layer from its ``build_config`` and again from the tensors it is wired
    to, so each layer's input width is the larger of the two: the wired width follows the
    ``keras_history`` of its inputs through every layer (repeated until nothing changes,
    so listing the layers out of order does not hide a width). For a file forecastkit
    saved, both widths are the true ones and this is the network's count of kernel weights.
    """
    entries = []  # per layer: class name, config, build_config width, inbound names, name
    for layer in layers:
        if isinstance(layer, dict):
            config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
            built = layer.get("build_config")
            built = _last_axis(built.get("input_shape")) if isinstance(built, dict) else 0
            entries.append(
                (layer.get("class_name"), config, built, _inbound(layer), layer.get("name"))
            )
    widths: dict[str, int] = {}
    inputs = [built for _, _, built, _, _ in entries]
    for _ in range(len(entries) + 1):
        changed = False
        for k, (kind, config, built, inbound, name) in enumerate(entries):
            inputs[k] = max([built, *(widths.get(source, 0) for source in inbound)])
            out = _output_width(kind, config, inputs[k])
            if isinstance(name, str) and widths.get(name, 0) < out:
                widths[name] = out
                changed = True
        if not changed:
            break
    return sum(
        _layer_weights(kind, config, width)
        for (kind, config, _, _, _), width in zip(entries, inputs, strict=True)
    )


def _keras_size_problem(config: Any, weights_bytes: int) -> str | None:
    """Describe a network too large for its weights member, or None.

    Keras allocates (and initialises) every variable before it reads the weights, so a
    ``config.json`` saying ``units=100000`` (or wiring a Dense layer to inputs 100,000
    features wide) costs gigabytes and minutes from a tiny file. A lower bound of the
    weights ``config`` builds (input width x units per Dense layer, gates x (input width +
    units) x units per recurrent layer; :func:`_weights_lower_bound`) must fit in the
    weights member's bytes.
    """
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if isinstance(layers, list) and len(layers) > MAX_LAYERS:
        return f"a network of {len(layers):,} layers (at most {MAX_LAYERS} are loaded)"
    try:
        count = _weights_lower_bound(layers) if isinstance(layers, list) else 0
    except ValueError as err:
        return str(err)
    if count * _MIN_WEIGHT_BYTES > weights_bytes:
        return (
            f"a network of at least {count:,} weights (from its units and the widths of its "
            f"layers' inputs), which cannot fit in the {weights_bytes:,} bytes of "
            f"{KERAS_WEIGHTS!r}: building it would cost memory and time for nothing"
        )
    return None


def _h5_problem(fileobj, size: int) -> str | None:
    """Describe what in the HDF5 weights forecastkit never writes, or None; nothing is read.

    Only groups and numeric datasets, each reached by one hard link (no soft, external or
    repeated links, no external or virtual storage), whose declared bytes add up to at most
    the member's ``size`` (Keras stores its weights uncompressed): a tiny member declaring
    a 10 GB dataset would otherwise be filled in memory when Keras reads it.
    """
    import h5py

    declared, seen = 0, set()
    try:
        with h5py.File(fileobj, "r") as h5:
            if h5.userblock_size:
                return f"a user block of {h5.userblock_size:,} bytes"
            stack = [("", h5)]
            while stack:
                where, group = stack.pop()
                for name in group:
                    at = f"{where}/{name}"
                    link = group.get(name, getlink=True)
                    if not isinstance(link, h5py.HardLink):
                        return f"a link of type {type(link).__name__} at {at!r:.200}"
                    obj = group[name]
                    if obj.id in seen or len(seen) >= _H5_MAX_OBJECTS:
                        return f"an object linked twice or past {_H5_MAX_OBJECTS:,} at {at!r:.200}"
                    seen.add(obj.id)
                    if isinstance(obj, h5py.Group):
                        stack.append((at, obj))
                        continue
                    if not isinstance(obj, h5py.Dataset):
                        return f"a {type(obj).__name__} at {at!r:.200}"
                    if obj.is_virtual or obj.external:
                        return f"a dataset stored in other files at {at!r:.200}"
                    if obj.dtype.kind not in _ARRAY_KINDS:
                        return f"a dataset of dtype {obj.dtype} at {at!r:.200}"
                    declared += obj.size * obj.dtype.itemsize
                    if declared > size:
                        return (
                            f"datasets declaring over {declared:,} bytes in {size:,} (a shape "
                            f"bomb?), up to {at!r:.200}"
                        )
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        return f"an unreadable HDF5 structure ({err})"
    return None


def _check_classes(obj: Any, path: str, member: str, allowed: dict[str, Any]) -> None:
    """Refuse any ``"class"`` named in a manifest outside ``allowed``; nothing is imported."""

    def visit(value, key, where):
        if isinstance(value, dict) and isinstance(value.get("class"), str):
            if value["class"] not in allowed:
                raise UnsafeModelFileError(
                    f"{path!r}: member {member!r} names class {value['class']!r:.100} at "
                    f"{where or '/'}, which forecastkit never saves (it loads only "
                    f"{_public_names(allowed)}). Nothing was imported or run; the file was "
                    "not written by forecastkit or was edited: do not use it."
                )

    try:
        visit(obj, None, "")
        _walk(obj, visit)
    except ValueError as err:
        if isinstance(err, ModelFileError):
            raise
        raise UnsafeModelFileError(f"{path!r}: member {member!r} is {err}.") from err


def load_archive(path, *, estimator: str) -> tuple[Any, dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`save_archive`; check every byte before trusting it.

    The checks, in order (see the module docstring): the file exists and is a zip; the member
    list is exactly :data:`MEMBERS`; each member's declared size is bounded; the manifest
    (read with a bounded streaming read) names the forecastkit format, a format version this
    forecastkit reads and ``estimator``, and only allowed scikit-learn classes; each other
    member is streamed against its limit and its SHA-256 checked; ``config.json`` names only
    allowed Keras classes and a network that fits in the weights member; the weights and
    the arrays hold only what forecastkit writes (headers only are read for that); then
    Keras rebuilds the network (``safe_mode=True``) from a private copy of the checked Keras
    members.

    Returns
    -------
    (model, manifest, arrays)

    Raises
    ------
    ModelFileError
        One of its subclasses for each kind of refusal, naming the member and the problem.

    Warns
    -----
    ModelVersionWarning
        Once, for a newer minor file format or a newer Keras than the installed one.
    """
    path = _fspath(path)
    raw, archive = _open_file(path, "model", "No model file")
    with raw, archive, tempfile.TemporaryDirectory(prefix="forecastkit-load-") as tmp:
        names = set(archive.namelist())
        if MANIFEST not in names:
            keras_like = KERAS_CONFIG in names
            raise ForeignModelFileError(
                f"{path!r} is not a forecastkit model: it has no {MANIFEST} entry"
                + (
                    " (a plain Keras file?). Load it with keras.saving.load_model, or save "
                    "the estimator with forecastkit."
                    if keras_like
                    else f" (members {sorted(names)[:5]}). Pass a model saved by forecastkit."
                )
            )
        infos = _check_members(archive, path, set(MEMBERS), os.fstat(raw.fileno()).st_size, "model")
        data, _ = _read(archive, infos[MANIFEST], path, "model")
        manifest = _json(data, MANIFEST, path)
        reasons = _check_manifest(path, manifest, estimator, "model", _ESTIMATORS)
        _check_classes(manifest, path, MANIFEST, transformer_classes())
        expected = manifest.get("checksums")
        keras_copy = os.path.join(tmp, "model.keras")
        with zipfile.ZipFile(keras_copy, "w", compression=zipfile.ZIP_STORED) as copy:
            for name in (KERAS_METADATA, KERAS_CONFIG):
                data, digest = _read(archive, infos[name], path, "model")
                _check_checksum(path, name, digest, expected, "model")
                document = _json(data, name, path)
                if name == KERAS_CONFIG:
                    problem = _keras_config_problem(document)
                    if problem is not None:
                        raise UnsafeModelFileError(
                            f"{path!r}: member {name!r} names {problem}, which forecastkit "
                            "never saves (it loads only the Keras classes of "
                            "forecastkit.persistence.KERAS_CLASSES). Nothing was built or run;"
                            " do not use this file."
                        )
                    problem = _keras_size_problem(document, infos[KERAS_WEIGHTS].file_size)
                    if problem is not None:
                        raise UnsafeModelFileError(
                            f"{path!r}: member {name!r} names {problem}. forecastkit never saves"
                            " such a network; nothing was built or run: do not use this file."
                        )
                else:
                    reasons += _keras_version_reasons(document)
                copy.writestr(name, data)
            with copy.open(KERAS_WEIGHTS, "w", force_zip64=True) as out:
                digest = _stream(archive, infos[KERAS_WEIGHTS], path, "model", out.write)
            _check_checksum(path, KERAS_WEIGHTS, digest, expected, "model")
        with zipfile.ZipFile(keras_copy) as copy, copy.open(KERAS_WEIGHTS) as weights:
            problem = _h5_problem(weights, infos[KERAS_WEIGHTS].file_size)
        if problem is not None:
            raise UnsafeModelFileError(
                f"{path!r}: member {KERAS_WEIGHTS!r} holds {problem}, which forecastkit never "
                "writes. Nothing was built or run; do not use this file."
            )
        data, digest = _read(archive, infos[ARRAYS], path, "model")
        _check_checksum(path, ARRAYS, digest, expected, "model")
        try:
            problem = _npz_problem(data)
            if problem is not None:
                raise UnsafeModelFileError(
                    f"{path!r}: member {ARRAYS!r} holds {problem}, which forecastkit never "
                    "writes. Nothing was read; do not use this file."
                )
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            if isinstance(err, ModelFileError):
                raise
            raise TamperedModelFileError(
                f"{path!r}: member {ARRAYS!r} is not a plain NumPy archive ({err}). Save the "
                "model again."
            ) from err
        del data
        _warn_versions(path, reasons)
        model = _keras_load(keras_copy, path)
    return model, manifest, arrays


def read_manifest(path, *, estimator: str) -> dict[str, Any]:
    """Return the manifest of a file written by :func:`save_archive`, checked, nothing built.

    The checks of :func:`load_archive` up to the manifest: a zip with exactly
    :data:`MEMBERS`, bounded member sizes, a manifest that names the forecastkit format, a
    format version this forecastkit reads, ``estimator`` and only allowed scikit-learn
    classes. The other members are not read: use :func:`load_archive` (or the estimator's
    ``load``) to check them too. For tools that describe a file (``forecastkit info``):
    versions, parameters, what was fitted.

    Raises
    ------
    ModelFileError
        One of its subclasses, as :func:`load_archive`.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.keras")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    >>> read_manifest(path, estimator="Forecaster")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    forecastkit.exceptions.NotAnArchiveError: ...
    """
    path = _fspath(path)
    raw, archive = _open_file(path, "model", "No model file")
    with raw, archive:
        size = os.fstat(raw.fileno()).st_size
        infos = _check_members(archive, path, set(MEMBERS), size, "model")
        data, _ = _read(archive, infos[MANIFEST], path, "model")
    manifest = _json(data, MANIFEST, path)
    _check_manifest(path, manifest, estimator, "model", _ESTIMATORS)
    _check_classes(manifest, path, MANIFEST, transformer_classes())
    return manifest


def _npz_problem(data: bytes) -> str | None:
    """Describe an array of ``forecastkit.npz`` forecastkit never writes, or None.

    ``np.savez`` stores each array uncompressed as a ``.npy`` of numbers whose header shape
    matches its bytes: a deflated member could inflate a 1 MB file to gigabytes, and a
    header declaring a huge shape makes NumPy allocate it before reading. Only headers are
    read.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        for info in inner.infolist():
            name = f"{info.filename!r:.100}"
            if info.compress_type != zipfile.ZIP_STORED:
                return f"the compressed array {name} (a decompression bomb?)"
            with inner.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    return f"the array {name} in .npy format {version}"
                read = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
                shape, _, dtype = read(f)
            if dtype.kind not in _ARRAY_KINDS:
                return f"the array {name} of dtype {dtype}"
            if int(np.prod(shape, dtype=object)) * dtype.itemsize > info.file_size:
                return f"the array {name} declaring shape {shape} in {info.file_size:,} bytes"
    return None


def _keras_version_reasons(metadata: Any) -> list[str]:
    import keras

    saved = metadata.get("keras_version") if isinstance(metadata, dict) else None
    mine, theirs = _version_tuple(keras.__version__), _version_tuple(saved)
    if mine is not None and theirs is not None and theirs > mine:
        return [
            f"it was saved with Keras {saved!s:.20}, newer than the installed Keras "
            f"{keras.__version__}"
        ]
    return []


def _keras_load(keras_path: str, path: str):
    """Rebuild the network from the private copy; any Keras error is the file's."""
    import keras

    try:
        return keras.saving.load_model(keras_path, compile=False, safe_mode=True)
    except Exception as err:
        raise TamperedModelFileError(
            f"{path!r}: Keras could not rebuild the network from it ({type(err).__name__}: "
            f"{' '.join(str(err).split())[:300]}). Save the model again with this forecastkit."
        ) from err


def _sha256(read) -> str:
    """SHA-256 of a binary file object, read a megabyte at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: read.read(_CHUNK), b""):
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
        Member name in the bundle (``series/NNNNNN.keras``) -> path of a file on disk.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> member = os.path.join(folder, "m.bin")
    >>> with open(member, "wb") as f:
    ...     _ = f.write(b"weights")
    >>> files = {"series/000000.keras": member}
    >>> save_bundle(os.path.join(folder, "b.zip"), {"estimator": "Demo"}, files)
    >>> manifest, paths = load_bundle(os.path.join(folder, "b.zip"), estimator="Demo",
    ...                               folder=folder)
    >>> with open(paths["series/000000.keras"], "rb") as f:
    ...     f.read()
    b'weights'
    """
    path = _check_target(path, ".zip")
    bad = [name for name in files if not _BUNDLE_MEMBER.fullmatch(name)]
    if bad:
        raise ParameterError(f"Bundle members are named 'series/NNNNNN.keras'; got {bad[0]!r}.")
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

    The member list must be exactly the manifest plus the members its checksums list (named
    ``series/NNNNNN.keras``); each is bounded in size and streamed to
    ``folder/<k>.member`` (never under its own name) while its SHA-256 is checked. Each
    extracted model is checked again in full when it is loaded.

    Returns
    -------
    (manifest, paths)
        ``paths`` maps each member name to its extracted file.
    """
    path = _fspath(path)
    raw, archive = _open_file(path, "bundle", "No saved bundle")
    paths = {}
    with raw, archive:
        names = set(archive.namelist())
        if BUNDLE_MANIFEST not in names:
            raise ForeignModelFileError(
                f"{path!r} is not a forecastkit bundle: it has no {BUNDLE_MANIFEST} entry"
                + (
                    " (a single model? load it with its estimator's load)"
                    if MANIFEST in names
                    else ""
                )
                + ". Save it with forecastkit."
            )
        size = os.fstat(raw.fileno()).st_size
        _check_names(archive.namelist(), path)
        info = archive.getinfo(BUNDLE_MANIFEST)
        _check_info(info, path, size, "bundle")
        data, _ = _read(archive, info, path, "bundle")
        manifest = _json(data, BUNDLE_MANIFEST, path)
        reasons = _check_manifest(path, manifest, estimator, "bundle", ("LocalForecasters",))
        allowed = {**transformer_classes(), **dict.fromkeys(_ESTIMATORS)}
        _check_classes(manifest, path, BUNDLE_MANIFEST, allowed)
        checksums = manifest.get("checksums")
        if not isinstance(checksums, dict) or not all(
            isinstance(n, str) and _BUNDLE_MEMBER.fullmatch(n) for n in checksums
        ):
            raise TamperedModelFileError(
                f"{path!r} has invalid member checksums in its manifest. Save the bundle again."
            )
        infos = _check_members(archive, path, {BUNDLE_MANIFEST, *checksums}, size, "bundle")
        for k, name in enumerate(sorted(checksums)):
            paths[name] = os.path.join(folder, f"{k}.member")
            with open(paths[name], "wb") as out:
                digest = _stream(archive, infos[name], path, "bundle", out.write)
            _check_checksum(path, name, digest, checksums, "bundle")
    _warn_versions(path, reasons)
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
    from forecastkit.data.long import is_series_id

    bad = [uid for uid in ids if not is_series_id(uid)]
    if bad:
        raise ParameterError(
            f"Series ids must be strings or integers to be saved; got {bad[:5]!r}. Convert "
            f"them before fitting, e.g. `frame[{id_col!r}] = frame[{id_col!r}].astype(str)`."
        )
    return ids


_PLAIN = (bool, int, float, str)


def _plain(value) -> bool:
    """Whether ``value`` is None, a bool, number or string, or a list/tuple of such values."""
    if value is None or isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


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


_ARRAY_KINDS = "biuf"  # bool, int, unsigned, float: the only arrays a manifest holds


def _decode_array(value) -> np.ndarray:
    dtype = np.dtype(value["dtype"]) if isinstance(value.get("dtype"), str) else None
    if dtype is None or dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"an array of dtype {value.get('dtype')!r:.40}, not a number type")
    try:
        return np.asarray(value["__ndarray__"], dtype=dtype)
    except OverflowError as err:  # e.g. 10**30 as int64: a ValueError like the others
        raise ValueError(f"an array of dtype {dtype} with an out-of-range value ({err})") from err


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return _decode_array(value)
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__transformer__" in value:
            return transformer_from_dict(value["__transformer__"])
        if "__dtype__" in value:
            dtype = np.dtype(str(value["__dtype__"]))
            if dtype.kind not in _ARRAY_KINDS:
                raise ValueError(f"dtype {value['__dtype__']!r:.40}, not a number type")
            return dtype.type
        raise ValueError(f"an object of keys {sorted(value)[:5]} where a value was expected")
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Make an estimator's ``get_params()`` JSON-safe for the manifest.

    Callbacks, a ``distribution`` strategy, ``resume_dir`` and ``log_dir`` are dropped
    (stored as None: they belong to the training run, not to the saved model) and an
    optimizer instance is stored by name; tuples, NumPy scalars and scikit-learn
    transformers (of :func:`transformer_classes`) are encoded without pickle.

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
    """Inverse of :func:`encode_params`, accepting only what it writes.

    Plain values, number arrays and allowed transformers come back; callbacks, a
    distribution strategy, ``resume_dir`` and ``log_dir`` are always None (a file never
    names a folder that a refit of the loaded model would read or write).

    Examples
    --------
    >>> decode_params({"window": 3, "units": {"__tuple__": [4]}})
    {'window': 3, 'units': (4,)}
    """
    if not isinstance(params, dict):
        raise ValueError("the estimator parameters are not a JSON object")
    out = {k: _decode(v) for k, v in params.items()}
    for key in ("callbacks", "distribution", "resume_dir", "log_dir"):
        if out.get(key) is not None:
            raise ValueError(f"`{key}` is saved as None, never as {params[key]!r:.60}")
    return out


def estimator_from_params(cls: type, params: dict[str, Any]) -> Any:
    """Build ``cls`` from a file's encoded parameters (see :func:`decode_params`).

    A parameter the file lacks takes ``cls._absent_params[name]`` where the class gives one
    (the value files from before that parameter existed were fitted with, when its default
    has changed since), else today's default. The file's own values always win.

    Examples
    --------
    >>> class Net:
    ...     _absent_params = {"n_models": 1}
    ...     def __init__(self, window=2, n_models=3):
    ...         self.window, self.n_models = window, n_models
    >>> vars(estimator_from_params(Net, {"window": 4}))
    {'window': 4, 'n_models': 1}
    >>> vars(estimator_from_params(Net, {"window": 4, "n_models": 2}))
    {'window': 4, 'n_models': 2}
    """
    return cls(**{**getattr(cls, "_absent_params", {}), **decode_params(params)})


# The scikit-learn transformers forecastkit saves and loads, by the name it writes. Only
# these classes are ever instantiated from a file: a name is looked up here, never imported.
_TRANSFORMERS = {
    "sklearn.preprocessing": (
        "FunctionTransformer",
        "MaxAbsScaler",
        "MinMaxScaler",
        "PowerTransformer",
        "QuantileTransformer",
        "RobustScaler",
        "StandardScaler",
    ),
    "sklearn.pipeline": ("Pipeline",),
}
# Parameters that must be None (a callable or a cache folder would be code or a path).
_NONE_PARAMS = {
    "FunctionTransformer": ("func", "inverse_func", "kw_args", "inv_kw_args"),
    "Pipeline": ("memory", "transform_input"),
}
# Private fitted attributes a class needs back (PowerTransformer keeps its StandardScaler).
_PRIVATE_FITTED = {"PowerTransformer": ("_scaler",)}
_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*_")


@functools.cache
def transformer_classes() -> dict[str, type]:
    """Return the allow-list of scikit-learn transformers a model file may name (name: class).

    Keys are the public names forecastkit writes (``"sklearn.preprocessing.StandardScaler"``)
    and the private module paths files written before used (e.g.
    ``"sklearn.preprocessing._data.StandardScaler"``). ``FunctionTransformer`` only without
    functions (the identity), ``Pipeline`` only of these steps and without a cache folder.

    Examples
    --------
    >>> transformer_classes()["sklearn.preprocessing.StandardScaler"].__name__
    'StandardScaler'
    >>> "sklearn.utils._testing.check_output" in transformer_classes()
    False
    """
    import sklearn.pipeline
    import sklearn.preprocessing

    modules = {"sklearn.preprocessing": sklearn.preprocessing, "sklearn.pipeline": sklearn.pipeline}
    out = {}
    for module, names in _TRANSFORMERS.items():
        for name in names:
            cls = getattr(modules[module], name)
            out[f"{module}.{name}"] = cls
            out[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return out


def _public_names(allowed: dict[str, Any]) -> list[str]:
    return sorted({f"{m}.{n}" for m, names in _TRANSFORMERS.items() for n in names} & set(allowed))


def _transformer_name(cls: type) -> str | None:
    for module, names in _TRANSFORMERS.items():
        name = f"{module}.{cls.__name__}"
        if cls.__name__ in names and transformer_classes()[name] is cls:
            return name
    return None


def transformer_to_dict(transformer) -> dict[str, Any]:
    """Describe a scikit-learn transformer (fitted or not) with numbers only.

    Only the classes of :func:`transformer_classes` with plain parameters are accepted (a
    Pipeline of them too), so whatever is saved can be loaded back.

    Raises
    ------
    ParameterError
        For any other class, or a parameter that is not a plain value (a function, an
        object), before anything is written.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> d = transformer_to_dict(StandardScaler().fit([[1.0], [3.0]]))
    >>> d["class"]
    'sklearn.preprocessing.StandardScaler'
    >>> transformer_from_dict(d).mean_.tolist()
    [2.0]
    """
    cls = type(transformer)
    name = _transformer_name(cls)
    allowed = ", ".join(n.rpartition(".")[2] for n in _public_names(transformer_classes()))
    if name is None:
        raise ParameterError(
            f"Cannot save the scaler {cls.__module__}.{cls.__qualname__} without pickle: "
            f"forecastkit saves (and loads back) only these scikit-learn transformers: "
            f"{allowed}, or a Pipeline of them. Use one of them as `scaler`, e.g. "
            "scaler=StandardScaler()."
        )
    params = transformer.get_params(deep=False)
    for key in _NONE_PARAMS.get(cls.__name__, ()):
        if params.get(key) is not None:
            raise ParameterError(
                f"Cannot save {cls.__name__}({key}={params[key]!r}) without pickle: forecastkit "
                f"saves a {cls.__name__} only with {key}=None (a function or a cache folder "
                "is code or a path, not data). Use a transformer of plain parameters, e.g. "
                "scaler=StandardScaler()."
            )
    steps = params.pop("steps", None)
    bad = [k for k, v in params.items() if not _plain(v)]
    if bad:
        raise ParameterError(
            f"Cannot save {cls.__name__}({bad[0]}={params[bad[0]]!r}) without pickle: only "
            "plain parameters (numbers, strings, booleans, None) are saved."
        )
    encoded = {k: _encode(v) for k, v in params.items()}
    if steps is not None:  # Pipeline
        encoded["steps"] = [[str(step), transformer_to_dict(obj)] for step, obj in steps]
    private = _PRIVATE_FITTED.get(cls.__name__, ())
    fitted = {
        k: v
        for k, v in vars(transformer).items()
        if (k.endswith("_") and not k.startswith("_")) or k in private
    }
    return {
        "class": name,
        "params": encoded,
        "fitted": {k: _encode(v) for k, v in fitted.items()},
    }


def _decode_plain(value, where: str):
    """Return a plain parameter value (None, bool, number, string, list/tuple of them)."""
    if isinstance(value, dict) and set(value) == {"__tuple__"}:
        return tuple(_decode_plain(v, where) for v in value["__tuple__"])
    if isinstance(value, list):
        return [_decode_plain(v, where) for v in value]
    if value is None or isinstance(value, _PLAIN):
        return value
    raise ValueError(f"{where} is {value!r:.60}, not a plain value")


def transformer_from_dict(d: dict[str, Any]):
    """Rebuild a transformer described by :func:`transformer_to_dict`.

    The class is looked up in :func:`transformer_classes` (never imported by name); its
    parameters must be plain values its constructor takes (checked by scikit-learn's own
    parameter validation too), and its fitted attributes plain values or number arrays.

    Raises
    ------
    UnsafeModelFileError
        For a class outside the allow-list (nothing is imported or called).
    ValueError
        For parameters or attributes that are not what forecastkit writes.
    """
    if not isinstance(d, dict) or set(d) != {"class", "params", "fitted"}:
        raise ValueError("a transformer entry without exactly class, params and fitted")
    name = d["class"]
    cls = transformer_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise UnsafeModelFileError(
            f"Refusing the scaler class {name!r:.100} named in {MANIFEST!r}: forecastkit loads "
            f"only {_public_names(transformer_classes())}. Nothing was imported or run."
        )
    params, fitted = d["params"], d["fitted"]
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise ValueError(f"{cls.__name__}: params and fitted must be JSON objects")
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(f"{cls.__name__} takes no parameter {unknown[0]!r:.60}")
    kwargs = {k: _decode_plain(v, f"{cls.__name__}.{k}") for k, v in params.items() if k != "steps"}
    for key in _NONE_PARAMS.get(cls.__name__, ()):
        if kwargs.get(key) is not None:
            raise ValueError(f"{cls.__name__}.{key} must be None")
    if "steps" in params:
        steps = params["steps"]
        if not isinstance(steps, list) or not all(
            isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) for s in steps
        ):
            raise ValueError("Pipeline steps must be [name, transformer] pairs")
        kwargs["steps"] = [(step, transformer_from_dict(obj)) for step, obj in steps]
    obj = cls(**kwargs)
    if hasattr(obj, "_validate_params"):
        obj._validate_params()  # scikit-learn's own type and range checks (a ValueError)
    private = _PRIVATE_FITTED.get(cls.__name__, ())
    for k, v in fitted.items():
        if not (isinstance(k, str) and (_FITTED_NAME.fullmatch(k) or k in private)):
            raise ValueError(f"{cls.__name__}: unexpected fitted attribute {k!r:.60}")
        if isinstance(v, dict) and "__ndarray__" in v:
            value = _decode_array(v)
        elif isinstance(v, dict) and "__transformer__" in v and k in private:
            value = transformer_from_dict(v["__transformer__"])
        else:
            value = _decode_plain(v, f"{cls.__name__}.{k}")
        _check_fitted_value(cls.__name__, k, value)
        setattr(obj, k, value)
    return obj


def _check_fitted_value(owner: str, name: str, value) -> None:
    """Refuse fitted numbers no fit on finite data gives: non-finite ones, a zero scale.

    scikit-learn replaces a zero scale by 1 when it fits, so ``scale_ == 0`` (or a NaN
    mean) can only come from an edited file, and would turn every forecast into inf/NaN.
    """
    array = np.asarray(value) if isinstance(value, np.ndarray | float) else None
    if array is None or array.dtype.kind != "f":
        return
    if not np.isfinite(array).all():
        raise ValueError(f"{owner}.{name} holds non-finite numbers")
    if name == "scale_" and (array == 0).any():
        raise ValueError(f"{owner}.scale_ holds a zero scale")
