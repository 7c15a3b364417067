"""Prediction strategies: one-step, recursive, direct and state-carrying, plain functions."""

from forecastkit.strategies.direct import direct
from forecastkit.strategies.one_step import one_step
from forecastkit.strategies.recursive import advance, feature_order, next_row, recursive
from forecastkit.strategies.state import carried

#: Multi-step strategies by name ("seq2seq": a sequence network, its state carried forward).
STRATEGIES = {"recursive": recursive, "direct": direct, "seq2seq": carried}

__all__ = [
    "STRATEGIES",
    "advance",
    "carried",
    "direct",
    "feature_order",
    "next_row",
    "one_step",
    "recursive",
]
