"""Pooling that works with indices: adaptive max pooling (with return_indices) and max
unpooling. An index is flat in a sample's (H, W) plane (row·W + column, int64), as torch's.

Both directions are one pair of Functions: gather (each output reads the input at its index)
and scatter (each value goes to its index), each the other's adjoint, so second derivatives
work.
"""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, IndexOutOfRangeError, ShapeError

from .pooling import _Pool
from .pooling1d import _single
from .sliding import as_pair


def _planes(array: np.ndarray) -> np.ndarray:
    """(..., H, W) as (planes, H·W)."""
    return array.reshape((-1, array.shape[-2] * array.shape[-1]))


class IndexGather(ad.Function):
    """out = each (H, W) plane of input read at its (OH, OW) indices."""

    array_backward = True

    @staticmethod
    def forward(ctx, input, indices, node, adjoint):
        ctx.node_name = node
        out = np.take_along_axis(_planes(input), _planes(indices), axis=1)
        return out.reshape(indices.shape)

    @staticmethod
    def backward(ctx, grad):
        opts = ctx.options
        return IndexScatter.apply(
            grad,
            indices=opts["indices"],
            size=ctx.input_meta[0][0][-2:],
            node=opts["adjoint"],
            adjoint=opts["node"],
            accumulate=True,
        )


class IndexScatter(ad.Function):
    """A zero (H, W) plane per plane of input, its values put at their indices; where indices
    repeat, accumulate adds them (a gradient), otherwise the last one stays (max_unpool2d, as
    torch)."""

    array_backward = True

    @staticmethod
    def forward(ctx, input, indices, size, node, adjoint, accumulate):
        ctx.node_name = node
        values, where = _planes(input), _planes(indices)
        out = np.zeros((len(values), size[0] * size[1]), dtype=input.dtype)
        if accumulate:
            np.add.at(out, (np.arange(len(values))[:, None], where), values)
        else:
            np.put_along_axis(out, where, values, axis=1)
        return out.reshape(input.shape[:-2] + tuple(size))

    @staticmethod
    def backward(ctx, grad):
        opts = ctx.options
        return IndexGather.apply(
            grad, indices=opts["indices"], node=opts["adjoint"], adjoint=opts["node"]
        )


def _bins(size: int, out: int) -> list:
    """torch's adaptive bins [⌊i·S/O⌋, ⌈(i+1)·S/O⌉) along one dim."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


class AdaptiveMaxIndices(ad.Function):
    """The flat index of each adaptive bin's maximum (the first; a NaN wins, as torch)."""

    @staticmethod
    def forward(ctx, input, output_size):
        (h, w), (oh, ow) = input.shape[-2:], output_size
        out = np.empty(input.shape[:-2] + (oh, ow), dtype=np.int64)
        for i, (r0, r1) in enumerate(_bins(h, oh)):
            for j, (c0, c1) in enumerate(_bins(w, ow)):
                block = input[..., r0:r1, c0:c1]
                block = block.reshape(block.shape[:-2] + (-1,))
                nan = np.isnan(block)
                best = np.where(nan.any(axis=-1), nan.argmax(axis=-1), block.argmax(axis=-1))
                rows, cols = np.divmod(best, c1 - c0)
                out[..., i, j] = (rows + r0) * w + cols + c0
        return out


def _output_size(output_size, shape) -> tuple:
    """(oh, ow) from an int or a pair, None keeping the input's size, as torch."""
    size = (output_size,) * 2 if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    size = tuple(n if s is None else s for s, n in zip(size, shape[-2:])) if len(size) == 2 else ()
    if len(size) != 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in size):
        raise ArgumentError(
            f"adaptive_max_pool2d: output_size must be a positive int or a pair of them (None "
            f"keeps a dim), got {output_size!r}"
        )
    return tuple(int(s) for s in size)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """Max over torch's adaptive bins to a fixed output size (and, with return_indices, where
    each maximum sits)."""
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"adaptive_max_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
            f"shape {tuple(input.shape)}"
        )
    size = _output_size(output_size, input.shape)
    if 0 in input.shape[-2:]:
        raise ShapeError(
            f"adaptive_max_pool2d: input of shape {tuple(input.shape)} has an empty plane"
        )
    indices = AdaptiveMaxIndices.apply(input.detach(), output_size=size)
    out = IndexGather.apply(
        input,
        indices=indices,
        node="AdaptiveMaxPool2DBackward0",
        adjoint="AdaptiveMaxPool2DBackwardBackward0",
    )
    return (out, indices) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """Max over torch's adaptive bins of the last dim to output_size values."""
    size = _single(output_size, "output_size", "adaptive_max_pool1d")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"adaptive_max_pool1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
            f"{tuple(input.shape)}"
        )
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    return tuple(o.squeeze(-2) for o in out) if return_indices else out.squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool2d that always returns (values, indices), as torch's."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool1d that always returns (values, indices), as torch's."""
    return adaptive_max_pool1d(input, output_size, True)


def _unpool_size(op: str, input_shape, kernel, stride, padding, output_size) -> tuple:
    """The unpooled size of the last len(kernel) dims: max pooling's input size by default, or
    output_size (its last dims) where it is one max pooling could have come from."""
    spatial = input_shape[len(input_shape) - len(kernel) :]
    default = tuple(
        (s - 1) * st - 2 * p + k for s, st, p, k in zip(spatial, stride, padding, kernel)
    )
    if output_size is None:
        return default
    size = tuple(int(s) for s in output_size)
    if len(size) == len(kernel) + 2:  # (N, C, ...) given: the spatial part counts
        size = size[2:]
    if len(size) != len(kernel):
        raise ArgumentError(
            f"{op}: output_size should be a sequence containing {len(kernel)} or "
            f"{len(kernel) + 2} elements, but it has a length of '{len(size)}' ({output_size}). "
            "Give the unpooled size of the last dims."
        )
    for d, (s, n, st) in enumerate(zip(size, default, stride)):
        if not n - st < s < n + st:
            raise ArgumentError(
                f'{op}: invalid output_size "{size}" (dim {d} must be between {n - st} and '
                f"{n + st}, exclusive, for an input of {tuple(input_shape)})"
            )
    return size


def _check_unpool(op: str, input, indices, dims: int) -> None:
    if input.ndim not in (dims + 1, dims + 2) or tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: expected a {dims + 1}-D or {dims + 2}-D input and indices of its shape, got "
            f"input {tuple(input.shape)} and indices {tuple(indices.shape)}"
        )
    if indices.dtype != ad.int64:
        raise ArgumentError(
            f"{op}: indices must be int64 (as max pooling returns them), got {indices.dtype}"
        )


def _max_unpool(op: str, input, indices, size: tuple):
    """input's values put at their indices in zero (H, W) planes of the given size."""
    # i < 0 and i < n agree exactly where i is outside [0, n)
    outside = indices[(indices < 0) == (indices < size[0] * size[1])]
    if outside.numel():
        bad = int(outside[0])
        raise IndexOutOfRangeError(
            f"{op}: Found an invalid max index: {bad} (output volumes are of size "
            f"{size[0]}x{size[1]}). Give the indices max pooling returned for this input size."
        )
    return IndexScatter.apply(
        input,
        indices=indices,
        size=size,
        node="MaxUnpool2DBackward0",
        adjoint="MaxUnpool2DBackwardBackward0",
        accumulate=False,
    )


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value put back at the index max_pool2d gave for it,
    zeros elsewhere."""
    op = "max_unpool2d"
    kernel = as_pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else as_pair(stride, "stride", op)
    padding = as_pair(padding, "padding", op, minimum=0)
    _check_unpool(op, input, indices, 2)
    size = _unpool_size(op, tuple(input.shape), kernel, stride, padding, output_size)
    return _max_unpool(op, input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: each value put back at the position max_pool1d gave for it,
    zeros elsewhere (max_unpool2d over a single column, as torch records it)."""
    op = "max_unpool1d"
    kernel = _single(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _single(stride, "stride", op)
    padding = _single(padding, "padding", op, minimum=0)
    _check_unpool(op, input, indices, 1)
    (length,) = _unpool_size(op, tuple(input.shape), (kernel,), (stride,), (padding,), output_size)
    return _max_unpool(op, input.unsqueeze(-1), indices.unsqueeze(-1), (length, 1)).squeeze(-1)


class AdaptiveMaxPool2d(_Pool):
    """Adaptive max pooling to output_size (and, with return_indices, the arg-max positions)."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return self._call(
            adaptive_max_pool2d,
            input,
            output_size=self.output_size,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Adaptive max pooling of the last dim to output_size values."""

    def forward(self, input):
        return self._call(
            adaptive_max_pool1d,
            input,
            output_size=self.output_size,
            return_indices=self.return_indices,
        )


class MaxUnpool2d(_Pool):
    """The inverse of MaxPool2d(return_indices=True): values back at their arg-max positions."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = as_pair(kernel_size, "kernel_size", "MaxUnpool2d")
        self.stride = (
            self.kernel_size if stride is None else as_pair(stride, "stride", "MaxUnpool2d")
        )
        self.padding = as_pair(padding, "padding", "MaxUnpool2d", minimum=0)

    def forward(self, input, indices, output_size=None):
        return max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_Pool):
    """The inverse of MaxPool1d(return_indices=True): values back at their arg-max positions."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = (_single(kernel_size, "kernel_size", "MaxUnpool1d"),)
        self.stride = (
            self.kernel_size if stride is None else (_single(stride, "stride", "MaxUnpool1d"),)
        )
        self.padding = (_single(padding, "padding", "MaxUnpool1d", minimum=0),)

    def forward(self, input, indices, output_size=None):
        return max_unpool1d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
