"""Prediction strategies: one-step, recursive and direct, as plain functions over a step callable."""
