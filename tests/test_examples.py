"""Every script in examples/ runs in quick mode and writes its outputs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Run by their own tests, which check more than the outputs (and would pay twice here).
ELSEWHERE = {"multi_worker.py": "tests/estimators/test_forecaster_multi_worker.py"}
SCRIPTS = sorted(
    p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_") and p.name not in ELSEWHERE
)

# Files each known example must write into --out; any other example must write a PNG.
OUTPUTS = {
    "airline.py": [
        "airline_metrics.csv",
        "airline_forecast.csv",
        "airline_forecast.png",
        "airline_history.png",
        "airline.keras",
    ],
    "sine_forecasting.py": [
        "sine_metrics.csv",
        "sine_one_step_vs_recursive.png",
        "sine_history.png",
    ],
    "sin_to_cos.py": ["sin_to_cos.png", "sin_to_cos_metrics.csv"],
    "grid_search.py": [
        "grid_search_cv_results.csv",
        "grid_search_test_metrics.csv",
        "grid_search_forecast.png",
    ],
    "tensorboard_logs.py": ["tensorboard_losses.png", "logs"],
}


def test_examples_exist():
    assert {p.name for p in SCRIPTS} >= set(OUTPUTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_in_quick_mode(script, tmp_path):
    env = {**os.environ, "FORECASTKIT_QUICK": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(script), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    written = {p.name for p in out.iterdir()}
    for name in OUTPUTS.get(script.name, []):
        assert name in written, f"{script.name} did not write {name}; wrote {sorted(written)}"
        assert (out / name).stat().st_size > 0
    assert any(name.endswith(".png") for name in written)
    if script.name == "tensorboard_logs.py":  # one run folder per fit, each with events
        assert len(list((out / "logs").glob("run-*/train/events.out.tfevents.*"))) == 2
