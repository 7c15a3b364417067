import numpy as np
import pytest

from forecastkit.exceptions import ParameterError
from forecastkit.strategies import (
    STRATEGIES,
    advance,
    carried,
    direct,
    feature_order,
    one_step,
    recursive,
)


def test_recursive_feeds_predictions_back():
    windows = np.array([[[1.0], [2.0], [3.0]], [[10.0], [20.0], [30.0]]])
    out = recursive(lambda w: w[:, -1, :] + w[:, -2, :], windows, 4, targets=[0])
    assert out.shape == (2, 4, 1)
    assert out[0, :, 0].tolist() == [5.0, 8.0, 13.0, 21.0]


def test_recursive_inserts_covariates_in_feature_order():
    # feature 0 is a covariate, feature 1 the target; step returns target + covariate
    windows = np.zeros((1, 2, 2))
    cov = np.array([[[1.0], [2.0], [3.0]]])
    out = recursive(lambda w: w[:, -1, 1:] + w[:, -1, :1], windows, 3, targets=[1], covariates=cov)
    assert out[0, :, 0].tolist() == [0.0, 1.0, 3.0]


def test_advance_and_feature_order():
    order = feature_order(3, [1])
    w = np.zeros((1, 2, 3))
    new = advance(w, np.array([[5.0]]), np.array([[7.0, 8.0]]), order)
    assert new[0, -1].tolist() == [7.0, 5.0, 8.0]
    assert new.shape == w.shape


def test_one_step_and_direct():
    w = np.arange(6.0).reshape(2, 3, 1)
    assert one_step(lambda x: x[:, -1, :], w)[:, 0, 0].tolist() == [2.0, 5.0]
    assert direct(lambda x: np.ones((2, 4, 1)), w, 3).shape == (2, 3, 1)
    with pytest.raises(ParameterError, match="strategy='recursive'"):
        direct(lambda x: np.ones((2, 4, 1)), w, 5)
    assert set(STRATEGIES) == {"recursive", "direct", "seq2seq"}


def test_carried_equals_rereading_the_growing_sequence():
    # The state is the running sum of every row read; the step predicts target + covariate
    # sums. Re-reading the whole growing sequence (window rows + fed-back rows) must give
    # the same forecasts: the state carries everything.
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(3, 4, 2))
    cov = rng.normal(size=(3, 5, 1))

    def step(rows, total):
        total = total + rows
        return total[:, 1:] + 0.5 * total[:, :1], total

    got = carried(step, np.zeros((3, 2)), windows, 5, targets=[1], covariates=cov)
    sequence, expected = windows, []
    for k in range(5):
        total = sequence.sum(axis=1)
        prediction = total[:, 1:] + 0.5 * total[:, :1]
        expected.append(prediction)
        row = np.concatenate([cov[:, k], prediction], axis=1)[:, None, :]  # covariate first
        sequence = np.concatenate([sequence, row], axis=1)
    np.testing.assert_allclose(got, np.stack(expected, axis=1), rtol=1e-12)
