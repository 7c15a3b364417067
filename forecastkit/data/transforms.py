"""Target transforms that let a network forecast beyond the levels it was trained on.

Recurrent networks on scaled levels saturate when a trending series rises above anything
seen in training, and lose to the seasonal-naive forecast. Two classical transforms fix
this and are chosen automatically from the training part only:

- ``log`` (per target column): taken when every training value is positive and the
  Guerrero (1993) criterion, restricted to the Box-Cox exponents {0, 1}, says the spread of
  the series grows with its level (multiplicative seasonality, exponential growth).
- ``diff`` (first differences, shared by all targets): taken when the KPSS test rejects
  level stationarity at the 5% level, as ``auto.arima``'s ``ndiffs`` does.

Invariants: ``forward`` drops the first ``diff`` rows; row ``j`` of the transformed values
is row ``j + diff`` of the original ones; covariate columns are never transformed.

A third, position-dependent step comes before these: :class:`SeasonalAdjustment` divides
(multiplicative season, where the log is taken) or subtracts (additive) the classical
seasonal indices of the training part, so the network sees a seasonally adjusted series and
the season is put back on its forecasts (Hewamalage, Bergmeir and Bandara, 2021:
deseasonalised input is what made recurrent networks competitive on seasonal series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecastkit.exceptions import ParameterError

__all__ = [
    "SeasonalAdjustment",
    "TargetTransform",
    "choose_transform",
    "fit_seasonal_adjustment",
    "kpss_statistic",
    "redecide_diff",
]

#: KPSS critical value for level stationarity at the 5% level (Kwiatkowski et al., 1992).
KPSS_CRITICAL_5PCT = 0.463


@dataclass(frozen=True)
class TargetTransform:
    """Log and difference the target columns; invert forecasts back to levels.

    Parameters
    ----------
    log : tuple of bool
        One flag per target column: take the natural logarithm first.
    diff : int
        0 (levels) or 1 (first differences of the, possibly logged, targets).

    Examples
    --------
    >>> import numpy as np
    >>> t = TargetTransform(log=(False,), diff=1)
    >>> z = t.forward(np.array([[1.0], [3.0], [6.0]]), targets=(0,))
    >>> z[:, 0]
    array([2., 3.], dtype=float32)
    >>> t.inverse(np.array([[[4.0], [5.0]]]), anchor=np.array([[6.0]]))[0, :, 0]
    array([10., 15.])
    """

    log: tuple[bool, ...]
    diff: int = 0

    def __post_init__(self) -> None:
        if self.diff not in (0, 1):
            raise ParameterError(f"`diff` must be 0 or 1; got diff={self.diff!r}.")

    def levels(self, values: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        """Return the target columns (n_steps, n_targets) in transformed-level units (logged)."""
        level = np.asarray(values, dtype=np.float64)[:, list(targets)]
        mask = np.asarray(self.log, dtype=bool)
        if mask.any():
            level = level.copy()
            level[:, mask] = np.log(level[:, mask])
        return level

    def forward(self, values: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        """Transform (n_steps, n_features) into (n_steps - diff, n_features), float32.

        The targets are transformed in float64 and rounded once; the other columns are
        rounded to float32 directly (the same values as through float64).
        """
        values = np.asarray(values)
        out = values[self.diff :].astype(np.float32)
        level = self.levels(values, targets)
        if self.diff:
            level = level[1:] - level[:-1]
        out[:, list(targets)] = level
        return out

    def inverse(self, z: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """Turn transformed predictions back into levels.

        Parameters
        ----------
        z : ndarray of shape (n_samples, horizon, n_targets)
            Predictions in transformed (unscaled) units, consecutive steps ahead.
        anchor : ndarray of shape (n_samples, n_targets)
            The transformed level (logged, not differenced) of the step before each
            sample's first prediction. Ignored when ``diff == 0``.

        Returns
        -------
        ndarray of shape (n_samples, horizon, n_targets), float64, original units.
        """
        out = np.asarray(z, dtype=np.float64)
        if self.diff:
            out = np.asarray(anchor, dtype=np.float64)[:, None, :] + np.cumsum(out, axis=1)
        mask = np.asarray(self.log, dtype=bool)
        if mask.any():
            out = out.copy()
            with np.errstate(over="ignore"):
                out[..., mask] = np.exp(out[..., mask])
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable description."""
        return {"log": [bool(v) for v in self.log], "diff": int(self.diff)}

    @classmethod
    def from_dict(cls, d: dict) -> TargetTransform:
        """Inverse of :meth:`to_dict`; a ValueError for anything :meth:`to_dict` never writes."""
        log, diff = d["log"], d["diff"]
        if not isinstance(log, list) or not all(isinstance(v, bool) for v in log):
            raise ValueError(f"transform log flags {log!r:.60} are not a list of booleans")
        if isinstance(diff, bool) or diff not in (0, 1) or not isinstance(diff, int):
            raise ValueError(f"differencing order {diff!r:.40} is not 0 or 1")
        return cls(log=tuple(log), diff=diff)


def kpss_statistic(x: np.ndarray) -> float:
    """KPSS statistic for level stationarity, Bartlett kernel, ``trunc(4 (n/100)^0.25)`` lags.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> kpss_statistic(rng.normal(size=500)) < KPSS_CRITICAL_5PCT
    True
    >>> kpss_statistic(np.cumsum(rng.normal(size=500))) > KPSS_CRITICAL_5PCT
    True
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    e = x - x.mean()
    s = np.cumsum(e)
    lags = min(int(4 * (n / 100) ** 0.25), n - 1)
    var = e @ e / n
    for k in range(1, lags + 1):
        var += 2 * (1 - k / (lags + 1)) * (e[k:] @ e[:-k]) / n
    if var <= 0:
        return 0.0
    return float(s @ s / (n**2 * var))


def _guerrero_prefers_log(x: np.ndarray, period: int) -> bool:
    """Guerrero's criterion restricted to lambda in {0, 1}: True when log stabilises spread."""
    period = max(period, 2)
    n_groups = x.size // period
    if n_groups < 2:
        return False
    groups = x[x.size - n_groups * period :].reshape(n_groups, period)
    mean = groups.mean(axis=1)
    std = groups.std(axis=1, ddof=1)

    def cv(ratio: np.ndarray) -> float:
        return float(ratio.std(ddof=1) / ratio.mean()) if ratio.mean() > 0 else np.inf

    return cv(std / mean) < cv(std)


def choose_transform(
    train: np.ndarray, targets: Sequence[int], *, season_length: int = 1, mode: str = "auto"
) -> TargetTransform:
    """Choose the target transform from the training rows only.

    Parameters
    ----------
    train : ndarray of shape (n_train, n_features)
        Training rows in original units.
    targets : sequence of int
        Positions of the target columns.
    season_length : int, default=1
        Seasonal period (used to group the series for the log criterion).
    mode : {"auto", "none", "diff", "log", "log-diff"}, default="auto"
        "auto" decides per the module docstring; the others force a choice ("log" needs
        positive training values).

    Returns
    -------
    TargetTransform

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(120.0)
    >>> y = (100 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    >>> choose_transform(y[:, None], [0], season_length=12)
    TargetTransform(log=(True,), diff=1)
    >>> choose_transform(np.sin(t / 3)[:, None], [0])
    TargetTransform(log=(False,), diff=0)
    """
    modes = ("auto", "none", "diff", "log", "log-diff")
    if mode not in modes:
        raise ParameterError(
            f"`transform` must be one of {modes}; got transform={mode!r}. "
            "Use 'auto' to let forecastkit choose from the training data."
        )
    # Memory: no float64 copy of the training rows is made for "none" and "diff", and "auto"
    # converts one target column at a time; the decisions use the same float64 values.
    train = np.asarray(train)
    targets = [int(t) for t in targets]
    if mode in ("none", "diff"):
        return TargetTransform(log=(False,) * len(targets), diff=int(mode == "diff"))
    # float32 -> float64 is exact, so the sign test can run on the input's own dtype.
    positive = all(bool((train[:, t] > 0).all()) for t in targets)
    if mode in ("log", "log-diff"):
        if not positive:
            smallest = min(float(train[:, t].min()) for t in targets)
            raise ParameterError(
                f"`target_transform={mode!r}` needs strictly positive target values in the "
                f"training part; the smallest is {smallest!r}. Use target_transform='diff' or "
                "'auto'."
            )
        return TargetTransform(log=(True,) * len(targets), diff=int(mode.endswith("diff")))
    log, diff = [], 0
    for t in targets:
        column = np.asarray(train[:, t], dtype=np.float64)
        log.append(positive and _guerrero_prefers_log(column, season_length))
        level = np.log(column) if log[-1] else column
        del column
        diff = diff or int(kpss_statistic(level) > KPSS_CRITICAL_5PCT)
    return TargetTransform(log=tuple(log), diff=diff)


@dataclass(frozen=True)
class SeasonalAdjustment:
    """Seasonal indices removed from the target columns before the target transform.

    Row ``t`` of a series whose first row has absolute position ``start`` (counted from the
    start of the fitted series) gets the index ``(start + t) % period`` of each target:
    divided by a multiplicative factor, or minus an additive index.

    Parameters
    ----------
    indices : tuple of tuple of float
        One tuple of ``period`` values per target column (factors or additive indices).
    multiplicative : tuple of bool
        Per target column: divide by the factors (True) or subtract the indices (False).

    Examples
    --------
    >>> import numpy as np
    >>> adj = SeasonalAdjustment(indices=((1.0, -1.0),), multiplicative=(False,))
    >>> adj.remove(np.array([[5.0], [5.0], [5.0]]), targets=(0,), start=1)[:, 0]
    array([6., 4., 6.], dtype=float32)
    >>> adj.restore(np.array([[[6.0], [4.0]]]), targets_start=np.array([1]))[0, :, 0]
    array([5., 5.])
    """

    indices: tuple[tuple[float, ...], ...]
    multiplicative: tuple[bool, ...]

    def __post_init__(self) -> None:
        periods = {len(i) for i in self.indices}
        if len(periods) != 1 or min(periods) < 1 or len(self.indices) != len(self.multiplicative):
            raise ParameterError(
                "`indices` must hold one non-empty tuple per target column, all of the same "
                f"length (the period), and match `multiplicative`; got {len(self.indices)} "
                f"tuple(s) of lengths {sorted(periods)} for {len(self.multiplicative)} flags."
            )

    @property
    def period(self) -> int:
        """Steps per season."""
        return len(self.indices[0])

    def _table(self, positions: np.ndarray) -> np.ndarray:
        """Return the indices (len(positions), n_targets) at absolute positions."""
        table = np.asarray(self.indices, dtype=np.float64).T  # (period, n_targets)
        return table[np.asarray(positions) % self.period]

    def remove(self, values: np.ndarray, targets: Sequence[int], start: int = 0) -> np.ndarray:
        """Seasonally adjusted copy of ``values`` (n_steps, n_features), float32.

        ``start`` is the absolute position of ``values[0]``; covariates are unchanged.
        """
        values = np.asarray(values)
        out = values.astype(np.float32)
        index = self._table(int(start) + np.arange(len(values)))
        level = values[:, list(targets)].astype(np.float64)
        mult = np.asarray(self.multiplicative, dtype=bool)
        level = np.where(mult, level / np.where(mult, index, 1.0), level - np.where(mult, 0, index))
        out[:, list(targets)] = level
        return out

    def restore(self, z: np.ndarray, targets_start: np.ndarray) -> np.ndarray:
        """Put the season back on forecasts ``z`` (n_samples, horizon, n_targets).

        ``targets_start`` holds the absolute position of each sample's first step.
        """
        z = np.asarray(z, dtype=np.float64)
        steps = np.asarray(targets_start)[:, None] + np.arange(z.shape[1])[None, :]
        index = self._table(steps.ravel()).reshape(z.shape)
        mult = np.asarray(self.multiplicative, dtype=bool)
        return np.where(mult, z * np.where(mult, index, 1.0), z + np.where(mult, 0, index))

    def to_dict(self) -> dict:
        """JSON-serialisable description."""
        return {
            "indices": [[float(v) for v in i] for i in self.indices],
            "multiplicative": [bool(v) for v in self.multiplicative],
        }

    @classmethod
    def from_dict(cls, d: dict | None) -> SeasonalAdjustment | None:
        """Inverse of :meth:`to_dict` (None stays None)."""
        if d is None:
            return None
        adjustment = cls(
            indices=tuple(tuple(float(v) for v in i) for i in d["indices"]),
            multiplicative=tuple(bool(v) for v in d["multiplicative"]),
        )
        for column, mult in zip(adjustment.indices, adjustment.multiplicative, strict=True):
            values = np.asarray(column)
            if not np.isfinite(values).all() or (mult and not (values > 0).all()):
                raise ValueError(
                    f"seasonal indices {column[:4]!r:.80}... are not finite"
                    + (" positive factors" if mult else " numbers")
                )
        return adjustment


#: Span in cycles of the seasonal indices' weighted mean (:func:`fit_seasonal_adjustment`):
#: STL's customary seasonal span (statsmodels' default ``seasonal=7``).
SEASON_CYCLES = 7


def _recent_mean(values: np.ndarray, cycles: int | None) -> float:
    """Mean of ``values`` (oldest first), tricube-weighted over the latest ``cycles``.

    The value of age ``a`` (0 for the latest) weighs ``(1 - ((a + 0.5) / cycles) ** 3) ** 3``.

    Examples
    --------
    >>> _recent_mean(np.array([9.0, 1.0, 1.0]), None)
    3.6666666666666665
    >>> round(_recent_mean(np.array([9.0, 1.0, 1.0]), 2), 6)
    1.0
    """
    if cycles is None:
        return float(values.mean())
    recent = values[-int(cycles) :]
    age = np.arange(len(recent))[::-1]
    weights = (1.0 - ((age + 0.5) / cycles) ** 3) ** 3
    return float(np.dot(weights, recent) / weights.sum())


def fit_seasonal_adjustment(
    train: np.ndarray,
    targets: Sequence[int],
    *,
    season_length: int,
    multiplicative: Sequence[bool],
    cycles: int | None = None,
) -> SeasonalAdjustment | None:
    """Classical decomposition of the training rows: the seasonal indices of each target.

    Each target (logged where ``multiplicative``) minus its centred moving average of
    ``season_length`` steps (2 x m for an even m) gives the detrended series. Its mean per
    position in the season, centred to sum to zero, is the index (``exp`` of it for a
    multiplicative season). The mean weighs the latest ``cycles`` values of each position with
    tricube weights that fall with their age, as STL's seasonal smoother of span ``cycles``
    does at the end of a series, so a season that changes shape is forecast with its recent
    shape; ``cycles=None`` takes the plain mean of every cycle. Returns None when there is no
    season (``season_length < 2``) or fewer than ``2 * season_length + 1`` training rows.

    Parameters
    ----------
    train : ndarray of shape (n_train, n_features)
        Training rows in original units (position 0 is the start of the fitted series).
    targets : sequence of int
        Target columns.
    season_length : int
        Steps per season.
    multiplicative : sequence of bool
        Per target: fit the season on the logarithm (needs positive values), e.g. the
        ``log`` flags of :func:`choose_transform`.
    cycles : int or None, default=None
        Span of the weighted mean over cycles (at least 1), or None for every cycle equally.
        Forecasters pass :data:`SEASON_CYCLES`.

    Returns
    -------
    SeasonalAdjustment or None

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48)
    >>> y = 10 + 0.1 * t + np.tile([1.0, -1.0, 2.0, -2.0], 12)
    >>> adj = fit_seasonal_adjustment(y[:, None], [0], season_length=4, multiplicative=[False])
    >>> np.round(adj.indices[0], 6)
    array([ 1., -1.,  2., -2.])
    """
    m = int(season_length)
    if cycles is not None and (
        isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1
    ):
        raise ParameterError(f"`cycles` must be a positive int or None; got cycles={cycles!r}.")
    train = np.asarray(train)
    if m < 2 or len(train) < 2 * m + 1:
        return None
    kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = (len(kernel) - 1) // 2
    indices = []
    for t, mult in zip(targets, multiplicative, strict=True):
        z = np.asarray(train[:, t], dtype=np.float64)
        if mult:
            if not (z > 0).all():
                raise ParameterError(
                    "A multiplicative season needs positive training values; fit it with "
                    "multiplicative=False for a series that reaches zero."
                )
            z = np.log(z)
        trend = np.convolve(z, kernel, mode="valid")
        detrended = z[half : half + len(trend)] - trend
        phase = (np.arange(len(trend)) + half) % m
        index = np.array([_recent_mean(detrended[phase == k], cycles) for k in range(m)])
        index -= index.mean()
        indices.append(tuple(float(v) for v in (np.exp(index) if mult else index)))
    return SeasonalAdjustment(
        indices=tuple(indices), multiplicative=tuple(bool(v) for v in multiplicative)
    )


def redecide_diff(
    adjusted: np.ndarray, targets: Sequence[int], transform: TargetTransform
) -> TargetTransform:
    """Repeat the KPSS choice of differences on seasonally adjusted training rows.

    The log flags of ``transform`` are kept (chosen on the unadjusted series, where the
    season shows whether the spread grows with the level).

    Examples
    --------
    >>> import numpy as np
    >>> noise = np.random.default_rng(0).normal(size=(200, 1))
    >>> redecide_diff(noise, [0], TargetTransform(log=(False,), diff=1))
    TargetTransform(log=(False,), diff=0)
    """
    levels = TargetTransform(log=transform.log).levels(adjusted, targets)
    stats = [kpss_statistic(levels[:, j]) for j in range(levels.shape[1])]
    diff = int(any(stat > KPSS_CRITICAL_5PCT for stat in stats))
    return TargetTransform(log=transform.log, diff=diff)
