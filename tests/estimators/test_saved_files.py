"""Files saved before save/load moved into KerasEstimatorMixin load, and files saved now
have the layout the earlier code reads.

``saved_v1/`` holds files written by the code of commit 4673989 (each estimator had its
own save/load then), made with::

    x, y = datasets.make_sin_cos(n=120, stop=12.0)
    m = SequenceRegressor(units=(2,), stateful=True, batch_size=2, time_steps=10,
                          val_size=20, epochs=2, random_state=0).fit(x, y)
    m.predict(x[:7])  # a carried state that is not zero
    m.save("saved_v1/sequence_regressor_v1.keras")
    X, y = datasets.load_digit_rows()
    keep = np.isin(y, [0, 1])
    X, y = X[keep][:40], np.where(y[keep][:40] == 0, "zero", "one")
    SequenceClassifier(units=(2,), epochs=2, random_state=0).fit(X, y).save(
        "saved_v1/sequence_classifier_v1.keras")
"""

import io
import json
import pathlib
import zipfile

import numpy as np
import pandas as pd
import pytest

from forecastkit import SequenceClassifier, SequenceRegressor
from forecastkit.exceptions import ModelFileError
from forecastkit.persistence import ARRAYS, FORMAT_VERSION, MANIFEST

SAVED = pathlib.Path(__file__).parent / "saved_v1"
FILES = {
    SequenceRegressor: SAVED / "sequence_regressor_v1.keras",
    SequenceClassifier: SAVED / "sequence_classifier_v1.keras",
}


def _contents(path) -> tuple[dict, dict[str, np.ndarray]]:
    """The manifest and the arrays of a saved file, read directly from the zip."""
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read(MANIFEST))
        with np.load(io.BytesIO(z.read(ARRAYS)), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    return manifest, arrays


def _history(fitted: dict) -> pd.DataFrame:
    frame = pd.DataFrame({c: fitted["history"][c] for c in fitted["history_columns"]})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


def _edited(src, dst, edit):
    """Copy ``src`` with its manifest edited (the manifest is not under the checksums)."""
    with zipfile.ZipFile(src) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(contents[MANIFEST])
    edit(doc)
    contents[MANIFEST] = json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w") as out:
        for name, data in contents.items():
            out.writestr(name, data)
    return dst


def test_a_sequence_regressor_saved_before_loads_with_its_state_and_history():
    manifest, arrays = _contents(FILES[SequenceRegressor])
    fitted = manifest["fitted"]
    m = SequenceRegressor.load(FILES[SequenceRegressor])
    assert m.stateful and m.units == (2,) and m.random_state == 0
    assert m.feature_names_ == tuple(fitted["feature_names"])
    assert m.target_names_ == tuple(fitted["target_names"])
    assert m.sizes_ == tuple(fitted["sizes"]) and m.best_epoch_ == fitted["best_epoch"]
    pd.testing.assert_frame_equal(m.history_, _history(fitted))
    states = m._states()
    assert len(states) == fitted["n_states"] > 0
    for i, state in enumerate(states):
        np.testing.assert_array_equal(state, arrays[f"state_{i}"])
    assert np.abs(states[0]).max() > 0  # the carried state, not a fresh zero one
    np.testing.assert_array_equal(
        m.x_scaler_.target_.mean_, np.asarray(fitted["x_scaler"]["fitted"]["mean_"]["__ndarray__"])
    )
    x = pd.Series(np.sin(np.linspace(0, 3, 30)), name=fitted["feature_names"][0])
    assert np.isfinite(m.predict(x).to_numpy()).all()


def test_a_sequence_classifier_saved_before_loads_with_its_labels_and_history():
    manifest, _ = _contents(FILES[SequenceClassifier])
    fitted = manifest["fitted"]
    clf = SequenceClassifier.load(FILES[SequenceClassifier])
    assert clf.classes_.tolist() == fitted["classes"] == ["one", "zero"]
    assert clf.classes_.dtype.str == fitted["classes_dtype"]
    assert clf.best_epoch_ == fitted["best_epoch"]
    pd.testing.assert_frame_equal(clf.history_, _history(fitted))
    proba = clf.predict_proba(np.zeros((3, clf.n_steps_, clf.n_features_in_)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("cls", list(FILES), ids=lambda c: c.__name__)
def test_saving_again_writes_the_same_manifest_and_arrays(cls, tmp_path):
    # what the earlier code reads (keys, layout, values) is exactly what it wrote itself
    before, before_arrays = _contents(FILES[cls])
    cls.load(FILES[cls]).save(tmp_path / "again.keras")
    after, after_arrays = _contents(tmp_path / "again.keras")
    assert sorted(after) == sorted(before)
    for key in ("format", "format_minor", "estimator", "params", "fitted"):
        assert after[key] == before[key], key
    # the layout of these estimators did not change; the major version did (for Forecaster)
    assert before["format_version"] == 1 and after["format_version"] == FORMAT_VERSION
    assert sorted(after_arrays) == sorted(before_arrays)
    for name, array in before_arrays.items():
        assert after_arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(after_arrays[name], array)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.update(fitted=[1, 2]), "fitted state is not a JSON object"),
        (lambda d: d["fitted"].update(best_epoch="2"), "best_epoch='2'"),
        (lambda d: d["fitted"].update(best_epoch=True), "best_epoch=True"),
        (lambda d: d["fitted"].update(best_epoch=-1), "best_epoch=-1"),
        (lambda d: d["fitted"].pop("history"), "KeyError.*history"),
        (
            lambda d: d["fitted"].update(history={"loss": ["x"]}, history_columns=["loss"]),
            "ValueErr",
        ),
        (lambda d: d["params"].update(no_such_parameter=1), "no_such_parameter"),
    ],
)
@pytest.mark.parametrize("cls", list(FILES), ids=lambda c: c.__name__)
def test_a_broken_shared_part_of_the_manifest_is_a_model_file_error(cls, edit, match, tmp_path):
    bad = _edited(FILES[cls], tmp_path / "bad.keras", edit)
    with pytest.raises(ModelFileError, match=r"invalid forecastkit manifest.*" + match):
        cls.load(bad)
