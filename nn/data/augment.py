"""Data augmentation for image batches (N, C, H, W): whole-batch NumPy, no per-image loop.

Each function returns a transform `f(X, rng) -> X` for DataLoader(transform=...), which passes
its own generator so augmented runs repeat exactly.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_images(X, op: str) -> None:
    if X.ndim != 4:
        raise ValueError(
            f"{op}: expected image batches (N, C, H, W), got shape {tuple(X.shape)}. "
            "Reshape flat images to (N, 1, 28, 28) first."
        )


def random_flip(p: float = 0.5):
    """Mirror each image left-right with probability p."""

    def flip(X, rng):
        _check_images(X, "random_flip")
        mirrored = rng.random(len(X)) < p
        out = X.copy()
        out[mirrored] = X[mirrored, :, :, ::-1]
        return out

    return flip


def random_shift(max_shift: int = 2):
    """Translate each image by up to max_shift pixels in each direction, filling with zeros
    (the random crop of a zero-padded image)."""

    def shift(X, rng):
        _check_images(X, "random_shift")
        n, s = len(X), max_shift
        padded = np.pad(X, ((0, 0), (0, 0), (s, s), (s, s)))
        windows = sliding_window_view(padded, X.shape[2:], axis=(2, 3))  # (N, C, 2s+1, 2s+1, H, W)
        dy, dx = rng.integers(0, 2 * s + 1, n), rng.integers(0, 2 * s + 1, n)
        return windows[np.arange(n), :, dy, dx]  # (N, C, H, W): one window per image

    return shift


def compose(*transforms):
    """Apply transforms in order."""

    def composed(X, rng):
        for transform in transforms:
            X = transform(X, rng)
        return X

    return composed
