"""Choose a Forecaster's window and layer size with scikit-learn's GridSearchCV.

The airline passengers, 1960 held out as the test part. On 1949-1959, ``GridSearchCV``
tries every window and layer size of the grid on ``TimeSeriesSplit`` folds: each fold fits
on the years before a test year (1957, 1958 or 1959) and scores that year with
``neg_mean_absolute_error``, so no fold ever trains on data after the rows it is scored on.

The calling convention is ``search.fit(y, y)`` with the pandas series as both arguments:
``X`` identical to ``y`` is ignored as covariates, and the scorer's ``predict(y_test)``
gives one teacher-forced (one-step) prediction per test row, because the index tells that
``y_test`` continues the training rows. (NumPy arrays have no index: the Forecaster refuses
them here rather than guess; wrap them in ``pd.Series``.) The folds are thus ranked by
one-step errors; ``forecastkit.backtest`` scores multi-step forecasts.

With ``refit=True`` the best parameters are refitted on 1949-1959, and the best model's
forecast of 1960 (recursive, 12 steps) and its one-step predictions are scored beside the
seasonal naive (the same month one year earlier). MASE divides by the in-sample error of
the seasonal naive.

Run:  python examples/grid_search.py [--quick] [--out out/]
Writes grid_search_cv_results.csv, grid_search_test_metrics.csv and grid_search_forecast.png
into --out.
"""

from __future__ import annotations

import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from _common import example_args  # examples/_common.py: --out and --quick
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from forecastkit import Forecaster, NaiveForecaster, datasets, metrics
from forecastkit.plotting import plot_forecast


def main(argv=None) -> int:
    args, out = example_args(__doc__, "two candidates, tiny network, one epoch", argv)
    # Each candidate and fold builds a new network, so TensorFlow notes "retracing" of its
    # training functions: expected here, and not worth a screenful of warnings.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)

    if args.quick:
        grid = {"window": [12, 24], "units": [(4,)]}
        options = {"epochs": 1, "n_models": 1}
    else:
        grid = {"window": [12, 24], "units": [(32,), (64,)]}
        options = {"epochs": 100}

    y = datasets.load_airline()  # 144 months, 1949-01 .. 1960-12
    history, test = y.iloc[:-12], y.iloc[-12:]
    search = GridSearchCV(
        Forecaster(random_state=0, verbose=0, **options),
        grid,
        cv=TimeSeriesSplit(n_splits=3, test_size=12),  # test years 1957, 1958, 1959
        scoring="neg_mean_absolute_error",
        refit=True,
    )
    search.fit(history, history)  # X identical to y: no covariates (see the docstring)

    results = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame(
        {
            "rank": results["rank_test_score"],
            "window": results["param_window"],
            "units": results["param_units"].astype(str),
            "cv_mae": -results["mean_test_score"],
            "cv_mae_std": results["std_test_score"],
            "fit_seconds": results["mean_fit_time"],
        }
    ).sort_values("rank")
    table.to_csv(out / "grid_search_cv_results.csv", index=False)
    print("cross-validated one-step MAE (3 folds), best first:")
    print(table.to_string(index=False, float_format="%.2f"))
    print(f"chosen parameters: {search.best_params_}")

    best = search.best_estimator_  # refitted on 1949-1959
    naive = NaiveForecaster("seasonal").fit(history)
    predictions = {
        "best forecaster recursive": best.forecast(len(test)),
        "best forecaster one-step": best.predict(test),
        "seasonal naive recursive": naive.forecast(len(test)),
        "seasonal naive one-step": naive.predict(test),
    }
    scores = pd.DataFrame(
        {
            name: {
                "mae": metrics.mae(test, pred),
                "rmse": metrics.rmse(test, pred),
                "mase": metrics.mase(test, pred, y_train=history, season_length=12),
            }
            for name, pred in predictions.items()
        }
    ).T
    scores.index.name = "test part: 1960 (12 months)"
    scores.to_csv(out / "grid_search_test_metrics.csv")
    print(scores.to_string(float_format="%.3f"))

    fig, ax = plt.subplots(figsize=(10, 4))
    plot_forecast(
        history,
        predictions["best forecaster recursive"],
        actual=test,
        ax=ax,
        title=f"Best of the grid search: {search.best_params_}",
    )
    fig.tight_layout()
    fig.savefig(out / "grid_search_forecast.png", dpi=100)
    plt.close(fig)
    print(
        "wrote grid_search_cv_results.csv, grid_search_test_metrics.csv, "
        f"grid_search_forecast.png to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
