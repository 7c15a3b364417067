import numpy as np
import pytest

from forecastkit.exceptions import ParameterError
from forecastkit.models.builders import (
    build_classifier,
    build_regressor,
    build_sequence_regressor,
    check_units,
)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_regressor_shapes(cell, bidirectional):
    model = build_regressor(
        window=5,
        n_features=2,
        horizon=3,
        n_targets=2,
        units=(4, 3),
        cell=cell,
        bidirectional=bidirectional,
        dropout=0.1,
    )
    assert model.input_shape == (None, 5, 2)
    assert model.output_shape == (None, 3, 2)
    prefix = "bidirectional" if bidirectional else cell
    recurrent = [layer for layer in model.layers if layer.name.startswith(prefix)]
    assert len(recurrent) == 2


def test_same_seed_same_weights_without_global_state():
    a = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,), seed=7)
    b = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,), seed=7)
    c = build_regressor(window=4, n_features=1, horizon=1, n_targets=1, units=(3,), seed=8)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_sequence_and_classifier_builders():
    seq = build_sequence_regressor(n_features=1, n_targets=1, units=(3,))
    assert seq.output_shape == (None, None, 1)
    stateful = build_sequence_regressor(
        n_features=1, n_targets=1, units=(3,), stateful=True, batch_size=2, time_steps=5
    )
    assert stateful.input_shape == (2, 5, 1)
    clf = build_classifier(n_steps=8, n_features=8, n_classes=10, units=(4,), bidirectional=True)
    assert clf.output_shape == (None, 10)


@pytest.mark.parametrize("units", [0, (), (4, 0), "4", (2.5,), True, None])
def test_bad_units(units):
    with pytest.raises(ParameterError, match="units"):
        check_units(units)


def test_bad_cell_and_dropout():
    with pytest.raises(ParameterError, match="cell"):
        build_regressor(window=3, n_features=1, horizon=1, n_targets=1, cell="transformer")
    for bad in (1.0, -0.1, "0.1", float("nan"), True):  # "0.1" was read as 0.1
        with pytest.raises(ParameterError, match="`dropout` must be a number in"):
            build_regressor(window=3, n_features=1, horizon=1, n_targets=1, dropout=bad)


def test_sequence_regressor_outputs_every_position_and_refuses_backward_layers():
    from forecastkit.models.builders import n_members, training_model

    model = build_regressor(
        window=None, n_features=2, horizon=1, n_targets=1, units=(3, 2), sequences=True
    )
    x = np.zeros((4, 9, 2), "float32")
    assert model(x).shape == (4, 9, 1)
    ensemble = build_regressor(
        window=None,
        n_features=2,
        horizon=1,
        n_targets=1,
        units=(3,),
        n_models=3,
        sequences=True,
    )
    assert n_members(ensemble) == 3 and training_model(ensemble).output_shape == (None, None, 3)
    for bad in ({"bidirectional": True}, {"horizon": 2}):
        options = {"window": None, "n_features": 1, "horizon": 1, "n_targets": 1, **bad}
        with pytest.raises(ParameterError, match="bidirectional=False"):
            build_regressor(units=(2,), sequences=True, **options)


@pytest.mark.parametrize(
    ("units", "dropout", "most"), [((2,), 0.0, 84), ((2, 2), 0.1, 42)], ids=["plain", "dropout"]
)
def test_an_ensemble_larger_than_a_model_file_may_hold_is_refused_before_building(
    units, dropout, most
):
    # fit built and saved n_models=90 of units=(2,) (272 layers), which load then refused
    from forecastkit.models.limits import MAX_LAYERS

    kw = dict(window=3, n_features=1, horizon=1, n_targets=1, units=units, dropout=dropout)
    largest = build_regressor(n_models=most, **kw)
    assert len(largest.layers) <= MAX_LAYERS
    with pytest.raises(ParameterError, match=rf"n_models={most + 1} .* Use n_models={most} "):
        build_regressor(n_models=most + 1, **kw)
    if len(units) == 1:  # an int is one layer: the refusal names it as (2,), no TypeError
        with pytest.raises(ParameterError, match=r"units=\(2,\)"):
            build_regressor(n_models=most + 1, **{**kw, "units": units[0]})
