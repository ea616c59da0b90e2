"""RMSprop with torch's options: alpha, eps, weight_decay, momentum, centered."""

import numpy as np

from autodiff.cpu_math import addcdiv, addcmul, lerp, multiply_by, scaled_add

from .optimizer import Optimizer, count_step, start_step


class RMSprop(Optimizer):
    """v ← αv + (1 − α)g², p ← p − lr·g / (√v + eps) (centered: √(v − ḡ²); with momentum)."""

    defaults_order = (
        "lr",
        "momentum",
        "alpha",
        "eps",
        "centered",
        "weight_decay",
        "capturable",
        "foreach",
        "maximize",
        "differentiable",
    )  # torch's, as its param groups print

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        checked = ("lr", "alpha", "eps", "weight_decay", "momentum")
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults, checked, flags)

    def _update(self, param, grad, group, state) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            start_step(state)
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        count_step(state)
        if group["weight_decay"] != 0:
            grad = scaled_add(grad, param, group["weight_decay"])
        square_avg = state["square_avg"]
        multiply_by(square_avg, alpha, out=square_avg)
        addcmul(square_avg, grad, grad, 1 - alpha, out=square_avg)
        if group["centered"]:
            grad_avg = lerp(state["grad_avg"], grad, 1 - alpha, out=state["grad_avg"])
            avg = np.sqrt(addcmul(square_avg, grad_avg, grad_avg, -1))
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]
            multiply_by(buf, momentum, out=buf)
            addcdiv(buf, grad, avg, out=buf)
            scaled_add(param, buf, -group["lr"], out=param)
        else:
            addcdiv(param, grad, avg, -group["lr"], out=param)
