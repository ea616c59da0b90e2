"""torch's functions that are a Tensor method under its function's spelling: torch.detach(x)
is x.detach(), torch.abs_(x) is x.abs_() (the same op, node and version bump), torch.real(x)
is x.real; torch.fill, the out-of-place form of fill_; and the Python-function methods apply_
and map_."""

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .inplace import apply_ as _in_place
from .inplace import fill as _fill_with_number

__all__ = ["conj", "detach", "fill", "imag", "real"]
__all__ += ["is_conj", "is_inference", "is_neg", "resolve_conj", "resolve_neg"]


def detach(input):
    return input.detach()


def conj(input):
    return input.conj()


def is_conj(input) -> bool:
    """False: no tensor here carries a lazy conjugation (real tensors, as torch's)."""
    return input.is_conj()


def is_neg(input) -> bool:
    return input.is_neg()


def is_inference(input) -> bool:
    return input.is_inference()


def resolve_conj(input):
    """input itself: nothing lazy to resolve (torch returns the same tensor)."""
    return input.resolve_conj()


def resolve_neg(input):
    return input.resolve_neg()


def real(input):
    """input itself for a real tensor (as torch, whose real part of a real tensor is itself)."""
    return input.real


def imag(input):
    """Refused for a real tensor, as torch refuses it."""
    return input.imag


class FillTensor(Function):
    """A tensor of input's shape filled with a 0-d tensor's value: torch.fill(t, value)."""

    node_name = "FillBackward1"
    symbol = "fill"

    @staticmethod
    def forward(ctx, input, value):
        if np.ndim(value) != 0:
            raise ArgumentError(
                f"fill: the value must be a number or a 0-d tensor, got a tensor of shape "
                f"{np.shape(value)}. Use value.item() or value.squeeze()."
            )
        return np.full(input.shape, value, dtype=input.dtype)

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        return grad * 0.0 if need[0] else None, grad.sum() if need[1] else None


def fill(input, value):
    """A new tensor of input's shape and dtype, every element value (torch.fill)."""
    if isinstance(value, Tensor):
        return FillTensor.apply(input, value)
    return _fill_with_number(input, value)


# torch's top-level in-place functions: each the Tensor method (its op, node and version bump)
__all__ += ["abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_"]
__all__ += ["arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_"]
__all__ += ["clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "detach_", "erf_", "erfc_"]
__all__ += ["exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "index_put_"]
__all__ += ["log10_", "log1p_", "log2_", "log_", "nan_to_num_", "neg_", "negative_"]
__all__ += ["reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinh_", "sqrt_"]
__all__ += ["square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_"]
__all__ += ["deg2rad_", "ldexp_", "logit_", "rad2deg_", "sinc_", "gcd_", "lcm_", "i0_"]


def abs_(input):
    return input.abs_()


def acos_(input):
    return input.acos_()


def acosh_(input):
    return input.acosh_()


def addmv_(input, mat, vec, *, beta=1, alpha=1):
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def arccos_(input):
    return input.arccos_()


def arccosh_(input):
    return input.arccosh_()


def arcsin_(input):
    return input.arcsin_()


def arcsinh_(input):
    return input.arcsinh_()


def arctan_(input):
    return input.arctan_()


def arctanh_(input):
    return input.arctanh_()


def asin_(input):
    return input.asin_()


def asinh_(input):
    return input.asinh_()


def atan_(input):
    return input.atan_()


def atanh_(input):
    return input.atanh_()


def ceil_(input):
    return input.ceil_()


def clamp_(input, min=None, max=None):
    return input.clamp_(min, max)


def clamp_max_(input, max):
    return input.clamp_max_(max)


def clamp_min_(input, min):
    return input.clamp_min_(min)


def clip_(input, min=None, max=None):
    return input.clip_(min, max)


def cos_(input):
    return input.cos_()


def cosh_(input):
    return input.cosh_()


def detach_(input):
    return input.detach_()


def erf_(input):
    return input.erf_()


def erfc_(input):
    return input.erfc_()


def exp2_(input):
    return input.exp2_()


def exp_(input):
    return input.exp_()


def expm1_(input):
    return input.expm1_()


def fill_(input, value):
    return input.fill_(value)


def fix_(input):
    return input.fix_()


def floor_(input):
    return input.floor_()


def frac_(input):
    return input.frac_()


def index_put_(input, indices, values, accumulate=False):
    return input.index_put_(indices, values, accumulate)


def log10_(input):
    return input.log10_()


def log1p_(input):
    return input.log1p_()


def log2_(input):
    return input.log2_()


def log_(input):
    return input.log_()


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    return input.nan_to_num_(nan, posinf, neginf)


def neg_(input):
    return input.neg_()


def negative_(input):
    return input.negative_()


def reciprocal_(input):
    return input.reciprocal_()


def relu_(input):
    return input.relu_()


def round_(input, decimals=0):
    return input.round_(decimals)


def rsqrt_(input):
    return input.rsqrt_()


def sigmoid_(input):
    return input.sigmoid_()


def sin_(input):
    return input.sin_()


def sinh_(input):
    return input.sinh_()


def sqrt_(input):
    return input.sqrt_()


def square_(input):
    return input.square_()


def tan_(input):
    return input.tan_()


def tanh_(input):
    return input.tanh_()


def trunc_(input):
    return input.trunc_()


def xlogy_(input, other):
    return input.xlogy_(other)


def zero_(input):
    return input.zero_()


def deg2rad_(input):
    return input.deg2rad_()


def ldexp_(input, other):
    return input.ldexp_(other)


def logit_(input, eps=None):
    return input.logit_(eps)


def rad2deg_(input):
    return input.rad2deg_()


def sinc_(input):
    return input.sinc_()


def gcd_(input, other):
    return input.gcd_(other)


def lcm_(input, other):
    return input.lcm_(other)


def i0_(input):
    return input.i0_()


# --- Tensor.apply_ / map_: a Python function per element (CPU tensors, no gradient, as torch) ---
def apply_each(self, fn):
    _no_gradient(self, "apply_")
    return _in_place(self, "apply_", _each_of, fn)


def map_each(self, tensor, fn):
    _no_gradient(self, "map_")
    _no_gradient(tensor, "map_")
    fits = all(a in (1, b) for a, b in zip(tensor.shape[::-1], self.shape[::-1]))
    if not fits or tensor.ndim > self.ndim:
        raise ShapeError(
            f"map_: The expanded size of the tensor ({tuple(self.shape)}) must match the existing "
            f"size {tuple(tensor.shape)}. The other tensor must broadcast to this one's shape."
        )
    return _in_place(self, "map_", _pairs_of, tensor, fn)


def _no_gradient(self, op: str) -> None:
    if self.requires_grad:
        raise RuntimeError(
            f"{op}: Can't call {op}() on Variable that requires grad. Use var.detach().{op}() "
            "instead."
        )


class PerElement(Function):
    """A Python function of each element (apply_) or of each pair of elements (map_), in the
    tensor's dtype; no gradient (apply_ and map_ refuse tensors that require one)."""

    node_name = "PerElementBackward"  # never recorded: no input requires grad

    @staticmethod
    def forward(ctx, input, *others, each):
        others = [np.broadcast_to(o, input.shape) for o in others]
        values = np.frompyfunc(each, 1 + len(others), 1)(input, *others)
        return np.asarray(values, dtype=object).astype(input.dtype)


def _each_of(t, fn):
    return PerElement.apply(t, each=fn)


def _pairs_of(t, other, fn):
    return PerElement.apply(t, other, each=fn)
