"""Prediction strategies: one-step, recursive and direct, plain functions over a step."""

from forecastkit.strategies.direct import direct
from forecastkit.strategies.one_step import one_step
from forecastkit.strategies.recursive import advance, feature_order, recursive

#: Multi-step strategies by name.
STRATEGIES = {"recursive": recursive, "direct": direct}

__all__ = ["STRATEGIES", "advance", "direct", "feature_order", "one_step", "recursive"]
