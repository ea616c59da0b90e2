"""torch.special's orthogonal polynomials of integer degree n: chebyshev_polynomial_t/u/v/w,
their shifted forms on [0, 1], hermite_polynomial_h/he, laguerre_polynomial_l and
legendre_polynomial_p, as torch computes them (aten/src/ATen/native/Math.h): the three-term
recurrence in the input's dtype (with the fused multiply-adds of torch's compiled loops),
with torch's special cases taken first. n < 0 gives 0; the
Chebyshev polynomials are exact at the ends of their interval and, for larger n inside it,
trigonometric (T_n(cos θ) = cos nθ, ...); Hermite's are nan past n = 128 (float32) or 512
(float64). n is read as torch reads it: cast to the result's dtype, then truncated to an
integer (nan, ±inf and values past int64 become int64's minimum, so 0). torch gives them no
derivative: the results never require grad.

One difference: for x = nan and n >= 2, U, V, W, the shifted T, U, V, W, L and P give nan
here, where torch returns an uninitialized variable (its loop stops before the first step)."""

import numpy as np

from ..cpu_math import c_function
from ..dtypes import get_default_dtype, result_type
from ..function import Function
from ..grad_mode import no_grad
from ..tensor import Tensor
from .cephes import const, fma, libm

__all__ = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]


def _degrees(n: np.ndarray) -> np.ndarray:
    """static_cast<int64_t>(n) as x86 does it: truncation, and int64's minimum for nan, ±inf
    and anything out of range (torch's polynomials then give 0)."""
    if n.dtype.kind != "f":
        return n.astype(np.int64)
    inside = np.isfinite(n) & (np.abs(n) < 2.0**63)
    return np.where(inside, np.trunc(np.where(inside, n, 0)), np.iinfo(np.int64).min).astype(
        np.int64
    )


def _recurrence(p, q, n, first: int, step, stop_at_nan: bool = True):
    """The three-term recurrence p, q ← q, step(k, p, q) for k = first, ..., n per element
    (n = 0 where the recurrence is not used), stopping where q is nan when torch does:
    returns the last q, the polynomial of degree n."""
    last = int(n.max(initial=first - 1))
    for k in range(first, last + 1):
        active = k <= n
        if stop_at_nan:
            active &= ~np.isnan(q)
        if not active.any():
            break
        r = step(k, p, q)
        p, q = np.where(active, q, p), np.where(active, r, q)
    return q


def _integer(x: np.ndarray, values) -> np.ndarray:
    """An integer result (n + 1, 2n + 1, ...) converted to x's dtype, as C++'s return does."""
    return np.asarray(values).astype(x.dtype)


# --- the Chebyshev family -----------------------------------------------------------------
# per kind: the value at y = 1, at y = −1 for even n (odd: its negation), the degree past
# which the trigonometric form is used (plain, shifted), and the start of the recurrence
_ENDS = {
    "t": (lambda n: 1, lambda n: 1),
    "u": (lambda n: n + 1, lambda n: n + 1),
    "v": (lambda n: 1, lambda n: n + n + 1),
    "w": (lambda n: n + n + 1, lambda n: 1),
}
_TRIG_FROM = {"t": (6, 6), "u": (8, 6), "v": (8, 6), "w": (8, 4)}


def _first(kind: str, y: np.ndarray) -> np.ndarray:
    """The degree-1 polynomial: T₁ = y, U₁ = 2y, V₁ = 2y − 1, W₁ = 2y + 1."""
    if kind == "t":
        return y
    twice = y + y
    return twice if kind == "u" else twice - const(y, 1.0) if kind == "v" else twice + const(y, 1.0)


def _trigonometric(kind: str, y: np.ndarray, n: np.ndarray, shifted: bool) -> np.ndarray:
    """For |y| < 1, θ = arccos y: T = cos nθ, U = sin (n + 1)θ / sin θ, V = cos (n + ½)θ /
    cos ½θ, W = sin (n + ½)θ / sin ½θ, with torch's fallbacks where the divisor is 0 or 1."""
    theta = c_function("acos", y)  # torch's acos: n multiplies any last-bit difference
    nf = n.astype(y.dtype)
    if kind == "t":
        return libm(np.cos, nf * theta)
    if kind == "u":
        m = (n + 1).astype(y.dtype)
        sin = libm(np.sin, theta)
        at_end = m * libm(np.cos, m * theta) / y
        return np.where(sin != 0, libm(np.sin, m * theta) / sin, at_end)
    half = theta / const(y, 2.0)
    angle = (nf + const(y, 0.5)) * theta
    if kind == "v":
        value = libm(np.cos, angle) / libm(np.cos, half)
        end = _integer(y, np.where(n % 2 == 0, n + n + 1, -(n + n + 1)))
        return np.where(libm(np.sin, half) != 1, value, end)
    value = libm(np.sin, angle) / libm(np.sin, half)
    end = _integer(y, np.where(n % 2 == 0, 1, -1))
    if not shifted:
        end = np.where(y > 0, _integer(y, n + n + 1), end)
    return np.where(libm(np.cos, half) != 1, value, end)


def _chebyshev(kind: str, shifted: bool):
    """The kernel of T, U, V or W (shifted: of x ↦ 2x − 1)."""

    def kernel(x: np.ndarray, n: np.ndarray) -> np.ndarray:
        y = x + x - const(x, 1.0) if shifted else x
        right, left = (x == 1, x == 0) if shifted else (np.abs(x) == 1, np.abs(x) == 1)
        if not shifted:
            right, left = right & (x > 0), left & ~(x > 0)
        at_right, at_even_left = _ENDS[kind]
        end = np.where(n % 2 == 0, at_even_left(n), -at_even_left(n))
        first = _first(kind, y)
        trig = (n > _TRIG_FROM[kind][shifted]) & (np.abs(y) < 1)
        looped = np.where(trig | left | right, 0, n)  # the recurrence only where it is used
        value = _recurrence(np.ones_like(y), first, looped, 2, lambda k, p, q: fma(y + y, q, -p))
        value = np.where(n == 0, const(x, 1.0), np.where(n == 1, first, value))
        value = np.where(trig, _trigonometric(kind, np.where(trig, y, 0), n, shifted), value)
        value = np.where(left, _integer(x, end), value)
        value = np.where(right, _integer(x, np.broadcast_to(at_right(n), n.shape)), value)
        return np.where(n < 0, const(x, 0.0), value)

    return kernel


# --- Hermite, Laguerre, Legendre ----------------------------------------------------------
def _hermite_h(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """H₀ = 1, H₁ = 2x, Hₖ₊₁ = 2x Hₖ − 2k Hₖ₋₁ (torch's loop counts k in steps of 2)."""
    twice = x + x
    looped = np.where(n > _hermite_limit(x), 0, n)

    def step(k, p, q):
        return fma(twice, q, -(const(x, 2 * k - 2) * p))

    value = _recurrence(np.ones_like(x), twice, looped, 2, step, stop_at_nan=False)
    return _hermite_cases(x, n, twice, value)


def _hermite_he(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """He₀ = 1, He₁ = x, Heₖ₊₁ = x Heₖ − k Heₖ₋₁."""
    looped = np.where(n > _hermite_limit(x), 0, n)

    def step(k, p, q):
        return fma(x, q, -(const(x, k - 1) * p))

    value = _recurrence(np.ones_like(x), x, looped, 2, step, stop_at_nan=False)
    return _hermite_cases(x, n, x, value)


def _hermite_limit(x: np.ndarray) -> int:
    """The degree past which torch gives nan rather than compute (float32: 128, float64: 512)."""
    return 128 if x.dtype == np.float32 else 512


def _hermite_cases(x, n, first, value):
    """n < 0: 0; nan past _hermite_limit."""
    limit = _hermite_limit(x)
    value = np.where(n == 0, const(x, 1.0), np.where(n == 1, first, value))
    return np.where(n < 0, const(x, 0.0), np.where(n > limit, np.nan, value))


def _laguerre_l(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """L₀ = 1, L₁ = 1 − x, (k + 1) Lₖ₊₁ = (2k + 1 − x) Lₖ − k Lₖ₋₁; 1 at x = 0."""
    first = const(x, 1.0) - x

    def step(k, p, q):
        return fma(const(x, k + k) + first, q, -(const(x, k) * p)) / const(x, k + 1)

    value = _recurrence(np.ones_like(x), first, n, 2, lambda k, p, q: step(k - 1, p, q))
    value = np.where(n == 0, const(x, 1.0), np.where(n == 1, first, value))
    return np.where(n < 0, const(x, 0.0), np.where(np.abs(x) == 0, const(x, 1.0), value))


def _legendre_p(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P₀ = 1, P₁ = x, (k + 1) Pₖ₊₁ = (2k + 1) x Pₖ − k Pₖ₋₁; ±1 at x = ±1."""

    def step(k, p, q):
        return fma(const(x, k + k + 1) * x, q, -(const(x, k) * p)) / const(x, k + 1)

    value = _recurrence(np.ones_like(x), x, n, 2, lambda k, p, q: step(k - 1, p, q))
    value = np.where(n == 0, const(x, 1.0), np.where(n == 1, x, value))
    ends = np.where((x > 0) | (n % 2 == 0), const(x, 1.0), const(x, -1.0))
    value = np.where(np.abs(x) == 1, ends, value)
    return np.where(n < 0, const(x, 0.0), value)


# --- the ops ------------------------------------------------------------------------------
class _Polynomial(Function):
    """kernel(x, n) in the result's float dtype, no gradient."""

    @staticmethod
    def forward(ctx, x, n, kernel, dtype):
        x, n = np.broadcast_arrays(np.asarray(x), np.asarray(n))
        degrees = _degrees(n.astype(dtype))
        with np.errstate(all="ignore"):  # inf and nan where torch gives them, without warnings
            return np.asarray(kernel(x.astype(dtype), degrees), dtype=dtype)


def _apply(kernel, input, n, name: str):
    """x and n broadcast, their result dtype (integers: the default float); torch marks both
    non_differentiable, so the result does not require grad."""
    if not isinstance(input, Tensor) and not isinstance(n, Tensor):
        raise TypeError(
            f"{name}(): takes a Tensor and a Tensor or a number, got {type(input).__name__} "
            f"and {type(n).__name__} (as torch). Wrap one first: torch.tensor(x)."
        )
    dtype = result_type(input, n).dtype
    if dtype.kind in "biu":
        dtype = get_default_dtype().dtype
    elif dtype.kind != "f" or dtype.itemsize < 4:
        raise NotImplementedError(
            f"{name}: not implemented for {dtype} (as in torch, which computes it for float32 "
            "and float64, integers as float32). Convert first, e.g. t.float()."
        )
    with no_grad():
        return _Polynomial.apply(input, n, kernel=kernel, dtype=dtype)


def chebyshev_polynomial_t(input, n):
    """The Chebyshev polynomial of the first kind Tₙ(input)."""
    return _apply(_chebyshev("t", False), input, n, "chebyshev_polynomial_t")


def chebyshev_polynomial_u(input, n):
    """The Chebyshev polynomial of the second kind Uₙ(input)."""
    return _apply(_chebyshev("u", False), input, n, "chebyshev_polynomial_u")


def chebyshev_polynomial_v(input, n):
    """The Chebyshev polynomial of the third kind Vₙ(input)."""
    return _apply(_chebyshev("v", False), input, n, "chebyshev_polynomial_v")


def chebyshev_polynomial_w(input, n):
    """The Chebyshev polynomial of the fourth kind Wₙ(input)."""
    return _apply(_chebyshev("w", False), input, n, "chebyshev_polynomial_w")


def shifted_chebyshev_polynomial_t(input, n):
    """Tₙ(2 input − 1): the first kind on [0, 1]."""
    return _apply(_chebyshev("t", True), input, n, "shifted_chebyshev_polynomial_t")


def shifted_chebyshev_polynomial_u(input, n):
    """Uₙ(2 input − 1): the second kind on [0, 1]."""
    return _apply(_chebyshev("u", True), input, n, "shifted_chebyshev_polynomial_u")


def shifted_chebyshev_polynomial_v(input, n):
    """Vₙ(2 input − 1): the third kind on [0, 1]."""
    return _apply(_chebyshev("v", True), input, n, "shifted_chebyshev_polynomial_v")


def shifted_chebyshev_polynomial_w(input, n):
    """Wₙ(2 input − 1): the fourth kind on [0, 1]."""
    return _apply(_chebyshev("w", True), input, n, "shifted_chebyshev_polynomial_w")


def hermite_polynomial_h(input, n):
    """The physicists' Hermite polynomial Hₙ(input)."""
    return _apply(_hermite_h, input, n, "hermite_polynomial_h")


def hermite_polynomial_he(input, n):
    """The probabilists' Hermite polynomial Heₙ(input)."""
    return _apply(_hermite_he, input, n, "hermite_polynomial_he")


def laguerre_polynomial_l(input, n):
    """The Laguerre polynomial Lₙ(input)."""
    return _apply(_laguerre_l, input, n, "laguerre_polynomial_l")


def legendre_polynomial_p(input, n):
    """The Legendre polynomial Pₙ(input)."""
    return _apply(_legendre_p, input, n, "legendre_polynomial_p")
