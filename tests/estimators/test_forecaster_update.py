"""Forecaster.update: streaming new observations without refitting."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, datasets
from forecastkit.exceptions import DataError, NotFittedError


@pytest.fixture(scope="module")
def airline():
    return datasets.load_airline()


@pytest.fixture(scope="module")
def fitted(airline):
    f = Forecaster(window=12, units=(4,), epochs=2, verbose=0, random_state=0, test_size=12)
    return f.fit(airline[:-12])


def _fresh(fitted):
    """A forecaster sharing ``fitted``'s network, with its own history (update mutates)."""
    import copy

    f = copy.copy(fitted)
    f.series_ = {k: s.copy() for k, s in fitted.series_.items()}
    return f


def test_update_then_forecast_equals_forecast_from_longer_history(fitted, airline):
    f = _fresh(fitted)
    new = airline[-12:-5]
    f.update(new)
    assert len(f.values_) == len(airline) - 5
    assert f.time_axis_.n_steps == len(airline) - 5
    expected = fitted._multi_step(airline.to_numpy(np.float32)[:-5, None], np.array([139]), 6)
    got = f.forecast(6)
    np.testing.assert_allclose(got.to_numpy(), expected[0, :, 0], rtol=1e-5, atol=1e-5)
    assert got.index[0] == airline.index[-5]
    assert got.name == airline.name


def test_update_one_point_at_a_time_equals_one_block(fitted, airline):
    a, b = _fresh(fitted), _fresh(fitted)
    for i in range(-12, -6):
        a.update(airline[i : i + 1])
    b.update(airline[-12:-6])
    np.testing.assert_array_equal(a.values_, b.values_)
    pd.testing.assert_series_equal(a.forecast(3), b.forecast(3))


def test_update_accepts_arrays_as_next_steps(fitted, airline):
    a, b = _fresh(fitted), _fresh(fitted)
    a.update(airline[-12:-10])
    b.update(airline[-12:-10].to_numpy())
    pd.testing.assert_series_equal(a.forecast(2), b.forecast(2))


def test_update_keeps_evaluate_on_the_fitted_test_part(fitted, airline):
    f = _fresh(fitted)
    before = fitted.evaluate()
    f.update(airline[-12:])
    pd.testing.assert_frame_equal(f.evaluate(), before)


def test_update_does_not_touch_the_fitted_input(airline):
    y = airline[:-3].copy()
    f = Forecaster(window=12, units=(4,), epochs=1, verbose=0, random_state=0).fit(y)
    f.update(airline[-3:])
    pd.testing.assert_series_equal(y, airline[:-3])


def test_update_refuses_a_gap_or_overlap(fitted, airline):
    f = _fresh(fitted)
    with pytest.raises(DataError, match="must continue the fitted series"):
        f.update(airline[-10:])  # skips two months
    with pytest.raises(DataError, match="must continue the fitted series"):
        f.update(airline[-13:])  # overlaps the last fitted month
    assert len(f.values_) == len(fitted.values_)


def test_update_refuses_nan_and_non_positive_under_log(fitted, airline):
    f = _fresh(fitted)
    bad = airline[-12:-10].copy()
    bad.iloc[0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        f.update(bad)
    if any(fitted.transform_.log):
        bad.iloc[0] = -1.0
        with pytest.raises(DataError, match="positive"):
            f.update(bad)


def test_update_before_fit_is_not_fitted_error(airline):
    with pytest.raises(NotFittedError):
        Forecaster().update(airline)


def test_update_with_covariates_needs_them():
    n = 80
    idx = pd.date_range("2020-01-01", periods=n, freq="D")
    x = pd.DataFrame({"x": np.sin(np.arange(n) / 3)}, index=idx)
    y = pd.Series(np.cos(np.arange(n) / 3) + 2, index=idx, name="y")
    f = Forecaster(
        window=5, units=(4,), epochs=1, verbose=0, random_state=0, target_transform="none"
    )
    f.fit(x[:70], y[:70])
    with pytest.raises(DataError, match="covariates"):
        f.update(y[70:75])
    f.update(y[70:75], X=x[70:75])
    out = f.forecast(5, X=x[75:])
    assert out.index[0] == idx[75]


def test_update_after_save_load_round_trip(fitted, airline, tmp_path):
    path = tmp_path / "f.keras"
    fitted.save(path)
    g = Forecaster.load(path).update(airline[-12:-8])
    f = _fresh(fitted).update(airline[-12:-8])
    pd.testing.assert_series_equal(g.forecast(4), f.forecast(4))
    pd.testing.assert_frame_equal(Forecaster.load(path).history_, fitted.history_)


def test_forecasts_read_only_the_context_they_need(fitted, airline, monkeypatch):
    from forecastkit.estimators import _context

    values = airline.to_numpy(np.float32)[:, None]
    positions = np.array([40, 90, 130])
    sliced = fitted._multi_step(values, positions, 5)
    one_sliced = fitted._one_step(values, positions)

    def whole(job, window):  # no slicing: every row
        return job.values, np.asarray(job.positions), job.phase

    monkeypatch.setattr(_context, "context_rows", whole)
    np.testing.assert_allclose(fitted._multi_step(values, positions, 5), sliced, rtol=1e-6)
    np.testing.assert_allclose(fitted._one_step(values, positions), one_sliced, rtol=1e-6)


def test_evaluate_scores_the_last_test_size_steps_with_a_calibration_part(airline):
    f = Forecaster(
        window=12,
        units=(2,),
        epochs=1,
        verbose=0,
        random_state=0,
        test_size=12,
        calibration_size=20,
    ).fit(airline)
    table = f.evaluate()
    truth, naive = airline.to_numpy()[-12:], airline.to_numpy()[-24:-12]
    expected = np.mean(np.abs(truth - naive))
    assert table.loc["seasonal naive recursive", "mae"] == pytest.approx(expected, rel=1e-5)
