"""The command line on long-format files (``--id-col``), ``forecast --level``, ``update``, ``info``.

Everything runs in-process through ``main`` (TensorFlow is imported once for the module), and
the two fitted models (one series, long format) are shared by module-scoped fixtures.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecastkit.cli import main, read_series
from forecastkit.exceptions import ForecastkitError
from forecastkit.persistence import FORMAT_MINOR, FORMAT_VERSION

TINY = ["--units", "4", "--epochs", "1", "--window", "6", "--seed", "0", "--quiet"]
TINY += ["--n-models", "1"]  # one network: the CLI is under test, not ensembles
# Series "a": 2015-01 .. 2018-12 (48 months); "b": 2016-01 .. 2018-06 (30 months).
STARTS = {"a": ("2015-01-01", 48), "b": ("2016-01-01", 30)}


def _values(n: int, seed: int) -> np.ndarray:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 1, n)
    return 50 + 10 * seed + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + noise


def _long(extra: int = 0) -> pd.DataFrame:
    """The long frame of both series; ``extra`` > 0: only the next ``extra`` months of "b"."""
    parts = []
    for seed, (uid, (start, n)) in enumerate(STARTS.items()):
        ds = pd.date_range(start, periods=n + extra, freq="MS")
        y = _values(n + extra, seed)
        part = pd.DataFrame({"unique_id": uid, "ds": ds.strftime("%Y-%m-%d"), "y": y})
        parts.append(part.iloc[n:] if extra else part)
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["unique_id"] == "b"] if extra else frame


def _run(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-long")


@pytest.fixture(scope="module")
def long_csv(folder) -> Path:
    path = folder / "long.csv"
    _long().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def long_model(folder, long_csv) -> Path:
    out = folder / "long.keras"
    argv = ["fit", long_csv, "--time-col", "ds", "--id-col", "unique_id", *TINY, "--out", out]
    assert main([str(a) for a in argv]) == 0
    return out


@pytest.fixture(scope="module")
def one_csv(folder) -> Path:
    """Series "a" alone, without its last 6 months (they come through `update`)."""
    path = folder / "one.csv"
    _long().query("unique_id == 'a'")[["ds", "y"]].iloc[:-6].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def one_model(folder, one_csv) -> Path:
    out = folder / "one.keras"
    argv = ["fit", one_csv, "--time-col", "ds", *TINY, "--calibration-size", "8", "--out", out]
    assert main([str(a) for a in argv]) == 0
    return out


# ------------------------------------------------------------------ reading long files
def test_id_col_reads_a_long_frame_and_integer_times_stay_integers(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("unique_id,ds,y\na,1,1.5\na,2,2.5\nb,1,7\nb,2,8\nb,3,9\n")
    frame = read_series(path, time_col="ds", id_col="unique_id")
    assert list(frame.columns) == ["unique_id", "ds", "y"] and len(frame) == 5
    assert frame["ds"].tolist() == [1, 2, 1, 2, 3]  # not nanoseconds after 1970
    assert frame["y"].tolist() == [1.5, 2.5, 7, 8, 9]
    years = tmp_path / "years.csv"
    years.write_text("year,y\n2019,1\n2020,2\n2021,3\n")
    assert read_series(years, time_col="year").index.tolist() == [2019, 2020, 2021]


def test_ids_are_read_as_written(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("unique_id,ds,y\n007,1,1\n007,2,2\n7,1,3\n7,2,4\n")
    ids = read_series(path, time_col="ds", id_col="unique_id")["unique_id"]
    assert ids.tolist() == ["007", "007", "7", "7"]  # two series, not one series 7
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"unique_id": [7, 7, 8], "ds": [1, 2, 1], "y": [1.0, 2.0, 3.0]})
    frame.to_parquet(tmp_path / "long.parquet")
    read = read_series(tmp_path / "long.parquet", time_col="ds", id_col="unique_id")
    assert read["unique_id"].tolist() == ["7", "7", "8"]  # as a CSV of the same ids reads


def test_update_matches_text_ids_to_the_integer_ids_of_a_python_fit(folder, capsys):
    from forecastkit import Forecaster

    frame = _long()
    frame["unique_id"] = frame["unique_id"].map({"a": 7, "b": 8})
    frame["ds"] = pd.to_datetime(frame["ds"])
    model = folder / "int_ids.keras"
    Forecaster(units=(4,), epochs=1, window=6, random_state=0, verbose=0).fit(frame).save(model)
    new = folder / "new_8.csv"
    _long(extra=2).replace({"unique_id": {"b": "8"}}).to_csv(new, index=False)
    code, _, err = _run(["update", model, new, "--out", folder / "int_ids2.keras"], capsys)
    assert code == 0, err
    assert Forecaster.load(folder / "int_ids2.keras").for_series(8).time_axis_.n_steps == 32


def test_a_long_parquet_file_with_float_ids_reads_them_as_text(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "long.parquet"
    frame = _long()
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["unique_id"] = frame["unique_id"].map({"a": 1.0, "b": 2.5})  # floats: not savable
    frame.to_parquet(path)
    read = read_series(path, time_col="ds", id_col="unique_id")
    assert sorted(set(read["unique_id"])) == ["1.0", "2.5"]  # text ids, which a model saves
    assert read["ds"].tolist() == frame["ds"].tolist()


def test_a_long_file_without_id_col_names_the_option(long_csv, tmp_path, capsys):
    out = tmp_path / "m.keras"
    code, _, err = _run(["fit", long_csv, "--time-col", "ds", "--out", out], capsys)
    assert code == 1 and "--target" in err and "--id-col unique_id" in err
    code, _, err = _run(
        ["fit", long_csv, "--time-col", "ds", "--target", "y", "--out", out], capsys
    )
    assert code == 1 and "duplicate time stamps" in err and "--id-col unique_id" in err
    assert not out.exists()


def test_duplicate_times_without_an_id_like_column_get_no_id_col_hint(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("ds,y,note\n2024-01-01,1,x\n2024-01-01,2,x\n2024-02-01,3,y\n")
    series = read_series(path, time_col="ds", target="y")  # the fit names the duplicates
    assert series.index.has_duplicates


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--id-col", "unique_id"], "needs --time-col"),
        (["--id-col", "series", "--time-col", "ds"], "--id-col 'series' is not a column"),
        (["--id-col", "unique_id", "--time-col", "ds", "--target", "y,z"], "one value column"),
    ],
)
def test_long_format_option_errors_exit_1_before_any_fit(tmp_path, capsys, options, message):
    path = tmp_path / "l.csv"
    path.write_text("unique_id,ds,y,z\na,2024-01-01,1,2\n")
    code, _, err = _run(["fit", path, *options, "--out", tmp_path / "m.keras"], capsys)
    assert code == 1 and message in err, err
    assert err.count("\n") == 1  # one line, no training output


def test_backtest_refit_with_id_col_is_refused_before_fitting(long_csv, capsys):
    argv = ["backtest", long_csv, "--time-col", "ds", "--id-col", "unique_id", "--test-size", "6"]
    code, _, err = _run([*argv, "--refit", "2"], capsys)
    assert code == 1 and "--refit is not offered with --id-col" in err
    assert err.count("\n") == 1  # refused before reading or fitting


# ---------------------------------------------------------------- long-format model
def test_long_forecast_continues_each_series_as_long_csv(long_model, tmp_path, capsys):
    code, out, err = _run(["forecast", long_model, "--horizon", "3"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), parse_dates=["ds"])
    assert list(frame.columns) == ["unique_id", "ds", "Forecaster"]
    for uid, (start, n) in STARTS.items():
        expected = pd.date_range(start, periods=n + 3, freq="MS")[n:]
        assert list(frame.loc[frame["unique_id"] == uid, "ds"]) == list(expected)
    assert np.isfinite(frame["Forecaster"]).all()
    png = tmp_path / "f.png"
    code, _, err = _run(["forecast", long_model, "--plot", png], capsys)
    assert code == 1 and "--plot draws one series" in err and not png.exists()


def test_long_forecast_with_levels(long_model, capsys):
    code, out, err = _run(["forecast", long_model, "--horizon", "2", "--level", "50"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [
        "unique_id",
        "ds",
        "Forecaster",
        "Forecaster-lo-50",
        "Forecaster-hi-50",
    ]
    assert (frame["Forecaster-lo-50"] <= frame["Forecaster"]).all()
    assert (frame["Forecaster"] <= frame["Forecaster-hi-50"]).all()


def test_long_evaluate_and_backtest_report_every_series(long_csv, tmp_path, capsys):
    data = [long_csv, "--time-col", "ds", "--id-col", "unique_id", *TINY, "--test-size", "6"]
    code, out, err = _run(["evaluate", *data], capsys)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["unique_id", "model", "mae", "rmse", "smape", "mase"]
    assert set(table["unique_id"]) == set(STARTS)
    assert {"forecaster recursive", "seasonal naive recursive"} <= set(table["model"])
    forecasts = tmp_path / "bt.csv"
    code, out, err = _run(["backtest", *data, "--horizon", "3", "--forecasts", forecasts], capsys)
    assert code == 0, err
    assert list(pd.read_csv(io.StringIO(out), index_col=0).index) == [1, 2, 3]
    written = pd.read_csv(forecasts)
    assert written.columns[0] == "unique_id" and set(written["unique_id"]) == set(STARTS)
    assert len(written) == len(STARTS) * 4 * 3  # origins 1..4 of each 6-step test part
    assert "4 origins x 3 steps in the last 6 steps of each of 2 series" in err


def test_info_describes_a_long_model(long_model, capsys):
    import keras

    from forecastkit import __version__

    code, out, err = _run(["info", long_model, "--json"], capsys)
    assert code == 0, err
    info = json.loads(out)
    assert info["n_series"] == 2 and info["ids"] == ["a", "b"]
    assert info["versions"]["keras"] == keras.__version__
    assert info["versions"]["forecastkit"] == __version__
    assert info["format"] == f"forecastkit {FORMAT_VERSION}.{FORMAT_MINOR}"
    assert info["changed_params"]["units"] == [4] and info["changed_params"]["window"] == 6
    assert "epochs" not in info["changed_params"] or info["changed_params"]["epochs"] == 1
    assert info["fitted"]["window"] == 6 and info["fitted"]["epochs_run"] >= 1
    assert info["fitted"]["columns"] == {"id_col": "unique_id", "time_col": "ds", "target_col": "y"}
    b = info["series"][1]
    assert (b["id"], b["n_steps"], b["first"], b["last"], b["freq"]) == (
        "b",
        30,
        "2016-01-01",
        "2018-06-01",
        "MS",
    )
    code, text, _ = _run(["info", long_model], capsys)
    assert code == 0
    assert "series: 2 (ids 'a', 'b')" in text and f"keras {keras.__version__}" in text
    assert "long format" in text and "first 2016-01-01, last 2018-06-01" in text


def test_update_appends_to_some_series_of_a_long_model(long_model, folder, capsys):
    new = folder / "new_b.csv"
    _long(extra=2).to_csv(new, index=False)  # two more months of "b" only
    out = folder / "long_updated.keras"
    code, _, err = _run(["update", long_model, new, "--out", out], capsys)
    assert code == 0, err
    code, text, err = _run(["forecast", out, "--horizon", "1"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(text), index_col="unique_id")
    assert frame.loc["b", "ds"] == "2018-09-01"  # after the 2 new months (07, 08)
    assert frame.loc["a", "ds"] == "2019-01-01"  # unchanged


# ------------------------------------------------------------------ one-series model
def test_forecast_level_writes_interval_columns(one_model, capsys):
    code, out, err = _run(["forecast", one_model, "--horizon", "2", "--level", "80", "50"], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), index_col="ds")
    assert list(frame.columns) == ["y", "y-lo-50", "y-hi-50", "y-lo-80", "y-hi-80"]
    ordered = frame[["y-lo-80", "y-lo-50", "y", "y-hi-50", "y-hi-80"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    code, _, err = _run(["forecast", one_model, "--level", "0.9"], capsys)
    assert code == 1 and "level" in err  # a fraction meant as a percent


def test_update_appends_without_refitting_and_writes_atomically(
    one_model, folder, tmp_path, capsys
):
    new = folder / "one_new.csv"
    _long().query("unique_id == 'a'")[["ds", "y"]].iloc[-6:].to_csv(new, index=False)
    before = pd.read_csv(io.StringIO(_run(["forecast", one_model], capsys)[1]))
    assert before["ds"].iloc[0] == "2018-07-01"

    out = tmp_path / "updated.keras"
    code, _, err = _run(["update", one_model, new, "--out", out], capsys)  # --time-col: model's
    assert code == 0, err
    assert "appended 6 steps" in err and "2018-12-01" in err
    code, text, _ = _run(["forecast", out, "--horizon", "2"], capsys)
    assert pd.read_csv(io.StringIO(text))["ds"].tolist() == ["2019-01-01", "2019-02-01"]

    # The same file again: it overlaps the updated series; nothing is written.
    kept = out.read_bytes()
    code, _, err = _run(["update", out, new, "--out", out, "--force"], capsys)
    assert code == 1 and "overlaps" in err
    assert out.read_bytes() == kept
    # An existing --out needs --force, even the model itself; then it is replaced in place.
    code, _, err = _run(["update", one_model, new, "--out", out], capsys)
    assert code == 1 and "--force" in err and out.read_bytes() == kept
    in_place = tmp_path / "in_place.keras"
    in_place.write_bytes(one_model.read_bytes())
    assert main(["update", str(in_place), str(new), "--out", str(in_place), "--force"]) == 0
    capsys.readouterr()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]
    code, text, _ = _run(["info", in_place, "--json"], capsys)
    series = json.loads(text)["series"][0]
    assert (series["n_steps"], series["appended_steps"], series["last"]) == (48, 6, "2018-12-01")


def test_info_describes_a_one_series_model(one_model, capsys):
    code, out, err = _run(["info", one_model], capsys)
    assert code == 0, err
    assert "input: one series" in out and "series: 1" in out
    assert "first 2015-01-01, last 2018-06-01, freq MS" in out
    assert "intervals calibrate on: calibration part (8 steps)" in out
    assert "calibration_size=8" in out and "units=[4]" in out
    code, every, _ = _run(["info", one_model, "--all-params"], capsys)
    assert "parameters (all)" in every and "batch_size=32" in every
    info = json.loads(_run(["info", one_model, "--json"], capsys)[1])
    assert info["params"]["batch_size"] == 32 and "batch_size" not in info["changed_params"]
    assert info["series"][0]["calibration_steps"] == 8 and "id" not in info["series"][0]


def test_info_refuses_what_is_not_a_model(tmp_path, capsys):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    code, _, err = _run(["info", text], capsys)
    assert code == 1 and "is not a forecastkit model" in err and err.count("\n") == 1
    code, _, err = _run(["info", tmp_path / "missing.keras"], capsys)
    assert code == 1 and "no model file" in err


def test_update_needs_a_keras_out_and_an_existing_model(one_csv, tmp_path, capsys):
    code, _, err = _run(["update", tmp_path / "m.keras", one_csv, "--out", "x.h5"], capsys)
    assert code == 1 and "--out must end in .keras" in err
    code, _, err = _run(
        ["update", tmp_path / "m.keras", one_csv, "--out", tmp_path / "o.keras"], capsys
    )
    assert code == 1 and "no model file" in err
    missing = tmp_path / "missing" / "o.keras"
    code, _, err = _run(["update", tmp_path / "m.keras", one_csv, "--out", missing], capsys)
    assert code == 1 and "does not exist; create it first" in err  # before reading anything
    with pytest.raises(SystemExit) as info:  # --out is required: no silent in-place change
        main(["update", "m.keras", str(one_csv)])
    assert info.value.code == 2
    capsys.readouterr()


def test_read_series_errors_are_forecastkit_errors(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("unique_id,ds,y\na,2024-01-01,1\n")
    with pytest.raises(ForecastkitError, match="needs --time-col"):
        read_series(path, id_col="unique_id")
