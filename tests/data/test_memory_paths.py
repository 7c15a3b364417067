"""The low-memory paths of fit (bench/memory.py) give the results of the plain ones."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from forecastkit.data.scaling import SeriesScaler, fit_transformed, transform_and_scale
from forecastkit.data.transforms import (
    KPSS_CRITICAL_5PCT,
    TargetTransform,
    _guerrero_prefers_log,
    choose_transform,
    kpss_statistic,
)
from forecastkit.data.validation import check_series
from forecastkit.exceptions import ParameterError


def _choose_before(train, targets, *, season_length=1, mode="auto"):
    """choose_transform as it was before the low-memory rewrite (commit a344ec6)."""
    columns = np.asarray(train, dtype=np.float64)[:, list(targets)]
    positive = bool((columns > 0).all())
    if mode in ("log", "log-diff") and not positive:
        raise ParameterError("needs strictly positive")
    if mode == "auto":
        log = tuple(
            positive and _guerrero_prefers_log(columns[:, j], season_length)
            for j in range(columns.shape[1])
        )
        logged = TargetTransform(log=log).levels(train, targets)
        diff = int(any(kpss_statistic(logged[:, j]) > KPSS_CRITICAL_5PCT for j in range(len(log))))
        return TargetTransform(log=log, diff=diff)
    log = (mode.startswith("log"),) * columns.shape[1]
    return TargetTransform(log=log, diff=int(mode.endswith("diff")))


def _series() -> dict[str, tuple[np.ndarray, list[int], int]]:
    rng = np.random.default_rng(0)
    t = np.arange(240.0)
    season = np.sin(2 * np.pi * t / 12)
    growing = (100 + 3 * t) * (1 + 0.25 * season)
    walk = 50 + np.cumsum(rng.normal(size=t.size))
    return {
        "multiplicative": (growing[:, None], [0], 12),
        "additive trend": ((100 + 0.5 * t + 5 * season)[:, None], [0], 12),
        "negative trend": ((5 + 0.5 * t + np.sin(t))[:, None] - 200, [0], 1),
        "sine": (np.sin(t / 3)[:, None], [0], 1),
        "noise": (rng.normal(size=(240, 1)), [0], 1),
        "random walk": (walk[:, None], [0], 7),
        "float32 growing": (growing.astype(np.float32)[:, None], [0], 12),
        "two targets + covariate": (np.column_stack([growing, walk, season]), [0, 1], 12),
        "target after covariate": (np.column_stack([season, growing]), [1], 4),
    }


@pytest.mark.parametrize("mode", ["auto", "none", "diff", "log", "log-diff"])
@pytest.mark.parametrize("name", list(_series()))
def test_transform_decisions_are_unchanged(name, mode):
    values, targets, m = _series()[name]
    try:
        expected = _choose_before(values, targets, season_length=m, mode=mode)
    except ParameterError:
        with pytest.raises(ParameterError, match=r"strictly positive.*smallest is -"):
            choose_transform(values, targets, season_length=m, mode=mode)
        return
    assert choose_transform(values, targets, season_length=m, mode=mode) == expected


def test_the_test_series_cover_both_decisions():
    chosen = {choose_transform(v, t, season_length=m) for v, t, m in _series().values()}
    assert {c.diff for c in chosen} == {0, 1}
    assert {any(c.log) for c in chosen} == {False, True}


@pytest.mark.parametrize(
    ("transformer", "exact"),
    [
        (None, False),
        (StandardScaler(with_mean=False), False),
        (MinMaxScaler(), True),
        (MaxAbsScaler(), True),
        (RobustScaler(), True),  # no partial_fit: fitted on the whole
    ],
)
@pytest.mark.parametrize("diff", [0, 1])
def test_chunked_scaler_fit_equals_the_fit_on_the_whole(transformer, exact, diff):
    rng = np.random.default_rng(1)
    values = np.column_stack([100 + np.cumsum(rng.normal(size=5000)), rng.normal(size=5000)])
    values = values.astype(np.float32)
    transform, targets = TargetTransform(log=(False,), diff=diff), [0]
    chunked = SeriesScaler(transformer, targets=targets, n_features=2)
    fit_transformed(chunked, values, transform, targets, chunk_rows=2 * 700)  # 8 chunks
    whole = SeriesScaler(transformer, targets=targets, n_features=2)
    whole.fit(transform_and_scale(values, transform, targets))
    a, b = chunked.transform(values[diff:]), whole.transform(values[diff:])
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)  # float32 rounding
        np.testing.assert_allclose(chunked.target_.scale_, whole.target_.scale_, rtol=1e-12)
        assert chunked.target_.n_samples_seen_ == whole.target_.n_samples_seen_ == 5000 - diff


def test_one_chunk_is_exactly_the_plain_fit():
    rng = np.random.default_rng(2)
    values = rng.normal(10, 3, size=(1000, 1)).astype(np.float32)
    transform = TargetTransform(log=(False,), diff=1)
    once = fit_transformed(SeriesScaler(targets=[0], n_features=1), values, transform, [0])
    plain = SeriesScaler(targets=[0], n_features=1).fit(transform_and_scale(values, transform, [0]))
    assert once.target_.mean_.tobytes() == plain.target_.mean_.tobytes()
    assert once.target_.scale_.tobytes() == plain.target_.scale_.tobytes()


def test_fit_transformed_refits_from_scratch():
    scaler = SeriesScaler(targets=[0], n_features=1)
    none = TargetTransform(log=(False,))
    fit_transformed(scaler, np.full((10, 1), 1000.0), none, [0], chunk_rows=3)
    fit_transformed(scaler, np.arange(10.0)[:, None], none, [0], chunk_rows=3)
    assert scaler.target_.n_samples_seen_ == 10
    assert scaler.target_.mean_[0] == pytest.approx(4.5)


def test_partial_fit_needs_a_transformer_that_has_it():
    with pytest.raises(ParameterError, match=r"partial_fit.*Call `fit`"):
        SeriesScaler(RobustScaler(), targets=[0], n_features=1).partial_fit(np.ones((3, 1)))


@pytest.mark.parametrize(
    "make",
    [
        lambda a: pd.Series(a, name="y", copy=False),
        lambda a: a,
        lambda a: a[:, None],
        lambda a: pd.DataFrame({"y": a}, copy=False),
    ],
)
def test_check_series_without_copy_gives_a_read_only_view(make):
    raw = np.arange(6, dtype=np.float32)
    y = make(raw)
    view = check_series(y, copy=False).values
    assert np.shares_memory(view, raw) and not view.flags.writeable
    copied = check_series(y).values
    assert not np.shares_memory(copied, raw) and copied.flags.writeable
    raw[0] = 7.0  # the caller's data stays writable
    np.testing.assert_array_equal(view[:, 0], copied[:, 0] + np.eye(6)[0] * 7)


def test_check_series_without_copy_owns_converted_values():
    raw = np.arange(6, dtype=np.float64)
    values = check_series(pd.Series(raw), copy=False).values
    assert values.flags.writeable and not np.shares_memory(values, raw)
