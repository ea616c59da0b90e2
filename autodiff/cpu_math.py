"""Float arithmetic as PyTorch's compiled CPU kernels do it, so random draws match bit for bit.

NumPy rounds after every operation, but torch's x86 wheels are built with FMA enabled and
GCC fuses `a * b + c` into one rounding; its double-precision kernels call the C library's
log/sin/cos (which NumPy's SIMD loops do not always reproduce); and its float32 Box-Muller
runs Cephes' polynomial log and sincos on eight lanes at a time (avx_mathfun.h). Each
function here gives exactly those roundings on whole arrays.
"""

import ctypes
import ctypes.util
import functools
import math
from fractions import Fraction

import numpy as np

F32 = np.float32


def fma32(a, b, c) -> np.ndarray:
    """float32 a·b + c with one rounding. a·b is exact in float64, and rounding the float64 sum
    to float32 gives the correctly rounded result unless that sum landed exactly on a tie
    between two floats (a float32 midpoint, which the exact value may lie off) or below the
    normal float32 range: only those few elements take the exact path, the float64 sum rounded
    to odd (the exact value's odd neighbour when inexact), which then rounds correctly."""
    product = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c = np.asarray(c, np.float64)
    total = product + c
    # a float32 midpoint keeps 25 significant bits: 1 and then 28 zeros in the 29 dropped bits
    tie = (total.view(np.int64) & _DROPPED) == _HALF_OF_DROPPED
    suspect = tie | (np.abs(total) < 2.0**-125)
    if suspect.any():
        product, c = np.broadcast_arrays(product, c)
        total = np.array(total, copy=True)
        total[suspect] = _round_to_odd_sum(product[suspect], c[suspect])
    return total.astype(F32)


_DROPPED = (1 << 29) - 1  # the float64 mantissa bits a float32 does not keep
_HALF_OF_DROPPED = 1 << 28


def fma64(a, b, c) -> np.ndarray:
    """float64 a·b + c with one rounding (Boldo and Melquiond's emulation: the product split
    exactly into two doubles, an exact sum, one round-to-odd addition, one rounding)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (a, b, c)))
    with np.errstate(all="ignore"):
        high, low = _two_product(a, b)
        sum_high, sum_low = _two_sum(c, high)
        result = np.array(sum_high + _round_to_odd_sum(sum_low, low))
    # the exact splits need room below and above: very small, huge or non-finite numbers
    # (never a weight's) go through exact rationals instead
    magnitudes = np.abs(np.stack([a, b, c]))
    odd = ((magnitudes != 0) & ((magnitudes < 2.0**-900) | (magnitudes > 2.0**900))).any(0)
    for i in np.flatnonzero(odd | ~np.isfinite(result)):
        result.flat[i] = _exact_fma(a.flat[i], b.flat[i], c.flat[i])
    return result


def linspace(start, end, steps: int, dtype) -> np.ndarray:
    """torch's CPU linspace: start and end rounded to the dtype, step = (end - start) / (steps
    - 1) in it, the first half start + i·step and the rest end - (steps - 1 - i)·step, each a
    fused multiply-add (torch's x86 kernel is compiled with FMA). Other dtypes: NumPy's."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64) or steps < 2:  # 1 step: [start], as torch
        return np.linspace(start, end, steps, dtype=np.float64).astype(dtype)
    start, end = dtype.type(start), dtype.type(end)
    step = (end - start) / dtype.type(steps - 1)
    index = np.arange(steps)
    first_half = index < steps // 2
    multiple = np.where(first_half, index, index - (steps - 1)).astype(dtype)
    fused = fma32 if dtype == np.float32 else fma64
    return fused(step, multiple, np.where(first_half, start, end).astype(dtype))


def _exact_fma(a, b, c) -> float:
    if not np.isfinite([a, b, c]).all():
        return a * b + c
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _two_sum(a, b):
    """s + e == a + b exactly, s the rounded sum (Knuth)."""
    s = a + b
    b_virtual = s - a
    return s, (a - (s - b_virtual)) + (b - b_virtual)


def _split(a):
    """Veltkamp's split of a double into two halves of 26 bits."""
    c = 134217729.0 * a  # 2**27 + 1
    high = c - (c - a)
    return high, a - high


def _two_product(a, b):
    """p + e == a·b exactly, p the rounded product (Dekker)."""
    p = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    return p, ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low


def _round_to_odd_sum(a, b) -> np.ndarray:
    """a + b in float64 rounded to odd: the nearest double if exact, else the neighbour of the
    exact sum whose last bit is 1."""
    s, error = _two_sum(a, b)
    even = (s.view(np.int64) & 1) == 0
    nudge = (error != 0) & even
    if not nudge.any():
        return s
    return np.where(nudge, np.nextafter(s, np.where(error > 0, np.inf, -np.inf)), s)


def libm(fn, x: np.ndarray) -> np.ndarray:
    """The C library's double function (math.log, math.cos, ...) on every element: the one
    torch's double kernels call, which NumPy's vector loops can differ from in the last bit."""
    if x.size == 0:
        return np.empty(x.shape, np.float64)
    return np.frompyfunc(fn, 1, 1)(x).astype(np.float64)


def c_function(name: str, *arrays: np.ndarray) -> np.ndarray:
    """The C library's function `name` (acos, pow, ...) on every element, in the arrays'
    float dtype: acosf/powf for float32, acos/pow for float64, as torch's scalar kernels call
    them (nan or inf outside the domain, as C gives). NumPy's loops for these are the C
    library's only on some machines: with AVX-512 they are vector routines (SVML) that differ
    in the last bit, which a large degree or exponent then multiplies. Element by element, so
    for the few ops that need it."""
    dtype = np.result_type(*arrays)
    fn = _c_library(name, dtype == np.float32, len(arrays))
    wide = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in arrays))  # exact
    if wide[0].size == 0:
        return np.empty(wide[0].shape, dtype)
    return np.frompyfunc(fn, len(wide), 1)(*wide).astype(dtype)


@functools.cache
def _c_library(name: str, single: bool, arity: int):
    """The C library's `name` (single: `name`f) through ctypes, else NumPy's (no C library)."""
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name + "f" * single)
    except (OSError, AttributeError, TypeError):
        ufunc, dtype = getattr(np, _NUMPY_NAMES.get(name, name)), np.float32 if single else float
        return lambda *a: ufunc(*map(dtype, a))
    kind = ctypes.c_float if single else ctypes.c_double
    fn.restype, fn.argtypes = kind, [kind] * arity
    return fn


_NUMPY_NAMES = {"acos": "arccos", "pow": "power"}


# Cephes' single-precision constants, as avx_mathfun.h spells them
_LOG_POLY = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)
_LOG_Q1, _LOG_Q2 = F32(-2.12194440e-4), F32(0.693359375)
_SQRT_HALF = F32(0.707106781186547524)
_MIN_NORMAL = F32(np.finfo(np.float32).tiny)
_FOUR_OVER_PI = F32(1.27323954473516)
_PI_PARTS = (F32(-0.78515625), F32(-2.4187564849853515625e-4), F32(-3.77489497744594108e-8))
_SIN_POLY = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_COS_POLY = (2.443315711809948e-005, -1.388731625493765e-003, 4.166664568298827e-002)


def _horner(coefficients, x):
    """Fused Horner steps, as GCC contracts them."""
    y = np.full_like(x, F32(coefficients[0]))
    for c in coefficients[1:]:
        y = fma32(y, x, F32(c))
    return y


def cephes_log(x: np.ndarray) -> np.ndarray:
    """float32 natural log as avx_mathfun's log256_ps, fused where GCC fuses (x > 0 here)."""
    x = np.maximum(x.astype(F32), _MIN_NORMAL)
    bits = x.view(np.int32)
    exponent = ((bits >> 23) - 0x7F).astype(F32) + F32(1)
    mantissa = ((bits & ~0x7F800000) | F32(0.5).view(np.int32)).view(F32)  # in [0.5, 1)
    small = mantissa < _SQRT_HALF  # then use 2m - 1 and one less exponent
    exponent = exponent - small.astype(F32)
    m = (mantissa - F32(1)) + np.where(small, mantissa, F32(0))
    z = m * m
    y = _horner(_LOG_POLY, m) * m
    y = fma32(y, z, exponent * _LOG_Q1)
    y = y - z * F32(0.5)
    return fma32(exponent, _LOG_Q2, m + y)


def cephes_sincos(x: np.ndarray):
    """float32 (sin x, cos x) as avx_mathfun's sincos256_ps, fused where GCC fuses."""
    x = x.astype(F32)
    sin_negative = np.signbit(x)
    x = np.abs(x)
    octant = ((x * _FOUR_OVER_PI).astype(np.int32) + 1) & ~1
    y = octant.astype(F32)
    for part in _PI_PARTS:  # x - y·π/4 in three exact-ish steps
        x = fma32(y, part, x)
    sin_negative ^= (octant & 4) != 0
    cos_negative = (~(octant - 2) & 4) != 0
    use_sin_poly = (octant & 2) == 0
    z = x * x
    cos_poly = _horner(_COS_POLY, z) * z
    cos_poly = fma32(cos_poly, z, -(z * F32(0.5))) + F32(1)
    sin_poly = fma32(_horner(_SIN_POLY, z) * z, x, x)
    sin = np.where(use_sin_poly, sin_poly, cos_poly)
    cos = np.where(use_sin_poly, cos_poly, sin_poly)
    return np.where(sin_negative, -sin, sin), np.where(cos_negative, -cos, cos)


TWO_PI = 2.0 * math.pi
