"""Defects found by trying forecastkit as a new user and as an attacker (review of the one path).

Each test pins one defect the review found (session 6), fixed since: tampered model files
that loaded, CLI ids read as numbers, training lost to a missing output folder, ids a model
could not save, ``score(y, y)``, unsorted updates, messages naming the wrong label, option or
layout. The models are tiny (units=(4,), one epoch) and shared per module.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from forecastkit import Forecaster
from forecastkit.cli import main
from forecastkit.exceptions import DataError, ForecastkitError, ModelFileError, ParameterError

TINY = dict(units=(4,), epochs=1, window=5, random_state=0, verbose=0, n_models=1)


def _long(ids=("a", "b"), n=(40, 30)) -> pd.DataFrame:
    parts = []
    for k, (uid, length) in enumerate(zip(ids, n, strict=True)):
        t = np.arange(length)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": pd.date_range("2023-01-01", periods=length, freq="D"),
                    "y": 50 + 10 * k + np.sin(t),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def one() -> Forecaster:
    """A one-series fit on an integer index 0 .. 59."""
    y = pd.Series(50 + np.sin(np.arange(60)), name="y")
    return Forecaster(**TINY).fit(y)


@pytest.fixture(scope="module")
def saved_long(tmp_path_factory) -> str:
    """A long-format fit of two series with a calibration part, saved."""
    path = tmp_path_factory.mktemp("review") / "long.keras"
    Forecaster(**TINY, calibration_size=8).fit(_long()).save(path)
    return str(path)


def _tampered(src: str, dst, edit) -> str:
    """Copy the model file ``src`` to ``dst`` with ``edit(manifest)`` applied to its manifest."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["forecastkit.json"])
    edit(manifest)
    members["forecastkit.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(dst)


def _first_series(manifest: dict) -> dict:
    return manifest["fitted"]["series"][0]


# --------------------------------------------------------------- tampered model files
# Each edit below loads today without complaint; the damage shows later (an out-of-memory
# kill, an IndexError or ValueError traceback, a misleading DataError), or never.
TAMPERED = {
    # forecast(level=...) then builds ~10**9 calibration origins: the process is OOM-killed.
    "n_calibration_huge": lambda m: _first_series(m).__setitem__("n_calibration", 10**9),
    # train part larger than the series: forecast() dies with an IndexError traceback.
    "sizes_beyond_series": lambda m: _first_series(m).__setitem__("sizes", [1000, 6, 0]),
    # backtest() dies with "operands could not be broadcast" (ValueError traceback).
    "season_length_zero": lambda m: _first_series(m).__setitem__("season_length", 0),
    # forecast() then says "Use a transformer that keeps finite values finite".
    "scaler_scale_zero": lambda m: _first_series(m)["scaler_target"]["fitted"][
        "scale_"
    ].__setitem__("__ndarray__", [0.0]),
    # keys forecastkit never writes are ignored instead of refused.
    "extra_top_level_key": lambda m: m.__setitem__("evil", {"a": 1}),
    "extra_series_key": lambda m: _first_series(m).__setitem__("evil", 1),
    # a differencing order of 1.5 is truncated to 1 instead of refused.
    "diff_not_an_int": lambda m: _first_series(m)["transform"].__setitem__("diff", 1.5),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_tampered_manifest_is_refused_at_load(saved_long, tmp_path, case):
    path = _tampered(saved_long, tmp_path / f"{case}.keras", TAMPERED[case])
    with pytest.raises(ModelFileError):
        Forecaster.load(path)


def test_untampered_copy_loads(saved_long, tmp_path):
    """The helper above changes nothing by itself: the defects are the edits'."""
    path = _tampered(saved_long, tmp_path / "same.keras", lambda m: None)
    assert len(Forecaster.load(path).forecast(2)) == 4


# --------------------------------------------------------------- forecast / update
def test_forecast_members_must_be_a_bool(one):
    with pytest.raises(ParameterError, match="members"):
        one.forecast(2, members="no")


def test_update_one_series_with_unsorted_rows(one):
    f = copy.deepcopy(one)
    f.update(pd.Series([50.0, 51.0], index=[61, 60], name="y"))
    assert f.forecast(1).index[0] == 62


def test_update_nan_message_names_the_real_label(one):
    with pytest.raises(DataError, match="label 60"):
        one.update(pd.Series([np.nan], index=[60], name="y"))


# --------------------------------------------------------------- long frames
def test_ids_in_the_index_get_a_message_about_the_id_column():
    frame = _long().set_index("unique_id")
    with pytest.raises(DataError, match=r"reset_index|unique_id"):
        Forecaster(**TINY).fit(frame)


def test_ids_fit_accepts_can_be_saved(tmp_path):
    frame = _long(ids=(1.5, 2.5))
    try:
        f = Forecaster(**TINY).fit(frame)
    except (DataError, ParameterError):
        return  # refused before training: fine
    f.save(tmp_path / "float_ids.keras")
    assert Forecaster.load(tmp_path / "float_ids.keras").forecast(1)["unique_id"].tolist() == [
        1.5,
        2.5,
    ]


# --------------------------------------------------------------- command line
TINY_CLI = ["--units", "4", "--epochs", "1", "--window", "5", "--seed", "0", "--quiet"]


def test_cli_keeps_ids_with_leading_zeros(tmp_path, capsys):
    frame = _long(ids=("007", "008"))
    frame.to_csv(tmp_path / "stores.csv", index=False)
    model = str(tmp_path / "m.keras")
    args = ["--id-col", "unique_id", "--time-col", "ds", *TINY_CLI, "--out", model]
    assert main(["fit", str(tmp_path / "stores.csv"), *args]) == 0
    capsys.readouterr()
    assert main(["forecast", model, "--horizon", "1"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str)
    assert sorted(out["unique_id"]) == ["007", "008"]


def test_cli_fit_checks_the_output_folder_before_training(tmp_path, capsys):
    _long().to_csv(tmp_path / "stores.csv", index=False)
    out = str(tmp_path / "missing" / "m.keras")
    args = ["--id-col", "unique_id", "--time-col", "ds", *TINY_CLI, "--out", out]
    assert main(["fit", str(tmp_path / "stores.csv"), *args]) == 1
    err = capsys.readouterr().err
    assert "trained" not in err and "missing" in err


def test_cli_calibration_error_names_the_cli_option(tmp_path, capsys):
    _long().to_csv(tmp_path / "stores.csv", index=False)
    model = str(tmp_path / "m.keras")
    args = ["--id-col", "unique_id", "--time-col", "ds", *TINY_CLI, "--calibration-size", "8"]
    assert main(["fit", str(tmp_path / "stores.csv"), *args, "--out", model]) == 0
    capsys.readouterr()
    assert main(["forecast", model, "--horizon", "2", "--level", "95"]) == 1
    assert "--calibration-size" in capsys.readouterr().err


# --------------------------------------------------------------- scikit-learn
def test_score_on_the_fitted_series(one):
    y = pd.Series(50 + np.sin(np.arange(60)), name="y")
    try:
        result = one.score(y, y)
    except ForecastkitError:
        return  # a clear refusal of our own is fine
    assert np.isfinite(result)
