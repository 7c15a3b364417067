"""Coverage of the split-conformal prediction intervals on held-out rolling-origin forecasts.

Run: ``.venv/bin/python bench/coverage.py [--n-cal 20000] [--n-test 20000] [--horizon 12]``
or, for the DEFAULT settings (issue #17): ``.venv/bin/python bench/coverage.py --defaults``

What is measured
----------------
Two seeded series on a RangeIndex, each ``n_train + n_val + n_cal + n_test`` steps long:

* AR(1): ``y[t] = 0.6 * y[t-1] + e[t]``, ``e ~ N(0, 1)`` (started at its stationary law);
* noisy sine: ``y[t] = sin(2 pi t / 24) + u[t]``, ``u ~ N(0, 0.3^2)``.

On each, a small Forecaster (window 12, one LSTM layer of 8 units, a few epochs; the
coverage of split conformal does not depend on the model's quality) is fitted with
``val_size=n_val``, ``calibration_size=n_cal`` and ``test_size=n_test``: the network trains
on the first ``n_train`` steps, early-stops on the next ``n_val``, and never sees the
calibration and test parts. ``forecast(horizon, level=(80, 95))`` calibrates the interval
half-widths per step ahead (recursive forecasts from every calibration origin, one batched
call). Then ``backtest`` (refit=False, one batched call) forecasts ``horizon`` steps from
every origin of the held-out test part (``n_test - horizon + 1`` origins), and the script
prints, per step ahead, the fraction of actual values inside ``forecast ± half-width``
(the empirical coverage) for 80% and 95%, and the interval width (``2 * half-width``).

For contrast, the last columns give the coverage at each step of ONE width for every step
ahead (the 95% half-width of step 1, as a model with a single residual quantile would use).

Floor (issue #9): the empirical coverage is within 3 percentage points of the nominal 80%
and 95% at every step ahead, and the width never shrinks as the step ahead grows. The script
prints whether the floor is met and exits with status 1 when it is not (the widths are read
back from the output as ``hi - forecast``, so "non-decreasing" allows float64 rounding of
1e-9 relative). Neighbouring origins
share most of their errors, so coverage estimates are noisier than their count suggests:
long calibration and test parts keep that noise well under the 3-point tolerance.

Default settings (``--defaults``, issue #17)
--------------------------------------------
The same measurement with a DEFAULT Forecaster: only ``units=(8,)``, ``epochs`` (few, for
speed) and ``test_size`` (the held-out part) are set; ``val_size``, ``calibration_size``,
``window`` and the target transform keep their defaults, so the intervals come from whatever
part the default rule calibrates on. Three series (``--series``), each ``--n-fit`` steps to
fit (default 18,000: with the 2,011 held-out steps the default validation part has 2,002
steps, enough that one draw's coverage noise, about ``sqrt(L (100 - L) / n)`` points from
``n`` calibration origins, stays well under the 3-point floor) plus ``--n-test`` held out
(default 2000 + horizon - 1 held-out steps, i.e. 2000 origins):

* AR(1), phi 0.6 (RangeIndex);
* a noisy daily-cycle series on an hourly index (``sin(2 pi t / 24)`` plus N(0, 0.5^2) noise,
  so the default window is two days);
* a random walk with drift 0.2 and N(0, 1) steps, started at 500 (RangeIndex).

``--n-seeds k`` repeats each series with seeds ``--seed`` .. ``--seed + k - 1`` (series and
network) and prints the mean coverage per step over the seeds: a bias of the calibration
(e.g. from early stopping having seen the calibration errors; use more ``--epochs`` so that
it picks an epoch) shows in the mean, where one draw's noise averages out.

Coverage is counted from the bounds themselves: an additive interval holds ``actual`` when
``|actual - forecast| <= hi - forecast``; a log-scale interval (series whose transform takes
logs) when ``|log(actual / forecast)| <= log(hi / forecast)``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster
from forecastkit.backtest import backtest

LEVELS = (80, 95)
TOLERANCE = 3.0  # percentage points


def ar1(n: int, seed: int, phi: float = 0.6) -> pd.Series:
    """A stationary Gaussian AR(1) series."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    y = np.empty(n)
    y[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + e[t]
    return pd.Series(y, index=pd.RangeIndex(n), name="y")


def noisy_sine(n: int, seed: int, period: int = 24, noise: float = 0.3) -> pd.Series:
    """A sine of the given period plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(
        np.sin(2 * np.pi * t / period) + rng.normal(0, noise, n), index=pd.RangeIndex(n), name="y"
    )


def seasonal(n: int, seed: int, period: int = 24, noise: float = 0.5) -> pd.Series:
    """A daily cycle on an hourly index plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    index = pd.date_range("2020-01-01", periods=n, freq="h")
    y = np.sin(2 * np.pi * t / period) + rng.normal(0, noise, n)
    return pd.Series(y, index=index, name="y")


def random_walk(n: int, seed: int, drift: float = 0.2) -> pd.Series:
    """A random walk with drift, started at 500."""
    rng = np.random.default_rng(seed)
    y = 500 + np.cumsum(drift + rng.normal(size=n))
    return pd.Series(y, index=pd.RangeIndex(n), name="y")


def run_defaults(name: str, y: pd.Series, args, seed: int) -> tuple[bool, dict]:
    """A default Forecaster (small network): coverage on ``n_test`` held-out steps by step."""
    h = args.horizon
    n_test = args.n_test + h - 1
    wall = time.perf_counter()
    f = Forecaster(
        units=(8,), epochs=args.epochs, test_size=n_test, verbose=0, random_state=seed
    ).fit(y)
    fit_s = time.perf_counter() - wall
    out = f.forecast(h, level=LEVELS)
    point = out["y"].to_numpy()
    log = bool(f.transform_.log[0])
    result = backtest(f, horizon=h, n_origins=args.n_test)
    frame = result.forecasts
    actual = frame["actual"].to_numpy().reshape(args.n_test, h)
    forecast = frame["forecast"].to_numpy().reshape(args.n_test, h)
    first = frame["origin"].iloc[0]
    assert first == y.index[len(y) - n_test], "origins must start the held-out part"
    if log:
        score = np.abs(np.log(actual / forecast))
        half = {lv: np.log(out[f"y-hi-{lv}"].to_numpy() / point) for lv in LEVELS}
    else:
        score = np.abs(actual - forecast)
        half = {lv: out[f"y-hi-{lv}"].to_numpy() - point for lv in LEVELS}
    width = {lv: (out[f"y-hi-{lv}"] - out[f"y-lo-{lv}"]).to_numpy() for lv in LEVELS}
    coverage = {lv: (score <= half[lv][None, :] * (1 + 1e-9)).mean(axis=0) * 100 for lv in LEVELS}
    print(
        f"\n== {name}: {len(y)} steps = train {f.sizes_[0]} | val {f.sizes_[1]} | calibration "
        f"{f.n_calibration_} | test {f.sizes_[2]}; window {f.window_}; transform "
        f"{f.transform_.to_dict()}; best epoch {f.best_epoch_}/{len(f.history_)}; fit "
        f"{fit_s:.1f} s; {args.n_test} held-out origins; "
        f"{'log-scale' if log else 'additive'} intervals"
    )
    print(f"{'step':>4} {'cover80':>8} {'width80':>8} {'cover95':>8} {'width95':>8}")
    for s in range(h):
        row = "".join(f" {coverage[lv][s]:7.1f}% {width[lv][s]:8.3f}" for lv in LEVELS)
        print(f"{s + 1:>4}{row}")
    ok = True
    for lv in LEVELS:
        worst = np.max(np.abs(coverage[lv] - lv))
        monotone = bool((np.diff(half[lv]) >= -1e-9 * np.abs(half[lv]).max()).all())
        met = worst <= TOLERANCE and monotone
        ok &= met
        print(
            f"{lv}%: coverage {coverage[lv].min():.1f}..{coverage[lv].max():.1f}%, largest gap "
            f"{worst:.1f} points (floor {TOLERANCE:g}); width "
            f"{'non-decreasing' if monotone else 'SHRINKS'}: {'met' if met else 'NOT MET'}"
        )
    return ok, coverage


SERIES = {
    "ar1": "AR(1), phi=0.6",
    "seasonal": "noisy daily cycle, hourly, noise sd 0.5",
    "rw": "random walk, drift 0.2",
}


def run(name: str, y: pd.Series, args) -> bool:
    """Fit, calibrate, backtest the held-out part; print coverage by step; return floor met."""
    h = args.horizon
    wall = time.perf_counter()
    f = Forecaster(
        window=12,
        units=(8,),
        n_models=1,  # split conformal's coverage does not depend on the model
        epochs=args.epochs,
        val_size=args.n_val,
        calibration_size=args.n_cal,
        test_size=args.n_test,
        verbose=0,
        random_state=args.seed,
    ).fit(y)
    fit_s = time.perf_counter() - wall

    wall = time.perf_counter()
    out = f.forecast(h, level=LEVELS)  # calibrates: n_cal origins x h steps, one call
    cal_s = time.perf_counter() - wall
    half = {
        level: (out[f"y-hi-{level}"] - out["y"]).to_numpy() for level in LEVELS
    }  # (h,) per level

    wall = time.perf_counter()
    n_origins = args.n_test - h + 1
    result = backtest(f, horizon=h, n_origins=n_origins)
    bt_s = time.perf_counter() - wall
    frame = result.forecasts
    error = np.abs(frame["actual"] - frame["forecast"]).to_numpy().reshape(n_origins, h)
    first = frame["origin"].iloc[0]
    assert first == len(y) - args.n_test, "backtest origins must start the held-out part"

    print(
        f"\n== {name}: {len(y)} steps = train {f.sizes_[0]} | val {f.sizes_[1]} | calibration "
        f"{f.n_calibration_} | test {f.sizes_[2]}; transform {f.transform_.to_dict()}; "
        f"best epoch {f.best_epoch_}/{len(f.history_)}"
    )
    print(
        f"fit {fit_s:.1f} s, calibration ({f.n_calibration_} origins x {h} steps) {cal_s:.1f} s, "
        f"backtest ({n_origins} held-out origins) {bt_s:.1f} s"
    )
    print(
        f"{'step':>4} {'cover80':>8} {'width80':>8} {'cover95':>8} {'width95':>8}   "
        f"{'one-width95':>11}"
    )
    ok = True
    coverage = {level: (error <= half[level][None, :]).mean(axis=0) * 100 for level in LEVELS}
    flat = (error <= half[95][0]).mean(axis=0) * 100
    for s in range(h):
        row = "".join(f" {coverage[level][s]:7.1f}% {2 * half[level][s]:8.3f}" for level in LEVELS)
        print(f"{s + 1:>4}{row}   {flat[s]:10.1f}%")
    for level in LEVELS:
        worst = np.max(np.abs(coverage[level] - level))
        # half-widths are read back as hi - forecast: allow float64 rounding, nothing more
        monotone = bool((np.diff(half[level]) >= -1e-9 * half[level].max()).all())
        met = worst <= TOLERANCE and monotone
        ok &= met
        print(
            f"{level}%: coverage {coverage[level].min():.1f}..{coverage[level].max():.1f}%, "
            f"largest gap to nominal {worst:.1f} points (floor {TOLERANCE:g}); width "
            f"{'non-decreasing' if monotone else 'SHRINKS'} over steps "
            f"({2 * half[level][0]:.3f} -> {2 * half[level][-1]:.3f}): "
            f"{'met' if met else 'NOT MET'}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-val", type=int, default=500)
    parser.add_argument("--n-cal", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=20000)
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--defaults", action="store_true", help="default Forecaster settings (issue #17)"
    )
    parser.add_argument("--n-fit", type=int, default=18000, help="--defaults: steps to fit")
    parser.add_argument("--n-seeds", type=int, default=1, help="--defaults: seeds from --seed")
    parser.add_argument(
        "--series", nargs="*", choices=sorted(SERIES), default=list(SERIES), help="--defaults"
    )
    args = parser.parse_args()
    if args.defaults:
        if args.n_test == parser.get_default("n_test"):
            args.n_test = 2000
        n = args.n_fit + args.n_test + args.horizon - 1
        print(
            f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}; DEFAULT "
            f"settings; seeds {args.seed}..{args.seed + args.n_seeds - 1}, horizon "
            f"{args.horizon}, LSTM(8), {args.epochs} "
            f"epochs, {args.n_fit} steps to fit"
        )
        makers = {"ar1": ar1, "seasonal": seasonal, "rw": random_walk}
        ok = True
        for key in args.series:
            name = SERIES[key]
            runs = [
                run_defaults(name, makers[key](n, seed), args, seed)
                for seed in range(args.seed, args.seed + args.n_seeds)
            ]
            ok &= all(met for met, _ in runs)
            if args.n_seeds > 1:  # the mean separates a bias from one draw's noise
                last = args.seed + args.n_seeds - 1
                print(f"\n-- {name}: mean coverage over seeds {args.seed}..{last}")
                for lv in LEVELS:
                    mean = np.mean([cov[lv] for _, cov in runs], axis=0)
                    print(f"{lv}%: " + " ".join(f"{c:.1f}" for c in mean))
        print(f"\nfloor (defaults, within {TOLERANCE:g} points): {'MET' if ok else 'NOT MET'}")
        raise SystemExit(0 if ok else 1)

    n = args.n_train + args.n_val + args.n_cal + args.n_test
    print(
        f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}; "
        f"seed {args.seed}, horizon {args.horizon}, LSTM(8), {args.epochs} epochs"
    )
    ok = run("AR(1), phi=0.6", ar1(n, args.seed), args)
    ok &= run("noisy sine, period 24, noise sd 0.3", noisy_sine(n, args.seed), args)
    print(
        f"\nfloor (coverage within {TOLERANCE:g} points of 80% and 95% at every step, width "
        f"non-decreasing): {'MET' if ok else 'NOT MET'}"
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
