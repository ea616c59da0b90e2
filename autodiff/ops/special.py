"""Special functions, in the pointwise table's form: exp2, erfc, erfinv, lgamma, digamma; and
polygamma and mvlgamma, which take an order.

NumPy has no gamma-family functions and SciPy is not a dependency: lgamma and erfc call the C
library's (Python's math module) per element, and digamma is computed here, by reflection,
the recurrence ψ(x) = ψ(x + 1) − 1/x and the asymptotic series; its derivative, the trigamma
function, the same way (torch's polygamma(1, x))."""

import functools
import math

import numpy as np

from ..dtypes import get_default_dtype
from ..errors import ArgumentError
from ..function import Function
from .math import Xlogy
from .pointwise import Pointwise, erf

# the public ops: autodiff exports these
__all__ = ["exp2", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma"]


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
        return np.exp2(x) if x.dtype.kind in "fc" else _float_result(x, np.exp2(x))


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


# erfinv's first guess: Giles's polynomial approximations of erfinv(x) / x in w = −ln(1 − x²)
# (M. Giles, "Approximating the erfinv function", 2010), good to about 1e-7 relative
_GILES_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def _erfinv(x: float) -> float:
    """erf⁻¹(x) in float64: Giles's guess, then Newton steps on erf (on erfc near ±1, where
    1 − |x| keeps the digits erf would lose); ±inf at ±1, nan outside [−1, 1], as torch."""
    if not -1.0 < x < 1.0:
        return math.copysign(math.inf, x) if abs(x) == 1.0 else math.nan
    w = -math.log((1.0 - x) * (1.0 + x))
    coefficients, w = (_GILES_CENTRAL, w - 2.5) if w < 5.0 else (_GILES_TAIL, math.sqrt(w) - 3)
    p = 0.0
    for c in coefficients:
        p = p * w + c
    y, tail = abs(p * x), abs(x) > 0.5
    for _ in range(6):  # Newton: each step doubles the correct digits (erf' = 2/√π e^{−y²});
        slope = 2.0 / math.sqrt(math.pi) * math.exp(-y * y)
        if tail:  # on log erfc, nearly a parabola, so a far guess converges as fast
            rest = math.erfc(y)
            step = (math.log(rest) - math.log1p(-abs(x))) * rest / slope
        else:
            step = (abs(x) - math.erf(y)) / slope
        y += step
        if abs(step) <= 1e-16 * y:
            break
    return math.copysign(y, x)


class Erfinv(Pointwise):
    node_name, symbol = "ErfinvBackward0", "erf⁻¹"
    ufunc, saves, quiet = _per_element(_erfinv), "output", True  # nan outside [−1, 1]

    def gradient(grad, x, out):  # (erf⁻¹)' = √π/2 e^{erf⁻¹(x)²}
        return grad * (math.sqrt(math.pi) / 2.0 * (out * out).exp())


def erfinv(input):
    """The inverse error function: erf(erfinv(x)) = x on (−1, 1)."""
    return Erfinv.apply(input)


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
        return grad * Polygamma.apply(x, n=1)


def digamma(input):
    """ψ(x) = d/dx ln Γ(x): −inf at 0, nan at the negative integers, as torch."""
    return Digamma.apply(input)


def _polygamma_float64(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! ζ(n + 1, x) for n >= 2: the Hurwitz zeta's terms (x + k)⁻ˢ until
    x + k is large, then its Euler–Maclaurin tail y¹⁻ˢ/(s − 1) + y⁻ˢ/2 + Σ B₂ₖ (s)₂ₖ₋₁ /
    (2k)! y⁻ˢ⁻²ᵏ⁺¹; (−1)ⁿ⁺¹ inf at the poles 0, −1, −2, ..."""
    s = n + 1
    poles = (x <= 0) & (x == np.floor(x))
    start = np.where(poles, 1.0, x)
    y, acc = start.copy(), np.zeros_like(start)
    small = y < _LARGE + n
    while small.any():
        acc[small] += y[small] ** -s
        y[small] += 1.0
        small = y < _LARGE + n
    tail = y ** (1 - s) / (s - 1) + 0.5 * y**-s
    rising = float(s)  # (s)₂ₖ₋₁ = s (s + 1) ... (s + 2k − 2)
    for k, b in enumerate(_BERNOULLI, start=1):
        tail += b / math.factorial(2 * k) * rising * y ** (-s - 2 * k + 1)
        rising *= (s + 2 * k - 1) * (s + 2 * k)
    sign = -1.0 if n % 2 == 0 else 1.0
    return np.where(poles, sign * np.inf, sign * math.factorial(n) * (acc + tail))


_POLYGAMMA = {0: _digamma_float64, 1: _trigamma_float64}


class Polygamma(Function):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (torch records PolygammaBackward0 for every n)."""

    node_name, symbol = "PolygammaBackward0", "ψ⁽ⁿ⁾"

    @staticmethod
    def forward(ctx, input, n):
        ctx.save_for_backward(input)
        values = _POLYGAMMA.get(n, functools.partial(_polygamma_float64, n))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _special(values)(input)

    @staticmethod
    def backward(ctx, grad):  # (ψ⁽ⁿ⁾)' = ψ⁽ⁿ⁺¹⁾
        (input,) = ctx.saved_tensors
        return grad * Polygamma.apply(input, n=ctx.options["n"] + 1)


def polygamma(n: int, input):
    """ψ⁽ⁿ⁾(input): digamma for n = 0, its derivatives for n >= 1."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ArgumentError(
            f"polygamma: polygamma(n, x) does not support negative n (got n={n!r}). n is the "
            "order of the derivative of digamma: 0, 1, 2, ..."
        )
    return Polygamma.apply(input, n=int(n))


class Mvlgamma(Function):
    """log of the multivariate gamma function: Σᵢ ln|Γ(x − i/2)| + p(p − 1)/4 ln π, i < p;
    torch 2.13 no longer refuses x <= (p − 1)/2 (inf at the poles, log|Γ| between them)."""

    node_name, symbol = "MvlgammaBackward0", "lnΓₚ"

    @staticmethod
    def forward(ctx, input, p):
        ctx.save_for_backward(input)
        x = np.asarray(input, dtype=np.float64)
        terms = sum(_per_element(_lgamma)(x - i / 2) for i in range(p))
        return _float_result(np.asarray(input), terms + p * (p - 1) / 4 * math.log(math.pi))

    @staticmethod
    def backward(ctx, grad):  # d/dx = Σᵢ ψ(x − i/2)
        (input,) = ctx.saved_tensors
        return grad * sum(digamma(input - i / 2) for i in range(ctx.options["p"]))


def mvlgamma(input, p: int):
    """The log of the multivariate gamma function of dimension p >= 1."""
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ArgumentError(f"mvlgamma: p has to be greater than or equal to 1, got {p!r}")
    return Mvlgamma.apply(input, p=int(p))


# --- torch.special's own: entropy, the normal distribution's functions, xlog1py -----------------
# (autodiff.special exports them; torch has no top-level names for them)


def _entr(x):
    x = np.asarray(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0.0, -np.inf))
    return _float_result(x, np.where(np.isnan(x), np.nan, values))


class Entr(Pointwise):
    node_name, symbol = "SpecialEntrBackward0", "−x ln x"
    ufunc, saves, quiet = _entr, "input", True

    def gradient(grad, x, out):  # (−x ln x)' = −(1 + ln x)
        return grad * -(1 + x.log())


def entr(input):
    """−x ln x elementwise (0 at 0, −inf below 0): the terms of an entropy."""
    return Entr.apply(input)


_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _erfcx(x: float) -> float:
    """exp(x²) erfc(x) without overflow: directly while erfc keeps its digits (x < 26), then
    the asymptotic series 1/(x√π) Σ (−1)ᵏ (2k − 1)!! / (2x²)ᵏ (terms below 1e-17 by k = 8)."""
    if x < 26.0:
        return math.exp(x * x) * math.erfc(x) if x > -26.7 else math.inf
    z, term, total = 1.0 / (2.0 * x * x), 1.0, 1.0
    for k in range(1, 9):
        term *= -(2 * k - 1) * z
        total += term
    return total / (x * _SQRT_PI)


class Erfcx(Pointwise):
    node_name, symbol = "SpecialErfcxBackward0", "erfcx"
    ufunc, saves = _per_element(_erfcx), "input"

    def gradient(grad, x, out):  # erfcx' = 2x erfcx(x) − 2/√π
        return grad * (2 * x * Erfcx.apply(x) - 2 / _SQRT_PI)


def erfcx(input):
    """The scaled complementary error function exp(x²) erfc(x)."""
    return Erfcx.apply(input)


def _log_ndtr(x: float) -> float:
    """log Φ(x): through erfcx below −1 (Φ underflows far out), log1p of erfc above (as torch)."""
    t = x / math.sqrt(2.0)
    if x < -1.0:
        return math.log(_erfcx(-t) / 2.0) - t * t
    return math.log1p(-math.erfc(t) / 2.0)


class LogNdtr(Pointwise):
    node_name, symbol = "SpecialLogNdtrBackward0", "log Φ"
    ufunc, saves = _per_element(_log_ndtr), "input"

    def gradient(grad, x, out):  # (log Φ)' = φ(x) / Φ(x) = exp(−x²/2 − log Φ(x)) / √(2π)
        return grad * ((-0.5 * x * x - LogNdtr.apply(x)).exp() / _SQRT_2PI)


def log_ndtr(input):
    """log of the standard normal distribution function, accurate far in its lower tail."""
    return LogNdtr.apply(input)


def _ndtri(p: float) -> float:
    """Φ⁻¹(p): the lower half by Newton's method on log Φ (concave, so the steps from the
    left never overshoot), from √2 erfinv(2p − 1) or, where 2p − 1 rounds to −1, the tail's
    −√(−2 ln p); the upper half by symmetry. ±inf at 0 and 1, nan outside, as torch."""
    if not 0.0 < p < 1.0:
        return -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
    if p > 0.5:
        return -_ndtri(1.0 - p)
    x = math.sqrt(2.0) * _erfinv(2.0 * p - 1.0)
    if not math.isfinite(x):
        x = -math.sqrt(-2.0 * math.log(p))
    target = math.log(p)
    for _ in range(100):
        value = _log_ndtr(x)
        step = (target - value) / math.exp(-0.5 * x * x - value) * _SQRT_2PI
        x += step
        if abs(step) <= 1e-16 * max(1.0, abs(x)):
            break
    return x


class Ndtri(Pointwise):
    node_name, symbol = "SpecialNdtriBackward0", "Φ⁻¹"
    ufunc, saves, quiet = _per_element(_ndtri), "output", True

    def gradient(grad, x, out):  # (Φ⁻¹)' = 1 / φ(Φ⁻¹(p)) = √(2π) exp(out²/2)
        return grad * (_SQRT_2PI * (0.5 * out * out).exp())


def ndtri(input):
    """The inverse of the standard normal distribution function (its quantile function)."""
    return Ndtri.apply(input)


def ndtr(input):
    """Φ(x), the standard normal distribution function: (1 + erf(x/√2)) / 2, as torch
    composes it."""
    return (1 + erf(input * (1 / math.sqrt(2.0)))) * 0.5


class Xlog1py(Xlogy):
    """x·log(1 + y), 0 where x is 0 (even where y is −1), NaN where y is NaN (as xlogy)."""

    node_name, symbol = "SpecialXlog1PyBackward0", "x·log(1+y)"
    log = staticmethod(np.log1p)
    pole = -1.0


def xlog1py(input, other):
    """input · log(1 + other), taken as 0 where input is 0."""
    return Xlog1py.apply(input, other)
