"""torch.fft: discrete Fourier transforms with torch's arguments (n or s, dim, norm), dtypes
and gradients, built from ops/fourier.py's four primitives (Resize, C2C, R2C, C2R); and the
helpers fftfreq, rfftfreq, fftshift and ifftshift.

norm is "backward" (None: the inverse scaled by 1/n), "forward" (the forward one) or "ortho"
(both by 1/√n). Integer and bool inputs are read in the default float dtype, as torch's;
float32 gives complex64 and float64 complex128.
"""

import numpy as np

from . import creation
from . import dtypes as _dtypes
from .errors import DtypeError
from .ops.complexes import Conj
from .ops.fourier import C2C, C2R, R2C, resize, scale_of
from .ops.rearrange import roll
from .tensor import Tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
__all__ += ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
__all__ += ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


# --- arguments ---------------------------------------------------------------------------
def _floating(op: str, input, real: bool = False):
    """input in a floating or complex dtype (integers and bool: the default float); real=True
    refuses complex input, as torch's rfft."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    kind = input.dtype.kind
    if real and kind == "c":
        raise RuntimeError(f"{op} expects a real input tensor, but got {input.dtype}")
    if kind in "biu":
        return input.to(_dtypes.get_default_dtype())
    if input.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise DtypeError(f"fft_{op}: unsupported dtype {input.dtype}; use float32 or float64.")
    return input


def _dims_and_sizes(op: str, input, s, dim, default_dim=None) -> tuple:
    """torch's rule: the dims transformed (all, the last len(s) when only s is given) and the
    signal size along each (-1 or absent: the input's)."""
    ndim = input.ndim
    if dim is None:
        dim = default_dim
    if dim is None:
        dims = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
        if s is not None and len(s) > ndim:
            raise RuntimeError(
                f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions."
            )
    else:
        dims = tuple(_wrap(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    if not dims:
        raise RuntimeError(f"fft_{op} must transform at least one axis")
    sizes = tuple(input.shape[d] for d in dims) if s is None else tuple(s)
    sizes = tuple(input.shape[d] if n == -1 else n for d, n in zip(dims, sizes))
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return dims, sizes


def _wrap(d: int, ndim: int) -> int:
    bound = max(ndim, 1)
    if not -bound <= d < bound:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but "
            f"got {d})"
        )
    return d % bound


def _resized(input, dims, sizes):
    shape = list(input.shape)
    for d, n in zip(dims, sizes):
        shape[d] = n
    return resize(input, shape)


def _no_out(op: str, out) -> None:
    if out is not None:
        raise NotImplementedError(f"fft.{op}: out= is not supported; use the returned tensor.")


def _count(sizes) -> int:
    return int(np.prod(sizes))


# --- the transforms -------------------------------------------------------------------------
def _c2c(op, input, s, dim, norm, forward, default_dim=None):
    input = _floating(op, input)
    dims, sizes = _dims_and_sizes(op, input, s, dim, default_dim)
    x = _resized(input, dims, sizes)
    return C2C.apply(x, dims=dims, scale=scale_of(norm, forward, _count(sizes)), forward=forward)


def _r2c(op, input, s, dim, norm, forward, default_dim=None):
    """The onesided transform of a real input; the inverse direction (ihfft) is its conjugate."""
    input = _floating(op, input, real=True)
    dims, sizes = _dims_and_sizes(op, input, s, dim, default_dim)
    x = _resized(input, dims, sizes)
    out = R2C.apply(x, dims=dims, scale=scale_of(norm, forward, _count(sizes)))
    return out if forward else Conj.apply(out)


def _c2r(op, input, s, dim, norm, forward, default_dim=None):
    """A real signal from its onesided half spectrum: the last dim's size defaults to
    2·(m - 1) for m entries given; forward (hfft) transforms the conjugate."""
    input = _floating(op, input)
    if not input.is_complex():
        input = input.to(C2C_COMPLEX[np.dtype(input.dtype)])
    dims, sizes = _dims_and_sizes(op, input, s, dim, default_dim)
    if s is None or s[-1] == -1:
        sizes = sizes[:-1] + (2 * (input.shape[dims[-1]] - 1),)
    n = sizes[-1]
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resized(input, dims, sizes[:-1] + (n // 2 + 1,))
    if forward:
        x = Conj.apply(x)
    return C2R.apply(x, dims=dims, n=n, scale=scale_of(norm, forward, _count(sizes)))


C2C_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional discrete Fourier transform along dim (n: crop or zero-pad first)."""
    _no_out("fft", out)
    return _c2c("fft", input, _one(n), dim, norm, True)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of fft (scaled by 1/n by default)."""
    _no_out("ifft", out)
    return _c2c("ifft", input, _one(n), dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """fft of a real input, only its n//2 + 1 non-negative frequencies."""
    _no_out("rfft", out)
    return _r2c("rfft", input, _one(n), dim, norm, True)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of rfft: a real signal of n entries (default 2·(size - 1))."""
    _no_out("irfft", out)
    return _c2r("irfft", input, _one(n), dim, norm, False)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The fft of a Hermitian-symmetric signal given by its first half: a real result of n
    entries (default 2·(size - 1))."""
    _no_out("hfft", out)
    return _c2r("hfft", input, _one(n), dim, norm, True)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of hfft: the ifft of a real signal, its n//2 + 1 first entries."""
    _no_out("ihfft", out)
    return _r2c("ihfft", input, _one(n), dim, norm, False)


def _one(n):
    return None if n is None else (n,)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional fft (over the last two dims by default)."""
    _no_out("fft2", out)
    return _c2c("fft2", input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    _no_out("ifft2", out)
    return _c2c("ifft2", input, s, dim, norm, False)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    _no_out("rfft2", out)
    return _r2c("rfft2", input, s, dim, norm, True)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    _no_out("irfft2", out)
    return _c2r("irfft2", input, s, dim, norm, False)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-dimensional fft over dim (all dims, or the last len(s) when only s is given)."""
    _no_out("fftn", out)
    return _c2c("fftn", input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    _no_out("ifftn", out)
    return _c2c("ifftn", input, s, dim, norm, False)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """fftn of a real input, onesided along the last dim transformed."""
    _no_out("rfftn", out)
    return _r2c("rfftn", input, s, dim, norm, True)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of rfftn; the last dim's size defaults to 2·(size - 1)."""
    _no_out("irfftn", out)
    return _c2r("irfftn", input, s, dim, norm, False)


# --- helpers -------------------------------------------------------------------------------
def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an fft of n points with spacing d: [0, 1, ..., -1] / (d·n)."""
    _no_out("fftfreq", out)
    values = np.fft.fftfreq(n, d)
    return _frequencies(values, dtype, layout, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an rfft of n points: [0, 1, ..., n//2] / (d·n)."""
    _no_out("rfftfreq", out)
    values = np.fft.rfftfreq(n, d)
    return _frequencies(values, dtype, layout, device, requires_grad)


def _frequencies(values, dtype, layout, device, requires_grad):
    creation._no_layout("fftfreq", layout, False)
    dtype = _dtypes.get_default_dtype() if dtype is None else dtype
    return creation.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle: each dim (all by default) rolled by size // 2."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift: each dim rolled back by size // 2."""
    return _shift(input, dim, -1)


def _shift(input, dim, sign: int):
    dims = tuple(range(input.ndim)) if dim is None else (dim,) if isinstance(dim, int) else dim
    dims = tuple(_wrap(d, input.ndim) for d in dims)
    return roll(input, tuple(sign * (input.shape[d] // 2) for d in dims), dims)
