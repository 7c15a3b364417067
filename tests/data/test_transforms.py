import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastkit.data.transforms import (
    KPSS_CRITICAL_5PCT,
    SEASON_CYCLES,
    SeasonalAdjustment,
    TargetTransform,
    choose_transform,
    fit_seasonal_adjustment,
    kpss_statistic,
    redecide_diff,
)
from forecastkit.exceptions import ParameterError


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.5, 100.0), min_size=3, max_size=30),
    st.booleans(),
    st.integers(0, 1),
)
def test_inverse_of_forward_recovers_levels(values, log, diff):
    y = np.asarray(values)[:, None]
    t = TargetTransform(log=(log,), diff=diff)
    z = t.forward(y, targets=(0,)).astype(np.float64)
    # predicting the true transformed values from the first anchor gives back the series
    anchor = t.levels(y, (0,))[diff - 1 : diff] if diff else np.zeros((1, 1))
    back = t.inverse(z[None], anchor)[0]
    np.testing.assert_allclose(back, y[diff:], rtol=1e-4)


def test_covariates_untouched_and_rows_dropped():
    values = np.array([[1.0, 5.0], [2.0, 6.0], [4.0, 7.0]])
    z = TargetTransform(log=(False,), diff=1).forward(values, targets=(0,))
    np.testing.assert_array_equal(z, [[1.0, 6.0], [2.0, 7.0]])


def test_kpss_separates_noise_from_random_walk():
    rng = np.random.default_rng(1)
    assert kpss_statistic(rng.normal(size=400)) < KPSS_CRITICAL_5PCT
    assert kpss_statistic(np.cumsum(rng.normal(size=400))) > KPSS_CRITICAL_5PCT
    assert kpss_statistic(np.ones(50)) == 0.0


def test_choose_transform_auto_and_forced():
    t = np.arange(144.0)
    growing = (100 + 3 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12))
    assert choose_transform(growing[:, None], [0], season_length=12) == TargetTransform(
        log=(True,), diff=1
    )
    trend = (5 + 0.5 * t + np.sin(t))[:, None] - 200  # negative values: no log
    assert choose_transform(trend, [0]) == TargetTransform(log=(False,), diff=1)
    assert choose_transform(growing[:, None], [0], mode="none") == TargetTransform(log=(False,))
    with pytest.raises(ParameterError, match=r"`target_transform='log'` needs strictly positive"):
        choose_transform(trend, [0], mode="log")
    with pytest.raises(ParameterError, match="transform"):
        choose_transform(trend, [0], mode="boxcox")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.5, 100.0), min_size=2, max_size=30),
    st.integers(-50, 50),
    st.booleans(),
)
def test_seasonal_adjustment_restore_inverts_remove_at_any_start(values, start, mult):
    rng = np.random.default_rng(len(values))
    m = 4
    indices = rng.uniform(0.5, 1.5, m) if mult else rng.normal(0, 3, m)
    adj = SeasonalAdjustment(indices=(tuple(indices),), multiplicative=(mult,))
    y = np.c_[np.asarray(values), np.arange(len(values))]  # a covariate column stays as is
    z = adj.remove(y, targets=(0,), start=start)
    np.testing.assert_array_equal(z[:, 1], y[:, 1])
    back = adj.restore(z[None, :, :1].astype(np.float64), np.array([start]))[0, :, 0]
    np.testing.assert_allclose(back, y[:, 0], rtol=1e-5, atol=1e-4)
    # the same rows seen from a later start give the same adjusted values
    later = adj.remove(y[1:], targets=(0,), start=start + 1)
    np.testing.assert_array_equal(later, z[1:])


@pytest.mark.parametrize("mult", [False, True])
def test_fit_seasonal_adjustment_recovers_the_season(mult):
    t = np.arange(96)
    pattern = np.array([3.0, -1.0, 0.5, -2.5, 1.0, -1.0])  # sums to zero
    trend = 50 + 0.4 * t
    y = trend * np.exp(pattern[t % 6] / 20) if mult else trend + pattern[t % 6]
    adj = fit_seasonal_adjustment(y[:, None], [0], season_length=6, multiplicative=[mult])
    expected = np.exp(pattern / 20) if mult else pattern
    np.testing.assert_allclose(adj.indices[0], expected, rtol=1e-3, atol=1e-3)
    adjusted = adj.remove(y[:, None], [0])[:, 0]
    np.testing.assert_allclose(adjusted, trend, rtol=1e-3)


@pytest.mark.parametrize("cycles", [None, 1, 3, 7, 50])
def test_a_fixed_season_is_recovered_by_every_span(cycles):
    t = np.arange(60)
    pattern = np.array([2.0, -1.0, 0.5, -1.5])
    y = 10 + 0.3 * t + pattern[t % 4]
    adj = fit_seasonal_adjustment(
        y[:, None], [0], season_length=4, multiplicative=[False], cycles=cycles
    )
    np.testing.assert_allclose(adj.indices[0], pattern, atol=1e-9)


def test_a_changing_season_is_followed_by_the_recent_span():
    """The season flips sign halfway: the default span sees the new shape, the mean neither."""
    t = np.arange(120)
    pattern = np.array([2.0, -1.0, 0.5, -1.5])
    y = 10 + np.where(t < 60, 1.0, -1.0) * pattern[t % 4]
    recent = fit_seasonal_adjustment(
        y[:, None], [0], season_length=4, multiplicative=[False], cycles=SEASON_CYCLES
    )
    plain = fit_seasonal_adjustment(y[:, None], [0], season_length=4, multiplicative=[False])
    np.testing.assert_allclose(recent.indices[0], -pattern, atol=1e-9)
    assert np.abs(plain.indices[0]).max() < 0.2 * np.abs(pattern).max()


@pytest.mark.parametrize("cycles", [0, -2, 2.5, True, "7"])
def test_fit_seasonal_adjustment_refuses_bad_spans(cycles):
    y = np.arange(1.0, 40.0)[:, None]
    with pytest.raises(ParameterError, match="`cycles` must be a positive int or None"):
        fit_seasonal_adjustment(y, [0], season_length=4, multiplicative=[False], cycles=cycles)


def test_fit_seasonal_adjustment_none_and_refusals():
    y = np.arange(1.0, 40.0)[:, None]
    assert fit_seasonal_adjustment(y, [0], season_length=1, multiplicative=[False]) is None
    assert fit_seasonal_adjustment(y[:24], [0], season_length=12, multiplicative=[False]) is None
    with pytest.raises(ParameterError, match="positive"):
        fit_seasonal_adjustment(y - 5, [0], season_length=4, multiplicative=[True])
    with pytest.raises(ParameterError, match="one non-empty tuple per target"):
        SeasonalAdjustment(indices=((1.0, 2.0), (1.0,)), multiplicative=(False, False))
    adj = SeasonalAdjustment(indices=((1.5, 0.5),), multiplicative=(True,))
    assert SeasonalAdjustment.from_dict(adj.to_dict()) == adj
    assert SeasonalAdjustment.from_dict(None) is None


def test_redecide_diff_keeps_log_and_tests_the_adjusted_series():
    rng = np.random.default_rng(3)
    walk = 100 + np.cumsum(rng.normal(size=300))[:, None]
    noise = 100 + rng.normal(size=(300, 1))
    assert redecide_diff(walk, [0], TargetTransform(log=(True,), diff=0)) == TargetTransform(
        log=(True,), diff=1
    )
    assert redecide_diff(noise, [0], TargetTransform(log=(False,), diff=1)) == TargetTransform(
        log=(False,), diff=0
    )
