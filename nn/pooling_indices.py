"""Pooling that works with indices: adaptive max pooling (with return_indices) and max
unpooling, in 1-d, 2-d and 3-d. An index is flat in a sample's (H, W) plane (row·W + column,
int64), or its (D, H, W) volume, as torch's.

Both directions are one pair of Functions: gather (each output reads the input at its index)
and scatter (each value goes to its index), each the other's adjoint, so second derivatives
work.
"""

import itertools

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, IndexOutOfRangeError, ShapeError

from .pooling import _Pool
from .pooling1d import _single
from .pooling3d import _triple
from .sliding import as_pair


def _planes(array: np.ndarray, dims: int = 2) -> np.ndarray:
    """(..., H, W) as (planes, H·W); with dims=3, (..., D, H, W) as (volumes, D·H·W)."""
    return array.reshape((-1, int(np.prod(array.shape[-dims:]))))


class IndexGather(ad.Function):
    """out = each (H, W) plane (each (D, H, W) volume with dims=3) of input read at its
    indices."""

    array_backward = True

    @staticmethod
    def forward(ctx, input, indices, node, adjoint, dims):
        ctx.node_name = node
        out = np.take_along_axis(_planes(input, dims), _planes(indices, dims), axis=1)
        return out.reshape(indices.shape)

    @staticmethod
    def backward(ctx, grad):
        opts = ctx.options
        return IndexScatter.apply(
            grad,
            indices=opts["indices"],
            size=ctx.input_meta[0][0][-opts["dims"] :],
            node=opts["adjoint"],
            adjoint=opts["node"],
            accumulate=True,
        )


class IndexScatter(ad.Function):
    """A zero plane (or volume: len(size) dims) of the given size per plane of input, its
    values put at their indices; where indices repeat, accumulate adds them (a gradient),
    otherwise the last one stays (max_unpool2d/3d, as torch)."""

    array_backward = True

    @staticmethod
    def forward(ctx, input, indices, size, node, adjoint, accumulate):
        ctx.node_name = node
        dims = len(size)
        values, where = _planes(input, dims), _planes(indices, dims)
        out = np.zeros((len(values), int(np.prod(size))), dtype=input.dtype)
        if accumulate:
            np.add.at(out, (np.arange(len(values))[:, None], where), values)
        else:
            np.put_along_axis(out, where, values, axis=1)
        return out.reshape(input.shape[:-dims] + tuple(size))

    @staticmethod
    def backward(ctx, grad):
        opts = ctx.options
        return IndexGather.apply(
            grad,
            indices=opts["indices"],
            node=opts["adjoint"],
            adjoint=opts["node"],
            dims=len(opts["size"]),
        )


def _bins(size: int, out: int) -> list:
    """torch's adaptive bins [⌊i·S/O⌋, ⌈(i+1)·S/O⌉) along one dim."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


class AdaptiveMaxIndices(ad.Function):
    """The flat index of each adaptive bin's maximum over the last len(output_size) dims (the
    first; a NaN wins, as torch)."""

    @staticmethod
    def forward(ctx, input, output_size):
        dims = len(output_size)
        spatial = input.shape[-dims:]
        out = np.empty(input.shape[:-dims] + tuple(output_size), dtype=np.int64)
        bins = [list(enumerate(_bins(n, o))) for n, o in zip(spatial, output_size)]
        for cell in itertools.product(*bins):
            starts = [start for _, (start, _) in cell]
            block = input[(Ellipsis,) + tuple(slice(a, b) for _, (a, b) in cell)]
            flat = block.reshape(block.shape[:-dims] + (-1,))
            nan = np.isnan(flat)
            best = np.where(nan.any(axis=-1), nan.argmax(axis=-1), flat.argmax(axis=-1))
            local = np.unravel_index(best, block.shape[-dims:])
            at = tuple(c + a for c, a in zip(local, starts))
            out[(Ellipsis,) + tuple(i for i, _ in cell)] = np.ravel_multi_index(at, spatial)
        return out


def _output_size(output_size, shape, dims: int = 2, op: str = "adaptive_max_pool2d") -> tuple:
    """dims sizes from an int or a tuple of dims, None keeping the input's size, as torch."""
    size = (
        (output_size,) * dims if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    )
    size = (
        tuple(n if s is None else s for s, n in zip(size, shape[-dims:]))
        if len(size) == dims
        else ()
    )
    if len(size) != dims or any(not isinstance(s, (int, np.integer)) or s < 1 for s in size):
        raise ArgumentError(
            f"{op}: output_size must be a positive int or {dims} of them (None keeps a dim), "
            f"got {output_size!r}"
        )
    return tuple(int(s) for s in size)


def _adaptive_max_pool(op: str, dims: int, input, output_size, return_indices: bool):
    """Max over torch's adaptive bins of the last dims (2: (H, W), 3: (D, H, W))."""
    if input.ndim not in (dims + 1, dims + 2):
        names = "(C, D, H, W)" if dims == 3 else "(C, H, W)"
        raise ShapeError(
            f"{op}: expected a {dims + 1}-D {names} or {dims + 2}-D (N, {names[1:]} input, got "
            f"shape {tuple(input.shape)}"
        )
    size = _output_size(output_size, input.shape, dims, op)
    if 0 in input.shape[-dims:]:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty plane")
    indices = AdaptiveMaxIndices.apply(input.detach(), output_size=size)
    node = f"AdaptiveMaxPool{dims}DBackward"
    out = IndexGather.apply(
        input, indices=indices, node=f"{node}0", adjoint=f"{node}Backward0", dims=dims
    )
    return (out, indices) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """Max over torch's adaptive bins to a fixed output size (and, with return_indices, where
    each maximum sits)."""
    return _adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


@ad.amp.cast_inputs("fp32")
def adaptive_max_pool3d(input, output_size, return_indices: bool = False):
    """Max over torch's adaptive bins of (D, H, W) to a fixed output size (and, with
    return_indices, where each maximum sits, flat in D·H·W)."""
    return _adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)


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


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool3d that always returns (values, indices), as torch's."""
    return adaptive_max_pool3d(input, output_size, True)


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
    """input's values put at their indices in zero (H, W) planes (or (D, H, W) volumes) of the
    given size."""
    # i < 0 and i < n agree exactly where i is outside [0, n)
    outside = indices[(indices < 0) == (indices < int(np.prod(size)))]
    if outside.numel():
        bad = int(outside[0])
        raise IndexOutOfRangeError(
            f"{op}: Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, size))}). Give the indices max pooling returned for this input "
            "size."
        )
    node = "MaxUnpool3DBackward" if len(size) == 3 else "MaxUnpool2DBackward"
    return IndexScatter.apply(
        input, indices=indices, size=size, node=f"{node}0", adjoint=f"{node}Backward0",
        accumulate=False,
    )  # fmt: skip


@ad.amp.cast_inputs("fp32")
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


@ad.amp.cast_inputs("fp32")
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: each value put back at the index max_pool3d gave for it
    (flat in D·H·W), zeros elsewhere."""
    op = "max_unpool3d"
    kernel = _triple(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _triple(stride, "stride", op)
    padding = _triple(padding, "padding", op, minimum=0)
    _check_unpool(op, input, indices, 3)
    size = _unpool_size(op, tuple(input.shape), kernel, stride, padding, output_size)
    return _max_unpool(op, input, indices, size)


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


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    """Adaptive max pooling of (D, H, W) to output_size (and, with return_indices, the arg-max
    positions)."""

    def forward(self, input):
        return self._call(
            adaptive_max_pool3d,
            input,
            output_size=self.output_size,
            return_indices=self.return_indices,
        )


class MaxUnpool3d(_Pool):
    """The inverse of MaxPool3d(return_indices=True): values back at their arg-max positions."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _triple(kernel_size, "kernel_size", "MaxUnpool3d")
        self.stride = (
            self.kernel_size if stride is None else _triple(stride, "stride", "MaxUnpool3d")
        )
        self.padding = _triple(padding, "padding", "MaxUnpool3d", minimum=0)

    def forward(self, input, indices, output_size=None):
        return max_unpool3d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
