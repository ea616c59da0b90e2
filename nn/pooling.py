"""Pooling: max (one arg-max per window), average, adaptive average; Functions, F forms, Modules.

Every kernel runs a loop over the KH·KW kernel taps on strided views (see sliding.py), never
over pixels; the common 2x2 max pooling with stride 2 takes its maximum in pairs on contiguous
copies instead. Max pooling's passes are split over the batch between threads (nn.threads).
Backwards are Functions whose own backwards are the forward ops again, so second derivatives
work.
"""

import numpy as np

import autodiff as ad
from autodiff.device import laid_out, suggested_format
from autodiff.errors import ArgumentError, ShapeError
from autodiff.threads import over_batch

from .module import Module
from .sliding import Windows, as_pair, check_4d, layer_error, output_size

_POOL = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")


def _window_geometry(op, shape, kernel_size, stride, padding, dilation, ceil_mode) -> Windows:
    """The pooling geometry; ceil_mode's partial last windows read extra right/bottom padding."""
    (ph, pw), size = padding, tuple(shape[2:])
    out = output_size(op, size, kernel_size, stride, (ph, ph, pw, pw), dilation, ceil_mode)
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel_size)]
    extra = [max(0, n - (s + 2 * p)) for n, s, p in zip(need, size, padding)]
    return Windows(size, kernel_size, stride, (ph, ph + extra[0], pw, pw + extra[1]), dilation, out)


def _pool_options(ctx) -> dict:
    return {k: ctx.options[k] for k in _POOL}


def _empty_like_input(input: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """A pooling result's memory: channels_last where the input is, as torch's pooling
    follows the input's suggested memory format (row-major otherwise)."""
    if suggested_format(input) is not ad.channels_last:
        return np.empty(shape, dtype)
    n, c, h, w = shape
    return np.empty((n, h, w, c), dtype).transpose(0, 3, 1, 2)


def _as_input(input: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out laid out as _empty_like_input would lay it out (a copy only for channels_last)."""
    if suggested_format(input) is not ad.channels_last:
        return out
    return laid_out(out, ad.channels_last)


def _two_by_two(win: Windows) -> bool:
    """Whether the windows are the common 2x2 ones with stride 2, unpadded and undilated."""
    return (
        win.kernel == win.stride == (2, 2)
        and win.dilation == (1, 1)
        and win.padding == (0, 0, 0, 0)
    )


def _max_tap_by_tap(x, win: Windows, top, index) -> None:
    """top, index = the max of each window of x and its tap, any geometry: one pass per tap
    over strided views; padding (-inf) never wins."""
    xp = win.pad(x, fill=-np.inf)
    np.copyto(top, win.tap(xp, 0, 0))
    index[...] = 0
    better, code = np.empty(top.shape, dtype=bool), np.empty_like(index)
    for k, i, j in win.taps()[1:]:
        tap = win.tap(xp, i, j)
        np.greater(tap, top, out=better)  # strict: the first maximum in window order wins
        # k grows tap by tap, so max(index, k·better) is "k where better" (≈40× copyto)
        np.maximum(index, np.multiply(better, code.dtype.type(k), out=code), out=index)
        np.maximum(top, tap, out=top)  # propagates NaN, as torch does
    _point_at_last_nan(xp, win, top, index)


def _max_of_pairs(x, win: Windows, top, index) -> None:
    """_max_tap_by_tap for 2x2 windows with stride 2: one strided copy puts the four values of
    every window in four contiguous planes, and the maximum is taken in pairs, (x00, x01) and
    (x10, x11), then the two winners; every ufunc then runs on contiguous memory, several times
    faster than on the stride-2 views. Pairing neighbours in window order keeps torch's choice
    among equal values (the first), since each comparison is strict."""
    (n, c), (oh, ow) = x.shape[:2], top.shape[2:]
    windows = x[:, :, : 2 * oh, : 2 * ow].reshape(n, c, oh, 2, ow, 2)
    (x00, x01), (x10, x11) = np.ascontiguousarray(windows.transpose(3, 5, 0, 1, 2, 4))
    right_above, right_below = np.greater(x01, x00), np.greater(x11, x10)
    above, below = np.maximum(x00, x01), np.maximum(x10, x11)
    lower = np.greater(below, above)
    np.maximum(above, below, out=top)  # propagates NaN, as torch does
    right = (lower & right_below) | (~lower & right_above)  # the winning row's column
    np.add(lower.view(np.uint8), lower.view(np.uint8), out=index)  # index = 2·row + column
    np.bitwise_or(index, right, out=index)
    _point_at_last_nan(x, win, top, index)


def _point_at_last_nan(xp, win: Windows, top, index) -> None:
    """torch's arg-max of a window holding NaN is its last NaN in window order (a NaN always
    replaces the running maximum); the comparisons above never pick a NaN, so fix those."""
    if top.dtype.kind == "f" and np.isnan(top).any():
        for k, i, j in win.taps():
            np.copyto(index, k, where=np.isnan(win.tap(xp, i, j)))


class MaxPoolingWithIndices(ad.Function):
    node_name = "MaxPool2DWithIndicesBackward0"
    symbol = "maxpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, kernel_size, stride, padding, dilation, ceil_mode):
        win = _window_geometry(
            "max_pool2d", input.shape, kernel_size, stride, padding, dilation, ceil_mode
        )
        out = _empty_like_input(input, input.shape[:2] + win.out, input.dtype)
        indices = _empty_like_input(input, out.shape, np.min_scalar_type(len(win.taps()) - 1))
        pool = _max_of_pairs if _two_by_two(win) else _max_tap_by_tap
        over_batch(lambda a, b: pool(input[a:b], win, out[a:b], indices[a:b]), len(out), input.size)
        ctx.save_for_backward(indices)
        return out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        return MaxPoolScatter.apply(
            grad, indices=np.asarray(indices), size=ctx.input_meta[0][0][2:], **_pool_options(ctx)
        )


class MaxPoolIndices(ad.Function):
    """Where each window's maximum sits, as torch's return_indices gives it: the flat index
    row·W + column into the input's (H, W) plane, int64 (an integer result: no gradient)."""

    @staticmethod
    def forward(ctx, input, kernel_size, stride, padding, dilation, ceil_mode):
        win = _window_geometry(
            "max_pool2d", input.shape, kernel_size, stride, padding, dilation, ceil_mode
        )
        top = _empty_like_input(input, input.shape[:2] + win.out, input.dtype)
        taps = _empty_like_input(input, top.shape, np.int64)
        _max_tap_by_tap(input, win, top, taps)
        (sh, sw), (dh, dw), (ph, pw) = stride, dilation, padding
        rows = np.arange(win.out[0])[:, None] * sh - ph + (taps // kernel_size[1]) * dh
        cols = np.arange(win.out[1]) * sw - pw + (taps % kernel_size[1]) * dw
        return rows * input.shape[3] + cols


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Max over each window (padding never wins); the gradient goes to one arg-max per window.
    With return_indices, also where each maximum sits (for max_unpool2d)."""
    kernel, stride, padding, dilation = _pool_args(
        "max_pool2d", input, kernel_size, stride, padding, dilation
    )
    options = dict(
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=bool(ceil_mode),
    )
    out = MaxPoolingWithIndices.apply(input, **options)
    if not return_indices:
        return out
    return out, MaxPoolIndices.apply(input.detach(), **options)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool2d that always returns (values, indices), as torch's."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


class MaxPoolScatter(ad.Function):
    """Max pooling's input gradient: each window's gradient goes to its arg-max."""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"
    symbol = "maxpoolᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, indices, size, kernel_size, stride, padding, dilation, ceil_mode):
        shape = grad.shape[:2] + tuple(size)
        win = _window_geometry(
            "max_pool2d", shape, kernel_size, stride, padding, dilation, ceil_mode
        )
        overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel_size))
        # where windows tile the plane, every cell is written once: no zeros needed
        tiled = (
            stride == kernel_size
            and dilation == (1, 1)
            and win.padded == tuple(o * s for o, s in zip(win.out, stride))
        )
        lead = grad.shape[:2]
        out = np.empty(lead + win.padded, grad.dtype) if tiled else win.zeros(lead, grad.dtype)

        def chunk(a, b):
            # each window's gradient at its arg-max and +0 at its other cells, even a NaN or
            # inf gradient (torch's), as the gradient's bits ANDed with all-ones at the chosen
            # tap: as fast as g · [chosen], which would spread NaN to the other cells (inf · 0)
            plane, g, index = out[a:b], grad[a:b], indices[a:b]
            bits = g.view(f"u{g.itemsize}")
            keep = np.empty(g.shape, dtype=bits.dtype)
            for k, i, j in win.taps():
                np.equal(index, k, out=keep)  # 1 where chosen ...
                np.negative(keep, out=keep)  # ... all ones there (unsigned wrap-around)
                if overlap:  # a value may be the arg-max of several windows: add
                    win.tap(plane, i, j)[...] += np.bitwise_and(bits, keep, out=keep).view(g.dtype)
                else:
                    np.bitwise_and(bits, keep, out=win.tap(plane.view(bits.dtype), i, j))

        over_batch(chunk, len(out), out.size)
        return np.ascontiguousarray(win.unpad(out))

    @staticmethod
    def backward(ctx, gg):
        opts = _pool_options(ctx)
        return MaxPoolGather.apply(gg, indices=ctx.options["indices"], **opts)


class MaxPoolGather(ad.Function):
    """The input's values at given arg-max positions (the adjoint of MaxPoolScatter)."""

    symbol = "gather"
    array_backward = True

    @staticmethod
    def forward(ctx, input, indices, kernel_size, stride, padding, dilation, ceil_mode):
        win = _window_geometry(
            "max_pool2d", input.shape, kernel_size, stride, padding, dilation, ceil_mode
        )
        xp = win.pad(input)
        out = np.zeros(indices.shape, dtype=input.dtype)
        for k, i, j in win.taps():
            np.copyto(out, win.tap(xp, i, j), where=indices == k)
        return out

    @staticmethod
    def backward(ctx, grad):
        opts = _pool_options(ctx)
        return MaxPoolScatter.apply(
            grad, indices=ctx.options["indices"], size=ctx.input_meta[0][0][2:], **opts
        )


def _divisor(win: Windows, padding, count_include_pad, divisor_override, dtype):
    """torch's average divisor per output position: the window's size within the counted area."""
    if divisor_override:
        return dtype.type(divisor_override)
    (ph, pw), (h, w) = padding, win.size
    plane = np.zeros((1, 1) + win.padded, dtype=dtype)
    if count_include_pad:  # padding counts, the extra cells of ceil_mode do not
        plane[:, :, : h + 2 * ph, : w + 2 * pw] = 1
    else:
        win.unpad(plane)[...] = 1
    count = sum(win.tap(plane, i, j) for _, i, j in win.taps())
    return count[0, 0]


class AveragePooling(ad.Function):
    node_name = "AvgPool2DBackward0"
    symbol = "avgpool"
    array_backward = True

    @staticmethod
    def forward(
        ctx, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    ):
        win = _window_geometry(
            "avg_pool2d", input.shape, kernel_size, stride, padding, (1, 1), ceil_mode
        )
        xp = win.pad(input)
        out = _empty_like_input(input, input.shape[:2] + win.out, input.dtype)
        np.copyto(out, win.tap(xp, 0, 0))
        for _, i, j in win.taps()[1:]:
            out += win.tap(xp, i, j)
        out /= _divisor(win, padding, count_include_pad, divisor_override, input.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        return AvgPoolSpread.apply(grad, size=ctx.input_meta[0][0][2:], **ctx.options)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean over each window; zero padding counts in the divisor unless count_include_pad=False."""
    kernel, stride, padding, _ = _pool_args("avg_pool2d", input, kernel_size, stride, padding)
    if divisor_override is not None and divisor_override <= 0:
        raise ArgumentError(f"avg_pool2d: divisor_override must be > 0, got {divisor_override}")
    return AveragePooling.apply(
        input,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor_override=divisor_override,
    )


class AvgPoolSpread(ad.Function):
    """Average pooling's input gradient: each window's gradient / divisor to all its cells."""

    node_name = "AvgPool2DBackwardBackward0"
    symbol = "avgpoolᵀ"
    array_backward = True

    @staticmethod
    def forward(
        ctx,
        grad,
        size,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    ):
        shape = grad.shape[:2] + tuple(size)
        win = _window_geometry("avg_pool2d", shape, kernel_size, stride, padding, (1, 1), ceil_mode)
        share = grad / _divisor(win, padding, count_include_pad, divisor_override, grad.dtype)
        out = win.zeros(grad.shape[:2], grad.dtype)
        for _, i, j in win.taps():
            tap = win.tap(out, i, j)
            tap += share
        return np.ascontiguousarray(win.unpad(out))

    @staticmethod
    def backward(ctx, gg):
        opts = {k: v for k, v in ctx.options.items() if k != "size"}
        return AveragePooling.apply(gg, **opts)


def _averaging(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix of torch's adaptive bins [⌊i·S/O⌋, ⌈(i+1)·S/O⌉), each row a mean."""
    a = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        a[i, start:end] = 1.0 / (end - start)
    return a


class AdaptiveAveragePooling(ad.Function):
    node_name = "AdaptiveAvgPool2DBackward0"
    symbol = "adaptive_avgpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, output_size):
        rows = _averaging(input.shape[2], output_size[0], input.dtype)
        cols = _averaging(input.shape[3], output_size[1], input.dtype)
        ctx.save_for_backward(rows, cols)
        return _as_input(input, np.matmul(np.matmul(rows, input), cols.T))  # rows·X·colsᵀ

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.saved_tensors
        return rows.mT @ grad @ cols


def adaptive_avg_pool2d(input, output_size):
    """Average over torch's adaptive bins to a fixed output size; (1, 1) is a global average."""
    check_4d(input, "adaptive_avg_pool2d")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    size = tuple(s if s is not None else n for s, n in zip(size, input.shape[2:]))
    if len(size) != 2 or any(s < 1 for s in size):
        raise ValueError(
            f"adaptive_avg_pool2d: output_size must be positive (one int or two), "
            f"got {output_size!r}"
        )
    if size == (1, 1):  # global average pooling: torch records it as a mean (MeanBackward1)
        return input.mean(dim=(-2, -1), keepdim=True)
    return AdaptiveAveragePooling.apply(input, output_size=size)


def _pool_args(op, input, kernel_size, stride, padding, dilation=1) -> tuple:
    check_4d(input, op)
    kernel = as_pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else as_pair(stride, "stride", op)
    padding, dilation = (
        as_pair(padding, "padding", op, minimum=0),
        as_pair(dilation, "dilation", op),
    )
    if any(p > k // 2 for p, k in zip(padding, kernel)):  # torch's rule, dilation or not
        raise ShapeError(
            f"{op}: padding {padding} must be at most half of the kernel {kernel}, "
            "as in torch: a window could otherwise hold only padding. Use less padding."
        )
    return kernel, stride, padding, dilation


class _Pool(Module):
    """Shared repr and layer-naming errors of the pooling Modules."""

    def _call(self, fn, input, **kwargs):
        try:
            return fn(input, **kwargs)
        except ValueError as error:
            raise layer_error(self, error) from None


class _MaxPool(_Pool):
    """Max pooling layer over `_function`'s dims; stride defaults to kernel_size."""

    _function = None

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation, self.ceil_mode = padding, dilation, ceil_mode
        self.return_indices = return_indices

    def forward(self, input):
        return self._call(
            type(self)._function,
            input,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPool):
    """Max pooling layer over (H, W); stride defaults to kernel_size."""

    _function = staticmethod(max_pool2d)


class AvgPool2d(_Pool):
    """Average pooling layer; count_include_pad=True as torch."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return self._call(
            avg_pool2d,
            input,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool):
    """Adaptive average pooling to output_size; AdaptiveAvgPool2d(1) is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._call(adaptive_avg_pool2d, input, output_size=self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
