"""1-D and 2-D convolution (im2col + one batched matmul per pass), nn.Conv1d and nn.Conv2d.

A 1-d convolution is a 2-d one over a single row: the kernels lift (N, C, L) to
(N, C, 1, L) views, so one set of kernels serves both and the node is ConvolutionBackward0.

Conv2d's backward is made of two Functions, the input gradient (a transposed convolution,
col2im) and the weight gradient; their own backwards are convolutions again, so second
derivatives through a convolution work.
"""

import math

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError

from . import init
from .linear import check_size
from .module import Module, Parameter
from .sliding import Windows, as_pair, col2im, im2col, layer_error, output_size

_OPTIONS = ("stride", "padding", "dilation", "groups")


def _window_geometry(input_shape, kernel, stride, padding, dilation) -> Windows:
    size, kernel = tuple(input_shape[2:]), tuple(kernel)
    out = output_size("conv2d", size, kernel, stride, padding, dilation)
    return Windows(size, kernel, stride, padding, dilation, out, wide=True)


def _rows(a: np.ndarray) -> np.ndarray:
    """(N, C, L) as (N, C, 1, L), a view: a 1-d convolution is a 2-d one over a single row."""
    return a[:, :, None] if a is not None and a.ndim == 3 else a


def _plane(size) -> tuple:
    """A spatial size (L,) or (H, W) as (H, W)."""
    return (1,) * (2 - len(size)) + tuple(size)


def _unrows(out: np.ndarray, ndim: int) -> np.ndarray:
    return out[:, :, 0] if ndim == 3 else out


def _grouped(a: np.ndarray, groups: int, win: Windows) -> np.ndarray:
    """(N, C, ..., grid) → (N, G, C/G·..., P): one matrix per sample and group, no copy."""
    return a.reshape(a.shape[0], groups, -1, math.prod(win.grid))


class Convolution(ad.Function):
    node_name = "ConvolutionBackward0"
    symbol = "conv2d"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups):
        x, w = _rows(input), _rows(weight)
        win = _window_geometry(x.shape, w.shape[2:], stride, padding, dilation)
        if x.shape[0] == 0:  # an empty batch, as torch: an empty output, zero gradients
            ctx.save_for_backward(input, weight, None)
            out = np.zeros((0, w.shape[0], *win.out), dtype=np.result_type(x, w))
            return _unrows(out, input.ndim)
        cols = im2col(x, win)  # (N, C, KH·KW, *grid)
        w = w.reshape(groups, w.shape[0] // groups, -1)
        grid = np.matmul(w, _grouped(cols, groups, win))  # (N, G, O/G, P): BLAS per sample
        out = win.from_grid(grid.reshape(x.shape[0], weight.shape[0], -1))
        # adding the bias is also the copy that makes the output contiguous
        out = out + bias[:, None, None] if bias is not None else np.ascontiguousarray(out)
        keep_cols = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        ctx.save_for_backward(input, weight, cols if keep_cols else None)
        return _unrows(out, input.ndim)

    @staticmethod
    def backward(ctx, grad):
        input, weight, cols = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if need[0]:
            grad_input = ConvInputGrad.apply(grad, weight, size=input.shape[2:], **opts)
        if need[1]:
            cols = None if cols is None else np.asarray(cols)  # reuse the forward's columns
            grad_weight = ConvWeightGrad.apply(
                input, grad, kernel=weight.shape[2:], cols=cols, **opts
            )
        if need[2]:
            grad_bias = grad.sum(axis=(0, *range(2, grad.ndim)))
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
        w = w.reshape(groups, w.shape[0] // groups, -1)
        cols = np.matmul(w.transpose(0, 2, 1), _grouped(win.to_grid(g), groups, win))
        out = col2im(cols.reshape(shape[:2] + (-1,) + win.grid), win)
        return np.ascontiguousarray(_unrows(out, grad.ndim))

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
    """dL/dW of a convolution: Σ over samples and positions of grad ⊗ columns."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv2d_w"
    array_backward = True

    @staticmethod
    def forward(ctx, input, grad, kernel, cols, stride, padding, dilation, groups):
        ctx.save_for_backward(input, grad)
        shape = (grad.shape[1], input.shape[1] // groups) + tuple(kernel)
        x, g = _rows(input), _rows(grad)
        win = _window_geometry(x.shape, _plane(kernel), stride, padding, dilation)
        if x.shape[0] == 0:
            return np.zeros(shape, dtype=np.result_type(x, g))
        cols = _grouped(im2col(x, win) if cols is None else cols, groups, win)  # (N,G,CK,P)
        g = _grouped(win.to_grid(g), groups, win)  # (N, G, O/G, P)
        return _sum_of_products(g, cols).reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        input, grad = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        d_input = ConvInputGrad.apply(grad, gg, size=input.shape[2:], **opts) if need[0] else None
        d_grad = Convolution.apply(input, gg, None, **opts) if need[1] else None
        return d_input, d_grad


def _sum_of_products(g: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Σ over samples n and positions p of g[n, :, :, p] ⊗ cols[n, :, :, p], per group: (G, O, CK).

    One product per sample then a sum writes N·O·CK numbers; one product over (n, p) first
    copies both operands (N·(O + CK)·P numbers). Where positions are few (a 3x3 map reduced to
    1x1: P = 1) the second is 100x faster; for large maps the first is."""
    _, groups, out, positions = g.shape
    width = cols.shape[2]
    if out * width <= (out + width) * positions:
        return np.matmul(g, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return np.stack(
        [np.tensordot(g[:, j], cols[:, j], axes=([0, 2], [0, 2])) for j in range(groups)]
    )


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


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C, L) input with weight (out, in/groups, k), as torch."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over NCHW input with weight (out, in/groups, kh, kw), as torch."""
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups)


def as_tuple(value, dims: int, name: str, op: str, minimum: int = 1) -> tuple:
    """A layer's size argument as torch stores it: a tuple of `dims` ints."""
    return spatial(value, dims, name, op, minimum)[2 - dims :]


class _ConvNd(Module):
    """The shared construction, initialisation and repr of the convolution layers."""

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
        dtype = dtype or ad.get_default_dtype()
        if self._transposed:  # torch's layouts: (in, out/groups, *k) for a transposed conv
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialisation (see nn.init.default_layer_init_)."""
        init.default_layer_init_(self.weight, self.bias)

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
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype,
        )  # fmt: skip

    def forward(self, input):
        try:
            return conv1d(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        except ValueError as error:
            raise layer_error(self, error) from None


class Conv2d(_ConvNd):
    """2-D convolution layer: weight (out, in/groups, kh, kw), torch's default init."""

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
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype,
        )  # fmt: skip

    def forward(self, input):
        try:
            return conv2d(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        except ValueError as error:
            raise layer_error(self, error) from None
