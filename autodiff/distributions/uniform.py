"""Uniform(low, high), Exponential(rate), Laplace(loc, scale), Cauchy(loc, scale) and
GeneralizedPareto(loc, scale, concentration): the families whose draws are one uniform,
exponential or Cauchy number each, reparameterized."""

import math

from .. import creation, dtypes
from ..ops.elementwise import where
from . import constraints
from .distribution import Distribution, ExponentialFamily, LocationScale, broadcast_all

__all__ = ["Uniform", "Exponential", "Laplace", "Cauchy", "GeneralizedPareto"]


class Uniform(Distribution):
    """Uniform(low, high): equally likely anywhere in [low, high)."""

    has_rsample = True
    _expanded = ("low", "high")

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        """low + u · (high - low) with u = rand(...) as torch draws it."""
        u = creation.rand(*self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = self._value(value)
        inside = (self.low <= value).to(self.low.dtype) * (self.high > value).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value):
        value = self._value(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(ExponentialFamily):
    """Exponential(rate): waiting times with density rate · e^(-rate · x) on x ≥ 0."""

    has_rsample = True
    _mean_carrier_measure = 0
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    _expanded = ("rate",)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return creation.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        """E / rate with E ~ Exp(1) from exponential_, torch's draw."""
        shape = self._extended_shape(sample_shape)
        return creation.empty(*shape, dtype=self.rate.dtype).exponential_() / self.rate

    def log_prob(self, value):
        value = self._value(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        value = self._value(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()


class Laplace(LocationScale, Distribution):
    """Laplace(loc, scale): density e^(-|x - loc| / scale) / (2 · scale)."""

    has_rsample = True

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2**0.5) * self.scale

    def rsample(self, sample_shape=()):
        """The inverse CDF at u ~ U(eps - 1, 1) (torch's uniform_ draw; eps keeps log1p(-|u|)
        finite)."""
        shape = self._extended_shape(sample_shape)
        eps = dtypes.finfo(self.loc.dtype).eps
        u = creation.empty(*shape, dtype=self.loc.dtype).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        value = self._value(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        value = self._value(value)
        diff = value - self.loc
        return 0.5 - 0.5 * diff.sign() * (-diff.abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()


class Cauchy(LocationScale, Distribution):
    """Cauchy(loc, scale): density 1 / (π·scale·(1 + ((x − loc) / scale)²)); it has no mean
    (NaN) and no variance (inf), as torch says."""

    has_rsample = True

    @property
    def mean(self):
        return creation.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self):
        return creation.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=()):
        """loc + scale·ε with ε from cauchy_ (torch's draws)."""
        shape = self._extended_shape(sample_shape)
        eps = creation.empty(*shape, dtype=self.loc.dtype).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z**2).log1p()

    def cdf(self, value):
        value = self._value(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class GeneralizedPareto(Distribution):
    """GeneralizedPareto(loc, scale, concentration ξ): survival (1 + ξz)^(-1/ξ) at
    z = (x - loc) / scale (e^-z at ξ = 0), on [loc, loc - scale/ξ] for ξ < 0, else [loc, ∞)."""

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "concentration": constraints.real,
    }
    has_rsample = True
    _expanded = ("loc", "scale", "concentration")

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def support(self):
        lower = self.loc
        upper = where(self.concentration < 0, lower - self.scale / self.concentration, math.inf)
        return constraints.interval(lower, upper)

    def _safe_concentration(self):
        """(ξ = 0 as torch.isclose sees it, ξ with 1 there): the ξ = 0 limit is taken apart,
        so that no branch divides by 0 (whose gradient would be NaN)."""
        eq_zero = self.concentration.isclose(creation.zeros((), dtype=self.concentration.dtype))
        return eq_zero, where(eq_zero, 1.0, self.concentration)

    def rsample(self, sample_shape=()):
        u = creation.rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        value = self._value(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + creation.ones_like(z)
        nonzero = where(y == 0, y, y * (safe * z).log1p())
        return -self.scale.log() - where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        value = self._value(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        return where(eq_zero, -z, -(safe * z).log1p() / safe)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        eq_zero, safe = self._safe_concentration()
        log_u = (-value).log1p()
        nonzero = self.loc + self.scale / safe * (-safe * log_u).expm1()
        return where(eq_zero, self.loc - self.scale * log_u, nonzero)

    @property
    def mean(self):
        """loc + scale / (1 - ξ) for ξ < 1, else NaN."""
        valid = self.concentration < 1
        safe = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        """scale² / ((1 - ξ)² (1 - 2ξ)) for ξ < 1/2, else NaN."""
        valid = self.concentration < 0.5
        safe = where(valid, self.concentration, 0.25)
        return where(valid, self.scale**2 / ((1 - safe) ** 2 * (1 - 2 * safe)), math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        entropy = self.scale.log() + self.concentration + 1
        return entropy.broadcast_to(self._batch_shape)
