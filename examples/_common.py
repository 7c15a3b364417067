"""Command-line options shared by the example scripts (``--out``, ``--quick``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

QUICK_ENV = "FORECASTKIT_QUICK"


def example_args(doc: str, quick_help: str, argv=None) -> tuple[argparse.Namespace, Path]:
    """Parse ``--out`` and ``--quick``; return the options and the (created) output folder.

    ``--quick`` is also switched on by the environment variable ``FORECASTKIT_QUICK=1``, as
    the tests and CI run the examples.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the outputs (default out/)")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_ENV, "") not in ("", "0"),
        help=f"{quick_help} (also when {QUICK_ENV}=1)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return args, out
