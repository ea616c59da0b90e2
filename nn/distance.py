"""Norms and distances between vectors: F.normalize, F.cosine_similarity, F.pairwise_distance
and their modules, each composed of tensor ops exactly as torch composes it; F.pdist, a
Function as torch's kernel (PdistBackward0)."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .module import Module


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """input / max(‖input‖_p, eps) along dim."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return input / denom


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along dim, after broadcasting x1 and x2."""
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ShapeError(
            f"cosine_similarity: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} do not "
            "broadcast. Give tensors of the same shape, or shapes that broadcast."
        ) from None
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    # each vector divided by its own norm first keeps the result in [−1, 1]; the clamp is
    # outside the graph (torch's choice), so the gradient is the unclamped norm's
    norms = [x.norm(2, dim, keepdim=True).clone() for x in (x1, x2)]
    with ad.no_grad():
        for n in norms:
            n.clamp_(min=eps)
    return ((x1 / norms[0]) * (x2 / norms[1])).sum(dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x1 − x2 + eps‖_p over the last dim."""
    return (x1 - x2 + eps).norm(p, max(x1.ndim, x2.ndim) - 1, keepdim)


class CosineSimilarity(Module):
    """Cosine similarity along dim."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance between the rows of two batches."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class PairDistances(ad.Function):
    """The p-norm distances between rows i < j of (N, M), in row-major order of the pairs."""

    node_name = "PdistBackward0"
    symbol = "pdist"

    @staticmethod
    def forward(ctx, input, p):
        first, second = np.triu_indices(len(input), 1)
        pairs = np.zeros((len(first), len(input)), dtype=input.dtype)
        pairs[np.arange(len(first)), first] = 1
        pairs[np.arange(len(first)), second] = -1
        ctx.save_for_backward(input, pairs)
        diff = np.abs(input[first] - input[second])
        if p == 0:
            return (diff != 0).sum(1).astype(input.dtype)
        if p == np.inf:
            return diff.max(1, initial=0)
        return (diff**p).sum(1) ** (1 / p)

    @staticmethod
    def backward(ctx, grad):
        input, pairs = ctx.saved_tensors
        p = ctx.options["p"]
        if p == 0:
            return input * 0
        diff = pairs @ input  # row k: x_i − x_j of pair k
        dist = PairDistances.apply(input, p=p).reshape(-1, 1)
        if p == np.inf:  # every coordinate where the maximum is reached, as torch
            slope = diff.sign() * (diff.abs() == dist)
        else:  # d‖v‖_p/dv = sign(v)·|v|^(p−1) / ‖v‖_p^(p−1); 0 for coinciding rows
            nonzero = dist > 0
            slope = diff.sign() * diff.abs() ** (p - 1) / ad.where(nonzero, dist, 1) ** (p - 1)
            slope = ad.where(nonzero, slope, 0)
        return pairs.mT @ (slope * grad.reshape(-1, 1))


def pdist(input, p: float = 2):
    """The p-norm distance between every two rows of (N, M): N·(N − 1)/2 values, pairs (0, 1),
    (0, 2), ..., (N − 2, N − 1)."""
    if input.ndim != 2:
        raise ShapeError(
            f"pdist: pdist only supports 2D tensors, got: {input.ndim}D (shape "
            f"{tuple(input.shape)})"
        )
    if not p >= 0:
        raise ArgumentError(f"pdist: pdist only supports non-negative p values, got p={p}")
    return PairDistances.apply(input, p=float(p))
