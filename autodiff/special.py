"""torch.special: the special functions under torch's names. Most are ops the library has
under other names (expit is sigmoid, gammaln lgamma, psi digamma, multigammaln mvlgamma,
gammainc igamma): the same Functions, so grad_fn names match torch's. The normal
distribution's functions, entr, erfcx, xlog1py and the scaled Bessel functions are ops of
their own (ops/special.py, ops/bessel_gamma.py; the Bessel functions J, Y, I, K and
spherical j₀ of torch.special, in ops/bessel.py; airy_ai and Hurwitz's
zeta in ops/airy_zeta.py; the orthogonal polynomials in ops/polynomials.py); ndtr is torch's composition."""

from .ops import activation, reduction
from .ops.airy_zeta import airy_ai, zeta
from .ops.bessel import (
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from .ops.bessel_gamma import i0, i0e, i1, i1e
from .ops.bessel_gamma import igamma as gammainc
from .ops.bessel_gamma import igammac as gammaincc
from .ops.math import logit, sinc, xlogy
from .ops.math import round as _round
from .ops.pointwise import erf, expm1, log1p
from .ops.pointwise import sigmoid as expit
from .ops.polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from .ops.special import (
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    exp2,
    log_ndtr,
    mvlgamma,
    ndtr,
    ndtri,
    polygamma,
    xlog1py,
)
from .ops.special import digamma as psi
from .ops.special import lgamma as gammaln

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]


def multigammaln(input, p: int):
    """log of the multivariate gamma function of dimension p (mvlgamma)."""
    return mvlgamma(input, p)


def round(input, *, decimals: int = 0):
    """Round half to even (a zero gradient), to decimals places."""
    return _round(input, decimals)


def softmax(input, dim: int, *, dtype=None):
    """exp(x) / Σ exp(x) along dim (input first cast to dtype, if given)."""
    return activation.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim: int, *, dtype=None):
    """x − logsumexp(x) along dim (input first cast to dtype, if given)."""
    return activation.log_softmax(input if dtype is None else input.to(dtype), dim)


def logsumexp(input, dim, keepdim: bool = False):
    """log Σ exp(x) along dim, stable."""
    return reduction.logsumexp(input, dim, keepdim)
