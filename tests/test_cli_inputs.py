"""CSV input of the command line: separators, encodings, number and date formats.

Everything here runs in-process and fails (or succeeds) before any network is built; each
error is one ``forecastkit: error: ...`` line with exit code 1 (usage errors: 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecastkit.cli import build_parser, main, read_series
from forecastkit.exceptions import DataError, ForecastkitError

MONTHS = pd.date_range("2023-01-01", periods=12, freq="MS")


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("forecastkit: error: "), err
    return err[0]


def _fit(path: Path, tmp_path: Path, *options: str) -> int:
    return main(
        ["fit", str(path), "--time-col", "ds", "--out", str(tmp_path / "m.keras"), *options]
    )


# ------------------------------------------------------------------ dates
def test_day_month_dates_that_read_both_ways_are_refused_naming_both(tmp_path, capsys):
    lines = [f"{d:%d/%m/%Y},{i}" for i, d in enumerate(MONTHS)]  # 01/02/2023 ...
    path = _write(tmp_path / "amb.csv", "ds,y\n" + "\n".join(lines) + "\n")
    assert _fit(path, tmp_path) == 1
    line = _one_error_line(capsys)
    assert "'01/02/2023' is 2 January 2023 month first, 1 February 2023 day first" in line
    assert "--dayfirst" in line and "--date-format" in line
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    "options", [{"dayfirst": True}, {"date_format": "%d/%m/%Y"}], ids=["dayfirst", "format"]
)
def test_dayfirst_or_a_date_format_reads_the_dates_as_meant(tmp_path, options):
    lines = [f"{d:%d/%m/%Y},{i}" for i, d in enumerate(MONTHS)]
    path = _write(tmp_path / "amb.csv", "ds,y\n" + "\n".join(lines) + "\n")
    series = read_series(path, time_col="ds", **options)
    assert series.index.equals(pd.DatetimeIndex(MONTHS, name="ds"))


def test_dates_that_read_only_one_way_need_no_option(tmp_path):
    days = pd.date_range("2023-01-01", periods=20, freq="D")  # 13/01/2023 ...: day first
    path = _write(tmp_path / "d.csv", "ds,y\n" + "".join(f"{d:%d/%m/%Y},1\n" for d in days))
    assert read_series(path, time_col="ds").index.equals(pd.DatetimeIndex(days, name="ds"))
    us = _write(tmp_path / "us.csv", "ds,y\n" + "".join(f"{d:%m/%d/%Y},1\n" for d in days))
    assert read_series(us, time_col="ds").index.equals(pd.DatetimeIndex(days, name="ds"))


def test_a_wrong_date_format_names_the_option(tmp_path):
    path = _write(tmp_path / "iso.csv", "ds,y\n2023-01-31,1\n2023-02-28,2\n")
    with pytest.raises(DataError, match="Check --date-format '%d/%m/%Y'"):
        read_series(path, time_col="ds", date_format="%d/%m/%Y")


def test_date_format_and_dayfirst_exclude_each_other():
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(
            ["fit", "x.csv", "--out", "m.keras", "--dayfirst", "--date-format", "%d/%m/%Y"]
        )
    assert info.value.code == 2


# ------------------------------------------------------------ CSV format
def test_a_semicolon_file_names_sep_and_decimal(tmp_path, capsys):
    path = _write(tmp_path / "semi.csv", "ds;y\n2023-01-01;1,5\n2023-02-01;2,5\n")
    assert _fit(path, tmp_path) == 1
    line = _one_error_line(capsys)
    assert "semicolon-separated" in line and "--sep ';'" in line and "--decimal ','" in line
    series = read_series(path, time_col="ds", sep=";", decimal=",")
    np.testing.assert_array_equal(series.to_numpy(), [1.5, 2.5])


def test_a_tab_separated_file_is_read_with_sep_backslash_t(tmp_path):
    path = _write(tmp_path / "tab.csv", "ds\ty\n2023-01-01\t1\n2023-02-01\t2\n")
    with pytest.raises(ForecastkitError, match=r"tab-separated.*--sep '\\t'"):
        read_series(path, time_col="ds")
    args = build_parser().parse_args(["fit", str(path), "--out", "m.keras", "--sep", "\\t"])
    assert args.sep == "\t"
    assert read_series(path, time_col="ds", sep=args.sep).tolist() == [1, 2]


def test_a_latin1_file_names_the_encoding_option(tmp_path, capsys):
    text = "ds,y,note\n2023-01-01,1,café\n2023-02-01,2,thé\n"
    path = _write(tmp_path / "latin.csv", text, encoding="latin-1")
    assert _fit(path, tmp_path, "--target", "y") == 1
    assert "--encoding latin-1" in _one_error_line(capsys)
    assert read_series(path, time_col="ds", target="y", encoding="latin-1").tolist() == [1, 2]
    assert _fit(path, tmp_path, "--target", "y", "--encoding", "no-such-codec") == 1
    assert "not a known text encoding" in _one_error_line(capsys)


def test_thousands_separators_are_refused_with_the_option_then_read(tmp_path):
    path = _write(tmp_path / "t.csv", 'ds,y\n2023-01-01,"1,234"\n2023-02-01,"2,345"\n')
    with pytest.raises(DataError, match="--thousands ','"):
        read_series(path, time_col="ds")
    assert read_series(path, time_col="ds", thousands=",").tolist() == [1234, 2345]


@pytest.mark.parametrize("option", ["--decimal", "--thousands", "--sep"])
def test_multi_character_formats_are_usage_errors(option, capsys):
    with pytest.raises(SystemExit) as info:
        main(["fit", "x.csv", "--out", "m.keras", option, "ab"])
    assert info.value.code == 2
    assert "must be one character" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["fit", "evaluate", "backtest"])
def test_every_command_that_reads_data_has_the_csv_options(command):
    extra = ["--out", "m.keras"] if command == "fit" else ["--test-size", "3"]
    options = ["--sep", ";", "--encoding", "latin-1", "--decimal", ",", "--thousands", "."]
    args = build_parser().parse_args([command, "x.csv", *extra, *options, "--dayfirst"])
    assert (args.sep, args.encoding, args.decimal, args.thousands, args.dayfirst) == (
        ";",
        "latin-1",
        ",",
        ".",
        True,
    )
    assert args.date_format is None


# ----------------------------------------------------------- too short
@pytest.mark.parametrize("rows", [1, 2])
def test_a_too_short_file_says_too_short_with_the_minimum(tmp_path, capsys, rows):
    body = "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(MONTHS[:rows]))
    path = _write(tmp_path / "short.csv", "ds,y\n" + body)
    assert _fit(path, tmp_path) == 1
    line = _one_error_line(capsys)
    assert f"is too short: {rows} row(s)" in line and "needs at least" in line
    assert "frequency" not in line
