"""LKJCholesky(dim, concentration): the Cholesky factor L of a random dim x dim correlation
matrix L Lᵀ whose density is proportional to det(L Lᵀ)^(concentration - 1) (uniform over
correlation matrices at 1). Drawn by torch's vectorised onion method, so a seeded draw is
torch's."""

import math

from .. import creation, dtypes
from ..grad_mode import no_grad
from ..ops.shape import cat
from ..special import multigammaln
from . import constraints
from .beta import Beta
from .distribution import Distribution, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # row i's squared length below the diagonal is Beta(i/2, η + (dim-2)/2 - (i-1)/2)
        # (Lewandowski, Kurowicka and Joe 2009, section 3.2), row 0 a placeholder (unused)
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = creation.arange(dim - 1, dtype=self.concentration.dtype)
        offset = cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, (dim, dim), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        batch_shape = tuple(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(*batch_shape)
        new._beta = self._beta.expand((*batch_shape, self.dim))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        """Row i: a uniform direction in its first i coordinates scaled to length √y, y the
        row's Beta draw, and the diagonal entry that makes the row a unit vector."""
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            shape = self._extended_shape(sample_shape)
            u_normal = creation.randn(*shape, dtype=y.dtype).tril(-1)
            u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
            u_hypersphere[..., 0, :] = 0.0  # row 0 has no entries below the diagonal (0 / 0)
            w = y.sqrt() * u_hypersphere
            tiny = dtypes.finfo(w.dtype).tiny  # clamped: rounding can leave no length
            diagonal = (1 - (w**2).sum(-1)).clamp(min=tiny).sqrt()
            return w + diagonal.diag_embed()

    def log_prob(self, value):
        """Σᵢ (2(η - 1) + dim - i) log Lᵢᵢ over i = 2..dim (det(L Lᵀ)^(η-1) times the
        Jacobian of L -> L Lᵀ), less the normalizer on page 1999 of the paper."""
        value = self._value(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = creation.arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = alpha.lgamma() * dm1
        numerator = multigammaln(alpha - 0.5, dm1)
        # the paper's π term is D (D-1)/4 log π, multigammaln's (D-1)(D-2)/4 log π
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized - (pi_constant + numerator - denominator)
