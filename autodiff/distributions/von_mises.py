"""VonMises(loc, concentration): the circular normal, density e^(κ cos(x - loc)) / (2π I₀(κ)),
angles read modulo 2π. Draws are torch's: Best and Fisher's (1979) rejection sampler on the
same uniform draws, in float64."""

import math

import numpy as np

from .. import creation, dtypes
from ..grad_mode import no_grad
from ..ops.elementwise import where
from . import constraints
from .distribution import Distribution, broadcast_all

__all__ = ["VonMises"]

# polynomial approximations of I₀ and I₁ (Abramowitz and Stegun 9.8.1-9.8.4, as torch's):
# below 3.75 in (x / 3.75)², above it in 3.75 / x (times e^x / sqrt(x))
_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_COEF_LARGE = [0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
                  -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2]  # fmt: skip
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2,
                  0.32411e-3]  # fmt: skip
_I1_COEF_LARGE = [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
                  0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2]  # fmt: skip
_COEF_SMALL = [_I0_COEF_SMALL, _I1_COEF_SMALL]
_COEF_LARGE = [_I0_COEF_LARGE, _I1_COEF_LARGE]


def _eval_poly(y, coef):
    """Σ coef[i]·y^i by Horner's rule."""
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x) for x > 0 and order 0 or 1."""
    if order not in (0, 1):
        raise ValueError(f"_log_modified_bessel_fn: order must be 0 or 1, got {order}")
    y = (x / 3.75) * (x / 3.75)
    small = _eval_poly(y, _COEF_SMALL[order])
    if order == 1:
        small = x.abs() * small
    small = small.log()
    y = 3.75 / x
    large = x - 0.5 * x.log() + _eval_poly(y, _COEF_LARGE[order]).log()
    return where(x < 3.75, small, large)


def _rejection_sample(loc, concentration, proposal_r, shape):
    """Best and Fisher's sampler on float64 arrays: three uniforms a round for every value
    (torch draws them for all, accepted or not), until each value has been accepted once."""
    x = np.zeros(shape)
    done = np.zeros(shape, bool)
    while not done.all():
        u1, u2, u3 = creation.rand(3, *shape, dtype=dtypes.float64).numpy(force=True)
        z = np.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = ((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0)
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(f), x)
        done |= accept
    return np.mod(x + math.pi + loc, 2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(loc, concentration κ): loc and values are any real angles (radians)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    _expanded = ("loc", "concentration")

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def log_prob(self, value):
        value = self._value(value)
        log_prob = self.concentration * (value - self.loc).cos()
        return log_prob - math.log(2 * math.pi) - _log_modified_bessel_fn(self.concentration)

    def _proposal_r(self, kappa):
        """The wrapped Cauchy envelope's r (its Taylor form for tiny κ, where the exact one
        loses every digit)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = 1 + np.sqrt(1 + 4 * kappa**2)
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            exact = (1 + rho**2) / (2 * rho)
        return np.where(kappa < 1e-5, 1 / kappa + kappa, exact)

    def sample(self, sample_shape=()):
        """Drawn in float64 whatever the type (float32 hangs for tiny κ, torch issue
        #88443), then cast to loc's type."""
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            loc = self.loc.detach().numpy(force=True).astype(np.float64)
            kappa = self.concentration.detach().numpy(force=True).astype(np.float64)
            draws = _rejection_sample(loc, kappa, self._proposal_r(kappa), shape)
            return creation.tensor(draws).to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance, 1 - I₁(κ) / I₀(κ)."""
        log_i1 = _log_modified_bessel_fn(self.concentration, order=1)
        log_i0 = _log_modified_bessel_fn(self.concentration, order=0)
        return 1 - (log_i1 - log_i0).exp()
