"""The ``forecastkit`` command line, run as the installed console script in subprocesses.

Each subprocess that trains or loads a model imports TensorFlow (several seconds), so the
round trip shares one fitted model and the error cases that fail before TensorFlow is
needed run in-process.
"""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecastkit.cli import main

SCRIPT = shutil.which("forecastkit") or str(Path(sys.executable).parent / "forecastkit")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
TINY = ["--units", "4", "--epochs", "1", "--window", "6", "--seed", "0", "--n-models", "1"]


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    """60 monthly points of a trending seasonal series, 2015-01 .. 2019-12."""
    t = np.arange(60)
    y = 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)
    path = tmp_path_factory.mktemp("data") / "sales.csv"
    frame = pd.DataFrame(
        {"ds": pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"), "y": y}
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_path(data_csv) -> Path:
    out = data_csv.parent / "model.keras"
    result = run_cli("fit", data_csv, "--time-col", "ds", "--target", "y", *TINY, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # Keras's epoch lines went to stderr
    assert "Epoch" in result.stderr or "loss" in result.stderr
    return out


def test_fit_then_forecast_round_trip(model_path, tmp_path):
    assert model_path.is_file()
    csv, png = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    result = run_cli("forecast", model_path, "--horizon", "12", "--output", csv, "--plot", png)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    forecast = pd.read_csv(csv, parse_dates=["ds"])
    assert list(forecast.columns) == ["ds", "y"]
    expected = pd.date_range("2020-01-01", periods=12, freq="MS")
    assert list(forecast["ds"]) == list(expected)
    assert np.isfinite(forecast["y"]).all()
    assert png.stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]

    # Without --output the CSV goes to stdout; existing outputs need --force.
    again = run_cli("forecast", model_path, "--horizon", "3")
    assert again.returncode == 0, again.stderr
    lines = again.stdout.strip().splitlines()
    assert lines[0] == "ds,y" and lines[1].startswith("2020-01-01,") and len(lines) == 4
    refused = run_cli("forecast", model_path, "--horizon", "3", "--output", csv)
    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert len(pd.read_csv(csv)) == 12  # untouched


def test_demo_quick_writes_outputs_and_prints_both_models(tmp_path):
    result = run_cli("demo", "--quick", "--out-dir", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout), index_col="model")
    assert {"forecaster one-step", "forecaster recursive"} <= set(table.index)
    assert {"seasonal naive one-step", "seasonal naive recursive"} <= set(table.index)
    assert list(table.columns) == ["mae", "rmse", "smape", "mase"]
    forecast = pd.read_csv(tmp_path / "demo" / "forecast.csv", parse_dates=["month"])
    assert len(forecast) == 12 and forecast["month"].iloc[0] == pd.Timestamp("1961-01-01")
    assert (tmp_path / "demo" / "forecast.png").stat().st_size > 0


def test_help_and_version_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "from forecastkit.cli import main\n"
        "for argv in (['--help'], ['--version'], ['fit', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, e.code\n"
        "print('TF', 'tensorflow' in sys.modules or 'keras' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "TF False" in result.stderr
    assert "forecastkit" in result.stdout and "fit" in result.stdout


# Records TF_CPP_MIN_LOG_LEVEL at the moment TensorFlow is first imported.
TF_LEVEL_SPY = """
import builtins, os, sys
real_import, seen = builtins.__import__, []
def spy(name, *args, **kwargs):
    if name.split(".")[0] == "tensorflow" and not seen:
        seen.append(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
    return real_import(name, *args, **kwargs)
builtins.__import__ = spy
from forecastkit.cli import main
code = main(sys.argv[1:])
print("exit", code, "level at TensorFlow import:", seen[0] if seen else "never", file=sys.stderr)
"""


def test_tensorflow_cpp_logs_quieted_before_import_unless_user_chose(model_path, monkeypatch):
    env = {k: v for k, v in ENV.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    argv = ["forecast", str(model_path), "--horizon", "2"]
    result = subprocess.run(
        [sys.executable, "-c", TF_LEVEL_SPY, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "exit 0 level at TensorFlow import: 2" in result.stderr, result.stderr[-2000:]
    assert "cpu_feature_guard" not in result.stderr  # TF's C++ info lines stay hidden
    for noise in ("cudart_stub", "cuInit", "absl::InitializeLog"):  # CUDA stubs' start-up
        assert noise not in result.stderr, result.stderr[-2000:]
    assert "wrote" not in result.stderr and result.stdout.count("\n") == 3  # forecast on stdout
    from forecastkit import cli

    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # the user's choice wins
    cli._quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_console_script_version_and_usage_error():
    from forecastkit import __version__

    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"forecastkit {__version__}"
    usage = run_cli("fit")  # missing DATA and --out
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


def test_missing_file_exits_1_with_one_line(tmp_path):
    result = run_cli("fit", tmp_path / "nope.csv", "--out", tmp_path / "m.keras")
    assert result.returncode == 1
    assert result.stderr.startswith("forecastkit: error: ")
    assert "nope.csv" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--target", "sales", "--target 'sales'"), ("--time-col", "when", "--time-col 'when'")],
)
def test_bad_column_exits_1(data_csv, tmp_path, capsys, option, value, message):
    args = ["fit", str(data_csv), "--time-col", "ds", "--target", "y", option, value]
    assert main([*args, "--out", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("forecastkit: error: ") and message in err and "['ds', 'y']" in err


def test_existing_output_needs_force(data_csv, tmp_path, capsys):
    out = tmp_path / "m.keras"
    out.write_bytes(b"keep me")
    assert main(["fit", str(data_csv), "--time-col", "ds", *TINY, "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    (tmp_path / "forecast.csv").write_text("keep")
    assert main(["demo", "--quick", "--out-dir", str(tmp_path)]) == 1
    assert (tmp_path / "forecast.csv").read_text() == "keep"


def test_unreadable_inputs_exit_1(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["evaluate", str(empty), "--test-size", "12"]) == 1
    assert "cannot read" in capsys.readouterr().err
    dates = tmp_path / "dates.csv"
    dates.write_text("ds,y\nnot a date,1\nnor this,2\n")
    assert main(["fit", str(dates), "--time-col", "ds", "--out", str(tmp_path / "m.keras")]) == 1
    assert "cannot parse column 'ds'" in capsys.readouterr().err
    two = tmp_path / "two.csv"
    two.write_text("ds,a,b\n2020-01-01,1,2\n")
    assert main(["fit", str(two), "--time-col", "ds", "--out", str(tmp_path / "m.keras")]) == 1
    assert "--target" in capsys.readouterr().err
    assert main(["fit", str(two), "--out", str(tmp_path / "m.h5")]) == 1
    assert "must end in .keras" in capsys.readouterr().err


def test_parquet_without_pyarrow_names_the_extra(tmp_path, capsys, monkeypatch):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    assert main(["fit", str(path), "--out", str(tmp_path / "m.keras")]) == 1
    assert "pip install forecastkit[parquet]" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(Exception, match="no data file"):
        main(["--debug", "fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m.keras")])
    with pytest.raises(Exception, match="no data file"):
        main(["fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m.keras"), "--debug"])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["fit", "data.csv"],  # --out is required
        ["fit", "data.csv", "--out", "m.keras", "--units", "a,b"],
        ["fit", "data.csv", "--out", "m.keras", "--window", "0"],
        ["evaluate", "data.csv"],  # --test-size is required
        ["forecast", "m.keras", "--horizon", "-1"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_forecast_refuses_a_plot_format_before_writing_anything(model_path, tmp_path, capsys):
    out, plot = tmp_path / "o.csv", tmp_path / "p.txt"
    argv = [
        "forecast",
        str(model_path),
        "--horizon",
        "2",
        "--output",
        str(out),
        "--plot",
        str(plot),
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "'txt'" in captured.err and ".png" in captured.err and captured.out == ""
    assert not out.exists() and not plot.exists()  # fixed --plot, the same command runs
    assert main([*argv[:-1], str(tmp_path / "p.png")]) == 0


def test_backtest_refuses_a_horizon_longer_than_test_size_before_fitting(
    data_csv, capsys, monkeypatch
):
    from forecastkit import cli

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before the refusal")

    monkeypatch.setattr(cli, "_fit", no_fit)
    argv = ["backtest", str(data_csv), "--time-col", "ds", *TINY, "--test-size", "4"]
    assert main([*argv, "--horizon", "5"]) == 1
    assert "--test-size 4 holds 4 steps, fewer than --horizon 5" in capsys.readouterr().err


def test_backtest_prints_summary_by_step_and_writes_forecasts(data_csv, tmp_path, capsys):
    out = tmp_path / "bt.csv"
    argv = ["backtest", str(data_csv), "--time-col", "ds", *TINY, "--test-size", "12"]
    code = main([*argv, "--horizon", "3", "--forecasts", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = pd.read_csv(io.StringIO(captured.out), index_col=0)
    assert list(summary.index) == [1, 2, 3]
    assert {"mae", "rmse", "mase", "naive_mae", "naive_mase"} <= set(summary.columns)
    forecasts = pd.read_csv(out)
    assert len(forecasts) == 10 * 3  # origins 48..57: every origin inside the held-out part
    assert pd.to_datetime(forecasts["label"]).min() >= pd.Timestamp("2019-01-01")
    assert "10 origins x 3 steps" in captured.err
    assert main([*argv, "--horizon", "3", "--forecasts", str(out)]) == 1  # exists, no --force
    assert "--force" in capsys.readouterr().err
    assert main([*argv, "--horizon", "13"]) == 1
    assert "fewer than --horizon" in capsys.readouterr().err


def test_fit_with_resume_dir_and_log_dir(data_csv, tmp_path, capsys):
    out, resume, logs = tmp_path / "m.keras", tmp_path / "resume", tmp_path / "logs"
    argv = ["fit", str(data_csv), "--time-col", "ds", *TINY, "--out", str(out)]
    assert main([*argv, "--resume-dir", str(resume), "--log-dir", str(logs)]) == 0, (
        capsys.readouterr().err
    )
    [run] = logs.iterdir()  # one TensorBoard run for the one fit
    assert run.name.startswith("run-") and list(run.glob("train/events.out.tfevents.*"))
    assert resume.is_dir() and not (resume / "forecastkit-backup").exists()  # completed
    from forecastkit import Forecaster

    loaded = Forecaster.load(out)
    assert loaded.resume_dir is None and loaded.log_dir is None  # run-time paths not saved


@pytest.mark.parametrize("command", ["evaluate", "backtest"])
def test_evaluate_and_backtest_take_log_dir(command):
    from forecastkit.cli import build_parser

    args = build_parser().parse_args([command, "d.csv", "--test-size", "3", "--log-dir", "L"])
    assert args.log_dir == "L" and not hasattr(args, "resume_dir")


@pytest.mark.parametrize("choice", ["auto", "always", "none"])
def test_seasonal_adjustment_option_reaches_the_forecaster(choice):
    from forecastkit.cli import _make_forecaster, build_parser

    args = build_parser().parse_args(
        ["fit", "d.csv", "--out", "m.keras", "--seasonal-adjustment", choice]
    )
    assert _make_forecaster(args, test_size=0).seasonal_adjustment == choice
    with pytest.raises(SystemExit):  # an unknown choice is a usage error (exit code 2)
        build_parser().parse_args(
            ["fit", "d.csv", "--out", "m.keras", "--seasonal-adjustment", "x"]
        )


def test_cli_model_defaults_are_the_forecasters():
    """The CLI spells out its option defaults (``--help`` imports no TensorFlow); a fit with
    no model option must still build exactly ``Forecaster()``'s defaults."""
    from forecastkit import Forecaster
    from forecastkit.cli import _make_forecaster, build_parser

    args = build_parser().parse_args(["fit", "d.csv", "--out", "m.keras"])
    built = _make_forecaster(args, test_size=0).get_params()
    defaults = Forecaster().get_params()
    skip = {"random_state", "verbose", "freq"}  # the CLI's own choices (seed, --quiet)
    differ = {
        k: (built[k], defaults[k]) for k in defaults if k not in skip and built[k] != defaults[k]
    }
    assert differ == {}
    assert defaults["units"] == (32,) and defaults["epochs"] == 100
    assert defaults["patience"] == 10 and defaults["n_models"] == 8
