"""The data layer: validation, time axis, scaling, windows and splits (NumPy and pandas only).

Examples
--------
>>> import numpy as np
>>> from forecastkit.data import make_splits
>>> splits = make_splits(np.arange(50.0), window=5, val_size=10)
>>> splits.train.X.shape
(35, 5, 1)
"""

from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.splits import Part, Splits, SplitSizes, make_splits, part_windows, split_sizes
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.validation import CheckedSeries, check_horizon, check_series, check_window
from forecastkit.data.windows import (
    last_window,
    make_stream_batches,
    make_windows,
    stream_batches,
)

__all__ = [
    "CheckedSeries",
    "Part",
    "SeriesScaler",
    "SplitSizes",
    "Splits",
    "TimeAxis",
    "check_horizon",
    "check_series",
    "check_window",
    "last_window",
    "make_splits",
    "make_stream_batches",
    "make_windows",
    "part_windows",
    "split_sizes",
    "stream_batches",
]
