"""Input normalisation as the seeds compare it, fitted on the training split only."""

import numpy as np

METHODS = ("none", "unit", "symmetric", "zscore", "channel-zscore")
_DESCRIBE = {
    "none": "raw values",
    "unit": "min-max scaled to [0, 1]",
    "symmetric": "min-max scaled to [-1, 1]",
    "zscore": "(x - mean) / std with one mean and std",
    "channel-zscore": "(x - mean) / std per channel (axis 1: image channels or table columns)",
}


class Normalizer:
    """Maps x to (x - shift) / scale, with shift and scale fitted on training data only."""

    def __init__(self, method: str = "zscore", eps: float = 1e-8):
        if method not in METHODS:
            raise ValueError(f"Normalizer: unknown method {method!r}. Use one of {METHODS}.")
        self.method, self.eps = method, eps
        self.shift = self.scale = None

    def fit(self, X) -> "Normalizer":
        """Learn the statistics of X (the training split)."""
        X = np.asarray(X)
        if self.method == "channel-zscore":
            if X.ndim < 2:
                raise ValueError(
                    f"Normalizer: channel-zscore needs (N, C, ...) data, got shape "
                    f"{tuple(X.shape)}. Use 'zscore' for 1-d data."
                )
            axes = (0,) + tuple(range(2, X.ndim))
            shape = (1, X.shape[1]) + (1,) * (X.ndim - 2)
            mean = X.mean(axis=axes, dtype=np.float64).reshape(shape)
            std = X.std(axis=axes, dtype=np.float64).reshape(shape)
            self.shift, self.scale = mean, np.maximum(std, self.eps)
        elif self.method == "zscore":
            self.shift, self.scale = (
                X.mean(dtype=np.float64),
                max(X.std(dtype=np.float64), self.eps),
            )
        elif self.method in ("unit", "symmetric"):
            low, high = float(X.min()), float(X.max())
            span = max(high - low, self.eps)
            # [-1, 1] is [0, 1] stretched about the middle of the range
            self.shift, self.scale = (
                (low, span) if self.method == "unit" else ((low + high) / 2, span / 2)
            )
        else:
            self.shift, self.scale = 0.0, 1.0
        self.shift = np.asarray(self.shift, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        return self

    def transform(self, X, dtype=np.float32) -> np.ndarray:
        """Apply the fitted statistics (to any split)."""
        if self.shift is None:
            raise RuntimeError("Normalizer: transform called before fit. Call fit(X_train) first.")
        X = np.asarray(X)
        shift, scale = self.shift.astype(dtype), self.scale.astype(dtype)
        return ((X.astype(dtype) - shift) / scale).astype(dtype, copy=False)

    def fit_transform(self, X, dtype=np.float32) -> np.ndarray:
        """fit(X) then transform(X)."""
        return self.fit(X).transform(X, dtype)

    def state_dict(self) -> dict:
        """Method and statistics as plain JSON-friendly values."""
        return {
            "method": self.method,
            "shift": np.asarray(self.shift).tolist(),
            "scale": np.asarray(self.scale).tolist(),
        }

    def load_state_dict(self, state: dict) -> "Normalizer":
        """Restore what state_dict returned."""
        self.method = state["method"]
        self.shift = np.asarray(state["shift"], dtype=np.float64)
        self.scale = np.asarray(state["scale"], dtype=np.float64)
        return self

    def __repr__(self) -> str:
        return f"Normalizer(method={self.method!r})"


def normalize(X_train, *others, method: str = "zscore", dtype=np.float32) -> tuple:
    """Fit on X_train, apply to it and to every other split; returns the arrays in order."""
    norm = Normalizer(method).fit(X_train)
    return tuple(norm.transform(X, dtype) for X in (X_train, *others))


def describe(method: str) -> str:
    """One line saying what a method does (for --help)."""
    return _DESCRIBE[method]
