"""Padding: F.pad's four modes and the padding Modules built on it.

Constant padding is one Function whose backward is a crop. Reflection and replication read
each output cell from one input cell: a gather along each padded dim (torch's ReflectionPad2D
node and its kin), whose backward adds each cell's gradient back to its source. Circular
padding is composed of slices and in-place copies, the way torch builds it (CopySlices nodes).
"""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .module import Module


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


def _sources(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    i = np.arange(-before, size + after)
    if mode == "reflect":  # mirrored about the edge cells, which are not repeated
        return np.where(i < 0, -i, np.where(i >= size, 2 * (size - 1) - i, i))
    return np.clip(i, 0, size - 1)  # replicate: the edge cell repeated


def _gathers(mode: str, shape: tuple, pad: tuple) -> list:
    """(dim, sources) for every padded dim, the last dim first as pad lists them."""
    ndim = len(shape)
    return [
        (ndim - 1 - k, _sources(mode, shape[ndim - 1 - k], pad[2 * k], pad[2 * k + 1]))
        for k in range(len(pad) // 2)
    ]


_NODE = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}


class IndexPad(ad.Function):
    """Reflection or replication padding: every output cell is a copy of one input cell."""

    symbol = "pad"
    array_backward = True

    @staticmethod
    def forward(ctx, input, pad, mode):
        ctx.node_name = f"{_NODE[mode]}{len(pad) // 2}DBackward0"
        out = input
        for dim, sources in _gathers(mode, input.shape, pad):
            out = np.take(out, sources, axis=dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexPadAdjoint.apply(grad, size=ctx.input_meta[0][0], **ctx.options)


class IndexPadAdjoint(ad.Function):
    """IndexPad's input gradient: each output cell's gradient added onto its source cell."""

    symbol = "padᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, size, pad, mode):
        ctx.node_name = f"{_NODE[mode]}{len(pad) // 2}DBackwardBackward0"
        for dim, sources in reversed(_gathers(mode, size, pad)):
            summed = np.zeros(grad.shape[:dim] + (size[dim],) + grad.shape[dim + 1 :], grad.dtype)
            np.add.at(summed, (slice(None),) * dim + (sources,), grad)
            grad = summed
        return grad

    @staticmethod
    def backward(ctx, gg):
        return IndexPad.apply(gg, pad=ctx.options["pad"], mode=ctx.options["mode"])


def _circular(input, pad: tuple):
    """Circular padding as torch composes it: the input copied into the middle of a new
    tensor, then, dim by dim from the last, the wrapped-around ends copied from it."""
    shape, padded = list(input.shape), len(pad) // 2
    for k in range(padded):
        shape[input.ndim - 1 - k] += pad[2 * k] + pad[2 * k + 1]
    out = input.new_empty(*shape)
    middle, source = [slice(None)] * input.ndim, input
    for k in range(padded):
        d, before, after = input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
        middle[d] = slice(max(before, 0), shape[d] - max(after, 0))
        start = max(-before, 0)
        source = source.narrow(d, start, input.shape[d] - start - max(-after, 0))
    out[tuple(middle)] = source
    for k in range(padded):
        d, before, after = input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
        lead = (slice(None),) * d
        if before > 0:
            out[lead + (slice(0, before),)] = out.narrow(
                d, shape[d] - before - max(after, 0), before
            )
        if after > 0:
            out[lead + (slice(shape[d] - after, None),)] = out.narrow(d, max(before, 0), after)
    return out


def _check_pad(input, pad: tuple) -> None:
    if len(pad) % 2:
        raise ArgumentError(
            f"pad: Padding length must be divisible by 2, got {len(pad)} values {pad}. Give "
            "(left, right, top, bottom, ...)."
        )
    if len(pad) // 2 > input.ndim:
        raise ShapeError(
            f"pad: Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension {input.ndim} "
            f"(shape {tuple(input.shape)}). Pad fewer dims."
        )
    for k in range(len(pad) // 2):
        d = input.ndim - 1 - k
        if input.shape[d] + pad[2 * k] + pad[2 * k + 1] < 0:
            raise ShapeError(
                f"pad: dim {d} of size {input.shape[d]} padded by {pad[2 * k : 2 * k + 2]} "
                f"would have a negative size (input {tuple(input.shape)}). Crop less."
            )


def _check_non_constant(input, pad: tuple, mode: str, value) -> None:
    """torch's rules for reflect, replicate and circular padding."""
    if value is not None and value != 0:
        raise ArgumentError(
            f'pad: Padding mode "{mode}" doesn\'t take in value argument (got value={value}). '
            "Leave value out, or use mode='constant'."
        )
    padded = len(pad) // 2
    if padded not in (1, 2, 3) or input.ndim not in (padded + 1, padded + 2):
        raise ShapeError(
            f"pad: Padding size {len(pad)} is not supported for {input.ndim}D input tensor "
            f"(shape {tuple(input.shape)}) with mode={mode!r}. Non-constant padding pads the "
            "last 1, 2 or 3 dims (2, 4 or 6 values) of an input with 1 or 2 more dims."
        )
    for k in range(padded):
        d, pair = input.ndim - 1 - k, pad[2 * k : 2 * k + 2]
        size = input.shape[d]
        if mode == "reflect" and max(pair) >= size:
            raise ArgumentError(
                f"pad: Padding size should be less than the corresponding input dimension, but "
                f"got: padding {pair} at dimension {d} of input {list(input.shape)}. Reflection "
                "repeats no edge cell: pad by at most size - 1."
            )
        if mode == "circular" and max(pair) > size:
            raise ArgumentError(
                f"pad: Padding value causes wrapping around more than once (padding {pair} at "
                f"dimension {d} of input {list(input.shape)}). Pad by at most the dim's size."
            )
        if mode == "replicate" and size == 0 and max(pair) > 0:
            raise ShapeError(
                f"pad: replicate padding of an empty dimension {d} (input "
                f"{list(input.shape)}): there is no edge cell to repeat."
            )


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...); negative crops.
    mode: 'constant' (value, default 0), 'reflect', 'replicate' or 'circular'."""
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ArgumentError(
            f"pad: Unrecognised padding mode {mode!r}. Use 'constant', 'reflect', 'replicate' "
            "or 'circular'."
        )
    pad = tuple(int(p) for p in pad)
    _check_pad(input, pad)
    if mode == "constant":
        return ConstantPadNd.apply(input, pad=pad, value=0.0 if value is None else value)
    _check_non_constant(input, pad, mode, value)
    if mode == "circular":
        return _circular(input, pad)
    return IndexPad.apply(input, pad=pad, mode=mode)


def _tuple(padding, n: int) -> tuple:
    """An int repeated n times, or the given sequence as a tuple (torch's _ntuple)."""
    if isinstance(padding, (int, np.integer)):
        return (int(padding),) * n
    return tuple(padding)


class _PadNd(Module):
    """A padding Module: F.pad over the last `_dims` dims with `_mode`."""

    _mode, _dims = "constant", 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _tuple(padding, 2 * self._dims)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with a constant value: padding = int or (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with a constant: padding = int or (left, right, top, bottom)."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with a constant: padding = int or
    (left, right, top, bottom, front, back)."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros: padding = int or (left, right)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros: padding = int or (left, right, top, bottom)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros: padding = int or a 6-tuple, the last dim first."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dim of (C, W) or (N, C, W) with its mirror image (edges not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with their mirror image."""

    _mode, _dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with their mirror image."""

    _mode, _dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pads the last dim of (C, W) or (N, C, W) by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) by repeating their edge values."""

    _mode, _dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) by repeating their edges."""

    _mode, _dims = "replicate", 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ShapeError(
                f"{type(self).__name__}: expected {self._dims + 1}D or {self._dims + 2}D input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Pads the last dim of (C, W) or (N, C, W) by wrapping around: the far end comes first."""


class CircularPad2d(_CircularPadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) by wrapping around."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) by wrapping around."""

    _dims = 3
