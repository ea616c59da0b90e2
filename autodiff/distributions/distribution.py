"""The base class of torch.distributions' families and the helpers they share."""

import functools
import numbers
import warnings

import numpy as np

from .. import creation, dtypes
from ..grad_mode import no_grad
from ..gradients import grad
from ..size import Size, as_size
from ..tensor import Tensor
from . import constraints

__all__ = ["Distribution", "ExponentialFamily"]


EULER_GAMMA = 0.57721566490153286060  # the Euler-Mascheroni constant (Gumbel's, Gamma's KLs)


def as_tensor(value, dtype=None) -> Tensor:
    """A parameter or value as a tensor: Python numbers take the default float dtype (or dtype,
    the dtype of the tensors beside them, as torch's broadcast_all)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return creation.tensor(value)
    return creation.tensor(value, dtype=dtype or dtypes.get_default_dtype())


def broadcast_all(*values) -> list:
    """The parameters as tensors of one shape (views); numbers take the tensors' dtype."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, Tensor | numbers.Number | np.ndarray):
            raise ValueError(
                f"Input arguments must all be instances of numbers.Number or torch.Tensor, "
                f"got {type(v).__name__}"
            )
    dtype = tensors[0].dtype if tensors else None
    values = [as_tensor(v, dtype) for v in values]
    shape = np.broadcast_shapes(*(v.shape for v in values))
    return [v.expand(*shape) for v in values]


def sum_rightmost(value: Tensor, dims: int) -> Tensor:
    """value summed over its `dims` rightmost dims (torch's _sum_rightmost)."""
    if dims == 0:
        return value
    return value.reshape(*value.shape[: value.ndim - dims], -1).sum(-1)


class Distribution:
    """A batch of distributions of one family (batch_shape), each over event_shape.
    arg_constraints maps each parameter to the constraint validate_args checks it against;
    support is the constraint on values."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True  # torch's default (__debug__)
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _check_parameters(self) -> None:
        for name, constraint in self.arg_constraints.items():
            value = self.__dict__.get(name)
            if value is None and isinstance(getattr(type(self), name, None), property):
                value = getattr(self, name)  # a parameter derived from others (Chi2's df)
            if value is None or constraint is constraints.dependent:
                continue  # not given (the other of probs / logits), or not checkable
            if not bool(np.all(constraint.check(value).numpy(force=True))):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n{value}"
                )

    def _validate_sample(self, value) -> None:
        """torch's checks of a value given to log_prob / cdf: a tensor, of a shape that
        broadcasts with batch_shape + event_shape, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.ndim - len(self._event_shape)
        if value.shape[event_start:] != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: {value.shape} vs "
                f"{self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    "Value is not broadcastable with batch_shape+event_shape: "
                    f"{value.shape} vs {expected}."
                )
        if self.support is None:  # a user's family that names no support: nothing to check
            warnings.warn(
                f"{type(self)} does not define `support` to enable sample validation. Please "
                "initialize the distribution with `validate_args=False` to turn off validation.",
                stacklevel=3,
            )
            return
        if not bool(np.all(self.support.check(value).numpy(force=True))):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({self.support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}"
            )

    def _value(self, value) -> Tensor:
        """A value to score, checked when validate_args is on."""
        if self._validate_args:
            self._validate_sample(value)
        return value if isinstance(value, Tensor) else as_tensor(value)

    def _extended_shape(self, sample_shape=()) -> Size:
        return as_size((sample_shape,), "sample") + self._batch_shape + self._event_shape

    def _new_instance(self, _instance):
        """An empty instance of this class for expand (torch's _get_checked_instance)."""
        if _instance is not None:
            raise NotImplementedError(
                f"{type(self).__name__}.expand: passing _instance (torch's hook for a subclass "
                "to fill its own instance) is not supported; override expand instead"
            )
        return type(self).__new__(type(self))

    def expand(self, batch_shape, _instance=None):
        """The same distribution repeated to batch_shape (parameters expanded, not copied)."""
        new = self._new_instance(_instance)
        batch_shape = Size(batch_shape)
        for name in self._expanded:
            value = self.__dict__.get(name)
            if isinstance(value, Distribution):  # one it draws from (StudentT's Chi2)
                setattr(new, name, value.expand(batch_shape))
            elif value is not None:
                shape = batch_shape + value.shape[value.ndim - self._param_event_dims(name) :]
                setattr(new, name, value.expand(*shape))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    _expanded: tuple = ()  # the parameters (and inner distributions) expand() broadcasts

    def _param_event_dims(self, name: str) -> int:
        """How many rightmost dims of a parameter are not batch dims (a probs vector: 1)."""
        return len(self._event_shape)

    def sample(self, sample_shape=()):
        """Draws of shape sample_shape + batch_shape + event_shape, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n: int):
        return self.sample((n,))

    def rsample(self, sample_shape=()):
        raise NotImplementedError(
            f"{type(self).__name__}.rsample: this distribution has no reparameterized "
            "sample (its draws are not differentiable). Use sample()."
        )

    def _not_defined(self, what: str):
        raise NotImplementedError(f"{type(self).__name__} has no {what}")

    def log_prob(self, value):
        self._not_defined("log_prob")

    def cdf(self, value):
        self._not_defined("cdf")

    def icdf(self, value):
        self._not_defined("icdf")

    def entropy(self):
        self._not_defined("entropy")

    @property
    def mean(self):
        self._not_defined("mean")

    @property
    def mode(self):
        self._not_defined("mode")

    @property
    def variance(self):
        self._not_defined("variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def __repr__(self) -> str:
        shown = []
        for name in self.arg_constraints:
            value = self.__dict__.get(name)
            if value is not None:
                shown.append(f"{name}: {value if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(shown)})"


class lazy_property:
    """A property computed on first use and then kept in the instance's __dict__ (torch's
    lazy_property: MultivariateNormal's covariance from a given scale_tril)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


class ExponentialFamily(Distribution):
    """A family with density exp(<t(x), θ> - F(θ) + k(x)): its natural parameters θ
    (_natural_params) and log normalizer F (_log_normalizer) give the entropy and the KL
    divergence within the family as Bregman divergences of F (through F's gradient)."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} does not give its natural parameters")

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError(f"{type(self).__name__} does not give its log normalizer")

    @property
    def _mean_carrier_measure(self) -> float:
        """E[k(x)]: known for some families only (torch's Poisson has none: no entropy)."""
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def bregman_terms(self):
        """The natural parameters (fresh leaves), F at them, and F's gradient (in the graph)."""
        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normal = self._log_normalizer(*params)
        grads = grad(log_normal.sum(), params, create_graph=True)
        return params, log_normal, grads

    def entropy(self):
        params, log_normal, grads = self.bregman_terms()
        result = log_normal - self._mean_carrier_measure
        for param, g in zip(params, grads):
            result = result - (param * g).reshape(*self._batch_shape, -1).sum(-1)
        return result


class LocationScale:
    """A real family of a location loc (its mean and mode) and a positive scale, broadcast
    together: Normal's and Laplace's parameters (a mixin before their base)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    _expanded = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc
