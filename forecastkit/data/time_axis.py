"""The time axis of a series: the one place that maps positions to pandas labels.

Invariants of a :class:`TimeAxis`: it is regular (label ``k`` is ``start`` advanced by ``k``
steps, for every ``k >= 0``, also past the end); ``kind`` is ``"datetime"`` (``start`` a
Timestamp, time zone kept, ``step`` a pandas offset), ``"period"`` (``start`` a Period,
``step`` its offset) or ``"range"`` (integer ``start`` and ``step > 0``); it is immutable and
round-trips through JSON with :meth:`TimeAxis.to_dict` / :meth:`TimeAxis.from_dict`.
No other module does arithmetic on a pandas index.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecastkit.exceptions import DataError, ParameterError

__all__ = ["MAX_FORECAST_STEPS", "TimeAxis", "check_time_zones"]

#: Most steps one forecast may ask for: a million recursive steps take seconds per series,
#: and a horizon typed with a few digits too many would otherwise run for hours before
#: pandas refuses its dates.
MAX_FORECAST_STEPS = 1_000_000


@functools.lru_cache(maxsize=512)
def _date_labels(first: pd.Timestamp, n: int, step, unit: str, name) -> pd.DatetimeIndex:
    """``pd.date_range`` memoised: the series of a panel mostly share their labels.

    pandas builds calendar offsets (month/quarter/year starts and ends, business days) one
    label at a time in Python (about 1 ms per 100 labels), which dominated a warm forecast
    of many series; series that end on the same date get the same (immutable) index.
    """
    return pd.date_range(first, periods=n, freq=step, unit=unit, name=name)


@dataclass(frozen=True)
class TimeAxis:
    """Regular time axis of a series: first label, step, length and index name.

    Parameters
    ----------
    kind : {"datetime", "period", "range"}
        The kind of index the axis reproduces.
    start : pandas.Timestamp, pandas.Period or int
        The first label (a timestamp keeps its time zone).
    step : pandas.DateOffset or int
        The frequency offset (datetime, period) or the integer step ``> 0`` (range).
    n_steps : int
        Number of labels of the series the axis was built from.
    name : object, default None
        Name of the index (e.g. ``"ds"``), restored on every index the axis makes.

    Examples
    --------
    >>> import pandas as pd
    >>> axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="MS"))
    >>> axis.freq, axis.n_steps
    ('MS', 3)
    >>> [str(label.date()) for label in axis.future(2)]
    ['2020-04-01', '2020-05-01']
    """

    kind: str
    start: object
    step: object
    n_steps: int
    name: object = None

    def __post_init__(self):
        """Check the kind (the constructors check the rest)."""
        if self.kind not in ("datetime", "period", "range"):
            raise ParameterError(
                f"`kind` must be 'datetime', 'period' or 'range'; got kind={self.kind!r}. "
                f"Build the axis with TimeAxis.from_index(index)."
            )

    @classmethod
    def from_index(cls, index: pd.Index, freq=None, *, argname: str = "index") -> TimeAxis:
        """Build the axis of a regular, sorted, duplicate-free index.

        Parameters
        ----------
        index : pandas.Index
            A DatetimeIndex (``freq`` set or inferable, time zone kept), a PeriodIndex, a
            RangeIndex (any ``step > 0``) or an integer Index with a constant step.
        freq : str or pandas.DateOffset, optional
            Frequency of a DatetimeIndex (``"MS"``, ``"h"``, ...); overrides the index's own,
            and the index must follow it.
        argname : str, default "index"
            Name of the user's argument, used in error messages.

        Returns
        -------
        TimeAxis

        Raises
        ------
        DataError
            If the index is empty, has duplicates, is unsorted, irregular or unsupported.

        Examples
        --------
        >>> import pandas as pd
        >>> TimeAxis.from_index(pd.RangeIndex(3, 30, 5)).step
        5
        """
        if not isinstance(index, pd.Index) or isinstance(index, pd.MultiIndex):
            raise DataError(
                f"`{argname}` must have a DatetimeIndex, PeriodIndex or integer index; got "
                f"{type(index).__name__}. Select one series first, e.g. "
                f"`{argname}.xs(key, level=0)`."
            )
        if len(index) == 0:
            raise DataError(f"`{argname}` is empty. Pass a series with at least one value.")
        if freq is not None and not isinstance(index, pd.DatetimeIndex | pd.PeriodIndex):
            raise ParameterError(
                f"`freq` only applies to a DatetimeIndex or PeriodIndex; got freq={freq!r} for "
                f"`{argname}` with a {type(index).__name__}. Drop freq=, or give `{argname}` a "
                f"DatetimeIndex: `{argname}.index = pd.date_range(start, "
                f"periods=len({argname}), freq={str(freq)!r})`."
            )
        if isinstance(index, pd.RangeIndex) and index.step > 0:
            return cls("range", int(index.start), int(index.step), len(index), index.name)
        if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex):
            keys = index.asi8
        elif pd.api.types.is_integer_dtype(index.dtype):
            keys = index.to_numpy(dtype=np.int64)
        else:
            check_time_zones(index, argname=argname)
            raise DataError(
                f"`{argname}` has an index of dtype {index.dtype}, which cannot be a time "
                f"axis; first labels: {list(index[:3])}. Use a DatetimeIndex, e.g. "
                f"`{argname}.index = pd.to_datetime({argname}.index)`, a PeriodIndex or "
                f"an integer index."
            )
        _check_sorted_unique(index, keys, argname)
        if isinstance(index, pd.DatetimeIndex):
            offset = _to_offset(freq) if freq is not None else index.freq
            if offset is None:
                if len(index) < 3:
                    raise DataError(
                        f"`{argname}` has only {len(index)} time label(s) and no frequency: "
                        "too few to infer one (pandas needs 3) and to train a network on. Drop "
                        "so short a series (in a long frame, e.g. `frame.groupby('unique_id')"
                        ".filter(lambda g: len(g) >= 3)`), or pass `freq=` (e.g. freq='D')."
                    )
                offset = pd.DatetimeIndex(index, freq="infer").freq
            if offset is None:
                raise DataError(
                    f"`{argname}` has a DatetimeIndex with no frequency, and pandas cannot "
                    f"infer one from its {len(index)} labels (first labels: "
                    f"{[str(t) for t in index[:3]]}). Pass `freq=` (e.g. freq='D'), or make "
                    f"the series regular with `{argname}.asfreq('D')` and fill the gaps."
                )
            axis = cls("datetime", index[0], offset, len(index), index.name)
        elif isinstance(index, pd.PeriodIndex):
            if freq is not None and _to_offset(freq, period=True) != index.freq:
                raise DataError(
                    f"`{argname}` has a PeriodIndex of freq {index.freqstr!r}, not "
                    f"freq={freq!r}. Drop freq=, or convert the index first with "
                    f"`{argname}.index = {argname}.index.asfreq({str(freq)!r})`."
                )
            axis = cls("period", index[0], index.freq, len(index), index.name)
        else:
            step = int(keys[1] - keys[0]) if len(keys) > 1 else 1
            axis = cls("range", int(keys[0]), step, len(index), index.name)
        expected = axis.index()
        if not index.equals(expected):
            i = int(np.flatnonzero(np.asarray(index != expected))[0])
            raise DataError(
                f"`{argname}` is not regular with freq={axis.freq or axis.step!r}: label "
                f"{index[i]!s} at position {i} should be {expected[i]!s}. Check `freq=`, or "
                f"make the series regular first (e.g. `{argname}.asfreq(...)` or "
                f"`{argname}.reset_index(drop=True)`) and fill the gaps."
            )
        return axis

    @classmethod
    def from_length(cls, n_steps: int) -> TimeAxis:
        """Axis of a default ``RangeIndex(n_steps)``.

        Examples
        --------
        >>> TimeAxis.from_length(4).index()
        RangeIndex(start=0, stop=4, step=1)
        """
        return cls("range", 0, 1, _check_count(n_steps, "n_steps"))

    @property
    def freq(self) -> str | None:
        """Pandas alias (``"MS"``, ``"ME"``, ``"h"``; period ``"M"``), None for a range axis.

        Examples
        --------
        >>> TimeAxis.from_length(3).freq is None
        True
        """
        if self.kind == "range":
            return None
        return self.start.freqstr if self.kind == "period" else self.step.freqstr

    def labels(self, start: int, stop: int) -> pd.Index:
        """Labels of positions ``start .. stop - 1``; positions may lie past the end.

        Examples
        --------
        >>> TimeAxis.from_index(pd.RangeIndex(3, 30, 5)).labels(6, 8)
        RangeIndex(start=33, stop=43, step=5)
        """
        start, stop = _check_count(start, "start"), _check_count(stop, "stop")
        if stop < start:
            raise ParameterError(
                f"`stop` must be >= `start`; got start={start}, stop={stop}. Swap them."
            )
        n = stop - start
        if self.kind == "range":
            first = self.start + start * self.step
            return pd.RangeIndex(first, first + n * self.step, self.step, name=self.name)
        if self.kind == "period":
            return pd.period_range(start=self.start + start, periods=n, name=self.name)
        first = self.start + start * self.step if start else self.start
        # a copy: a caller may rename its index in place, never the memoised one
        return _date_labels(first, n, self.step, self.start.unit, self.name).copy()

    def index(self) -> pd.Index:
        """Return the index the axis was built from (name, time zone and freq kept).

        Examples
        --------
        >>> TimeAxis.from_length(2).index()
        RangeIndex(start=0, stop=2, step=1)
        """
        return self.labels(0, self.n_steps)

    def future(self, horizon: int) -> pd.Index:
        """Labels of the ``horizon`` steps right after the end of the series.

        Examples
        --------
        >>> TimeAxis.from_length(3).future(2)
        RangeIndex(start=3, stop=5, step=1)
        """
        return self.labels(self.n_steps, self.n_steps + _check_count(horizon, "horizon"))

    def check_future(self, horizon: int) -> None:
        """Raise ParameterError unless ``horizon`` steps after the series can be labelled.

        Checked before any forecasting: at most :data:`MAX_FORECAST_STEPS`, and the last
        label within what pandas can represent (dates end in the year 294,276 at
        microsecond resolution, earlier at nanoseconds).

        Examples
        --------
        >>> TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="MS")).check_future(12)
        """
        horizon = _check_count(horizon, "horizon")
        if horizon > MAX_FORECAST_STEPS:
            raise ParameterError(
                f"`horizon`={horizon:,} asks for more than {MAX_FORECAST_STEPS:,} steps, which "
                "a recursive forecast would take hours to compute. Pass a shorter horizon."
            )
        if horizon == 0:
            return
        try:
            self.labels(self.n_steps + horizon - 1, self.n_steps + horizon)
        except (OverflowError, ValueError) as err:
            raise ParameterError(
                f"`horizon`={horizon:,}: the labels of the forecast steps would run past what "
                f"pandas can represent ({str(err)[:120]}). Pass a shorter horizon."
            ) from err

    def continued_by(self, labels: pd.Index) -> bool:
        """Return True when ``labels`` are exactly the labels right after the series.

        Every label is compared, so rows at another spacing (quarterly after monthly) or
        with a gap do not count as a continuation, even when the first label fits.

        Examples
        --------
        >>> axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="MS"))
        >>> axis.continued_by(pd.DatetimeIndex(["2020-04-01", "2020-05-01"]))
        True
        >>> axis.continued_by(pd.DatetimeIndex(["2020-04-01", "2020-07-01"]))
        False
        """
        if len(labels) == 0:
            return False
        try:
            return bool(labels.equals(self.future(len(labels))))
        except (TypeError, ValueError):
            return False

    def check_continued_by(self, labels: pd.Index, *, argname: str = "y") -> None:
        """Raise DataError unless ``labels`` are exactly the labels right after the series.

        The message says what is wrong (no rows, another time zone or kind of label, a
        gap, an overlap with the fitted steps, another spacing) and how to fix it.

        Examples
        --------
        >>> axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="MS"))
        >>> axis.check_continued_by(pd.DatetimeIndex(["2020-04-01"]))
        >>> axis.check_continued_by(pd.DatetimeIndex(["2020-03-01"]))
        Traceback (most recent call last):
        ...
        forecastkit.exceptions.DataError: `y` must continue the fitted series, but it overlaps ...
        """
        last = self.labels(self.n_steps - 1, self.n_steps)[0] if self.n_steps else None
        if len(labels) == 0:
            raise DataError(
                f"`{argname}` has no rows. Pass at least one new step (the next label after "
                f"{last!s} is {self.future(1)[0]!s})."
            )
        if self.continued_by(labels):
            return
        expected = self.future(len(labels))
        problem = _label_mismatch(self, labels, argname)
        if problem is None:
            try:
                first = labels[0]
                if last is not None and first <= last:
                    problem = (
                        f"`{argname}` must continue the fitted series, but it overlaps it: its "
                        f"first label {first!s} is not after the last fitted label {last!s}. "
                        f"Pass only the new steps, "
                        f"e.g. `{argname}[{argname}.index > last_fitted_label]`."
                    )
                elif first > expected[0]:
                    problem = (
                        f"`{argname}` must continue the fitted series, but it leaves a gap: its "
                        f"first label is {first!s}, the next step is {expected[0]!s}. Pass the "
                        f"missing steps "
                        f"too (fill them, e.g. with `.asfreq(...)` and `.interpolate()`)."
                    )
            except TypeError:  # labels of another type (compared above already)
                problem = None
        if problem is None:
            differ = np.flatnonzero(np.asarray(labels != expected))
            i = int(differ[0]) if len(differ) else 0
            problem = (
                f"`{argname}` must continue the fitted series at the fitted spacing "
                f"(freq={self.freq or self.step!r}): label {labels[i]!s} at position {i} should "
                f"be {expected[i]!s}. Pass the steps {expected[0]!s} to {expected[-1]!s}, in "
                f"order, at the fitted frequency (resample first if needed)."
            )
        raise DataError(problem)

    def check_same_grid(self, other: TimeAxis, *, argname: str = "X") -> None:
        """Raise DataError when ``other`` is dated on another calendar than this axis.

        Two datetime or period axes must have the same kind, frequency and time zone: an
        hourly series is not predicted with a daily model, nor a Tokyo series with a UTC
        one. A range axis (arrays, a default index) is not compared.

        Examples
        --------
        >>> daily = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="D"))
        >>> hourly = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="h"))
        >>> daily.check_same_grid(daily)
        >>> daily.check_same_grid(hourly)
        Traceback (most recent call last):
        ...
        forecastkit.exceptions.DataError: `X` has freq 'h', but the model was fitted on ...
        """
        if self.kind == "range" or other.kind == "range":
            return
        if other.kind != self.kind:
            raise DataError(
                f"`{argname}` has a {other.kind} index, but the model was fitted on a "
                f"{self.kind} index. Convert it, e.g. `{argname}.index = "
                + (
                    f"{argname}.index.to_timestamp()`."
                    if self.kind == "datetime"
                    else f"{argname}.index.to_period({self.freq!r})`."
                )
            )
        if self.kind == "datetime":
            zone, other_zone = _zone(self.start), _zone(other.start)
            if zone != other_zone:
                raise DataError(_zone_message(argname, other_zone, zone))
        if other.step != self.step and not _same_labels(other, self.step):
            raise DataError(
                f"`{argname}` has freq {other.freq!r}, but the model was fitted on freq "
                f"{self.freq!r}: its steps are not the ones the model learned. Resample "
                f"it first, e.g. `{argname}.resample({self.freq!r}).mean()`, or fit a model "
                f"on data of freq {other.freq!r}."
            )

    def position(self, label) -> int:
        """Position of ``label`` (a string, timestamp, period or int); may be ``>= n_steps``.

        A range axis also reads digit strings (``"15"``). Raises DataError when the label
        is before the start or between two labels of the axis.

        Examples
        --------
        >>> axis = TimeAxis.from_index(pd.date_range("2020-01-01", periods=3, freq="MS"))
        >>> axis.position("2020-03-01"), axis.position(pd.Timestamp("2021-01-01"))
        (2, 12)
        """
        target = _parse_label(self, label)
        if self.kind == "range":
            pos, rest = divmod(target - self.start, self.step)
        elif self.kind == "period":
            pos, rest = divmod((target - self.start).n, self.step.n)
        elif isinstance(self.step, pd.offsets.Tick) and not isinstance(self.step, pd.offsets.Day):
            pos, rest = divmod(target - self.start, pd.Timedelta(self.step))
        else:
            grid = pd.date_range(self.start, end=target, freq=self.step, unit=self.start.unit)
            pos, rest = len(grid) - 1, not (len(grid) and grid[-1] == target)
        if pos < 0 or rest:
            raise DataError(
                f"`label` {label!r} is {'before the start' if pos < 0 else 'not on the grid'} "
                f"of the time axis (start {self.start!s}, freq {self.freq or self.step}). Use "
                f"a label of the series' index or a later one on the same grid."
            )
        return int(pos)

    def extend(self, n: int) -> TimeAxis:
        """Return the same axis, ``n`` steps longer (for streaming updates).

        Examples
        --------
        >>> TimeAxis.from_length(3).extend(2).n_steps
        5
        """
        return dataclasses.replace(self, n_steps=self.n_steps + _check_count(n, "n"))

    def wrap(
        self, values: np.ndarray, *, start: int | str, names: Sequence[str]
    ) -> pd.Series | pd.DataFrame:
        """Put ``values`` (shape ``(n,)`` or ``(n, len(names))``) on labels from ``start``.

        ``start`` is a position, or ``"after_end"`` for ``n_steps``. One name gives a Series
        of that name, several names a DataFrame with those columns.

        Examples
        --------
        >>> TimeAxis.from_length(3).wrap(np.array([1.0, 2.0]), start="after_end", names=["y"])
        3    1.0
        4    2.0
        Name: y, dtype: float64
        """
        values, names = np.asarray(values), list(names)
        start = self.n_steps if isinstance(start, str) and start == "after_end" else start
        if not (
            (values.ndim == 1 and len(names) == 1)
            or (values.ndim == 2 and values.shape[1] == len(names))
        ):
            raise ParameterError(
                f"`values` must have shape (n, {len(names)}) for names={names} (or (n,) for "
                f"one name); got shape {values.shape}. Pass one column per name."
            )
        index = self.labels(start, start + values.shape[0])
        if len(names) == 1:
            column = values[:, 0] if values.ndim == 2 else values
            return pd.Series(column, index=index, name=names[0])
        return pd.DataFrame(values, index=index, columns=names)

    def to_dict(self) -> dict:
        """JSON-serialisable description; :meth:`from_dict` inverts it exactly.

        Examples
        --------
        >>> TimeAxis.from_index(pd.period_range("2020-01", periods=3, freq="M")).to_dict()
        {'kind': 'period', 'start': '2020-01', 'freq': 'M', 'tz': None, 'n_steps': 3, 'name': None}
        """
        d = {"kind": self.kind, "start": str(self.start), "freq": self.freq, "tz": None}
        if self.kind == "range":
            d.update(start=int(self.start), step=int(self.step))
        elif self.kind == "datetime":
            d.update(start=self.start.isoformat(), unit=self.start.unit)
            if self.start.tz is not None:
                d["tz"] = getattr(self.start.tz, "key", None) or str(self.start.tz)
        if self.kind != "range" and _to_offset(self.freq, period=self.kind == "period") != (
            self.step
        ):
            raise ParameterError(
                f"The frequency {self.step!r} of this axis has no string alias, so it cannot be "
                f"saved. Use a series whose frequency is a pandas alias such as 'D' or 'MS'."
            )
        name = self.name
        if not (name is None or isinstance(name, str | int | float | bool)):
            name = str(name)
        d.update(n_steps=int(self.n_steps), name=name)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TimeAxis:
        """Rebuild an axis from :meth:`to_dict` output (``from_dict(a.to_dict()) == a``).

        Examples
        --------
        >>> axis = TimeAxis.from_length(5)
        >>> TimeAxis.from_dict(axis.to_dict()) == axis
        True
        """
        try:
            kind, n_steps, name = d["kind"], int(d["n_steps"]), d.get("name")
            cls(kind, None, None, n_steps)  # checks the kind first
            if kind == "range":
                return cls("range", int(d["start"]), int(d["step"]), n_steps, name)
            if kind == "period":
                start = pd.Period(d["start"], freq=d["freq"])
                return cls("period", start, start.freq, n_steps, name)
            start = pd.Timestamp(d["start"]).as_unit(d.get("unit", "ns"))
            if d.get("tz") and str(start.tz) != d["tz"]:
                if not (isinstance(d["tz"], str) and _ZONE_NAME.fullmatch(d["tz"])):
                    # pandas opens "dateutil//any/path" (or "dateutil/../..") as a zone file
                    raise ValueError(f"time zone {d['tz']!r:.80} is not a zone name")
                start = start.tz_convert(d["tz"])
            return cls(kind, start, to_offset(d["freq"]), n_steps, name)
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise ParameterError(
                f"`d` is not a TimeAxis description ({type(err).__name__}: {err}); got "
                f"d={d!r}. Pass the output of TimeAxis.to_dict()."
            ) from err


def check_time_zones(labels, *, argname: str = "index") -> None:
    """Raise DataError when datetime ``labels`` mix time zones, or aware and naive stamps.

    pandas keeps such labels as an object column, which would otherwise be split into
    series on different clocks (a UTC day and a Tokyo day are not the same day).

    Examples
    --------
    >>> stamps = [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02")]
    >>> check_time_zones(pd.Index(stamps, dtype=object), argname="ds")
    Traceback (most recent call last):
    ...
    forecastkit.exceptions.DataError: `ds` mixes time zones ['UTC', 'no time zone']. ...
    """
    if getattr(labels, "dtype", None) is None or labels.dtype != np.dtype(object):
        return
    zones = []
    for value in pd.unique(np.asarray(labels, dtype=object)):
        if isinstance(value, datetime.datetime):
            zone = _zone(pd.Timestamp(value))
            if zone not in zones:
                zones.append(zone)
    if len(zones) > 1:
        named = ["no time zone" if z is None else z for z in zones]
        raise DataError(
            f"`{argname}` mixes time zones {named}. Put every label on one clock first, e.g. "
            f"`pd.to_datetime(labels, utc=True)` (then `.tz_convert(...)` to a local zone), "
            f"or `.tz_localize(...)` the labels that have no time zone."
        )


def _same_labels(axis: TimeAxis, step) -> bool:
    """Whether ``axis`` has the same labels with ``step`` (QS-OCT and QS-JAN from January)."""
    if axis.kind != "datetime":
        return False
    try:
        return axis.index().equals(dataclasses.replace(axis, step=step).index())
    except (TypeError, ValueError):
        return False


def _zone(stamp) -> str | None:
    """Name of the time zone of a timestamp or DatetimeIndex, None when naive."""
    tz = getattr(stamp, "tz", None)
    return None if tz is None else (getattr(tz, "key", None) or str(tz))


def _zone_message(argname: str, given: str | None, fitted: str | None) -> str:
    """Explain the refusal of labels in another time zone than the fitted ones, with the fix."""
    if fitted is None:
        fix = f"`{argname}.index = {argname}.index.tz_localize(None)` (or fit on tz-aware data)"
    elif given is None:
        fix = f"`{argname}.index = {argname}.index.tz_localize({fitted!r})`"
    else:
        fix = f"`{argname}.index = {argname}.index.tz_convert({fitted!r})`"
    return (
        f"`{argname}` has labels in time zone {given or 'none (naive)'}, but the model was "
        f"fitted on time zone {fitted or 'none (naive)'}. Convert them first: {fix}."
    )


def _label_mismatch(axis: TimeAxis, labels: pd.Index, argname: str) -> str | None:
    """Why ``labels`` cannot be labels of ``axis`` (kind or time zone), or None."""
    kinds = {"datetime": pd.DatetimeIndex, "period": pd.PeriodIndex}
    wanted = [str(label) for label in axis.future(min(len(labels), 2))]
    if axis.kind in kinds and not isinstance(labels, kinds[axis.kind]):
        return (
            f"`{argname}` has a {type(labels).__name__}, but the fitted series has "
            f"{axis.kind} labels. Give the new steps their labels, {wanted[0]} on "
            f"(e.g. `{argname}.index = pd.date_range({wanted[0]!r}, periods=len({argname}), "
            f"freq={axis.freq!r})`)."
        )
    if axis.kind == "range" and not pd.api.types.is_integer_dtype(labels.dtype):
        return (
            f"`{argname}` has {labels.dtype} labels, but the fitted series has integer "
            f"labels. Pass the new steps as an array, or labelled {wanted[0]} on."
        )
    if axis.kind == "datetime":
        given = _zone(labels)
        if given != _zone(axis.start):
            return _zone_message(argname, given, _zone(axis.start))
    return None


# A time-zone name ("Asia/Tokyo", "Etc/GMT+9", "dateutil/Europe/Paris"): never a file path.
_ZONE_NAME = re.compile(r"(dateutil/)?[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


def _check_count(n, argname: str) -> int:
    """Return ``n`` as an int >= 0, or raise ParameterError."""
    try:
        value = None if isinstance(n, bool) else operator.index(n)
    except TypeError:
        value = None
    if value is None or value < 0:
        raise ParameterError(
            f"`{argname}` must be an integer >= 0; got {argname}={n!r}. Pass a non-negative int."
        )
    return value


def _to_offset(freq, *, period: bool = False):
    """Turn an alias or offset into a pandas offset; ParameterError if it is not one."""
    try:
        return pd.Period("2000-01-01", freq=freq).freq if period else to_offset(freq)
    except (TypeError, ValueError) as err:
        raise ParameterError(
            f"`freq` must be a pandas frequency alias or offset; got freq={freq!r} ({err}). "
            f"Use an alias such as 'D', 'h', 'MS' or 'ME' (periods: 'M', 'Q')."
        ) from err


def _check_sorted_unique(index: pd.Index, keys: np.ndarray, argname: str) -> None:
    """Raise DataError on missing time stamps, duplicate labels or an unsorted index."""
    missing = (
        np.flatnonzero(pd.isna(index))
        if index.dtype.kind in "Mm" or isinstance(index, pd.PeriodIndex)
        else []
    )
    if len(missing):
        i = int(missing[0])
        raise DataError(
            f"`{argname}` has {len(missing)} missing time stamp(s) (NaT) in its index, the "
            f"first at position {i}"
            + (f", after {index[i - 1]!s}" if i else "")
            + ": a blank or unparseable date. Fix or drop those rows, e.g. "
            f"`{argname} = {argname}[{argname}.index.notna()]`."
        )
    if index.has_duplicates:
        dup = index[index.duplicated()]
        raise DataError(
            f"`{argname}` has duplicate timestamps in its index: the first is {dup[0]!s} "
            f"({len(dup)} duplicates in all). Drop or aggregate them, e.g. "
            f"`{argname}[~{argname}.index.duplicated()]` or `{argname}.groupby(level=0).mean()`."
        )
    back = np.flatnonzero(np.diff(keys) < 0)
    if len(back):
        i = int(back[0]) + 1
        raise DataError(
            f"`{argname}` has an unsorted index: label {index[i]!s} (position {i}) comes after "
            f"{index[i - 1]!s}. Sort it first with `{argname} = {argname}.sort_index()`."
        )


def _parse_label(axis: TimeAxis, label):
    """Turn a user label into an int, Period or Timestamp matching the axis kind."""
    try:
        if axis.kind == "range":
            if isinstance(label, bool) or not isinstance(label, int | np.integer | str):
                raise TypeError(f"expected an int, got {type(label).__name__}")
            return int(label)
        if axis.kind == "period":
            return pd.Period(label, freq=axis.step)
        stamp = pd.Timestamp(label)
        if stamp.tz is None and axis.start.tz is not None:
            return stamp.tz_localize(axis.start.tz)
        if stamp.tz is not None and axis.start.tz is None:
            raise TypeError("it has a time zone but the axis has none")
        return stamp
    except (TypeError, ValueError) as err:
        raise DataError(
            f"`label` {label!r} cannot be read as a label of this {axis.kind} axis ({err}). "
            f"Pass a label like {axis.start!s}."
        ) from err
