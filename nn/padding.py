"""Constant padding (F.pad) as one Function whose backward is a crop."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError


class ConstantPadNd(ad.Function):
    node_name = "ConstantPadNdBackward0"
    symbol = "pad"
    array_backward = True

    @staticmethod
    def forward(ctx, input, pad, value):
        shape, src, dst = list(input.shape), [slice(None)] * input.ndim, [slice(None)] * input.ndim
        for k in range(len(pad) // 2):
            d, before, after = input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
            size = shape[d] + before + after
            src[d] = slice(max(0, -before), shape[d] - max(0, -after))
            dst[d] = slice(max(0, before), size - max(0, after))
            shape[d] = size
        out = np.full(shape, value, dtype=input.dtype)
        out[tuple(dst)] = input[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad):
        # the adjoint of padding is cropping, which is padding by the negated amounts
        return ConstantPadNd.apply(grad, pad=tuple(-p for p in ctx.options["pad"]), value=0.0)


def pad(input, pad, mode: str = "constant", value: float = 0.0):
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...); negative crops."""
    if mode != "constant":
        raise ArgumentError(f"pad: mode {mode!r} is not supported; only mode='constant' is.")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(
            f"pad: pad must have an even length of at most 2·ndim, got {len(pad)} values for "
            f"an input of shape {tuple(input.shape)}. Give (left, right, top, bottom, ...)."
        )
    for k in range(len(pad) // 2):
        d = input.ndim - 1 - k
        if input.shape[d] + pad[2 * k] + pad[2 * k + 1] < 0:
            raise ShapeError(
                f"pad: dim {d} of size {input.shape[d]} padded by {pad[2 * k : 2 * k + 2]} "
                f"would have a negative size (input {tuple(input.shape)}). Crop less."
            )
    return ConstantPadNd.apply(input, pad=pad, value=value)
