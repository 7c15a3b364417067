"""Many series, one global model: fit + forecast 1,000 series of 500 points, MASE vs seasonal naive.

Data: 1,000 synthetic daily series of 500 points (weekly season), each with its own level
(10 to 1,000), linear trend, seasonal amplitude and shape, noise and start date, given in
long format (``unique_id``, ``ds``, ``y``). The last ``HORIZON`` = 14 points of each series
are held out; the model is fitted on the first 486 points of every series.

Model: ONE ``Forecaster`` over all series (long-format fit): per-series target transform and
scaler from each series' own training part, windows of 14 (two weekly seasons, the default)
from every series, LSTM(16), batch 256, ``epochs`` (default 3; early stopping on the 10%
validation part of each series), ``random_state=0``. Kept small so the default run takes a
few minutes on 2 busy cores; more epochs or units fit better.

Measured:
- fit time: wall clock and process CPU time of ``Forecaster.fit(long_frame)`` (splitting,
  checks, transforms, scalers, windows, training; TensorFlow already imported), one run;
- forecast time: wall clock of ``forecast(14)`` for all series, one batched compiled call;
  the first call (which compiles the recursion with XLA) and the median of 5 later calls
  (wall and CPU);
- backtest time: ``f.backtest(y=whole frame, horizon=14, n_origins=1)``, all series in one
  batched call, whose one origin is the held-out part (so its mean MASE must equal the one
  computed here from ``forecast``); most of its time is checking the 1,000 series of ``y``;
- the backtest itself: the held-out rows appended with ``update``, then
  ``f.backtest(horizon=14, n_origins=1)`` (all series batched) beside the same series by
  series (``f.for_series(uid).backtest(...)`` per id, how forecastkit ran a long-format
  backtest before #15), interleaved, median of 3; the forecasts must agree
  (``--no-loop`` skips the loop);
- accuracy on the held-out 14 points of each series: MASE (mean absolute error scaled by
  the in-sample seasonal-naive error, season 7) of the global model and of the seasonal
  naive forecast (the last week repeated), median and mean over series, and the share of
  series where the model beats the seasonal naive.

Run: ``.venv/bin/python bench/many_series.py`` (``--series 200 --epochs 1`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from forecastkit import Forecaster
from forecastkit.metrics import mase

HORIZON = 14
SEASON = 7


def make_frame(n_series: int, n_steps: int, seed: int = 0) -> pd.DataFrame:
    """Long frame of synthetic daily seasonal series with different levels and trends."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    pieces = []
    for k in range(n_series):
        level = rng.uniform(10, 1000)
        trend = rng.normal(0, 0.002) * level  # per step, up to a few tenths of a % of level
        amplitude = rng.uniform(0.05, 0.3) * level
        phase = rng.uniform(0, 2 * np.pi)
        shape = np.sin(2 * np.pi * t / SEASON + phase) + 0.5 * np.sin(4 * np.pi * t / SEASON)
        noise = rng.normal(0, rng.uniform(0.01, 0.05) * level, n_steps)
        y = level + trend * t + amplitude * shape + noise
        start = pd.Timestamp("2015-01-01") + pd.Timedelta(days=int(rng.integers(0, 2000)))
        ds = pd.date_range(start, periods=n_steps, freq="D")
        pieces.append(pd.DataFrame({"unique_id": f"s{k:04d}", "ds": ds, "y": y}))
    return pd.concat(pieces, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--no-loop", action="store_true", help="skip the per-series loop")
    args = parser.parse_args()

    frame = make_frame(args.series, args.steps)
    frame["rank"] = frame.groupby("unique_id").cumcount()
    train = frame[frame["rank"] < args.steps - HORIZON].drop(columns="rank")
    test = frame[frame["rank"] >= args.steps - HORIZON].drop(columns="rank")

    import keras  # noqa: F401  (imported here so the timed fit does not include the import)

    f = Forecaster(
        units=(args.units,),
        n_models=1,  # one network, as in the figures of docs/benchmarks.md
        epochs=args.epochs,
        batch_size=256,
        patience=5,
        verbose=0,
        random_state=0,
    )
    start, cpu = time.perf_counter(), time.process_time()
    f.fit(train)
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    n_windows = sum(s.sizes[0] - s.transform.diff - f.window_ for s in f.series_.values())

    start = time.perf_counter()
    out = f.forecast(HORIZON)
    first_s = time.perf_counter() - start
    times, cpus = [], []
    for _ in range(5):
        start, cpu = time.perf_counter(), time.process_time()
        f.forecast(HORIZON)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    warm_s, warm_cpu = statistics.median(times), statistics.median(cpus)

    truth = test.set_index(["unique_id", "ds"])["y"]
    pred = out.set_index(["unique_id", "ds"])["Forecaster"].reindex(truth.index)
    assert pred.notna().all(), "forecast labels do not match the held-out labels"
    model_mase, naive_mase = [], []
    for uid, history in train.groupby("unique_id", sort=False)["y"]:
        h = history.to_numpy()
        y_true = truth.loc[uid].to_numpy()
        naive = h[-SEASON:][np.arange(HORIZON) % SEASON]
        model_mase.append(mase(y_true, pred.loc[uid].to_numpy(), y_train=h, season_length=SEASON))
        naive_mase.append(mase(y_true, naive, y_train=h, season_length=SEASON))
    model_mase, naive_mase = np.array(model_mase), np.array(naive_mase)
    transforms = [s.transform for s in f.series_.values()]

    # The same held-out origin through backtest(): all series in one batched call, and (the
    # way forecastkit did it before one path, #15) series by series through for_series().
    whole = frame.drop(columns="rank")
    f.backtest(whole[whole["unique_id"] == "s0000"], horizon=HORIZON, n_origins=1)  # warm-up
    start = time.perf_counter()
    bt = f.backtest(whole, horizon=HORIZON, n_origins=1)
    bt_s = time.perf_counter() - start
    # The backtest itself, without re-checking input: the held-out steps appended by
    # update(), then ONE origin per series at the held-out part, all series batched, beside
    # the per-series loop (how forecastkit ran a long-format backtest before #15:
    # backtest(for_series(uid)) per id, one network call per series), interleaved 3 times.
    test_frame = whole[frame["rank"] >= args.steps - HORIZON]
    start = time.perf_counter()
    f.update(test_frame)
    update_s = time.perf_counter() - start
    loop_s = gap = None
    batched_times, loop_times = [], []
    for _ in range(1 if args.no_loop else 3):
        start = time.perf_counter()
        again = f.backtest(horizon=HORIZON, n_origins=1)
        batched_times.append(time.perf_counter() - start)
        if args.no_loop:
            continue
        start = time.perf_counter()
        singles = [f.for_series(uid).backtest(horizon=HORIZON, n_origins=1) for uid in f.series_]
        loop_times.append(time.perf_counter() - start)
    batched_s = statistics.median(batched_times)
    if not args.no_loop:
        loop_s = statistics.median(loop_times)
        looped = np.concatenate([r.forecasts["forecast"].to_numpy() for r in singles])
        batched = again.forecasts["forecast"].to_numpy()
        # float32 rounding differs between a batch of 1,000 windows (the unrolled XLA twin)
        # and batches of one: the same forecasts to a few parts in a million of the level
        gap = np.max(np.abs(looped - batched)) / np.mean(np.abs(batched))
        assert gap < 1e-4, gap
        assert np.isclose(again.summary["mase"].mean(), bt.summary["mase"].mean())

    print(f"machine: {platform.processor() or platform.machine()}, CPU cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.2f}")
    print(f"data: {args.series} daily series x {args.steps} points, last {HORIZON} held out "
          f"per series; fitted on {len(train):,} rows")
    print(f"model: one global Forecaster, window {f.window_}, LSTM({args.units}), batch 256, "
          f"epochs <= {args.epochs} (ran {len(f.history_)}, best {f.best_epoch_}), "
          f"{n_windows:,} training windows")
    print(f"transforms: {sum(t.diff for t in transforms)} of {len(transforms)} series "
          f"differenced, {sum(t.log[0] for t in transforms)} logged")
    print(f"fit: {fit_s:.1f} s wall, {fit_cpu:.1f} s CPU (all threads; one run)")
    print(f"forecast({HORIZON}) of all {args.series} series: first call {first_s:.2f} s "
          f"(includes XLA compile), then median of 5: {warm_s * 1000:.0f} ms wall, "
          f"{warm_cpu * 1000:.0f} ms CPU")
    print("MASE on the held-out part (season 7), over series:")
    print(f"  global Forecaster : median {np.median(model_mase):.3f}  mean {model_mase.mean():.3f}")
    print(f"  seasonal naive    : median {np.median(naive_mase):.3f}  mean {naive_mase.mean():.3f}")
    print(f"  model beats seasonal naive on {np.mean(model_mase < naive_mase):.0%} of series")
    print(f"backtest(y=the whole frame, horizon={HORIZON}, n_origins=1), all series batched: "
          f"{bt_s:.2f} s wall for {bt.n_origins} origins; mean MASE {bt.summary['mase'].mean():.3f}"
          f" (the held-out forecast above: {model_mase.mean():.3f}), seasonal naive "
          f"{bt.summary['naive_mase'].mean():.3f} ({naive_mase.mean():.3f})")
    print(f"update() of the {len(test_frame):,} held-out rows: {update_s:.2f} s; then "
          f"backtest(horizon={HORIZON}, n_origins=1) of every series, batched: "
          f"{batched_s:.2f} s (median of {len(batched_times)})")
    if loop_s is not None:
        print(f"the same, series by series (for_series(uid).backtest(...) per id, the pre-#15 "
              f"path): {loop_s:.2f} s (median of 3, interleaved); batched / loop = "
              f"{batched_s / loop_s:.3f}; largest forecast gap {gap:.1e} of the mean level")

if __name__ == "__main__":
    main()
