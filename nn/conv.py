"""1-D and 2-D convolution as matrix products over the whole batch, nn.Conv1d and nn.Conv2d.

Each pass is one large, well-shaped product (per group): with the columns X (N·OH·OW rows, one
per output position, KH·KW·C/G columns, channels last) and the gradient G laid out the same way
(N·OH·OW, O/G), the forward pass is X·W, the weight gradient Gᵀ·X and the input gradient G·Wᵀ,
added back onto the input positions tap by tap (col2im). A product with few terms per output
value (a first layer) is bound by memory instead: there each sample's product reads and writes
NCHW directly (see _FEW_TERMS). Conv2d's backward is made of two Functions, the input gradient
(a transposed convolution) and the weight gradient; their own backwards are convolutions
again, so second derivatives through a convolution work.

A 1-d convolution is a 2-d one over a single row: each Function lifts (N, C, L) to an
(N, C, 1, L) view on entry and drops the row on exit, so one set of kernels serves both and
the node is ConvolutionBackward0.
"""

import math

import numpy as np

import autodiff as ad
from autodiff.device import laid_out, suggested_format
from autodiff.errors import ArgumentError, DtypeError, ShapeError
from autodiff.threads import each_thread, over_batch, samples_per_chunk

from .linear import Affine, check_size
from .pooling3d import _triple
from .sliding import (
    Windows,
    as_pair,
    channels_last,
    col2im,
    im2col,
    im2col_per_sample,
    layer_error,
    output_size,
)

_OPTIONS = ("stride", "padding", "dilation", "groups")

# Products with fewer terms per output value than this (a first layer: 3x3 over 1-3 channels)
# are bound by memory, not arithmetic: there one product per sample, which reads and writes
# NCHW as it is, beats one product over the batch plus a transposing pass (4x for 3x3 over 1
# channel, 28x28 maps); with more terms the large product wins (measured on AVX2, OpenBLAS).
_FEW_TERMS = 64


def _window_geometry(input_shape, kernel, stride, padding, dilation) -> Windows:
    size, kernel = tuple(input_shape[2:]), tuple(kernel)
    out = output_size("conv2d", size, kernel, stride, padding, dilation)
    return Windows(size, kernel, stride, padding, dilation, out)


def _rows(a: np.ndarray) -> np.ndarray:
    """(N, C, L) as (N, C, 1, L), a view: a 1-d convolution is a 2-d one over a single row."""
    return a[:, :, None] if a.ndim == 3 else a


def _plane(size) -> tuple:
    """A spatial size (L,) or (H, W) as (H, W)."""
    return (1,) * (2 - len(size)) + tuple(size)


def _unrows(out: np.ndarray, ndim: int) -> np.ndarray:
    """The kernels' (N, C, 1, L) result as (N, C, L) where the caller's arrays are 3-d."""
    return out[:, :, 0] if ndim == 3 else out


def _weight_matrix(weight: np.ndarray, groups: int) -> np.ndarray:
    """weight (O, C/G, KH, KW) as (G, KH·KW·C/G, O/G), its rows in the columns' order."""
    o, cg, kh, kw = weight.shape
    w = weight.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
    return w.reshape(groups, kh * kw * cg, o // groups)


def _tap_weights(weight: np.ndarray, groups: int) -> np.ndarray:
    """weight (O, C/G, KH, KW) as one (O/G, C/G) matrix per tap and group: (KH·KW, G, O/G, C/G)."""
    o, cg, kh, kw = weight.shape
    w = weight.reshape(groups, o // groups, cg, kh, kw).transpose(3, 4, 0, 1, 2)
    return w.reshape(kh * kw, groups, o // groups, cg)


def _grad_matrix(grad: np.ndarray, groups: int) -> np.ndarray:
    """grad (N, O, OH, OW) as (G, N·OH·OW, O/G): one row per output position (channels last)."""
    return channels_last(grad).reshape(-1, groups, grad.shape[1] // groups).transpose(1, 0, 2)


def _per_sample(weight_shape) -> bool:
    """Whether a convolution with this weight (O, C/G, *kernel) multiplies sample by sample."""
    return math.prod(weight_shape[1:]) < _FEW_TERMS


def _channels_first(y: np.ndarray, shape: tuple, bias) -> np.ndarray:
    """The products y (G, N·OH·OW, O/G) as the output (N, O, OH, OW), contiguous, with the bias
    added in the same pass."""
    n, o, oh, ow = shape
    groups = y.shape[0]
    out = np.empty(shape, dtype=y.dtype)
    src = y.reshape(groups, n, oh, ow, o // groups).transpose(1, 0, 4, 2, 3)
    dst = out.reshape(n, groups, o // groups, oh, ow)
    bias = 0 if bias is None else bias.reshape(groups, -1, 1, 1)
    over_batch(lambda a, b: np.add(src[a:b], bias, out=dst[a:b]), n, out.size)
    return out


def _channels_last(y: np.ndarray, shape: tuple, bias) -> np.ndarray:
    """The products y (G, N·OH·OW, O/G) as the output (N, O, OH, OW) laid out channels_last
    (memory N, OH, OW, O: the products' own order), the bias added in the same pass."""
    n, o, oh, ow = shape
    groups = y.shape[0]
    out = np.empty((n, oh, ow, o), dtype=y.dtype)  # torch's strides, size-1 dims included
    bias = 0 if bias is None else bias.reshape(groups, -1)
    np.add(y.transpose(1, 0, 2), bias, out=out.reshape(-1, groups, o // groups))
    return out.transpose(0, 3, 1, 2)


def _products_per_sample(weight: np.ndarray, cols: np.ndarray, bias) -> np.ndarray:
    """W·cols per sample and group, (N, G, O/G, P), plus the bias: chunk by chunk, so that
    the bias is added while the chunk's products are still in cache (a separate pass over the
    whole output cost about as much as the products themselves); each thread its own part of
    the batch (each_thread)."""
    n, groups = cols.shape[:2]
    weights = weight.reshape(groups, weight.shape[0] // groups, -1)
    out = np.empty((n, groups, weights.shape[1], cols.shape[-1]), dtype=cols.dtype)
    step = samples_per_chunk(n, out.size)

    def part(start, stop):
        for a in range(start, stop, step):
            b = min(a + step, stop)
            np.matmul(weights, cols[a:b], out=out[a:b])
            if bias is not None:
                out[a:b] += bias.reshape(groups, -1, 1)

    each_thread(part, n, out.size)
    return out


class Convolution(ad.Function):
    node_name = "ConvolutionBackward0"
    symbol = "conv2d"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups):
        x, w = _rows(input), _rows(weight)
        win = _window_geometry(x.shape, w.shape[2:], stride, padding, dilation)
        shape = (x.shape[0], w.shape[0], *win.out)
        if x.shape[0] == 0:  # an empty batch, as torch: an empty output, zero gradients
            ctx.save_for_backward(input, weight, None)
            return _unrows(np.zeros(shape, dtype=np.result_type(x, w)), input.ndim)
        # torch's output is channels_last where the input or the weight is (a 2-d convolution)
        last = input.ndim == 4 and ad.channels_last in (suggested_format(x), suggested_format(w))
        if _per_sample(w.shape):  # (N, G, K, P): each sample's product is NCHW already
            cols = im2col_per_sample(x, win, groups)
            out = _products_per_sample(w, cols, bias).reshape(shape)
            out = laid_out(out, ad.channels_last) if last else out
        else:  # rows (N·P, G, K): one product over the batch, then the bias in the layout's pass
            cols = im2col(x, win, groups)
            y = np.matmul(cols.transpose(1, 0, 2), _weight_matrix(w, groups))
            out = (_channels_last if last else _channels_first)(y, shape, bias)
        keep_cols = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        ctx.save_for_backward(input, weight, cols if keep_cols else None)
        return _unrows(out, input.ndim)

    @staticmethod
    def backward(ctx, grad):
        input, weight, cols = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        # the bias sum first: on grad as it came, the same array on Tensors (ad.compile's
        # trace) as on arrays, so both add in the same order
        grad_bias = grad.sum(axis=(0, *range(2, grad.ndim))) if need[2] else None
        if need[0] and isinstance(grad, np.ndarray):  # one channels-last copy serves both
            grad = np.moveaxis(channels_last(grad), -1, 1)  # products (an NCHW view of it)
        grad_input = grad_weight = None
        if need[0]:
            grad_input = ConvInputGrad.apply(grad, weight, size=input.shape[2:], **opts)
        if need[1]:
            cols = None if cols is None else np.asarray(cols)  # reuse the forward's columns
            grad_weight = ConvWeightGrad.apply(
                input, grad, kernel=weight.shape[2:], cols=cols, **opts
            )
        return grad_input, grad_weight, grad_bias


class ConvInputGrad(ad.Function):
    """dL/dx of a convolution: the transposed convolution of grad with the weight (col2im)."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv2dᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, weight, size, stride, padding, dilation, groups):
        ctx.save_for_backward(grad, weight)
        g, w = _rows(grad), _rows(weight)
        shape = (g.shape[0], w.shape[1] * groups) + _plane(size)
        win = _window_geometry(shape, w.shape[2:], stride, padding, dilation)
        if shape[0] == 0:
            return _unrows(np.zeros(shape, dtype=np.result_type(g, w)), grad.ndim)
        out = col2im(_grad_matrix(g, groups), _tap_weights(w, groups), win, shape)
        return _unrows(out, grad.ndim)

    @staticmethod
    def backward(ctx, gg):
        # dx = Tᵀ(g, W) is bilinear: ∂/∂g is the convolution of gg, ∂/∂W its weight gradient
        grad, weight = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        d_grad = Convolution.apply(gg, weight, None, **opts) if need[0] else None
        d_weight = None
        if need[1]:
            d_weight = ConvWeightGrad.apply(gg, grad, kernel=weight.shape[2:], cols=None, **opts)
        return d_grad, d_weight


class ConvWeightGrad(ad.Function):
    """dL/dW of a convolution: Σ over samples and positions of grad ⊗ columns, one product."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv2d_w"
    array_backward = True

    @staticmethod
    def forward(ctx, input, grad, kernel, cols, stride, padding, dilation, groups):
        ctx.save_for_backward(input, grad)
        o, cg = grad.shape[1], input.shape[1] // groups
        shape = (o, cg) + tuple(kernel)  # the weight's own shape (a 1-d kernel stays 1-d)
        if input.shape[0] == 0:
            return np.zeros(shape, dtype=np.result_type(input, grad))
        x, g, (kh, kw) = _rows(input), _rows(grad), _plane(kernel)
        win = _window_geometry(x.shape, (kh, kw), stride, padding, dilation)
        if _per_sample(shape):
            if cols is None:
                cols = im2col_per_sample(x, win, groups)  # (N, G, K, P)
            g = g.reshape(g.shape[0], groups, o // groups, -1)  # (N, G, O/G, P)
            return np.matmul(g, cols.swapaxes(2, 3)).sum(axis=0).reshape(shape)
        cols = im2col(x, win, groups) if cols is None else cols  # (N·P, G, K)
        g = _grad_matrix(g, groups).transpose(0, 2, 1)  # (G, O/G, N·P)
        dw = np.matmul(g, cols.transpose(1, 0, 2))  # (G, O/G, K), K in (tap, channel) order
        dw = dw.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3)
        return dw.reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        input, grad = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        d_input = ConvInputGrad.apply(grad, gg, size=input.shape[2:], **opts) if need[0] else None
        d_grad = Convolution.apply(input, gg, None, **opts) if need[1] else None
        return d_input, d_grad


def spatial(value, dims: int, name: str, op: str, minimum: int = 1) -> tuple:
    """An int or a tuple of `dims` ints as an (h, w) pair; a 1-d value is w, with h = minimum
    (stride and dilation 1, padding 0 over the single row)."""
    if dims == 2:
        return as_pair(value, name, op, minimum)
    if not isinstance(value, (int, np.integer)):
        if len(tuple(value)) != 1:
            raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")
        (value,) = value
    return (minimum, as_pair(value, name, op, minimum)[1])


def _conv_padding(padding, kernel, dilation, stride, dims: int, op: str) -> tuple:
    """torch's padding forms (int, tuple, 'valid', 'same'), plus (left, right, top, bottom) in
    2-d, as (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ArgumentError(f"{op}: padding {padding!r} must be 'valid', 'same' or ints")
        if stride != (1, 1):
            raise ArgumentError(f"{op}: padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    if dims == 2 and not isinstance(padding, (int, np.integer)) and len(padding) == 4:
        left, right, top, bottom = (int(p) for p in padding)
        if min(padding) < 0:
            raise ArgumentError(f"{op}: padding must be >= 0, got {padding!r}")
        return (top, bottom, left, right)
    ph, pw = spatial(padding, dims, "padding", op, minimum=0)
    return (ph, ph, pw, pw)


def check_conv(op: str, input, weight, bias, groups, weight_layout: str) -> None:
    """The shapes, groups and dtypes of a convolution, in torch's terms (weight_layout names
    the expected weight dims, e.g. (out, in/groups, kh, kw))."""
    dims = int(op[-2])
    if input.ndim != dims + 2:
        layout = "(C, L)" if dims == 1 else "(C, H, W)"
        raise ShapeError(
            f"{op}: expected a {dims + 1}-D {layout} or {dims + 2}-D (N, {layout[1:]} input, "
            f"got shape {tuple(input.shape)}. Reshape it to one of these layouts."
        )
    if weight.ndim != dims + 2:
        raise ShapeError(
            f"{op}: weight must be {dims + 2}-D {weight_layout}, got shape {tuple(weight.shape)}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ShapeError(
            f"{op}: groups={groups!r} must be a positive int dividing the "
            f"{weight.shape[0]} channels of dim 0 of the weight"
        )
    dtypes = {t.dtype for t in (input, weight, bias) if t is not None}
    if len(dtypes) > 1:
        raise DtypeError(
            f"{op}: input, weight and bias dtypes differ ({', '.join(map(str, dtypes))}). "
            "Convert the input, e.g. x.float() for float32 parameters."
        )


def _convolution(op, input, weight, bias, stride, padding, dilation, groups):
    """conv1d and conv2d: the checks, then one Convolution node."""
    input = input if isinstance(input, ad.Tensor) else ad.tensor(input)
    dims = int(op[-2])
    if input.ndim == dims + 1:  # one unbatched sample, as torch accepts
        out = _convolution(op, input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)
        return out.squeeze(0)
    check_conv(op, input, weight, bias, groups, "(out, in/groups, *kernel)")
    if input.shape[1] != weight.shape[1] * groups:
        raise ShapeError(
            f"{op}: expected input with {weight.shape[1] * groups} channels, got "
            f"{input.shape[1]} channels (input {tuple(input.shape)}, weight "
            f"{tuple(weight.shape)}, groups {groups}). Check in_channels or the previous layer."
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(
            f"{op}: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    stride = spatial(stride, dims, "stride", op)
    dilation = spatial(dilation, dims, "dilation", op)
    kernel = _plane(weight.shape[2:])
    padding = _conv_padding(padding, kernel, dilation, stride, dims, op)
    output_size(op, _plane(input.shape[2:]), kernel, stride, padding, dilation)
    return Convolution.apply(
        input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=int(groups)
    )


@ad.amp.cast_inputs("lower")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) input with weight (out, in/groups, k), as torch."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups)


@ad.amp.cast_inputs("lower")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over NCHW input with weight (out, in/groups, kh, kw), as torch."""
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups)


def as_tuple(value, dims: int, name: str, op: str, minimum: int = 1) -> tuple:
    """A layer's size argument as torch stores it: a tuple of `dims` ints."""
    if dims == 3:
        return _triple(value, name, op, minimum)
    return spatial(value, dims, name, op, minimum)[2 - dims :]


class _ConvNd(Affine):
    """The shared construction, initialisation, forward (through `_fn`) and repr of the
    convolution layers."""

    _dims = 2
    _transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        device,
        dtype,
        output_padding=0,
    ):
        super().__init__()
        name, dims = type(self).__name__, self._dims
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: padding_mode {padding_mode!r} is not supported; only 'zeros' is"
            )
        check_size(in_channels, "in_channels", name)
        check_size(out_channels, "out_channels", name)
        check_size(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels="
                f"{out_channels} must both be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_tuple(kernel_size, dims, "kernel_size", name)
        self.stride = as_tuple(stride, dims, "stride", name)
        self.dilation = as_tuple(dilation, dims, "dilation", name)
        self.output_padding = as_tuple(output_padding, dims, "output_padding", name, minimum=0)
        if isinstance(padding, str) or (dims == 2 and len(np.atleast_1d(padding)) == 4):
            self.padding = padding if isinstance(padding, str) else tuple(padding)
        else:
            self.padding = as_tuple(padding, dims, "padding", name, minimum=0)
        self.padding_mode = padding_mode
        if self._transposed:  # torch's layouts: (in, out/groups, *k) for a transposed conv
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self._add_parameters(shape, out_channels if bias else 0, device, dtype)

    def forward(self, input):
        try:
            return type(self)._fn(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        except ValueError as error:
            raise layer_error(self, error) from None

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0,) * self._dims, "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """1-D convolution layer over (N, C, L): weight (out, in/groups, k), torch's default init."""

    _dims = 1
    _fn = staticmethod(conv1d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip


class Conv2d(_ConvNd):
    """2-D convolution layer: weight (out, in/groups, kh, kw), torch's default init."""

    _fn = staticmethod(conv2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip
