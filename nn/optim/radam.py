"""RAdam (Liu et al. 2019): Adam whose adaptive step is rectified while its variance is large."""

import numpy as np

from autodiff.cpu_math import divide_by, multiply_by

from .adam import ADAM_CHECKS, decayed, start_moments, step_moments
from .optimizer import Optimizer, count_step


class RAdam(Optimizer):
    """Adam with the rectifier r(ρₜ) once ρₜ > 5, plain momentum SGD before (torch's rule)."""

    defaults_order = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "maximize",
        "foreach",
        "capturable",
        "decoupled_weight_decay",
        "differentiable",
    )  # torch's, as its param groups print

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        *,
        foreach=None,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, ADAM_CHECKS, flags)

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_moments(state, param)
        step, lr = count_step(state), group["lr"]
        beta1, beta2 = group["betas"]
        grad = decayed(param, grad, group)
        step_moments(state, grad, group["betas"])
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = multiply_by(divide_by(state["exp_avg"], bias_correction1), lr)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive = np.sqrt(state["exp_avg_sq"])
            adaptive += group["eps"]
            np.reciprocal(adaptive, out=adaptive)  # torch's number / tensor: reciprocal, then ·
            multiply_by(adaptive, bias_correction2**0.5, out=adaptive)
            update *= adaptive
            multiply_by(update, rect, out=update)
        param -= update
