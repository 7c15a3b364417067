"""Time and memory of loading a zip bomb: a ~1 MB ``.keras`` whose weights inflate to 1 GiB.

Run (from the repository root): ``.venv/bin/python bench/load_bomb.py``. To measure other
code on the same file, put it first on ``PYTHONPATH`` (the figures name the ``forecastkit``
they imported), e.g. ``PYTHONPATH=/path/to/old/checkout python bench/load_bomb.py --file
/tmp/forecastkit-bomb.keras``.

The file: a tiny Forecaster is fitted and saved, then its ``model.weights.h5`` member is
replaced by ``--size-mib`` MiB of zeros, deflated (about 1 MB on disk for 1 GiB), and the
manifest's checksum of that member is set to match (an attacker rewrites the manifest, which
no checksum covers). It is built once and reused (``--rebuild`` to build it again).

The measurement runs in a fresh Python process: it imports Keras and forecastkit first, then
resets the kernel's peak-RSS counter (``5`` to ``/proc/self/clear_refs`` sets ``VmHWM`` to the
current RSS, Linux >= 4.0) and reports, for one ``Forecaster.load`` of the file, the wall
time and the peak resident memory above that baseline (``VmHWM - VmRSS`` before), with the
error it raised. The criterion of issue 14: refused in under 2 s with under 100 MB extra.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

from _procmem import reset_peak, status  # bench/ is on sys.path (the script's folder)

WEIGHTS, MANIFEST = "model.weights.h5", "forecastkit.json"
CHUNK = 2**20


def build(path: str, size_mib: int) -> None:
    """Write the bomb: a real saved Forecaster whose weights member is deflated zeros."""
    import numpy as np
    import pandas as pd

    from forecastkit import Forecaster

    y = pd.Series(np.sin(np.arange(40) / 3) + 10, name="y")
    f = Forecaster(window=4, units=(4,), n_models=1, epochs=1, verbose=0, random_state=0).fit(y)
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "model.keras")
        f.save(source)
        with zipfile.ZipFile(source) as src:
            members = {n: src.read(n) for n in src.namelist()}
    zeros, digest = bytes(CHUNK), hashlib.sha256()
    for _ in range(size_mib):
        digest.update(zeros)
    manifest = json.loads(members[MANIFEST])
    manifest["checksums"][WEIGHTS] = digest.hexdigest()  # the manifest is not covered
    members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            if name != WEIGHTS:
                out.writestr(name, data)
                continue
            info = zipfile.ZipInfo(WEIGHTS)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as w:
                for _ in range(size_mib):
                    w.write(zeros)


def lie(path: str, lying: str) -> None:
    """Copy ``path`` to ``lying`` with the weights' declared size set to its stored size.

    The zip directory then passes every size check (ratio 1), so only the streaming count
    and zipfile's own stop at the declared size (with its CRC check) stand in the way.
    """
    with zipfile.ZipFile(path) as z:
        stored = z.getinfo(WEIGHTS).compress_size
    data = bytearray(open(path, "rb").read())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:  # central directory entries
        length = struct.unpack("<H", data[start + 28 : start + 30])[0]
        if bytes(data[start + 46 : start + 46 + length]) == WEIGHTS.encode():
            data[start + 24 : start + 28] = struct.pack("<I", stored)
        start += 4
    with open(lying, "wb") as f:
        f.write(data)


def child(path: str) -> dict:
    """One load of ``path`` in this fresh process; returns the figures."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: F401  (imported before the baseline)

    import forecastkit
    from forecastkit import Forecaster

    reset_peak()  # VmHWM := the current RSS: the baseline
    base = status()["VmRSS"]
    start = time.perf_counter()
    try:
        Forecaster.load(path)
        outcome = "loaded (not refused)"
    except Exception as err:  # the old code raises errors of several kinds
        outcome = f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
    seconds = time.perf_counter() - start
    return {
        "forecastkit": os.path.dirname(forecastkit.__file__),
        "seconds": round(seconds, 3),
        "peak_extra_mb": round(status()["VmHWM"] - base, 1),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(tempfile.gettempdir(), "forecastkit-bomb.keras")
    parser.add_argument("--file", default=default)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--lie",
        action="store_true",
        help="also load a copy whose zip directory declares the weights' stored size",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.file)))
        return
    if args.rebuild or not os.path.exists(args.file):
        start = time.perf_counter()
        build(args.file, args.size_mib)
        print(f"built {args.file} in {time.perf_counter() - start:.1f} s")
    files = [args.file]
    if args.lie:
        files.append(args.file.replace(".keras", "-lying.keras"))
        lie(args.file, files[1])
    for path in files:
        with zipfile.ZipFile(path) as z:
            declared = z.getinfo(WEIGHTS).file_size
        print(
            f"file {path}: {os.path.getsize(path) / 1e6:.2f} MB on disk; {WEIGHTS} inflates to "
            f"1.00 GiB, declares {declared:,} bytes"
        )
        result = subprocess.run(
            [sys.executable, __file__, "--child", "--file", path],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        for key, value in figures.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
