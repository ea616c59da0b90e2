"""DataLoader: mini-batches by index arrays, reproducible shuffling, autodiff tensors out."""

import math

import numpy as np

import autodiff as ad


def _as_array(a, name: str, dtype):
    a = a.numpy() if isinstance(a, ad.Tensor) else np.asarray(a)
    if a.dtype.kind in "iub":
        return a.astype(np.int64, copy=False) if name == "y" else a.astype(dtype, copy=False)
    if a.dtype.kind != "f":
        raise TypeError(f"DataLoader: {name} must hold numbers, got dtype {a.dtype}.")
    return a.astype(dtype, copy=False)


class DataLoader:
    """Batches of (X, y) as tensors: float X (float32 by default) and int64 class labels.

    Shuffling draws a permutation per epoch from the loader's own generator when seed is given,
    else from the library's generator (ad.manual_seed), so runs repeat exactly. transform
    (e.g. nn.data.augment.random_flip()) maps each batch's X with that same generator.
    """

    def __init__(
        self,
        X,
        y=None,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed=None,
        dtype=np.float32,
        transform=None,
    ):
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}.")
        self.X = _as_array(X, "X", dtype)
        self.y = None if y is None else _as_array(y, "y", dtype)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(
                f"DataLoader: X and y differ in length ({len(self.X)} vs "
                f"{len(self.y)}). Give one label per sample."
            )
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.seed, self.transform = seed, transform
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.X) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    @property
    def dataset_size(self) -> int:
        """Number of samples."""
        return len(self.X)

    def _generator(self) -> np.random.Generator:
        return self._rng if self._rng is not None else ad.random.generator()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.X))
        return self._generator().permutation(len(self.X))

    def __iter__(self):
        order = self._order()
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.X[idx]
            if self.transform is not None:
                batch = np.ascontiguousarray(self.transform(batch, self._generator()))
            xb = ad.from_numpy(batch)
            yield xb if self.y is None else (xb, ad.from_numpy(self.y[idx]))

    def state_dict(self) -> dict:
        """The shuffling generator's state, so a resumed run draws the same batches."""
        return {"rng": None if self._rng is None else self._rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        """Restore what state_dict returned."""
        if state.get("rng") is not None:
            self._rng = np.random.default_rng()
            self._rng.bit_generator.state = state["rng"]

    def __repr__(self) -> str:
        return (
            f"DataLoader(n={len(self.X)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )


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
