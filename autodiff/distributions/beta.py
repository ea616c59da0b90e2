"""Dirichlet(concentration) and Beta(concentration1, concentration0) (a Dirichlet over two
outcomes). Draws are torch's (_sample_dirichlet's CPU algorithm); rsample differentiates them
implicitly, with torch's approximation of d(draw)/dα (dirichlet_grad.py)."""

import numbers

import numpy as np

from .. import creation, random
from ..function import Function
from ..ops.elementwise import where
from ..ops.shape import stack
from . import constraints
from .dirichlet_grad import dirichlet_grad
from .distribution import Distribution, ExponentialFamily, as_tensor, broadcast_all

__all__ = ["Dirichlet", "Beta"]


class StandardDirichlet(Function):
    """Dirichlet(α) draws; backward through each coordinate's Beta(α_i, Σα - α_i) gradient,
    projected so that the draw stays on the simplex (torch's _Dirichlet)."""

    node_name = "_DirichletBackward"
    symbol = "Dir(α)"

    @staticmethod
    def forward(ctx, concentration):
        x = random.dirichlet(np.ascontiguousarray(concentration))
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, alpha = ctx.saved_tensors
        x_, alpha_ = x.numpy(force=True), alpha.numpy(force=True)
        total = np.broadcast_to(alpha_.sum(-1, keepdims=True), alpha_.shape)
        slope = creation.tensor(dirichlet_grad(x_, alpha_, total).astype(x_.dtype))
        return slope * (grad - (x * grad).sum(-1, True))


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration α): probability vectors x (a simplex) with density
    Γ(Σα) / ΠΓ(α) · Π x^(α-1)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _expanded = ("concentration",)

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return StandardDirichlet.apply(self.concentration.expand(*shape))

    def log_prob(self, value):
        value = self._value(value)
        alpha = self.concentration
        return (alpha - 1.0).xlogy(value).sum(-1) + alpha.sum(-1).lgamma() - alpha.lgamma().sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        """(α - 1)₊ normalised; where every α < 1, the one-hot vector of its largest entry."""
        above = (self.concentration - 1).clamp(min=0.0)
        all_below = (self.concentration < 1).all(-1, keepdim=True)
        total = where(all_below, 1.0, above.sum(-1, True))  # no 0 / 0 (NaN in the gradient)
        mode = above / total
        k = above.shape[-1]
        one_hot = creation.eye(k, dtype=mode.dtype)[mode.argmax(-1)]
        return where(all_below, one_hot, mode)

    @property
    def variance(self):
        total = self.concentration.sum(-1, True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def entropy(self):
        alpha = self.concentration
        k = alpha.shape[-1]
        a0 = alpha.sum(-1)
        return (
            alpha.lgamma().sum(-1)
            - a0.lgamma()
            - (k - a0) * a0.digamma()
            - ((alpha - 1.0) * alpha.digamma()).sum(-1)
        )

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()


class Beta(ExponentialFamily):
    """Beta(concentration1 α, concentration0 β): x in [0, 1] with density ∝ x^(α-1) (1-x)^(β-1)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if all(isinstance(c, numbers.Number) for c in (concentration1, concentration0)):
            both = as_tensor([float(concentration1), float(concentration0)])
        else:
            both = stack(broadcast_all(concentration1, concentration0), -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        value = self._value(value)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def _natural_params(self):
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
