"""2-D convolution as matrix products over the whole batch, constant padding, and nn.Conv2d.

Each pass is one large, well-shaped product (per group): with the columns X (N·OH·OW rows, one
per output position, KH·KW·C/G columns, channels last) and the gradient G laid out the same way
(N·OH·OW, O/G), the forward pass is X·W, the weight gradient Gᵀ·X and the input gradient G·Wᵀ,
added back onto the input positions tap by tap (col2im). A product with few terms per output
value (a first layer) is bound by memory instead: there each sample's product reads and writes
NCHW directly (see _FEW_TERMS). Conv2d's backward is made of two Functions, the input gradient
(a transposed convolution) and the weight gradient; their own backwards are convolutions
again, so second derivatives through a convolution work.
"""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError

from . import init
from .linear import check_size
from .module import Module, Parameter
from .sliding import (
    Windows,
    add_over_batch,
    as_pair,
    channels_last,
    col2im,
    im2col,
    im2col_per_sample,
    layer_error,
    output_size,
)
from .threads import over_batch

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
    """Whether a convolution with this weight (O, C/G, KH, KW) multiplies sample by sample."""
    return weight_shape[1] * weight_shape[2] * weight_shape[3] < _FEW_TERMS


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


class Convolution(ad.Function):
    node_name = "ConvolutionBackward0"
    symbol = "conv2d"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups):
        win = _window_geometry(input.shape, weight.shape[2:], stride, padding, dilation)
        shape = (input.shape[0], weight.shape[0], *win.out)
        if input.shape[0] == 0:  # an empty batch, as torch: an empty output, zero gradients
            ctx.save_for_backward(input, weight, None)
            return np.zeros(shape, dtype=np.result_type(input, weight))
        if _per_sample(weight.shape):  # (N, G, K, P): each sample's product is NCHW already
            cols = im2col_per_sample(input, win, groups)
            out = np.matmul(weight.reshape(groups, weight.shape[0] // groups, -1), cols)
            out = out.reshape(shape)
            if bias is not None:
                add_over_batch(out, np.broadcast_to(bias[:, None, None], shape))
        else:  # rows (N·P, G, K): one product over the batch, then one transposing pass
            cols = im2col(input, win, groups)
            y = np.matmul(cols.transpose(1, 0, 2), _weight_matrix(weight, groups))
            out = _channels_first(y, shape, bias)
        keep_cols = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        ctx.save_for_backward(input, weight, cols if keep_cols else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight, cols = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        if need[0] and isinstance(grad, np.ndarray):  # one channels-last copy serves both
            grad = channels_last(grad).transpose(0, 3, 1, 2)  # products (an NCHW view of it)
        grad_input = grad_weight = grad_bias = None
        if need[0]:
            grad_input = ConvInputGrad.apply(grad, weight, size=input.shape[2:], **opts)
        if need[1]:
            cols = None if cols is None else np.asarray(cols)  # reuse the forward's columns
            grad_weight = ConvWeightGrad.apply(
                input, grad, kernel=weight.shape[2:], cols=cols, **opts
            )
        if need[2]:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_input, grad_weight, grad_bias


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over NCHW input with weight (out, in/groups, kh, kw), as torch."""
    input = input if isinstance(input, ad.Tensor) else ad.tensor(input)
    if input.ndim == 3:  # one unbatched (C, H, W) image, as torch accepts
        out = conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)
        return out.squeeze(0)
    _check_conv(input, weight, bias, groups)
    stride = as_pair(stride, "stride", "conv2d")
    dilation = as_pair(dilation, "dilation", "conv2d")
    padding = _conv_padding(padding, weight.shape[2:], dilation, stride)
    output_size("conv2d", input.shape[2:], weight.shape[2:], stride, padding, dilation)
    return Convolution.apply(
        input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=int(groups)
    )


class ConvInputGrad(ad.Function):
    """dL/dx of a convolution: the transposed convolution of grad with the weight (col2im)."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv2dᵀ"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, weight, size, stride, padding, dilation, groups):
        shape = (grad.shape[0], weight.shape[1] * groups) + tuple(size)
        win = _window_geometry(shape, weight.shape[2:], stride, padding, dilation)
        ctx.save_for_backward(grad, weight)
        if shape[0] == 0:
            return np.zeros(shape, dtype=np.result_type(grad, weight))
        return col2im(_grad_matrix(grad, groups), _tap_weights(weight, groups), win, shape)

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
        win = _window_geometry(input.shape, kernel, stride, padding, dilation)
        ctx.save_for_backward(input, grad)
        (kh, kw), o, cg = kernel, grad.shape[1], input.shape[1] // groups
        shape = (o, cg, kh, kw)
        if input.shape[0] == 0:
            return np.zeros(shape, dtype=np.result_type(input, grad))
        if _per_sample(shape):
            if cols is None:
                cols = im2col_per_sample(input, win, groups)  # (N, G, K, P)
            g = grad.reshape(grad.shape[0], groups, o // groups, -1)  # (N, G, O/G, P)
            return np.matmul(g, cols.swapaxes(2, 3)).sum(axis=0).reshape(shape)
        cols = im2col(input, win, groups) if cols is None else cols  # (N·P, G, K)
        g = _grad_matrix(grad, groups).transpose(0, 2, 1)  # (G, O/G, N·P)
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


def _conv_padding(padding, kernel, dilation, stride) -> tuple:
    """torch's padding forms (int, (ph, pw), 'valid', 'same') plus (left, right, top, bottom)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ArgumentError(f"conv2d: padding {padding!r} must be 'valid', 'same' or ints")
        if stride != (1, 1):
            raise ArgumentError("conv2d: padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    if not isinstance(padding, (int, np.integer)) and len(padding) == 4:
        left, right, top, bottom = (int(p) for p in padding)
        if min(padding) < 0:
            raise ArgumentError(f"conv2d: padding must be >= 0, got {padding!r}")
        return (top, bottom, left, right)
    ph, pw = as_pair(padding, "padding", "conv2d", minimum=0)
    return (ph, ph, pw, pw)


def _check_conv(input, weight, bias, groups) -> None:
    if input.ndim != 4:
        raise ShapeError(
            f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}. Reshape it to one of these layouts."
        )
    if weight.ndim != 4:
        raise ShapeError(
            f"conv2d: weight must be 4-D (out, in/groups, kh, kw), got shape {tuple(weight.shape)}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ShapeError(
            f"conv2d: groups={groups!r} must be a positive int dividing the "
            f"{weight.shape[0]} output channels"
        )
    if input.shape[1] != weight.shape[1] * groups:
        raise ShapeError(
            f"conv2d: expected input with {weight.shape[1] * groups} channels, got "
            f"{input.shape[1]} channels (input {tuple(input.shape)}, weight "
            f"{tuple(weight.shape)}, groups {groups}). Check in_channels or the previous layer."
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(
            f"conv2d: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    dtypes = {t.dtype for t in (input, weight, bias) if t is not None}
    if len(dtypes) > 1:
        raise DtypeError(
            f"conv2d: input, weight and bias dtypes differ ({', '.join(map(str, dtypes))}). "
            "Convert the input, e.g. x.float() for float32 parameters."
        )


class Conv2d(Module):
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
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(
                f"Conv2d: padding_mode {padding_mode!r} is not supported; only 'zeros' is"
            )
        check_size(in_channels, "in_channels", "Conv2d")
        check_size(out_channels, "out_channels", "Conv2d")
        check_size(groups, "groups", "Conv2d")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels={in_channels} and out_channels="
                f"{out_channels} must both be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = as_pair(stride, "stride", "Conv2d")
        self.padding = (
            padding
            if isinstance(padding, str)
            else (
                as_pair(padding, "padding", "Conv2d", minimum=0)
                if len(np.atleast_1d(padding)) < 4
                else tuple(padding)
            )
        )
        self.dilation = as_pair(dilation, "dilation", "Conv2d")
        dtype = dtype or ad.get_default_dtype()
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

    def forward(self, input):
        try:
            return conv2d(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        except ValueError as error:
            raise layer_error(self, error) from None

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0, 0), "valid"):
            text += (
                f", padding={self.padding!r}"
                if isinstance(self.padding, str)
                else f", padding={self.padding}"
            )
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")
