"""Rprop (Riedmiller & Braun 1993): per-element step sizes grown or shrunk by the gradient's sign."""

import numpy as np

from .optimizer import Optimizer, check_number, count_step, start_step


class Rprop(Optimizer):
    """s ← clamp(s·η±, step_sizes) by sign(g·g_prev); p ← p − sign(g)·s, no step where g flipped."""

    defaults_order = (
        "lr",
        "etas",
        "step_sizes",
        "foreach",
        "maximize",
        "differentiable",
        "capturable",
    )  # torch's, as its param groups print

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, ("lr",), flags)

    def _check_options(self, defaults: dict) -> None:
        for key in ("etas", "step_sizes"):
            if not isinstance(defaults[key], tuple | list) or len(defaults[key]) != 2:
                raise ValueError(f"Rprop: {key} must be a pair, got {defaults[key]!r}")
            defaults[key] = tuple(check_number(key, v, "Rprop") for v in defaults[key])
        etaminus, etaplus = defaults["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(
                f"Rprop: Invalid eta values: {etaminus}, {etaplus}. Use 0 < etaminus < 1 < etaplus."
            )

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_step(state)
            state["prev"] = np.zeros_like(param)
            state["step_size"] = np.full_like(param, group["lr"])
        count_step(state)
        etaminus, etaplus = group["etas"]
        # torch's steps as torch writes them: a sign whose entries become the factors (a nan
        # stays nan), then a rest wherever the factor is etaminus
        factor = _sign(grad * state["prev"])
        factor[factor > 0], factor[factor < 0], factor[factor == 0] = etaplus, etaminus, 1
        step_size = state["step_size"]
        step_size *= factor
        np.clip(step_size, *group["step_sizes"], out=step_size)
        grad = np.where(factor == factor.dtype.type(etaminus), 0, grad).astype(param.dtype)
        param -= _sign(grad) * step_size
        state["prev"][...] = grad


def _sign(x: np.ndarray) -> np.ndarray:
    """torch's sign: (x > 0) − (x < 0), so 0 for a nan (NumPy's is nan)."""
    return np.greater(x, 0).astype(x.dtype) - np.less(x, 0)
