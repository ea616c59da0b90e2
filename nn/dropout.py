"""Inverted dropout: zero each element with probability p and scale the rest by 1/(1 − p).

The mask is torch's on the CPU for the same seed: noise = bernoulli_(1 − p) on a tensor like
the input (one float64 unit draw per element, in order), noise /= (1 − p) in the input's
dtype, output = input · noise (so torch names the node MulBackward0)."""

import numpy as np

import autodiff as ad
from autodiff.ops.inplace import apply_

from .module import Module


class NativeDropout(ad.Function):
    node_name = "MulBackward0"
    symbol = "dropout"
    array_backward = True

    @staticmethod
    def forward(ctx, input, p):
        if p == 1:
            mask = np.zeros_like(input)
        else:  # the kept units are scaled in training so that eval needs no rescaling
            keep = ad.random.bernoulli(1 - p, input.shape)
            mask = keep.astype(input.dtype) / np.asarray(1 - p, input.dtype)
        ctx.save_for_backward(mask)
        return input * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Inverted dropout in training; the identity when training is False or p is 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if inplace:
        return apply_(input, "dropout_", dropout, p)
    return NativeDropout.apply(input, p=p)


class Dropout(Module):
    """Zeroes each element with probability p in training (scaling the rest); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
