import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import forecastkit.estimators.window_regressor as wr
from forecastkit.backtest import backtest
from forecastkit.data.windows import make_windows
from forecastkit.estimators.window_regressor import WindowRegressor, WindowTransformer
from forecastkit.exceptions import DataError, NotFittedError

INDEXES = {
    "month-start": lambda n: pd.date_range("2000-01-01", periods=n, freq="MS"),
    "period": lambda n: pd.period_range("2000-01", periods=n, freq="M"),
    "range-step-5": lambda n: pd.RangeIndex(3, 3 + 5 * n, 5),
}


def sine(n=120, kind="range-step-5", offset=0):
    t = np.arange(offset, offset + n)
    index = INDEXES[kind](offset + n)[offset:]
    return pd.Series(2.0 + np.sin(0.3 * t), index=index, name="y")


# --------------------------------------------------------------------- transformer
def test_transform_matches_make_windows():
    values = np.arange(12.0)
    out = WindowTransformer(window=4).fit_transform(values)
    expected, _ = make_windows(values[:, None], 4, 1)
    assert out.shape == (8, 4)
    np.testing.assert_array_equal(out, expected[:, :, 0])
    assert out[0].tolist() == [0.0, 1.0, 2.0, 3.0]  # the lags before step 4, oldest first


def test_feature_names_and_pandas_output_index():
    y = sine(20, "month-start")
    t = WindowTransformer(window=3).set_output(transform="pandas")
    out = t.fit_transform(y)
    assert list(out.columns) == ["y_lag_3", "y_lag_2", "y_lag_1"]
    assert t.get_feature_names_out().tolist() == ["y_lag_3", "y_lag_2", "y_lag_1"]
    assert out.index.equals(y.index[3:])  # label of the predicted step
    np.testing.assert_allclose(out["y_lag_1"].to_numpy(), y.to_numpy()[2:-1])


def test_one_column_frame_and_array_output():
    frame = pd.DataFrame({"y": np.arange(6.0)})
    out = WindowTransformer(window=2).fit_transform(frame)
    assert isinstance(out, np.ndarray) and out.shape == (4, 2)
    pandas_out = (
        WindowTransformer(window=2).set_output(transform="pandas").fit_transform(np.arange(6.0))
    )
    assert pandas_out.index.tolist() == [2, 3, 4, 5]


def test_transformer_errors():
    with pytest.raises(DataError, match="one series"):
        WindowTransformer(2).fit(np.zeros((10, 2)))
    with pytest.raises(DataError, match="window=5"):
        WindowTransformer(5).fit(np.arange(5.0))
    with pytest.raises(DataError, match="NaN"):
        WindowTransformer(2).fit([1.0, np.nan, 2.0, 3.0])


# ----------------------------------------------------------------------- regressor
@pytest.mark.parametrize("kind", sorted(INDEXES))
def test_recursive_forecast_of_a_sine_is_near_exact(kind):
    y = sine(120, kind)
    f = WindowRegressor(Ridge(alpha=1e-8), window=6).fit(y)
    fc = f.forecast(24)
    truth = sine(24, kind, offset=120)
    assert fc.index.equals(truth.index) and fc.name == "y"
    np.testing.assert_allclose(fc.to_numpy(), truth.to_numpy(), atol=1e-3)


def test_noiseless_ar2_with_a_pipeline():
    values = [1.0, 0.5]
    for _ in range(200):
        values.append(1.2 * values[-1] - 0.5 * values[-2] + 0.3)
    y = pd.Series(values)
    f = WindowRegressor(make_pipeline(StandardScaler(), Ridge(alpha=1e-10)), window=2).fit(y[:150])
    np.testing.assert_allclose(f.forecast(30).to_numpy(), y.to_numpy()[150:180], atol=1e-4)


def test_forecast_goes_through_the_shared_recursion(monkeypatch):
    calls, real = [], wr.recursive

    def spy(step, windows, horizon, **kwargs):
        calls.append((windows.shape, horizon))
        return real(step, windows, horizon, **kwargs)

    monkeypatch.setattr(wr, "recursive", spy)
    WindowRegressor(Ridge(), window=4).fit(sine()).forecast(5)
    assert calls == [((1, 4, 1), 5)]


def test_predict_is_teacher_forced():
    y = sine(120)
    f = WindowRegressor(Ridge(alpha=1e-8), window=6).fit(y[:100])
    fitted = f.predict()
    assert fitted.index.equals(y.index[6:100])
    continued = f.predict(y[100:])
    assert continued.index.equals(y.index[100:])
    np.testing.assert_allclose(continued.to_numpy(), y.to_numpy()[100:], atol=1e-3)


def test_backtest_with_a_window_regressor():
    f = WindowRegressor(Ridge(alpha=1e-8), window=6).fit(sine(120, "month-start"))
    result = backtest(f, horizon=3, n_origins=10)
    assert result.summary["mae"].max() < 1e-3
    refitted = backtest(f, horizon=3, n_origins=4, refit=True)
    assert refitted.forecasts.shape == (12, 5)


def test_clone_params_and_errors():
    f = WindowRegressor(Ridge(alpha=2.0), window=3, horizon=2)
    assert clone(f).get_params()["regressor__alpha"] == 2.0
    with pytest.raises(NotFittedError):
        f.forecast()
    with pytest.raises(DataError, match="2 columns"):
        f.fit(pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0)}))
    assert len(f.fit(sine()).forecast()) == 2
