import numpy as np
import pytest

from forecastkit.exceptions import DataError, ParameterError
from forecastkit.intervals import (
    check_levels,
    conformal_quantile,
    format_level,
    interval_columns,
    min_calibration_size,
    step_widths,
)

# ------------------------------------------------------------------ the quantile rule


@pytest.mark.parametrize(
    ("n", "level", "rank"),
    [
        (9, 80, 8),  # ceil(10 * 0.8) = 8; a plain 80% quantile would sit near 7.4
        (4, 80, 4),  # the smallest n for 80%: the largest score
        (19, 95, 19),  # the smallest n for 95%
        (99, 95, 95),  # ceil(100 * 0.95)
        (99, 7, 7),  # 100 * 0.07 is 7.000000000000001 in floats; the rule is exact
        (10, 50, 6),  # ceil(11 * 0.5) = 6
        (3, 50, 2),
        (1, 50, 1),
    ],
)
def test_rank_is_ceil_of_n_plus_one_times_level(n, level, rank):
    scores = np.random.default_rng(n).permutation(np.arange(1.0, n + 1))
    assert conformal_quantile(scores, level) == rank


def test_quantile_ignores_nan_per_column():
    scores = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, np.nan], [4.0, np.nan], [0.5, 7.0]])
    # column 0: n=5, ceil(6 * 0.5) = 3rd smallest of (0.5, 1, 2, 3, 4); column 1: n=3, 2nd
    assert conformal_quantile(scores, 50).tolist() == [2.0, 6.0]


@pytest.mark.parametrize(("level", "n_min"), [(50, 1), (80, 4), (90, 9), (95, 19), (99, 99)])
def test_min_calibration_size_is_the_boundary(level, n_min):
    assert min_calibration_size(level) == n_min
    conformal_quantile(np.arange(float(n_min)), level)  # finite
    if n_min > 1:
        with pytest.raises(DataError, match=f"needs n >= {n_min}.*lower level"):
            conformal_quantile(np.arange(float(n_min - 1)), level)


def test_too_few_scores_are_refused_not_infinite():
    with pytest.raises(DataError, match=r"18 calibration scores give no finite 95% interval"):
        conformal_quantile(np.ones(18), 95)


def test_finite_sample_correction_gives_nominal_coverage():
    # exchangeable scores: P(new <= k-th smallest of n) = k / (n + 1) exactly
    rng = np.random.default_rng(0)
    n, reps = 9, 20_000
    calibration = np.abs(rng.normal(size=(n, reps)))
    fresh = np.abs(rng.normal(size=reps))
    corrected = np.mean(fresh <= conformal_quantile(calibration, 80))
    plain = np.mean(fresh <= np.quantile(calibration, 0.8, axis=0))
    assert abs(corrected - 0.8) < 0.01  # k = 8 of 10: 0.8
    assert plain < 0.77  # the uncorrected quantile undercovers


# ------------------------------------------------------------------ per step ahead


def test_step_widths_shape_nan_pattern_and_monotone():
    rng = np.random.default_rng(1)
    n_origins, horizon = 40, 5
    # errors growing with the step, plus a dip at step 4 that the cumulative max removes
    scale = np.array([1.0, 2.0, 3.0, 0.5, 4.0])
    residuals = rng.normal(size=(n_origins, horizon, 2)) * scale[None, :, None]
    for h in range(1, horizon):  # origin o sees only steps inside the part
        residuals[n_origins - h :, h, :] = np.nan
    widths = step_widths(residuals, (95, 80))
    assert widths.shape == (2, horizon, 2)
    assert (np.diff(widths, axis=1) >= 0).all()
    assert (widths[1] >= widths[0]).all()  # levels increase: 80 then 95
    raw = conformal_quantile(np.abs(residuals[:, :, 0]), 80)
    assert widths[0, :, 0].tolist() == np.maximum.accumulate(raw).tolist()
    assert widths[0, 3, 0] == widths[0, 2, 0] > raw[3]  # the dip was lifted


def test_step_widths_name_the_short_step():
    residuals = np.zeros((20, 3, 1))
    residuals[-2:, 2, 0] = np.nan  # step 3 keeps 18 residuals
    step_widths(residuals[:, :2], 95)
    with pytest.raises(DataError, match=r"Step 3 ahead has 18 calibration residuals.*at least 19"):
        step_widths(residuals, (80, 95))
    with pytest.raises(ParameterError, match=r"\(n_origins, horizon, n_targets\)"):
        step_widths(np.zeros((20, 3)), 95)


# ------------------------------------------------------------------ levels and names


def test_check_levels_accepts_numbers_and_sequences():
    assert check_levels(95) == (95.0,)
    assert check_levels(99.5) == (99.5,)
    assert check_levels(np.int64(90)) == (90.0,)
    assert check_levels([95, 80, 95.0]) == (80.0, 95.0)
    assert check_levels(np.array([80, 95])) == (80.0, 95.0)


@pytest.mark.parametrize(
    ("level", "match"),
    [
        (0, "at least 1 and below 100"),
        (100, "at least 1 and below 100"),
        (-5, "got level=-5"),
        (0.95, "not fractions"),
        (float("nan"), "got level=nan"),
        (True, "got level=True"),
        ("95", "got level='95'"),
        ((), r"got level=\(\)"),
        ((80, None), r"got level=\(80, None\)"),
    ],
)
def test_check_levels_refuses(level, match):
    with pytest.raises(ParameterError, match=match):
        check_levels(level)


def test_single_level_functions_refuse_a_sequence():
    with pytest.raises(ParameterError, match="Pass one `level`"):
        min_calibration_size((80, 95))


def test_interval_columns_and_level_format():
    assert interval_columns("y", 95) == ["y-lo-95", "y-hi-95"]
    assert interval_columns("sales", (95, 80)) == [
        "sales-lo-80",
        "sales-hi-80",
        "sales-lo-95",
        "sales-hi-95",
    ]
    # long format: one column per model
    assert interval_columns("Forecaster", 99.5) == ["Forecaster-lo-99.5", "Forecaster-hi-99.5"]
    assert [format_level(x) for x in (80, 80.0, 99.9, 1.25)] == ["80", "80", "99.9", "1.25"]
