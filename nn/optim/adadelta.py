"""Adadelta (Zeiler 2012): steps scaled by the ratio of running RMS of updates and gradients."""

import numpy as np

from autodiff.cpu_math import addcmul, multiply_by, scaled_add

from .optimizer import Optimizer, count_step, start_step


class Adadelta(Optimizer):
    """v ← ρv + (1 − ρ)g², Δ = √(u + eps)/√(v + eps)·g, u ← ρu + (1 − ρ)Δ², p ← p − lr·Δ."""

    defaults_order = (
        "lr",
        "rho",
        "eps",
        "weight_decay",
        "maximize",
        "capturable",
        "foreach",
        "differentiable",
    )  # torch's, as its param groups print

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach=None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, ("lr", "rho", "eps", "weight_decay"), flags)

    def _check_options(self, defaults: dict) -> None:
        if defaults["rho"] > 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {defaults['rho']}. Use 0 <= rho <= 1.")

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_step(state)
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        count_step(state)
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"] != 0:
            grad = scaled_add(grad, param, group["weight_decay"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        multiply_by(square_avg, rho, out=square_avg)
        addcmul(square_avg, grad, grad, 1 - rho, out=square_avg)
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        multiply_by(acc_delta, rho, out=acc_delta)
        addcmul(acc_delta, delta, delta, 1 - rho, out=acc_delta)
        scaled_add(param, delta, -group["lr"], out=param)
