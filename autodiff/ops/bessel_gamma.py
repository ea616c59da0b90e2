"""i0 (the modified Bessel function of order 0, whose derivative is i1) and the regularized
incomplete gamma functions igamma = P(a, x) and igammac = Q(a, x) = 1 − P(a, x), computed in
float64 per element (NumPy has i0 but neither i1 nor the incomplete gamma; SciPy is not a
dependency)."""

import math

import numpy as np

from ..dtypes import promote_types
from ..errors import DtypeError
from ..function import Function
from .elementwise import where
from .pointwise import Pointwise
from .special import _float_result

__all__ = ["i0", "igamma", "igammac"]


def _numpy_i0(x: np.ndarray) -> np.ndarray:
    """np.i0, quiet: it overflows to inf (or NaN at ±inf) inside NumPy's own Python, where
    autodiff.errors' filter does not reach."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.i0(x)


def _i0(x):
    x = np.asarray(x)
    return _float_result(x, _numpy_i0(x.astype(np.float64)))


def _i1_float64(x: np.ndarray) -> np.ndarray:
    """I₁(x) = Σₖ (x/2)²ᵏ⁺¹ / (k! (k + 1)!), every term of one sign, summed until the next is
    below 1e-17 of the sum (about |x|/2 + 20 terms)."""
    half = x / 2.0
    term = half.copy()
    total = term.copy()
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while np.any(np.abs(term) > 1e-17 * np.abs(total)):
            k += 1
            term = term * half * half / (k * (k + 1))
            total = total + term
    return total


class I0(Pointwise):
    node_name, symbol = "I0Backward0", "I₀"
    ufunc, saves = _i0, "input"

    def gradient(grad, x, out):  # I₀' = I₁
        return grad * I1.apply(x)


def i0(input):
    """The modified Bessel function of the first kind of order 0."""
    return I0.apply(input)


def _i1(x):
    x = np.asarray(x)
    return _float_result(x, _i1_float64(x.astype(np.float64)))


class I1(Pointwise):
    """i0's derivative (torch.special.i1), for i0's gradient and second order."""

    node_name, symbol = "SpecialI1Backward0", "I₁"
    ufunc, saves = _i1, "input"

    def gradient(grad, x, out):  # I₁' = I₀ − I₁/x, and I₁/x = 1/2 + x²/16 + ... near 0
        tiny = x.abs() < 1e-100  # where 1/2 is exact, and denormal x would lose I₁/x's digits
        ratio = where(tiny, 0.5, I1.apply(x) / where(tiny, 1.0, x))
        return grad * (I0.apply(x) - ratio)


# --- P(a, x) and Q(a, x) ------------------------------------------------------------------------
_TINY = 1e-300


def _power_factor(a: float, x: float) -> float:
    """x^a e^{−x} / Γ(a), the factor in front of both expansions."""
    return math.exp(a * math.log(x) - x - math.lgamma(a))


def _lower_series(a: float, x: float) -> float:
    """P(a, x) = x^a e^{−x}/Γ(a) Σₙ xⁿ / (a (a + 1) ... (a + n)): for x < a + 1."""
    term = total = 1.0 / a
    n = 0
    while abs(term) > 1e-17 * abs(total):
        n += 1
        term *= x / (a + n)
        total += term
    return _power_factor(a, x) * total


def _upper_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction 1/(x + 1 − a − 1(1 − a)/(x + 3 − a − ...)), evaluated
    by Lentz's method: for x >= a + 1."""
    b = x + 1.0 - a
    c, d = 1.0 / _TINY, 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return _power_factor(a, x) * h


def _igamma(a: float, x: float, upper: bool) -> float:
    """P(a, x) (or Q with upper) as torch gives it: nan for a < 0, x < 0 or both 0; P(0, x) = 1
    for x > 0; P(a, 0) = 0; P(a, inf) = 1."""
    if math.isnan(a) or math.isnan(x) or a < 0 or x < 0 or (a == 0 and x == 0):
        return math.nan
    if a == 0 or math.isinf(x):
        lower = 1.0
    elif x == 0:
        lower = 0.0
    elif math.isinf(a):
        lower = 0.0
    elif x < a + 1.0:
        lower = _lower_series(a, x)
    else:
        q = _upper_fraction(a, x)
        return q if upper else 1.0 - q
    return 1.0 - lower if upper else lower


_P = np.frompyfunc(lambda a, x: _igamma(a, x, False), 2, 1)
_Q = np.frompyfunc(lambda a, x: _igamma(a, x, True), 2, 1)


def _check_floats(op: str, input, other) -> None:
    for t in (input, other):
        if np.asarray(t).dtype.kind != "f":
            raise DtypeError(
                f"{op}: not implemented for {np.asarray(t).dtype} ({op} takes floating tensors). "
                "Convert first, e.g. t.double()."
            )


class Igamma(Function):
    """P(a, x) (igammac: Q(a, x)); a gradient for x only, as torch."""

    node_name, symbol = "IgammaBackward0", "P"
    broadcasts = "igamma"

    @staticmethod
    def forward(ctx, input, other, upper=False):
        op = "igammac" if upper else "igamma"
        _check_floats(op, input, other)
        if upper:
            ctx.node_name = "IgammacBackward0"
        ctx.save_for_backward(input, other)
        dtype = promote_types(input.dtype, other.dtype).dtype
        a, x = np.broadcast_arrays(input.astype(np.float64), other.astype(np.float64))
        return np.asarray((_Q if upper else _P)(a, x), dtype=np.float64).astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        upper = ctx.options.get("upper", False)
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"{'igammac' if upper else 'igamma'}: the derivative for "
                f"'{'igammac' if upper else 'igamma'}: input' is not implemented (as in torch). "
                "Detach the first argument (a.detach())."
            )
        # dP/dx = x^(a−1) e^(−x) / Γ(a) = −dQ/dx
        density = (-other + (input - 1) * other.log() - input.lgamma()).exp()
        return None, (-grad if upper else grad) * density


def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other)."""
    return Igamma.apply(input, other)


def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 − P."""
    return Igamma.apply(input, other, upper=True)


# --- the exponentially scaled forms, torch.special.i0e and i1e --------------------------------
_ASYMPTOTIC = 700.0  # past here e^{−|x|} Iᵥ(x) by its asymptotic series (Iᵥ itself overflows)


def _scaled_float64(x: np.ndarray, unscaled, nu: int) -> np.ndarray:
    """e^{−|x|} Iᵥ(x) for v = 0, 1: the product below _ASYMPTOTIC, else e^{−|x|} Iᵥ(x) ~
    1/√(2π|x|) Σ (−1)ᵏ aₖ(v) / |x|ᵏ, aₖ = Πⱼ (4v² − (2j − 1)²) / (k! 8ᵏ) (odd v: x's sign)."""
    ax = np.abs(x)
    near = ax <= _ASYMPTOTIC
    out = np.empty_like(x)
    out[near] = np.exp(-ax[near]) * unscaled(x[near])
    far = ax[~near]
    term, total = np.ones_like(far), np.ones_like(far)
    for k in range(1, 8):
        term = term * -(4 * nu * nu - (2 * k - 1) ** 2) / (k * 8 * far)
        total = total + term
    values = total / np.sqrt(2 * math.pi * far)
    out[~near] = np.copysign(values, x[~near]) if nu else values
    return out


def _i0e(x):
    x = np.asarray(x)
    return _float_result(x, _scaled_float64(x.astype(np.float64), _numpy_i0, 0))


def _i1e(x):
    x = np.asarray(x)
    return _float_result(x, _scaled_float64(x.astype(np.float64), _i1_float64, 1))


class I0e(Pointwise):
    node_name, symbol = "SpecialI0EBackward0", "e⁻ˣI₀"
    ufunc, saves = _i0e, "input"

    def gradient(grad, x, out):  # (e^{−|x|} I₀)' = e^{−|x|} I₁ − sign(x) e^{−|x|} I₀
        return grad * (I1e.apply(x) - x.sign() * I0e.apply(x))


def i0e(input):
    """e^{−|x|} I₀(x): i0 without its overflow."""
    return I0e.apply(input)


class I1e(Pointwise):
    node_name, symbol = "SpecialI1EBackward0", "e⁻ˣI₁"
    ufunc, saves = _i1e, "input"

    def gradient(grad, x, out):  # e^{−|x|} (I₀ − I₁/x) − sign(x) e^{−|x|} I₁; I₁/x → 1/2 at 0
        tiny = x.abs() < 1e-100
        ratio = where(tiny, 0.5, I1e.apply(x) / where(tiny, 1.0, x))
        return grad * (I0e.apply(x) - ratio - x.sign() * I1e.apply(x))


def i1e(input):
    """e^{−|x|} I₁(x): i1 without its overflow."""
    return I1e.apply(input)


def i1(input):
    """The modified Bessel function of the first kind of order 1 (i0's derivative)."""
    return I1.apply(input)
