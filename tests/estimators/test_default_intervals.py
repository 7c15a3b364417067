"""Honest default intervals (issue #17): which part calibrates, and log-scale intervals."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.data.splits import MIN_SPLIT_VALIDATION
from forecastkit.estimators._calibration import calibration_part
from forecastkit.exceptions import DataError

TINY = dict(units=(4,), epochs=1, verbose=0, random_state=0, window=6, batch_size=256, n_models=1)
# val_size=1000 (steps) keeps the tiny fits cheap: 300 training steps, validation split 500 | 500
LONG, LONG_VAL = 1300, 1000
SHORT = 300  # val_size=0.1: 30 validation steps, kept whole


def _series(n, seed=0, start=10.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = start + np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, n)
    return pd.Series(values, index=pd.RangeIndex(n), name="y")


def _long(lengths):
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": np.arange(n), "y": _series(n, seed=k).to_numpy()})
        for k, (uid, n) in enumerate(lengths.items())
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def long_fit():
    return Forecaster(**TINY, target_transform="none", val_size=LONG_VAL).fit(_series(LONG))


@pytest.fixture(scope="module")
def panel():
    # val_size=0.5: the long series' 1250 validation steps split 625 | 625, the short
    # series' 150 stay whole.
    frame = _long({"long": 2500, "short": SHORT})
    return Forecaster(**TINY, target_transform="none", val_size=0.5).fit(frame)


@pytest.fixture(scope="module")
def logged():
    # A positive series with a multiplicative season: the log transform is forced.
    rng = np.random.default_rng(1)
    t = np.arange(400)
    values = np.exp(3 + 0.002 * t + 0.3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.1, 400))
    y = pd.Series(values, index=pd.RangeIndex(400), name="y")
    return Forecaster(**TINY, target_transform="log", calibration_size=60).fit(y)


def test_long_series_calibrates_on_the_second_half_of_its_validation_part(long_fit):
    n_val = LONG_VAL
    assert n_val >= MIN_SPLIT_VALIDATION
    n_train, n_es, _ = long_fit.sizes_
    assert (n_es, long_fit.n_calibration_) == (n_val - n_val // 2, n_val // 2)
    assert n_train == LONG - n_val  # the network trains on exactly the same rows
    start, stop = calibration_part(long_fit.series_[None])
    assert (start, stop) == (n_train + n_es, LONG)  # early stopping never saw these rows
    out = long_fit.forecast(3, level=80)
    assert long_fit.series_[None].calibration.shape == (n_val // 2, 3, 1)
    assert (out["y-hi-80"] > out["y"]).all() and (out["y-lo-80"] < out["y"]).all()
    # Too short for a long horizon: the error names the default split and both ways out.
    with pytest.raises(DataError, match=r"second half of the validation part.*calibration_size=0"):
        long_fit.forecast(n_val // 2, level=95)


def test_short_series_and_calibration_size_0_calibrate_on_the_validation_part():
    short = Forecaster(**TINY, target_transform="none").fit(_series(SHORT))
    assert short.n_calibration_ == 0 and short.sizes_[1] == SHORT // 10
    assert calibration_part(short.series_[None]) == (SHORT - SHORT // 10, SHORT)
    # calibration_size=0 opts out of the split on a long series too (the former default).
    whole = Forecaster(**TINY, target_transform="none", calibration_size=0, val_size=LONG_VAL)
    whole.fit(_series(LONG))
    assert whole.n_calibration_ == 0 and whole.sizes_[1] == LONG_VAL


def test_long_format_applies_the_rule_per_series(panel):
    long_state, short_state = panel.series_["long"], panel.series_["short"]
    assert long_state.n_calibration == 625 and long_state.sizes[1] == 625
    assert short_state.n_calibration == 0 and short_state.sizes[1] == SHORT // 2
    out = panel.forecast(2, level=80)
    assert out["Forecaster-lo-80"].lt(out["Forecaster"]).all()
    assert long_state.calibration.shape[0] == 625
    assert short_state.calibration.shape[0] == SHORT // 2


def test_log_scale_intervals_are_positive_asymmetric_and_calibrated_on_log_errors(logged):
    state = logged.series_[None]
    assert state.transform.log == (True,)
    out = logged.forecast(6, level=(80, 95))
    point = out["y"]
    for level in (80, 95):
        lo, hi = out[f"y-lo-{level}"], out[f"y-hi-{level}"]
        assert (lo > 0).all() and (lo < point).all() and (hi > point).all()
        assert ((hi - point) > (point - lo)).all()  # multiplicative: wider above
        np.testing.assert_allclose(np.log(hi / point), np.log(point / lo), rtol=1e-6)
    # The cached errors are log errors of the recursive forecasts from the part's origins.
    start, _ = calibration_part(state)
    first = logged._multi_step(state.values, [start], 6)[0, :, 0]
    actual = state.values[start : start + 6, 0]
    np.testing.assert_allclose(
        state.calibration[0, :, 0], np.log(actual) - np.log(first), rtol=1e-4, atol=1e-6
    )


def test_save_load_keeps_the_calibration_and_its_log_scale(logged, long_fit, tmp_path):
    for name, f in (("log", logged), ("additive", long_fit)):
        expected = f.forecast(4, level=80)
        f.save(tmp_path / f"{name}.keras")
        g = Forecaster.load(tmp_path / f"{name}.keras")
        state = g.series_[None]
        assert state.calibration is not None and state.log_intervals
        assert g.n_calibration_ == f.n_calibration_ and g.sizes_ == f.sizes_
        pd.testing.assert_frame_equal(g.forecast(4, level=80), expected)
