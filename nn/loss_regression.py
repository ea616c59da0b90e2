"""Regression losses, each as its F form and Module: MSE (a fused Function) and L1, smooth L1,
Huber and Gaussian NLL, composed of differentiable ops (so their gradients, and second
derivatives, come from the ops)."""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, user_stacklevel

from .loss import (
    _as_arrays,
    _check_reduction,
    _legacy_reduction,
    _Loss,
    _pair,
    _reduce,
    _reduce_tensor,
    _scale,
)


class SquaredError(ad.Function):
    node_name = "MseLossBackward0"
    symbol = "MSE"
    array_backward = True

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        diff = input - target
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        diff = input - target
        g = _scale(grad, ctx, diff.shape) * diff * 2.0  # d(x − t)²/dx = 2(x − t)
        need = ctx.needs_input_grad
        return (g if need[0] else None), (-g if need[1] else None)


def warn_if_sizes_differ(input, target) -> None:
    """torch's UserWarning when an elementwise loss would broadcast target against input."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


@ad.amp.cast_inputs("fp32")
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean squared error (x − t)², or its weighted form (see _weighted)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    input, target = _as_arrays(input, target, "mse_loss")
    warn_if_sizes_differ(input, target)
    if weight is not None:
        return _weighted((input - target).pow(2), input, weight, reduction)
    return SquaredError.apply(input, target, reduction=reduction)


def _weighted(losses, input, weight, reduction: str):
    """torch's weighted MSE and L1: each loss times its weight; 'mean' divides by the weights'
    sum, not by the count."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"Weights and input must have the same size (weight {tuple(weight.shape)}, input "
            f"{tuple(input.shape)})."
        )
    losses = losses * weight
    if reduction == "none":
        return losses
    return losses.sum() / weight.sum() if reduction == "mean" else losses.sum()


class MSELoss(_Loss):
    """Mean squared error."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


@ad.amp.cast_inputs("fp32")
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean absolute error |x − t| (composed of sub, abs and a reduction, as torch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    input, target = _as_arrays(input, target, "l1_loss")
    warn_if_sizes_differ(input, target)
    losses = (input - target).abs()
    if weight is not None:
        return _weighted(losses, input, weight, reduction)
    return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" else losses


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


def _warn_sizes(input, target, op: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"{op}: Using a target size {tuple(target.shape)} that is different to the input "
            f"size {tuple(input.shape)}. This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=user_stacklevel(),
        )


class _Huber(ad.Function):
    """The elementwise Huber loss of d: ½d² where |d| ≤ delta, else delta·(|d| − ½delta), as
    ½c² + delta·(|d| − |c|) with c the clamped d. Its gradient g·clamp(d, −delta, delta) is
    torch's kernel's: bounded at an infinite d, NaN at a NaN one."""

    symbol = "huber"
    array_backward = True

    @staticmethod
    def forward(ctx, diff, delta, node_name):
        ctx.node_name = node_name
        ctx.save_for_backward(diff)
        c = np.clip(diff, -delta, delta)
        return c * c * 0.5 + (np.abs(diff) - np.abs(c)) * delta

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        delta = ctx.options["delta"]
        return grad * diff.clip(-delta, delta)  # an array's clip or a Tensor's (second order)


def _huber(diff, delta: float, node_name: str = "HuberLossBackward0"):
    return _Huber.apply(diff, delta=delta, node_name=node_name)


@ad.amp.cast_inputs("fp32")
def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
):
    """½(x − t)²/beta where |x − t| < beta, else |x − t| − ½beta (L1 when beta = 0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if not beta >= 0 or not math.isfinite(beta):
        raise ArgumentError(
            f"smooth_l1_loss does not support negative values for beta, got {beta}. Give a "
            "finite beta >= 0."
        )
    input, target = _pair(input, target, "smooth_l1_loss")
    _warn_sizes(input, target, "smooth_l1_loss")
    diff = input - target
    if beta == 0:
        return _reduce_tensor(diff.abs(), reduction)
    return _reduce_tensor(_huber(diff, beta, "SmoothL1LossBackward0") / beta, reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for errors below beta, linear above (smooth L1)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


@ad.amp.cast_inputs("fp32")
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """½(x − t)² where |x − t| < delta, else delta·(|x − t| − ½delta); optional weights."""
    _check_reduction(reduction, "huber_loss")
    if not delta > 0 or not math.isfinite(delta):
        raise ArgumentError(
            f"huber_loss does not support non-positive values for delta, got {delta}. Give a "
            "finite delta > 0."
        )
    input, target = _pair(input, target, "huber_loss")
    _warn_sizes(input, target, "huber_loss")
    losses = _huber(input - target, delta)
    if weight is not None:
        if tuple(np.shape(weight)) != tuple(input.shape):
            raise ValueError(
                f"huber_loss: Weights and input must have the same size, got weight "
                f"{tuple(np.shape(weight))} and input {tuple(input.shape)}"
            )
        losses = losses * (weight if isinstance(weight, ad.Tensor) else ad.tensor(weight))
    return _reduce_tensor(losses, reduction)


class HuberLoss(_Loss):
    """Quadratic for errors below delta, delta-scaled linear above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target, weight=None):
        return huber_loss(input, target, self.reduction, self.delta, weight)


def _var_like(var, input) -> ad.Tensor:
    """var broadcast as torch's gaussian_nll_loss: full size, one dim short, or size 1 in one dim."""
    if isinstance(var, float | int) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has negative entry/entries ({var})")
        return ad.full(tuple(input.shape), float(var), dtype=input.dtype)
    var = var if isinstance(var, ad.Tensor) else ad.tensor(np.asarray(var, input.dtype))
    if (var.numpy(force=True) < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    shape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape == shape:
        return var
    if shape[:-1] == vshape:  # homoscedastic: one variance per sample
        return var.unsqueeze(-1)
    if len(vshape) == len(shape):
        differing = [v for s, v in zip(shape, vshape) if s != v]
        if differing == [1]:
            return var
    raise ValueError(
        f"gaussian_nll_loss: var is of incorrect size {vshape} for input {shape}. Give the "
        "input's shape, the input's shape without its last dim, or size 1 in one dim."
    )


def gaussian_nll_loss(
    input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
):
    """½(log σ² + (x − t)²/σ²) (+ ½log 2π if full): the Gaussian negative log-likelihood."""
    _check_reduction(reduction, "gaussian_nll_loss")
    if not eps > 0 or not math.isfinite(eps):
        raise ValueError(f"gaussian_nll_loss: eps must be a finite number > 0, got {eps}")
    input, target = _pair(input, target, "gaussian_nll_loss")
    var = _var_like(var, input)
    # torch clamps a copy in place under no_grad: the value is clamped, the gradient passes as is
    v = var.numpy(force=True)
    var = var + ad.from_numpy(np.maximum(v, eps).astype(v.dtype) - v)
    diff = input - target
    losses = (var.log() + diff * diff / var) * 0.5
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce_tensor(losses, reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of target under mean input and variance var."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


@ad.amp.cast_inputs("fp32")
def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
):
    """Negative log-likelihood of counts t under Poisson(λ): e^x − t·x with log_input (x =
    log λ), else λ − t·log(λ + eps); full adds Stirling's t·log t − t + ½·log(2πt) for t > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"poisson_nll_loss: {reduction} is not a valid value for reduction")
    input, target = _as_arrays(input, target, "poisson_nll_loss")
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:
        counted = ad.where(target > 1, target, ad.ones_like(target))  # no log of 0 below
        stirling = counted * counted.log() - counted + 0.5 * (2 * math.pi * counted).log()
        losses = losses + ad.where(target > 1, stirling, ad.zeros_like(stirling))
    return _reduce_tensor(losses, reduction)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of Poisson-distributed counts."""

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )
