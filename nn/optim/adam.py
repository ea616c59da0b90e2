"""Adam (Kingma & Ba) with torch's update order, bias corrections and amsgrad."""

import math

import numpy as np

from .optimizer import Optimizer, count_step, start_step

ADAM_CHECKS = ("lr", "eps", "weight_decay", "betas")  # what every Adam-like optimizer checks


def start_moments(state: dict, param: np.ndarray) -> None:
    """The state every Adam-like optimizer starts from: step 0 and zero first/second moments."""
    start_step(state)
    state["exp_avg"] = np.zeros_like(param)
    state["exp_avg_sq"] = np.zeros_like(param)


def decayed(param: np.ndarray, grad: np.ndarray, group: dict) -> np.ndarray:
    """Adam's L2 penalty goes into the gradient; decoupled (AdamW's rule) it shrinks p."""
    wd = group["weight_decay"]
    if wd == 0:
        return grad
    if group.get("decoupled_weight_decay", False):
        param *= 1 - group["lr"] * wd
        return grad
    return grad + wd * param


def step_moments(state: dict, grad: np.ndarray, betas) -> np.ndarray:
    """m ← lerp(m, g, 1 − β₁) (torch's form), v ← β₂v + (1 − β₂)g², in place; returns the
    scratch array it used, free for the caller's next pass."""
    beta1, beta2 = betas
    m, v = state["exp_avg"], state["exp_avg_sq"]
    scratch = np.subtract(grad, m)
    scratch *= 1 - beta1
    m += scratch
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    v *= beta2
    v += scratch
    return scratch


class Adam(Optimizer):
    """m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr·m̂ / (√v̂ + eps)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        foreach=None,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
        decoupled_weight_decay: bool = False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        flags = dict(
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused
        )
        super().__init__(params, defaults, ADAM_CHECKS, flags)

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_moments(state, param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        grad = decayed(param, grad, group)
        beta1, beta2 = group["betas"]
        step = count_step(state)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        scratch = step_moments(state, grad, group["betas"])
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = group["lr"] / (1 - beta1**step)
        np.sqrt(v, out=scratch)
        scratch /= math.sqrt(1 - beta2**step)
        scratch += group["eps"]
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        param -= scratch
