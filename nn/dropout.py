"""Inverted dropout: zero each element with probability p and scale the rest by 1/(1 − p);
channel-wise (feature) dropout zeroes whole channels (Dropout1d/2d/3d).

The mask is torch's on the CPU for the same seed: noise = bernoulli_(1 − p) on a tensor like
the input (one float64 unit draw per element, in order), noise /= (1 − p) in the input's
dtype, output = input · noise (so torch names the node MulBackward0)."""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.device import memory_order
from autodiff.errors import ShapeError
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
            order = memory_order(input)  # drawn along memory, as torch's mask like the input
            keep = ad.random.bernoulli(1 - p, tuple(input.shape[d] for d in order))
            keep = keep.transpose(np.argsort(order))
            mask = keep.astype(input.dtype) / np.asarray(1 - p, input.dtype)
        ctx.save_for_backward(mask)
        return input * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask


def _check_p(op: str, p) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Inverted dropout in training; the identity when training is False or p is 0."""
    _check_p("dropout", p)
    if not training or p == 0:
        return input
    if inplace:
        return apply_(input, "dropout_", dropout, p)
    return NativeDropout.apply(input, p=p)


def _feature_dropout(input, p: float, training: bool, inplace: bool):
    """Zero whole channels (dim 1 of a batch) with probability p: one draw per (sample,
    channel), broadcast over the rest, the kept ones scaled by 1/(1 − p), as torch."""
    if not training or p == 0:
        return input
    if p == 1:
        noise = ad.zeros((), dtype=input.dtype)
    else:  # torch's draws: bernoulli_(1 - p) on (N, C, 1, ...), then / (1 - p)
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
        noise = ad.empty(*shape, dtype=input.dtype).bernoulli_(1 - p) / (1 - p)
    return input.mul_(noise) if inplace else input * noise


def _channel_dropout(op: str, spatial: int, input, p, training, inplace):
    """dropout{spatial}d: (N, C, *spatial) or unbatched (C, *spatial) inputs, torch's checks."""
    _check_p(op, p)
    if input.ndim not in (spatial + 1, spatial + 2):
        if spatial == 1:
            raise ShapeError(
                f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input "
                f"(shape {tuple(input.shape)}). dropout1d drops channels of (N, C, L) or (C, L)."
            )
        warnings.warn(
            f"{op}: Received a {input.ndim}-D input to {op}, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that {op} exists to provide "
            f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
            "dimension, and an optional batch dimension "
            f"(i.e. {spatial + 1}D or {spatial + 2}D inputs).",
            stacklevel=3,
        )
    elif spatial == 2 and input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. To maintain the 1D channel-wise dropout behavior, please switch "
            "to using dropout1d instead.",
            stacklevel=3,
        )
        return _feature_dropout(input, p, training, inplace)
    if input.ndim != spatial + 1 or not training or p == 0:
        return _feature_dropout(input, p, training, inplace)
    out = _feature_dropout(input.unsqueeze(0), p, training, inplace)  # unbatched
    return input if inplace else out.squeeze(0)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest."""
    return _channel_dropout("dropout1d", 1, input, p, training, inplace)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability p, scaling the rest."""
    return _channel_dropout("dropout2d", 2, input, p, training, inplace)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    return _channel_dropout("dropout3d", 3, input, p, training, inplace)


_SELU_ALPHA_SCALED = 1.7580993408473766  # SELU's −scale·alpha: where its output saturates


def _alpha_dropout(op: str, input, p: float, training: bool, inplace: bool, feature: bool):
    """Dropped units (whole channels if feature) set to SELU's saturation value, then an affine
    map a·x + b that keeps the mean and variance of unit-normal inputs, as torch (its draws:
    bernoulli_(1 − p) on a tensor like the input, or like (N, C, 1, ...))."""
    _check_p(op, p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        zeros = ad.zeros((), dtype=input.dtype)
        return input.mul_(zeros) if inplace else input * zeros
    shape = tuple(input.shape)
    if feature:
        if input.ndim < 2:
            raise ShapeError(
                f"{op}: Feature dropout requires at least 2 dimensions in the input (shape "
                f"{shape}). Give (N, C, ...) input, or use alpha_dropout."
            )
        shape = shape[:2] + (1,) * (input.ndim - 2)
    keep = ad.empty(*shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALED**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA_SCALED * a) + _SELU_ALPHA_SCALED * a * p
    scale = keep * a
    out = input.mul_(scale) if inplace else input * scale
    return out.add_(shift)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for SELU networks: dropped units set to SELU's saturation value, the rest
    mapped so that unit-normal inputs keep their mean and variance."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, feature=False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Alpha dropout of whole channels (dim 1 of (N, C, ...)), for SELU convolutions."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, feature=True)


class Dropout(Module):
    """Zeroes each element with probability p in training (scaling the rest); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        _check_p(type(self).__name__, p)
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zeroes whole channels of (N, C, L) with probability p in training."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zeroes whole channels of (N, C, H, W) with probability p in training."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zeroes whole channels of (N, C, D, H, W) with probability p in training."""

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Alpha dropout (for SELU networks): keeps the inputs' mean and variance in training."""

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels (for SELU networks): keeps mean and variance in
    training."""

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training, self.inplace)
