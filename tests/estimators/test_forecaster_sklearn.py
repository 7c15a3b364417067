"""The Forecaster inside scikit-learn: grid search over time-series splits, pipelines, scalers.

The model-selection convention is ``search.fit(y, y)`` with pandas ``y``: ``X`` identical to
``y`` is ignored as covariates, each fold fits on the training rows, and the scorer's
``predict(y_test)`` gives one teacher-forced prediction per test row (the test rows continue
the training rows, which the index tells). Identical NumPy arrays are refused: without an
index ``predict`` could not tell where the test rows lie in time.
"""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    TimeSeriesSplit,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from forecastkit import Forecaster, datasets
from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.exceptions import DataError, ParameterError

# val_size=0: no validation pass to trace, which halves the cost of each tiny fit.
TINY = dict(epochs=1, verbose=0, random_state=0, target_transform="none", val_size=0, n_models=1)


@pytest.fixture(scope="module")
def airline():
    return datasets.load_airline()


def _calendar(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Exogenous features known in advance: month on the circle and a trend."""
    month = index.month.to_numpy()
    return pd.DataFrame(
        {
            "month_sin": np.sin(2 * np.pi * month / 12),
            "month_cos": np.cos(2 * np.pi * month / 12),
            "trend": np.arange(len(index), dtype=float),
        },
        index=index,
    )


# ------------------------------------------------------------------ model selection
def test_grid_search_over_time_series_splits(airline):
    grid = {"window": [12, 24]}
    search = GridSearchCV(
        Forecaster(**TINY), grid, cv=TimeSeriesSplit(2), scoring="neg_mean_absolute_error"
    ).fit(airline, airline)
    assert search.best_params_ in list(ParameterGrid(grid))
    results = search.cv_results_
    for k in range(2):
        assert np.isfinite(results[f"split{k}_test_score"]).all()
    assert (results["mean_test_score"] < 0).all()

    # The scorer compared like with like: split 0 of the first candidate, by hand.
    train, test = next(TimeSeriesSplit(2).split(airline))
    params = results["params"][0]
    fold = Forecaster(**TINY, **params).fit(airline.iloc[train])
    pred = fold.predict(airline.iloc[test])
    assert pred.index.equals(airline.index[test])  # one prediction per test row
    expected = -mean_absolute_error(airline.iloc[test], pred)
    assert results["split0_test_score"][0] == pytest.approx(expected, rel=1e-6)

    best = search.best_estimator_  # refit=True: refitted on the whole series
    assert len(best.values_) == len(airline)
    forecast = best.forecast(12)
    assert forecast.index.equals(pd.date_range("1961-01-01", periods=12, freq="MS"))
    assert np.isfinite(forecast.to_numpy()).all()


def test_identical_numpy_arrays_are_refused(airline):
    y = airline.to_numpy()
    with pytest.raises(DataError, match=r"identical to y as NumPy.*pass pandas"):
        Forecaster(**TINY).fit(y, y)
    search = GridSearchCV(
        Forecaster(**TINY),
        {"window": [12]},
        cv=TimeSeriesSplit(3),
        scoring="neg_mean_absolute_error",
        error_score="raise",
    )
    with pytest.raises(DataError, match="pass pandas"):
        search.fit(y, y)
    # With the default error_score every fit fails; scikit-learn re-raises with our message.
    with pytest.raises(ValueError, match="pass pandas"):
        search.set_params(error_score=np.nan).fit(y, y)


def test_identical_x_takes_the_pandas_index():
    y = datasets.load_airline()
    for X, target in [(y.to_numpy(), y), (y, y.to_numpy())]:
        f = NaiveForecaster("last").fit(X, target)
        assert not f.has_covariates_
        assert f.forecast(1).index[0] == pd.Timestamp("1961-01-01")


def test_numpy_series_wrapped_in_pandas_cross_validates():
    values = datasets.load_airline().to_numpy()
    y = pd.Series(values)  # a RangeIndex is enough to place the test rows
    cv = TimeSeriesSplit(3)
    scores = cross_val_score(
        NaiveForecaster("last"), y, y, cv=cv, scoring="neg_mean_absolute_error"
    )
    by_hand = [-np.mean(np.abs(values[test] - values[test - 1])) for _, test in cv.split(values)]
    np.testing.assert_allclose(scores, by_hand)


def test_fitted_forecaster_pickles_and_deep_copies(airline):
    """scikit-learn's pickle check cannot run (see test_sklearn_checks.TRANSFORM_PARAM)."""
    f = Forecaster(window=12, units=(4,), **TINY).fit(airline)
    expected = f.forecast(6)
    clone_by_pickle = pickle.loads(pickle.dumps(f))
    pd.testing.assert_series_equal(clone_by_pickle.forecast(6), expected)
    pd.testing.assert_series_equal(copy.deepcopy(f).forecast(6), expected)
    pd.testing.assert_series_equal(f.forecast(6), expected)  # the original still works


# ------------------------------------------------------------------ pipelines
def test_forecaster_last_step_of_a_pipeline_of_exogenous_features(airline):
    calendar = _calendar(pd.date_range("1949-01-01", periods=len(airline) + 12, freq="MS"))
    history, future = calendar.iloc[: len(airline)], calendar.iloc[len(airline) :]
    pipe = Pipeline([("scale", StandardScaler()), ("forecast", Forecaster(window=12, **TINY))])
    pipe.fit(history, airline)
    forecaster = pipe.named_steps["forecast"]
    assert forecaster.has_covariates_ and forecaster.n_features_in_ == 3
    out = pipe.predict(future)  # the scaler hands over a bare array: y's index continues
    assert out.index.equals(future.index)
    assert out.name == airline.name and np.isfinite(out.to_numpy()).all()


def test_pipeline_with_a_column_transformer_keeps_the_dates(airline):
    calendar = _calendar(pd.date_range("1949-01-01", periods=len(airline) + 6, freq="MS"))
    history, future = calendar.iloc[: len(airline)], calendar.iloc[len(airline) :]
    features = ColumnTransformer(
        [("trend", StandardScaler(), ["trend"])], remainder="passthrough"
    ).set_output(transform="pandas")
    pipe = Pipeline([("features", features), ("forecast", Forecaster(window=12, **TINY))])
    pipe.fit(history, airline)
    out = pipe.predict(future)
    assert out.index.equals(future.index) and len(out) == 6
    with pytest.raises(DataError, match=r"steps after the fitted series, 1961-01-01"):
        pipe.predict(history.iloc[:6])  # dated rows that are not the future ones


# ------------------------------------------------------------------ target scaling
def _scaler_state(pipeline: Pipeline) -> list[np.ndarray]:
    minmax, standard = pipeline.named_steps["minmax"], pipeline.named_steps["standard"]
    return [minmax.data_min_, minmax.data_max_, standard.mean_, standard.scale_]


def test_pipeline_scaler_fitted_on_the_training_part_only(airline, tmp_path):
    scaler = Pipeline([("minmax", MinMaxScaler()), ("standard", StandardScaler())])
    settings = dict(TINY, window=12, units=(4,), val_size=12, test_size=12, scaler=scaler)
    settings["seasonal_adjustment"] = "none"  # the scaler then sees the raw training values
    f = Forecaster(**settings).fit(airline)
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(scaler)  # the user's object is cloned, never fitted
    n_train = f.sizes_[0]
    by_hand = Pipeline([("minmax", MinMaxScaler()), ("standard", StandardScaler())])
    by_hand.fit(airline.to_numpy()[:n_train, None])
    for got, want in zip(_scaler_state(f.scaler_.target_), _scaler_state(by_hand), strict=True):
        np.testing.assert_allclose(got, want)

    changed = airline.copy()
    changed.iloc[n_train:] = 1e6  # validation and test part
    g = Forecaster(**settings).fit(changed)
    for got, want in zip(_scaler_state(g.scaler_.target_), _scaler_state(by_hand), strict=True):
        np.testing.assert_allclose(got, want)

    # With the seasonal adjustment (the default), the seasonal indices and the scaler that
    # follows them are fitted on the training part only as well.
    settings["seasonal_adjustment"] = "auto"
    a, b = Forecaster(**settings).fit(airline), Forecaster(**settings).fit(changed)
    assert a.adjustment_ is not None and a.adjustment_ == b.adjustment_
    for got, want in zip(
        _scaler_state(b.scaler_.target_), _scaler_state(a.scaler_.target_), strict=True
    ):
        np.testing.assert_allclose(got, want)

    path = tmp_path / "pipeline_scaler.keras"
    f.save(path)
    loaded = Forecaster.load(path)
    pd.testing.assert_series_equal(loaded.forecast(6), f.forecast(6))
    saved = zip(
        _scaler_state(loaded.scaler_.target_), _scaler_state(f.scaler_.target_), strict=True
    )
    for got, want in saved:
        np.testing.assert_array_equal(got, want)
    assert repr(loaded.get_params()["scaler"]) == repr(scaler)


def test_scaler_with_a_function_cannot_be_saved(airline, tmp_path):
    scaler = Pipeline(
        [("log", FunctionTransformer(np.log, np.exp)), ("standard", StandardScaler())]
    )
    f = Forecaster(window=12, units=(4,), scaler=scaler, **TINY).fit(airline)
    assert np.isfinite(f.forecast(3).to_numpy()).all()
    path = tmp_path / "function.keras"
    with pytest.raises(ParameterError, match="without pickle"):
        f.save(path)
    assert not path.exists()


def test_pickling_leaves_the_live_estimator_its_compiled_functions():
    from forecastkit import datasets

    f = Forecaster(window=6, units=(2,), epochs=1, verbose=0, random_state=0).fit(
        datasets.load_airline()[:40]
    )
    recursion = f._recursion
    g = pickle.loads(pickle.dumps(f))
    assert f._recursion is recursion  # the live object keeps its compiled function
    pd.testing.assert_series_equal(g.forecast(3), f.forecast(3))
