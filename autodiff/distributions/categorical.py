"""Categorical and Bernoulli: given by probs or by logits."""

import math

import numpy as np

from .. import creation, dtypes
from ..grad_mode import no_grad
from ..ops.elementwise import where
from ..ops.sampling import multinomial
from ..size import as_size
from . import constraints
from .distribution import Distribution, ExponentialFamily, as_tensor, broadcast_all, lazy_property

__all__ = ["Categorical", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Bernoulli"]


def clamp_probs(probs):
    """probs kept inside [eps, 1 - eps], so their logs are finite (torch's clamp_probs)."""
    eps = dtypes.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def binary_logits(probs):
    """log(p / (1 - p)) of probabilities kept off 0 and 1 (torch's probs_to_logits with
    is_binary=True)."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p()


class BinaryParameters:
    """probs or logits, whichever a binary family was given, and the other derived from it on
    first use (torch's lazy properties): Bernoulli's, Binomial's, Geometric's and the relaxed
    Bernoulli's."""

    @lazy_property
    def logits(self):
        return binary_logits(self.probs)

    @lazy_property
    def probs(self):
        return self.logits.sigmoid()

    def _given(self, probs, logits):
        """Keep whichever of probs and logits was given (as a tensor); it is returned."""
        _one_of(type(self).__name__, probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            return self.probs
        (self.logits,) = broadcast_all(logits)
        return self.logits

    def _given_with_count(self, total_count, probs, logits):
        """_given, with total_count broadcast beside the parameter and cast to its type
        (Binomial's and NegativeBinomial's)."""
        _one_of(type(self).__name__, probs, logits)
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        total_count, param = broadcast_all(total_count, value)
        setattr(self, name, param)
        self.total_count = total_count.to(param.dtype)
        return param


def _one_of(name: str, probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")


class Categorical(Distribution):
    """Categorical(probs or logits): draws of an index into the last dim, with probability
    probs[..., i] (probs are normalised; logits are log-probabilities up to a constant)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _expanded = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        param = as_tensor(probs if probs is not None else logits)
        if param.ndim < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = param / param.sum(-1, keepdim=True)
        else:
            self.logits = param - param.logsumexp(-1, keepdim=True)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    # the parameter not given is computed on first use (so validate_args and repr see only
    # the given one, as torch's)
    @lazy_property
    def logits(self):
        return clamp_probs(self.probs).log()

    @lazy_property
    def probs(self):
        return self.logits.softmax(-1)

    def _param_event_dims(self, name: str) -> int:
        return 1

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._num_events = self._num_events
        return new

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self.probs.shape

    def sample(self, sample_shape=()):
        """Indices (int64) of shape sample_shape + batch_shape: torch's multinomial draws, with
        replacement, sample_shape.numel() per distribution."""
        shape = as_size((sample_shape,), "sample")
        with no_grad():
            probs = self.probs.reshape(-1, self._num_events)
            draws = multinomial(probs, shape.numel(), True).T
        return draws.reshape(*shape, *self.batch_shape)

    def log_prob(self, value):
        value = self._value(value)
        index = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(index.shape[:-1]), tuple(self.logits.shape[:-1]))
        index = index.expand(*shape, 1)
        return self.logits.expand(*shape, self._num_events).gather(-1, index).squeeze(-1)

    def entropy(self):
        low = dtypes.finfo(self.logits.dtype).min
        return -(self.logits.clamp(min=low) * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = creation.arange(self._num_events).reshape(-1, *(1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values

    @property
    def mean(self):
        return creation.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    variance = mean

    @property
    def mode(self):
        return self.probs.argmax(-1)


class CategoricalParameters:
    """probs, logits and param_shape of a family built on a Categorical (self._categorical):
    OneHotCategorical, Multinomial."""

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape


class OneHotCategorical(CategoricalParameters, Distribution):
    """OneHotCategorical(probs or logits): a Categorical whose draws are one-hot vectors (the
    same draws as the Categorical's under the same seed)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        super().__init__(batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        return _one_hot(probs.argmax(-1), probs.shape[-1], probs.dtype)

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape=()):
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return _one_hot(indices, self._categorical._num_events, probs.dtype)

    def log_prob(self, value):
        value = self._value(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = creation.eye(n, dtype=self._categorical.probs.dtype)
        values = values.reshape(n, *(1,) * len(self.batch_shape), n)
        return values.expand(n, *self.batch_shape, n) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A OneHotCategorical whose rsample passes gradients straight through (Bengio et al.,
    2013): the one-hot draw in value, the gradient of probs."""

    has_rsample = True

    def rsample(self, sample_shape=()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())


def _one_hot(indices, num_classes: int, dtype):
    """indices as one-hot vectors along a new last dim, in dtype (nn's one_hot, which the
    engine cannot import, then .to(probs))."""
    return (indices.unsqueeze(-1) == creation.arange(num_classes)).to(dtype)


class Bernoulli(BinaryParameters, ExponentialFamily):
    """Bernoulli(probs or logits): 1 with probability probs (= sigmoid(logits)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    _mean_carrier_measure = 0
    has_enumerate_support = True
    _expanded = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        param = as_tensor(probs if probs is not None else logits)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def param_shape(self):
        return self.probs.shape

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = creation.rand(*shape, dtype=self.probs.dtype)
            return (u < self.probs.expand(*shape)).to(self.probs.dtype)

    def log_prob(self, value):
        value = self._value(value)
        return -_bce_with_logits(self.logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = creation.arange(2, dtype=self.probs.dtype)
        values = values.reshape(-1, *(1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        """1 where probs > 1/2, 0 where below, NaN at a tie (torch's)."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    @property
    def _natural_params(self):
        return ((self.probs / (1 - self.probs)).log(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()


def softplus(x):
    """log(1 + e^x) as logaddexp(x, 0): stable at any x, and its gradient is sigmoid(x)
    everywhere (a max(x, 0) + log1p(e^-|x|) spelling has a kink in its gradient at 0)."""
    return x.logaddexp(creation.zeros((), dtype=x.dtype))


def _bce_with_logits(logits, target):
    """softplus(l) - l·t: the binary cross entropy from logits (torch's, whose gradient in
    l is sigmoid(l) - t)."""
    return softplus(logits) - logits * target
