"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): the Gaussian with covariance
W Wᵀ + diag(D) for a tall W (n x m, m << n), worked through the m x m capacitance matrix
C = I + Wᵀ D⁻¹ W (Woodbury's identity for the inverse, the determinant lemma for log |Σ|),
as torch does, so nothing n x n is factored."""

import math

import numpy as np

from .. import creation
from ..linalg import cholesky, solve_triangular
from . import constraints
from .distribution import Distribution, lazy_property
from .multivariate_normal import batch_mahalanobis

__all__ = ["LowRankMultivariateNormal"]


def _batch_mv(matrix, vector):
    return (matrix @ vector.unsqueeze(-1)).squeeze(-1)


def _plus_identity(K):
    return K + creation.eye(K.shape[-1], dtype=K.dtype)


def batch_capacitance_tril(W, D):
    """The Cholesky factor of C = I + Wᵀ D⁻¹ W."""
    return cholesky(_plus_identity((W.mT / D.unsqueeze(-2)) @ W))


def batch_lowrank_logdet(W, D, capacitance_tril):
    """log |W Wᵀ + D| = log |C| + log |D| (the matrix determinant lemma)."""
    return 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def batch_lowrank_mahalanobis(W, D, x, capacitance_tril):
    """xᵀ (W Wᵀ + D)⁻¹ x through Woodbury: (W Wᵀ + D)⁻¹ = D⁻¹ - D⁻¹ W C⁻¹ Wᵀ D⁻¹."""
    Wt_Dinv_x = _batch_mv(W.mT / D.unsqueeze(-2), x)
    return (x.pow(2) / D).sum(-1) - batch_mahalanobis(capacitance_tril, Wt_Dinv_x)


class LowRankMultivariateNormal(Distribution):
    """The Gaussian over vectors with mean loc and covariance cov_factor cov_factorᵀ +
    diag(cov_diag)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError(
                "cov_factor must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(
                f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m"
            )
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            shape = np.broadcast_shapes(
                (*loc.shape, 1), tuple(cov_factor.shape), (*cov_diag.shape, 1)
            )
        except ValueError as error:
            raise ValueError(
                f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                f"cov_diag {cov_diag.shape}"
            ) from error
        self.cov_factor = cov_factor.expand(*shape)
        self.loc = loc.expand(*shape[:-1])
        self.cov_diag = cov_diag.expand(*shape[:-1])
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(shape[:-2], event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        new.loc = self.loc.expand(*loc_shape)
        new.cov_diag = self.cov_diag.expand(*loc_shape)
        new.cov_factor = self.cov_factor.expand(*loc_shape, self.cov_factor.shape[-1])
        for name in ("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag", "_capacitance_tril"):
            setattr(new, name, getattr(self, name))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return (*self._batch_shape, *self._event_shape, *self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(*self._batch_shape, *self._event_shape)

    @lazy_property
    def scale_tril(self):
        """D^½ chol(I + D^-½ W Wᵀ D^-½): that matrix's eigenvalues are at least 1, so its
        Cholesky factor is well conditioned (GPML 3.4.3), unlike W Wᵀ + D's own."""
        D_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        Dinvsqrt_W = self._unbroadcasted_cov_factor / D_sqrt
        K = _plus_identity(Dinvsqrt_W @ Dinvsqrt_W.mT)
        return (D_sqrt * cholesky(K)).expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W @ W.mT + D.diag_embed()).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        """D⁻¹ - Aᵀ A with A = C_L⁻¹ Wᵀ D⁻¹ (Woodbury)."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        A = solve_triangular(self._capacitance_tril, W.mT / D.unsqueeze(-2), upper=False)
        return (D.reciprocal().diag_embed() - A.mT @ A).expand(*self._matrix_shape())

    def rsample(self, sample_shape=()):
        """loc + W ε_W + D^½ ε_D, with ε_W (rank) drawn before ε_D (n), as torch draws them."""
        shape = self._extended_shape(sample_shape)
        W_shape = (*shape[:-1], self.cov_factor.shape[-1])
        eps_W = creation.empty(*W_shape, dtype=self.loc.dtype).normal_()
        eps_D = creation.empty(*shape, dtype=self.loc.dtype).normal_()
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self.loc + _batch_mv(W, eps_W) + D.sqrt() * eps_D

    def _log_det(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return batch_lowrank_logdet(W, D, self._capacitance_tril)

    def log_prob(self, value):
        value = self._value(value)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        M = batch_lowrank_mahalanobis(W, D, value - self.loc, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + M)

    def entropy(self):
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H if len(self._batch_shape) == 0 else H.expand(*self._batch_shape)
