"""scikit-learn's estimator checks, and why some cannot pass for forecasters.

The API checks (clone, get_params/set_params, repr, no work in ``__init__``, ...) pass. The
checks listed below feed a feature matrix of independent rows (several columns, shuffled or
subset rows, sparse, complex or object data); these estimators take ONE time series whose
row order is the time axis, so they reject such input (a forecaster's ``fit(X, y)`` also
treats ``X`` as covariates, not features, and ``predict`` continues the fitted series).

The Forecaster fits a tiny network per check; the whole suite (58 checks) runs by default,
in about 45 s on 2 idle cores.
"""

import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks

from forecastkit import Forecaster
from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.estimators.window_regressor import WindowRegressor, WindowTransformer

SERIES_ONLY = "takes one time series (rows are time steps), not a feature matrix of iid rows"
ORDER = "rows are time steps: shuffling or subsetting them changes the forecast"
SPARSE = "a time series is dense; sparse input is rejected by forecastkit's DataError"
DTYPES = "forecastkit coerces to float32/float64 with its own DataError messages"
PICKLE = "predictions on sklearn's feature matrix cannot be compared (input rejected)"
PANDAS_OUT = "predict returns pandas indexed by time (Series/DataFrame), not an ndarray"

# Rejected by the window estimators; NaiveForecaster and Forecaster pass them (_inputs.assemble).
DENSE_CHECKS = {
    "check_estimators_empty_data_messages": DTYPES,
    "check_estimator_sparse_array": SPARSE,
    "check_estimator_sparse_matrix": SPARSE,
    "check_estimator_sparse_tag": SPARSE,
}
COMMON = {
    "check_complex_data": DTYPES,
    "check_dtype_object": DTYPES,
    "check_estimators_dtypes": DTYPES,
    "check_estimators_nan_inf": DTYPES,
    "check_estimators_pickle": PICKLE,
    "check_dict_unchanged": SERIES_ONLY,
    "check_f_contiguous_array_estimator": SERIES_ONLY,
    "check_fit1d": SERIES_ONLY,
    "check_fit2d_predict1d": SERIES_ONLY,
    "check_fit_idempotent": SERIES_ONLY,
    "check_fit_score_takes_y": SERIES_ONLY,
    "check_n_features_in_after_fitting": SERIES_ONLY,
    "check_pipeline_consistency": SERIES_ONLY,
    "check_methods_sample_order_invariance": ORDER,
    "check_methods_subset_invariance": ORDER,
}
REGRESSOR = {
    "check_regressor_data_not_an_array": SERIES_ONLY,
    "check_regressors_int": SERIES_ONLY,
    "check_regressors_train": SERIES_ONLY,
    "check_requires_y_none": "fit(series) is the forecasting call: y is optional",
    "check_supervised_y_2d": SERIES_ONLY,
}
ONE_SERIES = {
    "check_fit2d_1feature": SERIES_ONLY,
    "check_fit2d_1sample": "one step is shorter than any window",
    "check_n_features_in": SERIES_ONLY,
}
EXPECTED = {
    "NaiveForecaster": {**COMMON, **REGRESSOR},
    "WindowRegressor": {
        **COMMON,
        **DENSE_CHECKS,
        **REGRESSOR,
        **ONE_SERIES,
        "check_regressors_no_decision_function": SERIES_ONLY,
    },
    "WindowTransformer": {
        **COMMON,
        **DENSE_CHECKS,
        **ONE_SERIES,
        "check_dont_overwrite_parameters": SERIES_ONLY,
        "check_estimators_fit_returns_self": SERIES_ONLY,
        "check_estimators_overwrite_params": SERIES_ONLY,
        "check_fit_check_is_fitted": SERIES_ONLY,
        "check_positive_only_tag_during_fit": SERIES_ONLY,
        "check_readonly_memmap_input": SERIES_ONLY,
        "check_transformer_data_not_an_array": SERIES_ONLY,
        "check_transformer_general": SERIES_ONLY,
        "check_transformer_preserve_dtypes": DTYPES,
    },
}


def expected_failed_checks(estimator):
    return EXPECTED[type(estimator).__name__]


@parametrize_with_checks(
    [NaiveForecaster(), WindowRegressor(Ridge()), WindowTransformer()],
    expected_failed_checks=expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ Forecaster
FORECASTER_TINY = dict(
    window=3,
    units=(2,),
    epochs=1,
    verbose=0,
    random_state=0,
    target_transform="none",
    val_size=0,
    n_models=1,
)
FORECASTER_EXPECTED = {
    "check_complex_data": DTYPES,
    "check_dtype_object": DTYPES,
    "check_fit1d": "a 1-D X is one covariate column, not an error",
    "check_fit2d_1sample": ONE_SERIES["check_fit2d_1sample"],
    "check_methods_sample_order_invariance": ORDER,
    "check_methods_subset_invariance": ORDER,
    "check_regressor_data_not_an_array": SERIES_ONLY,
    "check_regressors_train": SERIES_ONLY,  # predict(X) forecasts the steps after the fit
    "check_regressor_multioutput": PANDAS_OUT,
}
if int(pd.__version__.split(".")[0]) >= 3:  # pandas 3's Series has no .ravel() (pandas 2's has)
    FORECASTER_EXPECTED["check_supervised_y_2d"] = PANDAS_OUT


def _check_id(check) -> str:
    name = getattr(check, "func", check).__name__
    keywords = getattr(check, "keywords", {})
    return name + (f"({', '.join(f'{k}={v}' for k, v in keywords.items())})" if keywords else "")


def _forecaster_checks():
    for item in estimator_checks_generator(
        Forecaster(**FORECASTER_TINY),
        expected_failed_checks=FORECASTER_EXPECTED,
        mark="xfail",
        xfail_strict=True,
    ):
        marks = list(getattr(item, "marks", ()))  # a pytest.param for the expected failures
        estimator, check = item.values if marks else item
        yield pytest.param(estimator, check, id=_check_id(check), marks=marks)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize(("estimator", "check"), list(_forecaster_checks()))
def test_forecaster_sklearn_checks(estimator, check):
    check(estimator)
