"""Adagrad: per-coordinate steps lr / (√Σg² + eps), with torch's lr_decay and initial value."""

import numpy as np

from autodiff.cpu_math import addcdiv, addcmul, scaled_add

from .optimizer import Optimizer, count_step, start_step


class Adagrad(Optimizer):
    """s ← s + g², p ← p − clr·g / (√s + eps), clr = lr / (1 + (step − 1)·lr_decay)."""

    defaults_order = (
        "lr",
        "lr_decay",
        "eps",
        "weight_decay",
        "initial_accumulator_value",
        "foreach",
        "maximize",
        "differentiable",
        "fused",
    )  # torch's, as its param groups print

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            eps=eps,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        checked = ("lr", "lr_decay", "weight_decay", "eps", "initial_accumulator_value")
        flags = dict(foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults, checked, flags)

    def _update(self, param, grad, group, state) -> None:
        if not state:
            start_step(state)
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        step = count_step(state)
        if group["weight_decay"] != 0:
            grad = scaled_add(grad, param, group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        addcmul(state["sum"], grad, grad, out=state["sum"])
        std = np.sqrt(state["sum"])
        std += group["eps"]
        addcdiv(param, grad, std, -clr, out=param)
