"""Splitting data: random_split (torch's, into Subsets of a dataset) and train_val_split
(arrays, stratified by label)."""

import math
import warnings

import numpy as np

from .dataset import Subset
from .sampler import permutation


def _lengths(lengths, n: int) -> list:
    """Integer lengths, or fractions summing to 1 turned into lengths as torch does."""
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: Fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):  # the remainder goes round-robin from the first
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"random_split: Length of split at index {i} is 0. This might result in an "
                    "empty dataset.",
                    stacklevel=3,
                )
        return sizes
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: Sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n}). Give lengths summing to {n} or fractions summing to 1."
        )
    return lengths


def random_split(dataset, lengths, generator=None) -> list:
    """Split into non-overlapping random Subsets of the given lengths (or fractions)."""
    sizes = _lengths(lengths, len(dataset))
    order = permutation(sum(sizes), generator).tolist()
    bounds = np.cumsum([0] + sizes).tolist()
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def train_val_split(X, y, val_fraction: float = 0.1, seed=0, stratify=None) -> tuple:
    """Split into (X_train, y_train, X_val, y_val) with a seeded shuffle.

    stratify (default: when y holds integer labels) keeps each class's share in both parts.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}.")
    y_arr = np.asarray(y)
    stratify = y_arr.dtype.kind in "iub" if stratify is None else stratify
    rng = np.random.default_rng(seed)
    groups = (
        [np.flatnonzero(y_arr == c) for c in np.unique(y_arr)] if stratify else [np.arange(len(X))]
    )
    val = []
    for group in groups:
        group = rng.permutation(group)
        val.append(group[: round(len(group) * val_fraction)])
    val = rng.permutation(np.concatenate(val))
    if len(val) == 0:
        raise ValueError(
            f"train_val_split: {len(X)} samples at val_fraction {val_fraction} leave "
            "no validation sample. Raise val_fraction or use more data."
        )
    train = rng.permutation(np.setdiff1d(np.arange(len(X)), val))
    return X[train], y[train], X[val], y[val]
