"""RMS normalisation (modern small GPTs), instance normalisation and local response
normalisation: each composed of existing ops, as torch composes it, so the recorded nodes are
torch's and the gradients (second derivatives too) come from the ops."""

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError

from .module import Module, Parameter
from .normalization import _normalized_shape


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x²) + eps) · w over the trailing normalized_shape dims; eps defaults to
    the machine epsilon of x's dtype, as torch."""
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(
            f"rms_norm(): argument 'normalized_shape' must be a tuple of ints, not int "
            f"({normalized_shape}). Write ({normalized_shape},)."
        )
    shape = _normalized_shape(normalized_shape)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ShapeError(
            f"rms_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise ShapeError(
            f"rms_norm: weight of shape {tuple(weight.shape)} must have the normalized_shape "
            f"{shape}"
        )
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """Scales each sample by the root mean square over its last len(normalized_shape) dims,
    then by a learned weight (ones at first)."""

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            dtype = dtype or ad.get_default_dtype()
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            with ad.no_grad():
                self.weight.fill_(1.0)

    def forward(self, input):
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
