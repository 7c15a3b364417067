"""The single door to global random state."""

from __future__ import annotations

import keras

__all__ = ["seed_everything"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend (TensorFlow) from one integer.

    Called only when an estimator's ``random_state`` is set; two fits with the same seed in
    one process then give identical weights and forecasts.

    Examples
    --------
    >>> seed_everything(0)
    """
    keras.utils.set_random_seed(int(seed))
