"""Adamax: Adam with the infinity norm in place of the second moment."""

import numpy as np

from autodiff.cpu_math import addcdiv, lerp, multiply_by, scaled_add

from .adam import ADAM_CHECKS
from .optimizer import Optimizer, count_step, start_step


class Adamax(Optimizer):
    """m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + eps), p ← p − lr/(1 − β₁ᵗ)·m/u."""

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, ADAM_CHECKS, flags)

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_step(state)
            state["exp_avg"] = np.zeros_like(param)
            state["exp_inf"] = np.zeros_like(param)
        step = count_step(state)
        beta1, beta2 = group["betas"]
        if group["weight_decay"] != 0:
            grad = scaled_add(grad, param, group["weight_decay"])
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        lerp(exp_avg, grad, 1 - beta1, out=exp_avg)
        multiply_by(exp_inf, beta2, out=exp_inf)
        norm = np.abs(grad)
        norm += group["eps"]
        np.maximum(exp_inf, norm, out=exp_inf)
        clr = group["lr"] / (1 - beta1**step)
        addcdiv(param, exp_avg, exp_inf, -clr, out=param)
