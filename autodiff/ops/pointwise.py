"""Functions applied to each element, as a table: each op names its NumPy function, what its
gradient reads (the input x, the output out = f(x), or nothing) and the gradient itself, as
HIPS autograd's numpy_vjps and PyTorch's derivatives.yaml write them.

A gradient is written once. Where it uses only what NumPy arrays and Tensors share, namely
`+ - * / **`, `abs()`, comparisons and numbers, it runs on arrays in first-order backward
(array_backward = True); where it calls a Tensor method (`x.cos()`), on Tensors. Under
create_graph it always runs on Tensors, recorded, so second derivatives come free. In-place
forms (`t.sin_()`) run the op and write its result into the tensor (ops/inplace.py).
"""

import math

import numpy as np

from ..function import Function
from .complexes import conj_of, is_complex_value, refuse_complex

__all__ = [
    "exp",
    "log",
    "sqrt",
    "sign",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "sgn",
    "log2",
    "log10",
    "log1p",
    "expm1",
    "reciprocal",
    "rsqrt",
    "erf",
]  # the public ops: autodiff exports these
__all__ += ["arccos", "arcsin", "arctan", "arccosh", "arcsinh", "arctanh"]  # torch's aliases


class Pointwise(Function):
    """out = ufunc(x) elementwise; backward is gradient(grad, x, out) with what `saves` kept
    ("input", "output" or None). quiet: NaN/Inf values (log 0, sqrt −1, their gradients)
    without NumPy's warnings, as torch gives them."""

    ufunc = None
    saves = "input"
    quiet = False

    @classmethod
    def numpy_forward(cls, input):
        return None if cls.quiet else cls.ufunc

    @classmethod
    def forward(cls, ctx, input):
        if cls.quiet:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = cls.ufunc(input)
        else:
            out = cls.ufunc(input)
        saves = cls.saves
        if saves is not None:
            ctx.save_for_backward(input if saves == "input" else out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        saves = cls.saves
        saved = ctx.saved_tensors[0] if saves is not None else None
        x, out = (saved, None) if saves == "input" else (None, saved)
        if cls.complex_grad and is_complex_value(grad):
            return (_holomorphic(cls, grad, x, out),)
        if cls.quiet:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (cls.gradient(grad, x, out),)
        return (cls.gradient(grad, x, out),)  # one per input, as the engine passes them on

    @staticmethod
    def gradient(grad, x, out):
        raise NotImplementedError("Pointwise ops define gradient(grad, x, out)")


def _holomorphic(cls, grad, x, out):
    """torch's complex gradient of a holomorphic f, grad * conj(f'(z)), from the formula
    written for real numbers, gradient(g) = g * f'(z): conj(gradient(conj(grad)))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return conj_of(cls.gradient(conj_of(grad), x, out))


class Exp(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol, array_backward = "ExpBackward0", "exp", True
    ufunc, saves = np.exp, "output"

    def gradient(grad, x, out):  # (eˣ)' = eˣ
        return grad * out


def exp(input):
    """e ** input."""
    return Exp.apply(input)


class Log(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol, array_backward = "LogBackward0", "log", True
    ufunc, saves, quiet = np.log, "input", True  # log(0) = -inf, as torch

    def gradient(grad, x, out):  # (ln x)' = 1/x
        return grad / x


def log(input):
    """Natural logarithm."""
    return Log.apply(input)


class Sqrt(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol, array_backward = "SqrtBackward0", "√", True
    ufunc, saves, quiet = np.sqrt, "output", True

    def gradient(grad, x, out):  # (√x)' = 1/(2√x)
        return grad / (2 * out)


def sqrt(input):
    """Square root."""
    return Sqrt.apply(input)


class Sign(Pointwise):
    node_name, symbol, array_backward = "SignBackward0", "sign", True
    ufunc, saves = np.sign, None

    def gradient(grad, x, out):  # piecewise constant
        return grad * 0.0


def sign(input):
    """-1, 0 or 1 (gradient 0)."""
    refuse_complex("sign", input)
    return Sign.apply(input)


class Sgn(Sign):
    node_name = "SgnBackward0"  # torch's sign for complex numbers too; for reals it is sign


def sgn(input):
    """-1, 0 or 1 for real tensors, as sign (gradient 0; its own node, as torch)."""
    return Sgn.apply(input)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: e^x / (1 + e^x) for negative x."""
    if x.dtype.kind == "c":  # no order on complex numbers: the formula itself, as torch's
        return 1 / (1 + np.exp(-x))
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Pointwise):
    node_name, symbol, array_backward = "SigmoidBackward0", "σ", True
    ufunc, saves = stable_sigmoid, "output"

    def gradient(grad, x, out):  # σ' = σ(1 − σ)
        return grad * out * (1 - out)


def sigmoid(input):
    """Logistic sigmoid 1 / (1 + e^-x), stable for large |x|."""
    return Sigmoid.apply(input)


class Tanh(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol, array_backward = "TanhBackward0", "tanh", True
    ufunc, saves = np.tanh, "output"

    def gradient(grad, x, out):  # tanh' = 1 − tanh²
        return grad * (1 - out * out)


def tanh(input):
    """Hyperbolic tangent."""
    return Tanh.apply(input)


class Sin(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol = "SinBackward0", "sin"
    ufunc, saves = np.sin, "input"

    def gradient(grad, x, out):  # sin' = cos
        return grad * x.cos()


def sin(input):
    """Elementwise sine."""
    return Sin.apply(input)


class Cos(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol = "CosBackward0", "cos"
    ufunc, saves = np.cos, "input"

    def gradient(grad, x, out):  # cos' = −sin
        return -grad * x.sin()


def cos(input):
    """Elementwise cosine."""
    return Cos.apply(input)


class Tan(Pointwise):
    node_name, symbol, array_backward = "TanBackward0", "tan", True
    ufunc, saves = np.tan, "output"

    def gradient(grad, x, out):  # tan' = 1 + tan²
        return grad * (1 + out * out)


def tan(input):
    """Elementwise tangent."""
    return Tan.apply(input)


class Asin(Pointwise):
    node_name, symbol, array_backward = "AsinBackward0", "asin", True
    ufunc, saves, quiet = np.arcsin, "input", True  # nan outside [-1, 1], as torch

    def gradient(grad, x, out):  # asin' = 1/√(1 − x²)
        return grad / (1 - x * x) ** 0.5


def asin(input):
    """Elementwise arcsine (nan outside [-1, 1])."""
    return Asin.apply(input)


class Acos(Pointwise):
    node_name, symbol, array_backward = "AcosBackward0", "acos", True
    ufunc, saves, quiet = np.arccos, "input", True

    def gradient(grad, x, out):  # acos' = −1/√(1 − x²)
        return -grad / (1 - x * x) ** 0.5


def acos(input):
    """Elementwise arccosine (nan outside [-1, 1])."""
    return Acos.apply(input)


class Atan(Pointwise):
    node_name, symbol, array_backward = "AtanBackward0", "atan", True
    ufunc, saves = np.arctan, "input"

    def gradient(grad, x, out):  # atan' = 1/(1 + x²)
        return grad / (1 + x * x)


def atan(input):
    """Elementwise arctangent."""
    return Atan.apply(input)


class Sinh(Pointwise):
    node_name, symbol = "SinhBackward0", "sinh"
    ufunc, saves = np.sinh, "input"

    def gradient(grad, x, out):  # sinh' = cosh
        return grad * x.cosh()


def sinh(input):
    """Elementwise hyperbolic sine."""
    return Sinh.apply(input)


class Cosh(Pointwise):
    node_name, symbol = "CoshBackward0", "cosh"
    ufunc, saves = np.cosh, "input"

    def gradient(grad, x, out):  # cosh' = sinh
        return grad * x.sinh()


def cosh(input):
    """Elementwise hyperbolic cosine."""
    return Cosh.apply(input)


class Asinh(Pointwise):
    node_name, symbol, array_backward = "AsinhBackward0", "asinh", True
    ufunc, saves = np.arcsinh, "input"

    def gradient(grad, x, out):  # asinh' = 1/√(x² + 1)
        return grad / (x * x + 1) ** 0.5


def asinh(input):
    """Elementwise inverse hyperbolic sine."""
    return Asinh.apply(input)


class Acosh(Pointwise):
    node_name, symbol, array_backward = "AcoshBackward0", "acosh", True
    ufunc, saves, quiet = np.arccosh, "input", True  # nan below 1, as torch

    def gradient(grad, x, out):  # acosh' = 1/√(x² − 1)
        return grad / (x * x - 1) ** 0.5


def acosh(input):
    """Elementwise inverse hyperbolic cosine (nan below 1)."""
    return Acosh.apply(input)


class Atanh(Pointwise):
    node_name, symbol, array_backward = "AtanhBackward0", "atanh", True
    ufunc, saves, quiet = np.arctanh, "input", True  # ±inf at ±1, nan beyond, as torch

    def gradient(grad, x, out):  # atanh' = 1/(1 − x²)
        return grad / (1 - x * x)


def atanh(input):
    """Elementwise inverse hyperbolic tangent (nan outside [-1, 1])."""
    return Atanh.apply(input)


class Log2(Pointwise):
    node_name, symbol, array_backward = "Log2Backward0", "log₂", True
    ufunc, saves, quiet = np.log2, "input", True

    def gradient(grad, x, out):  # (log₂ x)' = 1/(x ln 2)
        return grad / (x * math.log(2.0))


def log2(input):
    """Elementwise base-2 logarithm."""
    return Log2.apply(input)


class Log10(Pointwise):
    node_name, symbol, array_backward = "Log10Backward0", "log₁₀", True
    ufunc, saves, quiet = np.log10, "input", True

    def gradient(grad, x, out):  # (log₁₀ x)' = 1/(x ln 10)
        return grad / (x * math.log(10.0))


def log10(input):
    """Elementwise base-10 logarithm."""
    return Log10.apply(input)


class Log1p(Pointwise):
    node_name, symbol, array_backward = "Log1PBackward0", "log1p", True
    ufunc, saves, quiet = np.log1p, "input", True

    def gradient(grad, x, out):  # (ln(1 + x))' = 1/(1 + x)
        return grad / (x + 1)


def log1p(input):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(input)


class Expm1(Pointwise):
    node_name, symbol, array_backward = "Expm1Backward0", "expm1", True
    ufunc, saves = np.expm1, "output"

    def gradient(grad, x, out):  # (eˣ − 1)' = eˣ = out + 1
        return grad * (out + 1)


def expm1(input):
    """exp(x) − 1, accurate for small x."""
    return Expm1.apply(input)


def _reciprocal(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(x.astype(np.result_type(x, np.float32)))  # integers: a float result


class Reciprocal(Pointwise):
    complex_grad = True  # holomorphic: Pointwise.backward conjugates f'
    node_name, symbol, array_backward = "ReciprocalBackward0", "1/x", True
    ufunc, saves, quiet = _reciprocal, "output", True

    def gradient(grad, x, out):  # (1/x)' = −1/x²
        return -grad * out * out


def reciprocal(input):
    """1 / x."""
    return Reciprocal.apply(input)


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


class Rsqrt(Pointwise):
    node_name, symbol, array_backward = "RsqrtBackward0", "1/√", True
    ufunc, saves, quiet = _rsqrt, "output", True

    def gradient(grad, x, out):  # (x^−½)' = −½ x^−3/2
        return -0.5 * grad * out * out * out


def rsqrt(input):
    """1 / sqrt(x)."""
    return Rsqrt.apply(input)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# erf as two rational functions, with the coefficients of Moshier's Cephes library (ndtr.c):
# erf(x) = x·T(x²)/U(x²) for |x| < 1 and 1 − e^{−x²}·P(|x|)/Q(|x|) for 1 ≤ |x| < 8, with
# relative errors near 1e-16 and 1e-14 (erfc, which erf = 1 − erfc shrinks), so erf comes
# within 2 ulp of float64 (measured against math.erf); from |x| = 8 on it rounds to ±1.
# Highest power first.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip


def _polynomial(coefficients, z: np.ndarray) -> np.ndarray:
    """Horner's rule in place (np.polyval allocates an array per coefficient)."""
    y = np.full_like(z, coefficients[0])
    for c in coefficients[1:]:
        y *= z
        y += c
    return y


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise: float64 inputs in float64, float32 (and narrower)
    in float32 arithmetic for half the memory traffic; within 2 ulp of the rounded value
    either way (torch's kernel: 1 ulp)."""
    dtype = np.asarray(x).dtype
    work = np.float32 if dtype.kind == "f" and dtype.itemsize <= 4 else np.float64
    a = np.asarray(x, dtype=work)
    z = np.minimum(a * a, 1.0)  # the inner branch everywhere; the outer overwrites its part
    out = np.asarray(a * _polynomial(_ERF_T, z) / _polynomial(_ERF_U, z))  # 0-d: an array
    outer = np.flatnonzero(np.abs(a) >= 1.0)
    if outer.size:
        v = a.ravel()[outer]
        t = np.minimum(np.abs(v), 8.0)  # erf(8) is 1 to float64's precision
        erfc = np.exp(-t * t) * _polynomial(_ERFC_P, t) / _polynomial(_ERFC_Q, t)
        out.ravel()[outer] = np.copysign(1.0 - erfc, v)
    return out.astype(dtype if dtype.kind == "f" else np.float64, copy=False)


class Erf(Pointwise):
    node_name, symbol = "ErfBackward0", "erf"
    ufunc, saves = erf_array, "input"

    def gradient(grad, x, out):  # erf' = 2/√π e^{−x²}
        return grad * (_TWO_OVER_SQRT_PI * (-(x * x)).exp())


def erf(input):
    """The error function, 2/√π ∫₀ˣ e^(−t²) dt."""
    refuse_complex("erf", input)
    return Erf.apply(input)


# --- torch's NumPy-style names for the ops above (each records the op torch records) -------
def arccos(input):
    """torch.arccos: acos (AcosBackward0)."""
    return acos(input)


def arcsin(input):
    """torch.arcsin: asin (AsinBackward0)."""
    return asin(input)


def arctan(input):
    """torch.arctan: atan (AtanBackward0)."""
    return atan(input)


def arccosh(input):
    """torch.arccosh: acosh (AcoshBackward0)."""
    return acosh(input)


def arcsinh(input):
    """torch.arcsinh: asinh (AsinhBackward0)."""
    return asinh(input)


def arctanh(input):
    """torch.arctanh: atanh (AtanhBackward0)."""
    return atanh(input)
