"""Margin and embedding losses, each as its F form and Module: margin ranking, hinge embedding,
cosine embedding, triplet margin and multi-label soft margin are composed of differentiable
ops as torch composes them (the same recorded nodes); soft margin and multi-class margin are
fused Functions, as torch's kernels (SoftMarginLossBackward0, MultiMarginLossBackward0)."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError

from .activation_more import logsigmoid
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy_reduction, _Loss, _reduce, _reduce_tensor


def _reduction(op: str, size_average, reduce, reduction: str) -> str:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    return reduction


def _same_shape(op: str, **tensors) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        raise ShapeError(
            f"{op}: the inputs must have the same shape, got "
            + ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        )


def _number_minus(number, tensor):
    """number − tensor as torch's composites compute it (the number as a 0-d tensor:
    SubBackward0), not as an rsub."""
    return ad.tensor(number, dtype=tensor.dtype) - tensor


@ad.amp.cast_inputs("fp32")
def margin_ranking_loss(
    input1, input2, target, margin: float = 0, size_average=None, reduce=None, reduction="mean"
):
    """max(0, −y·(x1 − x2) + margin): y = 1 asks for x1 above x2 by margin, y = −1 below."""
    reduction = _reduction("margin_ranking_loss", size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(
            f"margin_ranking_loss: All input tensors should have same dimension but got sizes: "
            f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: "
            f"{tuple(target.shape)}"
        )
    losses = ((-target) * (input1 - input2) + margin).clamp_min(0)
    return _reduce_tensor(losses, reduction)


@ad.amp.cast_inputs("fp32")
def hinge_embedding_loss(
    input, target, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"
):
    """x where y = 1, max(0, margin − x) where y = −1 (x a distance, y similar or not)."""
    reduction = _reduction("hinge_embedding_loss", size_average, reduce, reduction)
    _same_shape("hinge_embedding_loss", input=input, target=target)
    zeros = ad.zeros_like(input)
    below_margin = ad.where(target != 1, _number_minus(margin, input).clamp_min(0), zeros)
    return _reduce_tensor(below_margin + ad.where(target != -1, input, zeros), reduction)


class SoftMargin(ad.Function):
    """log(1 + e^(−y·x)), reduced (torch's kernel)."""

    node_name = "SoftMarginLossBackward0"
    symbol = "soft margin"

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input)
        return _reduce(np.log1p(np.exp(-input * target)), reduction)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        target = ctx.options["target"]
        if ctx.options["reduction"] == "mean":
            grad = grad / max(input.numel(), 1)
        z = (input * (-target)).exp()
        return grad * (-target) * z / (z + 1)  # d/dx log(1 + e^(−yx)) = −y·σ(−yx)


@ad.amp.cast_inputs("fp32")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + e^(−y·x)) for labels y = ±1: the logistic loss of a two-class margin."""
    reduction = _reduction("soft_margin_loss", size_average, reduce, reduction)
    _same_shape("soft_margin_loss", input=input, target=target)
    if target.requires_grad and ad.is_grad_enabled():
        raise ArgumentError(
            "soft_margin_loss: not differentiable with respect to its target, which requires "
            "grad. Pass target.detach()."
        )
    return SoftMargin.apply(input, target=target, reduction=reduction)


_EPSILON = 1e-12  # torch's, under each squared magnitude


@ad.amp.cast_inputs("fp32")
def cosine_embedding_loss(
    input1, input2, target, margin: float = 0, size_average=None, reduce=None, reduction="mean"
):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1."""
    reduction = _reduction("cosine_embedding_loss", size_average, reduce, reduction)
    if target.ndim not in (0, 1):
        raise ShapeError(
            f"cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not "
            f"supported (target {tuple(target.shape)})"
        )
    if not input1.ndim == input2.ndim == target.ndim + 1:
        raise ShapeError(
            f"cosine_embedding_loss: {target.ndim}D target tensor expects {target.ndim + 1}D "
            f"input tensors, but found inputs with sizes {tuple(input1.shape)} and "
            f"{tuple(input2.shape)}."
        )
    dim = target.ndim
    products = (input1 * input2).sum(dim)
    squares1 = (input1 * input1).sum(dim) + _EPSILON
    squares2 = (input2 * input2).sum(dim) + _EPSILON
    cos = products / (squares1 * squares2).sqrt()
    zeros = ad.zeros_like(cos)
    similar = ad.where(target == 1, _number_minus(1, cos), zeros)
    dissimilar = ad.where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce_tensor(similar + dissimilar, reduction)


@ad.amp.cast_inputs("fp32")
def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """max(0, d(a, p) − d(a, n) + margin) with the p-norm distance d; swap uses d(p, n) where
    it is smaller than d(a, n)."""
    reduction = _reduction("triplet_margin_loss", size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(
            f"triplet_margin_loss: The anchor, positive, and negative tensors are expected to "
            f"have the same number of dimensions, but got: anchor {anchor.ndim}D, positive "
            f"{positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    if margin <= 0:
        raise ArgumentError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = ad.minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce_tensor((to_positive + margin - to_negative).clamp_min(0), reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """The mean over classes of the binary logistic losses, for targets of 0s and 1s
    (several labels per sample)."""
    reduction = _reduction("multilabel_soft_margin_loss", size_average, reduce, reduction)
    _same_shape("multilabel_soft_margin_loss", input=input, target=target)
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * weight
    classes = input.ndim - 1
    losses = losses.sum(classes) / input.shape[classes]
    return _reduce_tensor(losses, reduction)


def _one_hot_rows(target: np.ndarray, classes: int, dtype) -> np.ndarray:
    rows = np.zeros((len(target), classes), dtype=dtype)
    rows[np.arange(len(target)), target] = 1
    return rows


def _check_classes(target: np.ndarray, classes: int) -> None:
    if target.size and (target.min() < 0 or target.max() >= classes):
        raise IndexOutOfRangeError(
            f"multi_margin_loss: target out of range (targets from {int(target.min())} to "
            f"{int(target.max())} for {classes} classes)"
        )


class MultiMargin(ad.Function):
    """Σ_{i ≠ y} w_y·max(0, margin − x_y + x_i)^p / C per sample of (N, C) or (C,), reduced
    (torch's kernel)."""

    node_name = "MultiMarginLossBackward0"
    symbol = "multi margin"
    array_backward = True

    @staticmethod
    def forward(ctx, input, target, weight, p, margin, reduction):
        rows, target = input.reshape(-1, input.shape[-1]), target.reshape(-1)
        _check_classes(target, rows.shape[1])  # here, on arrays: replays check each batch too
        chosen = _one_hot_rows(target, rows.shape[1], input.dtype)
        z = margin - (rows * chosen).sum(1, keepdims=True) + rows
        active = (z > 0) & (chosen == 0)
        scale = np.ones(len(target), input.dtype) if weight is None else weight[target]
        per_sample = (np.where(active, z, 0) ** p).sum(1) * scale / rows.shape[1]
        ctx.save_for_backward(input, chosen, (active * scale[:, None]).astype(input.dtype))
        return _reduce(per_sample.astype(input.dtype).reshape(input.shape[:-1]), reduction)

    @staticmethod
    def backward(ctx, grad):
        input, chosen, active = ctx.saved_tensors
        opts = ctx.options
        rows = input.reshape(-1, input.shape[-1])
        if opts["reduction"] == "mean":
            grad = grad / rows.shape[0]
        grad = grad.reshape(-1, 1) if opts["reduction"] == "none" else grad
        slope = active * (1.0 / rows.shape[1])  # w_y/C on every class inside its margin
        if opts["p"] == 2:
            z = opts["margin"] - (rows * chosen).sum(1, keepdims=True) + rows
            slope = slope * z * 2
        grad_rows = (slope - chosen * slope.sum(1, keepdims=True)) * grad
        return grad_rows.reshape(input.shape)


@ad.amp.cast_inputs("fp32")
def multi_margin_loss(
    input,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """The multi-class hinge loss: every class within margin of the target's score costs
    (margin − x_y + x_i)^p, averaged over the classes (p = 1 or 2)."""
    reduction = _reduction("multi_margin_loss", size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    if input.ndim not in (1, 2) or target.ndim != input.ndim - 1:
        raise ShapeError(
            f"multi_margin_loss: expected input (N, C) with target (N,), or (C,) with a 0-d "
            f"target, got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    if target.dtype.kind not in "iu":
        raise ArgumentError(
            f"multi_margin_loss: target must hold class indices, got {target.dtype}"
        )
    classes = input.shape[-1]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ShapeError(
            f"multi_margin_loss: inconsistent weight size, expected {classes} but got "
            f"{list(weight.shape)}"
        )
    return MultiMargin.apply(
        input, target=target, weight=weight, p=p, margin=float(margin), reduction=reduction
    )


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin: float = 1.0,
    swap: bool = False, reduction: str = "mean",
):  # fmt: skip
    """max(0, margin + d(a, p) − d(a, n)) for any distance d (pairwise_distance by default);
    swap uses d(p, n) where it is smaller than d(a, n)."""
    op = "triplet_margin_with_distance_loss"
    _check_reduction(reduction, op)
    if margin <= 0:
        raise ArgumentError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(
            f"{op}: The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
            f"and negative {negative.ndim}D inputs"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        to_negative = ad.minimum(to_negative, distance(positive, negative))
    return _reduce_tensor((margin + to_positive - to_negative).clamp_min(0), reduction)


def _times_listed(target: np.ndarray, dtype) -> np.ndarray:
    """Per row, how often the target lists each class among its entries before the first -1."""
    rows, columns = np.nonzero(np.cumsum(target < 0, axis=1) == 0)
    picks = np.zeros(target.shape, dtype=dtype)
    np.add.at(picks, (rows, target[rows, columns]), 1)
    return picks


class MultilabelMargin(ad.Function):
    """Σ_{j listed} Σ_{i not listed} max(0, 1 − (x_j − x_i)) / C per sample (torch's kernel;
    a listed class counts once per time it is listed)."""

    node_name = "MultilabelMarginLossBackward0"
    symbol = "multilabel margin"
    array_backward = True

    @staticmethod
    def forward(ctx, input, target, reduction):
        classes = input.shape[-1]
        if target.size and (target.min() < -1 or target.max() >= classes):
            raise IndexOutOfRangeError(
                f"multilabel_margin_loss: target out of range (entries from {target.min()} to "
                f"{target.max()} for {classes} classes). List classes 0..C-1, then -1."
            )
        rows, target = input.reshape(-1, classes), target.reshape(-1, classes)
        picks = _times_listed(target, input.dtype)
        z = 1 - rows[:, :, None] + rows[:, None, :]  # [n, j, i]: 1 − (x_j − x_i)
        active = (z > 0) & (picks[:, :, None] > 0) & (picks[:, None, :] == 0)
        weights = active * picks[:, :, None]
        per_sample = (np.where(active, z, 0) * picks[:, :, None]).sum((1, 2)) / classes
        slope = (weights.sum(1) - weights.sum(2)).astype(input.dtype) / classes
        ctx.save_for_backward(slope.reshape(input.shape))
        return _reduce(per_sample.astype(input.dtype).reshape(input.shape[:-1]), reduction)

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        reduction = ctx.options["reduction"]
        if reduction == "mean":
            grad = grad / max(int(np.prod(slope.shape[:-1])), 1)
        if reduction == "none":
            grad = grad.reshape(tuple(slope.shape[:-1]) + (1,))
        return slope * grad


@ad.amp.cast_inputs("fp32")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss: each listed class (target's entries before the first -1)
    should score at least 1 above each class not listed."""
    op = "multilabel_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    if input.ndim not in (0, 1, 2) or tuple(target.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: expected input (N, C) or (C,) and a target of its shape, got input "
            f"{tuple(input.shape)} and target {tuple(target.shape)}"
        )
    if target.dtype != ad.int64:
        raise DtypeError(f"{op}: target must hold int64 class indices, got {target.dtype}")
    if input.ndim == 0:
        return multilabel_margin_loss(input.reshape(1), target.reshape(1), reduction=reduction)
    return MultilabelMargin.apply(input, target=target, reduction=reduction)


class MarginRankingLoss(_Loss):
    """max(0, −y·(x1 − x2) + margin)."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin − x) where y = −1."""

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + e^(−y·x))."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return soft_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, d(a, p) − d(a, n) + margin)."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction="mean",
    ):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
            reduction=self.reduction,
        )  # fmt: skip


class _WeightedLoss(_Loss):
    """A loss with a per-class weight, kept as a buffer (in the state_dict), as torch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """The mean over classes of binary logistic losses (several labels per sample)."""

    def forward(self, input, target):
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss, p = 1 or 2."""

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight=None, size_average=None, reduce=None,
        reduction="mean",
    ):  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("MultiMarginLoss: only p == 1 and p == 2 supported")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) − d(a, n)) for a distance function d of one's own."""

    def __init__(
        self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
        reduction: str = "mean",
    ):  # fmt: skip
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}"
            )
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction,
        )  # fmt: skip


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss: listed classes at least 1 above the others."""

    def forward(self, input, target):
        return multilabel_margin_loss(input, target, reduction=self.reduction)
