"""The ``forecastkit`` command line: fit, forecast, evaluate, backtest, update, info, and a demo.

Results (forecasts, metric tables) go to stdout as CSV; progress and logs go to stderr, Keras's
epoch lines included. Exit codes: 0 on success, 1 on data or model errors (one line
``forecastkit: error: ...`` on stderr; ``--debug`` shows the traceback), 2 on usage errors.
Existing output files are never overwritten without ``--force``, and every file is written
atomically (a temporary file in the same folder, then a rename).

TensorFlow is imported only by the commands that need it, so ``forecastkit --help`` and
``forecastkit --version`` stay fast.

Examples
--------
>>> from forecastkit.cli import main
>>> main(["--version"])  # doctest: +SKIP
forecastkit 0.1.0
0
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from forecastkit.exceptions import DataError, ForecastkitError, ParameterError

__all__ = ["build_parser", "main"]

PROG = "forecastkit"
QUICK_ENV = "FORECASTKIT_QUICK"


class CommandError(ForecastkitError):
    """A problem the command line reports in one line and exits 1 for (e.g. an existing file)."""


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``forecastkit`` command.

    Returns
    -------
    argparse.ArgumentParser
        With the subcommands ``fit``, ``forecast``, ``evaluate``, ``backtest``, ``update``,
        ``info`` and ``demo``.

    Examples
    --------
    >>> parser = build_parser()
    >>> parser.parse_args(["forecast", "model.keras", "--horizon", "12"]).horizon
    12
    """
    from forecastkit import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Forecast time series with recurrent networks (Keras 3).",
        epilog="Results go to stdout as CSV; progress and logs go to stderr.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback on errors",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fit = sub.add_parser(
        "fit",
        parents=[common],
        help="fit a Forecaster on a CSV/Parquet file and save it",
        description="Fit a Forecaster on one series of a CSV or Parquet file, or one global "
        "model on every series of a long-format file (--id-col), and save it to a .keras file.",
    )
    _add_data_options(fit)
    _add_model_options(fit)
    _add_test_size(fit, "held out at the end (default 0)", required=False)
    fit.add_argument("--out", required=True, help="where to save the model (ends in .keras)")
    fit.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    fit.add_argument(
        "--resume-dir",
        help="back the training up here every epoch; rerun the same command to resume a "
        "killed fit (use --seed for the weights of an uninterrupted fit)",
    )
    fit.set_defaults(func=_cmd_fit)

    forecast = sub.add_parser(
        "forecast",
        parents=[common],
        help="forecast the steps after the fitted series with a saved model",
        description="Forecast the steps after the end of the series a saved model was fitted "
        "on (every series of a long-format model: long CSV with the id column first). Writes "
        "CSV to stdout, or to --output.",
    )
    forecast.add_argument("model", help="a .keras file saved by `forecastkit fit`")
    forecast.add_argument(
        "--horizon", type=_positive_int, help="steps to forecast (default: the model's horizon)"
    )
    forecast.add_argument(
        "--level",
        type=float,
        nargs="+",
        metavar="L",
        help="also write prediction intervals at these levels in percent, e.g. --level 80 95 "
        "(columns <name>-lo-80, <name>-hi-80, ...)",
    )
    forecast.add_argument("--output", help="CSV file to write (default: stdout)")
    forecast.add_argument("--plot", help="also draw history and forecast into this image file")
    forecast.add_argument("--force", action="store_true", help="overwrite existing output files")
    forecast.set_defaults(func=_cmd_forecast)

    evaluate = sub.add_parser(
        "evaluate",
        parents=[common],
        help="fit with a held-out test part and print metrics beside the seasonal naive",
        description="Fit a Forecaster with the last --test-size steps held out, then print "
        "MAE, RMSE, sMAPE and MASE of one-step and recursive prediction, beside the "
        "seasonal-naive baseline, as CSV on stdout.",
    )
    _add_data_options(evaluate)
    _add_model_options(evaluate)
    _add_test_size(evaluate, "of the held-out test part", required=True)
    evaluate.set_defaults(func=_cmd_evaluate)

    backtest = sub.add_parser(
        "backtest",
        parents=[common],
        help="fit with a held-out test part and backtest it from rolling origins",
        description="Fit a Forecaster with the last --test-size steps held out, forecast "
        "--horizon steps from every origin in the held-out part (all origins in one batched "
        "call, or refitting with --refit), and print MAE, RMSE and MASE by step ahead beside "
        "the seasonal-naive baseline as CSV on stdout.",
    )
    _add_data_options(backtest)
    _add_model_options(backtest)
    _add_test_size(backtest, "of the held-out part to backtest", required=True)
    backtest.add_argument(
        "--step", type=_positive_int, default=1, help="steps between origins (default 1)"
    )
    backtest.add_argument(
        "--refit",
        type=_positive_int,
        help="refit a fresh model on the data before every K-th origin (default: never)",
    )
    backtest.add_argument("--forecasts", help="also write every origin's forecasts to this CSV")
    backtest.add_argument("--force", action="store_true", help="overwrite an existing file")
    backtest.set_defaults(func=_cmd_backtest)

    update = sub.add_parser(
        "update",
        parents=[common],
        help="append new observations to a saved model without refitting",
        description="Append the observations of a CSV or Parquet file to the series a saved "
        "model was fitted on, without refitting (forecasts then start after the new "
        "observations), and save the model to --out. The file continues the fitted series: "
        "one series, or a long-format file with some or all fitted series. Column options "
        "default to the model's columns.",
    )
    update.add_argument("model", help="a .keras file saved by `forecastkit fit`")
    _add_data_options(update, for_update=True)
    update.add_argument(
        "--out",
        required=True,
        help="where to save the updated model (ends in .keras; may be MODEL itself, with "
        "--force: the file is replaced atomically)",
    )
    update.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    update.set_defaults(func=_cmd_update)

    info = sub.add_parser(
        "info",
        parents=[common],
        help="describe a saved model: settings, fitted series, versions",
        description="Describe a saved model: the estimator and its settings, what it learned "
        "(window, strategy, target transform, season length, epochs), the series it was "
        "fitted on (ids, lengths, first and last labels, frequency) and the versions that "
        "wrote the file. The file is fully checked and nothing in it is executed.",
    )
    info.add_argument("model", help="a .keras file saved by forecastkit")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.add_argument(
        "--all-params", action="store_true", help="list every parameter, not only the changed"
    )
    info.set_defaults(func=_cmd_info)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="fit the built-in airline series, print metrics, write forecast.csv/.png",
        description="Fit Forecaster(test_size=12, random_state=0) on the built-in airline "
        "passengers series (1949-1960), print its held-out metrics beside the seasonal-naive "
        "baseline as CSV on stdout, and write forecast.csv and forecast.png (the 12 months "
        "after the end of the series) into --out-dir.",
    )
    demo.add_argument("--out-dir", default=".", help="folder for the outputs (default: .)")
    demo.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny network, 3 epochs (a smoke test; also when {QUICK_ENV}=1)",
    )
    demo.add_argument("--force", action="store_true", help="overwrite existing output files")
    demo.set_defaults(func=_cmd_demo)
    return parser


def _add_data_options(parser: argparse.ArgumentParser, *, for_update: bool = False) -> None:
    """Options that read one series, or a long-format file of many, from a file."""
    model = " (default: the model's)" if for_update else ""
    parser.add_argument("data", help="CSV file (or .parquet with pyarrow installed)")
    parser.add_argument(
        "--time-col",
        help="column of time stamps, parsed as datetimes (integers stay integers)"
        + (model or "; default: rows numbered 0, 1, ..."),
    )
    parser.add_argument(
        "--target",
        help="column(s) to forecast, comma-separated"
        + (model or " (default: the only other column)"),
    )
    parser.add_argument(
        "--id-col",
        help="column of series ids: read the file as long format (one row per series and time "
        "step, e.g. unique_id,ds,y) and fit one global model on every series; needs --time-col"
        + model,
    )
    if not for_update:
        parser.add_argument(
            "--freq", help="frequency of the time stamps, e.g. MS or D (default: inferred)"
        )
    _add_csv_options(parser)


def _add_csv_options(parser: argparse.ArgumentParser) -> None:
    """How to read the CSV file: separator, encoding, number and date formats."""
    group = parser.add_argument_group("CSV format")
    group.add_argument(
        "--sep", type=_separator, default=",", help="column separator (default ','; '\\t' for tab)"
    )
    group.add_argument(
        "--encoding", default="utf-8", help="text encoding, e.g. latin-1 (default utf-8)"
    )
    group.add_argument(
        "--decimal", type=_one_char, default=".", help="decimal mark, e.g. ',' (default '.')"
    )
    group.add_argument(
        "--thousands", type=_one_char, help="thousands separator, e.g. '.' or ',' (default none)"
    )
    dates = group.add_mutually_exclusive_group()
    dates.add_argument(
        "--date-format",
        help="strftime format of the time column, e.g. '%%d/%%m/%%Y' (default: inferred)",
    )
    dates.add_argument(
        "--dayfirst",
        action="store_true",
        help="read dates such as 01/02/2023 day first (1 February)",
    )


def _add_test_size(parser: argparse.ArgumentParser, what: str, *, required: bool) -> None:
    """``--test-size``: the held-out end of the series (0 when not required and not given)."""
    parser.add_argument(
        "--test-size",
        type=_size,
        required=required,
        default=None if required else 0,
        help=f"steps (int), fraction (float) or first label {what}",
    )


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    """Forecaster options shared by ``fit`` and ``evaluate``."""
    parser.add_argument(
        "--window",
        type=_positive_int,
        help="input steps per sample (default: two seasons, or 10)",
    )
    parser.add_argument(
        "--horizon", type=_positive_int, default=1, help="default forecast steps (default 1)"
    )
    parser.add_argument("--units", type=_units, default=(32,), help="units per layer (default 32)")
    parser.add_argument(
        "--n-models",
        type=_positive_int,
        default=8,
        help="ensemble members trained together, each its own network of --units; the "
        "forecast is their mean (default 8; 1: one network)",
    )
    parser.add_argument("--cell", choices=("lstm", "gru", "rnn"), default="lstm")
    parser.add_argument("--bidirectional", action="store_true", help="bidirectional layers")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout rate (default 0)")
    parser.add_argument(
        "--strategy",
        choices=("recursive", "direct", "seq2seq"),
        default="recursive",
        help="recursive: one-step network, predictions fed back; direct: all steps at once; "
        "seq2seq: a sequence network whose state is carried forward one step per step ahead",
    )
    parser.add_argument(
        "--transform",
        choices=("auto", "none", "diff", "log", "log-diff"),
        default="auto",
        help="target transform (default auto: log and/or differences from the training data)",
    )
    parser.add_argument(
        "--seasonal-adjustment",
        choices=("auto", "always", "none"),
        default="auto",
        help="remove the seasonal pattern before the network (default auto: the yearly season "
        "of monthly, quarterly and weekly data, the weekly cycle of daily data, the daily "
        "cycle of hourly data; always: any season)",
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=100, help="most epochs (default 100)"
    )
    parser.add_argument("--batch-size", type=_positive_int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument(
        "--patience", type=_positive_int, default=10, help="early-stopping patience (default 10)"
    )
    parser.add_argument(
        "--val-size",
        type=_size,
        default=0.1,
        help="validation part: steps, fraction or first label (default 0.1)",
    )
    parser.add_argument(
        "--calibration-size",
        type=_size,
        help="calibration part for the intervals of `forecast --level`, held out between the "
        "validation and test parts: steps, fraction or first label (default: the second "
        "half of a validation part of 1000 steps or more, which early stopping then does not "
        "use, else the whole validation part; 0: the whole validation part)",
    )
    parser.add_argument("--seed", type=int, help="random seed, for reproducible fits")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress on stderr")
    parser.add_argument(
        "--log-dir",
        help="write TensorBoard logs (loss, learning rate, graph) into a new run folder here "
        '(needs pip install "forecastkit[tensorboard]")',
    )


def _positive_int(text: str) -> int:
    """Argparse type: an int > 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _separator(text: str) -> str:
    """Argparse type: one character; backslash-t (or the word tab) means a tab."""
    return "\t" if text in ("\\t", "tab") else _one_char(text)


def _one_char(text: str) -> str:
    """Argparse type: exactly one character."""
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"must be one character; got {text!r}")
    return text


def _units(text: str) -> tuple[int, ...]:
    """Argparse type: comma-separated positive ints, e.g. ``50,100``."""
    try:
        units = tuple(int(part) for part in text.split(","))
    except ValueError:
        units = ()
    if not units or min(units) < 1:
        raise argparse.ArgumentTypeError(
            f"must be positive integers separated by commas, e.g. 50,100; got {text!r}"
        )
    return units


def _size(text: str):
    """Argparse type: an int (steps), a float (fraction) or any other text (a label)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --------------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 on data or model errors, 2 on usage errors (argparse exits with 2
        itself, through ``SystemExit``).
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as err:  # every error is one line (the traceback with --debug)
        if args.debug:
            raise
        message = " ".join(str(err).split()) or type(err).__name__
        if isinstance(err, OSError) and err.filename is not None and err.strerror:
            message = f"{err.strerror}: {err.filename}"
        elif not isinstance(err, ForecastkitError | OSError | ValueError | ImportError):
            message = f"{type(err).__name__}: {message} (--debug shows the traceback)"
        else:  # the library's words for Python users, in command-line options
            message = cli_words(message)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1


#: Forecaster (and forecast) parameters the command line exposes, and their options.
OPTIONS = {
    "window": "--window",
    "horizon": "--horizon",
    "units": "--units",
    "n_models": "--n-models",
    "cell": "--cell",
    "bidirectional": "--bidirectional",
    "dropout": "--dropout",
    "strategy": "--strategy",
    "target_transform": "--transform",
    "seasonal_adjustment": "--seasonal-adjustment",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "patience": "--patience",
    "val_size": "--val-size",
    "test_size": "--test-size",
    "calibration_size": "--calibration-size",
    "random_state": "--seed",
    "freq": "--freq",
    "resume_dir": "--resume-dir",
    "log_dir": "--log-dir",
    "level": "--level",
}
_NAMES = "|".join(sorted(OPTIONS, key=len, reverse=True))
# name=value, not inside a call such as f(level=0); a value is quoted, bracketed or a word.
_ASSIGNED = re.compile(
    rf"(?<![\w.-])(?<!\w\()({_NAMES})=('[^']*'|\"[^\"]*\"|\([^()]*\)|\[[^\[\]]*\]|[^\s,;()`]*)"
)
# a bare snake_case parameter name in prose, e.g. "no calibration_size was set"
_BARE = re.compile(
    rf"(?<![\w/.\\-])({'|'.join(n for n in OPTIONS if '_' in n)})(?![\w/\\-]|=|\.\w)"
)


def cli_words(message: str) -> str:
    """Return a library error message with its parameters written as command-line options.

    ``calibration_size=20`` reads ``--calibration-size 20``, ``strategy='direct'`` reads
    ``--strategy direct``; Python code in backticks with a call, e.g.
    ``groupby(level=0)``, stays as it is.

    Examples
    --------
    >>> cli_words("Refit with calibration_size=20 or more.")
    'Refit with --calibration-size 20 or more.'
    >>> cli_words("Use bidirectional=False, or strategy='recursive'; units=(50, 100).")
    'Use no --bidirectional, or --strategy recursive; --units 50,100.'
    >>> cli_words("no calibration_size was set; see `y.groupby(level=0).mean()`")
    'no --calibration-size was set; see `y.groupby(level=0).mean()`'
    """
    parts = re.split(r"(`[^`]*`)", message)
    for i, part in enumerate(parts):
        if i % 2 and ("(" in part or "." in part):
            continue  # Python code in backticks
        part = _ASSIGNED.sub(_option_text, part)
        parts[i] = _BARE.sub(lambda match: OPTIONS[match.group(1)], part)
    return "".join(parts)


def _option_text(match: re.Match) -> str:
    """``--name value`` for one ``name=value`` match of :data:`_ASSIGNED`."""
    option, value = OPTIONS[match.group(1)], match.group(2)
    tail = ""
    while value.endswith(".") and not value.startswith(("'", '"')):
        value, tail = value[:-1], "." + tail  # the full stop of the sentence
    if value[:1] in "'\"" and value and not any(c.isspace() for c in value):
        value = value[1:-1]  # a path with spaces keeps its quotes
    elif value[:1] in "([" and value:
        items = [item.strip() for item in value[1:-1].split(",") if item.strip()]
        value = ",".join(items) if option == "--units" else " ".join(items)
    if value in ("", "True"):
        return option + tail
    if value in ("False", "None"):
        return f"no {option}{tail}"
    return f"{option} {value}{tail}"


# --------------------------------------------------------------------------- commands
def _cmd_fit(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".keras":
        raise ParameterError(f"--out must end in .keras; got {args.out!r}.")
    _check_writable([out], force=args.force)
    _check_folder(out)
    series = _read_data(args)
    forecaster = _fit(_make_forecaster(args, test_size=args.test_size), series, args)
    forecaster.save(out)
    _log(f"saved the model to {out} (best epoch {forecaster.best_epoch_})")
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    outputs = [Path(p) for p in (args.output, args.plot) if p is not None]
    _check_writable(outputs, force=args.force)
    if args.plot is not None:
        _check_plot_format(Path(args.plot))
    forecaster = _load_model(args.model)
    long = _is_long(forecaster)
    if long and args.plot is not None:
        raise CommandError(
            f"--plot draws one series, and {args.model!r} is a long-format model of "
            f"{len(_series_ids(forecaster))} series; leave out --plot (or plot the CSV)."
        )
    level = None if args.level is None else tuple(args.level)
    forecast = forecaster.forecast(args.horizon, level=level)
    if long:
        text = forecast.to_csv(index=False)
    else:
        text = forecast.to_csv(index_label=_index_label(forecast))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(Path(args.output), text)
        _log(f"wrote {len(forecast)} forecast rows to {args.output}")
    if args.plot is not None:
        save_plot_atomic(
            Path(args.plot), lambda ax: forecaster.plot(args.horizon, level=level, ax=ax)
        )
        _log(f"wrote the plot to {args.plot}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    series = _read_data(args)
    forecaster = _fit(_make_forecaster(args, test_size=args.test_size), series, args)
    _print_table(forecaster.evaluate())
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    outputs = [Path(args.forecasts)] if args.forecasts else []
    _check_writable(outputs, force=args.force)
    if args.refit and args.id_col is not None:
        raise CommandError(
            "--refit is not offered with --id-col: refitting the global model at every origin "
            "would retrain it on every series. Leave out --refit (the origins lie in the "
            "held-out part, which the model never trained on)."
        )
    if isinstance(args.test_size, int) and 0 <= args.test_size < args.horizon:
        raise ParameterError(  # a count of steps is checked before the fit (minutes)
            f"--test-size {args.test_size} holds {args.test_size} steps, fewer than --horizon "
            f"{args.horizon}; use a larger --test-size or a shorter --horizon."
        )
    series = _read_data(args)
    forecaster = _fit(_make_forecaster(args, test_size=args.test_size), series, args)
    from forecastkit.backtest import backtest

    n_test, horizon = _held_out_steps(forecaster), args.horizon
    if n_test < horizon:
        raise ParameterError(
            f"the held-out part has {n_test} steps, fewer than --horizon {horizon}; use a "
            "larger --test-size or a shorter --horizon."
        )
    n_origins = (n_test - horizon) // args.step + 1  # every origin inside the held-out part
    result = backtest(
        forecaster, horizon=horizon, n_origins=n_origins, step=args.step, refit=args.refit or False
    )
    per_series = (
        f" of each of {len(_series_ids(forecaster))} series" if _is_long(forecaster) else ""
    )
    _log(
        f"{n_origins} origins x {horizon} steps in the last {n_test} steps{per_series} "
        f"({'refit every ' + str(args.refit) + ' origins' if args.refit else 'no refit'})"
    )
    sys.stdout.write(result.summary.to_csv(float_format="%.6g"))
    sys.stdout.flush()
    if args.forecasts:
        write_text_atomic(Path(args.forecasts), result.forecasts.to_csv(index=False))
        _log(f"wrote {len(result.forecasts)} forecasts to {args.forecasts}")
    return 0


def _held_out_steps(forecaster) -> int:
    """Return the steps of the held-out test part (the shortest one of a long fit's series)."""
    if _is_long(forecaster):
        return min(forecaster.for_series(uid).sizes_[-1] for uid in _series_ids(forecaster))
    return forecaster.sizes_[-1]


def _cmd_update(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".keras":
        raise ParameterError(f"--out must end in .keras; got {args.out!r}.")
    _check_writable([out], force=args.force)
    _check_folder(out)
    forecaster = _load_model(args.model)
    if _is_long(forecaster):
        args.id_col = args.id_col or forecaster.id_col
        args.time_col = args.time_col or forecaster.time_col
        args.target = args.target or forecaster.target_col
    elif args.id_col is not None:
        raise CommandError(
            f"{args.model!r} was fitted on one series, so --id-col does not apply; pass the "
            "new observations of that series without --id-col."
        )
    else:
        axis = forecaster.time_axis_
        if args.time_col is None and axis.name is not None:
            args.time_col = str(axis.name)
        args.target = args.target or ",".join(map(str, forecaster.names_))
    new = _read_data(args)
    if _is_long(forecaster):
        new[args.id_col] = _fitted_ids(new[args.id_col], _series_ids(forecaster))
    if not _is_long(forecaster) and args.time_col is None:
        new.index = forecaster.time_axis_.future(len(new))  # rows numbered after the fit
    forecaster.update(new)
    forecaster.save(out)
    if _is_long(forecaster):
        what = f"{len(new)} rows of {new[args.id_col].nunique()} series"
    else:
        last = forecaster.time_axis_.labels(len(forecaster.values_) - 1, len(forecaster.values_))
        what = f"{len(new)} steps (the series now ends at {_label_text(last[0])})"
    _log(f"appended {what} without refitting; saved the model to {out}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import json

    forecaster = _load_model(args.model)  # every member checked; nothing in the file runs
    from forecastkit.persistence import read_manifest

    info = _describe_model(forecaster, read_manifest(args.model, estimator="Forecaster"))
    info = {"file": str(args.model), "bytes": Path(args.model).stat().st_size, **info}
    if args.json:
        sys.stdout.write(json.dumps(info, indent=2, default=repr) + "\n")
    else:
        sys.stdout.write(_info_text(info, all_params=args.all_params))
    sys.stdout.flush()
    return 0


def _describe_model(forecaster, manifest: dict) -> dict:
    """Describe a saved Forecaster: settings, fitted state, series and versions (JSON-safe).

    Parameters
    ----------
    forecaster : Forecaster
        The model as loaded by ``Forecaster.load``.
    manifest : dict
        Its checked manifest (:func:`forecastkit.persistence.read_manifest`): the format
        and the library versions that wrote the file.

    Returns
    -------
    dict
        Keys ``format``, ``versions``, ``estimator``, ``params`` (every parameter),
        ``changed_params`` (those that differ from the defaults), ``fitted`` and ``series``
        (the first ``INFO_SERIES`` series in detail), ``ids`` (the first ``INFO_IDS`` of a
        long-format model) and ``n_series``.
    """
    from forecastkit.persistence import encode_params

    params = forecaster.get_params()
    encoded, defaults = encode_params(params), encode_params(type(forecaster)().get_params())
    long = _is_long(forecaster)
    ids = _series_ids(forecaster) if long else []
    history = forecaster.history_
    best = forecaster.best_epoch_
    fitted = {
        "input": "long format (one global model over many series)" if long else "one series",
        "window": forecaster.window_,
        "strategy": forecaster.strategy,
        "steps_per_network_call": forecaster.out_steps_,
        "horizon": forecaster.horizon,
        "season_length": forecaster.season_length_,
        "epochs_run": len(history),
        "best_epoch": best,
    }
    for column in ("loss", "val_loss"):
        if best in history.index and column in history.columns:
            fitted[f"best_{column}"] = float(history.loc[best, column])
    members = [c for c in history.columns if c.startswith("val_member_")]
    if members:  # an ensemble: each member's best epoch (its weights average its best few)
        fitted["member_best_epochs"] = [int(history[c].idxmin()) for c in members]
        # The mean of the members' best validation losses: the restored weights average
        # each member's best few epochs, whose own loss no fit measures.
        fitted["members_val_loss"] = float(history[members].min().mean())
    if long:
        fitted["columns"] = {
            "id_col": forecaster.id_col,
            "time_col": forecaster.time_col,
            "target_col": forecaster.target_col,
        }
        views = [(uid, forecaster.for_series(uid)) for uid in ids[:INFO_SERIES]]
    else:
        n_cal = getattr(forecaster, "n_calibration_", 0)
        fitted["intervals_calibrate_on"] = (
            f"calibration part ({n_cal} steps)"
            if n_cal
            else f"validation part ({forecaster.sizes_[1]} steps)"
        )
        views = [(None, forecaster)]
    return {
        "format": f"{manifest.get('format')} {manifest.get('format_version')}."
        f"{manifest.get('format_minor', 0)}",
        "versions": manifest.get("versions", {}),
        "estimator": type(forecaster).__name__,
        "params": {k: _plain(v) for k, v in params.items()},
        "changed_params": {k: _plain(params[k]) for k in params if encoded[k] != defaults.get(k)},
        "fitted": fitted,
        "n_series": len(ids) if long else 1,
        "ids": [_plain(uid) for uid in ids[:INFO_IDS]],
        "series": [_describe_series(uid, view) for uid, view in views],
    }


#: Series of a long-format model that ``forecastkit info`` describes one by one, and lists.
INFO_SERIES, INFO_IDS = 5, 100


def _describe_series(uid, view) -> dict:
    """One fitted series: names, length, first and last labels, parts, transform."""
    axis, n = view.time_axis_, view.time_axis_.n_steps
    sizes, n_cal = view.sizes_, getattr(view, "n_calibration_", 0)
    out = {} if uid is None else {"id": _plain(uid)}
    out |= {
        "targets": [str(name) for name in view.target_names_],
        "time_col": None if axis.name is None else str(axis.name),
        "n_steps": n,
        "first": _label_text(axis.labels(0, 1)[0]),
        "last": _label_text(axis.labels(n - 1, n)[0]),
        "freq": axis.freq,
        "train_steps": sizes[0],
        "validation_steps": sizes[1],
        "calibration_steps": n_cal,
        "test_steps": sizes[2],
        "appended_steps": n - sum(sizes) - n_cal,
        "transform": _transform_text(view.transform_, view.target_names_),
        "season_length": view.season_length_,
    }
    adjustment = getattr(view, "adjustment_", None)
    if adjustment is not None:
        kinds = {"multiplicative" if m else "additive" for m in adjustment.multiplicative}
        period = len(adjustment.indices[0])
        out["seasonal_adjustment"] = f"{'/'.join(sorted(kinds))}, period {period}"
    return out


def _transform_text(transform, names) -> str:
    """``"log + diff"``, ``"diff"``, ``"none"``; logs of some targets only are named."""
    logged = [str(name) for name, log in zip(names, transform.log, strict=True) if log]
    parts = []
    if logged:
        parts.append("log" if len(logged) == len(names) else f"log of {', '.join(logged)}")
    parts += ["diff"] * int(transform.diff)
    return " + ".join(parts) or "none"


def _label_text(label) -> str:
    """Return a time label as text: dates at midnight without the time."""
    import pandas as pd

    if isinstance(label, pd.Timestamp) and label == label.normalize() and label.tz is None:
        return label.strftime("%Y-%m-%d")
    return str(label)


def _plain(value):
    """Return a JSON-friendly value: tuples as lists, numpy scalars as Python, else repr."""
    import numpy as np

    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _info_text(info: dict, *, all_params: bool) -> str:
    """Return the text of ``forecastkit info``: one ``key: value`` line per fact."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    params = info["params"] if all_params else info["changed_params"]
    which = "all" if all_params else "changed from the defaults"
    lines = [
        f"file: {info['file']} ({info['bytes']:,} bytes)",
        f"format: {info['format']}, written by {versions or 'unknown versions'}",
        f"estimator: {info['estimator']}",
        f"parameters ({which}): " + (", ".join(f"{k}={v!r}" for k, v in params.items()) or "none"),
    ]
    for key, value in info["fitted"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        lines.append(f"{key.replace('_', ' ')}: {value}")
    ids, n = info["ids"], info["n_series"]
    shown = ", ".join(map(repr, ids[:20])) + (" ..." if n > 20 else "")
    lines.append(f"series: {n}" + (f" (ids {shown})" if ids else ""))
    for series in info["series"]:
        head = f"  {series['id']!r}: " if "id" in series else "  "
        rest = {k: v for k, v in series.items() if k != "id"}
        lines.append(head + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rest.items()))
    if info["n_series"] > len(info["series"]):
        lines.append(f"  ... and {info['n_series'] - len(info['series'])} more series")
    return "\n".join(lines) + "\n"


def _load_model(path: str):
    """Return ``Forecaster.load(path)`` (every byte checked, nothing in the file executed)."""
    if not Path(path).is_file():
        raise CommandError(f"no model file at {path!r}; check the path.")
    _quiet_tensorflow()
    from forecastkit import Forecaster

    return Forecaster.load(path)


def _cmd_demo(args: argparse.Namespace) -> int:
    out_dir = Path(args.out_dir)
    csv_path, png_path = out_dir / "forecast.csv", out_dir / "forecast.png"
    _check_writable([csv_path, png_path], force=args.force)
    quick = args.quick or os.environ.get(QUICK_ENV, "") not in ("", "0")
    _quiet_tensorflow()
    from forecastkit import Forecaster, datasets

    y = datasets.load_airline()
    options = {"units": (8,), "epochs": 3} if quick else {}
    forecaster = Forecaster(test_size=12, random_state=0, **options)
    _log(
        f"fitting Forecaster(test_size=12, random_state=0{_kwargs_text(options)}) on the "
        f"airline passengers series ({len(y)} months, {y.index[0]:%Y-%m} to {y.index[-1]:%Y-%m})"
    )
    with contextlib.redirect_stdout(sys.stderr):
        forecaster.fit(y)
    _print_table(forecaster.evaluate())
    forecast = forecaster.forecast(12)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(csv_path, forecast.to_csv(index_label=_index_label(forecast)))
    save_plot_atomic(png_path, lambda ax: forecaster.plot(12, ax=ax))
    _log(f"wrote {csv_path} and {png_path} (the 12 months after {y.index[-1]:%Y-%m})")
    return 0


# --------------------------------------------------------------------------- helpers
def read_series(
    path,
    *,
    time_col: str | None = None,
    target: str | None = None,
    id_col: str | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    decimal: str = ".",
    thousands: str | None = None,
    date_format: str | None = None,
    dayfirst: bool = False,
):
    r"""Read one series (or several target columns), or a long-format frame, from a file.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV file, or a Parquet file when the name ends in ``.parquet`` (needs pyarrow).
    time_col : str, optional
        Column of time stamps, parsed as datetimes (a column of integers stays integers) and
        used as the index. None numbers the rows 0, 1, ... (not with ``id_col``).
    target : str, optional
        Column to forecast, or several separated by commas (one with ``id_col``). None: the
        only column besides ``time_col`` (and ``id_col``).
    id_col : str, optional
        Column of series ids (``--id-col``): the file is long format, one row per series
        and time step, and a long DataFrame ``[id_col, time_col, target]`` is returned. Ids
        are text, as written (``007`` stays ``007``; Parquet numbers become text too).
    sep, encoding, decimal, thousands : str
        CSV format, passed to :func:`pandas.read_csv` (``--sep``, ``--encoding``,
        ``--decimal``, ``--thousands``).
    date_format : str, optional
        ``strftime`` format of the time column (``--date-format``), e.g. ``"%d/%m/%Y"``.
    dayfirst : bool, default=False
        Read dates such as ``01/02/2023`` day first (``--dayfirst``).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        A Series for one target, a DataFrame for several; with ``id_col`` a long DataFrame
        with the columns ``[id_col, time_col, target]`` (rows in file order).

    Raises
    ------
    CommandError
        The file is missing, unreadable, not in the given encoding, looks separated by
        another character, or lacks a named column; Parquet without pyarrow; ``id_col``
        without ``time_col``; duplicate time stamps in a file that looks long format
        (naming ``--id-col``).
    DataError
        The time column cannot be parsed as datetimes, its dates read both day first and
        month first (without ``date_format`` or ``dayfirst``), or a target column is not
        numeric.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "y.csv"
    >>> _ = path.write_text("ds,y\n2024-01-01,1\n2024-02-01,2\n")
    >>> read_series(path, time_col="ds", target="y").index[1]
    Timestamp('2024-02-01 00:00:00')
    >>> _ = path.write_text("ds;y\n13/01/2024;1,5\n14/01/2024;2,5\n")
    >>> read_series(path, time_col="ds", sep=";", decimal=",", dayfirst=True).iloc[0]
    np.float64(1.5)
    >>> _ = path.write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,2\nb,2024-01-01,5\n")
    >>> read_series(path, time_col="ds", id_col="unique_id").shape
    (3, 3)
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"no data file at {str(path)!r}; check the path.")
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CommandError(
                "reading Parquet files needs pyarrow: pip install forecastkit[parquet] "
                "(or convert the file to CSV)."
            ) from None
        frame = pd.read_parquet(path)
    else:
        frame = _read_csv(
            path,
            sep=sep,
            encoding=encoding,
            decimal=decimal,
            thousands=thousands,
            text_col=id_col,
        )
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    for option, name in (("--time-col", time_col), ("--id-col", id_col)):
        if name is not None and name not in columns:
            raise CommandError(
                f"{option} {name!r} is not a column of {str(path)!r}; its columns are {columns}."
            )
    if id_col is not None and (time_col is None or time_col == id_col):
        raise CommandError(
            f"--id-col {id_col!r} needs --time-col too: a long-format file holds one row per "
            "series and time step, e.g. the columns unique_id,ds,y with --id-col unique_id "
            "--time-col ds."
        )
    times = None
    if time_col is not None:
        times = _parse_times(frame[time_col], path, time_col, date_format, dayfirst)
    others = [c for c in columns if c not in (time_col, id_col)]
    if target is None:
        if len(others) != 1:
            hint = "" if id_col else _id_col_hint(frame, times, others)
            raise CommandError(
                f"{str(path)!r} has the columns {others} besides the "
                f"{'id and time columns' if id_col else 'time column'}; name the one to "
                f"forecast with --target.{hint}"
            )
        names = others
    else:
        names = [name.strip() for name in target.split(",")]
        missing = [name for name in names if name not in others]
        if missing:
            raise CommandError(
                f"--target {', '.join(map(repr, missing))} is not a column of {str(path)!r}; "
                f"its columns are {columns}."
            )
    if id_col is not None and len(names) != 1:
        raise CommandError(
            f"a long-format file (--id-col) has one value column to forecast; got --target "
            f"{target!r}. Name one column, e.g. --target {names[0]}."
        )
    for name in names:
        _check_numeric(frame[name], path, decimal=decimal, thousands=thousands)
    if id_col is not None:
        ids = frame[id_col]
        if not pd.api.types.is_string_dtype(ids):  # e.g. Parquet numbers: text, as from a CSV
            ids = ids.map(str, na_action="ignore")  # a missing id is refused by the fit
        return pd.DataFrame({id_col: ids, time_col: times, names[0]: frame[names[0]]})
    if times is not None:
        if times.duplicated().any():
            hint = _id_col_hint(frame, times, [c for c in others if c not in names])
            if hint:
                first = _label_text(times[times.duplicated()].iloc[0])
                raise CommandError(
                    f"column {time_col!r} of {str(path)!r} has duplicate time stamps (the "
                    f"first is {first}).{hint}"
                )
        frame = frame.set_axis(pd.Index(times, name=time_col))
    return frame[names[0]] if len(names) == 1 else frame[names]


_ID_NAMES = ("unique_id", "id", "series", "series_id", "item_id", "store", "sku")


def _id_col_hint(frame, times, candidates: list[str]) -> str:
    """``" If ... pass --id-col NAME ..."`` when a column looks like series ids, else ``""``.

    A column looks like series ids when it repeats values and, with the time column, no
    (id, time) pair repeats; known names such as ``unique_id`` are tried first.
    """
    if times is None or len(frame) < 2:
        return ""
    ranked = sorted(candidates, key=lambda c: (c.lower() not in _ID_NAMES, candidates.index(c)))
    for name in ranked:
        ids = frame[name]
        if ids.isna().any() or ids.nunique() in (1, len(ids)):
            continue
        if not frame[[name]].assign(_time=times.to_numpy()).duplicated().any():
            return (
                f" If the file holds several series in long format (column {name!r} their "
                f"ids), pass --id-col {name} to fit one global model on all of them."
            )
    return ""


_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


def _read_csv(
    path: Path,
    *,
    sep: str,
    encoding: str,
    decimal: str,
    thousands: str | None,
    text_col: str | None = None,
):
    """``pandas.read_csv`` with errors that name the option to fix them.

    ``text_col`` (the ``--id-col``) is read as text, as written: ids such as ``007`` and
    ``7`` stay two series.
    """
    import codecs

    import pandas as pd

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CommandError(
            f"--encoding {encoding!r} is not a known text encoding; use e.g. utf-8, latin-1 "
            "or cp1252."
        ) from None
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            decimal=decimal,
            thousands=thousands,
            dtype=None if text_col is None else {text_col: str},  # absent column: ignored
        )
    except UnicodeDecodeError as err:
        raise CommandError(
            f"{str(path)!r} is not {encoding} text (byte {err.object[err.start : err.end]!r} at "
            f"position {err.start}); pass its encoding, e.g. --encoding latin-1 (or cp1252)."
        ) from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise CommandError(f"cannot read {str(path)!r} as CSV: {err}") from err
    if frame.shape[1] == 1:  # one column: maybe the file uses another separator
        header = str(frame.columns[0])
        for other, word in _SEPARATORS.items():
            if other != sep and other in header:
                shown = "'\\t'" if other == "\t" else repr(other)
                hint = " --decimal ','" if other == ";" and decimal == "." else ""
                raise CommandError(
                    f"{str(path)!r} looks {word}-separated (its header is {header!r}); "
                    f"pass --sep {shown}{' (and' + hint + ' for decimal commas)' if hint else ''}."
                )
    return frame


_DAY_MONTH = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b"


def _parse_times(column, path: Path, time_col: str, date_format: str | None, dayfirst: bool):
    """Parse the time column; refuse dates that read both day first and month first."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(column) and date_format is None:
        return column  # integer time labels (0, 1, 2 or 2019, 2020): positions, not dates
    dayfirst = dayfirst or (date_format is None and _reads_day_first(column, path, time_col))
    try:
        with warnings.catch_warnings():  # "could not infer format": parsed one by one
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(column, format=date_format, dayfirst=dayfirst)
    except (ValueError, TypeError) as err:
        how = (
            f"Check --date-format {date_format!r}"
            if date_format
            else "Pass --date-format (e.g. '%Y-%m-%d' or '%d/%m/%Y'), or use ISO dates such as "
            "2024-01-31"
        )
        raise DataError(
            f"cannot parse column {time_col!r} of {str(path)!r} as datetimes ({err}). {how}."
        ) from err


def _reads_day_first(column, path: Path, time_col: str) -> bool:
    """Whether dates like ``31/01/2024`` are day first; DataError when it cannot be told."""
    import numpy as np

    if not _is_text(column):
        return False  # already numbers or datetimes
    parts = column.astype(str).str.extract(_DAY_MONTH)
    if parts.isna().any(axis=None):  # not (all) day/month/year dates: pandas decides
        return False
    first, second = parts[0].astype(int), parts[1].astype(int)
    if (first > 12).any() and (second <= 12).all():
        return True  # only day first fits
    if (second > 12).any() and (first <= 12).all():
        return False  # only month first fits
    differ = np.flatnonzero((first != second).to_numpy())
    if not len(differ):
        return False  # day == month everywhere: both readings agree
    example = str(column.iloc[differ[0]]).strip()
    a, b, year = parts.iloc[differ[0]]
    a, b = int(a), int(b)
    month_first = _date_text(b, a, year)
    day_first = _date_text(a, b, year)
    raise DataError(
        f"the dates in column {time_col!r} of {str(path)!r} read both month first and day "
        f"first (every field is <= 12): {example!r} is {month_first} month first, "
        f"{day_first} day first. Say which with --dayfirst or --date-format, e.g. "
        f"--date-format '%d/%m/%Y' or '%m/%d/%Y'."
    )


def _is_text(column) -> bool:
    """Whether ``read_csv`` left ``column`` as text (pandas 2: object; pandas 3: "str")."""
    import pandas as pd

    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _date_text(day: int, month: int, year: str) -> str:
    """``"1 February 2023"`` for a day, a month number and a year (as written)."""
    import calendar

    return f"{day} {calendar.month_name[month] if 1 <= month <= 12 else month} {year}"


def _check_numeric(column, path: Path, *, decimal: str, thousands: str | None) -> None:
    """Refuse a target column of text, naming the option that reads it as numbers."""
    import pandas as pd

    if not _is_text(column):
        return  # numbers already
    numbers = pd.to_numeric(column, errors="coerce")
    bad = column[numbers.isna() & column.notna()]
    if bad.empty:
        return
    value = str(bad.iloc[0])
    hint = "Clean the column, or drop those rows."
    if "," in value and decimal != "," and thousands != ",":
        hint = (
            "If it uses decimal commas pass --decimal ',' (with --sep ';' for semicolon files); "
            "for thousands separators pass --thousands ','."
        )
    elif "." in value and decimal != ".":
        hint = "For '.' as thousands separator pass --thousands '.'."
    raise DataError(
        f"column {column.name!r} of {str(path)!r} is not numeric: {value!r} at "
        f"{bad.index[0]}. {hint}"
    )


def _read_data(args: argparse.Namespace):
    """Read the ``data`` argument with the column and CSV options of the command line."""
    return read_series(
        args.data,
        time_col=args.time_col,
        target=args.target,
        id_col=args.id_col,
        sep=args.sep,
        encoding=args.encoding,
        decimal=args.decimal,
        thousands=args.thousands,
        date_format=args.date_format,
        dayfirst=args.dayfirst,
    )


def _make_forecaster(args: argparse.Namespace, *, test_size):
    """Build the Forecaster from the model options (imports TensorFlow lazily later)."""
    _quiet_tensorflow()
    from forecastkit import Forecaster

    return Forecaster(
        args.window,
        horizon=args.horizon,
        units=args.units,
        cell=args.cell,
        bidirectional=args.bidirectional,
        dropout=args.dropout,
        n_models=args.n_models,
        strategy=args.strategy,
        target_transform=args.transform,
        seasonal_adjustment=args.seasonal_adjustment,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        val_size=args.val_size,
        test_size=test_size,
        calibration_size=args.calibration_size,
        patience=args.patience,
        random_state=args.seed,
        verbose=0 if args.quiet else "auto",
        freq=args.freq,
        resume_dir=getattr(args, "resume_dir", None),
        log_dir=args.log_dir,
    )


def _fit(forecaster, series, args: argparse.Namespace):
    """Fit with Keras's progress lines sent to stderr, so stdout holds only results.

    A long frame (``--id-col``) names its columns to the Forecaster and trains one global
    model; the fit itself names the series that are too short.
    """
    if args.id_col is not None:
        id_col, time_col, target_col = series.columns
        forecaster.set_params(id_col=id_col, time_col=time_col, target_col=target_col)
        n_series = series[id_col].nunique()
        _log(f"fitting one global model on {n_series} series ({len(series)} rows)")
    else:
        need = _min_rows(forecaster, time_stamps=args.time_col is not None)
        if need is not None and len(series) < need:
            raise CommandError(
                f"{str(args.data)!r} is too short: {len(series)} row(s), and fitting needs at "
                f"least {need} (window={forecaster.window or 'auto'}, horizon="
                f"{forecaster.horizon}, --val-size {forecaster.val_size}, --test-size "
                f"{forecaster.test_size}). Use a longer file, or a smaller --window, --val-size "
                "or --test-size."
            )
        _log(f"fitting on {len(series)} time steps")
    with contextlib.redirect_stdout(sys.stderr):
        forecaster.fit(series)
    transform = "" if _is_long(forecaster) else f", transform={forecaster.transform_}"
    _log(
        f"trained {len(forecaster.history_)} epochs (best {forecaster.best_epoch_}); "
        f"window={forecaster.window_}{transform}"
    )
    return forecaster


def _is_long(forecaster) -> bool:
    """Whether ``forecaster`` was fitted on a long frame (one global model over many series).

    The one place the command line tells the two kinds of fit apart.
    """
    return getattr(forecaster, "input_kind_", None) == "long"


def _series_ids(forecaster) -> list:
    """Series ids of a long-format fit, in the order they first appeared."""
    return list(forecaster.series_)


def _fitted_ids(ids, fitted: list):
    """Return the text ids of a file as the ids of the fit: ``"7"`` is a fitted ``7``.

    The command line reads ids as text; a model fitted in Python may hold numbers.
    """
    by_text = {str(uid): uid for uid in fitted if not isinstance(uid, str)}
    if not by_text:
        return ids
    known = set(fitted)
    return ids.map(lambda uid: uid if uid in known else by_text.get(uid, uid))


def _min_rows(forecaster, *, time_stamps: bool) -> int | None:
    """Fewest rows that pass the fit's split checks; None when sizes are labels.

    A lower bound: the window of ``window=None`` depends on the season of the frequency,
    unknown here (the fit reports a longer need itself), and ``target_transform`` other
    than "none" may take one step for differencing. Dated rows need 3 to infer a frequency.
    """
    from forecastkit.data.splits import split_sizes
    from forecastkit.data.validation import check_horizon
    from forecastkit.estimators.forecaster import default_window

    horizon = check_horizon(forecaster.horizon)
    out_steps = horizon if forecaster.strategy == "direct" else 1
    diff = 0 if forecaster.target_transform in ("none", "log") else 1
    for n in range(1, 100_000):
        window = forecaster.window or default_window(1, n)
        try:
            sizes = split_sizes(
                n,
                window=window,
                horizon=out_steps,
                val_size=forecaster.val_size,
                test_size=forecaster.test_size,
            )
        except (DataError, ParameterError):
            if any(isinstance(size, str) for size in (forecaster.val_size, forecaster.test_size)):
                return None  # a label: only the fit can place it
            continue
        if sizes.n_train - diff >= window + out_steps:
            return max(n, 3) if time_stamps and forecaster.freq is None else n
    return None


def _print_table(table) -> None:
    """Print an evaluate() table as CSV on stdout; its description goes to stderr.

    A long-format fit's table is indexed (id, model): both become columns.
    """
    if table.index.nlevels > 1:
        sys.stdout.write(table.to_csv(float_format="%.6g"))
    else:
        _log(str(table.index.name))
        sys.stdout.write(table.to_csv(index_label="model", float_format="%.6g"))
    sys.stdout.flush()


def _index_label(frame) -> str:
    """CSV header of the index column."""
    return str(frame.index.name) if frame.index.name is not None else "time"


def _kwargs_text(options: dict) -> str:
    return "".join(f", {k}={v!r}" for k, v in options.items())


def _log(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _quiet_tensorflow() -> None:
    """Silence TensorFlow's start-up logs unless the user chose a log level.

    ``TF_CPP_MIN_LOG_LEVEL=2`` hides TensorFlow's C++ info lines, but the lines its CUDA
    stubs print while loading on a machine without a GPU ("Could not find cuda drivers",
    "failed call to cuInit") ignore it. So TensorFlow is imported, and its devices listed,
    with the process's stderr (file descriptor 2) pointed at /dev/null; a Python exception
    is raised after stderr is restored. With ``TF_CPP_MIN_LOG_LEVEL`` set by the user,
    nothing is hidden.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with _stderr_to_devnull():
        import tensorflow as tf

        tf.config.list_physical_devices()


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """Point file descriptor 2 (C/C++ writes included) at /dev/null inside the block."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _check_writable(paths: Sequence[Path], *, force: bool) -> None:
    """Refuse to overwrite existing files without ``--force`` (checked before any work)."""
    for path in paths:
        if path.exists() and not force:
            raise CommandError(f"{str(path)!r} already exists; pass --force to overwrite it.")
        if path.is_dir():
            raise CommandError(f"{str(path)!r} is a folder; give a file name.")


def _check_folder(path: Path) -> None:
    """Refuse an output file whose folder is missing or read-only (checked before training)."""
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(
            f"the folder {str(folder)!r} of {str(path)!r} does not exist; create it first "
            f"(mkdir -p {str(folder)!r}) or give a path in an existing folder."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(
            f"the folder {str(folder)!r} of {str(path)!r} is not writable; give a path in a "
            "folder you can write to."
        )


@contextlib.contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (its folder created); see ``atomic_path``."""
    from forecastkit.persistence import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, prefix=f".tmp-{path.stem}-") as tmp:
        yield Path(tmp)


def write_text_atomic(path: Path, text: str) -> None:
    r"""Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> write_text_atomic(path, "x\n1\n")
    >>> path.read_text()
    'x\n1\n'
    """
    with _atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _check_plot_format(path: Path) -> None:
    """Refuse an image path whose suffix matplotlib cannot write, before any work is done."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in formats:
        raise CommandError(
            f"--plot {str(path)!r}: cannot draw a {fmt!r} image; end the file name in one of "
            f"{', '.join('.' + f for f in sorted(formats))} (e.g. forecast.png)."
        )


def save_plot_atomic(path: Path, draw: Callable) -> None:
    """Draw with ``draw(ax)`` on a new headless figure and save it to ``path`` atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5))
    try:
        draw(ax)
        fig.tight_layout()
        fmt = Path(path).suffix.lstrip(".").lower() or "png"
        with _atomic_path(Path(path)) as tmp:
            fig.savefig(tmp, format=fmt, dpi=100)
    finally:
        plt.close(fig)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
