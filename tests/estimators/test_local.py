"""LocalForecasters: one independent model per series, fitted in parallel with joblib."""

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster, LocalForecasters, NaiveForecaster
from forecastkit.estimators.local import series_seed
from forecastkit.exceptions import DataError, NotFittedError, ParameterError


def _frame():
    rng = np.random.default_rng(0)
    specs = [
        ("a", "D", 40, "2020-01-01"),
        ("b", "MS", 30, "2000-01-01"),
        ("c", "h", 50, "2021-03-01"),
    ]
    pieces = []
    for k, (uid, freq, n, start) in enumerate(specs):
        t = np.arange(n)
        y = 10 + 5 * k + np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.1, n)
        ds = pd.date_range(start, periods=n, freq=freq)
        pieces.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(pieces, ignore_index=True)


@pytest.fixture(scope="module")
def fitted_in_process():
    """The reference: every series fitted in this process (n_jobs=1)."""
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    template = Forecaster(
        window=6, units=(4,), epochs=1, verbose=0, optimizer=optimizer, n_models=1
    )
    return template, LocalForecasters(template, n_jobs=1, random_state=0).fit(_frame())


def test_n_jobs_2_gives_exactly_the_forecasts_of_n_jobs_1(fitted_in_process):
    frame = _frame()
    import keras

    template, one = fitted_in_process
    two = LocalForecasters(template, n_jobs=2, random_state=0).fit(frame)
    assert one.seeds_ == two.seeds_ and len(set(one.seeds_.values())) == 3
    a, b = one.forecast(3), two.forecast(3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.columns) == ["unique_id", "ds", "LocalForecasters"]
    assert a["ds"].tolist()[-3:] == list(pd.date_range("2021-03-01", periods=53, freq="h")[50:])
    # each clone is an independent model fitted on its own series, with its own seed
    assert one.estimators_["a"].model_ is not one.estimators_["b"].model_
    assert one.estimators_["b"].random_state == series_seed(0, "b")
    assert template.random_state is None  # the template is cloned, never modified
    # the workers' estimators come back whole: the optimizer instance, not its name
    assert isinstance(two.estimators_["a"].optimizer, keras.optimizers.SGD)


def test_seed_depends_on_base_and_id_only():
    assert series_seed(0, "a") == series_seed(0, "a")
    assert len({series_seed(0, "a"), series_seed(1, "a"), series_seed(0, "b")}) == 3
    assert series_seed(0, 1) != series_seed(0, "1")


def test_any_forecaster_as_template_matches_fitting_each_series():
    frame = _frame()
    local = LocalForecasters(NaiveForecaster(strategy="last")).fit(frame)
    out = local.forecast(2)
    for uid, group in frame.groupby("unique_id"):
        last = group["y"].iloc[-1]
        np.testing.assert_allclose(out.loc[out["unique_id"] == uid, "LocalForecasters"], last)
    assert len(local.predict()) > 0


def test_errors():
    with pytest.raises(NotFittedError):
        LocalForecasters().forecast(2)
    with pytest.raises(ParameterError, match="long-format DataFrame"):
        LocalForecasters().fit(pd.Series([1.0, 2.0]))
    with pytest.raises(ParameterError, match="forecast"):
        LocalForecasters(estimator=object()).fit(_frame())


@pytest.fixture(scope="module")
def saved_pair():
    frame = _frame()
    frame["unique_id"] = frame["unique_id"].map({"a": 7, "b": "7", "c": "c"})  # 7 is not "7"
    template = Forecaster(window=6, units=(2,), epochs=1, verbose=0, n_models=1)
    return template, LocalForecasters(template, random_state=3).fit(frame)


def test_save_load_round_trip_keeps_every_series_model(saved_pair, tmp_path):
    template, local = saved_pair
    path = tmp_path / "local.zip"
    local.save(path)
    loaded = LocalForecasters.load(path)
    assert list(loaded.estimators_) == [7, "7", "c"] and loaded.seeds_ == local.seeds_
    pd.testing.assert_frame_equal(loaded.forecast(3), local.forecast(3), check_exact=True)
    pd.testing.assert_frame_equal(loaded.predict(), local.predict(), check_exact=True)
    assert loaded.get_params()["random_state"] == 3
    assert loaded.estimator.get_params() == {**template.get_params(), "callbacks": None}
    local.save(path)  # replaced in place
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]  # nothing left


def test_save_load_refusals(saved_pair, tmp_path):
    from forecastkit.exceptions import ModelFileError

    with pytest.raises(NotFittedError):
        LocalForecasters().save(tmp_path / "x.zip")
    naive = LocalForecasters(NaiveForecaster()).fit(_frame())
    with pytest.raises(ParameterError, match="NaiveForecaster has no save/load"):
        naive.save(tmp_path / "naive.zip")
    local = LocalForecasters(Forecaster(window=6, units=(2,), epochs=1, verbose=0, n_models=1))
    local.estimators_ = {1.5: None}  # the ids are checked before any model is saved
    local.seeds_ = {1.5: 0}
    with pytest.raises(ParameterError, match=r"strings or integers to be saved; got \[1\.5\]"):
        local.save(tmp_path / "floats.zip")
    assert not (tmp_path / "floats.zip").exists()
    local = saved_pair[1]
    with pytest.raises(ParameterError, match=r"must end in '\.zip'"):
        local.save(tmp_path / "local.keras")
    path = tmp_path / "local.zip"
    local.save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # flip a byte inside a member
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        LocalForecasters.load(tampered)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        LocalForecasters.load(truncated)
    with pytest.raises(ModelFileError, match="No saved bundle"):
        LocalForecasters.load(tmp_path / "missing.zip")
    single = tmp_path / "single.keras"
    local.estimators_["c"].save(single)
    with pytest.raises(ModelFileError):
        LocalForecasters.load(single)


def test_dask_cluster_gives_exactly_the_forecasts_of_n_jobs_1(fitted_in_process):
    """Two Dask worker processes (a LocalCluster started here) fit the series."""
    distributed = pytest.importorskip("distributed")  # the `cluster` extra
    template, one = fitted_in_process
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = LocalForecasters(template, backend="dask", random_state=0).fit(_frame())
        # the fits ran as tasks of the cluster's workers (joblib may batch several)
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(ran) == 2 and sum(ran.values()) >= 1
    pd.testing.assert_frame_equal(on_dask.forecast(3), one.forecast(3), check_exact=True)
    assert on_dask.seeds_ == one.seeds_
    assert isinstance(on_dask.estimators_["a"].optimizer, type(template.optimizer))


def test_dask_cluster_of_one_thread_still_fits_there():
    """One worker thread is one job for joblib, yet the fits must run on the cluster."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        LocalForecasters(NaiveForecaster(), backend="dask").fit(_frame())
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert sum(ran.values()) >= 1


def test_backend_refusals():
    with pytest.raises(ParameterError, match="there is none: create one first"):
        LocalForecasters(NaiveForecaster(), backend="dask").fit(_frame())
    with pytest.raises(ParameterError, match="not a joblib backend"):
        LocalForecasters(NaiveForecaster(), backend="spark-ish").fit(_frame())
    with pytest.raises(ParameterError, match="joblib backend name"):
        LocalForecasters(NaiveForecaster(), backend=3).fit(_frame())


def test_parquet_folder_is_fitted_group_by_group_as_the_whole_frame(tmp_path):
    pytest.importorskip("pyarrow")  # the `parquet` extra
    from forecastkit.data.long import read_parquet_groups

    frame = _frame()
    for k, (_, part) in enumerate(frame.groupby("unique_id")):  # one file per series
        part.to_parquet(tmp_path / f"part-{k}.parquet")
    template = NaiveForecaster(strategy="seasonal", season_length=3)
    whole = LocalForecasters(template, random_state=0).fit(frame)
    seen = []

    def groups():
        for group in read_parquet_groups(tmp_path):
            seen.append(sorted(group["unique_id"].unique()))
            yield group

    grouped = LocalForecasters(template, random_state=0).fit(groups())
    assert seen == [["a"], ["b"], ["c"]]  # read one file at a time
    pd.testing.assert_frame_equal(grouped.forecast(4), whole.forecast(4), check_exact=True)
    assert grouped.seeds_ == whole.seeds_


def test_groups_refusals(tmp_path):
    pytest.importorskip("pyarrow")
    from forecastkit.data.long import read_parquet_groups

    frame = _frame()
    with pytest.raises(DataError, match=r"Series 'a' appears in two groups \(again in group 1\)"):
        LocalForecasters(NaiveForecaster()).fit([frame, frame[frame["unique_id"] == "a"]])
    with pytest.raises(DataError, match="hold no series"):
        LocalForecasters(NaiveForecaster()).fit(iter([]))
    with pytest.raises(ParameterError, match="list or iterator of such frames"):
        LocalForecasters(NaiveForecaster()).fit(str(tmp_path))
    with pytest.raises(ParameterError, match="list or iterator of such frames"):
        LocalForecasters(NaiveForecaster()).fit([frame.to_numpy()])
    with pytest.raises(DataError, match="group 1 is a ndarray"):
        LocalForecasters(NaiveForecaster()).fit(iter([frame, frame.to_numpy()]))
    frame.iloc[:50].to_parquet(tmp_path / "one.parquet")  # series "b" is cut in two
    frame.iloc[50:].to_parquet(tmp_path / "two.parquet")
    with pytest.raises(DataError, match=r"Series 'b' appears in .*one\.parquet.*two\.parquet"):
        list(read_parquet_groups(tmp_path))
    with pytest.raises(DataError, match=r"no column\(s\) \['sales'\]"):
        next(read_parquet_groups(tmp_path, target_col="sales"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="holds no Parquet file"):
        next(read_parquet_groups(tmp_path / "empty"))
