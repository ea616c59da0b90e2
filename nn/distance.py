"""Norms and distances between vectors: F.normalize, F.cosine_similarity, F.pairwise_distance
and their modules; each composed of tensor ops exactly as torch composes it."""

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError

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
