"""RMSprop with torch's options: alpha, eps, weight_decay, momentum, centered."""

import numpy as np

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
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)  # lerp, torch's form
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)
