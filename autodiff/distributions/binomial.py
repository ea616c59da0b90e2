"""Binomial(total_count, probs or logits), Geometric(probs or logits) and
NegativeBinomial(total_count, probs or logits): counts of Bernoulli trials (successes in
total_count of them; failures before the first success; successes before total_count
failures)."""

import numpy as np

from .. import creation, dtypes, random
from ..grad_mode import no_grad
from . import constraints
from .categorical import BinaryParameters, _bce_with_logits, softplus
from .distribution import Distribution, broadcast_all, lazy_property
from .gamma import Gamma

__all__ = ["Binomial", "Geometric", "NegativeBinomial"]


class Binomial(BinaryParameters, Distribution):
    """Binomial(total_count, probs or logits): successes in total_count trials."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True
    _expanded = ("total_count", "probs", "logits")

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = self._given_with_count(total_count, probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def _param(self):
        """The parameter given (probs or logits), without computing the other."""
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """torch.binomial's draws (random.binomial: its CPU algorithms on our generator)."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            count = np.ascontiguousarray(self.total_count.expand(*shape).numpy(force=True))
            probs = np.ascontiguousarray(self.probs.expand(*shape).numpy(force=True))
            return creation.tensor(random.binomial(count, probs))

    def log_prob(self, value):
        """k·logit - n·softplus(logit) + log C(n, k), with softplus split as torch's (a
        half-and-half max(logit, 0), whose gradient at 0 is 1/2)."""
        value = self._value(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        clamped = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
        normalize = n * clamped + n * (-logits.abs()).exp().log1p() - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize

    def _homogeneous_count(self, what: str) -> int:
        total = int(self.total_count.max().item())
        if not self.total_count.min().item() == total:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total

    def entropy(self):
        """-Σ_k p(k) log p(k) over the support (one total_count for the whole batch)."""
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total = self._homogeneous_count("enumerate_support")
        values = creation.arange(1 + total, dtype=self._param.dtype)
        values = values.reshape(-1, *(1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values


class Geometric(BinaryParameters, Distribution):
    """Geometric(probs or logits): failures before the first success, P(k) = (1-p)^k p."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    _expanded = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._given(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(
                f"Expected parameter probs ({type(self.probs).__name__} of shape "
                f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                f"invalid values:\n{self.probs[~(self.probs > 0)]}"
            )

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return creation.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        """floor(log u / log(1 - p)) with u uniform on [tiny, 1), torch's draw."""
        shape = self._extended_shape(sample_shape)
        tiny = dtypes.finfo(self.probs.dtype).tiny
        with no_grad():
            u = creation.empty(*shape, dtype=self.probs.dtype).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        """k log(1 - p) + log p; at p = 1 and k = 0 that is 0 (not 0 · -inf)."""
        value = self._value(value)
        value, probs = broadcast_all(value, self.probs)
        certain = (probs == 1) & (value == 0)
        probs = probs.masked_fill(certain, 0.0) if bool(certain.any()) else probs
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs) / self.probs


class NegativeBinomial(BinaryParameters, Distribution):
    """NegativeBinomial(total_count r, probs p or logits): successes before the r-th failure,
    P(k) = C(k + r - 1, k) p^k (1 - p)^r (r may be any nonnegative real)."""

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer
    _expanded = ("total_count", "probs", "logits")

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        param = self._given_with_count(total_count, probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def param_shape(self):
        return self.total_count.shape

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        """The Gamma(r, (1 - p) / p) whose draws are the Poisson rates (a Gamma-Poisson
        mixture)."""
        return Gamma(self.total_count, (-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=()):
        """torch's draws: Gamma rates, then torch.poisson of them."""
        with no_grad():
            rate = self._gamma.sample(sample_shape).numpy(force=True)
            return creation.tensor(random.poisson(np.ascontiguousarray(rate)))

    def log_prob(self, value):
        """r·log σ(-l) + k·log σ(l) + log Γ(r + k) - log k! - log Γ(r), the normaliser 0 where
        r + k = 0 (the single value of a zero-count distribution)."""
        value = self._value(value)
        r, logits = self.total_count, self.logits
        log_unnormalized = -r * softplus(logits) - value * softplus(-logits)
        log_normalization = -(r + value).lgamma() + (1.0 + value).lgamma() + r.lgamma()
        log_normalization = log_normalization.masked_fill(r + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
