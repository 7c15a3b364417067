import io
import zipfile

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecastkit import Forecaster
from forecastkit.exceptions import DataError, ParameterError

matplotlib.use("Agg")

TINY = dict(
    units=(4,), epochs=2, verbose=0, random_state=0, window=6, target_transform="none", n_models=1
)
N, N_CAL, N_TEST = 120, 40, 10  # val_size=0.1 -> 12 steps; train = 120 - 12 - 40 - 10 = 58


def _series(n=N, seed=0, name="y"):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    values = 50 + 0.2 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=n, freq="MS"), name=name)


def _fit(series, **kwargs):
    params = {**TINY, "calibration_size": N_CAL, "test_size": N_TEST, **kwargs}
    return Forecaster(**params).fit(series)


@pytest.fixture(scope="module")
def fitted():
    return _fit(_series())


def test_calibration_part_layout(fitted):
    assert fitted.sizes_ == (58, 12, 10)
    assert fitted.n_calibration_ == N_CAL
    assert fitted.get_params()["calibration_size"] == N_CAL
    assert clone(fitted).calibration_size == N_CAL


def test_forecast_with_levels_columns_index_and_order(fitted):
    plain = fitted.forecast(6)
    out = fitted.forecast(6, level=(95, 80))
    assert isinstance(plain, pd.Series)  # unchanged without level
    assert list(out.columns) == ["y", "y-lo-80", "y-hi-80", "y-lo-95", "y-hi-95"]
    assert out.index.equals(plain.index)
    np.testing.assert_array_equal(out["y"].to_numpy(), plain.to_numpy())
    chain = out[["y-lo-95", "y-lo-80", "y", "y-hi-80", "y-hi-95"]].to_numpy()
    assert (np.diff(chain, axis=1) >= 0).all()
    assert (chain[:, 0] < chain[:, -1]).all()
    for level in ("80", "95"):  # symmetric, never narrower further ahead
        width = (out[f"y-hi-{level}"] - out[f"y-lo-{level}"]).to_numpy()
        assert (np.diff(width) >= -1e-9).all()
        np.testing.assert_allclose(out[f"y-hi-{level}"] - out["y"], out["y"] - out[f"y-lo-{level}"])
    one = fitted.forecast(6, level=95)
    assert list(one.columns) == ["y", "y-lo-95", "y-hi-95"]
    np.testing.assert_allclose(one["y-hi-95"], out["y-hi-95"])


def test_residuals_come_from_every_calibration_origin_in_one_batch(fitted):
    fitted.forecast(4, level=80)
    residuals = fitted.series_[None].calibration[:, :4]
    assert residuals.shape == (N_CAL, 4, 1)
    start = 58 + 12
    # steps past the calibration part (into the test part) are missing, nothing else
    missing = np.isnan(residuals[:, :, 0])
    assert missing.sum(axis=0).tolist() == [0, 1, 2, 3]
    assert missing[-3:, 3].all() and not missing[:-3, 3].any()
    # each equals actual - forecast from that origin, computed alone
    values = fitted.values_
    for origin in (start, start + 17, start + N_CAL - 1):
        alone = fitted._multi_step(values, np.array([origin]), 1)[0, 0, 0]
        expected = values[origin, 0] - alone
        assert residuals[origin - start, 0, 0] == pytest.approx(expected, rel=1e-4, abs=1e-3)
    # a shorter horizon reuses the cache; a longer one recomputes
    cached = fitted.series_[None].calibration
    fitted.forecast(2, level=80)
    assert fitted.series_[None].calibration is cached
    fitted.forecast(7, level=80)
    assert fitted.series_[None].calibration.shape == (N_CAL, 7, 1)


def test_calibration_values_never_reach_training(fitted):
    series = _series()
    start, stop = 58 + 12, 58 + 12 + N_CAL
    shifted = series.copy()
    shifted.iloc[start:stop] += 30.0  # change only the calibration part
    other = _fit(shifted)
    for a, b in zip(fitted.model_.get_weights(), other.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(fitted.history_, other.history_)
    # ... but they are what the intervals are calibrated on
    assert not np.allclose(
        fitted.forecast(3, level=80)["y-hi-80"] - fitted.forecast(3),
        other.forecast(3, level=80)["y-hi-80"] - other.forecast(3),
    )
    # control: a change inside the training part does change the weights
    nudged = series.copy()
    nudged.iloc[start - 20] += 30.0
    changed = _fit(nudged)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(fitted.model_.get_weights(), changed.model_.get_weights(), strict=True)
    )


def test_too_short_series_and_too_small_calibration_part(fitted):
    with pytest.raises(DataError, match=r"too short.*calibration.*calibration_size"):
        Forecaster(**TINY, calibration_size=30).fit(_series(40))
    with pytest.raises(DataError, match=r"calibration part has 40 steps.*calibration_size=48"):
        fitted.forecast(30, level=95)
    with pytest.raises(ParameterError, match="not fractions"):
        fitted.forecast(3, level=0.95)
    with pytest.raises(ParameterError, match="below 100"):
        fitted.forecast(3, level=(80, 100))


def test_default_calibrates_on_the_validation_part(tmp_path):
    f = Forecaster(**TINY).fit(_series(60))  # val_size=0.1 -> 6 validation steps
    assert f.n_calibration_ == 0
    f.save(tmp_path / "val.keras")  # before any interval was asked for
    out = f.forecast(2, level=80)  # 80% needs 4 residuals + 1 for step 2
    assert f.series_[None].calibration.shape == (6, 2, 1)
    again = Forecaster.load(tmp_path / "val.keras")
    assert again.series_[None].calibration is None  # nothing stored: computed after loading
    pd.testing.assert_frame_equal(again.forecast(2, level=80), out, rtol=1e-5)
    assert (out["y-hi-80"] > out["y"]).all()
    with pytest.raises(DataError, match=r"validation part.*has 6 steps.*calibration_size=19"):
        f.forecast(1, level=95)
    f0 = Forecaster(**{**TINY, "epochs": 1}, val_size=0).fit(_series(40))
    f0.forecast(2)  # fine without intervals
    with pytest.raises(ParameterError, match=r"val_size=0 and no calibration part"):
        f0.forecast(2, level=80)


def test_several_targets_get_bounds_per_target():
    s = _series(100)
    frame = pd.DataFrame({"a": s, "b": 2 * s.to_numpy() + 1})
    f = Forecaster(**{**TINY, "epochs": 1}, target=["a", "b"], calibration_size=25).fit(frame)
    out = f.forecast(3, level=(80, 95))
    assert list(out.columns) == [
        "a",
        "b",
        "a-lo-80",
        "a-hi-80",
        "a-lo-95",
        "a-hi-95",
        "b-lo-80",
        "b-hi-80",
        "b-lo-95",
        "b-hi-95",
    ]
    for t in "ab":
        assert (out[f"{t}-lo-95"] <= out[t]).all() and (out[t] <= out[f"{t}-hi-95"]).all()


def test_intervals_survive_save_and_load(fitted, tmp_path):
    expected = fitted.forecast(5, level=(80, 95))
    path = tmp_path / "model.keras"
    fitted.save(path)
    with zipfile.ZipFile(path) as archive:
        arrays = np.load(io.BytesIO(archive.read("forecastkit.npz")), allow_pickle=False)
        assert arrays["calibration_residuals"].shape == (N_CAL, 7, 1)  # the longest asked
    loaded = Forecaster.load(path)
    assert loaded.n_calibration_ == N_CAL
    assert loaded.series_[None].calibration is not None  # restored, not recomputed
    np.testing.assert_array_equal(
        loaded.series_[None].calibration, fitted.series_[None].calibration
    )
    pd.testing.assert_frame_equal(loaded.forecast(5, level=(80, 95)), expected)


def test_plot_draws_the_bands(fitted):
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    fig, ax = plt.subplots()
    assert fitted.plot(6, level=(80, 95), ax=ax) is ax
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [band.get_label() for band in bands] == ["95% interval", "80% interval"]
    plt.close(fig)
