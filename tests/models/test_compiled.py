import numpy as np
import pytest

from forecastkit.models.builders import build_regressor, build_sequence_regressor
from forecastkit.models.compiled import CompiledPredict, CompiledRecursion, unrolled_twin
from forecastkit.strategies import recursive


def test_compiled_recursion_equals_numpy_driver():
    model = build_regressor(window=6, n_features=3, horizon=1, n_targets=1, units=(5,), seed=1)
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(4, 6, 3)).astype("float32")
    cov = rng.normal(size=(4, 7, 2)).astype("float32")
    targets = [1]
    fast = CompiledRecursion(model, targets)(windows, 7, cov)

    def step(w):
        return model(w.astype("float32"), training=False).numpy()[:, 0, :]

    slow = recursive(step, windows, 7, targets=targets, covariates=cov)
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_compiled_predict_matches_model_and_handles_empty():
    model = build_regressor(window=4, n_features=1, horizon=2, n_targets=1, units=(3,))
    x = np.random.default_rng(1).normal(size=(9, 4, 1)).astype("float32")
    np.testing.assert_allclose(CompiledPredict(model)(x), model(x).numpy(), atol=1e-5)
    assert CompiledPredict(model)(x[:0]).shape == (0, 2, 1)


@pytest.mark.parametrize(("cell", "bidirectional"), [("lstm", False), ("gru", True)])
def test_unrolled_batches_equal_the_recurrent_loop(cell, bidirectional):
    model = build_regressor(
        window=5,
        n_features=2,
        horizon=1,
        n_targets=1,
        units=(4, 3),
        cell=cell,
        bidirectional=bidirectional,
        seed=2,
    )
    rng = np.random.default_rng(3)
    windows = rng.normal(size=(40, 5, 2)).astype("float32")
    cov = rng.normal(size=(40, 6, 1)).astype("float32")
    rolled = CompiledRecursion(model, [0], unroll_from=None)(windows, 6, cov)
    recursion = CompiledRecursion(model, [0], unroll_from=8)
    unrolled = recursion(windows, 6, cov)
    assert recursion._twin is not None and recursion._twin is not model
    np.testing.assert_allclose(unrolled, rolled, atol=1e-5)
    # a small batch keeps the recurrent loop and gives the same numbers
    np.testing.assert_allclose(recursion(windows[:3], 6, cov[:3]), rolled[:3], atol=1e-5)


def test_unrolled_twin_leaves_long_windows_and_stateful_models_alone():
    long = build_regressor(window=100, n_features=1, horizon=1, n_targets=1, units=(2,))
    assert unrolled_twin(long) is long
    stateful = build_sequence_regressor(
        n_features=1, n_targets=1, units=(2,), stateful=True, batch_size=2, time_steps=4
    )
    assert unrolled_twin(stateful) is stateful
