"""Forecast speed and cold start: forecastkit beside plain Keras, measured in one run (#16).

Run: ``.venv/bin/python bench/speed.py [--quick] [--repeats 3] [--baseline PATH ...]``

What is measured
----------------
Every measurement runs in a fresh Python process (nothing compiled is shared between
configurations); the configurations are interleaved, ``--repeats`` rounds, and the table
shows the median over the rounds. Configurations:

* ``forecastkit``: this checkout;
* ``forecastkit@NAME`` (``--baseline PATH``): forecastkit imported from another checkout
  (folder NAME, e.g. the code before a change), for before/after in one run;
* ``forecastkit seq2seq`` (this checkout, ``strategy="seq2seq"``): the same network
  trained with a target at every position, forecast by carrying its state (window + 100
  cell steps instead of 100 re-reads of the window); ``forecastkit seq2seq+XLA``: the same
  with the state recursion compiled by XLA (``StateRecursion(jit_compile=True)``, swapped
  in after fit and load; not a Forecaster option);
* ``keras``: the reference: the same network (``LSTM(50) -> LSTM(100) -> Dense(1)``, window
  24) built with ``keras.layers``, trained one epoch with ``model.fit`` and forecast
  recursively by calling ``model(x)`` once per step (the tutorial's loop, without
  ``model.predict``'s per-call overhead).

In each process: a ``Forecaster`` (the imported checkout's default network: one LSTM(32)
since session 7, ``units=(50, 100)`` before, so a ``--baseline`` of older code measures its
own default; window 24, one epoch: speed does not depend on training, ``random_state=0``) is
fitted on a 1,200-step monthly-seasonal series; then timed: the first ``forecast(100)``
after ``fit`` and the median of warm ones; ``save``; ``load`` and the first
``forecast(100)`` after it; a global model fitted on 100 such series in long format (200
steps each) and its first and warm 100-step forecast of all 100 series;
``backtest(horizon=24, n_origins=1000)`` (first call and warm) beside a Python loop of one
24-step forecast per origin. Finally a fresh process that imports forecastkit, loads the
saved model and forecasts 100 steps (wall time of the whole process, imports included),
beside a fresh process that imports Keras, loads the reference's ``.keras`` file and calls
``predict`` once.

``--quick``: 200 backtest origins, 1 round. The seeded forecasts of every baseline
configuration are compared (largest absolute difference against this checkout).
``--no-seq2seq`` leaves the seq2seq configurations out, ``--no-keras`` the plain Keras one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WINDOW, HORIZON, N_SERIES, BT_HORIZON = 24, 100, 100, 24


def make_series(n: int, seed: int = 0):
    """A monthly-seasonal series with trend and noise (NumPy array)."""
    import numpy as np

    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 100 + 0.01 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _warm(fn, repeats: int = 5) -> float:
    return statistics.median(_timed(fn)[0] for _ in range(repeats))


def child_forecastkit(tmp: str, origins: int, strategy: str = "", xla: bool = False) -> dict:
    """All forecastkit measurements in this process (``strategy``: "" for the default)."""
    start = time.perf_counter()
    import numpy as np
    import pandas as pd

    from forecastkit import Forecaster

    res: dict = {"import": time.perf_counter() - start}
    y = pd.Series(make_series(1200), name="y")
    params = dict(window=WINDOW, epochs=1, verbose=0, random_state=0)
    if strategy:
        params["strategy"] = strategy

    def xla_recursion(forecaster):  # the seq2seq+XLA configuration
        if xla:
            from forecastkit.models.compiled import StateRecursion

            forecaster._recursion = StateRecursion(
                forecaster.model_, forecaster.targets_, jit_compile=True
            )
        return forecaster

    res["fit"], f = _timed(lambda: xla_recursion(Forecaster(**params).fit(y)))
    res["first_after_fit"], out = _timed(lambda: f.forecast(HORIZON))
    res["warm"] = _warm(lambda: f.forecast(HORIZON))
    forecast_1 = out.to_numpy().ravel().tolist()
    path = os.path.join(tmp, "model.keras")
    f.save(path)
    res["load"], g = _timed(lambda: xla_recursion(Forecaster.load(path)))
    res["first_after_load"], _ = _timed(lambda: g.forecast(HORIZON))

    frame = pd.concat(
        pd.DataFrame(
            {
                "unique_id": f"s{i:03d}",
                "ds": pd.date_range("2000-01-01", periods=200, freq="MS"),
                "y": make_series(200, seed=i),
            }
        )
        for i in range(N_SERIES)
    )
    res["fit_100"], many = _timed(lambda: xla_recursion(Forecaster(**params).fit(frame)))
    res["first_100"], out = _timed(lambda: many.forecast(HORIZON))
    res["warm_100"] = _warm(lambda: many.forecast(HORIZON), 3)
    forecast_100 = out.iloc[:, -1].to_numpy().tolist()

    res["backtest_first"], _ = _timed(lambda: f.backtest(horizon=BT_HORIZON, n_origins=origins))
    res["backtest_warm"] = _warm(lambda: f.backtest(horizon=BT_HORIZON, n_origins=origins), 1)
    values = f.values_
    positions = len(values) - BT_HORIZON - np.arange(origins)[::-1]
    res["loop"], _ = _timed(
        lambda: [f._multi_step(values, np.array([o]), BT_HORIZON) for o in positions]
    )
    res["forecast_1"], res["forecast_100"], res["path"] = forecast_1, forecast_100, path
    return res


def child_keras(tmp: str) -> dict:
    """The plain Keras reference in this process."""
    start = time.perf_counter()
    import keras
    import numpy as np

    res: dict = {"import": time.perf_counter() - start}
    keras.utils.set_random_seed(0)
    y = make_series(1200).astype("float32")
    y = (y - y.mean()) / y.std()
    X = np.stack([y[i : i + WINDOW] for i in range(len(y) - WINDOW)])[..., None]
    model = keras.Sequential(
        [
            keras.Input((WINDOW, 1)),
            keras.layers.LSTM(50, return_sequences=True),
            keras.layers.LSTM(100),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse")
    res["fit"], _ = _timed(lambda: model.fit(X, y[WINDOW:], batch_size=32, epochs=1, verbose=0))

    def recursion(windows, net=model):
        w = windows
        for _ in range(HORIZON):
            p = net(w, training=False).numpy()
            w = np.concatenate([w[:, 1:], p[:, None, :]], axis=1)
        return w

    one, many = X[-1:], X[-N_SERIES:]
    res["first_after_fit"], _ = _timed(lambda: recursion(one))
    res["warm"] = _warm(lambda: recursion(one))
    res["first_100"], _ = _timed(lambda: recursion(many))
    res["warm_100"] = _warm(lambda: recursion(many), 3)
    path = os.path.join(tmp, "plain.keras")
    model.save(path)
    res["load"], loaded = _timed(lambda: keras.saving.load_model(path))
    res["first_after_load"], _ = _timed(lambda: recursion(one, loaded))
    res["path"] = path
    return res


FRESH = {
    "forecastkit": (
        "import sys; sys.path.insert(0, {root!r}); from forecastkit import Forecaster; "
        "Forecaster.load({path!r}).forecast(100)"
    ),
    "keras": (
        "import numpy as np, keras; m = keras.saving.load_model({path!r}); "
        "m.predict(np.zeros((1, 24, 1), 'float32'), verbose=0)"
    ),
}


def run_child(
    config: str, root: str, tmp: str, origins: int, strategy: str = "", xla: bool = False
) -> dict:
    """Run one configuration in a fresh process, then its fresh-process load."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=root)
    code = (
        f"import sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {HERE!r}); "
        "import json, speed; "
        + (
            f"print(json.dumps(speed.child_keras({tmp!r})))"
            if config == "keras"
            else "print(json.dumps(speed.child_forecastkit("
            f"{tmp!r}, {origins}, {strategy!r}, {xla!r})))"
        )
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    kind = "keras" if config == "keras" else "forecastkit"
    fresh = FRESH[kind].format(root=root, path=res["path"])
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", fresh], env=env, capture_output=True, check=True)
    res["fresh_process"] = time.perf_counter() - start
    return res


ROWS = [
    ("forecast 100 steps, 1 series, warm", "warm"),
    ("forecast 100 steps, 1 series, first call after fit", "first_after_fit"),
    ("load (warm process)", "load"),
    ("forecast 100 steps, 1 series, first call after load", "first_after_load"),
    ("fresh process: import, load, forecast 100 steps", "fresh_process"),
    ("forecast 100 steps, 100 series (long format), warm", "warm_100"),
    ("forecast 100 steps, 100 series, first call after fit", "first_100"),
    ("backtest {o} origins x 24 steps, first call", "backtest_first"),
    ("backtest {o} origins x 24 steps, warm", "backtest_warm"),
    ("loop of one 24-step forecast per origin ({o})", "loop"),
    ("fit, 1 series, 1 epoch (incl. compile)", "fit"),
    ("fit, 100 series, 1 epoch (incl. compile)", "fit_100"),
    ("import", "import"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", nargs="*", default=[])
    parser.add_argument("--no-seq2seq", action="store_true")
    parser.add_argument("--no-keras", action="store_true")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    origins = 200 if args.quick else 1000
    configs = {"forecastkit": (ROOT, "", False)}
    for path in args.baseline:
        configs[f"forecastkit@{os.path.basename(os.path.normpath(path))}"] = (path, "", False)
    if not args.no_seq2seq:
        configs["forecastkit seq2seq"] = (ROOT, "seq2seq", False)
        configs["forecastkit seq2seq+XLA"] = (ROOT, "seq2seq", True)
    if not args.no_keras:
        configs["keras"] = (ROOT, "", False)
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for round_ in range(repeats):
        for name, (root, strategy, xla) in configs.items():
            with tempfile.TemporaryDirectory() as tmp:
                runs[name].append(run_child(name, root, tmp, origins, strategy, xla))
            print(f"round {round_ + 1}/{repeats}: {name} done", file=sys.stderr, flush=True)

    def med(name, key):
        values = [r[key] for r in runs[name] if key in r]
        return statistics.median(values) if values else None

    names = list(configs)
    print(
        f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}, "
        f"medians of {repeats} round(s), seconds"
    )
    print("| work | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for label, key in ROWS:
        cells = [med(n, key) for n in names]
        text = [f"{c:.3f}" if c is not None else "-" for c in cells]
        print(f"| {label.format(o=origins)} | " + " | ".join(text) + " |")
    for name in names:
        if name == "keras":
            continue
        r = {
            k: med(name, k)
            for k in (
                "first_after_fit",
                "first_after_load",
                "warm",
                "first_100",
                "warm_100",
                "backtest_first",
                "loop",
            )
        }
        print(
            f"{name}: first/warm 1 series {r['first_after_fit'] / r['warm']:.1f}x after fit, "
            f"{r['first_after_load'] / r['warm']:.1f}x after load; 100 series "
            f"{r['first_100'] / r['warm_100']:.1f}x; loop/backtest first call "
            f"{r['loop'] / r['backtest_first']:.1f}x"
        )
    import numpy as np

    ref = runs["forecastkit"][0]
    for name in [n for n in names if "@" in n]:  # the same model from another checkout
        other = runs[name][0]
        d1 = np.max(np.abs(np.subtract(ref["forecast_1"], other["forecast_1"])))
        d100 = np.max(np.abs(np.subtract(ref["forecast_100"], other["forecast_100"])))
        scale = np.max(np.abs(ref["forecast_1"]))
        print(
            f"max abs difference vs {name}: 1 series {d1:.2e} (of values up to {scale:.0f}),"
            f" 100 series {d100:.2e}"
        )


if __name__ == "__main__":
    main()
