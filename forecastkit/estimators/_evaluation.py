"""Held-out evaluation of a Forecaster: every series on its own test part, batched.

One-step predictions of every series' test part come from one network call; recursive
forecasts over the test parts from one call per distinct test length (one call when every
series holds the same number of test steps). Scores beside the seasonal naive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecastkit.estimators._context import Job, multi_step, one_step_predictions
from forecastkit.exceptions import ParameterError
from forecastkit.metrics import mae, mase, rmse, smape

__all__ = ["evaluate"]


def evaluate(est) -> pd.DataFrame:
    """Return the table of ``Forecaster.evaluate`` (series id first after a long fit)."""
    if any(s.sizes[2] == 0 for s in est.series_.values()):
        raise ParameterError(
            "evaluate() needs a held-out test part: fit with test_size > 0 (e.g. test_size=12)."
        )
    targets = list(est.targets_)
    others = est._covariate_columns
    one_jobs, origins = [], {}
    for uid, s in est.series_.items():
        # The fitted series only: steps appended later by update() are not the test part.
        n = s.n_fitted
        origins[uid] = n - s.sizes[2]
        one_jobs.append(Job(s, s.values[:n], np.arange(origins[uid], n)))
    one = dict(zip(est.series_, one_step_predictions(est, one_jobs), strict=True))
    recursive = {}
    for n_test in sorted({s.sizes[2] for s in est.series_.values()}):
        ids = [uid for uid, s in est.series_.items() if s.sizes[2] == n_test]
        jobs = []
        for uid in ids:
            s, origin = est.series_[uid], origins[uid]
            values = s.values[: s.n_fitted]
            cov = values[origin:, others][None] if others else None
            jobs.append(Job(s, values, np.array([origin]), 0, cov))
        for uid, pred in zip(ids, multi_step(est, jobs, n_test), strict=True):
            recursive[uid] = pred[0]
    tables = {}
    for uid, s in est.series_.items():
        n, origin, m = s.n_fitted, origins[uid], s.season_length
        values = s.values[:n]
        truth = values[origin:, targets].astype(np.float64)
        history = values[:origin, targets].astype(np.float64)
        preds = {"forecaster one-step": one[uid], "forecaster recursive": recursive[uid]}
        if origin >= m:
            preds["seasonal naive one-step"] = values[origin - m : n - m, targets]
        preds["seasonal naive recursive"] = history[-m:][np.arange(n - origin) % m]
        rows = {
            name: {
                "mae": mae(truth, p),
                "rmse": rmse(truth, p),
                "smape": smape(truth, p),
                "mase": mase(truth, p, y_train=history, season_length=m),
            }
            for name, p in preds.items()
        }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = f"test part: {n - origin} steps, season_length={m}"
        tables[uid] = table
    if est.input_kind_ != "long":
        return tables[None]
    return pd.concat(tables, names=[est.id_col, "model"])
