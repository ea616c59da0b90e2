"""Multinomial(total_count, probs or logits): how many of total_count Categorical draws fall
in each category (torch's draws: the Categorical's, counted)."""

import math

from .. import creation, dtypes
from ..ops.elementwise import where
from ..size import as_size
from . import constraints
from .binomial import Binomial
from .categorical import Categorical, CategoricalParameters, _one_hot
from .distribution import Distribution, broadcast_all

__all__ = ["Multinomial"]


class Multinomial(CategoricalParameters, Distribution):
    """Counts over the last dim of probs (normalised; logits are log-probabilities up to a
    constant) in total_count trials, one count shared by the whole batch."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = self._binomial  # (torch's expand drops it: entropy then fails)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """total_count Categorical draws (drawn first, as torch), counted per category."""
        shape = as_size((sample_shape,), "sample")
        draws = self._categorical.sample((self.total_count, *shape))
        num_events = self._categorical._num_events
        return _one_hot(draws, num_events, self.probs.dtype).sum(0)

    def log_prob(self, value):
        """log n! - Σ log x_i! + Σ x_i log p_i (a zero count of an impossible category adds 0,
        not 0 · -inf)."""
        value = self._value(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        logits = where((value == 0) & (logits == -math.inf), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        """n·H(categorical) - log n! + Σ_i E[log x_i!], x_i ~ Binomial(n, p_i) (torch takes
        log n! in the default float type, so that precision is kept)."""
        n = self.total_count
        log_factorial_n = creation.tensor(float(n + 1), dtype=dtypes.get_default_dtype()).lgamma()
        term1 = n * self._categorical.entropy() - log_factorial_n
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = (support + 1).lgamma()
        return term1 + (binomial_probs * weights).sum((0, -1))
