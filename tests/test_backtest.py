import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.backtest import BacktestResult, backtest
from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.exceptions import DataError, NotFittedError, ParameterError


def seasonal_series(n=80, noise=0.0, seed=0):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    values = 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=n, freq="MS"), name="sales")


def tiny(**kwargs):
    params = dict(window=6, units=(4,), epochs=1, verbose=0, random_state=0, n_models=1)
    return Forecaster(**{**params, **kwargs})


@pytest.fixture(scope="module")
def fitted():
    return tiny().fit(seasonal_series(noise=1.0))


class SpyNaive(NaiveForecaster):
    """Records the length of every series it is fitted on."""

    fitted_lengths: list[int] = []  # noqa: RUF012

    def fit(self, X=None, y=None):
        SpyNaive.fitted_lengths.append(len(X))
        return super().fit(X, y)


# ------------------------------------------------------------------- batched = loop
@pytest.mark.parametrize("step", [1, 3])
def test_batched_equals_a_loop_over_origins(fitted, step):
    result = backtest(fitted, horizon=4, n_origins=9, step=step)
    n = len(fitted.values_)
    origins = n - 4 - step * np.arange(9)[::-1]
    loop = np.concatenate([fitted._multi_step(fitted.values_, np.array([o]), 4) for o in origins])
    np.testing.assert_allclose(
        result.forecasts["forecast"].to_numpy(), loop.reshape(-1), atol=1e-5, rtol=0
    )


def test_tidy_forecasts_frame(fitted):
    y = seasonal_series(noise=1.0)
    result = backtest(fitted, horizon=3, n_origins=5)
    frame = result.forecasts
    assert isinstance(result, BacktestResult)
    assert list(frame.columns) == ["origin", "step", "label", "actual", "forecast"]
    assert frame.shape == (15, 5)
    assert frame["step"].tolist() == [1, 2, 3] * 5
    assert frame["origin"].iloc[0] == y.index[80 - 3 - 4]
    assert frame["label"].iloc[-1] == y.index[-1]
    np.testing.assert_allclose(frame["actual"].iloc[-3:], y.to_numpy()[-3:], rtol=1e-6)
    assert "BacktestResult(horizon=3, n_origins=5" in repr(result)


def test_summary_layout_and_naive_baseline(fitted):
    summary = backtest(fitted, horizon=3, n_origins=20).summary
    assert summary.index.name == "step" and summary.index.tolist() == [1, 2, 3]
    assert list(summary.columns) == ["mae", "rmse", "mase", "naive_mae", "naive_rmse", "naive_mase"]
    assert np.isfinite(summary.to_numpy()).all()


def test_seasonal_naive_model_scores_like_the_baseline():
    f = NaiveForecaster("seasonal").fit(seasonal_series(noise=1.0))
    summary = backtest(f, horizon=6, n_origins=30).summary
    np.testing.assert_allclose(summary["mae"], summary["naive_mae"])
    np.testing.assert_allclose(summary["mase"], summary["naive_mase"])


def test_default_n_origins_uses_all_history(fitted):
    # fitted on every step (no test part): no origin is out of sample, so all of them
    result = backtest(fitted, horizon=2)
    need = fitted.window_ + fitted.transform_.diff
    assert result.n_origins == 80 - 2 - need + 1
    # the first origins have less than a season of history: MASE is scaled by the seasonal
    # naive on the data the model was fitted on, not left NaN
    assert need < 12 and np.isfinite(result.summary["mase"]).all()


@pytest.fixture(scope="module")
def held_out():
    return tiny(test_size=20).fit(seasonal_series(noise=1.0))


def test_default_origins_are_the_held_out_part(held_out):
    y = seasonal_series(noise=1.0)
    result = held_out.backtest(horizon=4)
    assert held_out.sizes_[-1] == 20 and result.n_origins == 20 - 4 + 1
    assert result.forecasts["origin"].iloc[0] == y.index[60]
    explicit = backtest(held_out, horizon=4, n_origins=17)
    pd.testing.assert_frame_equal(result.forecasts, explicit.forecasts)
    pd.testing.assert_frame_equal(result.summary, explicit.summary)
    # a horizon longer than the held-out part is refused, unless origins are asked for
    with pytest.raises(DataError, match="never fitted on the last 20 steps, fewer than"):
        held_out.backtest(horizon=21)
    assert backtest(held_out, horizon=21, n_origins=3).n_origins == 3


def test_default_origins_follow_updates_and_newer_series():
    y = seasonal_series(100, noise=1.0)
    f = tiny().fit(y[:70])
    newer = backtest(f, y, horizon=3)
    assert newer.n_origins == 30 - 3 + 1
    assert newer.forecasts["origin"].iloc[0] == y.index[70]
    f.update(y[70:])  # appended steps are out of sample too
    updated = f.backtest(horizon=3)
    pd.testing.assert_frame_equal(updated.forecasts, newer.forecasts)


def test_unfitted_forecaster_is_scored_on_the_last_fifth_only():
    y = seasonal_series(100, noise=1.0)
    result = backtest(NaiveForecaster("last"), y, horizon=2)
    # fitted on the 80 steps before the last fifth, scored from its 19 origins
    assert result.n_origins == 20 - 2 + 1
    assert result.forecasts["origin"].iloc[0] == y.index[80]


def test_forecaster_method_delegates(fitted):
    a = fitted.backtest(horizon=2, n_origins=4).forecasts
    b = backtest(fitted, horizon=2, n_origins=4).forecasts
    pd.testing.assert_frame_equal(a, b)


def test_backtest_on_a_newer_series():
    y = seasonal_series(100, noise=1.0)
    f = NaiveForecaster("last").fit(y[:60])
    starts = backtest(f, y, horizon=2, n_origins=30).forecasts
    continues = backtest(f, y[60:], horizon=2, n_origins=30).forecasts
    pd.testing.assert_frame_equal(starts, continues)
    assert starts["label"].iloc[-1] == y.index[-1]
    np.testing.assert_allclose(starts["forecast"].iloc[0], y.iloc[100 - 2 - 29 - 1], rtol=1e-6)


def test_a_series_at_another_spacing_neither_starts_nor_continues_the_fit():
    y = seasonal_series(100, noise=1.0)
    f = NaiveForecaster("last").fit(y[:60])
    for start in (y.index[0], y.index[60]):  # first label right, spacing wrong
        other = pd.Series(np.arange(40.0), index=pd.date_range(start, periods=40, freq="QS"))
        with pytest.raises(DataError, match="start with the fitted series"):
            backtest(f, other, horizon=2, n_origins=5)


def test_multi_target_has_a_target_column():
    frame = pd.DataFrame({"a": np.arange(30.0), "b": np.sin(np.arange(30.0))})
    f = NaiveForecaster("last", target=["a", "b"]).fit(frame)
    result = backtest(f, horizon=2, n_origins=3, season_length=1)
    columns = ["origin", "step", "label", "target", "actual", "forecast"]
    assert list(result.forecasts.columns) == columns
    assert result.forecasts.shape == (12, 6)
    assert result.forecasts["target"].tolist()[:4] == ["a", "b", "a", "b"]


# ------------------------------------------------------------------------- refitting
def test_refit_every_k_origins_fits_on_data_before_the_origin():
    f = SpyNaive("last").fit(seasonal_series(40))
    SpyNaive.fitted_lengths.clear()
    result = backtest(f, horizon=2, n_origins=5, refit=2)
    origins = 40 - 2 - np.arange(5)[::-1]
    assert SpyNaive.fitted_lengths == [origins[0], origins[2], origins[4]]
    assert result.refit == 2


def test_refit_forecast_never_sees_values_after_its_origin():
    y = seasonal_series(70, noise=1.0)
    f = tiny(random_state=1).fit(y)
    first = backtest(f, horizon=2, n_origins=2, refit=True).forecasts
    origin = 70 - 2 - 1
    perturbed = y.copy()
    perturbed.iloc[origin:] += 25.0
    f2 = tiny(random_state=1).fit(y)  # fitted on the same data; refits see perturbed y
    second = backtest(f2, perturbed, horizon=2, n_origins=2, refit=True).forecasts
    # Origin 1's forecast is unchanged; origin 2 (one step later) sees the perturbation.
    np.testing.assert_allclose(first["forecast"][:2], second["forecast"][:2], atol=1e-5)
    assert not np.allclose(first["forecast"][2:], second["forecast"][2:], atol=1e-3)


# --------------------------------------------------------------------------- errors
def test_errors(fitted):
    with pytest.raises(DataError, match="horizon"):
        backtest(fitted, horizon=75)
    with pytest.raises(DataError, match="n_origins"):
        backtest(fitted, horizon=2, n_origins=500)
    with pytest.raises(ParameterError, match="horizon"):
        backtest(fitted, horizon=0)
    with pytest.raises(ParameterError, match="step"):
        backtest(fitted, horizon=1, step=0)
    with pytest.raises(ParameterError, match="refit"):
        backtest(fitted, horizon=1, refit=-1)
    with pytest.raises(NotFittedError, match="not fitted"):
        backtest(NaiveForecaster(), horizon=1)
    other = pd.Series(np.arange(30.0), index=pd.date_range("1990-01-01", periods=30, freq="MS"))
    with pytest.raises(DataError, match="start with the fitted series"):
        backtest(fitted, other, horizon=1)
