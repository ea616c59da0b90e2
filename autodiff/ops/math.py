"""Elementwise math that NumPy has: trigonometric, hyperbolic, logs and powers, erf, rounding."""

import math

import numpy as np

from ..function import Function
from ..tensor import Tensor

__all__ = [
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "log2",
    "log10",
    "log1p",
    "expm1",
    "square",
    "reciprocal",
    "rsqrt",
    "erf",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "atan2",
]  # the public ops: autodiff exports these


class Sin(Function):
    node_name = "SinBackward0"
    symbol = "sin"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.sin(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad * input.cos()


def sin(input):
    """Elementwise sine."""
    return Sin.apply(input)


class Cos(Function):
    node_name = "CosBackward0"
    symbol = "cos"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.cos(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return -grad * input.sin()


def cos(input):
    """Elementwise cosine."""
    return Cos.apply(input)


class Tan(Function):
    node_name = "TanBackward0"
    symbol = "tan"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        out = np.tan(input)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 + out * out)  # tan' = 1 + tan²


def tan(input):
    """Elementwise tangent."""
    return Tan.apply(input)


class Asin(Function):
    node_name = "AsinBackward0"
    symbol = "asin"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        with np.errstate(invalid="ignore"):  # nan outside [-1, 1], as torch
            return np.arcsin(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (1 - input * input).sqrt()


def asin(input):
    """Elementwise arcsine (nan outside [-1, 1])."""
    return Asin.apply(input)


class Acos(Function):
    node_name = "AcosBackward0"
    symbol = "acos"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        with np.errstate(invalid="ignore"):
            return np.arccos(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return -grad / (1 - input * input).sqrt()


def acos(input):
    """Elementwise arccosine (nan outside [-1, 1])."""
    return Acos.apply(input)


class Atan(Function):
    node_name = "AtanBackward0"
    symbol = "atan"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.arctan(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (1 + input * input)


def atan(input):
    """Elementwise arctangent."""
    return Atan.apply(input)


class Sinh(Function):
    node_name = "SinhBackward0"
    symbol = "sinh"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.sinh(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad * input.cosh()


def sinh(input):
    """Elementwise hyperbolic sine."""
    return Sinh.apply(input)


class Cosh(Function):
    node_name = "CoshBackward0"
    symbol = "cosh"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.cosh(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad * input.sinh()


def cosh(input):
    """Elementwise hyperbolic cosine."""
    return Cosh.apply(input)


class Asinh(Function):
    node_name = "AsinhBackward0"
    symbol = "asinh"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return np.arcsinh(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (input * input + 1).sqrt()


def asinh(input):
    """Elementwise inverse hyperbolic sine."""
    return Asinh.apply(input)


class Log2(Function):
    node_name = "Log2Backward0"
    symbol = "log₂"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (input * math.log(2.0))


def log2(input):
    """Elementwise base-2 logarithm."""
    return Log2.apply(input)


class Log10(Function):
    node_name = "Log10Backward0"
    symbol = "log₁₀"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (input * math.log(10.0))


def log10(input):
    """Elementwise base-10 logarithm."""
    return Log10.apply(input)


class Log1p(Function):
    node_name = "Log1PBackward0"
    symbol = "log1p"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad / (input + 1)


def log1p(input):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(input)


class Expm1(Function):
    node_name = "Expm1Backward0"
    symbol = "expm1"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        out = np.expm1(input)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


def expm1(input):
    """exp(x) − 1, accurate for small x."""
    return Expm1.apply(input)


def square(input):
    """x², the same node as x ** 2 (PowBackward0), as torch."""
    return input**2


class Reciprocal(Function):
    node_name = "ReciprocalBackward0"
    symbol = "1/x"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        with np.errstate(divide="ignore"):
            out = np.reciprocal(input.astype(np.result_type(input, np.float32)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -grad * out * out


def reciprocal(input):
    """1 / x."""
    return Reciprocal.apply(input)


class Rsqrt(Function):
    node_name = "RsqrtBackward0"
    symbol = "1/√"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(input)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -0.5 * grad * out * out * out


def rsqrt(input):
    """1 / sqrt(x)."""
    return Rsqrt.apply(input)


class Erf(Function):
    node_name = "ErfBackward0"
    symbol = "erf"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return erf_array(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad * (_TWO_OVER_SQRT_PI * (-(input * input)).exp())  # erf' = 2/√π e^{-x²}


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_series(x: np.ndarray) -> np.ndarray:
    """Maclaurin series 2/√π Σ (-1)ⁿ x^{2n+1} / (n! (2n+1)); little cancellation for |x| < 1.5."""
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, 80):
        term *= -x2 / n
        step = term / (2 * n + 1)
        total += step
        if np.all(np.abs(step) <= 1e-17 * np.abs(total)):
            break
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x ≥ 1.5 by the continued fraction e^{-x²}/√π · 1/(x + ½/(x + 1/(x + 3/2/…)))."""
    f = x.copy()
    for k in range(80, 0, -1):
        f = x + (k / 2) / f
    return np.exp(-x * x) / (math.sqrt(math.pi) * f)


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in float64 (cast back to x's dtype)."""
    a = np.asarray(x, dtype=np.float64)
    out = np.empty_like(a)
    small = np.abs(a) < 1.5
    out[small] = _erf_series(a[small])
    big = ~small
    out[big] = np.sign(a[big]) * (1.0 - _erfc_fraction(np.abs(a[big])))
    dtype = np.asarray(x).dtype
    return out.astype(dtype if dtype.kind == "f" else np.float64, copy=False)


def erf(input):
    """The error function, 2/√π ∫₀ˣ e^(−t²) dt."""
    return Erf.apply(input)


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
    return Rounding.apply(input, how="floor")


def ceil(input):
    """Smallest integer >= x (zero gradient)."""
    return Rounding.apply(input, how="ceil")


def round(input, decimals: int = 0):
    """Round half to even, as torch (zero gradient)."""
    if decimals:
        scale = 10.0**decimals
        return Rounding.apply(input * scale, how="round") / scale
    return Rounding.apply(input, how="round")


def trunc(input):
    """Round toward zero (zero gradient)."""
    return Rounding.apply(input, how="trunc")


def frac(input):
    """x − trunc(x), gradient 1 (as torch)."""
    return input - trunc(input)


class Atan2(Function):
    node_name = "Atan2Backward0"
    symbol = "atan2"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
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


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=np.float32))
