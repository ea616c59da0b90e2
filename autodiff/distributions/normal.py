"""Normal(loc, scale)."""

import math

from .. import creation
from .distribution import ExponentialFamily, LocationScale

__all__ = ["Normal"]


class Normal(LocationScale, ExponentialFamily):
    """Normal(loc, scale): the Gaussian with mean loc and standard deviation scale."""

    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def variance(self):
        return self.scale**2

    @property
    def stddev(self):
        return self.scale

    def rsample(self, sample_shape=()):
        """loc + scale · ε with ε ~ N(0, 1): differentiable in loc and scale."""
        shape = self._extended_shape(sample_shape)
        eps = creation.randn(*shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value)
        var = self.scale**2
        log_norm = math.log(math.sqrt(2 * math.pi))
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - log_norm

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        value = self._value(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    @property
    def _natural_params(self):
        return self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal()

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)
