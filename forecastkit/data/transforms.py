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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecastkit.exceptions import ParameterError

__all__ = ["TargetTransform", "choose_transform", "kpss_statistic"]

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
        """Inverse of :meth:`to_dict`."""
        return cls(log=tuple(bool(v) for v in d["log"]), diff=int(d["diff"]))


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
                f"`transform={mode!r}` needs strictly positive target values in the training "
                f"part; the smallest is {smallest!r}. Use target_transform='diff' or 'auto'."
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
