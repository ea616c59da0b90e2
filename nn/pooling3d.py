"""3-d pooling over (N, C, D, H, W) or (C, D, H, W), recorded as torch records it: average
pooling (AvgPool3DBackward0) as a sum of strided views of the padded input, one per kernel
tap, over torch's divisor; max pooling (MaxPool3DWithIndicesBackward0) as a gather at the
arg-max indices, its scatter the adjoint; adaptive average pooling, separable as in 2-d
(one averaging matrix per spatial dim; AdaptiveAvgPool3DBackward0, a global average a
mean)."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .pooling import _averaging, _Pool


def _along_depth(matrix, x):
    """matrix (D', D) applied along dim -3 of x (..., D, H, W)."""
    return (matrix @ x.swapaxes(-3, -2)).swapaxes(-3, -2)


class AdaptiveAveragePooling3d(ad.Function):
    node_name = "AdaptiveAvgPool3DBackward0"
    symbol = "adaptive_avgpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, output_size):
        depth, rows, cols = (
            _averaging(n, out, input.dtype) for n, out in zip(input.shape[-3:], output_size)
        )
        ctx.save_for_backward(depth, rows, cols)
        return _along_depth(depth, rows @ input @ cols.T)

    @staticmethod
    def backward(ctx, grad):  # the adjoint of each (linear) averaging, in reverse order
        depth, rows, cols = ctx.saved_tensors
        return rows.mT @ _along_depth(depth.mT, grad) @ cols


@ad.amp.cast_inputs("fp32")
def adaptive_avg_pool3d(input, output_size):
    """Average over torch's adaptive bins of (D, H, W) to a fixed output size."""
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"adaptive_avg_pool3d: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, "
            f"got shape {tuple(input.shape)}"
        )
    size = (output_size,) * 3 if isinstance(output_size, int) else tuple(output_size)
    size = tuple(n if s is None else s for s, n in zip(size, input.shape[-3:]))
    if len(size) != 3 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in size):
        raise ArgumentError(
            f"adaptive_avg_pool3d: output_size must be a positive int or three of them (None "
            f"keeps a dim), got {output_size!r}"
        )
    if 0 in input.shape[-3:]:
        raise ShapeError(
            f"adaptive_avg_pool3d: input of shape {tuple(input.shape)} has an empty volume"
        )
    if size == (1, 1, 1):  # global average pooling: torch records it as a mean
        return input.mean(dim=(-3, -2, -1), keepdim=True)
    return AdaptiveAveragePooling3d.apply(input, output_size=tuple(int(s) for s in size))


def _triple(value, name: str, op: str, minimum: int = 1) -> tuple:
    """An int or three of them (torch's _triple), each at least minimum."""
    values = (value,) * 3 if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) == 1:
        values *= 3
    if len(values) != 3 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum for v in values
    ):
        raise ArgumentError(f"{op}: {name} must be an int >= {minimum} or three, got {value!r}")
    return tuple(int(v) for v in values)


def _pooled_size(size: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """torch's pooling output size: a last window that would start in the right padding is
    dropped in ceil_mode."""
    span = size + 2 * pad - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _taps(kernel):
    return np.ndindex(*kernel)


def _window(out_shape, tap, stride) -> tuple:
    """The slice of the padded input that kernel tap reads for every output position."""
    return (Ellipsis,) + tuple(
        slice(t, t + s * (n - 1) + 1, s) for t, s, n in zip(tap, stride, out_shape)
    )


def _padded(input, out_shape, reach, stride, padding, value=0.0) -> np.ndarray:
    """input padded by value on each side, and past the far side as far as ceil_mode's last
    window reaches."""
    extra = [max(0, (o - 1) * s + r - (n + 2 * p)) for o, s, r, n, p in
             zip(out_shape, stride, reach, input.shape[-3:], padding)]  # fmt: skip
    widths = [(0, 0)] * (input.ndim - 3) + [(p, p + e) for p, e in zip(padding, extra)]
    return np.pad(input, widths, constant_values=value)


def _avg_divisor(sizes, count_include_pad, override, dtype, kernel, stride, padding, out_shape):
    """torch's divisor per output position: the window's size within input and padding (or the
    input alone), or divisor_override."""
    if override:
        return np.asarray(override, dtype)
    per_dim = []
    for size, n, k, s, p in zip(sizes, out_shape, kernel, stride, padding):
        start = np.arange(n) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        per_dim.append((end - start).astype(dtype))
    return per_dim[0][:, None, None] * per_dim[1][None, :, None] * per_dim[2][None, None, :]


class AveragePooling3d(ad.Function):
    node_name = "AvgPool3DBackward0"
    symbol = "avgpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, kernel, stride, padding, out_shape, divisor):
        padded = _padded(input, out_shape, kernel, stride, padding)
        out = sum(padded[_window(out_shape, t, stride)] for t in _taps(kernel))
        return (out / divisor).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool3dSpread.apply(grad, size=ctx.input_meta[0][0], **ctx.options)


class AvgPool3dSpread(ad.Function):
    """AveragePooling3d's input gradient: each output's gradient over its divisor, added onto
    every cell of its window."""

    node_name = "AvgPool3DBackwardBackward0"
    symbol = "avgpoolᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, size, kernel, stride, padding, out_shape, divisor):
        spatial = size[-3:]
        padded = np.zeros(
            tuple(size[:-3]) + tuple(max(n + 2 * p, (o - 1) * s + k) for n, p, o, s, k in
                                     zip(spatial, padding, out_shape, stride, kernel)),
            grad.dtype,
        )  # fmt: skip
        share = grad / divisor
        for t in _taps(kernel):
            padded[_window(out_shape, t, stride)] += share
        crop = tuple(slice(p, p + n) for p, n in zip(padding, spatial))
        return padded[(Ellipsis,) + crop].astype(grad.dtype)

    @staticmethod
    def backward(ctx, gg):
        opts = {k: v for k, v in ctx.options.items() if k != "size"}
        return AveragePooling3d.apply(gg, **opts)


def _geometry(op, input, kernel_size, stride, padding, dilation, ceil_mode) -> dict:
    """A 3-d pooling's windows as torch checks and sizes them: kernel, stride, padding,
    dilation and the output's (D', H', W')."""
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"{op}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    kernel = _triple(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else _triple(stride, "stride", op)
    padding = _triple(padding, "padding", op, minimum=0)
    dilation = _triple(dilation, "dilation", op)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ShapeError(
            f"{op}: pad should be at most half of effective kernel size, but got padding "
            f"{padding} for kernel {kernel}. Use less padding."
        )
    reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))  # a dilated window's span
    out_shape = tuple(_pooled_size(n, r, s, p, ceil_mode)
                      for n, r, s, p in zip(input.shape[-3:], reach, stride, padding))  # fmt: skip
    if min(out_shape) < 1:
        raise ShapeError(
            f"{op}: output size would be {'x'.join(map(str, out_shape))} for input "
            f"{tuple(input.shape)} and kernel {kernel}. Use a smaller kernel or more padding."
        )
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                out_shape=out_shape)  # fmt: skip


@ad.amp.cast_inputs("fp32")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):  # fmt: skip
    """Mean over each kernel_size window of (D, H, W); stride defaults to kernel_size."""
    geometry = _geometry("avg_pool3d", input, kernel_size, stride, padding, 1, ceil_mode)
    del geometry["dilation"]
    if divisor_override is not None and divisor_override == 0:
        raise ArgumentError("avg_pool3d: divisor must be not zero")
    divisor = _avg_divisor(tuple(input.shape[-3:]), count_include_pad, divisor_override,
                           input.dtype, **geometry)  # fmt: skip
    return AveragePooling3d.apply(input, divisor=divisor, **geometry)


class AvgPool3d(_Pool):
    """Average pooling over (D, H, W); count_include_pad=True as torch."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):  # fmt: skip
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._call(
            avg_pool3d, input, kernel_size=self.kernel_size, stride=self.stride,
            padding=self.padding, ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad, divisor_override=self.divisor_override,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPoolIndices3d(ad.Function):
    """The flat (D·H·W) index of each window's maximum: the first, a NaN winning (torch's)."""

    @staticmethod
    def forward(ctx, input, kernel, stride, padding, dilation, out_shape):
        spatial = input.shape[-3:]
        reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        padded = _padded(input, out_shape, reach, stride, padding, -np.inf)
        best = np.full(input.shape[:-3] + out_shape, -np.inf, input.dtype)
        index = np.zeros(best.shape, np.int64)
        for tap in _taps(kernel):
            offset = tuple(t * d for t, d in zip(tap, dilation))
            value = padded[_window(out_shape, offset, stride)]
            better = (value > best) | (np.isnan(value) & ~np.isnan(best))
            best = np.where(better, value, best)
            index = np.where(better, _flat_positions(out_shape, stride, offset, padding,
                                                     spatial), index)  # fmt: skip
        return index


def _flat_positions(out_shape, stride, offset, padding, spatial) -> np.ndarray:
    """(D', H', W'): the flat input position one kernel tap reads for each output."""
    d, h, w = (np.arange(o) * s + off - p for o, s, off, p in
               zip(out_shape, stride, offset, padding))  # fmt: skip
    return (d[:, None, None] * spatial[1] + h[None, :, None]) * spatial[2] + w[None, None, :]


def _volumes(array: np.ndarray) -> np.ndarray:
    """(..., D, H, W) as (volumes, D·H·W)."""
    return array.reshape((-1, int(np.prod(array.shape[-3:]))))


class MaxPoolGather3d(ad.Function):
    """out = each input volume read at its (flat) arg-max indices."""

    node_name = "MaxPool3DWithIndicesBackward0"
    symbol = "maxpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, indices):
        out = np.take_along_axis(_volumes(input), _volumes(indices), axis=1)
        return out.reshape(indices.shape)

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolScatter3d.apply(grad, indices=ctx.options["indices"],
                                      size=ctx.input_meta[0][0])  # fmt: skip


class MaxPoolScatter3d(ad.Function):
    """Max pooling's input gradient: each output's gradient added onto its arg-max."""

    node_name = "MaxPool3DWithIndicesBackwardBackward0"
    symbol = "maxpoolᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, indices, size):
        values, where = _volumes(grad), _volumes(indices)
        out = np.zeros((len(values), int(np.prod(size[-3:]))), grad.dtype)
        np.add.at(out, (np.arange(len(values))[:, None], where), values)
        return out.reshape(size)

    @staticmethod
    def backward(ctx, gg):
        return MaxPoolGather3d.apply(gg, indices=ctx.options["indices"])


@ad.amp.cast_inputs("fp32")
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):  # fmt: skip
    """Max over each kernel_size window of (D, H, W) (and, with return_indices, where each
    maximum sits, flat in D·H·W); stride defaults to kernel_size."""
    geometry = _geometry("max_pool3d", input, kernel_size, stride, padding, dilation,
                                  ceil_mode)  # fmt: skip
    indices = MaxPoolIndices3d.apply(input.detach(), **geometry)
    out = MaxPoolGather3d.apply(input, indices=indices)
    return (out, indices) if return_indices else out


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):  # fmt: skip
    """max_pool3d that always returns (values, indices), as torch's."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


class MaxPool3d(_Pool):
    """Max pooling over (D, H, W); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):  # fmt: skip
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input):
        return self._call(
            max_pool3d, input, kernel_size=self.kernel_size, stride=self.stride,
            padding=self.padding, dilation=self.dilation, ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AdaptiveAvgPool3d(_Pool):
    """Adaptive average pooling of (D, H, W) to output_size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._call(adaptive_avg_pool3d, input, output_size=self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
