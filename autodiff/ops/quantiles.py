"""Covariance and quantiles, built from the other ops as torch builds them: cov, corrcoef,
quantile and nanquantile (sort, then the order statistics around each rank), nanmedian (the
median of ops/statistics.py without the NaNs), msort."""

import builtins
import warnings

import numpy as np

from ..amp import cast_inputs
from ..dtypes import get_default_dtype
from ..errors import ArgumentError, DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete
from .elementwise import clamp, where
from .rearrange import gather, sort
from .shape import _check_dim
from .statistics import _axis, _pick

__all__ = ["cov", "corrcoef", "quantile", "nanquantile", "nanmedian", "msort"]


def _as_float(input):
    return input if input.dtype.kind == "f" else input.to(get_default_dtype())


def _weights(op: str, weights, n: int, integral: bool):
    if weights is None:
        return None
    if weights.ndim > 1 or weights.numel() != n:
        raise ShapeError(
            f"{op}: expected weights to be a 1-d tensor with {n} elements (the observations), "
            f"got shape {tuple(weights.shape)}."
        )
    if integral and weights.dtype.kind not in "iu":
        raise DtypeError(
            f"{op}: expected fweights to have an integral dtype (got {weights.dtype})."
        )
    if not integral and weights.dtype.kind != "f":
        raise DtypeError(f"{op}: expected aweights to have a float dtype (got {weights.dtype}).")
    return weights


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of input, the observations in its
    columns (a 1-d input: one variable); weights per observation, torch's formulas."""
    if input.ndim > 2:
        raise ShapeError(
            f"cov: expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions."
        )
    x = _as_float(input.reshape(1, -1) if input.ndim < 2 else input)
    n = x.shape[1]
    fweights = _weights("cov", fweights, n, integral=True)
    aweights = _weights("cov", aweights, n, integral=False)
    w = fweights if aweights is None else aweights if fweights is None else fweights * aweights
    if w is None:
        avg, norm = x.mean(1), n - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0 or aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
    if not isinstance(norm, Tensor) and norm <= 0:
        warnings.warn("cov: degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", RuntimeWarning, stacklevel=2)  # fmt: skip
        norm = 0
    elif isinstance(norm, Tensor):
        norm = clamp(norm, min=0)
    centred = x - avg.unsqueeze(1)
    product = centred @ (centred if w is None else centred * w).t()
    return (product / norm).squeeze()


def corrcoef(input):
    """Pearson's correlation coefficients of the rows of input, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = c.diagonal().sqrt()
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    return clamp(c, -1, 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_values(op: str, q, input) -> tuple:
    """(the quantiles as an array, whether q was a scalar), checked as torch checks them."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise ShapeError(f"{op}: q must be a scalar or 1D tensor (got shape {tuple(q.shape)})")
        if q.dtype != input.dtype:
            raise DtypeError(
                f"{op}: q tensor must be same dtype as the input tensor (got {q.dtype} and "
                f"{input.dtype})."
            )
        values, scalar = np.asarray(q.tolist(), dtype=np.float64).reshape(-1), q.ndim == 0
    else:
        values, scalar = np.asarray([q], dtype=np.float64), True
    if ((values < 0) | (values > 1)).any():
        raise ArgumentError(f"{op}: q values must be in the range [0, 1] (got {values.tolist()})")
    return values, scalar


def _valid_count(sorted_values, ignore_nan: bool):
    """Per slice: how many values to rank among (the non-NaN ones for nanquantile; for
    quantile all of them, or a rank that lands on the NaN sorted last)."""
    nan = np.isnan(sorted_values)
    if ignore_nan:
        return (~nan).sum(-1, keepdims=True).astype(np.int64)
    n = sorted_values.shape[-1]
    return np.where(nan.any(-1, keepdims=True), -1, n).astype(np.int64)


def _quantile(op: str, input, q, dim, keepdim, interpolation, ignore_nan):
    if input.dtype.kind != "f":
        raise DtypeError(
            f"{op}: input tensor must be either float or double dtype (got {input.dtype})"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ArgumentError(
            f"{op}: interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation!r}."
        )
    qs, scalar = _q_values(op, q, input)
    if input.numel() == 0 and dim is None:
        raise ShapeError(f"{op}: input tensor must be non-empty (shape {tuple(input.shape)})")
    axis = None if dim is None else _check_dim(dim, builtins.max(input.ndim, 1), op)
    x = input.reshape(-1) if axis is None or input.ndim == 0 else input.movedim(axis, -1)
    values = sort(x, -1).values
    n = x.shape[-1]
    count = discrete(_valid_count, values, ignore_nan=ignore_nan).to(np.float64)
    # quantile with a NaN in the slice: rank n - 1, the NaN sorted last (torch's way)
    last = Tensor._constant(np.float64(n - 1))
    ranks = where(count < 0, last, (count - 1) * Tensor._constant(qs))
    top = builtins.max(n - 1, 0)  # an all-NaN slice of nanquantile: rank -q, any NaN will do
    below, above = clamp(ranks.floor(), 0, top), clamp(ranks.ceil(), 0, top)
    if interpolation in ("lower", "higher", "nearest"):
        nearest = clamp(ranks.round(), 0, top)  # half to even, as torch
        picked = {"lower": below, "higher": above, "nearest": nearest}[interpolation]
        out = gather(values, -1, picked.long())
    else:
        lo, hi = gather(values, -1, below.long()), gather(values, -1, above.long())
        weight = (ranks - below) if interpolation == "linear" else (above - below) * 0.5
        out = lo + weight.to(values.dtype) * (hi - lo)
    return _arrange(out, input, axis, keepdim, scalar)


def _arrange(out, input, axis, keepdim, scalar):
    """(..., Q) -> torch's layout: the quantiles first (none for a scalar q), then the other
    dims, the reduced one kept as 1 with keepdim."""
    out = out.squeeze(-1) if scalar else out.movedim(-1, 0)
    if not keepdim:
        return out
    lead = 0 if scalar else 1
    if axis is None or input.ndim == 0:
        return out.reshape(out.shape[:lead] + (1,) * input.ndim)
    return out.unsqueeze(lead + axis)


@cast_inputs("fp32")
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles of input (along dim, or of all its elements); NaN where a slice
    holds a NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


@cast_inputs("fp32")
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN values (NaN only where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


def _nanmedian_index(data, axis):
    """The position of the lower median among the non-NaN values along axis (kept as 1)."""
    order = np.argsort(data, axis=axis, kind="stable")  # NaN sorts last
    count = (~np.isnan(data)).sum(axis=axis, keepdims=True)
    count = np.where(count == 0, data.shape[axis], count)  # all NaN: torch's middle NaN
    rank = np.maximum((count - 1) // 2, 0)
    return np.take_along_axis(order, rank, axis=axis).astype(np.int64)


class NanmedianAll(Function):
    """The lower median of all the non-NaN values; the gradient is shared among the elements
    equal to it (torch's evenly_distribute_backward, NaN counting as equal to NaN)."""

    node_name = "NanmedianBackward0"
    symbol = "nanmedian"
    array_backward = True

    @staticmethod
    def forward(ctx, input, index):
        out = input.reshape(-1)[index.reshape(())]
        ties = (input == out) | (np.isnan(input) & np.isnan(out))
        ctx.save_for_backward((ties / builtins.max(ties.sum(), 1)).astype(input.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share


def nanmedian(input, dim=None, keepdim=False):
    """The lower median ignoring NaN: of all elements (a 0-d tensor), or along dim as
    (values, indices)."""
    if dim is None:
        if input.numel() == 0:
            raise ShapeError("nanmedian: expected a non-empty tensor (shape ())")
        index = discrete(_nanmedian_index, input.reshape(-1), axis=0)
        return NanmedianAll.apply(input, index=index)
    axis = _axis(input, dim, "nanmedian")
    return _pick(input, _nanmedian_index, axis, keepdim, "nanmedian", "NanmedianBackward1")


def msort(input):
    """input sorted along its first dim (sort(dim=0).values)."""
    return sort(input, 0).values
