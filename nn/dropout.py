"""Inverted dropout: zero each element with probability p and scale the rest by 1/(1 − p)."""

import numpy as np

import autodiff as ad
from autodiff.ops.inplace import apply_

from .module import Module


class NativeDropout(ad.Function):
    node_name = "NativeDropoutBackward0"
    symbol = "dropout"
    array_backward = True

    @staticmethod
    def forward(ctx, input, p):
        dtype = input.dtype if input.dtype in (np.float32, np.float64) else np.float64
        keep = ad.random.generator().random(input.shape, dtype=dtype) >= p
        # the kept units are scaled in training so that eval needs no rescaling
        mask = keep.astype(input.dtype) * (1.0 / (1.0 - p)) if p < 1 else np.zeros_like(input)
        ctx.save_for_backward(mask.astype(input.dtype, copy=False))
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
