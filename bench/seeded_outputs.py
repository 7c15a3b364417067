"""Seeded outputs of the Forecaster, saved to compare two versions of forecastkit (#15).

Fits small seeded Forecasters (airline with the default recipe, intervals, predict, evaluate,
backtest, update; a calibration part; covariates with two targets; the direct strategy; a
long frame of three series) and saves every output to an ``.npz``. Run it on two checkouts
and compare: a refactoring that must not change a number shows 0.0 everywhere.

Run::

    python bench/seeded_outputs.py before.npz      # on the old checkout
    python bench/seeded_outputs.py after.npz       # on the new one
    python bench/seeded_outputs.py --compare before.npz after.npz
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd


def outputs() -> dict:
    """Every output of the seeded fits, by name."""
    from forecastkit import Forecaster, datasets

    warnings.simplefilter("ignore")
    out = {}
    y = datasets.load_airline()
    kw = dict(units=(8,), n_models=1, epochs=4, verbose=0, random_state=0)
    # 1. default recipe (seasonal adjustment, auto transform): intervals, predict, evaluate, ...
    f = Forecaster(window=12, test_size=12, **kw).fit(y)
    out["air_fc"] = f.forecast(18).to_numpy()
    out["air_lvl"] = f.forecast(4, level=80).to_numpy()
    out["air_pred"] = f.predict().to_numpy()
    out["air_eval"] = f.evaluate().to_numpy()
    out["air_bt"] = f.backtest(horizon=6, n_origins=20).forecasts["forecast"].to_numpy()
    out["air_pred_new"] = f.predict(y[-40:]).to_numpy()
    f.update(
        pd.Series(
            [450.0, 460.0], index=pd.date_range("1961-01-01", periods=2, freq="MS"), name=y.name
        )
    )
    out["air_upd"] = f.forecast(5).to_numpy()
    # 2. calibration part, no adjustment
    f = Forecaster(window=12, calibration_size=0.25, seasonal_adjustment="none", **kw).fit(y)
    out["cal_lvl"] = f.forecast(4, level=90).to_numpy()
    # 3. covariates + multi-target
    t = np.arange(300)
    X = pd.DataFrame({"c": np.sin(t / 5)}, index=pd.date_range("2020-01-01", periods=300, freq="D"))
    Y = pd.DataFrame(
        {"a": 10 + np.sin(t / 5) * 2 + t * 0.01, "b": 5 + np.cos(t / 7)}, index=X.index
    )
    f = Forecaster(window=10, **kw).fit(X, Y)
    Xf = pd.DataFrame(
        {"c": np.sin(np.arange(300, 307) / 5)},
        index=pd.date_range(X.index[-1] + pd.Timedelta("1D"), periods=7, freq="D"),
    )
    out["cov_fc"] = f.forecast(7, X=Xf).to_numpy()
    out["cov_lvl"] = f.forecast(3, X=Xf[:3], level=80).to_numpy()
    # 4. direct strategy
    f = Forecaster(window=12, horizon=6, strategy="direct", **kw).fit(y)
    out["direct_fc"] = f.forecast(6).to_numpy()
    # 5. long format
    rng = np.random.default_rng(0)
    frames = []
    for i, n in enumerate([120, 150, 90]):
        ds = pd.date_range("2015-01-01", periods=n, freq="D")
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{i}",
                    "ds": ds,
                    "y": 20 + 3 * np.sin(np.arange(n) * 2 * np.pi / 7) + rng.normal(0, 0.3, n) + i,
                }
            )
        )
    long = pd.concat(frames, ignore_index=True)
    g = Forecaster(window=14, **kw).fit(long)
    out["long_fc"] = g.forecast(5)["Forecaster"].to_numpy()
    out["long_pred"] = g.predict()["Forecaster"].to_numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="output .npz, or two with --compare")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    if args.compare:
        a, b = (np.load(p) for p in args.paths)
        for key in a.files:
            same = a[key].shape == b[key].shape
            diff = float(np.nanmax(np.abs(a[key] - b[key]))) if same else float("nan")
            print(f"{key:14s} max |difference| {diff:.3g}" + ("" if same else " (shapes differ)"))
        return
    out = outputs()
    np.savez(args.paths[0], **out)
    print("saved", args.paths[0], {k: v.shape for k, v in out.items()})


if __name__ == "__main__":
    main()
