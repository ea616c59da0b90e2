"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch's rule)."""

import numpy as np

from autodiff.cpu_math import multiply_by, scaled_add

from .optimizer import Optimizer, check_number


class SGD(Optimizer):
    """p ← p − lr·d, d = g + wd·p, with momentum buffer b ← μ·b + (1 − dampening)·d."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
        *,
        foreach=None,
        differentiable: bool = False,
        fused=None,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        flags = dict(foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults, ("lr", "momentum", "weight_decay"), flags)

    def _check_options(self, defaults: dict) -> None:
        check_number("dampening", defaults["dampening"], "SGD")
        if defaults["nesterov"] and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def _update(self, param, grad, group, state) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = scaled_add(grad, param, wd)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, param.dtype)  # no dampening
            else:
                multiply_by(buf, momentum, out=buf)
                scaled_add(buf, grad, 1 - group["dampening"], out=buf)
            grad = scaled_add(grad, buf, momentum) if group["nesterov"] else buf
        scaled_add(param, grad, -lr, out=param)
