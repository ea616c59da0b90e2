"""Linear layers: the fused affine kernel (AddmmBackward0), F.linear, Linear, Identity, Flatten,
Unflatten."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError

from . import init
from .module import Module, Parameter


class Addmm(ad.Function):
    """input @ weight.T + bias in one node; inputs in torch's edge order (bias, input, weight)."""

    node_name = "AddmmBackward0"
    symbol = "linear"
    array_backward = True

    @staticmethod
    def forward(ctx, bias, input, weight):
        ctx.save_for_backward(input, weight)
        out = input @ weight.T
        out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_bias = grad.sum(0) if need[0] else None
        grad_input = grad @ weight if need[1] else None
        grad_weight = grad.mT @ input if need[2] else None  # dL/dW = gᵀ x, (out, in)
        return grad_bias, grad_input, grad_weight


class Mm(ad.Function):
    """input @ weight.T (a linear layer without bias)."""

    node_name = "MmBackward0"
    symbol = "linear"
    array_backward = True

    @staticmethod
    def forward(ctx, input, weight):
        ctx.save_for_backward(input, weight)
        return input @ weight.T

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_input = grad @ weight if need[0] else None
        grad_weight = grad.mT @ input if need[1] else None
        return grad_input, grad_weight


def check_size(value, name: str, op: str) -> int:
    """value as an int >= 1, or a ValueError/TypeError naming op and argument (sizes of layers)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{op}: {name} must be an int, got {value!r} ({type(value).__name__}). "
            f"Pass a whole number of features/channels, e.g. {name}=4."
        )
    if value < 1:
        raise ArgumentError(f"{op}: {name} must be at least 1, got {value}.")
    return int(value)


def _check_linear(input, weight, bias, op: str) -> None:
    in_features = weight.shape[-1]
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise ShapeError(
            f"{op}: input has {input.shape[-1] if input.ndim else 0} features in its last "
            f"dimension but the layer expects {in_features} (input {tuple(input.shape)}, weight "
            f"{tuple(weight.shape)}). Reshape the input or change in_features."
        )
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise DtypeError(
            f"{op}: input dtype {input.dtype} differs from the parameters' dtype {weight.dtype}. "
            "Convert the input, e.g. x.float() for float32 parameters."
        )


def linear(input, weight, bias=None):
    """y = x Wᵀ + b over the last dimension of x (weight is (out_features, in_features))."""
    input = input if isinstance(input, ad.Tensor) else ad.tensor(input)
    _check_linear(input, weight, bias, "linear")
    flat = input if input.ndim == 2 else input.reshape(-1, input.shape[-1])
    out = Addmm.apply(bias, flat, weight) if bias is not None else Mm.apply(flat, weight)
    if input.ndim != 2:
        out = out.reshape(*input.shape[:-1], weight.shape[0])
    return out


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features), initialised as PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features = check_size(in_features, "in_features", "Linear")
        self.out_features = check_size(out_features, "out_features", "Linear")
        dtype = dtype or ad.get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialisation (see nn.init.default_layer_init_)."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ShapeError(
                f"{self!r}: input has {input.shape[-1] if input.ndim else 0} features in its last "
                f"dimension, expected in_features={self.in_features} (input shape "
                f"{tuple(input.shape)}). Check the previous layer's output size."
            )
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class NonDynamicallyQuantizableLinear(Linear):
    """Linear under the name torch gives MultiheadAttention.out_proj (it shows in reprs and in
    the class lists programs give to torch.serialization.safe_globals)."""


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flattens dims start_dim..end_dim (by default all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim into unflattened_size (one entry may be -1), the inverse of Flatten."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        sizes = tuple(unflattened_size)
        if not sizes or not all(isinstance(s, int) for s in sizes) or sizes.count(-1) > 1:
            raise TypeError(
                f"Unflatten: unflattened_size must be a non-empty tuple of ints with at most one "
                f"-1, got {unflattened_size!r}"
            )
        self.dim = dim
        self.unflattened_size = sizes

    def forward(self, input):
        dim = self.dim + input.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < input.ndim:
            raise IndexError(
                f"Unflatten: dim {self.dim} is out of range for input of shape {tuple(input.shape)}"
            )
        size, sizes = input.shape[dim], self.unflattened_size
        try:  # resolves the -1 as reshape will
            sizes = np.empty(size, dtype=np.bool_).reshape(sizes).shape
        except ValueError:
            raise ShapeError(
                f"Unflatten: unflattened_size {sizes} does not fit dim {self.dim} of size {size} "
                f"(input shape {tuple(input.shape)}). Its product must be {size}."
            ) from None
        return input.reshape(*input.shape[:dim], *sizes, *input.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
