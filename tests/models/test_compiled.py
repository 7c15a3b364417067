import numpy as np
import pytest

from forecastkit.models.builders import (
    build_regressor,
    build_sequence_regressor,
    member_models,
    sequence_stacks,
)
from forecastkit.models.compiled import (
    BUCKETS,
    CHUNK,
    CompiledPredict,
    CompiledRecursion,
    StateRecursion,
    unrolled_twin,
)
from forecastkit.strategies import recursive
from forecastkit.strategies.recursive import feature_order, next_row


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
    # a small batch gives the same numbers
    np.testing.assert_allclose(recursion(windows[:3], 6, cov[:3]), rolled[:3], atol=1e-5)


def test_one_program_per_batch_size_serves_every_horizon():
    """Batches beyond the largest bucket run in pieces, horizons beyond CHUNK in chunks."""
    model = build_regressor(window=3, n_features=2, horizon=1, n_targets=1, units=(3,), seed=4)
    rng = np.random.default_rng(5)
    windows = rng.normal(size=(70, 3, 2)).astype("float32")
    horizon = CHUNK + 5
    cov = rng.normal(size=(70, horizon, 1)).astype("float32")
    rec = CompiledRecursion(model, [1])

    def step(w):
        return model(w.astype("float32"), training=False).numpy()[:, 0, :]

    slow = recursive(step, windows, horizon, targets=[1], covariates=cov)
    np.testing.assert_allclose(rec(windows, horizon, cov), slow, atol=1e-5)
    assert set(rec._functions) == {(32, False)}  # 70 windows: pieces of 32
    for h in (1, 4, 9):  # one window: its own program, traced once for every horizon
        np.testing.assert_allclose(rec(windows[:1], h, cov[:1, :h]), slow[:1, :h], atol=1e-5)
    assert set(rec._functions) == {(1, False), (32, False)}
    assert rec._functions[1, False].experimental_get_tracing_count() == 1
    assert rec(windows[:0], 4).shape == (0, 4, 1)


def test_calls_of_many_windows_run_in_unrolled_pieces_of_the_largest_bucket():
    """1,000 backtest origins: pieces of 256 through the unrolled twin, same numbers."""
    model = build_regressor(window=3, n_features=1, horizon=1, n_targets=1, units=(3,), seed=8)
    windows = np.random.default_rng(9).normal(size=(BUCKETS[-1] + 44, 3, 1)).astype("float32")
    rec = CompiledRecursion(model, [0])
    slow = recursive(lambda w: model(w, training=False).numpy()[:, 0, :], windows, 6, targets=[0])
    np.testing.assert_allclose(rec(windows, 6), slow, atol=1e-5)
    assert rec._compiled == {(BUCKETS[-1], True)}  # the last 44 ride the same program


def test_warm_up_compiles_ahead_and_its_unrolled_size_gives_the_same_numbers():
    model = build_regressor(window=5, n_features=1, horizon=1, n_targets=1, units=(4,), seed=6)
    windows = np.random.default_rng(7).normal(size=(40, 5, 1)).astype("float32")
    rolled = CompiledRecursion(model, [0])(windows, 9)
    rec = CompiledRecursion(model, [0])
    rec.warm_up((1, 32), unrolled=(40,))
    assert rec._compiled == {(1, False), (32, False), (40, True)}
    np.testing.assert_allclose(rec(windows, 9), rolled, atol=1e-5)  # the unrolled program
    np.testing.assert_allclose(rec(windows[:39], 9), rolled[:39], atol=1e-5)  # 32 + 7 rolled
    np.testing.assert_allclose(rec(windows[:1], 9), rolled[:1], atol=1e-5)
    assert set(rec._functions) == {(1, False), (32, False), (40, True)}  # nothing new


def test_unrolled_twin_leaves_long_windows_and_stateful_models_alone():
    long = build_regressor(window=100, n_features=1, horizon=1, n_targets=1, units=(2,))
    assert unrolled_twin(long) is long
    stateful = build_sequence_regressor(
        n_features=1, n_targets=1, units=(2,), stateful=True, batch_size=2, time_steps=4
    )
    assert unrolled_twin(stateful) is stateful


def _regrowing_reference(model, windows, horizon, targets, covariates, *, listed=False):
    """The slow way: the whole network over the growing sequence, its last output each step.

    ``listed``: the model takes a list of one input (an ensemble member's view).
    """
    order = feature_order(windows.shape[2], targets)
    sequence, out = windows, []
    for k in range(horizon):
        inputs = [sequence] if listed else sequence
        prediction = model(inputs, training=False).numpy()[:, -1, :]
        out.append(prediction)
        row = next_row(prediction, covariates[:, k], order)[:, None, :]
        sequence = np.concatenate([sequence, row.astype("float32")], axis=1)
    return np.stack(out, axis=1)


@pytest.mark.parametrize(
    ("cell", "units", "n_features", "targets", "n_models", "jit"),
    [
        ("lstm", (4,), 1, [0], 1, False),
        ("lstm", (5, 3, 4), 3, [1], 1, False),  # stacked, covariates around the target
        ("gru", (4, 3), 2, [1], 1, False),
        ("rnn", (3, 2), 3, [2, 0], 1, False),  # two targets, not in feature order
        ("lstm", (4, 3), 2, [0], 3, False),  # an ensemble: the members' mean fed back
        ("gru", (4,), 2, [0], 1, True),  # XLA
    ],
)
def test_state_recursion_equals_rereading_the_growing_sequence(
    cell, units, n_features, targets, n_models, jit
):
    model = build_regressor(
        window=None,
        n_features=n_features,
        horizon=1,
        n_targets=len(targets),
        units=units,
        cell=cell,
        seed=4,
        n_models=n_models,
        sequences=True,
    )
    rng = np.random.default_rng(1)
    windows = rng.normal(size=(5, 6, n_features)).astype("float32")
    cov = rng.normal(size=(5, 7, n_features - len(targets))).astype("float32")
    rec = StateRecursion(model, targets, jit_compile=jit)
    fast = rec(windows, 7, cov)
    slow = _regrowing_reference(model, windows, 7, targets, cov)
    assert fast.shape == (5, 7, len(targets))
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    # one graph for every batch size, window length and horizon (no XLA); same numbers
    shorter = _regrowing_reference(model, windows[:2, 1:], 3, targets, cov[:2])
    np.testing.assert_allclose(rec(windows[:2, 1:], 3, cov[:2, :3]), shorter, atol=1e-5)
    np.testing.assert_allclose(rec(windows, 1, cov[:, :1]), slow[:, :1], atol=1e-5)


def test_state_recursion_of_each_member_is_that_members_reference():
    model = build_regressor(
        window=None,
        n_features=1,
        horizon=1,
        n_targets=1,
        units=(3,),
        n_models=2,
        seed=2,
        sequences=True,
    )
    windows = np.random.default_rng(2).normal(size=(2, 5, 1)).astype("float32")
    cov = np.zeros((2, 4, 0), "float32")
    for member in member_models(model):
        np.testing.assert_allclose(
            StateRecursion(member, [0])(windows, 4),
            _regrowing_reference(member, windows, 4, [0], cov, listed=True),
            atol=1e-5,
        )


def test_sequence_stacks_refuse_other_networks():
    window_net = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,))
    with pytest.raises(ValueError, match=r"does not return sequences|no place"):
        StateRecursion(window_net, [0])
    stacked = build_sequence_regressor(n_features=1, n_targets=1, units=(3,))
    assert [len(layers) for layers, _ in sequence_stacks(stacked)] == [1]


@pytest.mark.parametrize("n_models", [1, 2])
def test_a_network_under_mixed_precision_forecasts_in_float32(n_models):
    # under keras's mixed_float16 policy the network outputs float16: writing it into the
    # float32 forecast crashed Forecaster.fit at its last step (TensorScatterUpdate)
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_regressor(
            window=4, n_features=1, horizon=1, n_targets=1, units=(3,), n_models=n_models
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    windows = np.random.default_rng(0).normal(size=(2, 4, 1)).astype("float32")
    out = CompiledRecursion(model, [0])(windows, 3)
    assert out.dtype == np.float32 and out.shape == (2, 3, 1) and np.isfinite(out).all()
