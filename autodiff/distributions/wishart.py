"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): the distribution of
Σᵢ xᵢ xᵢᵀ over df Gaussian vectors xᵢ ~ N(0, Σ) (df may be fractional), worked through the
lower Cholesky factor L of Σ as MultivariateNormal is. Draws by the Bartlett decomposition,
in torch's order of random numbers, so a seeded draw is torch's."""

import math
import warnings

import numpy as np

from .. import creation, dtypes
from ..linalg import cholesky, slogdet
from ..ops.elementwise import where
from ..ops.factored import cholesky_solve
from ..ops.shape import stack
from ..size import as_size
from ..tensor import Tensor
from . import constraints
from .distribution import ExponentialFamily, as_tensor, lazy_property
from .gamma import Chi2
from .multivariate_normal import _precision_to_scale_tril
from .transforms import vec_to_tril_matrix

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p: int):
    """Σ_{i<p} digamma(x - i/2), the derivative of multigammaln(x, p)."""
    if not bool(((x > (p - 1) / 2).all()).item()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    steps = creation.arange(p, dtype=x.dtype) / 2
    return (x.unsqueeze(-1) - steps).digamma().sum(-1)


class Wishart(ExponentialFamily):
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(
        self,
        df,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ):
        given = {"covariance_matrix": covariance_matrix, "precision_matrix": precision_matrix,
                 "scale_tril": scale_tril}  # fmt: skip
        given = {name: m for name, m in given.items() if m is not None}
        if len(given) != 1:
            raise AssertionError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        ((name, param),) = given.items()
        if param.dim() < 2:
            raise ValueError(
                "scale_tril must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        if isinstance(df, Tensor):
            batch_shape = np.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape))
            self.df = df.expand(*batch_shape)
        else:
            batch_shape = tuple(param.shape[:-2])
            self.df = as_tensor(df, param.dtype)
        p = param.shape[-1]
        if bool((self.df <= p - 1).any().item()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        self.__dict__[name] = param.expand(*batch_shape, -1, -1)
        if bool((self.df < p).any().item()):
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for "
                "ndim - 1 < df < ndim.",
                stacklevel=2,
            )
        super().__init__(batch_shape, param.shape[-2:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)
        self._dist_chi2 = self._chi2()

    def _chi2(self):
        """The Bartlett factor's squared diagonal: entry i is χ²(df - i)."""
        p = self._event_shape[-1]
        steps = creation.arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        return Chi2(self.df.unsqueeze(-1) - steps.expand(*self._batch_shape, p))

    def expand(self, batch_shape, _instance=None):
        new = self._new_instance(_instance)
        batch_shape = tuple(batch_shape)
        cov_shape = (*batch_shape, *self._event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(*cov_shape)
        new.df = self.df.expand(*batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*cov_shape)
        ExponentialFamily.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._dist_chi2 = new._chi2()
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return (*self._batch_shape, *self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-2, -1)).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        identity = creation.eye(self._event_shape[-1], dtype=L.dtype)
        return cholesky_solve(identity, L).expand(*self._matrix_shape())

    def _per_matrix(self, t):
        return t.view(*self._batch_shape, 1, 1)

    @property
    def mean(self):
        return self._per_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self):
        """(df - p - 1) Σ, NaN where df <= p + 1 (no mode)."""
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = where(factor <= 0, math.nan, factor)
        return self._per_matrix(factor) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag = V.diagonal(dim1=-2, dim2=-1)
        return self._per_matrix(self.df) * (V.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=()):
        """L A (L A)ᵀ with A lower triangular: √χ² on its diagonal, standard normals below."""
        p = self._event_shape[-1]
        eps = dtypes.finfo(self._unbroadcasted_scale_tril.dtype).eps
        diagonal = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=eps)
        below = creation.randn(*sample_shape, *self._batch_shape, p * (p - 1) // 2,
                               dtype=diagonal.dtype)  # fmt: skip
        A = diagonal.diag_embed() + vec_to_tril_matrix(below, -1)
        chol = self._unbroadcasted_scale_tril @ A
        return chol @ chol.transpose(-2, -1)

    def _flags(self, sample):
        """support.check per draw (all of a draw's batch of matrices together)."""
        ok = np.asarray(self.support.check(sample).numpy(force=True))
        if self._batch_shape:
            ok = ok.reshape(*ok.shape[: ok.ndim - len(self._batch_shape)], -1).max(-1)
        return ok

    def rsample(self, sample_shape=(), max_try_correction=None):
        """Bartlett draws, then torch 2.13's correction pass: torch flags the draws that PASS
        the positive-definite check (its first check lacks a negation), warns "Singular sample
        detected." and draws those again until the new ones pass; repeated here, so that the
        random numbers used, and so the draws, are torch's."""
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = tuple(as_size((sample_shape,), "sample"))
        sample = self._bartlett_sampling(sample_shape)
        flagged = self._flags(sample).reshape(-1)  # torch's is_singular, one per draw
        if not flagged.any():
            return sample
        warnings.warn("Singular sample detected.", stacklevel=2)
        rest = sample.shape[len(sample_shape) :]
        draws = list(sample.reshape(-1, *rest).unbind(0))
        for _ in range(max_try_correction):
            where_flagged = np.flatnonzero(flagged)
            new = self._bartlett_sampling((len(where_flagged),))
            for position, row in enumerate(where_flagged):
                draws[row] = new[position]
            flagged[where_flagged] = ~self._flags(new).reshape(-1)
            if not flagged.any():
                break
        return stack(draws).reshape(*sample.shape)

    def _log_det_half(self):
        """p log 2 / 2 + log |L| = (log |2 Σ|) / 2."""
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        return p * _LOG_2 / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        value = self._value(value)
        nu, p = self.df, self._event_shape[-1]
        trace = cholesky_solve(value, self._unbroadcasted_scale_tril)
        trace = trace.diagonal(dim1=-2, dim2=-1).sum(-1)
        return (
            -nu * self._log_det_half()
            - (nu / 2).mvlgamma(p)
            + (nu - p - 1) / 2 * slogdet(value).logabsdet
            - trace / 2
        )

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return (
            (p + 1) * self._log_det_half()
            + (nu / 2).mvlgamma(p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p)
            + nu * p / 2
        )

    @property
    def _natural_params(self) -> tuple:
        nu, p = self.df, self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-slogdet(-2 * x).logabsdet + _LOG_2 * p) + (
            y + (p + 1) / 2
        ).mvlgamma(p)
