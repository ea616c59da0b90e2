"""torch.fft: discrete Fourier transforms with torch's arguments (n or s, dim, norm), dtypes
and gradients, built from ops/fourier.py's four primitives (Resize, C2C, R2C, C2R); and the
helpers fftfreq, rfftfreq, fftshift and ifftshift. torch.stft and torch.istft (top-level names
in torch) are here too: frames picked by indexing, windowed, transformed; and back by
overlap-adding with index_add, so their gradients are those of the ops they are made of.

norm is "backward" (None: the inverse scaled by 1/n), "forward" (the forward one) or "ortho"
(both by 1/√n). Integer and bool inputs are read in the default float dtype, as torch's;
float32 gives complex64 and float64 complex128.
"""

import warnings

import numpy as np

from . import creation
from . import dtypes as _dtypes
from .device import check_layout
from .errors import DtypeError
from .ops.complexes import Conj, view_as_real
from .ops.fourier import C2C, C2R, R2C, resize, scale_of
from .ops.rearrange import roll
from .ops.shape import cat
from .out import give_out
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


def fft(input, n=None, dim=-1, norm=None):
    """The one-dimensional discrete Fourier transform along dim (n: crop or zero-pad first)."""
    return _c2c("fft", input, _one(n), dim, norm, True)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse of fft (scaled by 1/n by default)."""
    return _c2c("ifft", input, _one(n), dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None):
    """fft of a real input, only its n//2 + 1 non-negative frequencies."""
    return _r2c("rfft", input, _one(n), dim, norm, True)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of rfft: a real signal of n entries (default 2·(size - 1))."""
    return _c2r("irfft", input, _one(n), dim, norm, False)


def hfft(input, n=None, dim=-1, norm=None):
    """The fft of a Hermitian-symmetric signal given by its first half: a real result of n
    entries (default 2·(size - 1))."""
    return _c2r("hfft", input, _one(n), dim, norm, True)


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the ifft of a real signal, its n//2 + 1 first entries."""
    return _r2c("ihfft", input, _one(n), dim, norm, False)


def _one(n):
    return None if n is None else (n,)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """The two-dimensional fft (over the last two dims by default)."""
    return _c2c("fft2", input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c("ifft2", input, s, dim, norm, False)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c("rfft2", input, s, dim, norm, True)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r("irfft2", input, s, dim, norm, False)


def fftn(input, s=None, dim=None, norm=None):
    """The N-dimensional fft over dim (all dims, or the last len(s) when only s is given)."""
    return _c2c("fftn", input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c("ifftn", input, s, dim, norm, False)


def rfftn(input, s=None, dim=None, norm=None):
    """fftn of a real input, onesided along the last dim transformed."""
    return _r2c("rfftn", input, s, dim, norm, True)


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of rfftn; the last dim's size defaults to 2·(size - 1)."""
    return _c2r("irfftn", input, s, dim, norm, False)


# --- helpers -------------------------------------------------------------------------------
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an fft of n points with spacing d: [0, 1, ..., -1] / (d·n)."""
    values = np.fft.fftfreq(n, d)
    return _frequencies("fftfreq", values, dtype, layout, device, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an rfft of n points: [0, 1, ..., n//2] / (d·n)."""
    values = np.fft.rfftfreq(n, d)
    return _frequencies("rfftfreq", values, dtype, layout, device, requires_grad)


def _frequencies(op: str, values, dtype, layout, device, requires_grad):
    check_layout(op, layout)
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


# --- the short-time transforms (torch.stft, torch.istft) -----------------------------------
NO_WINDOW = (
    "A window was not provided. A rectangular window will be applied,which is known to cause "
    "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
    "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
    "window, explicitly set `window=torch.ones(n_fft, device=<device>)`."
)  # torch's words
NO_WINDOW_INVERSE = (
    "A window was not provided. A rectangular window will be applied.Please provide the same "
    "window used by stft to make the inversion lossless.To suppress this warning and use a "
    "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`."
)
REAL_PAIRS = (
    "stft with return_complex=False is deprecated. In a future pytorch release, stft will "
    "return complex tensors for all inputs, and return_complex=False will raise an error.\n"
    "Note: you can still call torch.view_as_real on the complex output to recover the old "
    "return format."
)


def stft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    pad_mode="reflect",
    normalized=False,
    onesided=None,
    return_complex=None,
    align_to_window=None,
):
    """The short-time Fourier transform (torch.stft): frames of n_fft samples every hop_length
    (default n_fft // 4), each times the window (centred in n_fft), transformed; the result is
    (freq, frame) per signal. center pads the signal by n_fft // 2 on both sides (pad_mode
    "reflect", "constant", "replicate" or "circular"); normalized scales by 1/√n_fft."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if align_to_window:
        raise NotImplementedError("stft: align_to_window=True is not supported here.")
    input = _floating("stft", input)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D")
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release."
            )
        return_complex = True
    if not return_complex:
        warnings.warn(REAL_PAIRS, UserWarning, stacklevel=2)
    signal = input.reshape(1, -1) if input.ndim == 1 else input
    if center:
        signal = _padded(signal, n_fft // 2, pad_mode)
    hop, win = _hop_and_window("stft", n_fft, hop_length, win_length, window, signal.shape[-1])
    frames = signal[:, _frame_starts(signal.shape[-1], n_fft, hop)]  # (batch, frames, n_fft)
    if window is None:
        warnings.warn(NO_WINDOW, UserWarning, stacklevel=2)
    else:
        frames = frames * win
    onesided = not complex_in if onesided is None else onesided
    if onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    out = (rfft if onesided else fft)(frames, norm=norm).transpose(1, 2)
    out = out.squeeze(0) if input.ndim == 1 else out
    return out if return_complex else view_as_real(out)


def _hop_and_window(op, n_fft, hop_length, win_length, window, length):
    """hop_length and the window centred in n_fft samples (None when no window is given),
    checked as torch checks them."""
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < n_fft <= length:
        raise RuntimeError(f"{op}: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(
            f"{op}: expected 0 < win_length <= n_fft, but got win_length={win_length}"
        )
    if window is None:
        return hop, None
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(
            f"{op}: expected a 1D window tensor of size equal to win_length={win_length}, but "
            f"got window with size {tuple(window.shape)}"
        )
    left = (n_fft - win_length) // 2
    if win_length == n_fft:
        return hop, window
    zeros = creation.zeros(n_fft - win_length - left, dtype=window.dtype)
    return hop, cat([creation.zeros(left, dtype=window.dtype), window, zeros])


def _frame_starts(length: int, n_fft: int, hop: int) -> np.ndarray:
    """The sample indices of each frame: (frames, n_fft)."""
    count = 1 + (length - n_fft) // hop
    return np.arange(count)[:, None] * hop + np.arange(n_fft)


def _padded(signal, pad: int, mode: str):
    """signal (batch, length) with pad samples on each side, by the index each padded sample
    reads (the constant mode reads an appended zero): differentiable as indexing is."""
    length = signal.shape[-1]
    at = np.arange(-pad, length + pad)
    if mode == "reflect":
        if pad >= length:
            raise RuntimeError(
                f"stft: padding size {pad} should be less than the signal length {length} for "
                "pad_mode='reflect'"
            )
        at = np.abs(at)
        at = np.where(at >= length, 2 * (length - 1) - at, at)
    elif mode == "replicate":
        at = np.clip(at, 0, length - 1)
    elif mode == "circular":
        at = at % length
    elif mode == "constant":
        signal = cat([signal, creation.zeros(signal.shape[0], 1, dtype=signal.dtype)], 1)
        at = np.where((at < 0) | (at >= length), length, at)
    else:
        raise NotImplementedError(
            f"stft: pad_mode={mode!r} is not supported; use 'reflect', 'constant', "
            "'replicate' or 'circular'."
        )
    return signal[:, at]


def istft(
    input,
    n_fft,
    hop_length=None,
    win_length=None,
    window=None,
    center=True,
    normalized=False,
    onesided=None,
    length=None,
    return_complex=False,
):
    """The inverse of stft (torch.istft): each frame transformed back, times the window,
    overlap-added and divided by the overlap-added squared window (which must stay above
    1e-11: the NOLA condition)."""
    if not isinstance(input, Tensor) or not input.is_complex():
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with "
            "return_complex=True."
        )
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions, got {input.ndim}")
    spectra = input.unsqueeze(0) if input.ndim == 2 else input
    bins, count = spectra.shape[-2], spectra.shape[-1]
    onesided = bins != n_fft if onesided is None else onesided
    if bins != (n_fft // 2 + 1 if onesided else n_fft):
        raise RuntimeError(
            f"istft: expected the frequency dimension (3rd to the last) of the input tensor to "
            f"match {'n_fft / 2 + 1' if onesided else 'n_fft'} when onesided={onesided}, but "
            f"got {bins}"
        )
    hop, win = _hop_and_window("istft", n_fft, hop_length, win_length, window, n_fft)
    expected = n_fft + hop * (count - 1)
    frames = spectra.transpose(1, 2)  # (batch, frames, bins)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = ifft(frames, norm=norm)
    else:
        frames = irfft(frames[..., : n_fft // 2 + 1], n=n_fft, norm=norm)
    if win is None:
        warnings.warn(NO_WINDOW_INVERSE, UserWarning, stacklevel=2)
        win = creation.ones(n_fft, dtype=frames.real.dtype)
    at = _frame_starts(expected, n_fft, hop).reshape(-1)
    y = creation.zeros(frames.shape[0], expected, dtype=(frames * win).dtype)
    y = y.index_add(1, Tensor._constant(at), (frames * win).reshape(frames.shape[0], -1))
    envelope = creation.zeros(expected, dtype=win.dtype)
    envelope = envelope.index_add(0, Tensor._constant(at), (win * win.conj()).repeat(count))
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = expected - n_fft // 2 if center else expected
    y, envelope = y[:, start:end], envelope[start:end]
    if (envelope.abs() < 1e-11).any():
        raise RuntimeError(
            "istft: window overlap add min: the overlap-added squared window is below 1e-11 "
            "somewhere (the NOLA condition fails); use a window and hop_length that overlap."
        )
    y = y / envelope
    if end > expected:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning,
            stacklevel=2,
        )
        y = cat([y, creation.zeros(y.shape[0], end - expected, dtype=y.dtype)], 1)
    return y.squeeze(0) if input.ndim == 2 else y


# torch.fft's out= argument (autodiff/out.py), on the functions torch gives one
give_out(
    globals(),
    "fft ifft rfft irfft hfft ihfft fft2 ifft2 rfft2 irfft2 fftn ifftn rfftn irfftn fftfreq rfftfreq".split(),
)
