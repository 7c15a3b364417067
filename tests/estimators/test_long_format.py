"""One global Forecaster over many series in long format (unique_id, ds, y)."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.exceptions import DataError, ParameterError

TINY = dict(units=(4,), epochs=1, batch_size=128, verbose=0, random_state=0, n_models=1)
H = 3  # one horizon everywhere: the compiled recursion is built once per horizon
FREQS = {"D": "2021-01-01", "MS": "1990-01-01", "h": "2022-06-01 05:00"}


def _make_frame(n_series=50, seed=0):
    """Seasonal series with own level, trend, length, start and frequency (daily/monthly/hourly).

    Returns the long frame and, per id, (freq, start, n_steps) to rebuild labels independently.
    """
    rng = np.random.default_rng(seed)
    pieces, meta = [], {}
    for k in range(n_series):
        freq = list(FREQS)[k % 3]
        n = int(rng.integers(60, 160))
        start = pd.Timestamp(FREQS[freq]) + k * pd.tseries.frequencies.to_offset(freq)
        t = np.arange(n)
        y = 100 + 20 * k + 0.2 * k * t + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
        uid = f"series_{k:02d}"
        ds = pd.date_range(start, periods=n, freq=freq)
        pieces.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
        meta[uid] = (freq, start, n)
    frame = pd.concat(pieces, ignore_index=True)
    return frame.sample(frac=1.0, random_state=0), meta  # row order must not matter


@pytest.fixture(scope="module")
def fitted():
    frame, meta = _make_frame()
    return Forecaster(**TINY).fit(frame), frame, meta


def test_fifty_series_forecast_continues_each_series(fitted):
    f, _, meta = fitted
    # Mixed frequencies: 17 daily (season 7), 17 monthly (12), 16 hourly (24): the most common
    # season is a tie between 7 and 12, broken toward the longer season -> window 2 * 12,
    # capped at a fifth of the median length as for one series.
    median = int(np.median([n for _, _, n in meta.values()]))
    assert f.season_length_ == 12 and f.window_ == min(24, median // 5)
    out = f.forecast(H)
    assert list(out.columns) == ["unique_id", "ds", "Forecaster"]
    assert len(out) == 50 * H
    assert out["unique_id"].unique().tolist() == list(f.series_)  # order of first appearance
    for uid, (freq, start, n) in meta.items():
        rows = out[out["unique_id"] == uid]
        expected = pd.date_range(start, periods=n + H, freq=freq)[n:]
        assert pd.DatetimeIndex(rows["ds"]).equals(pd.DatetimeIndex(expected, freq=None)), uid
        assert f.series_[uid].axis.freq == freq
    assert np.isfinite(out["Forecaster"]).all()


def test_all_series_forecast_in_one_batched_call(fitted):
    f = fitted[0]
    calls = []
    recursion = f._recursion

    def counting(windows, horizon, covariates=None):
        calls.append(windows.shape)
        return recursion(windows, horizon, covariates)

    f._recursion = counting
    try:
        f.forecast(H)
    finally:
        f._recursion = recursion
    assert calls == [(50, f.window_, 1)]


def test_levels_are_per_series(fitted):
    f, frame, _ = fitted
    out = f.forecast(H).groupby("unique_id")["Forecaster"].mean()
    last = frame.sort_values("ds").groupby("unique_id")["y"].last()
    # Levels range from ~100 to ~1,100: per-series scaling puts each forecast near its own
    # series (a shared scaler would pull them together).
    assert np.corrcoef(out[last.index], last)[0, 1] > 0.99


def test_predict_is_teacher_forced_and_long(fitted):
    f, _, meta = fitted
    pred = f.predict()
    assert list(pred.columns) == ["unique_id", "ds", "Forecaster"]
    for uid in ["series_00", "series_01", "series_02"]:
        freq, start, n = meta[uid]
        rows = pred[pred["unique_id"] == uid]
        first = f.window_ + f.series_[uid].transform.diff
        expected = pd.date_range(start, periods=n, freq=freq)[first:]
        assert pd.DatetimeIndex(rows["ds"]).equals(pd.DatetimeIndex(expected, freq=None))


def test_predict_on_steps_that_continue_the_fitted_series(fitted):
    f, _, meta = fitted
    freq, start, n = meta["series_04"]
    new = pd.DataFrame(
        {
            "unique_id": "series_04",
            "ds": pd.date_range(start, periods=n + 3, freq=freq)[n:],
            "y": [500.0, 501.0, 502.0],
        }
    )
    pred = f.predict(new)
    assert pred["ds"].tolist() == new["ds"].tolist()
    with pytest.raises(DataError, match="not fitted"):
        f.predict(new.assign(unique_id="nobody"))


def test_scaler_and_transform_fitted_on_each_series_training_part_only():
    frame, meta = _make_frame(n_series=4, seed=1)
    params = dict(TINY, window=6, val_size=0.2, test_size=10, target_transform="none")
    params["seasonal_adjustment"] = "none"  # raw training values (adjusted: test_one_path)
    a = Forecaster(**params).fit(frame)
    uid = "series_01"
    n_train = a.series_[uid].sizes[0]
    freq, start, n = meta[uid]
    tail = pd.date_range(start, periods=n, freq=freq)[n_train:]
    changed = frame.copy()
    mask = (changed["unique_id"] == uid) & changed["ds"].isin(tail)
    changed.loc[mask, "y"] = changed.loc[mask, "y"] * 50 + 1e4  # validation and test only
    b = Forecaster(**params).fit(changed)
    for name in ("mean_", "scale_"):
        before, after = a.series_[uid].scaler.target_, b.series_[uid].scaler.target_
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))
    assert a.series_[uid].transform == b.series_[uid].transform
    train = frame[frame["unique_id"] == uid].sort_values("ds")["y"].to_numpy()[:n_train]
    np.testing.assert_allclose(a.series_[uid].scaler.target_.mean_, [train.mean()], rtol=1e-5)
    other = "series_02"
    train2 = frame[frame["unique_id"] == other].sort_values("ds")["y"].to_numpy()
    train2 = train2[: a.series_[other].sizes[0]]
    np.testing.assert_allclose(a.series_[other].scaler.target_.mean_, [train2.mean()], rtol=1e-5)


def test_too_short_series_error_names_the_ids():
    frame, _ = _make_frame(n_series=3)
    ds = pd.date_range("2020-01-01", periods=8)
    short = pd.DataFrame({"unique_id": "tiny", "ds": ds, "y": 1.0 + np.arange(8)})
    with pytest.raises(DataError, match=r"1 of 4 series are too short.*'tiny' \(8 steps\)") as err:
        Forecaster(**dict(TINY, window=10)).fit(pd.concat([frame, short]))
    assert "filter(lambda g: len(g) >=" in str(err.value)


def test_custom_column_names_int_time_and_direct_strategy():
    rng = np.random.default_rng(3)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "store": store,
                    "week": np.arange(start, start + n),  # integer time labels
                    "sales": 50 + 10 * store + rng.normal(0, 1, n),
                }
            )
            for store, start, n in [(7, 0, 40), (8, 100, 55)]
        ]
    )
    f = Forecaster(
        **dict(TINY, window=5, horizon=3),
        strategy="direct",
        id_col="store",
        time_col="week",
        target_col="sales",
    ).fit(frame)
    out = f.forecast()
    assert list(out.columns) == ["store", "week", "Forecaster"]
    assert out["store"].tolist() == [7, 7, 7, 8, 8, 8]
    assert out["week"].tolist() == [40, 41, 42, 155, 156, 157]
    with pytest.raises(DataError, match="time column 'week'"):
        f.fit(frame.drop(columns="week"))
    with pytest.raises(DataError, match=r"besides.*Select"):
        f.fit(frame.assign(price=1.0))


def test_save_load_round_trip(fitted, tmp_path):
    f = fitted[0]
    path = tmp_path / "global.keras"
    f.save(path)
    g = Forecaster.load(path)
    pd.testing.assert_frame_equal(g.forecast(H), f.forecast(H))
    pd.testing.assert_frame_equal(g.predict(), f.predict())
    assert list(g.series_) == list(f.series_)
    assert g.get_params() == {**f.get_params(), "callbacks": None}
    pd.testing.assert_frame_equal(g.history_, f.history_)  # columns in their fitted order


def test_one_series_input_is_refused_after_a_long_fit_and_refit_switches_mode(fitted):
    f, frame, _ = fitted
    one = frame[frame["unique_id"] == "series_01"].set_index("ds")["y"].sort_index()
    with pytest.raises(DataError, match="long-format frame"):
        f.update(one)
    with pytest.raises(ParameterError, match="no covariates"):
        f.forecast(2, X=np.zeros((2, 1)))
    g = Forecaster(**dict(TINY, window=6)).fit(frame[frame["unique_id"].isin(["series_01"])])
    assert g.input_kind_ == "long"
    g.fit(one)
    assert g.input_kind_ == "series" and isinstance(g.predict(), pd.Series)
    g.fit(frame[frame["unique_id"].isin(["series_01"])])  # and back: no one-series state left
    assert not any(hasattr(g, name) for name in ("values_", "scaler_", "n_calibration_"))


def test_for_series_is_the_one_series_forecaster_of_the_global_network(fitted):
    f, _, meta = fitted
    out = f.forecast(H)
    for uid in ("series_00", "series_13", "series_26"):  # daily, monthly, hourly
        view = f.for_series(uid)
        assert view.model_ is f.model_ and view.input_kind_ == "series"
        rows = out[out["unique_id"] == uid]
        one = view.forecast(H)
        np.testing.assert_allclose(one.to_numpy(), rows["Forecaster"].to_numpy(), rtol=1e-5)
        assert pd.DatetimeIndex(one.index).equals(pd.DatetimeIndex(rows["ds"]))
        assert len(view.values_) == meta[uid][2]
    bands = f.for_series("series_13").forecast(H, level=80)  # calibrated on its val part
    assert list(bands.columns) == ["y", "y-lo-80", "y-hi-80"]
    assert (bands["y-lo-80"] < bands["y"]).all() and (bands["y"] < bands["y-hi-80"]).all()
    long_bands = f.forecast(H, level=80)  # the same, from the long fit (test_one_path)
    rows = long_bands[long_bands["unique_id"] == "series_13"]
    np.testing.assert_allclose(rows.iloc[:, 2:].to_numpy(), bands.to_numpy(), rtol=1e-5)
    with pytest.raises(DataError, match="No series 'nope'"):
        f.for_series("nope")
    with pytest.raises(ParameterError, match="fitted on one series"):
        f.for_series("series_00").for_series("series_00")


@pytest.fixture(scope="module")
def held_out():
    frame, _ = _make_frame(n_series=4, seed=3)
    return Forecaster(**dict(TINY, window=8, test_size=6)).fit(frame), frame


def test_evaluate_scores_every_series_on_its_own_test_part(held_out):
    f, _ = held_out
    table = f.evaluate()
    assert table.index.names == ["unique_id", "model"]
    assert table.index.get_level_values(0).unique().tolist() == list(f.series_)
    for uid in f.series_:
        own = f.for_series(uid).evaluate()
        np.testing.assert_allclose(table.loc[uid].to_numpy(), own.to_numpy())
        # cross-check: the recursive MAE is the backtest's from the one test origin
        bt = f.for_series(uid).backtest(horizon=6, n_origins=1)
        recursive = table.loc[(uid, "forecaster recursive"), "mae"]
        assert recursive == pytest.approx(bt.summary["mae"].mean(), rel=1e-6)
    means = table.groupby(level="model").mean()
    assert {"forecaster recursive", "seasonal naive recursive"} <= set(means.index)


def test_backtest_runs_every_series_and_averages_their_summaries(held_out):
    from forecastkit.backtest import backtest

    f, frame = held_out
    result = f.backtest(horizon=2, n_origins=5)
    assert list(result.forecasts.columns[:2]) == ["unique_id", "origin"]
    assert result.n_origins == 4 * 5 and len(result.forecasts) == 4 * 5 * 2
    singles = {uid: f.for_series(uid).backtest(horizon=2, n_origins=5) for uid in f.series_}
    expected = pd.concat([r.summary for r in singles.values()]).groupby(level="step").mean()
    pd.testing.assert_frame_equal(result.summary, expected)
    # by default each series' held-out 6 steps: 5 origins of horizon 2 each
    pd.testing.assert_frame_equal(f.backtest(horizon=2).forecasts, result.forecasts)
    with pytest.raises(DataError, match=r"Series '.+': The model never fitted on the last 6"):
        f.backtest(horizon=7)
    rows = result.forecasts[result.forecasts["unique_id"] == "series_02"]
    np.testing.assert_allclose(rows["forecast"], singles["series_02"].forecasts["forecast"])
    # y: a long frame of some fitted ids (here the fitted data itself: it starts with it)
    some = frame[frame["unique_id"].isin(["series_01", "series_03"])]
    part = backtest(f, some, 2, n_origins=5)
    assert part.forecasts["unique_id"].unique().tolist() == ["series_01", "series_03"]
    with pytest.raises(ParameterError, match="refit= is not offered"):
        backtest(f, None, 2, refit=True)
    renamed = frame[frame["unique_id"] == "series_01"].assign(unique_id="other")
    with pytest.raises(DataError, match="not fitted"):
        backtest(f, renamed, 2)
    first = next(iter(f.series_))
    with pytest.raises(DataError, match=f"Series '{first}': `horizon`=500 is too long"):
        f.backtest(horizon=500)


def test_streamed_windows_draw_from_every_series(monkeypatch):
    from forecastkit.training import dataset

    seen = []

    class Spy(dataset.WindowDataset):
        def __init__(self, arrays, **kwargs):
            super().__init__(arrays, **kwargs)
            seen.append((len(arrays), self.n_samples, kwargs["shuffle"]))

    monkeypatch.setattr(dataset, "STREAM_BYTES", 0)  # stream whatever the size
    monkeypatch.setattr(dataset, "WindowDataset", Spy)
    frame, _ = _make_frame(n_series=4, seed=2)
    f = Forecaster(**dict(TINY, window=6, target_transform="none")).fit(frame)
    n_windows = sum(s.sizes[0] - 6 for s in f.series_.values())  # training windows, no diff
    assert seen[0] == (4, n_windows, True)  # training: every series, shuffled
    assert seen[1][0] == 4 and seen[1][2] is False  # validation: every series, in order
    assert len(f.history_) == 1 and np.isfinite(f.predict()["Forecaster"]).all()


def _one_by_one(f, horizon):
    """Each series forecast alone through its own scikit-learn scaler (the reference path)."""
    expected = {}
    for uid, s in f.series_.items():
        tail = s.values[len(s.values) - f.window_ - s.transform.diff :]
        window = s.scaler.transform(s.transform.forward(tail, (0,)))[None]
        z = s.scaler.inverse_transform_targets(f._recursion(window, horizon))
        anchor = s.transform.levels(s.values, (0,))[[-1]]
        expected[uid] = s.transform.inverse(z, anchor)[0, :, 0]
    return expected


@pytest.mark.parametrize("scaler", ["minmax", "arcsinh", "clipped"])
def test_batched_scaling_equals_each_series_own_scaler(scaler):
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

    frame, _ = _make_frame(n_series=6, seed=1)
    # Linear and non-linear scalers (arcsinh; a clipping MinMaxScaler is linear only
    # piecewise, the trending series leave their training range): each series' own scaler
    model = {
        "minmax": MinMaxScaler(),
        "arcsinh": FunctionTransformer(np.arcsinh, np.sinh),
        "clipped": MinMaxScaler(clip=True),
    }[scaler]
    f = Forecaster(**dict(TINY, window=6), scaler=model, seasonal_adjustment="none").fit(frame)
    out = f.forecast(H)
    for uid, expected in _one_by_one(f, H).items():
        got = out.loc[out["unique_id"] == uid, "Forecaster"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda f: f["series"][1].update(id=f["series"][0]["id"]), "is listed twice"),
        (lambda f: f["series"][0].update(season_length=float("inf")), "season_length"),
    ],
    ids=["duplicate-id", "infinite-season"],
)
def test_load_refuses_a_manifest_listing_a_series_twice_or_out_of_range(
    fitted, tmp_path, edit, match
):
    import json
    import zipfile

    from forecastkit.exceptions import ModelFileError

    fitted[0].save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        contents = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(contents["forecastkit.json"])
    edit(doc["fitted"])  # the manifest carries no checksum: an attacker edits it
    contents["forecastkit.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as out:
        for name, data in contents.items():
            out.writestr(name, data)
    with pytest.raises(ModelFileError, match=match):
        Forecaster.load(tmp_path / "bad.keras")


def test_global_fit_from_groups_equals_the_whole_frame(tmp_path):
    """Long frames group by group (a Parquet folder, file by file) fit as the whole frame."""
    pytest.importorskip("pyarrow")
    from forecastkit.data.long import read_parquet_groups

    t = np.arange(40)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": pd.date_range("2024-01-01", periods=40, freq="D"),
                    "y": 10 + k + np.sin(t / 2 + k),
                }
            )
            for k, uid in enumerate(["a", "b", "c"])
        ],
        ignore_index=True,
    )
    frame.iloc[:80].to_parquet(tmp_path / "0.parquet")  # a and b
    frame.iloc[80:].to_parquet(tmp_path / "1.parquet")  # c
    options = {"window": 5, "units": (2,), "epochs": 2, "random_state": 0, "verbose": 0}
    whole = Forecaster(**options).fit(frame)
    grouped = Forecaster(**options).fit(read_parquet_groups(tmp_path))
    assert list(grouped.series_) == ["a", "b", "c"]
    pd.testing.assert_frame_equal(grouped.history_, whole.history_)
    pd.testing.assert_frame_equal(grouped.forecast(3), whole.forecast(3))
