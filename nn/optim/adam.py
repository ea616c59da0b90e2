"""Adam (Kingma & Ba) with torch's update order, bias corrections and amsgrad."""

import numpy as np

from autodiff.cpu_math import addcdiv, addcmul, divide_by, lerp, multiply_by, scaled_add

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
        multiply_by(param, 1 - group["lr"] * wd, out=param)
        return grad
    return scaled_add(grad, param, wd)


def step_moments(state: dict, grad: np.ndarray, betas) -> None:
    """m ← lerp(m, g, 1 − β₁), v ← β₂v + (1 − β₂)g², in place, with torch's kernels (lerp_,
    mul_, addcmul_) and their roundings."""
    beta1, beta2 = betas
    m, v = state["exp_avg"], state["exp_avg_sq"]
    lerp(m, grad, 1 - beta1, out=m)
    multiply_by(v, beta2, out=v)
    addcmul(v, grad, grad, 1 - beta2, out=v)


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
        step_moments(state, grad, group["betas"])
        v = state["exp_avg_sq"]
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = group["lr"] / (1 - beta1**step)
        denom = np.sqrt(v)
        divide_by(denom, (1 - beta2**step) ** 0.5, out=denom)
        denom += group["eps"]
        addcdiv(param, state["exp_avg"], denom, -step_size, out=param)
