"""torch.distributions: Normal, Categorical and Bernoulli with sample, rsample (Normal),
log_prob, entropy, mean and variance, built from differentiable tensor ops. Draws come from
the library's generator through ad.randn / ad.rand (ad.manual_seed)."""

import math

import numpy as np

from . import creation, dtypes
from .grad_mode import no_grad
from .size import Size, as_size
from .tensor import Tensor

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli"]


def _as_tensor(value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return creation.tensor(value, dtype=None if isinstance(value, np.ndarray) else _floating())


def _floating():
    return dtypes.get_default_dtype()


class Distribution:
    """A batch of distributions of one family (batch_shape), each over event_shape."""

    has_rsample = False
    arg_constraints: dict = {}  # parameter name -> a description of what it must satisfy

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self.batch_shape = Size(batch_shape)
        self.event_shape = Size(event_shape)
        self._validate_args = True if validate_args is None else validate_args

    def _extended_shape(self, sample_shape=()) -> Size:
        return as_size((sample_shape,), "sample") + self.batch_shape + self.event_shape

    def sample(self, sample_shape=()):
        """Draws of shape sample_shape + batch_shape, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(
            f"{type(self).__name__}.rsample: this distribution has no reparameterized "
            "sample (its draws are not differentiable). Use sample()."
        )

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _check(self, name: str, value, ok, what: str) -> None:
        if self._validate_args and not bool(np.all(ok)):
            raise ValueError(
                f"Expected {name} (Tensor of shape {tuple(np.shape(value))}) of distribution "
                f"{self!r} to satisfy the constraint {what}, but found invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        shown = []
        for name in self.arg_constraints:
            value = self.__dict__.get(name)
            if value is not None:
                shown.append(f"{name}: {value if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(shown)})"


class Normal(Distribution):
    """Normal(loc, scale): the Gaussian with mean loc and standard deviation scale."""

    has_rsample = True
    arg_constraints = {"loc": "Real()", "scale": "GreaterThan(lower_bound=0.0)"}

    def __init__(self, loc, scale, validate_args=None):
        loc, scale = _as_tensor(loc), _as_tensor(scale)
        shape = np.broadcast_shapes(loc.shape, scale.shape)
        self.loc, self.scale = loc.expand(*shape), scale.expand(*shape)
        super().__init__(shape, validate_args=validate_args)
        self._check("parameter scale", scale.numpy(), scale.numpy() > 0, "GreaterThan(0.0)")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

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
        value = _as_tensor(value)
        var = self.scale**2
        log_norm = math.log(math.sqrt(2 * math.pi))
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - log_norm

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        value = _as_tensor(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())


def _clamped(probs):
    """probs kept inside [eps, 1 - eps], so their logs are finite (torch's clamp_probs)."""
    eps = dtypes.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def _one_of(name: str, probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")


class Categorical(Distribution):
    """Categorical(probs or logits): draws of an index into the last dim, with probability
    probs[..., i] (probs are normalised; logits are log-probabilities up to a constant)."""

    arg_constraints = {"probs": "Simplex()", "logits": "IndependentConstraint(Real(), 1)"}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        param = _as_tensor(probs if probs is not None else logits)
        if param.ndim < 1:
            raise ValueError("Categorical: probs/logits must have at least one dim")
        super().__init__(param.shape[:-1], validate_args=validate_args)
        if probs is not None:
            self._check("parameter probs", param.numpy(), param.numpy() >= 0, "Simplex()")
            self.probs = param / param.sum(-1, keepdim=True)
            self.logits = _clamped(self.probs).log()
        else:
            self.logits = param - param.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = param.shape[-1]

    @property
    def param_shape(self) -> Size:
        return self.probs.shape

    def sample(self, sample_shape=()):
        """Indices (int64) of shape sample_shape + batch_shape, by the inverse of the CDF."""
        shape = as_size((sample_shape,), "sample")
        with no_grad():
            cdf = self.probs.reshape(-1, self._num_events).cumsum(-1)
            u = creation.rand(*shape, cdf.shape[0], dtype=self.probs.dtype) * cdf[:, -1]
            index = (u.unsqueeze(-1) >= cdf).sum(-1).clamp(max=self._num_events - 1)
        return index.reshape(*shape, *self.batch_shape)

    def log_prob(self, value):
        value = _as_tensor(value)
        data = value.numpy()
        ok = (data == np.round(data)) & (data >= 0) & (data < self._num_events)
        self._check("value", data, ok, f"IntegerInterval(0, {self._num_events - 1})")
        index = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(index.shape, self.logits.shape)
        index = index.expand(*shape[:-1], 1)
        return self.logits.expand(*shape).gather(-1, index).squeeze(-1)

    def entropy(self):
        low = dtypes.finfo(self.logits.dtype).min
        return -(self.logits.clamp(min=low) * self.probs).sum(-1)

    @property
    def mean(self):
        return creation.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    variance = mean

    @property
    def mode(self):
        return self.probs.argmax(-1)


class Bernoulli(Distribution):
    """Bernoulli(probs or logits): 1 with probability probs (= sigmoid(logits)), else 0."""

    arg_constraints = {"probs": "Interval(0.0, 1.0)", "logits": "Real()"}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        param = _as_tensor(probs if probs is not None else logits)
        super().__init__(param.shape, validate_args=validate_args)
        if probs is not None:
            p = param.numpy()
            self._check("parameter probs", p, (p >= 0) & (p <= 1), "Interval(0.0, 1.0)")
            self.probs = param
            clamped = _clamped(param)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            self.logits = param
            self.probs = param.sigmoid()

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = creation.rand(*shape, dtype=self.probs.dtype)
            return (u < self.probs.expand(*shape)).to(self.probs.dtype)

    def log_prob(self, value):
        value = _as_tensor(value)
        data = value.numpy()
        self._check("value", data, (data == 0) | (data == 1), "Boolean()")
        return -_bce_with_logits(self.logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return (self.probs > 0.5).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)


def _bce_with_logits(logits, target):
    """max(l, 0) - l·t + log(1 + e^-|l|): the binary cross entropy, stable at any logit."""
    return logits.clamp(min=0) - logits * target + (-logits.abs()).exp().log1p()
