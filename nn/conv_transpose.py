"""Transposed convolution: F.conv_transpose1d/2d, nn.ConvTranspose1d/2d/3d (3-d's kernel is
conv3d.py's conv_transpose3d).

A transposed convolution is the adjoint of a convolution in its input: its forward is a
convolution's input gradient (ConvInputGrad), its input gradient is a convolution, and its
weight gradient is a convolution's weight gradient with the roles of input and output swapped.
"""

import autodiff as ad
from autodiff.errors import ShapeError

from .conv import (
    _OPTIONS,
    ConvInputGrad,
    Convolution,
    ConvWeightGrad,
    _ConvNd,
    _plane,
    check_conv,
    spatial,
)
from .conv3d import conv_transpose3d
from .sliding import layer_error


class TransposedConvolution(ad.Function):
    node_name = "ConvolutionBackward0"
    symbol = "conv_transpose"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight, bias, size, stride, padding, dilation, groups):
        out = ConvInputGrad.forward(ctx, input, weight, size, stride, padding, dilation, groups)
        if bias is not None:
            out += bias.reshape((-1,) + (1,) * (out.ndim - 2))
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        opts, need = {k: ctx.options[k] for k in _OPTIONS}, ctx.needs_input_grad
        grad_input = Convolution.apply(grad, weight, None, **opts) if need[0] else None
        grad_weight = None
        if need[1]:
            grad_weight = ConvWeightGrad.apply(
                grad, input, kernel=weight.shape[2:], cols=None, **opts
            )
        grad_bias = grad.sum(axis=(0, *range(2, grad.ndim))) if need[2] else None
        return grad_input, grad_weight, grad_bias


def _transposed(op, input, weight, bias, stride, padding, output_padding, groups, dilation):
    input = input if isinstance(input, ad.Tensor) else ad.tensor(input)
    dims = int(op[-2])
    if input.ndim == dims + 1:  # one unbatched sample
        args = (weight, bias, stride, padding, output_padding, groups, dilation)
        return _transposed(op, input.unsqueeze(0), *args).squeeze(0)
    check_conv(op, input, weight, bias, groups, "(in, out/groups, *kernel)")
    if input.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"{op}: expected input with {weight.shape[0]} channels (dim 0 of the weight), got "
            f"{input.shape[1]} (input {tuple(input.shape)}, weight {tuple(weight.shape)})."
        )
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    stride, dilation = spatial(stride, dims, "stride", op), spatial(dilation, dims, "dilation", op)
    padding = spatial(padding, dims, "padding", op, minimum=0)
    extra = spatial(output_padding, dims, "output_padding", op, minimum=0)
    if any(e >= s for e, s in zip(extra, stride)):
        raise ShapeError(
            f"{op}: output_padding {tuple(extra[2 - dims :])} must be smaller than the stride "
            f"{tuple(stride[2 - dims :])}."
        )
    kernel, size = _plane(weight.shape[2:]), _plane(input.shape[2:])
    out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, s, p, d, k, e in zip(size, stride, padding, dilation, kernel, extra)
    )
    if min(out) < 1:
        raise ShapeError(
            f"{op}: the output would have size {out[2 - dims :]} (input {tuple(input.shape)}, "
            f"kernel {tuple(weight.shape[2:])}, stride {stride[2 - dims :]}, padding "
            f"{padding[2 - dims :]}). Use less padding."
        )
    return TransposedConvolution.apply(
        input,
        weight,
        bias,
        size=out[2 - dims :],
        stride=stride,
        padding=(padding[0], padding[0], padding[1], padding[1]),
        dilation=dilation,
        groups=int(groups),
    )


@ad.amp.cast_inputs("lower")
def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The adjoint of conv1d in its input, over (N, C_in, L) with weight (C_in, C_out/g, k)."""
    args = (stride, padding, output_padding, groups, dilation)
    return _transposed("conv_transpose1d", input, weight, bias, *args)


@ad.amp.cast_inputs("lower")
def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The adjoint of conv2d in its input, over NCHW with weight (C_in, C_out/g, kh, kw)."""
    args = (stride, padding, output_padding, groups, dilation)
    return _transposed("conv_transpose2d", input, weight, bias, *args)


class _ConvTransposeNd(_ConvNd):
    _transposed = True
    _fn = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be ints, got {padding!r}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype, output_padding,
        )  # fmt: skip

    def forward(self, input, output_size=None):
        if output_size is not None:
            raise ValueError(
                f"{type(self).__name__}: output_size= is not supported; give output_padding "
                "to the layer instead."
            )
        try:
            return type(self)._fn(
                input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                self.groups, self.dilation,
            )  # fmt: skip
        except ValueError as error:
            raise layer_error(self, error) from None


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution (a learnable upsampling): weight (in, out/groups, k)."""

    _dims = 1
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution (a learnable upsampling): weight (in, out/groups, kh, kw)."""

    _fn = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution: weight (in, out/groups, kd, kh, kw)."""

    _dims = 3
    _fn = staticmethod(conv_transpose3d)
