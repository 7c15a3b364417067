"""The single door to global random state."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["resolve_seed", "seed_everything"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend (TensorFlow) from one integer.

    Called only when an estimator's ``random_state`` is set; two fits with the same seed in
    one process then give identical weights and forecasts.

    Examples
    --------
    >>> seed_everything(0)
    """
    keras.utils.set_random_seed(int(seed))


def resolve_seed(random_state: int | None) -> int:
    """Return the seed of a fit: ``random_state`` (after seeding everything from it) or a fresh one.

    The estimators call this once at the start of ``fit``; the returned integer seeds the
    weight initialisers, dropout and shuffling. With ``random_state=None`` a fresh seed is
    drawn from the operating system, so two fits differ.

    Examples
    --------
    >>> resolve_seed(7)
    7
    >>> 0 <= resolve_seed(None) < 2**31 - 1
    True
    """
    if random_state is not None:
        seed_everything(random_state)
        return int(random_state)
    return int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
