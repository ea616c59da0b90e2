"""Sliding blocks: F.unfold (im2col: every kernel-sized block of an image as a column) and
F.fold (col2im: the columns summed back into an image), with torch's layout (N, C·KH·KW, L),
each the other's adjoint (torch's Im2ColBackward0 and Col2ImBackward0)."""

import math

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError

from .module import Module
from .sliding import Windows, as_pair, im2col_per_sample


def _windows(op: str, size, kernel, dilation, padding, stride) -> Windows:
    """The geometry of the blocks over an (H, W) plane; torch's error when none fits."""
    (ph, pw) = padding
    out = tuple(
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, p, d, k, st in zip(size, padding, dilation, kernel, stride)
    )
    if min(out) < 1:
        raise ShapeError(
            f"{op}: Given input with spatial size {tuple(size)}, kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
            f"blocks as {out}, but its components must be at least one. Use a smaller kernel "
            "or more padding."
        )
    return Windows(tuple(size), kernel, stride, (ph, ph, pw, pw), dilation, out)


class Im2Col(ad.Function):
    """(N, C, H, W) → (N, C·KH·KW, L): column l holds block l, channel by channel, tap by tap
    ((C, H, W) → (C·KH·KW, L) unbatched)."""

    node_name = "Im2ColBackward0"
    symbol = "unfold"
    array_backward = True

    @staticmethod
    def forward(ctx, input, kernel, dilation, padding, stride):
        win = _windows("unfold", input.shape[-2:], kernel, dilation, padding, stride)
        shape = input.shape[:-3] + (input.shape[-3] * kernel[0] * kernel[1], math.prod(win.out))
        if input.size == 0:
            return np.zeros(shape, input.dtype)
        return im2col_per_sample(input.reshape((-1,) + input.shape[-3:]), win, 1).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Col2Im.apply(grad, size=ctx.input_meta[0][0][-2:], **ctx.options)


class Col2Im(ad.Function):
    """(N, C·KH·KW, L) → (N, C, H, W): each column's values added back where its block lies
    ((C·KH·KW, L) → (C, H, W) unbatched)."""

    node_name = "Col2ImBackward0"
    symbol = "fold"
    array_backward = True

    @staticmethod
    def forward(ctx, input, size, kernel, dilation, padding, stride):
        win = _windows("fold", size, kernel, dilation, padding, stride)
        lead, c = input.shape[:-2], input.shape[-2] // (kernel[0] * kernel[1])
        blocks = input.reshape((-1, c) + kernel + win.out)
        out = win.zeros(blocks.shape[:2], input.dtype)
        for _, i, j in win.taps():
            tap = win.tap(out, i, j)
            tap += blocks[:, :, i, j]
        return np.ascontiguousarray(win.unpad(out)).reshape(lead + (c,) + tuple(size))

    @staticmethod
    def backward(ctx, grad):
        options = {k: v for k, v in ctx.options.items() if k != "size"}
        return Im2Col.apply(grad, **options)


def _pairs(op: str, kernel_size, dilation, padding, stride) -> dict:
    """The Functions' options: kernel, dilation, padding and stride as (h, w) pairs."""
    return dict(
        kernel=as_pair(kernel_size, "kernel_size", op),
        dilation=as_pair(dilation, "dilation", op),
        padding=as_pair(padding, "padding", op, minimum=0),
        stride=as_pair(stride, "stride", op),
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every kernel-sized block of (N, C, H, W) (or (C, H, W)) as a column: (N, C·KH·KW, L)."""
    options = _pairs("unfold", kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    _windows("unfold", input.shape[-2:], *options.values())
    return Im2Col.apply(input, **options)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The columns (N, C·KH·KW, L) (or (C·KH·KW, L)) summed back into an image of
    output_size: the adjoint of unfold (fold(unfold(x)) counts each pixel once per block)."""
    options = _pairs("fold", kernel_size, dilation, padding, stride)
    size = as_pair(output_size, "output_size", "fold")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"fold: expected a 2-D (C·KH·KW, L) or 3-D (N, C·KH·KW, L) input, got shape "
            f"{tuple(input.shape)}"
        )
    kernel, (columns, blocks_seen) = options["kernel"], input.shape[-2:]
    if columns % (kernel[0] * kernel[1]):
        raise ShapeError(
            f"fold: Expected size of input's dimension {input.ndim - 2} to be divisible by the "
            f"product of kernel_size, but got input.size({input.ndim - 2})={columns} and "
            f"kernel_size={kernel}."
        )
    blocks = _windows("fold", size, *options.values()).out
    if blocks_seen != blocks[0] * blocks[1]:
        raise ShapeError(
            f"fold: Given output_size={size}, kernel_size={kernel}, dilation="
            f"{options['dilation']}, padding={options['padding']}, stride={options['stride']}, "
            f"expected size of input's dimension {input.ndim - 1} to match the calculated "
            f"number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
            f"but got input.size({input.ndim - 1})={blocks_seen}."
        )
    return Col2Im.apply(input, size=size, **options)


class Unfold(Module):
    """Extracts sliding blocks as columns: (N, C, H, W) → (N, C·KH·KW, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Sums columns of sliding blocks back into an image: (N, C·KH·KW, L) → (N, C, H, W)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation="
            f"{self.dilation}, padding={self.padding}, stride={self.stride}"
        )
