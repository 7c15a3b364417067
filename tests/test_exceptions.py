import warnings

import pytest
import sklearn.exceptions

import forecastkit.exceptions as fe
from forecastkit.exceptions import (
    ConstantSeriesWarning,
    DataError,
    ForecastkitError,
    ModelFileError,
    NotFittedError,
    ParameterError,
)


@pytest.mark.parametrize("error", [DataError, ParameterError, ModelFileError, NotFittedError])
def test_every_error_is_a_forecastkit_error_and_a_value_error(error):
    assert issubclass(error, ForecastkitError)
    assert issubclass(error, ValueError)
    with pytest.raises(ForecastkitError, match="boom"):
        raise error("boom")


def test_not_fitted_error_is_sklearns_too():
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)
    assert issubclass(NotFittedError, AttributeError)
    with pytest.raises(sklearn.exceptions.NotFittedError):
        raise NotFittedError("call fit first")


def test_code_catching_sklearns_not_fitted_error_catches_ours():
    try:
        raise NotFittedError("x")
    except sklearn.exceptions.NotFittedError as err:
        assert isinstance(err, ForecastkitError)
        assert str(err) == "x"


def test_constant_series_warning_is_a_user_warning_not_an_error():
    assert issubclass(ConstantSeriesWarning, UserWarning)
    assert not issubclass(ConstantSeriesWarning, ForecastkitError)
    with pytest.warns(ConstantSeriesWarning, match="constant"):
        warnings.warn("column 'y' is constant", ConstantSeriesWarning, stacklevel=1)


def test_base_error_is_only_an_exception():
    assert not issubclass(ForecastkitError, ValueError)
    assert issubclass(ForecastkitError, Exception)


def test_module_lists_the_hierarchy_and_exports_every_type():
    assert sorted(fe.__all__) == fe.__all__
    for name in fe.__all__:
        assert name in fe.__doc__
        assert isinstance(getattr(fe, name), type)
