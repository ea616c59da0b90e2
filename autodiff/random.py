"""The one random generator of the library: init, dropout, shuffling and ad.rand* draw from it."""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw of the library."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The library's current generator (call it each time: manual_seed replaces it)."""
    return _generator
