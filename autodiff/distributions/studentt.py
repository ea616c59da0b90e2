"""StudentT(df, loc, scale) and FisherSnedecor(df1, df2): ratios of draws (a Normal draw over
the root of a Chi2 draw over df; one Gamma draw over another)."""

import math

from .. import creation, dtypes
from ..ops.elementwise import where
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import Chi2, Gamma

__all__ = ["StudentT", "FisherSnedecor"]


class StudentT(Distribution):
    """Student's t with df degrees of freedom, shifted by loc and scaled by scale."""

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True
    _expanded = ("df", "loc", "scale", "_chi2")

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

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


class FisherSnedecor(Distribution):
    """FisherSnedecor(df1, df2): the F distribution, (X1 / df1) / (X2 / df2) for X1, X2
    chi-squared with df1, df2 degrees of freedom (drawn as Gamma(df/2, df) each)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _expanded = ("df1", "df2", "_gamma1", "_gamma2")

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    # torch writes NaN into df2 (or the result) where a moment does not exist, so that the
    # gradient there is 0
    @property
    def mean(self):
        df2 = where(self.df2 <= 2, math.nan, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return where(self.df1 <= 2, math.nan, mode)

    @property
    def variance(self):
        df2 = where(self.df2 <= 4, math.nan, self.df2)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()):
        """The first Gamma's draws over the second's (drawn in that order), each kept at
        least the type's smallest normal number."""
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).reshape(*shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(*shape)
        tiny = dtypes.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        value = self._value(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
