"""Special functions, in the pointwise table's form: exp2, erfc, lgamma, digamma.

NumPy has no gamma-family functions and SciPy is not a dependency: lgamma and erfc call the C
library's (Python's math module) per element, and digamma is computed here, by reflection,
the recurrence ψ(x) = ψ(x + 1) − 1/x and the asymptotic series; its derivative, the trigamma
function, the same way (torch's polygamma(1, x))."""

import math

import numpy as np

from ..dtypes import get_default_dtype
from .pointwise import Pointwise

__all__ = ["exp2", "erfc", "lgamma", "digamma"]  # the public ops: autodiff exports these


def _float_result(x: np.ndarray, values) -> np.ndarray:
    """values (float64) in x's float dtype; integer and bool inputs give the default float."""
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype().dtype
    return np.asarray(values, dtype=np.float64).astype(dtype, copy=False)


def _per_element(scalar_fn):
    """A float function of one number applied to each element, in float64."""
    each = np.frompyfunc(scalar_fn, 1, 1)

    def apply(x):
        x = np.asarray(x)
        return _float_result(x, each(x.astype(np.float64)))

    apply.__name__ = scalar_fn.__name__
    return apply


def _lgamma(x: float) -> float:
    """log|Γ(x)|; +inf at the poles (0, −1, −2, ...), as torch."""
    try:
        return math.lgamma(x)
    except ValueError:
        return math.inf


def _exp2(x):
    x = np.asarray(x)
    with np.errstate(over="ignore"):  # inf past the float's range, silently, as torch
        return np.exp2(x) if x.dtype.kind == "f" else _float_result(x, np.exp2(x))


class Exp2(Pointwise):
    node_name, symbol, array_backward = "Exp2Backward0", "2ˣ", True
    ufunc, saves = _exp2, "output"

    def gradient(grad, x, out):  # (2ˣ)' = 2ˣ ln 2
        return grad * out * math.log(2.0)


def exp2(input):
    """2 ** input."""
    return Exp2.apply(input)


class Erfc(Pointwise):
    node_name, symbol = "ErfcBackward0", "erfc"
    ufunc, saves = _per_element(math.erfc), "input"

    def gradient(grad, x, out):  # erfc' = −2/√π e^{−x²}
        return grad * (-2.0 / math.sqrt(math.pi) * (-(x * x)).exp())


def erfc(input):
    """1 − erf(x), accurate where erf(x) is near 1."""
    return Erfc.apply(input)


class Lgamma(Pointwise):
    node_name, symbol = "LgammaBackward0", "lnΓ"
    ufunc, saves = _per_element(_lgamma), "input"

    def gradient(grad, x, out):  # (ln Γ)' = ψ
        return grad * digamma(x)


def lgamma(input):
    """log |Γ(x)|."""
    return Lgamma.apply(input)


# ψ(y) ~ ln y − 1/(2y) − Σ B₂ₖ/(2k y²ᵏ) and ψ'(y) ~ 1/y + 1/(2y²) + Σ B₂ₖ/y²ᵏ⁺¹ for y >= 10,
# where the next term is below 1e-16 of the sum (B₂ₖ: the Bernoulli numbers)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_LARGE = 10.0


def _shifted(x: np.ndarray, each_step):
    """x moved up to >= _LARGE by the recurrence: (y, the sum of each_step(y) on the way)."""
    y, acc = x.copy(), np.zeros_like(x)
    small = y < _LARGE
    while small.any():
        acc[small] += each_step(y[small])
        y[small] += 1.0
        small = y < _LARGE
    return y, acc


def _digamma_float64(x: np.ndarray) -> np.ndarray:
    reflect = x < 0.5  # ψ(x) = ψ(1 − x) − π / tan(πx)
    y, acc = _shifted(np.where(reflect, 1.0 - x, x), lambda y: -1.0 / y)
    z = 1.0 / (y * y)
    series = sum(b / (2 * k) * z**k for k, b in enumerate(_BERNOULLI, start=1))
    out = acc + np.log(y) - 0.5 / y - series
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(reflect, out - math.pi / np.tan(math.pi * x), out)
    poles = (x <= 0) & (x == np.floor(x))
    return np.where(poles, np.where(x == 0, -np.inf, np.nan), out)  # torch: −inf at 0


def _trigamma_float64(x: np.ndarray) -> np.ndarray:
    reflect = x < 0.5  # ψ'(x) = π² / sin²(πx) − ψ'(1 − x)
    y, acc = _shifted(np.where(reflect, 1.0 - x, x), lambda y: 1.0 / (y * y))
    z = 1.0 / (y * y)
    series = sum(b * z**k for k, b in enumerate(_BERNOULLI, start=1)) / y
    out = acc + 1.0 / y + 0.5 * z + series
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(reflect, (math.pi / np.sin(math.pi * x)) ** 2 - out, out)
    return np.where((x <= 0) & (x == np.floor(x)), np.inf, out)


def _special(float64_fn):
    def apply(x):
        x = np.asarray(x)
        return _float_result(x, float64_fn(np.asarray(x, dtype=np.float64)))

    return apply


class Digamma(Pointwise):
    node_name, symbol = "DigammaBackward0", "ψ"
    ufunc, saves = _special(_digamma_float64), "input"

    def gradient(grad, x, out):  # ψ' = polygamma(1, x)
        return grad * Trigamma.apply(x)


def digamma(input):
    """ψ(x) = d/dx ln Γ(x): −inf at 0, nan at the negative integers, as torch."""
    return Digamma.apply(input)


class Trigamma(Pointwise):
    """polygamma(1, x): digamma's derivative (torch records PolygammaBackward0)."""

    node_name, symbol = "PolygammaBackward0", "ψ′"
    ufunc, saves = _special(_trigamma_float64), "input"

    def gradient(grad, x, out):
        raise NotImplementedError(
            "digamma: the third derivative of lgamma (polygamma(2, x)) is not implemented. "
            "Differentiate digamma at most once."
        )
