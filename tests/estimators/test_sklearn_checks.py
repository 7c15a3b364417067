"""scikit-learn's estimator checks, and why some cannot pass for forecasters.

The API checks (clone, get_params/set_params, repr, no work in ``__init__``, ...) pass. The
checks listed below feed a feature matrix of independent rows (several columns, shuffled or
subset rows, sparse, complex or object data); these estimators take ONE time series whose
row order is the time axis, so they reject such input (a forecaster's ``fit(X, y)`` also
treats ``X`` as covariates, not features, and ``predict`` continues the fitted series).
"""

from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from forecastkit.estimators.naive import NaiveForecaster
from forecastkit.estimators.window_regressor import WindowRegressor, WindowTransformer

SERIES_ONLY = "takes one time series (rows are time steps), not a feature matrix of iid rows"
ORDER = "rows are time steps: shuffling or subsetting them changes the forecast"
SPARSE = "a time series is dense; sparse input is rejected by forecastkit's DataError"
DTYPES = "forecastkit coerces to float32/float64 with its own DataError messages"
PICKLE = "predictions on sklearn's feature matrix cannot be compared (input rejected)"

COMMON = {
    "check_complex_data": DTYPES,
    "check_dtype_object": DTYPES,
    "check_estimators_dtypes": DTYPES,
    "check_estimators_empty_data_messages": DTYPES,
    "check_estimators_nan_inf": DTYPES,
    "check_estimator_sparse_array": SPARSE,
    "check_estimator_sparse_matrix": SPARSE,
    "check_estimator_sparse_tag": SPARSE,
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
        **REGRESSOR,
        **ONE_SERIES,
        "check_regressors_no_decision_function": SERIES_ONLY,
    },
    "WindowTransformer": {
        **COMMON,
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
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
