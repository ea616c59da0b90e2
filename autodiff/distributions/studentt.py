"""StudentT(df, loc, scale): a Normal draw divided by the root of a Chi2 draw over df."""

import math

from .. import creation
from ..ops.elementwise import where
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import Chi2

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t with df degrees of freedom, shifted by loc and scaled by scale."""

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        for name in ("df", "loc", "scale"):
            setattr(new, name, getattr(self, name).expand(*batch_shape))
        new._chi2 = self._chi2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """loc, undefined (NaN) for df ≤ 1."""
        return where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """scale² df / (df - 2) for df > 2, infinite for 1 < df ≤ 2, NaN below (the formula
        sees only df > 2, so that its gradient elsewhere is 0, not NaN)."""
        above = self.df > 2
        df = where(above, self.df, 3.0)
        finite = self.scale.pow(2) * df / (df - 2)
        return where(above, finite, where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        """loc + scale · X / sqrt(Z / df): X standard normal first, then Z ~ Chi2(df) (torch's
        order of draws)."""
        shape = self._extended_shape(sample_shape)
        x = creation.empty(*shape, dtype=self.df.dtype).normal_()
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * (z / self.df).rsqrt())

    def log_prob(self, value):
        value = self._value(value)
        y = (value - self.loc) / self.scale
        df = self.df
        z = (
            self.scale.log()
            + 0.5 * df.log()
            + 0.5 * math.log(math.pi)
            + (0.5 * df).lgamma()
            - (0.5 * (df + 1.0)).lgamma()
        )
        return -0.5 * (df + 1.0) * (y**2.0 / df).log1p() - z

    def entropy(self):
        df = self.df
        lbeta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        spread = (0.5 * (df + 1)).digamma() - (0.5 * df).digamma()
        return self.scale.log() + 0.5 * (df + 1) * spread + 0.5 * df.log() + lbeta
