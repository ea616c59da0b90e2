"""3-d convolution over (N, C, D, H, W) or (C, D, H, W), as torch's conv3d: one term per kernel
tap (a strided view of the padded input times that tap's weights, per group), so each of the
three products (output, input gradient, weight gradient) is the adjoint of the others in one
argument and second derivatives come from the same three Functions (ConvolutionBackward0 and
ConvolutionBackwardBackward0, as torch records them)."""

import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError

from .linear import Affine
from .padding import pad
from .pooling3d import _triple, _window


def _windows(out_shape, stride, dilation, kernel):
    """For each kernel tap: the tap index and the slice of the padded volume it reads."""
    for tap in np.ndindex(*kernel):
        yield tap, _window(out_shape, tuple(t * d for t, d in zip(tap, dilation)), stride)


def _grouped(array: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, ...) as (N, groups, C/groups, ...)."""
    return array.reshape((array.shape[0], groups, -1) + array.shape[2:])


def _padded_shape(size, padding) -> tuple:
    return tuple(size[:2]) + tuple(n + a + b for n, (a, b) in zip(size[2:], padding))


def _crop(padding) -> tuple:
    return (Ellipsis,) + tuple(slice(a, -b if b else None) for a, b in padding)


class Convolution3d(ad.Function):
    """out[n, o] = Σ_taps Σ_c weight[o, c, tap] · input_padded[n, c, window(tap)] (+ bias)."""

    node_name = "ConvolutionBackward0"
    symbol = "conv3d"

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups, out_shape):
        ctx.save_for_backward(input, weight)
        padded = _grouped(np.pad(input, [(0, 0), (0, 0), *padding]), groups)
        w = weight.reshape((groups, -1) + weight.shape[1:])  # (g, out/g, in/g, *kernel)
        out = np.zeros((input.shape[0], groups, weight.shape[0] // groups) + out_shape,
                       np.result_type(input, weight))  # fmt: skip
        for tap, window in _windows(out_shape, stride, dilation, weight.shape[2:]):
            out += np.einsum("ngcdhw,goc->ngodhw", padded[window], w[(Ellipsis,) + tap])
        out = out.reshape((input.shape[0], -1) + out_shape)
        if bias is not None:
            out += bias.reshape(-1, 1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        opts = {k: ctx.options[k] for k in ("stride", "padding", "dilation", "groups")}
        needs = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if needs[0]:
            grad_input = Conv3dInputGrad.apply(grad, weight, size=tuple(input.shape), **opts)
        if needs[1]:
            grad_weight = Conv3dWeightGrad.apply(input, grad, kernel=tuple(weight.shape[2:]),
                                                 **opts)  # fmt: skip
        if len(needs) > 2 and needs[2]:
            grad_bias = grad.sum((0, 2, 3, 4))
        return grad_input, grad_weight, grad_bias


class Conv3dInputGrad(ad.Function):
    """Convolution3d's input gradient: each tap's weights applied back to the output gradient,
    added onto the window the tap read."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv3dᵀ"

    @staticmethod
    def forward(ctx, grad, weight, size, stride, padding, dilation, groups):
        ctx.save_for_backward(grad, weight)
        padded = np.zeros(_padded_shape(size, padding), np.result_type(grad, weight))
        into = _grouped(padded, groups)
        g = _grouped(grad, groups)
        w = weight.reshape((groups, -1) + weight.shape[1:])  # (g, out/g, in/g, *kernel)
        for tap, window in _windows(grad.shape[2:], stride, dilation, weight.shape[2:]):
            into[window] += np.einsum("ngodhw,goc->ngcdhw", g, w[(Ellipsis,) + tap])
        return np.ascontiguousarray(padded[_crop(padding)])

    @staticmethod
    def backward(ctx, gg):  # linear in each argument: its adjoints are the other two products
        grad, weight = ctx.saved_tensors
        opts = {k: ctx.options[k] for k in ("stride", "padding", "dilation", "groups")}
        needs = ctx.needs_input_grad
        d_grad = d_weight = None
        if needs[0]:
            d_grad = Convolution3d.apply(gg, weight, None, out_shape=tuple(grad.shape[2:]),
                                         **opts)  # fmt: skip
        if needs[1]:
            d_weight = Conv3dWeightGrad.apply(gg, grad, kernel=tuple(weight.shape[2:]), **opts)
        return d_grad, d_weight


class Conv3dWeightGrad(ad.Function):
    """Convolution3d's weight gradient: per tap, the output gradient against the window the
    tap read."""

    node_name = "ConvolutionBackwardBackward0"
    symbol = "conv3dᵂ"

    @staticmethod
    def forward(ctx, input, grad, kernel, stride, padding, dilation, groups):
        ctx.save_for_backward(input, grad)
        padded = _grouped(np.pad(input, [(0, 0), (0, 0), *padding]), groups)
        g = _grouped(grad, groups)
        out = np.zeros((groups, grad.shape[1] // groups, input.shape[1] // groups) + kernel,
                       np.result_type(input, grad))  # fmt: skip
        for tap, window in _windows(grad.shape[2:], stride, dilation, kernel):
            out[(Ellipsis,) + tap] = np.einsum("ngcdhw,ngodhw->goc", padded[window], g)
        return out.reshape((grad.shape[1], input.shape[1] // groups) + kernel)

    @staticmethod
    def backward(ctx, gg):
        input, grad = ctx.saved_tensors
        opts = {k: ctx.options[k] for k in ("stride", "padding", "dilation", "groups")}
        needs = ctx.needs_input_grad
        d_input = d_grad = None
        if needs[0]:
            d_input = Conv3dInputGrad.apply(grad, gg, size=tuple(input.shape), **opts)
        if needs[1]:
            d_grad = Convolution3d.apply(input, gg, None, out_shape=tuple(grad.shape[2:]),
                                         **opts)  # fmt: skip
        return d_input, d_grad


class TransposedConvolution3d(ad.Function):
    """conv_transpose3d: Convolution3d's input gradient as a forward (each input cell spreads
    its weights over the window it maps to), plus the bias; its input gradient is a
    convolution and its weight gradient Convolution3d's with input and output swapped."""

    node_name = "ConvolutionBackward0"
    symbol = "conv_transpose3d"

    @staticmethod
    def forward(ctx, input, weight, bias, size, stride, padding, dilation, groups):
        out = Conv3dInputGrad.forward(ctx, input, weight, size, stride, padding, dilation, groups)
        if bias is not None:
            out += bias.reshape(-1, 1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        opts = {k: ctx.options[k] for k in ("stride", "padding", "dilation", "groups")}
        needs = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if needs[0]:
            grad_input = Convolution3d.apply(grad, weight, None, out_shape=tuple(input.shape[2:]),
                                             **opts)  # fmt: skip
        if needs[1]:
            grad_weight = Conv3dWeightGrad.apply(grad, input, kernel=tuple(weight.shape[2:]),
                                                 **opts)  # fmt: skip
        if len(needs) > 2 and needs[2]:
            grad_bias = grad.sum((0, 2, 3, 4))
        return grad_input, grad_weight, grad_bias


def _conv3d_padding(padding, kernel, dilation, stride) -> tuple:
    """(before, after) per spatial dim: ints, 'valid', or 'same' (the extra cell of an odd
    total on the far side, as torch)."""
    if padding == "valid":
        return ((0, 0),) * 3
    if padding == "same":
        if stride != (1, 1, 1):
            raise ArgumentError("conv3d: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ArgumentError(
            f"conv3d: Invalid padding string {padding!r}, should be one of ['valid', 'same']"
        )
    return tuple((p, p) for p in _triple(padding, "padding", "conv3d", minimum=0))


@ad.amp.cast_inputs("lower")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation over (N, C, D, H, W) input with weight (out, in/groups, kd, kh,
    kw), as torch."""
    if input.ndim == 4:  # one unbatched sample, as torch accepts
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(
            0
        )
    shapes = f"(input {tuple(input.shape)}, weight {tuple(weight.shape)})"
    if input.ndim != 5 or weight.ndim != 5:
        raise ShapeError(
            f"conv3d: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input and a 5-D weight "
            f"(out, in/groups, kd, kh, kw) {shapes}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ShapeError(
            f"conv3d: groups={groups!r} must be a positive int dividing the {weight.shape[0]} "
            f"channels of dim 0 of the weight {shapes}"
        )
    if input.shape[1] != weight.shape[1] * groups:
        raise ShapeError(
            f"conv3d: expected input with {weight.shape[1] * groups} channels, got "
            f"{input.shape[1]} channels {shapes}, groups {groups}. Check in_channels."
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(
            f"conv3d: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    if len({t.dtype for t in (input, weight, bias) if t is not None}) > 1:
        raise DtypeError(
            f"conv3d: input, weight and bias dtypes differ ({input.dtype}, {weight.dtype}"
            f"{'' if bias is None else f', {bias.dtype}'}). Convert the input, e.g. x.float()."
        )
    stride, dilation = _triple(stride, "stride", "conv3d"), _triple(dilation, "dilation", "conv3d")
    kernel = tuple(weight.shape[2:])
    padding = _conv3d_padding(padding, kernel, dilation, stride)
    extra = [b - a for a, b in padding]
    if any(extra):  # 'same' with an odd total: the far cell padded first, as torch records it
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created",
            stacklevel=2,
        )
        input = pad(input, (0, extra[2], 0, extra[1], 0, extra[0]))
        padding = tuple((a, a) for a, _ in padding)
    out_shape = tuple((n + a + b - d * (k - 1) - 1) // s + 1 for n, (a, b), d, k, s in
                      zip(input.shape[2:], padding, dilation, kernel, stride))  # fmt: skip
    if min(out_shape) < 1:
        raise ShapeError(
            f"conv3d: output size would be {'x'.join(map(str, out_shape))}: the kernel {kernel} "
            f"(dilation {dilation}) is larger than the padded input {shapes}"
        )
    return Convolution3d.apply(input, weight, bias, stride=stride, padding=padding,
                               dilation=dilation, groups=int(groups), out_shape=out_shape)  # fmt: skip


@ad.amp.cast_inputs("lower")
def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The adjoint of conv3d in its input, over (N, C_in, D, H, W) with weight (C_in,
    C_out/groups, kd, kh, kw): each output size (n − 1)·stride − 2·padding + dilation·(k − 1)
    + output_padding + 1, as torch."""
    op = "conv_transpose3d"
    if input.ndim == 4:  # one unbatched sample, as torch accepts
        args = (weight, bias, stride, padding, output_padding, groups, dilation)
        return conv_transpose3d(input.unsqueeze(0), *args).squeeze(0)
    shapes = f"(input {tuple(input.shape)}, weight {tuple(weight.shape)})"
    if input.ndim != 5 or weight.ndim != 5:
        raise ShapeError(
            f"{op}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input and a 5-D weight "
            f"(in, out/groups, kd, kh, kw) {shapes}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ShapeError(
            f"{op}: groups={groups!r} must be a positive int dividing the {weight.shape[0]} "
            f"channels of dim 0 of the weight {shapes}"
        )
    if input.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"{op}: expected input with {weight.shape[0]} channels (dim 0 of the weight), got "
            f"{input.shape[1]} {shapes}. Check in_channels."
        )
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    if len({t.dtype for t in (input, weight, bias) if t is not None}) > 1:
        raise DtypeError(
            f"{op}: input, weight and bias dtypes differ ({input.dtype}, {weight.dtype}"
            f"{'' if bias is None else f', {bias.dtype}'}). Convert the input, e.g. x.float()."
        )
    stride, dilation = _triple(stride, "stride", op), _triple(dilation, "dilation", op)
    padding = _triple(padding, "padding", op, minimum=0)
    extra = _triple(output_padding, "output_padding", op, minimum=0)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ShapeError(
            f"{op}: output padding must be smaller than either stride or dilation, got "
            f"output_padding {extra}, stride {stride}, dilation {dilation}."
        )
    kernel = tuple(weight.shape[2:])
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
                zip(input.shape[2:], stride, padding, dilation, kernel, extra))  # fmt: skip
    if min(out) < 1:
        raise ShapeError(
            f"{op}: the output would have size {out} {shapes}, stride {stride}, padding "
            f"{padding}. Use less padding."
        )
    return TransposedConvolution3d.apply(
        input, weight, bias, size=(input.shape[0], out_channels) + out, stride=stride,
        padding=tuple((p, p) for p in padding), dilation=dilation, groups=int(groups),
    )  # fmt: skip


class Conv3d(Affine):
    """3-D convolution layer: weight (out, in/groups, kd, kh, kw), torch's default init."""

    _dims, _transposed = 3, False  # as the other convolutions' (LazyConv3d reads them)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(
                f"Conv3d: padding_mode {padding_mode!r} is not supported; only 'zeros' is"
            )
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv3d: in_channels={in_channels} and out_channels={out_channels} must both "
                f"be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _triple(kernel_size, "kernel_size", "Conv3d")
        self.stride = _triple(stride, "stride", "Conv3d")
        self.dilation = _triple(dilation, "dilation", "Conv3d")
        self.padding = (
            padding if isinstance(padding, str) else _triple(padding, "padding", "Conv3d", 0)
        )
        self.padding_mode, self.output_padding = padding_mode, (0, 0, 0)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self._add_parameters(shape, out_channels if bias else 0, device, dtype)

    def forward(self, input):
        return conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)  # fmt: skip

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")  # fmt: skip
        if self.padding not in ((0, 0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")
