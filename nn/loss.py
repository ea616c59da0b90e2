"""The losses' shared parts (reduction='mean'|'sum'|'none', torch's legacy size_average/reduce,
the _Loss module) and the losses of classes and distributions: BCE, BCE-with-logits, NLL,
cross-entropy, KL divergence, each as its Function, F form and Module; one_hot.

Cross-entropy is log_softmax followed by NLL, PyTorch's graph: the log-softmax shifts by the
max so logits of ±1000 stay finite, and the two backwards compose to softmax − one-hot.
Regression losses (MSE, L1, smooth L1, Huber, Gaussian NLL) are in loss_regression.py.
"""

import warnings

import numpy as np

import autodiff as ad
from autodiff import cascade
from autodiff.errors import ArgumentError, DtypeError, ShapeError, user_stacklevel
from autodiff.ops.comparison import discrete

from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """The losses' 'mean' or 'sum' as torch's (its sum's order: autodiff.cascade; its mean is
    that sum over the count), or the losses ('none')."""
    if reduction == "none":
        return losses
    if losses.dtype not in (np.float32, np.float64):  # NumPy's order (float16, bfloat16)
        return losses.sum(dtype=losses.dtype) if reduction == "sum" else losses.mean()
    total = cascade.full_sum(losses)
    if reduction == "sum":
        return total
    with np.errstate(divide="ignore", invalid="ignore"):  # no losses: 0/0, torch's nan
        return total / losses.size


def _scale(grad, ctx, shape):
    """The upstream gradient spread over the elements that were reduced."""
    if ctx.options["reduction"] == "mean":
        return grad * (1.0 / max(int(np.prod(shape)), 1))
    return grad


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated size_average/reduce flags, mapped to reduction as torch maps them
    (and with its warning); reduction itself when neither is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        stacklevel=user_stacklevel(),
    )
    return reduction


def _reduce_tensor(losses, reduction: str):
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


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


def _as_arrays(input, target, op: str):
    """Both as Tensors; a shape mismatch that does not broadcast is an error."""
    target = target if isinstance(target, ad.Tensor) else ad.tensor(np.asarray(target, input.dtype))
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ShapeError(
            f"{op}: input {tuple(input.shape)} and target {tuple(target.shape)} "
            "do not broadcast. Give the target the input's shape."
        ) from None
    return input, target


def _array(value, dtype):
    """A weight as the op's option: a tensor stays one (ad.compile reads it on each call)."""
    if isinstance(value, ad.Tensor):
        return value.to(dtype)
    return None if value is None else np.asarray(value, dtype=dtype)


def _elementwise_weight(value, input, name: str, op: str):
    """A BCE's weight or pos_weight as an array; one that does not broadcast with the input is
    refused here, where its name is known (NumPy would say only 'operands could not be
    broadcast')."""
    array = _array(value, input.dtype)
    if array is not None:
        try:
            np.broadcast_shapes(input.shape, array.shape)
        except ValueError:
            raise ShapeError(
                f"{op}: {name} of shape {array.shape} does not broadcast with the input "
                f"{tuple(input.shape)}. Give it the input's shape, or one value per class "
                "(the input's last dim)."
            ) from None
    return array


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction  # not in the repr: torch prints MSELoss() whatever it is


_EPSILON = 1e-12  # torch clamps the denominator x(1 − x) of BCE's gradient here


class BinaryCrossEntropy(ad.Function):
    node_name = "BinaryCrossEntropyBackward0"
    symbol = "BCE"

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        if input.size and not (np.all(input >= 0) and np.all(input <= 1)):
            raise ArgumentError(
                f"binary_cross_entropy: all elements of input should be between 0 and 1 (got "
                f"min {input.min():.6g}, max {input.max():.6g}, shape {input.shape}). Apply a "
                "sigmoid first, or use BCEWithLogitsLoss on the logits."
            )
        ctx.save_for_backward(input, target)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(input), -100)  # torch clamps logs at -100: finite at 0 and 1
            log_1mx = np.maximum(np.log1p(-input), -100)
        losses = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            losses = losses * weight
        return _reduce(losses.astype(input.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        weight = ctx.options["weight"]
        g = _scale(grad, ctx, np.broadcast_shapes(input.shape, target.shape))
        if weight is not None:
            g = g * weight
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            denom = ((1 - input) * input).clamp(min=_EPSILON)
            grad_input = g * (input - target) / denom  # dL/dx = (x − t) / (x(1 − x))
        if ctx.needs_input_grad[1]:
            grad_target = g * ((1 - input).log().clamp(min=-100) - input.log().clamp(min=-100))
        return grad_input, grad_target


@ad.amp.cast_inputs("fp32")
def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"
):
    """−[t·log x + (1 − t)·log(1 − x)] on probabilities x, logs clamped at −100 as torch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    input, target = _as_arrays(input, target, "binary_cross_entropy")
    return BinaryCrossEntropy.apply(
        input,
        target,
        weight=_elementwise_weight(weight, input, "weight", "binary_cross_entropy"),
        reduction=reduction,
    )


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities in [0, 1]."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BinaryCrossEntropyWithLogits(ad.Function):
    node_name = "BinaryCrossEntropyWithLogitsBackward0"
    symbol = "BCEWithLogits"

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target)
        softplus_neg = np.maximum(-input, 0) + np.log1p(np.exp(-np.abs(input)))  # log(1 + e^-x)
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
        losses = (1 - target) * input + log_weight * softplus_neg
        if weight is not None:
            losses = losses * weight
        return _reduce(losses.astype(input.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        weight, pos_weight = ctx.options["weight"], ctx.options["pos_weight"]
        g = _scale(grad, ctx, np.broadcast_shapes(input.shape, target.shape))
        if weight is not None:
            g = g * weight
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            s = input.sigmoid()
            if pos_weight is None:
                grad_input = g * (s - target)  # σ(x) − t
            else:
                log_weight = (pos_weight - 1) * target + 1
                grad_input = g * ((1 - target) - log_weight * (1 - s))
        if ctx.needs_input_grad[1]:
            softplus_neg = (-input).relu() + ((-input.abs()).exp() + 1).log()
            coef = -input if pos_weight is None else -input + (pos_weight - 1) * softplus_neg
            grad_target = g * coef
        return grad_input, grad_target


@ad.amp.cast_inputs("fp32")
def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
):
    """BCE on logits, computed as (1 − t)x + log(1 + e^{−x}) without overflow."""
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    input, target = _as_arrays(input, target, op)
    return BinaryCrossEntropyWithLogits.apply(
        input,
        target,
        weight=_elementwise_weight(weight, input, "weight", op),
        pos_weight=_elementwise_weight(pos_weight, input, "pos_weight", op),
        reduction=reduction,
    )


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable step; pos_weight scales the positives."""

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
    ):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class NegativeLogLikelihood(ad.Function):
    """−Σ w[t]·x[n, t[n]] (class dim 1); target and weight are constants, so one edge as torch."""

    node_name = "NllLossBackward0"
    symbol = "NLL"
    array_backward = True

    @staticmethod
    def forward(ctx, input, target, weight, reduction, ignore_index):
        target = target.astype(np.int64, copy=False)
        _check_range(target, input.shape[1], ignore_index, "nll_loss")
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        w = keep.astype(input.dtype)
        if weight is not None:
            w *= weight[safe]
        at = _at_targets(input, safe)
        losses = -w * input[at]
        coef = np.zeros_like(input)
        coef[at] = -w  # d loss_n / d x[n, t[n]] = −w
        if reduction == "none":
            out = losses
        else:  # summed in torch's nll_loss order (its own cascade, not sum()'s)
            kept = np.flatnonzero(keep)
            out = cascade.loss_sum(losses.ravel()[kept], kept)
        if reduction == "mean":
            total = (
                input.dtype.type(len(kept))
                if weight is None
                else cascade.loss_sum(w.ravel()[kept], kept)
            )
            if total:
                coef /= total
            with np.errstate(invalid="ignore"):  # every target ignored: 0/0, torch's -nan,
                out = np.asarray(out / total)  # and zero gradients
        ctx.save_for_backward(coef)
        return out

    @staticmethod
    def backward(ctx, grad):
        (coef,) = ctx.saved_tensors
        if ctx.options["reduction"] == "none":  # (N, ...) -> (N, 1, ...), Tensor or array
            grad = grad.reshape(grad.shape[:1] + (1,) + grad.shape[1:])
        return grad * coef  # NLL is linear in x: the gradient is the upstream times −w·one-hot


def _at_targets(input: np.ndarray, safe: np.ndarray) -> tuple:
    """The index of x[n, t[n], ...] (class dim 1) for every sample and position."""
    grid = np.indices(safe.shape, sparse=True) if safe.ndim > 1 else (np.arange(safe.shape[0]),)
    return (grid[0], safe, *grid[1:])


@ad.amp.cast_inputs("fp32")
def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
):
    """−x[n, t[n]] (weighted) on log-probabilities x of shape (N, C, ...) or (C,)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    target = _check_target(input, target, "nll_loss")
    if input.ndim == 1:  # unbatched: one sample
        out = nll_loss(
            input.unsqueeze(0),
            target.unsqueeze(0),
            weight,
            ignore_index=ignore_index,
            reduction=reduction,
        )
        return out.squeeze(0) if reduction == "none" else out
    return NegativeLogLikelihood.apply(
        input,
        target=target,
        weight=_array(weight, input.dtype),
        reduction=reduction,
        ignore_index=ignore_index,
    )


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, on log-probabilities."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class NLLLoss2d(NLLLoss):
    """Deprecated (torch's FutureWarning): NLLLoss, which takes (N, C, H, W) inputs too."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details.",
            FutureWarning,
            stacklevel=user_stacklevel(),
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


def _check_target(input, target, op: str):
    """Class indices as a tensor, their dtype and shape checked (their values in the op)."""
    t = _indices(target)
    if t.dtype.kind not in "iu":
        raise DtypeError(
            f"{op}: class-index targets must be integers, got dtype {t.dtype}. "
            "Use .long(), or pass class probabilities of the input's shape."
        )
    expected = (input.shape[0],) + tuple(input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(t.shape) != expected:
        raise ShapeError(
            f"{op}: target shape {tuple(t.shape)} does not match input {tuple(input.shape)} "
            f"(expected {expected}: one class index per sample)"
        )
    return t


def _indices(target):
    """A target as a tensor (a list or an array becomes a constant one)."""
    return target if isinstance(target, ad.Tensor) else ad.as_tensor(np.asarray(target))


def _check_range(t: np.ndarray, classes: int, ignore_index: int, op: str) -> None:
    if not t.size or 0 <= t.min() and t.max() < classes:  # the common case, decided cheaply
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        label = int(t[bad].flat[0])
        raise IndexError(
            f"{op}: Target {label} is out of bounds: {classes} classes, so labels must be in "
            f"0..{classes - 1}. Check the labels or the layer's out_features."
        )


@ad.amp.cast_inputs("fp32")
def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """log_softmax over dim 1 then NLL; target = class indices or class probabilities."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
        )
    class_dim = 1 if input.ndim >= 2 else 0
    logp = ad.log_softmax(input, class_dim)
    t = _indices(target)
    if t.dtype.kind == "f":
        return _soft_cross_entropy(logp, t, weight, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return loss
    smooth = _smooth_term(logp, t, weight, ignore_index, reduction, class_dim)
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / input.shape[class_dim])


def _class_view(weight, logp, class_dim: int):
    shape = [1] * logp.ndim
    shape[class_dim] = -1
    return ad.as_tensor(_array(weight, logp.dtype)).reshape(shape)


def _soft_cross_entropy(logp, t, weight, reduction, label_smoothing, class_dim):
    if tuple(t.shape) != tuple(logp.shape):
        raise ShapeError(
            f"cross_entropy: probability target {tuple(t.shape)} must have the input's "
            f"shape {tuple(logp.shape)}"
        )
    classes = logp.shape[class_dim]
    t = t.detach().to(logp.dtype) * (1 - label_smoothing) + label_smoothing / classes
    if weight is not None:
        t = t * _class_view(weight, logp, class_dim)
    losses = -(logp * t)
    if reduction == "none":
        return losses.sum(dim=class_dim)
    total = losses.sum()
    return total / (logp.numel() // classes) if reduction == "mean" else total


def _smooth_term(logp, t, weight, ignore_index, reduction, class_dim):
    """The label-smoothing part, as torch: −Σ_c w_c log p_c per sample, ignored samples 0."""
    weighted = logp if weight is None else logp * _class_view(weight, logp, class_dim)
    keep = (t != ignore_index).to(logp.dtype)
    smooth = -weighted.sum(dim=class_dim) * keep
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return smooth.sum()
    if weight is None:
        return smooth.sum() / keep.sum()
    w = ad.as_tensor(_array(weight, logp.dtype))
    return smooth.sum() / (w[t.clamp(min=0)] * keep).sum()


class CrossEntropyLoss(_Loss):
    """log_softmax + NLL on raw logits; targets are class indices or class probabilities."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


@ad.amp.cast_inputs("fp32")
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
            stacklevel=user_stacklevel(),
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
    return _reduce_tensor(losses, reduction)


class KLDivLoss(_Loss):
    """KL divergence of the target distribution from log-probabilities input."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        reduction = _legacy_reduction(size_average, reduce, reduction)
        super().__init__(reduction="mean" if reduction == "batchmean" else reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


def one_hot(tensor, num_classes: int = -1):
    """Integer labels (...) -> int64 (..., num_classes) with a 1 at each label."""
    t = _indices(tensor)
    if t.dtype.kind not in "iu":
        raise DtypeError(f"one_hot: labels must be integers, got dtype {t.dtype}")
    if num_classes == -1:  # the labels decide the shape: a value read (ad.compile refuses it)
        num_classes = int(t.max()) + 1 if t.numel() else 0
    return discrete(_one_hot, t, classes=max(num_classes, 0))


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    if labels.size and labels.min() < 0:
        raise ArgumentError(f"one_hot: labels must be non-negative, got {int(labels.min())}")
    if labels.size and labels.max() >= classes:
        raise ArgumentError(
            f"one_hot: label {int(labels.max())} is out of range for num_classes="
            f"{classes}. Use num_classes > {int(labels.max())}."
        )
    return (labels[..., None] == np.arange(classes)).astype(np.int64)
