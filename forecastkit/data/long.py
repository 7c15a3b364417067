"""Long-format frames: many series stacked in one table, one row per (series, time step).

The convention of statsforecast and neuralforecast: a column with the series id
(``unique_id``), a column with the time labels (``ds``) and a column with the values
(``y``). :func:`split_long` cuts such a frame into one checked series per id (each with its
own :class:`~forecastkit.data.time_axis.TimeAxis`, so series may differ in length, start
and frequency); :func:`to_long` stacks per-series results back into one long frame.

Invariants: series keep the order in which their ids first appear in the frame; rows of a
series are sorted by time before checking; no arithmetic on labels happens here (each
series' labels come from its own ``TimeAxis``).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator, Sequence

import numpy as np
import pandas as pd

from forecastkit.data.time_axis import check_time_zones
from forecastkit.data.validation import CheckedSeries, check_series
from forecastkit.exceptions import DataError

__all__ = [
    "is_frame_groups",
    "is_long_frame",
    "long_series",
    "read_parquet_groups",
    "split_long",
    "split_long_groups",
    "to_long",
]


def is_long_frame(data, *, id_col: str = "unique_id", time_col: str = "ds") -> bool:
    """Return True when ``data`` is a DataFrame with an id column and a time column.

    A DataFrame with the id column but no time column is neither a long frame nor a
    series, and raises a DataError that says so.

    Examples
    --------
    >>> frame = pd.DataFrame({"unique_id": ["a"], "ds": [0], "y": [1.0]})
    >>> is_long_frame(frame), is_long_frame(frame["y"])
    (True, False)
    """
    if not isinstance(data, pd.DataFrame):
        return False
    columns = set(data.columns)
    if id_col in columns and time_col not in columns:
        raise DataError(
            f"The frame has the id column {id_col!r} but no time column {time_col!r} (its "
            f"columns are {list(data.columns)}). Long-format input needs both: name the time "
            f"column with time_col=..., or move it out of the index with `frame.reset_index()`."
        )
    if id_col not in columns and time_col in columns and id_col in data.index.names:
        raise DataError(
            f"The frame has the time column {time_col!r} but its ids {id_col!r} are in the "
            f"index (the older statsforecast layout). Long-format input needs both as "
            f"columns: pass `frame.reset_index()`."
        )
    return id_col in columns and time_col in columns


def split_long(
    frame: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq=None,
) -> list[tuple[Hashable, CheckedSeries]]:
    """Split a long frame into one checked series per id.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``id_col``, ``time_col`` and ``target_col`` (no others), one row per series
        and time step. Time labels may be datetimes, periods or integers; each series must
        be regular (its own frequency, inferred per series).
    id_col, time_col, target_col : str
        Names of the id, time and value columns.
    freq : str or pandas.DateOffset, optional
        Frequency of every series' DatetimeIndex; None infers it per series.

    Returns
    -------
    list of (id, CheckedSeries)
        In the order in which the ids first appear; each series' ``values`` has shape
        ``(n_steps, 1)``, its ``axis`` is named ``time_col``, its name is ``target_col``.

    Raises
    ------
    DataError
        For a missing or extra column, a missing id, time labels that mix time zones (or
        aware and naive stamps), or a series that fails
        :func:`~forecastkit.data.validation.check_series` (the message names the id).

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "unique_id": ["a", "a", "a", "b", "b", "b", "b"],
    ...     "ds": list(pd.date_range("2024-01-01", periods=3, freq="D"))
    ...     + list(pd.date_range("2020-01-01", periods=4, freq="MS")),
    ...     "y": [1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0],
    ... })
    >>> [(uid, s.values.shape, s.axis.freq) for uid, s in split_long(frame)]
    [('a', (3, 1), 'D'), ('b', (4, 1), 'MS')]
    """
    out = []
    for uid, series in long_series(
        frame, id_col=id_col, time_col=time_col, target_col=target_col
    ):
        try:
            checked = check_series(series, freq=freq, name=target_col)
        except DataError as err:
            raise DataError(f"Series {uid!r} ({id_col} == {uid!r}): {err}") from err
        out.append((uid, checked))
    return out


def long_series(
    frame: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> list[tuple[Hashable, pd.Series]]:
    """Cut a long frame into one pandas Series per id, sorted by time, values unchecked.

    The columns, ids, time zones and label types are checked (as in :func:`split_long`);
    the values and the spacing of the labels are left to the caller, who may check a few
    new rows against a fitted series instead of inferring a frequency from them.

    Examples
    --------
    >>> frame = pd.DataFrame({"unique_id": ["a", "b", "a"], "ds": [2, 0, 1], "y": [1.0, 2.0, 3.0]})
    >>> [(uid, s.index.tolist()) for uid, s in long_series(frame)]
    [('a', [1, 2]), ('b', [0])]
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"A long-format frame (columns {id_col!r}, {time_col!r}, {target_col!r}) is "
            f"needed here; got {type(frame).__name__}. Pass a DataFrame with those columns."
        )
    wanted = [id_col, time_col, target_col]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"The long frame has no column(s) {missing}; its columns are "
            f"{list(frame.columns)}. Name them with id_col=, time_col= and target_col= "
            f"(defaults 'unique_id', 'ds', 'y')."
        )
    extra = [c for c in frame.columns if c not in wanted]
    if extra:
        raise DataError(
            f"The long frame has column(s) {extra} besides {wanted}; covariates are not "
            f"supported in long format. Select the three columns first, e.g. "
            f"`frame[{wanted!r}]`."
        )
    if len(frame) == 0:
        raise DataError("The long frame is empty. Pass at least one series.")
    ids = frame[id_col]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(
            f"The id column {id_col!r} has missing values (first at row {row}). Give every "
            f"row a series id, or drop those rows."
        )
    _check_id_types(ids, id_col)
    check_time_zones(frame[time_col], argname=time_col)
    out = []
    groups = frame.groupby(id_col, sort=False, observed=True)[[time_col, target_col]]
    for uid, group in groups:
        index = pd.Index(group[time_col].to_numpy(), name=time_col)
        if index.hasnans:
            raise DataError(
                f"Series {uid!r} has missing time labels in {time_col!r}. Fill or drop them."
            )
        series = pd.Series(group[target_col].to_numpy(), index=index, name=target_col)
        try:
            series = series.sort_index(kind="stable")
        except TypeError:  # labels that cannot be compared: 3 and a timestamp
            kinds = sorted({type(label).__name__ for label in index})
            raise DataError(
                f"Series {uid!r} has time labels of several types {kinds} in {time_col!r}. "
                f"Use one kind of label for every row: datetimes (e.g. "
                f"`frame[{time_col!r}] = pd.to_datetime(frame[{time_col!r}])`), periods or "
                f"integers."
            ) from None
        out.append((_plain(uid), series))
    return out


def to_long(
    ids: Sequence[Hashable],
    pieces: Sequence[pd.Series | pd.DataFrame],
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    name: str,
) -> pd.DataFrame:
    """Stack one result Series per id into a long frame ``[id_col, time_col, name]``.

    Parameters
    ----------
    ids : sequence
        One id per piece.
    pieces : sequence of pandas.Series or DataFrame
        The results, each indexed by its series' own labels (any index kind). DataFrames
        (all with the same columns) give one value column per column.
    id_col, time_col : str
        Names of the id and time columns of the result.
    name : str
        Name of the value column (of Series pieces).

    Returns
    -------
    pandas.DataFrame
        One row per (id, label), pieces in the given order, a default RangeIndex.

    Examples
    --------
    >>> a = pd.Series([1.0, 2.0], index=pd.RangeIndex(5, 7))
    >>> b = pd.Series([3.0], index=pd.RangeIndex(9, 10))
    >>> to_long(["a", "b"], [a, b], name="Forecaster")
      unique_id  ds  Forecaster
    0         a   5         1.0
    1         a   6         2.0
    2         b   9         3.0
    """
    if len(ids) != len(pieces):
        raise DataError(f"Got {len(ids)} ids for {len(pieces)} pieces; pass one id per piece.")
    if not pieces:
        return pd.DataFrame({id_col: [], time_col: [], name: []})
    lengths = [len(p) for p in pieces]
    labels = pieces[0].index.append([p.index for p in pieces[1:]])
    if isinstance(pieces[0], pd.DataFrame):  # several value columns, e.g. interval bounds
        columns = list(pieces[0].columns)
        values = np.concatenate([np.asarray(p, dtype=np.float64) for p in pieces])
        data = {c: values[:, j] for j, c in enumerate(columns)}
    else:
        data = {name: np.concatenate([np.asarray(p, dtype=np.float64) for p in pieces])}
    return pd.DataFrame(
        {id_col: pd.Index(list(ids)).repeat(lengths), time_col: labels.rename(None), **data}
    )


def _check_id_types(ids: pd.Series, id_col: str) -> None:
    """Refuse ids other than strings and integers (a fitted model could not be saved)."""
    values = ids.cat.categories if isinstance(ids.dtype, pd.CategoricalDtype) else ids
    kind = values.dtype.kind
    if kind in "iu" or (kind in "OUT" and values.map(lambda v: is_series_id(_plain(v))).all()):
        return
    bad = next(u for u in map(_plain, pd.unique(values)) if not is_series_id(u))
    raise DataError(
        f"Series ids in {id_col!r} must be strings or integers (a model keeps them, and saves "
        f"them, exactly); got {bad!r:.40} ({type(bad).__name__}). Convert them first, e.g. "
        f"`frame[{id_col!r}] = frame[{id_col!r}].astype(str)`."
    )


def is_series_id(uid) -> bool:
    """Whether ``uid`` is a series id a model keeps and saves exactly: a str or a Python int.

    Examples
    --------
    >>> is_series_id("a"), is_series_id(7), is_series_id(True), is_series_id(1.5)
    (True, True, False, False)
    """
    return not isinstance(uid, bool) and isinstance(uid, str | int)


def _plain(uid):
    """Return a NumPy scalar id as the Python scalar it holds (ids round-trip through JSON)."""
    return uid.item() if isinstance(uid, np.generic) else uid


def is_frame_groups(data) -> bool:
    """Whether ``data`` is long frames given group by group: a list, tuple or iterator of them.

    A list or tuple counts when it is not empty and holds DataFrames only; any other
    iterator (a generator such as :func:`read_parquet_groups`) counts without being read.

    Examples
    --------
    >>> frame = pd.DataFrame({"unique_id": ["a"], "ds": [0], "y": [1.0]})
    >>> is_frame_groups([frame, frame]), is_frame_groups(iter([])), is_frame_groups(frame)
    (True, True, False)
    """
    if isinstance(data, (list, tuple)):
        return bool(data) and all(isinstance(f, pd.DataFrame) for f in data)
    return isinstance(data, Iterator)


def split_long_groups(groups, **options) -> Iterator[list[tuple[Hashable, CheckedSeries]]]:
    """:func:`split_long` of each long frame of ``groups``, one group at a time.

    Each frame is split (and may be freed by the caller) before the next is read, so the
    long frames in memory at a time are one group.

    Parameters
    ----------
    groups : iterable of pandas.DataFrame
        Long frames, e.g. :func:`read_parquet_groups`; every series must lie in one group.
    **options
        ``id_col``, ``time_col``, ``target_col``, ``freq`` of :func:`split_long`.

    Yields
    ------
    list of (id, CheckedSeries)
        The series of one group.

    Raises
    ------
    DataError
        If ``groups`` holds no series, an item is not a DataFrame, or a series id appears
        in two groups.

    Examples
    --------
    >>> a = pd.DataFrame({"unique_id": "a", "ds": range(3), "y": [1.0, 2.0, 3.0]})
    >>> b = a.assign(unique_id="b")
    >>> [[uid for uid, _ in part] for part in split_long_groups([a, b])]
    [['a'], ['b']]
    """
    seen: set = set()
    for k, frame in enumerate(groups):
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"Every group must be a long-format DataFrame; group {k} is a "
                f"{type(frame).__name__}."
            )
        parts = split_long(frame, **options)
        del frame
        for uid, _ in parts:
            if uid in seen:
                raise DataError(
                    f"Series {uid!r} appears in two groups (again in group {k}); every series "
                    f"must lie in one group (one frame, one Parquet file)."
                )
            seen.add(uid)
        yield parts
    if not seen:
        raise DataError("The groups hold no series: pass at least one long frame with rows.")


def read_parquet_groups(
    path,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> Iterator[pd.DataFrame]:
    """Yield a long-format Parquet dataset one file (one group of series) at a time.

    For data too large for one process: only one file's rows (its three columns) are in
    memory at a time, so a folder written one file per group of series is read with the
    memory of its largest group. Every series must lie in one file; files are read in the
    order of their sorted paths.

    Parameters
    ----------
    path : str or os.PathLike
        A Parquet file, or a folder of them (searched recursively, as pyarrow reads a
        dataset; hive partition folders such as ``group=3/`` included).
    id_col, time_col, target_col : str
        Columns to read; any other column of the files is not read.

    Yields
    ------
    pandas.DataFrame
        The rows of one file, columns ``[id_col, time_col, target_col]``.

    Raises
    ------
    ParameterError
        If pyarrow is missing or ``path`` holds no Parquet file.
    DataError
        If a column is missing, or a series id appears in two files (raised when the
        second file is read: write each series into one file).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for k, uid in enumerate(["a", "b"]):
    ...     part = pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01",
    ...                          periods=3, freq="D"), "y": [1.0, 2.0, 3.0]})
    ...     part.to_parquet(os.path.join(folder, f"group-{k}.parquet"))
    >>> [sorted(g["unique_id"].unique()) for g in read_parquet_groups(folder)]
    [['a'], ['b']]
    """
    from forecastkit.exceptions import ParameterError

    try:
        import pyarrow.dataset as pa_dataset
    except ImportError as err:
        raise ParameterError(
            "Reading Parquet needs pyarrow: pip install 'forecastkit[parquet]'."
        ) from err
    columns = [id_col, time_col, target_col]
    dataset = pa_dataset.dataset(os.fspath(path), format="parquet")
    files = sorted(dataset.files)
    if not files:
        raise ParameterError(f"{os.fspath(path)!r} holds no Parquet file.")
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise DataError(
            f"The Parquet data at {os.fspath(path)!r} has no column(s) {missing}; its "
            f"columns are {dataset.schema.names}. Name them with id_col=, time_col= and "
            f"target_col=."
        )
    seen: dict = {}  # id -> the file it came from
    for file in files:
        frame = pa_dataset.dataset(file, format="parquet").to_table(columns=columns)
        frame = frame.to_pandas()
        for uid in pd.unique(frame[id_col]):
            if uid in seen:
                raise DataError(
                    f"Series {uid!r} appears in {seen[uid]!r} and in {file!r}; reading "
                    f"group by group needs each series in one file. Rewrite the data with "
                    f"every series' rows in one file (e.g. one file per group of ids)."
                )
            seen[uid] = file
        yield frame
