"""ASGD (Polyak & Juditsky 1992): SGD with a decaying step and a running average of the iterates."""

import numpy as np

from autodiff.cpu_math import multiply_by, scaled_add

from .optimizer import Optimizer, count_step, scalar_dtype, start_step


class ASGD(Optimizer):
    """p ← p(1 − λη) − ηg; ax ← ax + μ(p − ax); η = lr / (1 + λ·lr·t)^α, μ = 1 / max(1, t − t0)."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        flags = dict(foreach=foreach, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults, ("lr", "weight_decay"), flags)

    def _update(self, param, grad, group, state) -> None:
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            start_step(state)
            state["eta"] = np.array(lr, scalar_dtype())  # torch keeps eta and mu as 0-d floats
            state["mu"] = np.ones((), scalar_dtype())
            state["ax"] = np.zeros_like(param)
        step = count_step(state)
        if group["weight_decay"] != 0:
            grad = scaled_add(grad, param, group["weight_decay"])
        eta, mu = float(state["eta"]), state["mu"]
        multiply_by(param, 1 - lambd * eta, out=param)
        scaled_add(param, grad, -eta, out=param)
        if float(mu) != 1:
            state["ax"] += (param - state["ax"]) * mu.astype(param.dtype)
        else:
            state["ax"][...] = param
        state["eta"][...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"][...] = 1 / max(1, step - group["t0"])
