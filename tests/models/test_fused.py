"""One fused network trains every ensemble member (forecastkit.models.fused)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from forecastkit.models.builders import build_regressor, member_models, training_model
from forecastkit.models.fused import FusedMembers, fusable, fused_trainer, write_members

CASES = [  # units, horizon, n_targets, sequences
    ((5,), 1, 1, False),
    ((4, 3), 3, 2, False),
    ((4, 3), 1, 2, True),
]


def _ensemble(cell, units, horizon, n_targets, sequences, n_models=3):
    return build_regressor(
        window=None if sequences else 7,
        n_features=n_targets + 1,
        horizon=horizon,
        n_targets=n_targets,
        units=units,
        cell=cell,
        n_models=n_models,
        seed=1,
        sequences=sequences,
    )


def _member_order(model, trainer):
    """Per member, the positions of its weights among ``training_model``'s weights."""
    stacks, heads = fusable(model)
    where = {id(v): i for i, v in enumerate(trainer.trainable_weights)}
    return [
        [where[id(v)] for layer in [*stack, head] for v in layer.weights]
        for stack, head in zip(stacks, heads, strict=True)
    ]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("units, horizon, n_targets, sequences", CASES)
def test_the_fused_trainer_computes_what_the_member_by_member_trainer_does(
    cell, units, horizon, n_targets, sequences
):
    model = _ensemble(cell, units, horizon, n_targets, sequences)
    layered, fused = training_model(model), fused_trainer(model)
    rng = np.random.default_rng(0)
    xs = [tf.constant(rng.normal(size=(6, 7, n_targets + 1)), tf.float32) for _ in range(3)]
    with tf.GradientTape(persistent=True) as tape:
        a, b = layered(xs), fused(xs)
        loss_a, loss_b = tf.reduce_sum(a**2), tf.reduce_sum(b**2)
    assert a.shape == b.shape == (6, 7 if sequences else horizon, 3 * n_targets)
    np.testing.assert_allclose(b, a, atol=1e-6)
    grads_a = tape.gradient(loss_a, layered.trainable_weights)
    grads_b = tape.gradient(loss_b, fused.trainable_weights)
    assert len(grads_b) == 3 * len(units) + 2  # one variable per weight, all members in it
    for k, positions in enumerate(_member_order(model, layered)):
        for grad_b, i in zip(grads_b, positions, strict=True):
            np.testing.assert_allclose(grad_b[k], grads_a[i], rtol=1e-4, atol=1e-5)


def test_write_members_copies_the_trained_weights_into_each_member():
    model = _ensemble("lstm", (4, 3), 2, 1, False)
    trainer = fused_trainer(model)
    rng = np.random.default_rng(1)
    trainer.set_weights([rng.normal(size=w.shape) for w in trainer.get_weights()])
    x = [rng.normal(size=(5, 7, 2)).astype("float32") for _ in range(3)]
    assert not np.allclose(training_model(model)(x), trainer(x), atol=1e-3)
    write_members(trainer, model)
    np.testing.assert_allclose(training_model(model)(x), trainer(x), atol=1e-5)
    fused = trainer.get_layer("members").get_weights()
    for k, member in enumerate(member_models(model)):
        head = member.get_layer(f"m{k}_head")
        np.testing.assert_array_equal(head.get_weights()[1], fused[-1][k])
    other = _ensemble("lstm", (4, 3), 2, 1, False, n_models=2)
    with pytest.raises(ValueError, match="not fused from this model"):
        write_members(trainer, other)


@pytest.mark.parametrize(
    "options",
    [
        {"n_models": 1},
        {"n_models": 2, "dropout": 0.1},
        {"n_models": 2, "bidirectional": True},
    ],
    ids=["one network", "dropout", "bidirectional"],
)
def test_other_networks_train_member_by_member(options):
    model = build_regressor(window=5, n_features=1, horizon=1, n_targets=1, units=(3,), **options)
    assert fusable(model) is None and fused_trainer(model) is None


@pytest.mark.parametrize(
    "edit",
    [
        {"kernel_regularizer": "l2"},
        {"recurrent_constraint": "max_norm"},
        {"activity_regularizer": "l1"},
        {"trainable": False},
    ],
    ids=["regularizer", "constraint", "activity", "frozen"],
)
def test_layers_with_losses_constraints_or_frozen_weights_are_not_fused(edit):
    inputs = keras.Input((5, 1))
    members = [
        keras.layers.Dense(1, name=f"m{k}_head")(
            keras.layers.LSTM(3, name=f"m{k}_lstm_0", **(edit if k else {}))(inputs)
        )
        for k in range(2)
    ]
    model = keras.Model(inputs, keras.layers.Average(name="ensemble_mean")(members))
    assert fusable(model) is None


def test_a_layer_with_other_arithmetic_is_not_fused():
    inputs = keras.Input((5, 1))
    members = [
        keras.layers.Dense(1, name=f"m{k}_head")(
            keras.layers.LSTM(3, activation="relu", name=f"m{k}_lstm_0")(inputs)
        )
        for k in range(2)
    ]
    model = keras.Model(inputs, keras.layers.Average(name="ensemble_mean")(members))
    assert fusable(model) is None


def test_members_are_read_in_number_order_past_ten():
    model = _ensemble("lstm", (2,), 1, 1, False, n_models=12)
    stacks, heads = fusable(model)
    assert [h.name for h in heads] == [f"m{k}_head" for k in range(12)]
    assert [s[0].name for s in stacks] == [f"m{k}_lstm_0" for k in range(12)]


def test_a_member_with_a_gap_or_without_a_head_is_not_fused():
    inputs = keras.Input((5, 1))
    x0 = keras.layers.LSTM(3, name="m0_lstm_0")(inputs)
    x1 = keras.layers.LSTM(3, name="m1_lstm_1")(inputs)  # depth 0 missing
    members = [keras.layers.Dense(1, name=f"m{k}_head")(x) for k, x in enumerate((x0, x1))]
    model = keras.Model(inputs, keras.layers.Average(name="ensemble_mean")(members))
    assert fusable(model) is None
    headless = keras.Model(
        inputs, keras.layers.Average(name="ensemble_mean")([x0, keras.layers.Dense(3)(x0)])
    )
    assert fusable(headless) is None


def test_the_fused_trainer_compiles_with_xla():
    model = _ensemble("lstm", (4,), 2, 1, False)
    trainer = fused_trainer(model)
    trainer.compile(optimizer="adam", loss="mse", jit_compile=True)
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(8, 7, 2)).astype("float32") for _ in range(3)]
    y = rng.normal(size=(8, 2, 3)).astype("float32")
    before = trainer.get_weights()
    history = trainer.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    assert any(not np.allclose(a, b) for a, b in zip(before, trainer.get_weights(), strict=True))


def test_the_layer_reports_its_output_shape_and_config():
    layer = FusedMembers(
        cell="gru", units=(3,), n_members=4, n_features=2, horizon=1, n_targets=2, sequences=True
    )
    assert layer.compute_output_shape([(None, 9, 2)] * 4) == (None, 9, 8)
    assert layer.compute_output_shape(((None, 9, 2),) * 4) == (None, 9, 8)
    again = FusedMembers.from_config(layer.get_config())
    assert [tuple(w.shape) for w in again.weights] == [tuple(w.shape) for w in layer.weights]


def test_a_saved_fused_trainer_loads(tmp_path):
    model = _ensemble("lstm", (3,), 1, 1, False, n_models=2)
    trainer = fused_trainer(model)
    trainer.save(tmp_path / "trainer.keras")
    loaded = keras.saving.load_model(tmp_path / "trainer.keras")
    x = [np.ones((2, 7, 2), "float32")] * 2
    np.testing.assert_allclose(loaded(x), trainer(x), atol=1e-7)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("units, horizon, n_targets, sequences", CASES)
def test_the_fused_twin_forecasts_the_members_mean(cell, units, horizon, n_targets, sequences):
    from forecastkit.models.fused import fused_twin

    model = _ensemble(cell, units, horizon, n_targets, sequences)
    twin = fused_twin(model)
    assert twin is not model and twin.output_shape == model.output_shape
    x = np.random.default_rng(3).normal(size=(5, 7, n_targets + 1)).astype("float32")
    np.testing.assert_allclose(twin(x), model(x), atol=1e-6)
    single = build_regressor(window=7, n_features=1, horizon=1, n_targets=1, units=(3,))
    assert fused_twin(single) is single
    assert not twin.weights or all(
        any(w is v for v in model.weights) for w in twin.weights
    )  # a view of the members' variables, no copy
    with pytest.raises(TypeError, match="cannot be saved"):
        twin.get_layer("members").get_config()


def test_a_compiled_ensemble_recursion_runs_the_fused_twin():
    from forecastkit.models.compiled import CompiledRecursion
    from forecastkit.strategies.recursive import advance, feature_order

    model = _ensemble("lstm", (4,), 1, 1, False)
    recursion = CompiledRecursion(model, targets=[0])
    windows = np.random.default_rng(4).normal(size=(3, 7, 2)).astype("float32")
    covariates = np.zeros((3, 4, 1), "float32")
    out = recursion(windows, 4, covariates)
    assert isinstance(recursion._fused.get_layer("members"), FusedMembers)
    head = model.get_layer("m1_head")  # the twin reads the members' weights: never stale
    head.bias.assign(head.bias + 1.0)
    np.testing.assert_allclose(recursion(windows, 1, covariates[:, :1])[:, 0], out[:, 0] + 1 / 3)
    head.bias.assign(head.bias - 1.0)
    window, expected = windows, []
    for k in range(4):  # the member-by-member network, one step at a time
        step = model.predict(window, verbose=0)[:, 0, :]
        expected.append(step)
        window = advance(window, step, covariates[:, k], feature_order(2, [0]), xp=np)
    np.testing.assert_allclose(out, np.stack(expected, axis=1), atol=1e-5)


def test_an_ensembles_unrolled_twin_is_its_unrolled_fused_view():
    from forecastkit.models.compiled import unrolled_twin

    model = _ensemble("lstm", (4, 3), 1, 1, False)
    twin = unrolled_twin(model)
    layer = twin.get_layer("members")
    assert isinstance(layer, FusedMembers) and layer.unroll
    x = np.random.default_rng(5).normal(size=(4, 7, 2)).astype("float32")
    np.testing.assert_allclose(twin(x), model(x), atol=1e-6)
    head = model.get_layer("m0_head")  # a view: it follows the members' weights
    head.bias.assign(head.bias + 3.0)
    np.testing.assert_allclose(twin(x), model(x), atol=1e-6)


@pytest.mark.parametrize("window", [7, 70], ids=["unrolled", "too long to unroll"])
def test_the_large_batch_programs_of_an_ensemble_run_fused(window):
    from forecastkit.models.compiled import CompiledRecursion
    from forecastkit.strategies.recursive import advance, feature_order

    model = build_regressor(
        window=window, n_features=1, horizon=1, n_targets=1, units=(3,), n_models=2, seed=2
    )
    recursion = CompiledRecursion(model, targets=[0], unroll_from=8, buckets=(1, 8))
    windows = np.random.default_rng(6).normal(size=(8, window, 1)).astype("float32")
    out = recursion(windows, 3)  # a batch of 8: the unrolled program
    program_model = recursion._twin if recursion._twin is not model else recursion._fused
    assert isinstance(program_model.get_layer("members"), FusedMembers)
    window_now, expected = windows, []
    for _ in range(3):
        step = model.predict(window_now, verbose=0)[:, 0, :]
        expected.append(step)
        zeros = np.zeros((8, 0), "float32")
        window_now = advance(window_now, step, zeros, feature_order(1, [0]), xp=np)
    np.testing.assert_allclose(out, np.stack(expected, axis=1), atol=1e-5)
