"""More of torch.nn's losses, composed of differentiable ops (so their gradients, and second
derivatives, come from the ops): SmoothL1Loss, HuberLoss, KLDivLoss, GaussianNLLLoss."""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .loss import _check_reduction, _Loss


def _pair(input, target, op: str):
    """Both as Tensors of the input's dtype; shapes that do not broadcast are an error."""
    if not isinstance(input, ad.Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(target, ad.Tensor):
        target = ad.tensor(np.asarray(target, dtype=input.dtype))
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        raise ShapeError(
            f"{op}: input {tuple(input.shape)} and target {tuple(target.shape)} do not "
            "broadcast. Give the target the input's shape."
        ) from None
    return input, target


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated size_average/reduce flags, mapped to reduction as torch maps them."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def _reduce(losses, reduction: str):
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _warn_sizes(input, target, op: str) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"{op}: Using a target size {tuple(target.shape)} that is different to the input "
            f"size {tuple(input.shape)}. This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


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
    z = diff.abs()
    if beta == 0:
        return _reduce(z, reduction)
    losses = ad.where(z < beta, diff * diff * (0.5 / beta), z - 0.5 * beta)
    return _reduce(losses, reduction)


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
    diff = input - target
    z = diff.abs()
    losses = ad.where(z < delta, diff * diff * 0.5, (z - 0.5 * delta) * delta)
    if weight is not None:
        if tuple(np.shape(weight)) != tuple(input.shape):
            raise ValueError(
                f"huber_loss: Weights and input must have the same size, got weight "
                f"{tuple(np.shape(weight))} and input {tuple(input.shape)}"
            )
        losses = losses * (weight if isinstance(weight, ad.Tensor) else ad.tensor(weight))
    return _reduce(losses, reduction)


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
):
    """Pointwise KL divergence t·(log t − x) of log-probabilities x from target t (or log t)."""
    legacy = size_average is not None or reduce is not None
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(
            f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}"
        )
    if reduction == "mean" and not legacy:
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the "
            "support size. 'batchmean' divides only by the batch size, and aligns with the KL div "
            "math definition.",
            stacklevel=2,
        )
    input, target = _pair(input, target, "kl_div")
    if log_target:
        losses = target.exp() * (target - input)
    else:  # xlogy(t, t) − t·x: 0·log 0 counts as 0
        positive = target > 0
        safe = ad.where(positive, target, ad.ones_like(target))
        losses = target * safe.log() - target * input
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(losses, reduction)


def _var_like(var, input) -> ad.Tensor:
    """var broadcast as torch's gaussian_nll_loss: full size, one dim short, or size 1 in one dim."""
    if isinstance(var, float | int) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has negative entry/entries ({var})")
        return ad.full(tuple(input.shape), float(var), dtype=input.dtype)
    var = var if isinstance(var, ad.Tensor) else ad.tensor(np.asarray(var, input.dtype))
    if (var.numpy() < 0).any():
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
    v = var.numpy()
    var = var + ad.from_numpy(np.maximum(v, eps).astype(v.dtype) - v)
    diff = input - target
    losses = (var.log() + diff * diff / var) * 0.5
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for errors below beta, linear above (smooth L1)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(_legacy_reduction(size_average, reduce, reduction))
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic for errors below delta, delta-scaled linear above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target, weight=None):
        return huber_loss(input, target, self.reduction, self.delta, weight)


class KLDivLoss(_Loss):
    """KL divergence of the target distribution from log-probabilities input."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        reduction = _legacy_reduction(size_average, reduce, reduction)
        super().__init__("mean" if reduction == "batchmean" else reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of target under mean input and variance var."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
