"""torch.special's airy_ai (the Airy function Ai) and zeta (Hurwitz's ζ(x, q) = Σₖ (k + q)⁻ˣ).

airy_ai is Cephes's airy as torch has it (aten/src/ATen/native/Math.h): its power series for
−2.09 <= x < 2.09, rational asymptotic forms outside, in the input's dtype; torch gives it no
derivative. zeta is Cephes's zeta: the sum's first terms, then the Euler-Maclaurin tail, in
float64 for float32 too (torch accumulates in double on the CPU); its derivative in q is
−x ζ(x + 1, q), in x not implemented (torch raises), as torch."""

import numpy as np

from ..cpu_math import c_function
from ..dtypes import get_default_dtype, result_type
from ..function import Function
from ..tensor import Tensor
from .bessel import _apply
from .cephes import const, horner, libm

__all__ = ["airy_ai", "zeta"]

# Cephes's coefficients as torch's Math.h gives them, the highest power first: Ai for x >= 2.09
# (AN / AD in 1/ζ, ζ = 2/3 x^{3/2}) and the modulus and phase corrections for x < −2.09
# fmt: off
_AIRY_AN = (
    0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
    159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0
)
_AIRY_AD = (
    0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045, 164.2346928715297,
    71.47784008255756, 14.095913560783403, 1.0
)
_AIRY_AFN = (
    -0.1316963234183318, -0.6264565444319123, -0.6931580360369335, -0.2797799815451191,
    -0.04919001326095003, -0.004062659235948854, -0.0001592764962392621, -2.776491081552329e-06,
    -1.6778769848911465e-08
)
_AIRY_AFD = (
    13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
    1.4752914677166642, 0.11568717379518804, 0.004402916416152112, 7.547203482874142e-05,
    4.5185009297058035e-07
)
_AIRY_AGN = (
    0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
    0.35146565610554764, 0.06338889196289255, 0.005858041130483885, 0.000282851600836737,
    6.98793669997261e-06, 8.117892395543892e-08, 3.415517847659236e-10
)
_AIRY_AGD = (
    9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755, 0.9542936116189619,
    0.08645808263523921, 0.004126565238242226, 0.00010125908511650914, 1.1716673321441352e-06,
    4.9183457006293e-09
)
# fmt: on
_SERIES_C1, _SERIES_C2 = 0.355028053887817239260, 0.258819403792806798405  # Ai(0), −Ai'(0)
_1_SQRT_PI = 5.64189583547756286948e-01  # 1/√π


def _airy_negative(x: np.ndarray) -> np.ndarray:
    """x < −2.09: Ai = 1/(√π (−x)^{1/4}) (sin(t) (1 + z² F(z²)) − cos(t) z G(z²)), t = ζ + π/4,
    z = 1/ζ, ζ = 2/3 (−x)^{3/2}."""
    root = libm(np.sqrt, -x)
    zeta = const(x, -2.0) * x * root / const(x, 3.0)
    z = const(x, 1.0) / zeta
    zz = z * z
    f = zz * horner(_AIRY_AFN, zz) / horner(_AIRY_AFD, zz)
    g = z * horner(_AIRY_AGN, zz) / horner(_AIRY_AGD, zz)
    t = zeta + const(x, 0.25) * const(x, np.pi)
    sin, cos = libm(np.sin, t), libm(np.cos, t)
    return const(x, _1_SQRT_PI) / libm(np.sqrt, root) * (sin * (const(x, 1.0) + f) - cos * g)


def _airy_positive(x: np.ndarray) -> np.ndarray:
    """x >= 2.09: Ai = AN(1/ζ)/AD(1/ζ) / (2√π x^{1/4} e^ζ)."""
    zeta = const(x, 2.0) * x * libm(np.sqrt, x) / const(x, 3.0)
    w = const(x, 1.0) / zeta
    ratio = horner(_AIRY_AN, w) / horner(_AIRY_AD, w)
    decay = const(x, 2.0) * libm(np.sqrt, libm(np.sqrt, x)) * libm(np.exp, zeta)
    return const(x, _1_SQRT_PI) * ratio / decay


def _airy_series(x: np.ndarray) -> np.ndarray:
    """Ai = c₁ f − c₂ g, f and g its two power series in x³, each element summed until its
    term is below the dtype's eps relative to f (torch's loop, per element)."""
    one = const(x, 1.0)
    f, g, m, n = np.ones_like(x), x.copy(), np.ones_like(x), x.copy()
    z = x * x * x
    k = one
    eps = np.finfo(x.dtype).eps
    active = np.ones(x.shape, dtype=bool)
    while active.any():
        k2 = k + one  # m gains z / ((k + 1)(k + 2)), n z / ((k + 2)(k + 3)), in torch's order
        k3 = k2 + one
        m1 = m * z / k2
        n1 = n * z / k3
        m1 = m1 / k3
        f1 = f + m1
        k = k3 + one
        n1 = n1 / k
        f, g = np.where(active, f1, f), np.where(active, g + n1, g)
        m, n = np.where(active, m1, m), np.where(active, n1, n)
        active &= np.abs(m / f) > eps
    return const(x, _SERIES_C1) * f - const(x, _SERIES_C2) * g


def _airy(x: np.ndarray) -> np.ndarray:
    """nan at ±inf, 0 past 103.892 (Ai underflows), as torch."""
    central = (x >= const(x, -2.09)) & (x < const(x, 2.09))  # 2.09 in x's dtype, as torch's T(2.09)
    series = np.where(central, x, 0).astype(x.dtype)  # the series where it is used
    value = np.where(x < const(x, -2.09), _airy_negative(np.minimum(x, -2.09).astype(x.dtype)), 0)
    value = np.where(
        x >= const(x, 2.09), _airy_positive(np.maximum(x, 2.09).astype(x.dtype)), value
    )
    value = np.where(central, _airy_series(series), value)
    value = np.where(np.isnan(x), np.nan, np.where(x > const(x, 103.892), 0.0, value))
    return np.where(np.isinf(x), np.nan, value).astype(x.dtype)


def airy_ai(input):
    """The Airy function Ai(x), the solution of y'' = x y that decays as x → ∞."""
    return _apply(_airy, input, "airy_ai")


# --- Hurwitz's ζ ----------------------------------------------------------------------------
_MACHEP = 1.11022302462515654042e-16
# the Euler-Maclaurin tail's denominators: (2j)! / B₂ⱼ
_EULER_MACLAURIN = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
                    7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
                    -4.5979787224074726105e15, 1.8152105401943546773e17,
                    -7.1661652561756670113e18)  # fmt: skip


def _zeta_scalar(x: np.float64, q: np.float64, first: np.float64) -> np.float64:
    """ζ(x, q) for one pair, Cephes's way: inf at x = 1 and at the poles q = 0, −1, ...; nan
    for x < 1, and for q < 0 with x not an integer. Sum (k + q)⁻ˣ until a term is below
    machine eps of the sum (at least 9 terms, and past k + q = 9), then the tail's integral,
    its half-term and up to 12 Euler-Maclaurin corrections. first is q⁻ˣ in the input's dtype
    (torch's pow of two floats is the float pow; the rest runs in float64)."""
    if x == 1:
        return np.inf
    if x < 1:
        return np.nan
    if q <= 0 and q == np.floor(q):
        return np.inf
    if q <= 0 and x != np.floor(x):
        return np.nan
    total, a, b, i = first, q, np.float64(0.0), 0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a**-x
        total += b
        if -_MACHEP * total < b < _MACHEP * total:
            return total
    w = a
    total += b * w / (x - 1.0)
    total -= 0.5 * b
    a, k = np.float64(1.0), 0.0
    for denominator in _EULER_MACLAURIN:
        a *= x + k
        b /= w
        term = a * b / denominator
        total += term
        if abs(term / total) < _MACHEP:
            return total
        k += 1.0
        a *= x + k
        b /= w
        k += 1.0
    return total


_ZETA = np.frompyfunc(_zeta_scalar, 3, 1)


def _zeta(x: np.ndarray, q: np.ndarray, dtype: np.dtype) -> np.ndarray:
    x, q = np.broadcast_arrays(np.asarray(x, dtype=dtype), np.asarray(q, dtype=dtype))
    with np.errstate(all="ignore"):  # inf and nan where torch gives them, without warnings
        first = c_function("pow", q, -x).astype(np.float64)  # torch's powf in float32
        values = _ZETA(x.astype(np.float64), q.astype(np.float64), first)
    return np.asarray(values, dtype=np.float64).astype(dtype)


class Zeta(Function):
    """ζ(x, q); a gradient for q only, as torch. grad_fn: SpecialZetaBackward0 for two tensors,
    1 for a number x, 2 for a number q."""

    node_name = "SpecialZetaBackward0"

    @staticmethod
    def forward(ctx, input, other, dtype, scalar=0):
        ctx.node_name = f"SpecialZetaBackward{scalar}"
        ctx.save_for_backward(input, other)
        return _zeta(input, other, dtype)

    @staticmethod
    def backward(ctx, grad):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                "zeta: the derivative for 'zeta' is not implemented (in its first argument x, "
                "as in torch; q has one). Detach x first (x.detach())."
            )
        return None, grad * -x * zeta(x + 1.0, q)  # ∂ζ(x, q)/∂q = −x ζ(x + 1, q)


def zeta(input, other):
    """Hurwitz's zeta function ζ(input, other) = Σₖ (k + other)^(−input); one of the two
    may be a number."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"zeta(): takes a Tensor and a Tensor or a number, got {type(input).__name__} and "
            f"{type(other).__name__} (as torch). Wrap one first: torch.tensor(x)."
        )
    dtype = result_type(input, other).dtype
    if dtype.kind in "biu":
        dtype = get_default_dtype().dtype
    elif dtype.kind != "f" or dtype.itemsize < 4:
        raise NotImplementedError(
            f"zeta: not implemented for {dtype} (as in torch, which computes it for float32 "
            "and float64, integers as float32). Convert first, e.g. t.float()."
        )
    scalar = 1 if not isinstance(input, Tensor) else 2 if not isinstance(other, Tensor) else 0
    if scalar == 1:
        input = Tensor._of(np.asarray(input, dtype=dtype))
    elif scalar == 2:
        other = Tensor._of(np.asarray(other, dtype=dtype))
    return Zeta.apply(input, other, dtype=dtype, scalar=scalar)
