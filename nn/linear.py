"""Linear layers: the fused affine kernel (AddmmBackward0), F.linear, Linear, LazyLinear,
F.bilinear and Bilinear, Identity, Flatten, Unflatten."""

import math

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError, ShapeError

from . import init
from .module import Module, Parameter, factory_dtype


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


@ad.amp.cast_inputs("lower")
def linear(input, weight, bias=None):
    """y = x Wᵀ + b over the last dimension of x (weight is (out_features, in_features))."""
    input = input if isinstance(input, ad.Tensor) else ad.tensor(input)
    _check_linear(input, weight, bias, "linear")
    flat = input if input.ndim == 2 else input.reshape(-1, input.shape[-1])
    out = Addmm.apply(bias, flat, weight) if bias is not None else Mm.apply(flat, weight)
    if input.ndim != 2:
        out = out.reshape(*input.shape[:-1], weight.shape[0])
    return out


class Affine(Module):
    """A layer with a weight and an optional bias (Linear, the convolutions), initialised as
    torch initialises them."""

    def _add_parameters(self, weight_shape: tuple, bias_size: int, device, dtype) -> None:
        """weight (uninitialised, then reset_parameters), and a bias of bias_size (0: none)."""
        dtype = factory_dtype(device, dtype, type(self).__name__)
        self.weight = Parameter(np.empty(weight_shape, dtype=dtype))
        if bias_size:
            self.bias = Parameter(np.empty(bias_size, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialisation (see nn.init.default_layer_init_)."""
        init.default_layer_init_(self.weight, self.bias)


class Linear(Affine):
    """y = x Wᵀ + b with W of shape (out_features, in_features), initialised as PyTorch."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features = check_size(in_features, "in_features", "Linear")
        self.out_features = check_size(out_features, "out_features", "Linear")
        shape, bias_size = (out_features, in_features), out_features if bias else 0
        self._add_parameters(shape, bias_size, device, dtype)

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


class LazyLinear(Linear):
    """Linear whose in_features is read from its first input: until then its parameters are
    empty placeholders; the first call gives them their shapes (the same Parameter objects)
    and torch's initialisation, and the layer becomes a Linear."""

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = check_size(out_features, "out_features", "LazyLinear")
        self._dtype = factory_dtype(device, dtype, "LazyLinear")
        self.weight = Parameter(np.empty(0, dtype=self._dtype))
        if bias:
            self.bias = Parameter(np.empty(0, dtype=self._dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.in_features:
            super().reset_parameters()

    def forward(self, input):
        if input.ndim == 0:
            raise ShapeError(f"{self!r}: a 0-d input has no features to infer in_features from")
        self.in_features = check_size(input.shape[-1], "in_features", "LazyLinear")
        with ad.no_grad():
            self.weight.data = np.empty((self.out_features, self.in_features), self._dtype)
            if self.bias is not None:
                self.bias.data = np.empty(self.out_features, self._dtype)
        self.reset_parameters()
        del self._dtype
        self.__class__ = Linear  # as torch: from now on an ordinary Linear
        return self.forward(input)


class Trilinear(ad.Function):
    """out[n, o] = Σᵢⱼ x1[n, i]·W[o, i, j]·x2[n, j] (torch's _trilinear as bilinear calls it)."""

    node_name = "TrilinearBackward0"
    symbol = "bilinear"
    array_backward = True

    @staticmethod
    def forward(ctx, input1, weight, input2):
        ctx.save_for_backward(input1, weight, input2)
        return np.einsum("ni,oij,nj->no", input1, weight, input2)

    @staticmethod
    def backward(ctx, grad):
        x1, w, x2 = ctx.saved_tensors
        (n, i), (o, _, j) = x1.shape, w.shape
        need = ctx.needs_input_grad
        mixed = (grad @ w.reshape(o, i * j)).reshape(n, i, j)  # Σₒ g[n, o]·W[o, i, j]
        grad_weight = None
        if need[1]:
            outer = (x1[:, :, None] * x2[:, None, :]).reshape(n, i * j)
            grad_weight = (grad.T @ outer).reshape(o, i, j)
        return (
            (mixed * x2[:, None, :]).sum(-1) if need[0] else None,
            grad_weight,
            (mixed * x1[:, :, None]).sum(1) if need[2] else None,
        )


def bilinear(input1, input2, weight, bias=None):
    """y = x1ᵀ A x2 + b over the last dims: weight (out, in1, in2), inputs (*, in1), (*, in2)."""
    if input1.ndim != input2.ndim or tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise ShapeError(
            f"bilinear: the inputs must have the same batch dims, got {tuple(input1.shape)} and "
            f"{tuple(input2.shape)}"
        )
    if weight.ndim != 3 or (input1.shape[-1], input2.shape[-1]) != tuple(weight.shape[1:]):
        raise ShapeError(
            f"bilinear: weight of shape {tuple(weight.shape)} does not fit inputs with "
            f"{input1.shape[-1]} and {input2.shape[-1]} features: it must be (out, "
            f"{input1.shape[-1]}, {input2.shape[-1]})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(
            f"bilinear: bias of shape {tuple(bias.shape)} must be ({weight.shape[0]},), one per "
            "output feature"
        )
    flat1 = input1.reshape(-1, input1.shape[-1])
    flat2 = input2.reshape(-1, input2.shape[-1])
    out = Trilinear.apply(flat1, weight, flat2).reshape(*input1.shape[:-1], weight.shape[0])
    return out if bias is None else out + bias


class Bilinear(Module):
    """y = x1ᵀ A x2 + b: weight (out_features, in1_features, in2_features), initialised as
    torch: U(±1/√in1_features) for weight and bias."""

    def __init__(
        self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
        device=None, dtype=None,
    ):  # fmt: skip
        super().__init__()
        self.in1_features = check_size(in1_features, "in1_features", "Bilinear")
        self.in2_features = check_size(in2_features, "in2_features", "Bilinear")
        self.out_features = check_size(out_features, "out_features", "Bilinear")
        dtype = factory_dtype(device, dtype, "Bilinear")
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
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
