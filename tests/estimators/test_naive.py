import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecastkit.estimators.naive import NaiveForecaster, naive_forecasts
from forecastkit.exceptions import DataError, NotFittedError, ParameterError

INDEXES = {
    "month-start": lambda n: pd.date_range("2000-01-01", periods=n, freq="MS", name="ds"),
    "daily-tz": lambda n: pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Berlin"),
    "period": lambda n: pd.period_range("2000-01", periods=n, freq="M"),
    "range-step-5": lambda n: pd.RangeIndex(3, 3 + 5 * n, 5),
}


def series(n=30, kind="month-start"):
    t = np.arange(n, dtype=float)
    return pd.Series(10 + t + 3 * np.sin(t), index=INDEXES[kind](n), name="sales")


@pytest.mark.parametrize("kind", sorted(INDEXES))
def test_forecast_index_continues_the_input(kind):
    y = series(40, kind)
    longer = INDEXES[kind](45)
    fc = NaiveForecaster("last").fit(y).forecast(5)
    assert isinstance(fc, pd.Series) and fc.name == "sales"
    assert fc.index.equals(longer[40:])


def test_strategies_by_hand():
    y = pd.Series([1.0, 3.0, 2.0, 6.0])
    assert NaiveForecaster("last").fit(y).forecast(3).tolist() == [6.0, 6.0, 6.0]
    assert NaiveForecaster("mean").fit(y).forecast(2).tolist() == [3.0, 3.0]
    drift = NaiveForecaster("drift").fit(y).forecast(2).tolist()
    assert drift == pytest.approx([7.0 + 2 / 3, 9.0 + 1 / 3])
    seasonal = NaiveForecaster("seasonal", season_length=2).fit(y)
    assert seasonal.forecast(5).tolist() == [2.0, 6.0, 2.0, 6.0, 2.0]


def test_season_length_from_frequency():
    assert NaiveForecaster().fit(series(30, "month-start")).season_length_ == 12
    assert NaiveForecaster().fit(series(30, "daily-tz")).season_length_ == 7
    assert NaiveForecaster().fit(series(30, "range-step-5")).season_length_ == 1
    y = series(30)
    np.testing.assert_allclose(NaiveForecaster().fit(y).forecast(12).to_numpy(), y.to_numpy()[-12:])


def test_horizon_parameter_is_the_default():
    assert len(NaiveForecaster(horizon=4).fit(series()).forecast()) == 4


def test_predict_is_teacher_forced_over_fitted_series():
    y = series(30)
    pred = NaiveForecaster("seasonal").fit(y).predict()
    assert pred.index.equals(y.index[12:])
    np.testing.assert_allclose(pred.to_numpy(), y.to_numpy()[:-12], rtol=1e-6)
    mean = NaiveForecaster("mean").fit(y).predict()
    np.testing.assert_allclose(mean.iloc[4], y.iloc[:5].mean(), rtol=1e-6)


def test_predict_on_a_continuing_series_uses_the_fitted_history():
    y = series(36)
    f = NaiveForecaster("seasonal").fit(y[:30])
    pred = f.predict(y[30:])
    assert pred.index.equals(y.index[30:])
    np.testing.assert_allclose(pred.to_numpy(), y.to_numpy()[18:24], rtol=1e-6)


def test_rows_at_another_spacing_are_not_a_continuation():
    y = series(30)  # monthly
    f = NaiveForecaster("last").fit(y)
    quarterly = pd.Series(
        [1.0, 2.0, 4.0], index=pd.date_range(f.time_axis_.future(1)[0], periods=3, freq="QS")
    )
    # its first label is the next month, but the rest are not: not a continuation, and a
    # quarterly series is not predicted with a monthly model
    assert not f.time_axis_.continued_by(quarterly.index)
    with pytest.raises(DataError, match="freq 'QS"):
        f.predict(quarterly)


def test_predict_on_another_series_starts_after_min_history():
    f = NaiveForecaster("last").fit(series(30))
    other = pd.Series([1.0, 2.0, 4.0], index=pd.date_range("1990-01-01", periods=3, freq="MS"))
    assert f.predict(other).tolist() == [1.0, 2.0]


def test_multi_target_frame():
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) * 2})
    fc = NaiveForecaster("last", target=["a", "b"]).fit(frame).forecast(2)
    assert list(fc.columns) == ["a", "b"]
    assert fc.to_numpy().tolist() == [[9.0, 18.0], [9.0, 18.0]]


def test_naive_forecasts_from_many_origins_match_one_at_a_time():
    values = np.random.default_rng(0).normal(size=(50, 2))
    for strategy in ("last", "seasonal", "mean", "drift"):
        batch = naive_forecasts(values, [5, 20, 50], 7, strategy=strategy, season_length=4)
        for k, o in enumerate([5, 20, 50]):
            one = naive_forecasts(values[:o], [o], 7, strategy=strategy, season_length=4)
            np.testing.assert_allclose(batch[k], one[0])


def test_clone_and_params():
    f = NaiveForecaster("drift", season_length=3, horizon=2)
    assert clone(f).get_params() == f.get_params()


def test_errors():
    with pytest.raises(NotFittedError, match="not fitted"):
        NaiveForecaster().forecast(3)
    with pytest.raises(DataError, match="fewer than the 12"):
        NaiveForecaster("seasonal").fit(series(10))
    with pytest.raises(ParameterError, match="horizon"):
        NaiveForecaster("last").fit(series()).forecast(0)
    with pytest.raises(ParameterError, match="horizon"):
        NaiveForecaster("last", horizon=-1).fit(series())
    with pytest.raises(ParameterError, match="strategy"):
        NaiveForecaster("median").fit(series())
    with pytest.raises(ParameterError, match="season_length"):
        NaiveForecaster(season_length=0).fit(series())
