"""Adafactor (Shazeer & Stern 2018, torch's variant): the second moment of a matrix kept as a row
factor and a column factor, and the update clipped by its RMS."""

import numpy as np

from autodiff.cpu_math import lerp

from .optimizer import Optimizer, check_hyper, check_number, count_step, start_step


def _rms(x: np.ndarray) -> float:
    return float(np.linalg.norm(x.ravel())) / x.size**0.5


def _mean_square(grad: np.ndarray, dim: int) -> np.ndarray:
    """The mean of g² along dim, as torch computes it (the norm, squared, over the count)."""
    return np.square(np.linalg.norm(grad, axis=dim, keepdims=True)) / grad.shape[dim]


class Adafactor(Optimizer):
    """β̂₂ = 1 − t^τ; R, C ← lerp to the row and column means of g² (a vector: V to g²);
    u = g / √(RC / mean(R)); p ← p − max(eps2, RMS(p))·min(lr, 1/√t)·u / max(1, RMS(u)/d)."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps=(None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach=None,
        maximize: bool = False,
    ):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay)
        defaults.update(foreach=foreach, maximize=maximize)
        super().__init__(params, defaults, ("lr", "weight_decay"))

    def _check_options(self, defaults: dict) -> None:
        eps = defaults["eps"]
        if not isinstance(eps, tuple | list) or len(eps) != 2:
            raise ValueError(
                f"Adafactor: eps must be a pair (epsilon1, epsilon2), got {eps!r}. "
                "Pass e.g. eps=(None, 1e-3); None means the dtype's machine epsilon."
            )
        if eps[0] is not None:
            check_hyper("epsilon1", eps[0], "Adafactor")
        check_hyper("epsilon2", eps[1], "Adafactor")
        if check_number("beta2_decay", defaults["beta2_decay"], "Adafactor") > 0:
            raise ValueError(
                f"Adafactor: beta2_decay should be <= 0 but is: {defaults['beta2_decay']}. "
                "The default is -0.8."
            )
        if check_number("d", defaults["d"], "Adafactor") < 1:
            raise ValueError(
                f"Adafactor: Clipping threshold d should be >= 1 but is: {defaults['d']}."
            )

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_step(state)
            if param.ndim > 1:
                state["row_var"] = np.zeros(param.shape[:-1] + (1,), param.dtype)
                state["col_var"] = np.zeros(param.shape[:-2] + (1, param.shape[-1]), param.dtype)
            else:
                state["variance"] = np.zeros_like(param)
        step, lr = count_step(state), group["lr"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param.dtype).eps)
        weight = step ** group["beta2_decay"]
        alpha = max(eps2, _rms(param)) * min(lr, 1 / step**0.5)
        if group["weight_decay"] != 0:
            param *= 1 - lr * group["weight_decay"]
        if param.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            lerp(row_var, _mean_square(grad, -1), weight, out=row_var)
            lerp(col_var, _mean_square(grad, -2), weight, out=col_var)
            estimate = row_var @ col_var
            estimate /= np.maximum(row_var.mean(-2, keepdims=True), eps1)
        else:
            lerp(state["variance"], grad * grad, weight, out=state["variance"])
            estimate = state["variance"].copy()
        update = np.reciprocal(np.sqrt(np.maximum(estimate, eps1 * eps1)))  # torch's rsqrt
        update *= grad
        param -= alpha / max(1.0, _rms(update) / group["d"]) * update
