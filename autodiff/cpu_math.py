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

import ml_dtypes
import numpy as np

F32 = np.float32
_NARROW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))  # torch computes them in float32


def fma(a, b, c, out=None) -> np.ndarray:
    """a·b + c rounded once, in the result's dtype (out's, else NumPy's promotion of the
    operands, Python numbers weak): what torch's kernels compute wherever GCC fuses a product
    and a sum. float16 and bfloat16 compute in float32 and round once more, as torch's kernels
    do in their float32 "opmath"; integers and complex numbers have no fused form (a·b + c)."""
    dtype = out.dtype if out is not None else np.result_type(a, b, c)
    if dtype == np.float32:
        return fma32(a, b, c, out)
    if dtype == np.float64:
        return fma64(a, b, c, out)
    if dtype in _NARROW:
        wide = fma32(*(np.asarray(x, F32) if isinstance(x, np.ndarray) else x for x in (a, b, c)))
        return _rounded(wide, np.empty(wide.shape, dtype) if out is None else out)
    if out is None:
        return np.asarray(a * b + c, dtype)
    np.add(np.multiply(a, b), c, out=out, casting="unsafe")
    return out


def fma32(a, b, c, out=None) -> np.ndarray:
    """float32 a·b + c with one rounding. a·b is exact in float64, and rounding the float64 sum
    to float32 gives the correctly rounded result unless that sum landed exactly on a tie
    between two floats (a float32 midpoint, normal or subnormal, which the exact value may lie
    off): only those few elements take the exact path, the float64 sum rounded to odd (the
    exact value's odd neighbour when inexact), which then rounds correctly."""
    return _chunked(_fma32_chunk, np.float32, a, b, c, out, _FMA32_SCRATCH)


def _fma32_chunk(a, b, c, out, scratch) -> None:
    wide, addend, bits, maybe = scratch
    np.multiply(_wide(a, wide), _wide(b, addend), out=wide)  # exact: 24 + 24 bits
    np.add(wide, _wide(c, addend), out=wide)
    # Rounding the float64 sum again can only go wrong where it lies on a float32 midpoint: 1
    # and then zeros in the bits a float32 drops (29 of them, more below the normal range).
    # Its low 28 bits are zero then: test that, then look closer at those few.
    np.bitwise_and(wide.view(np.int64), _LOW_28, out=bits)
    np.equal(bits, 0, out=maybe)
    exact = None
    if maybe.any():
        index = np.flatnonzero(maybe)
        sums = wide[index]
        index = index[sums.astype(F32) != sums]  # a sum that is a float32 is exact
        a, b, c = (x if x.ndim == 0 else x[index] for x in (a, b, c))  # before out (an input?)
        product = np.broadcast_to(np.multiply(a, b, dtype=np.float64), index.shape)
        exact = _round_to_odd_sum(product, np.broadcast_to(np.float64(c), index.shape))
    np.copyto(out, wide, casting="same_kind")
    if exact is not None:
        out[index] = exact


def _wide(x, scratch) -> np.ndarray:
    """x as float64: the number itself, or its values copied into scratch."""
    if x.ndim == 0:
        return x
    np.copyto(scratch, x)
    return scratch


_CHUNK = 1 << 15  # elements per pass: each pass's float64 scratch stays in the core's cache
_FMA32_SCRATCH = (np.float64, np.float64, np.int64, np.bool_)
_LOW_28 = (1 << 28) - 1


def fma64(a, b, c, out=None) -> np.ndarray:
    """float64 a·b + c with one rounding (Boldo and Melquiond's emulation: the product split
    exactly into two doubles, an exact sum, one round-to-odd addition, one rounding)."""
    return _chunked(_fma64_chunk, np.float64, a, b, c, out, ())


def _fma64_chunk(a, b, c, out, scratch) -> None:
    with np.errstate(all="ignore"):
        high, low = _two_product(a, b)
        sum_high, sum_low = _two_sum(c, high)
        result = np.array(np.broadcast_to(sum_high + _round_to_odd_sum(sum_low, low), out.shape))
        # the exact splits need room below and above: products near the bottom of the range
        # or operands near its top (never a weight's) go through exact rationals instead
        odd = (np.abs(high) < 2.0**-900) | ~np.isfinite(result)
    if odd.any():
        a, b, c = (np.broadcast_to(x, result.shape) for x in (a, b, c))
        for i in np.flatnonzero(odd):
            result[i] = _exact_fma(a[i], b[i], c[i])
    np.copyto(out, result)


def _chunked(kernel, dtype, a, b, c, out, scratch_dtypes) -> np.ndarray:
    """kernel(a, b, c, out, scratch) on flat slices of a few thousand elements at a time (a 0-d
    operand as a float64 number), writing into out (a new array of the broadcast shape if
    None); scratch: arrays of a slice's length, one per dtype, allocated once per call."""
    shape = _broadcast_shape(np.shape(a), np.shape(b), np.shape(c))
    if out is None:
        out = np.empty(shape, dtype)
    elif out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"fma: out is {out.dtype}{list(out.shape)}, the result {np.dtype(dtype)}"
            f"{list(shape)}: give an out of the result's dtype and shape, or none"
        )
    flat = out.reshape(-1) if out.flags.c_contiguous else np.empty(out.size, dtype)
    operands = [_flat(x, shape, dtype) for x in (a, b, c)]
    scratch = [np.empty(min(flat.size, _CHUNK), d) for d in scratch_dtypes]
    for start in range(0, flat.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        size = min(flat.size - start, _CHUNK)
        kernel(
            *(x if x.ndim == 0 else x[part] for x in operands),
            flat[part],
            [s[:size] for s in scratch],
        )
    if not out.flags.c_contiguous:
        out[...] = flat.reshape(shape)
    return out


def _flat(x, shape, dtype) -> np.ndarray:
    x = np.asarray(x, dtype)  # the operands in the result's dtype, as torch casts them first
    if x.ndim == 0:
        return np.asarray(x, np.float64)  # exact for a float32 value
    return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(-1)


def _broadcast_shape(*shapes) -> tuple:
    """np.broadcast_shapes, without its cost where it has nothing to do (small arrays' steps)."""
    first = max(shapes, key=len)
    if all(s == first or s == () for s in shapes):
        return first
    return np.broadcast_shapes(*shapes)


# --- torch's fused elementwise kernels --------------------------------------------------------
# torch computes float16 and bfloat16 in float32 ("opmath") and rounds the result once more.


def scaled_add(input, other, alpha, out=None) -> np.ndarray:
    """torch.add(input, other, alpha=alpha): input + alpha·other rounded once (torch's kernel
    is a fused multiply-add, alpha in the dtype; sub negates alpha). Plain arrays go through
    BLAS's axpy in the blocks where it rounds once (checked on first use), the rest fma()."""
    out, narrow = _result(out, input, other)
    if narrow is not None:  # alpha and numbers in the narrow dtype first, as torch's kernel
        input, other = (np.asarray(x, narrow.dtype).astype(F32) for x in (input, other))
        return _rounded(scaled_add(input, other, F32(narrow.dtype.type(alpha))), narrow)
    if out.dtype.kind in "fiu":  # in the dtype; an integer one wraps around, as torch's
        alpha = np.asarray(alpha).astype(out.dtype)[()]
    input, other = (np.asarray(x, out.dtype) for x in (input, other))  # a number in the dtype
    axpy = _axpy(out.dtype)
    if (
        axpy is None
        or not np.shape(input) == other.shape == out.shape
        or not (other.flags.c_contiguous and out.flags.c_contiguous and out.flags.writeable)
        or (out is not input and np.may_share_memory(out, other))
    ):
        return fma(alpha, other, input, out)
    if out is not input:
        np.copyto(out, input)
    function, block = axpy
    x, y = other.reshape(-1), out.reshape(-1)
    body = y.size - y.size % block if y.size > _FEW else 0
    if body:
        x_at, y_at, step = x.ctypes.data, y.ctypes.data, y.itemsize
        for start in range(0, body, _AXPY_CHUNK):  # chunks BLAS runs on one thread, whole blocks
            n = min(_AXPY_CHUNK, body - start)
            function(n, alpha, x_at + start * step, 1, y_at + start * step, 1)
    if body < y.size:  # the tail BLAS would round twice, or a small array
        _add_scaled_in_place(y[body:], x[body:], alpha)
    return out


_FEW = 1024  # elements: fewer take one exact NumPy pass, cheaper than BLAS calls through ctypes


def _add_scaled_in_place(y, x, alpha) -> None:
    """y ← y + alpha·x rounded once, for a few elements: float32 as one of fma32's chunks
    (without the chunking's set-up, which would cost more than the work here)."""
    if y.dtype == np.float32:
        scratch = [np.empty(y.size, d) for d in _FMA32_SCRATCH]
        _fma32_chunk(np.asarray(alpha, np.float64), x, y, y, scratch)
    else:
        fma(alpha, x, y, y)


def lerp(start, end, weight, out=None) -> np.ndarray:
    """torch's lerp kernel: w·(end − start) + start where |w| < 0.5, else (w − 1)·(end −
    start) + end, each a fused multiply-add (exact at both ends); the dtype is start's and
    end's (a weight tensor broadcasts)."""
    if out is None:
        shape = np.broadcast_shapes(*map(np.shape, (start, end, weight)))
        out = np.empty(shape, np.result_type(start, end))
    out, narrow = _result(out, start, end)
    if narrow is not None:
        wide = (np.asarray(x, F32) for x in (start, end, weight))
        return _rounded(lerp(*wide), narrow)
    difference = np.subtract(end, start, dtype=out.dtype)
    if np.ndim(weight) == 0:
        weight = out.dtype.type(weight)
        if abs(weight) < 0.5:
            return scaled_add(start, difference, weight, out)
        return scaled_add(end, difference, weight - out.dtype.type(1), out)
    small = np.abs(weight) < 0.5
    coefficient = np.where(small, weight, weight - out.dtype.type(1))
    return fma(coefficient, difference, np.where(small, start, end), out)


def addcmul(input, tensor1, tensor2, value=1, out=None) -> np.ndarray:
    """torch's addcmul kernel: (value·tensor1)·tensor2 + input, the last two fused."""
    return _with_scaled(fma, input, tensor1, tensor2, value, out)


def addcdiv(input, tensor1, tensor2, value=1, out=None) -> np.ndarray:
    """torch's addcdiv kernel: (value·tensor1) / tensor2 + input, each rounded."""
    return _with_scaled(_quotient_plus, input, tensor1, tensor2, value, out)


def _quotient_plus(a, b, c, out):
    return np.add(np.divide(a, b), c, out=out)


def _with_scaled(combine, input, tensor1, tensor2, value, out) -> np.ndarray:
    """combine(value·tensor1, tensor2, input, out), value·tensor1 rounded in the dtype."""
    out, narrow = _result(out, input, tensor1, tensor2)
    if narrow is not None:
        wide = (np.asarray(x, F32) for x in (input, tensor1, tensor2))
        return _rounded(_with_scaled(combine, *wide, value, None), narrow)
    scaled = tensor1 if value == 1 else np.multiply(tensor1, out.dtype.type(value))
    return combine(scaled, tensor2, input, out)


def multiply_by(x, number, out=None) -> np.ndarray:
    """x · number as torch's kernel: float16 and bfloat16 in float32 with the number as a float32
    (NumPy would round the number to x's dtype first)."""
    return _by_number(np.multiply, x, number, out)


def divide_by(x, number, out=None) -> np.ndarray:
    """x / number as torch's kernel (float16 and bfloat16 as multiply_by)."""
    return _by_number(np.divide, x, number, out)


def _by_number(ufunc, x, number, out):
    if x.dtype in _NARROW:
        return _rounded(ufunc(x.astype(F32), F32(number)), np.empty_like(x) if out is None else out)
    return ufunc(x, number, out=out)


def _result(out, *arrays):
    """(out, None) with out the result array (a new one of the broadcast shape if None); for
    float16 and bfloat16 results (None, out): computed in float32, then rounded into out."""
    if out is None:
        dtype = np.result_type(*arrays)
        out = np.empty(np.broadcast_shapes(*map(np.shape, arrays)), dtype)
    if out.dtype in _NARROW:
        return None, out
    return out, None


def _rounded(wide: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.copyto(out, wide, casting="unsafe")
    return out


@functools.cache
def _axpy(dtype):
    """(axpy, block): the BLAS's axpy (y ← alpha·x + y, in place) for float32 or float64 and
    the block its vector body works in, where that body rounds each element once (the x86
    kernels use FMA instructions; OpenBLAS's tail loop, n % 32 elements, does not); else None."""
    if dtype not in (np.float32, np.float64):
        return None
    function = _blas_function(("s" if dtype == np.float32 else "d") + "axpy")
    if function is None:
        return None
    real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    size, pointer = ctypes.c_int64, ctypes.c_void_p  # an int64 also passes a 32-bit BLAS int
    function.argtypes = (size, real, pointer, size, pointer, size)
    function.restype = None
    block = fused_block(function, dtype)
    return None if block is None else (function, block)


_AXPY_CHUNK = 8192  # elements per call: OpenBLAS splits an axpy between threads above 10,000


def fused_block(axpy, dtype):
    """The smallest block (1, 8, ..., 64 elements) such that axpy(n, alpha, x pointer, 1,
    y pointer, 1) gives fma()'s results whenever n is a multiple of it, tried on values where
    two roundings differ in every element, up to _AXPY_CHUNK; None if no block does."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(10 * _AXPY_CHUNK).astype(dtype) for _ in range(2))
    alpha = dtype.type(1 / 3)
    fused = fma(alpha, x, y)
    differs = np.flatnonzero(fused != y + alpha * x)[:_AXPY_CHUNK]  # about a fifth do
    x, y, fused = x[differs], y[differs], fused[differs]
    assert x.size == _AXPY_CHUNK
    for block in (1, 8, 16, 32, 64):
        for n in (block, 2 * block, 3 * block, 7 * block, _AXPY_CHUNK):
            got = y[:n].copy()
            axpy(n, alpha, x.ctypes.data, 1, got.ctypes.data, 1)
            if not np.array_equal(got, fused[:n]):
                break
        else:
            return block
    return None


def _blas_function(name: str):
    """The CBLAS function `name` of the BLAS NumPy loaded (OpenBLAS's, whatever its symbols'
    prefix and suffix, or another's), or None."""
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        library = ctypes.CDLL(info["filepath"])
        for symbol in (f"scipy_cblas_{name}64_", f"cblas_{name}64_", f"cblas_{name}"):
            if hasattr(library, symbol):
                return getattr(library, symbol)
    return None


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
