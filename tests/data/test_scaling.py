import numpy as np
import pytest
import sklearn.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

from forecastkit.data import SeriesScaler
from forecastkit.exceptions import DataError, NotFittedError, ParameterError


@pytest.fixture
def values(rng):
    # 3 columns on very different scales; column 1 is the target.
    return (rng.normal(size=(50, 3)) * [1.0, 100.0, 0.01] + [0.0, 1000.0, 5.0]).astype(np.float32)


def test_default_is_standard_scaler_fitted_on_training_rows_only(values):
    scaler = SeriesScaler(targets=[1], n_features=3).fit(values[:30])
    assert isinstance(scaler.target_, StandardScaler)
    assert isinstance(scaler.features_, StandardScaler)
    np.testing.assert_allclose(scaler.target_.mean_, values[:30, [1]].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler.features_.mean_, values[:30, [0, 2]].mean(axis=0), rtol=1e-5)
    scaled = scaler.transform(values)
    assert scaled.dtype == np.float32 and scaled.shape == values.shape
    np.testing.assert_allclose(scaled[:30].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(scaled[:30].std(axis=0), 1.0, atol=1e-4)


def test_columns_keep_their_order_with_several_targets(values):
    scaler = SeriesScaler(MinMaxScaler(), targets=[2, 0], n_features=3).fit(values)
    scaled = scaler.transform(values)
    for j in range(3):
        column = values[:, j]
        expected = (column - column.min()) / (column.max() - column.min())
        np.testing.assert_allclose(scaled[:, j], expected, atol=1e-5)
    # the target clone sees the targets in `targets` order
    np.testing.assert_allclose(scaler.target_.data_min_, values[:, [2, 0]].min(axis=0))


def test_features_is_none_without_covariates():
    scaler = SeriesScaler(targets=[0], n_features=1).fit(np.arange(5.0)[:, None])
    assert scaler.features_ is None
    assert scaler.transform(np.arange(5.0)[:, None]).shape == (5, 1)


def test_inverse_transform_targets_any_leading_shape(values):
    scaler = SeriesScaler(RobustScaler(), targets=[1, 2], n_features=3).fit(values)
    scaled = scaler.transform(values)
    samples = np.stack([scaled[i : i + 4, 1:] for i in range(10)])  # (10, 4, 2)
    back = scaler.inverse_transform_targets(samples)
    assert back.shape == (10, 4, 2)
    expected = np.stack([values[i : i + 4, 1:] for i in range(10)])
    np.testing.assert_allclose(back, expected, rtol=1e-4, atol=1e-3)
    assert scaler.inverse_transform_targets(scaled[:, 1:]).shape == (50, 2)


def test_any_transformer_including_a_pipeline(values):
    pipeline = make_pipeline(StandardScaler(), MinMaxScaler(feature_range=(-1, 1)))
    scaler = SeriesScaler(pipeline, targets=[0], n_features=3).fit(values)
    scaled = scaler.transform(values)
    assert scaled.min() >= -1 - 1e-6 and scaled.max() <= 1 + 1e-6
    back = scaler.inverse_transform_targets(scaled[:, [0]])
    np.testing.assert_allclose(back, values[:, [0]], atol=1e-4)


def test_transformer_is_cloned_not_fitted(values):
    transformer = StandardScaler()
    scaler = SeriesScaler(transformer, targets=[0], n_features=3).fit(values)
    assert scaler.target_ is not transformer and scaler.features_ is not transformer
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(transformer)


def test_is_a_scikit_learn_estimator():
    scaler = SeriesScaler(MinMaxScaler(), targets=(0,), n_features=2)
    assert scaler.get_params()["n_features"] == 2
    copy = clone(scaler)
    assert copy.targets == (0,) and isinstance(copy.transformer, MinMaxScaler)


@pytest.mark.parametrize("transformer", [None, StandardScaler(), MinMaxScaler(), RobustScaler()])
def test_constant_series_scales_to_finite_values(transformer):
    constant = np.full((20, 2), 7.0, dtype=np.float32)
    scaler = SeriesScaler(transformer, targets=[0], n_features=2).fit(constant)
    scaled = scaler.transform(constant)
    assert np.isfinite(scaled).all()
    np.testing.assert_allclose(scaler.inverse_transform_targets(scaled[:, :1]), 7.0)


def test_not_fitted():
    scaler = SeriesScaler(targets=[0], n_features=1)
    with pytest.raises(NotFittedError, match=r"not fitted.*fit\(values\)"):
        scaler.transform(np.ones((2, 1)))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        scaler.inverse_transform_targets(np.ones((2, 1)))


def test_shape_and_argument_errors(values):
    with pytest.raises(DataError, match=r"`values` must have shape \(n_steps, n_features=3\)"):
        SeriesScaler(targets=[0], n_features=3).fit(values[:, :2])
    with pytest.raises(DataError, match="no rows"):
        SeriesScaler(targets=[0], n_features=3).fit(values[:0])
    with pytest.raises(ParameterError, match=r"`targets`.*range\(n_features=3\).*targets=\[3\]"):
        SeriesScaler(targets=[3], n_features=3).fit(values)
    with pytest.raises(ParameterError, match="`targets` lists a column twice"):
        SeriesScaler(targets=[0, 0], n_features=3).fit(values)
    scaler = SeriesScaler(targets=[0], n_features=3).fit(values)
    with pytest.raises(DataError, match=r"`y` must have shape \(\.\.\., n_targets\).*n_targets=1"):
        scaler.inverse_transform_targets(np.ones((4, 2)))
    with pytest.raises(DataError, match="n_features=3"):
        scaler.transform(np.ones(3))


def test_transformer_must_keep_the_columns(values):
    scaler = SeriesScaler(PolynomialFeatures(2), targets=[0], n_features=3)
    with pytest.raises(ParameterError, match=r"one output column per input column"):
        scaler.fit(values).transform(values)


def test_non_finite_scaled_values_are_an_error():
    to_inf = FunctionTransformer(lambda x: x + np.inf, check_inverse=False)
    scaler = SeriesScaler(to_inf, targets=[0], n_features=1).fit(np.ones((3, 1)))
    with pytest.raises(DataError, match="NaN or infinite"):
        scaler.transform(np.zeros((3, 1)))


@settings(deadline=None)
@given(
    data=hnp.arrays(
        np.float32,
        st.tuples(st.integers(2, 30), st.integers(1, 4)),
        elements=st.floats(-1e4, 1e4, width=32),
    ),
    transformer=st.sampled_from([None, MinMaxScaler(), RobustScaler()]),
    seed=st.integers(0, 2**16),
)
def test_round_trip(data, transformer, seed):
    n_features = data.shape[1]
    order = np.random.default_rng(seed).permutation(n_features)
    targets = [int(t) for t in order[: 1 + seed % n_features]]
    scaler = SeriesScaler(transformer, targets=targets, n_features=n_features).fit(data)
    scaled = scaler.transform(data)
    assert np.isfinite(scaled).all()
    back = scaler.inverse_transform_targets(scaled[:, targets])
    spread = np.ptp(data[:, targets], axis=0) + 1.0
    np.testing.assert_allclose(back, data[:, targets], atol=float(spread.max()) * 1e-5)


FINITE = st.floats(-1e6, 1e6)


@settings(max_examples=50, deadline=None)
@given(
    train=hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.just(2)), elements=FINITE),
    rows=hnp.arrays(np.float64, st.tuples(st.integers(1, 10), st.just(2)), elements=FINITE),
    with_mean=st.booleans(),
    with_std=st.booleans(),
)
def test_standard_scaler_shortcut_is_bit_for_bit_scikit_learn(train, rows, with_mean, with_std):
    """The validation-free StandardScaler path gives scikit-learn's numbers exactly."""
    from forecastkit.data.scaling import _standard_scaler

    fitted = StandardScaler(with_mean=with_mean, with_std=with_std).fit(train)
    for name in ("transform", "inverse_transform"):
        method = getattr(fitted, name)
        np.testing.assert_array_equal(_standard_scaler(method, rows), method(rows.copy()))
    assert _standard_scaler(fitted.transform, rows[:, :1]) is None  # other width: sklearn's
    assert _standard_scaler(MinMaxScaler().fit(train).transform, rows) is None
