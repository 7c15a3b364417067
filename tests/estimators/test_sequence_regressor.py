"""Tests of SequenceRegressor: stateful layout, streaming, persistence, errors, accuracy."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import forecastkit.training.fit as fit_module
from forecastkit import SequenceRegressor, datasets
from forecastkit.exceptions import DataError, ModelFileError, NotFittedError, ParameterError
from forecastkit.training.callbacks import ResetStatesCallback

TINY = {"units": (4,), "epochs": 1, "random_state": 0}


@pytest.fixture(scope="module")
def sin_cos():
    return datasets.make_sin_cos(n=600, stop=60.0)


@pytest.fixture(scope="module")
def fitted(sin_cos):
    x, y = sin_cos
    return SequenceRegressor(**TINY, time_steps=5, batch_size=4).fit(x, y)


def _spy_train(monkeypatch):
    """Record the arguments of every forecastkit.training.fit.train call, then train."""
    calls = []
    real = fit_module.train

    def spy(model, X, Y, **kwargs):
        calls.append({"model": model, "X": np.array(X), "Y": np.array(Y), **kwargs})
        return real(model, X, Y, **kwargs)

    monkeypatch.setattr(fit_module, "train", spy)
    return calls


# ------------------------------------------------------------------ accuracy
def test_sin_to_cos_tutorial_settings_reach_test_mse_below_001():
    # The tutorial: sin(x) -> cos(x), x advancing 1 / (10 pi) per step; 20 time steps,
    # batch 50, 20 LSTM units, Adam 0.006. 20,000 steps to fit, the next 2,000 held out.
    n_fit, n_test = 20_000, 2_000
    n = n_fit + n_test
    x, y = datasets.make_sin_cos(n=n, stop=(n - 1) / (10 * np.pi))
    m = SequenceRegressor(
        units=(20,),
        time_steps=20,
        batch_size=50,
        optimizer="adam",
        learning_rate=0.006,
        epochs=12,
        random_state=0,
    ).fit(x[:n_fit], y[:n_fit])
    m.reset_state().predict(x[:n_fit])  # stream the fitted inputs: the state reaches the test
    pred = m.predict(x[n_fit:])
    assert pred.index.equals(y.index[n_fit:]) and pred.name == "cos"
    mse = float(np.mean((pred.to_numpy() - y[n_fit:].to_numpy()) ** 2))
    assert mse < 0.01, mse


# ------------------------------------------------------------------ training layout
class StateSpy(keras.callbacks.Callback):
    """Record the size of the carried state before the first two batches of each epoch."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch in (0, 1):
            state = self.model.get_layer("lstm_0").states[0].numpy()
            self.seen.append((batch, float(np.abs(state).sum())))


def test_stateful_fit_uses_continuing_rows_no_shuffle_and_one_reset_callback(monkeypatch):
    calls = _spy_train(monkeypatch)
    n, batch_size, time_steps = 230, 4, 5
    x = pd.Series(np.arange(n, dtype=float), name="t")
    y = pd.Series(np.sin(np.arange(n) / 7.0), name="s")
    spy = StateSpy()
    m = SequenceRegressor(
        **{**TINY, "epochs": 2},
        time_steps=time_steps,
        batch_size=batch_size,
        val_size=30,
        callbacks=[spy],
    )
    m.fit(x, y)
    (call,) = calls
    X = call["X"][..., 0]  # scaled positions: an increasing affine map of 0 .. n - 1
    n_train = 200
    n_batches = n_train // (batch_size * time_steps)
    assert X.shape == (n_batches * batch_size, time_steps)
    step = X[0, 1] - X[0, 0]
    position = np.rint((X - X[0, 0]) / step).astype(int).reshape(n_batches, batch_size, time_steps)
    # Row j of batch k + 1 starts exactly where row j of batch k ended.
    np.testing.assert_array_equal(position[1:, :, 0], position[:-1, :, -1] + 1)
    np.testing.assert_array_equal(np.sort(position, axis=None), np.arange(n_train))
    assert call["shuffle"] is False and call["batch_size"] == batch_size
    resets = [cb for cb in call["callbacks"] if isinstance(cb, ResetStatesCallback)]
    assert len(resets) == 1
    assert call["model"].input_shape == (batch_size, time_steps, 1)
    assert m.sizes_ == (200, 30)
    # The state is zero at the start of each epoch and carried from batch 0 to batch 1.
    assert [b for b, _ in spy.seen] == [0, 1, 0, 1]
    assert spy.seen[0][1] == 0.0 and spy.seen[2][1] == 0.0
    assert spy.seen[1][1] > 0.0 and spy.seen[3][1] > 0.0


def test_stateless_fit_uses_shuffled_chunks_and_gives_a_tiny_val_part_to_training(
    monkeypatch, caplog
):
    calls = _spy_train(monkeypatch)
    x = np.arange(103, dtype=float)
    m = SequenceRegressor(**TINY, time_steps=5, batch_size=4, stateful=False, val_size=3)
    with caplog.at_level(logging.INFO, logger="forecastkit"):
        m.fit(x, np.cos(x))
    (call,) = calls
    assert "shorter than time_steps=5" in caplog.text
    assert "val_loss" not in m.history_ and m.sizes_ == (103, 0)
    assert call["shuffle"] is True and call["validation"] is None
    assert call["X"].shape == (20, 5, 1)  # 100 of the 103 steps, in chunks of 5
    X = call["X"][..., 0]
    position = np.rint((X - X[0, 0]) / (X[0, 1] - X[0, 0])).astype(int)
    np.testing.assert_array_equal(position, np.arange(100).reshape(20, 5))  # no overlap
    assert not any(isinstance(cb, ResetStatesCallback) for cb in call["callbacks"])
    assert call["model"].input_shape == (None, 5, 1)


def test_short_validation_part_is_read_as_fewer_streams_and_scored_exactly(caplog):
    # 400 training steps as 4 streams of 100; the 200 validation steps as 2 streams of 100,
    # padded to the batch of 4 with zero-weighted rows: val_loss must be the plain mean
    # squared error (scaled units) of streaming each validation stream from a zero state.
    t = np.arange(600) / 5.0
    x, y = pd.Series(np.sin(t), name="sin"), pd.Series(np.cos(t), name="cos")
    with caplog.at_level(logging.INFO, logger="forecastkit"):
        m = SequenceRegressor(**TINY, time_steps=5, batch_size=4, val_size=200).fit(x, y)
    assert "read as 2 stream(s)" in caplog.text
    scale = m.y_scaler_.target_.scale_[0]
    errors = []
    for j in range(2):
        part = slice(400 + 100 * j, 500 + 100 * j)
        pred = m.reset_state().predict(x[part])
        errors.append(((pred - y[part]) / scale) ** 2)
    expected = float(np.mean(np.concatenate(errors)))
    np.testing.assert_allclose(m.history_["val_loss"].iloc[0], expected, rtol=1e-4)


# ------------------------------------------------------------------ prediction
def test_streaming_equals_one_call_and_reset_makes_it_repeatable(fitted, sin_cos):
    x, _ = sin_cos
    whole = fitted.reset_state().predict(x)
    fitted.reset_state()
    pieces = [fitted.predict(x[a:b]) for a, b in [(0, 7), (7, 150), (150, 151), (151, 600)]]
    streamed = pd.concat(pieces)
    assert streamed.index.equals(x.index) and streamed.name == "cos"
    np.testing.assert_allclose(streamed.to_numpy(), whole.to_numpy(), atol=1e-5)
    # Without a reset the state carries on, so a repeat differs ...
    again = fitted.predict(x[:50])
    assert not np.allclose(again.to_numpy(), whole.to_numpy()[:50], atol=1e-4)
    # ... and reset_state() makes repeats repeatable.
    first = fitted.reset_state().predict(x[:50])
    second = fitted.reset_state().predict(x[:50])
    pd.testing.assert_series_equal(first, second)
    np.testing.assert_allclose(first.to_numpy(), whole.to_numpy()[:50], atol=1e-5)


def test_stateless_predicts_chunks_from_zero_state(sin_cos):
    x, y = sin_cos
    m = SequenceRegressor(**TINY, time_steps=5, batch_size=4, stateful=False).fit(x, y)
    head = x[:23]
    whole = m.predict(head)
    np.testing.assert_allclose(m.predict(head).to_numpy(), whole.to_numpy())  # no state
    chunks = pd.concat([m.predict(head[a : a + 5]) for a in range(0, 23, 5)])
    assert chunks.index.equals(head.index)
    np.testing.assert_allclose(chunks.to_numpy(), whole.to_numpy(), atol=1e-6)
    shifted = m.predict(x[1:23])  # other chunk boundaries, other predictions
    assert not np.allclose(shifted.to_numpy()[:4], whole.to_numpy()[1:5], atol=1e-4)


def test_several_columns_and_a_datetime_index():
    index = pd.date_range("2024-01-01", periods=300, freq="h", name="ds")
    t = np.arange(300) / 6.0
    X = pd.DataFrame({"a": np.sin(t), "b": np.cos(t) * 2}, index=index)
    Y = pd.DataFrame({"p": X["a"] * X["b"], "q": X["a"] - 1}, index=index)
    m = SequenceRegressor(**TINY, time_steps=5, batch_size=4, val_size=20).fit(X, Y)
    assert m.n_features_in_ == 2 and m.feature_names_ == ("a", "b")
    pred = m.reset_state().predict(X.iloc[200:])
    assert isinstance(pred, pd.DataFrame) and list(pred.columns) == ["p", "q"]
    assert pred.index.equals(index[200:])
    swapped = m.reset_state().predict(X.iloc[200:][["b", "a"]])  # columns found by name
    pd.testing.assert_frame_equal(swapped, pred)
    arrays = m.reset_state().predict(X.iloc[200:].to_numpy())  # arrays: a RangeIndex
    np.testing.assert_allclose(arrays.to_numpy(), pred.to_numpy())


# ------------------------------------------------------------------ persistence
def test_save_load_round_trip_keeps_weights_and_carried_state(fitted, sin_cos, tmp_path):
    x, _ = sin_cos
    path = tmp_path / "sin_cos.keras"
    fitted.reset_state().predict(x[:300])  # the state now stands at step 300
    fitted.save(path)
    loaded = SequenceRegressor.load(path)
    pd.testing.assert_series_equal(loaded.predict(x[300:]), fitted.predict(x[300:]))
    assert loaded.get_params() == fitted.get_params()
    pd.testing.assert_frame_equal(loaded.history_, fitted.history_)
    assert loaded.sizes_ == fitted.sizes_ and loaded.best_epoch_ == fitted.best_epoch_
    np.testing.assert_allclose(
        loaded.reset_state().predict(x).to_numpy(), fitted.reset_state().predict(x).to_numpy()
    )


def test_stateless_save_load_and_foreign_file(sin_cos, tmp_path):
    x, y = sin_cos
    m = SequenceRegressor(**TINY, time_steps=5, batch_size=4, stateful=False).fit(x, y)
    m.save(tmp_path / "m.keras")
    pd.testing.assert_series_equal(
        SequenceRegressor.load(tmp_path / "m.keras").predict(x), m.predict(x)
    )
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]).save(tmp_path / "plain.keras")
    with pytest.raises(ModelFileError, match="not a forecastkit model"):
        SequenceRegressor.load(tmp_path / "plain.keras")


# ------------------------------------------------------------------ errors, sklearn
def test_errors(fitted, sin_cos):
    x, y = sin_cos
    with pytest.raises(NotFittedError, match=r"not fitted yet.*fit\(X, y\)"):
        SequenceRegressor().predict(x)
    with pytest.raises(NotFittedError):
        SequenceRegressor().reset_state()
    bad = x.copy()
    bad.iloc[3] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fitted.predict(bad)
    with pytest.raises(DataError, match=r"2 column\(s\), but the model was fitted on 1"):
        fitted.predict(np.ones((10, 2)))
    with pytest.raises(DataError, match=r"1-D .* or 2-D"):
        fitted.predict(np.ones((2, 10, 1)))
    with pytest.raises(DataError, match="same number of time steps; got 600 and 599"):
        SequenceRegressor(**TINY).fit(x, y[:-1])
    with pytest.raises(DataError, match="same index"):
        SequenceRegressor(**TINY).fit(x, y.set_axis(y.index + 1))
    with pytest.raises(DataError, match=r"fewer than the 800 .*batch_size=40 x time_steps=20"):
        SequenceRegressor(**TINY, batch_size=40).fit(x, y)
    with pytest.raises(DataError, match=r"one chunk needs \(time_steps=700\)"):
        SequenceRegressor(**TINY, stateful=False, time_steps=700).fit(x, y)
    with pytest.raises(ParameterError, match="`stateful` must be True or False"):
        SequenceRegressor(**TINY, stateful="yes").fit(x, y)
    with pytest.raises(ParameterError, match="time_steps"):
        SequenceRegressor(**TINY, time_steps=0).fit(x, y)
    frame = pd.DataFrame({"a": x, "b": x})
    two = SequenceRegressor(**TINY, time_steps=5, batch_size=4).fit(frame, y)
    with pytest.raises(DataError, match=r"columns \['a', 'c'\].*fitted on \['a', 'b'\]"):
        two.predict(frame.set_axis(["a", "c"], axis=1))


def test_sklearn_clone_and_params():
    m = SequenceRegressor(units=(8,), time_steps=10, stateful=False)
    params = m.get_params()
    assert params["units"] == (8,) and params["time_steps"] == 10 and params["stateful"] is False
    c = clone(m)
    assert c is not m and c.get_params() == params
    c.set_params(batch_size=7)
    assert c.batch_size == 7 and m.batch_size == 16
    assert "SequenceRegressor(" in repr(m)


def test_score_is_r2(fitted, sin_cos):
    x, y = sin_cos
    fitted.reset_state()
    assert fitted.score(x, y) <= 1.0


@pytest.mark.parametrize(
    ("edit", "match"),
    [  # units=(100000,) asked TensorFlow for 160 GB before: a raw ResourceExhaustedError
        (lambda d: d["params"].update(units={"__tuple__": [100000]}), r"units=\(100000,\)"),
        (lambda d: d["fitted"].update(feature_names=["a", "b", "c"]), r"\(3, 1\) feature"),
    ],
    ids=["units", "feature-names"],
)
def test_load_refuses_parameters_that_do_not_describe_the_saved_network(
    fitted, tmp_path, edit, match
):
    import json
    import zipfile

    fitted.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        contents = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(contents["forecastkit.json"])
    edit(doc)  # the manifest carries no checksum: an attacker edits it freely
    contents["forecastkit.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as out:
        for name, data in contents.items():
            out.writestr(name, data)
    with pytest.raises(ModelFileError, match=match):
        SequenceRegressor.load(tmp_path / "bad.keras")
