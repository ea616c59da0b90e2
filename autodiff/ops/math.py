"""Elementwise math beyond the pointwise table: square, rounding (zero gradient), atan2,
hypot, logaddexp, nan_to_num, xlogy, copysign, logit, sinc, ldexp, degrees and radians,
float_power and heaviside (no gradient)."""

import math

import numpy as np

from ..dtypes import dimensioned_dtype, promote
from ..errors import DtypeError
from ..function import Function
from ..tensor import Tensor
from .arithmetic import NoDerivative
from .complexes import refuse_complex
from .elementwise import where

__all__ = [
    "square",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "atan2",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "arctan2",
    "nan_to_num",
    "fix",
    "xlogy",
    "copysign",
    "logit",
    "sinc",
    "ldexp",
    "deg2rad",
    "rad2deg",
    "float_power",
    "heaviside",
]  # the public ops: autodiff exports these


def square(input):
    """x², the same node as x ** 2 (PowBackward0), as torch."""
    return input**2


class Rounding(Function):
    """floor, ceil, round, trunc: piecewise constant, so a zero gradient (as torch)."""

    node_name = "FloorBackward0"
    symbol = "⌊x⌋"
    array_backward = True

    @staticmethod
    def forward(ctx, input, how):
        ctx.node_name = f"{how.capitalize()}Backward0"
        return {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}[how](
            input
        )

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


def floor(input):
    """Largest integer <= x (zero gradient)."""
    refuse_complex("floor", input)
    return Rounding.apply(input, how="floor")


def ceil(input):
    """Smallest integer >= x (zero gradient)."""
    refuse_complex("ceil", input)
    return Rounding.apply(input, how="ceil")


def round(input, decimals: int = 0):
    """Round half to even, as torch (zero gradient)."""
    refuse_complex("round", input)
    if decimals:
        scale = 10.0**decimals
        return Rounding.apply(input * scale, how="round") / scale
    return Rounding.apply(input, how="round")


def trunc(input):
    """Round toward zero (zero gradient)."""
    refuse_complex("trunc", input)
    return Rounding.apply(input, how="trunc")


def fix(input):
    """Round toward zero: torch's other name of trunc (the same TruncBackward0 node)."""
    return trunc(input)


def frac(input):
    """x − trunc(x), gradient 1 (as torch)."""
    return input - trunc(input)


class Atan2(Function):
    node_name = "Atan2Backward0"
    symbol = "atan2"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        input, other = dimensioned_dtype(input, other)  # a 0-d tensor takes the dims' dtype
        ctx.save_for_backward(input, other)
        return np.arctan2(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        scale = grad / (input * input + other * other)
        need = ctx.needs_input_grad
        return scale * other if need[0] else None, -scale * input if need[1] else None


def atan2(input, other):
    """The angle of (other, input): arctan(input / other) in the right quadrant."""
    return Atan2.apply(input, _tensor(other))


class Hypot(Function):
    node_name = "HypotBackward0"
    symbol = "hypot"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        out = np.hypot(input, other)
        ctx.save_for_backward(input, other, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, other, out = ctx.saved_tensors
        scale = grad / out  # torch's formula: grad · x / hypot(x, y)
        need = ctx.needs_input_grad
        return scale * input if need[0] else None, scale * other if need[1] else None


def hypot(input, other):
    """sqrt(input² + other²) without overflow."""
    return Hypot.apply(input, _tensor(other))


class Logaddexp(Function):
    node_name = "LogaddexpBackward0"
    symbol = "logaddexp"
    array_backward = False  # its gradient calls exp(): a Tensor method

    @staticmethod
    def forward(ctx, input, other):
        ctx.save_for_backward(input, other)
        return np.logaddexp(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        need = ctx.needs_input_grad  # torch's formula: grad / (1 + exp(y - x)), and swapped
        grad_input = grad / ((other - input).exp() + 1) if need[0] else None
        grad_other = grad / ((input - other).exp() + 1) if need[1] else None
        return grad_input, grad_other


def logaddexp(input, other):
    """log(exp(input) + exp(other)), stable."""
    return Logaddexp.apply(input, _tensor(other))


class Logaddexp2(Function):
    node_name = "Logaddexp2Backward0"
    symbol = "logaddexp2"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        ctx.save_for_backward(input, other)
        return np.logaddexp2(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        need = ctx.needs_input_grad  # torch's formula: grad / (1 + 2^(y - x)), and swapped
        grad_input = grad / (2.0 ** (other - input) + 1) if need[0] else None
        grad_other = grad / (2.0 ** (input - other) + 1) if need[1] else None
        return grad_input, grad_other


def logaddexp2(input, other):
    """log2(2^input + 2^other), stable."""
    return Logaddexp2.apply(input, _tensor(other))


def arctan2(input, other):
    """torch.arctan2: atan2 (Atan2Backward0)."""
    return atan2(input, other)


class NanToNum(Function):
    """NaN, +inf and -inf replaced by numbers (default 0 and the dtype's largest and smallest
    finite values); only the finite elements pass the gradient on (torch's formula)."""

    node_name = "NanToNumBackward0"
    symbol = "nan→0"
    array_backward = True

    @staticmethod
    def forward(ctx, input, nan, posinf, neginf):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(np.isfinite(input))
        if input.dtype.kind not in "fc":  # integers and bool hold no NaN: a copy, as torch
            return input.copy()
        return np.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (finite,) = ctx.saved_tensors
        return grad * finite


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """input with NaN, +inf and -inf replaced: nan by `nan`, the infinities by posinf and
    neginf (default: the dtype's largest and smallest finite values)."""
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


class Xlogy(Function):
    """x·log(y), 0 where x is 0 (even where y is 0), NaN where y is NaN. A subclass changes the
    log (special.xlog1py: log1p) and where its argument is 0 (pole: y = −1 there)."""

    node_name = "XlogyBackward0"
    symbol = "x·log y"
    log = staticmethod(np.log)
    pole = 0.0

    @classmethod
    def forward(cls, ctx, input, other):
        if not isinstance(input, np.ndarray):  # torch: a number x is 1, a number y is 2
            ctx.node_name = cls.node_name[:-1] + "1"
        elif not isinstance(other, np.ndarray):
            ctx.node_name = cls.node_name[:-1] + "2"
        input, other = _float_arrays(input, other)
        ctx.save_for_backward(input, other)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(input == 0, 0, input * cls.log(other))
            return np.where(np.isnan(other), np.nan, out).astype(out.dtype)

    @classmethod
    def backward(cls, ctx, grad):
        input, other = ctx.saved_tensors
        # torch's: grad·log y (0 where x = 0 and y at or below the pole); x / (y − pole)
        need = ctx.needs_input_grad
        grad_input = grad_other = None
        if need[0]:
            flat = (input._data == 0) & (other._data <= cls.pole)  # a constant mask
            grad_input = where(flat, 0.0, cls.apply(grad, other))
        if need[1]:
            grad_other = grad * input / (other - cls.pole if cls.pole else other)
        return grad_input, grad_other


def xlogy(input, other):
    """input · log(other), taken as 0 where input is 0 (entropy terms: 0·log 0 = 0)."""
    return Xlogy.apply(input, other)


class Copysign(Function):
    """|input| with the sign of other; the gradient for input is ±1 (0 where input is 0) and
    other's is 0, as torch."""

    node_name = "CopysignBackward0"
    symbol = "copysign"
    array_backward = True
    broadcasts = "copysign"

    @staticmethod
    def forward(ctx, input, other):
        if not isinstance(other, np.ndarray):
            ctx.node_name = "CopysignBackward1"
        input, other = promote(input, other, divide=True)
        out = np.copysign(input, other)
        if ctx.needs_input_grad[0]:  # out / input, 0 where input is 0: piecewise constant
            flipped = np.where(input == 0, 0, np.where(np.signbit(out) == np.signbit(input), 1, -1))
            ctx.save_for_backward(flipped.astype(out.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        grad_input = grad * ctx.saved_tensors[0] if need[0] else None
        return grad_input, grad * 0.0 if need[1] else None


def copysign(input, other):
    """The magnitude of input with the sign of other (a tensor or a number)."""
    return Copysign.apply(input, other)


class Logit(Function):
    """log(p / (1 − p)), p clamped to [eps, 1 − eps] when eps is given. Gradient
    1 / (p(1 − p)): NaN outside [0, 1] without eps, 0 where eps clamped p (torch's)."""

    node_name = "LogitBackward0"
    symbol = "logit"

    @staticmethod
    def forward(ctx, input, eps):
        input = _floating(input)
        ctx.save_for_backward(input)
        p = input if eps is None else np.clip(input, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(p / (1 - p))

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        eps = ctx.options["eps"]
        data = input._data  # the mask is constant: a NumPy array
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = grad / (input * (1 - input))
            if eps is None:
                return where((data < 0) | (data > 1), np.nan, slope)
            return where((data < eps) | (data > 1 - eps), 0.0, slope)


def logit(input, eps=None):
    """The inverse of sigmoid, log(p / (1 − p)); eps clamps p to [eps, 1 − eps] first."""
    return Logit.apply(input, eps=None if eps is None else float(eps))


class Sinc(Function):
    """sin(πx) / (πx), 1 at 0."""

    node_name = "SincBackward0"
    symbol = "sinc"

    @staticmethod
    def forward(ctx, input):
        input = _floating(input)
        ctx.save_for_backward(input)
        with np.errstate(invalid="ignore", over="ignore"):  # NumPy's own Python: not ours
            return np.sinc(input)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        turn = x * math.pi  # torch's formula: (πx cos πx − sin πx) / (πx²), 0 at 0
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (turn * turn.cos() - turn.sin()) / (turn * x)
            return grad * where(x._data == 0, 0.0, slope)


def sinc(input):
    """The normalised sinc, sin(πx) / (πx), with sinc(0) = 1."""
    return Sinc.apply(input)


class Ldexp(Function):
    """input · 2 ** other."""

    node_name = "LdexpBackward0"
    symbol = "ldexp"
    array_backward = True
    broadcasts = "ldexp"

    @staticmethod
    def forward(ctx, input, other):
        input, other = _float_arrays(input, other)
        out = input * np.exp2(other)
        need = ctx.needs_input_grad
        ctx.save_for_backward(other if need[0] else None, out if need[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        other, out = ctx.saved_tensors
        need = ctx.needs_input_grad  # d/dx: 2^y; d/dy: x · 2^y · ln 2
        grad_input = grad * 2.0**other if need[0] else None
        return grad_input, grad * out * math.log(2) if need[1] else None


def ldexp(input, other):
    """input · 2 ** other (other is usually an integer tensor)."""
    return Ldexp.apply(input, other)


class Degrees(Function):
    """Degrees to radians (× π/180) or back (× 180/π)."""

    node_name = "Deg2RadBackward0"
    symbol = "°"
    array_backward = True

    @staticmethod
    def forward(ctx, input, to_radians):
        ctx.node_name = "Deg2RadBackward0" if to_radians else "Rad2DegBackward0"
        return _floating(input) * _degree_factor(to_radians)

    @staticmethod
    def backward(ctx, grad):
        return grad * _degree_factor(ctx.options["to_radians"])


def _degree_factor(to_radians: bool) -> float:
    return math.pi / 180 if to_radians else 180 / math.pi


def deg2rad(input):
    """Degrees to radians."""
    return Degrees.apply(input, to_radians=True)


def rad2deg(input):
    """Radians to degrees."""
    return Degrees.apply(input, to_radians=False)


def float_power(input, exponent):
    """input ** exponent computed in float64, as torch (both converted first: ToCopyBackward0
    under the PowBackward node)."""
    base = input.double() if isinstance(input, Tensor) else float(input)
    power = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return base**power


def heaviside(input, values):
    """The step function: 0 where input < 0, values where input == 0, 1 where input > 0.
    torch gives it no derivative: a NotImplemented node that refuses backward."""
    if input.dtype != values.dtype:
        raise DtypeError(
            f"heaviside: input and values must have one dtype, got {input.dtype} and "
            f"{values.dtype} (torch does not implement mixed dtypes). Convert one, e.g. "
            "values.to(input.dtype)."
        )
    return NoDerivative.apply(input, values, fn=_step, op="heaviside")


def _step(input, values):
    return np.where(input == 0, values, input > 0).astype(input.dtype)


def _float_arrays(input, other):
    """Both operands as float arrays of torch's result dtype: integers as the default float,
    a Python number as the other operand's dtype (NumPy would widen a float32 by np.log(2.0))."""
    input, other = promote(input, other, divide=True)
    if not isinstance(input, np.ndarray):
        input = np.asarray(input, other.dtype)
    elif not isinstance(other, np.ndarray):
        other = np.asarray(other, input.dtype)
    dtype = np.result_type(input, other)
    return input.astype(dtype, copy=False), other.astype(dtype, copy=False)


def _floating(array):
    """An integer or bool array as the default float dtype (torch's result dtype)."""
    return array if array.dtype.kind in "fc" else promote(array, 1.0)[0]


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor._constant(np.asarray(x, dtype=np.float32))
