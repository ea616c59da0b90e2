"""NAdam (Dozat 2016): Adam with Nesterov momentum and torch's momentum-decay schedule."""

import numpy as np

from autodiff.cpu_math import addcdiv, divide_by

from .adam import ADAM_CHECKS, decayed, start_moments, step_moments
from .optimizer import Optimizer, count_step, scalar_dtype


class NAdam(Optimizer):
    """μₜ = β₁(1 − ½·0.96^(t·ψ)); p ← p − lr[(1 − μₜ)g/(1 − Πμ) + μₜ₊₁m/(1 − Πμ·μₜ₊₁)]/(√v̂ + eps)."""

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, (*ADAM_CHECKS, "momentum_decay"), flags)

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_moments(state, param)
            state["mu_product"] = scalar_dtype()(1.0)
        step, lr = count_step(state), group["lr"]
        beta1, beta2 = group["betas"]
        bias_correction2 = 1 - beta2**step
        grad = decayed(param, grad, group)
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        state["mu_product"] = mu_product = state["mu_product"] * mu
        step_moments(state, grad, group["betas"])
        denom = np.sqrt(divide_by(state["exp_avg_sq"], bias_correction2))
        mu_product_next = float(mu_product) * mu_next
        denom += group["eps"]
        addcdiv(param, grad, denom, -lr * (1.0 - mu) / (1.0 - float(mu_product)), out=param)
        addcdiv(
            param, state["exp_avg"], denom, (-lr * mu_next) / (1.0 - mu_product_next), out=param
        )
