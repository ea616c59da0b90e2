"""Gamma(concentration, rate), Chi2(df) and Poisson(rate). Their draws are torch's
(_standard_gamma's and poisson's CPU algorithms on the same generator: random.py); Gamma's
rsample differentiates its draw implicitly, with torch's approximation of d(draw)/dα."""

import math

import numpy as np

from .. import creation, dtypes, random
from ..function import Function
from ..grad_mode import no_grad
from ..special import gammainc
from . import constraints
from .distribution import ExponentialFamily, broadcast_all

__all__ = ["Gamma", "Chi2", "Poisson"]


class StandardGamma(Function):
    """Gamma(α, 1) draws; backward: grad · dx/dα at the drawn x (implicit reparameterization:
    -(∂F/∂α) / f, F and f the draw's CDF and density), torch's _standard_gamma_grad."""

    node_name = "StandardGammaBackward0"
    symbol = "Γ(α)"

    @staticmethod
    def forward(ctx, alpha):
        x = random.standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        slope = _standard_gamma_grad(alpha.numpy(force=True), x.numpy(force=True))
        return grad * creation.tensor(slope.astype(alpha.numpy(force=True).dtype))


def _standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    pairs = zip(alpha.reshape(-1).tolist(), x.reshape(-1).tolist())
    return np.array([_gamma_grad_one(a, v) for a, v in pairs], np.float64).reshape(x.shape)


def _digamma(x: float) -> float:
    """ψ(x) for x > 0 by recurrence to x ≥ 10 and the asymptotic series (as torch's)."""
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + 2.25175258906672110764
    coefficients = (8.33333333333333333333e-2, -2.10927960927960927961e-2,
                    7.57575757575757575758e-3, -4.16666666666666666667e-3,
                    3.96825396825396825397e-3, -8.33333333333333333333e-3,
                    8.33333333333333333333e-2)  # fmt: skip
    z = 1.0 / (x * x)
    poly = 0.0
    for c in coefficients:
        poly = poly * z + c
    return result + math.log(x) - 0.5 / x - z * poly


# the bivariate rational approximation's coefficients (torch's standard_gamma_grad_one)
_COEF_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07),
)  # fmt: skip


def _gamma_grad_one(alpha: float, x: float) -> float:
    """dx/dα for x ~ Gamma(α, 1): a Taylor series for small x, Rice's saddle point expansion
    for large α, a rational approximation between."""
    if x < 0.8:
        numer, denom = 1.0, alpha
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = math.pow(x, alpha)
        gamma_pdf = math.pow(x, alpha - 1) * math.exp(-x)
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (math.log(x) - _digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
        result = -gamma_cdf_alpha / gamma_pdf
        return 0.0 if math.isnan(result) else result
    if alpha > 8.0:
        if 0.9 * alpha <= x <= 1.1 * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
                       + alpha * (107 + 3600 * x))  # fmt: skip
            denom = 1244160 * (alpha * alpha) * (alpha * alpha)
            return numer_1 * numer_2 / denom
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = math.pow(x - alpha - alpha * math.log(x / alpha), -1.5)
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = math.log(x / alpha) * term23 - math.sqrt(2 / alpha) * (alpha + x) / (
            (alpha - x) * (alpha - x)
        )
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        return -stirling * x * term1 / denom
    u, v = math.log(x / alpha), math.log(alpha)
    c = [_COEF_UV[0][i] + u * (_COEF_UV[1][i] + u * _COEF_UV[2][i]) for i in range(8)]
    p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
    q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
    return math.exp(p / q)


class Gamma(ExponentialFamily):
    """Gamma(concentration α, rate β): density β^α x^(α-1) e^(-βx) / Γ(α) on x ≥ 0."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0
    _expanded = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        """Gamma(α, 1) draws divided by the rate; at least the type's smallest normal."""
        shape = self._extended_shape(sample_shape)
        alpha = self.concentration.expand(*shape)
        value = StandardGamma.apply(alpha) / self.rate.expand(*shape)
        with no_grad():
            value.detach().clamp_(min=dtypes.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        value = self._value(value)
        alpha, rate = self.concentration, self.rate
        return alpha.xlogy(rate) + (alpha - 1).xlogy(value) - rate * value - alpha.lgamma()

    def entropy(self):
        alpha = self.concentration
        return alpha - self.rate.log() + alpha.lgamma() + (1.0 - alpha) * alpha.digamma()

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()

    def cdf(self, value):
        value = self._value(value)
        return gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi2(df): the sum of df squared standard normals, Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self):
        return self.concentration * 2


class Poisson(ExponentialFamily):
    """Poisson(rate): counts with probability rate^k e^(-rate) / k!."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _expanded = ("rate",)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        """torch.poisson's draws, in the rate's type."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            rate = self.rate.expand(*shape).numpy(force=True)
            return creation.tensor(random.poisson(np.ascontiguousarray(rate)))

    def log_prob(self, value):
        value = self._value(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    @property
    def _natural_params(self):
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
