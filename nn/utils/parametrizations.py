"""torch.nn.utils.parametrizations: orthogonal, spectral_norm and weight_norm as
parametrizations (nn/utils/parametrize.py) of a module's tensor, as torch's."""

from enum import Enum, auto

import numpy as np

import autodiff as ad

from .. import functional as F
from ..conv_transpose import ConvTranspose1d, ConvTranspose2d
from ..module import Module
from . import parametrize
from .weight_norm import norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _is_orthogonal(Q) -> bool:
    n, k = Q.size(-2), Q.size(-1)
    eps = 10.0 * n * ad.finfo(Q.dtype).eps
    return ad.allclose(Q.mH @ Q, ad.eye(k, dtype=Q.dtype), atol=eps)


def _make_orthogonal(A):
    """The Q of A's QR decomposition with the signs that make R's diagonal positive: the
    orthogonal matrix closest to A in a sense, as torch picks it."""
    X, tau = ad.geqrf(A)
    Q = ad.linalg.householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """An orthogonal matrix (or batch) from an unconstrained one X: the exponential or the
    Cayley map of the skew-symmetric matrix from X's lower triangle, or the product of the
    Householder reflectors below X's diagonal. With use_trivialization, a buffer `base` (set by
    right_inverse) multiplies the result, so that any orthogonal matrix can be assigned."""

    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k  # works on the tall form
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map == _OrthMaps.householder:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = ad.linalg.householder_product(A, tau)
            # torch's sign flip: the diagonal of X cast to int (-1 after right_inverse)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            Q = self._skew_map(X.tril(), n, k)
        base = self._buffers.get("base")  # None until right_inverse sets it
        if base is not None:
            Q = base @ Q
        return Q.mT if transposed else Q

    def _skew_map(self, X, n: int, k: int):
        """exp(A) or the Cayley transform (I - A/2)^-1 (I + A/2) of the skew-symmetric A made
        from X (padded to n x n), its first k columns."""
        if n != k:
            X = ad.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
        A = X - X.mH
        if self.orthogonal_map == _OrthMaps.matrix_exp:
            Q = ad.matrix_exp(A)
        else:
            Id = ad.eye(n, dtype=A.dtype)
            Q = ad.linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
        return Q[..., :k] if n != k else Q

    def right_inverse(self, Q):
        """An X that forward maps to Q: with use_trivialization, base becomes Q (completed to
        a square orthogonal matrix, made orthogonal if it is not) and X the matrix that forward
        maps to the identity; without, X holds Q's Householder reflectors."""
        with ad.no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. "
                    f"Got a tensor of shape {Q.shape}."
                )
            shape = Q.shape
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q, n, k = Q.mT, k, n
            if "base" not in self._buffers:
                return self._reflectors(Q, transpose)
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # completed with random columns, as torch draws them
                N = ad.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(ad.cat([Q, N], dim=-1))
            self.base = Q
            return (-ad.eye(shape[-2], shape[-1], dtype=Q.dtype)).expand(shape).clone()

    def _reflectors(self, Q, transpose: bool):
        """Without a base: Q's QR reflectors, the diagonal holding the signs forward needs."""
        if self.orthogonal_map != _OrthMaps.householder:
            raise NotImplementedError(
                "It is not possible to assign to the matrix exponential or the Cayley "
                "parametrizations when use_trivialization=False."
            )
        A, tau = ad.geqrf(Q)
        array, flips = A.numpy(force=True).copy(), tau.numpy(force=True) == 0.0
        i = np.arange(min(array.shape[-2:]))
        signs = np.sign(array[..., i, i])
        signs[flips] *= -1
        array[..., i, i] = signs
        A = ad.from_numpy(array)
        return A.mT if transpose else A


def orthogonal(module, name: str = "weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize module.<name> (a matrix or a batch of them) as orthogonal (unitary):
    orthogonal_map "matrix_exp", "cayley" or "householder" (None: matrix_exp for square or
    complex matrices, householder otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, ad.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """w = g · v / ‖v‖ (the norm over every dim but dim), from original0 = g, original1 = v."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Parametrize module.<name> as g · v / ‖v‖: its magnitude
    parametrizations.<name>.original0 and direction original1 learned apart. A state dict of
    the deprecated nn.utils.weight_norm (<name>_g, <name>_v) loads into it, as torch's."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def renamed_old_keys(state_dict, prefix, *_):
        g, v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v)

    module._register_load_state_dict_pre_hook(renamed_old_keys)
    return module


class _SpectralNorm(Module):
    """W / σ(W), σ the largest singular value of W (as a matrix with dim first) estimated by
    power iteration on the buffers _u and _v, advanced n_power_iterations steps per access in
    training mode only."""

    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                f"but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector is only normalized: no power iteration
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)  # torch's seeded draws, u then v
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        """Advance _u and _v in place (the same buffer objects, as torch's out=)."""
        with ad.no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ad.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(ad.mv(weight_mat.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the graph keeps this step's u, v while the buffers move on
        u, v = self._u.clone(), self._v.clone()
        sigma = ad.vdot(u, ad.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value  # assigning W keeps W: spectral_norm is not a projection's inverse


def _spectral_dim(module, dim):
    """dim None: 1 for a transposed convolution (its output channels come second), else 0."""
    if dim is not None:
        return dim
    return 1 if isinstance(module, ConvTranspose1d | ConvTranspose2d) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize module.<name> as W / σ(W), σ its spectral norm estimated by power
    iteration (the buffers parametrizations.<name>.0._u and ._v)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, ad.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _spectral_dim(module, dim)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
