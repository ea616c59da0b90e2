"""The arithmetic of torch's Cephes-derived kernels (aten/src/ATen/native/Math.h) in NumPy, in
the input's dtype: constants as torch's T(value), the C library's functions, the fused
multiply-add that torch's compiled loops use, Horner's rule and Clenshaw's Chebyshev sum.
Shared by ops/bessel.py, ops/airy_zeta.py and ops/polynomials.py."""

import numpy as np

SPLIT = 134217729.0  # 2²⁷ + 1: Veltkamp's split of a float64 into two 26-bit halves


def fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a b + c rounded once, as torch's compiled loops give it (the compiler fuses a product and
    the sum after it: Horner's and Clenshaw's steps, the polynomials' recurrences). float32: the
    product is exact in float64. float64: Dekker's exact product and Knuth's exact sum, their errors
    added back (off from the true fma only in rare ties)."""
    if a.dtype == np.float32:
        return (a.astype(np.float64) * b.astype(np.float64) + c).astype(np.float32)
    product = a * b
    high_a, high_b = SPLIT * a - (SPLIT * a - a), SPLIT * b - (SPLIT * b - b)
    low_a, low_b = a - high_a, b - high_b
    product_error = ((high_a * high_b - product) + high_a * low_b + low_a * high_b) + low_a * low_b
    total = product + c
    virtual = total - product
    sum_error = (product - (total - virtual)) + (c - virtual)
    fused = total + (sum_error + product_error)
    return np.where(np.isfinite(fused), fused, total)  # past the split's range: unfused


def libm(fn, x: np.ndarray) -> np.ndarray:
    """fn (sin, cos, exp, log, sqrt) in float64, rounded to x's dtype: the C library's float
    functions are correctly rounded almost everywhere, NumPy's float32 loops are not."""
    return fn(x.astype(np.float64)).astype(x.dtype, copy=False)


def horner(coefficients, z: np.ndarray) -> np.ndarray:
    """Σ cᵢ z^(n−i) by Horner's rule, the highest power's coefficient first."""
    out = np.zeros_like(z)
    for c in coefficients:
        out = fma(out, z, np.full_like(z, c))
    return out


def chebyshev(coefficients, z: np.ndarray) -> np.ndarray:
    """Cephes's chbevl: Clenshaw's sum of the Chebyshev series at z (the argument doubled, in
    [−2, 2]), returned as ½ (b₀ − b₂)."""
    previous = np.zeros_like(z)
    current = np.zeros_like(z)
    b = np.full_like(z, coefficients[0])
    for c in coefficients[1:]:
        previous, current = current, b
        b = fma(z, current, -previous) + z.dtype.type(c)
    return z.dtype.type(0.5) * (b - previous)


def const(x: np.ndarray, value: float):
    """A constant in x's dtype (torch's T(value))."""
    return x.dtype.type(value)
