"""Run the command line with ``python -m forecastkit``."""

import sys

from forecastkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
