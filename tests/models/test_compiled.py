import numpy as np

from forecastkit.models.builders import build_regressor
from forecastkit.models.compiled import CompiledPredict, CompiledRecursion
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
