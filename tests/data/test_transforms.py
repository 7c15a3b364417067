import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecastkit.data.transforms import (
    KPSS_CRITICAL_5PCT,
    TargetTransform,
    choose_transform,
    kpss_statistic,
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
    with pytest.raises(ParameterError, match="strictly positive"):
        choose_transform(trend, [0], mode="log")
    with pytest.raises(ParameterError, match="transform"):
        choose_transform(trend, [0], mode="boxcox")
