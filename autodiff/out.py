"""torch's `out=` argument: `torch.matmul(a, b, out=c)`, `torch.max(x, 0, out=(values, indices))`
(the PyTorch tutorials' first pages use it). The function computes its result as usual, then
writes it into out, as torch does:
- out is resized to the result's shape when they differ (torch warns when a non-empty out is
  resized);
- the result is cast to out's dtype where torch's casting allows it (float into double, int
  into float), refused otherwise (a float result into an int out);
- with grad enabled, a result that requires grad is refused (torch: functions with out=...
  do not support automatic differentiation);
- the call returns out (a tuple of outs: the same kind of tuple the function returns).
Creation functions (zeros, rand, arange, ...) make their result in out's dtype, as torch's.
"""

import functools
import inspect
import warnings

import numpy as np

from .grad_mode import _state as _mode
from .tensor import Tensor

# the functions torch 2.13 gives an out= argument that this package has (its docs and its
# calls: tests/autodiff/test_out.py checks the list against torch)
OUT_NAMES = """
abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr all amax amin aminmax angle any
arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin asin asinh atan atan2
atanh baddbmm bernoulli bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
bitwise_xor bmm bucketize cat ceil chain_matmul cholesky cholesky_inverse cholesky_solve clamp
clamp_max clamp_min clip column_stack complex concat concatenate conj_physical copysign cos cosh
cross cummax cummin cumprod cumsum deg2rad diag diff digamma div divide dot dstack empty eq erf
erfc erfinv exp exp2 expm1 eye fix float_power floor floor_divide fmax fmin fmod frac frexp full
gather gcd ge geqrf ger greater greater_equal gt heaviside histc histogram histogramdd hstack hypot
i0 igamma igammac index_add index_copy index_reduce index_select inner inverse isin isneginf
isposinf kron kthvalue lcm ldexp le lerp less less_equal lgamma linspace log log10 log1p log2
logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or logical_xor logit logspace
logsumexp lt lu_solve lu_unpack masked_select matmul matrix_power max maximum mean min minimum mm
mode msort mul multinomial multiply mv mvlgamma nan_to_num nanmean nanquantile nansum narrow_copy
ne neg negative nextafter nonzero normal not_equal ones ormqr outer polar polygamma pow qr quantile
rad2deg rand randint randn randperm range reciprocal remainder renorm round row_stack rsqrt
searchsorted sgn sigmoid sign signbit sin sinc sinh sort sqrt square stack std std_mean sub
subtract svd take_along_dim tan tanh tensordot topk triangular_solve tril triu true_divide trunc
var var_mean vdot vstack where xlogy zeros
""".split()


def with_out(fn):
    """fn with torch's keyword-only out= argument (see the module's docstring)."""
    name, signature = fn.__name__, inspect.signature(fn)
    if "out" in signature.parameters:
        return fn  # takes out= itself
    creates = "dtype" in signature.parameters and name in _CREATION

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if creates and kwargs.get("dtype") is None and isinstance(out, Tensor):
            kwargs["dtype"] = out.dtype
        return write_out(name, fn(*args, **kwargs), out)

    keyword = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    params = list(signature.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind == p.VAR_KEYWORD), len(params))
    call.__signature__ = signature.replace(parameters=params[:at] + [keyword] + params[at:])
    return call


def give_out(namespace: dict, names) -> None:
    """Replace each named function in namespace (a module's globals()) by its with_out form,
    which names that module as its own: found there by name, as pickle and ad.save find it."""
    for name in names:
        wrapped = with_out(namespace[name])
        if wrapped is not namespace[name]:
            wrapped.__module__ = namespace["__name__"]
            namespace[name] = wrapped


_CREATION = {"arange", "empty", "eye", "fftfreq", "full", "linspace", "logspace", "normal", "ones",
             "rand", "randint", "randn", "randperm", "range", "rfftfreq", "zeros"}  # fmt: skip


def write_out(op: str, result, out):
    """Write result (a tensor, or a tuple of them) into out; return out."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(
                f"{op}(): argument 'out' must be a tuple of {len(result)} tensors (the "
                f"function returns {len(result)}), got {type(out).__name__}."
            )
        written = [_write_one(op, r, o) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    return _write_one(op, result, out)


def _write_one(op: str, result: Tensor, out) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _mode.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad. Call it without out= "
            "(y = torch.f(x)), or under torch.no_grad()."
        )
    if not np.can_cast(result.dtype.dtype, out.dtype.dtype, "same_kind"):
        raise RuntimeError(
            f"{op}(): result type {_kind(result)} can't be cast to the desired output type "
            f"{_kind(out)} (out= of dtype {out.dtype}); pass an out tensor of dtype "
            f"{result.dtype} or leave out= off."
        )
    if out.shape != result.shape:
        if out.numel() != 0:
            warnings.warn(
                f"{op}(): An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        out.resize_(result.shape)
    return out.copy_(result)


def _kind(t: Tensor) -> str:
    """torch's scalar type name in its casting errors: Float, Double, Long, Bool, ..."""
    return t.type().removeprefix("torch.").removesuffix("Tensor") or "Float"
