"""The discrete Fourier transforms behind torch.fft, as torch's four primitives with torch's
gradients: Resize (crop or zero-pad to the signal size asked for), C2C (complex to complex),
R2C (real to its onesided half spectrum) and C2R (half spectrum to real). Each scales its
unnormalized transform by one number (1, 1/√n or 1/n: torch's normalization mode); the adjoint
of a scaled transform is the opposite transform with the same scale, which is each backward.

NumPy's pocketfft computes in the input's precision (float32 stays float32 since NumPy 2.0),
as torch's pocketfft on CPU does: float32 gives complex64, float64 complex128.
"""

import math

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .complexes import Real

_make = Tensor._make


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.complex128 if dtype in (np.float64, np.complex128) else np.complex64)


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64 if dtype in (np.float64, np.complex128) else np.float32)


class Resize(Function):
    """Each dim cropped (its first entries kept) or padded with zeros at its end to shape:
    torch.fft's n= and s=. Its adjoint is the resize back."""

    node_name = "ConstantPadNdBackward0"
    symbol = "resize"
    complex_grad = True

    @staticmethod
    def forward(ctx, input, shape):
        kept = input[tuple(slice(0, min(a, b)) for a, b in zip(input.shape, shape))]
        pads = [(0, b - k) for k, b in zip(kept.shape, shape)]
        if not any(p for _, p in pads):
            ctx.node_name = "SliceBackward0"  # torch's node where it only crops (narrow)
            return kept.copy()
        return np.pad(kept, pads)

    @staticmethod
    def backward(ctx, grad):
        return Resize.apply(grad, shape=ctx.input_meta[0][0])


def resize(input, shape: tuple):
    """input cropped or zero-padded to shape, itself where the shape already matches."""
    return input if tuple(input.shape) == tuple(shape) else Resize.apply(input, shape=tuple(shape))


class C2C(Function):
    """scale · the unnormalized DFT over dims (forward: e^(-2πi·jk/n); inverse: e^(+2πi·jk/n)).
    A real input is read as complex; its gradient is the real part (the engine takes it)."""

    node_name = "FftC2CBackward0"
    symbol = "DFT"
    complex_grad = True

    @staticmethod
    def forward(ctx, input, dims, scale, forward):
        if input.dtype.kind != "c":
            ctx.node_name = "FftR2CBackward0"  # torch transforms a real input by r2c
        input = input.astype(_complex_dtype(input.dtype), copy=False)
        if forward:
            out = np.fft.fftn(input, axes=dims)
        else:  # NumPy's norm="forward" leaves its inverse unscaled
            out = np.fft.ifftn(input, axes=dims, norm="forward")
        return _scaled(out, scale)

    @staticmethod
    def backward(ctx, grad):
        o = ctx.options
        return C2C.apply(grad, dims=o["dims"], scale=o["scale"], forward=not o["forward"])


def _scaled(out: np.ndarray, scale: float) -> np.ndarray:
    if scale != 1:
        out *= out.real.dtype.type(scale)
    return out


class R2C(Function):
    """scale · the forward DFT of a real input over dims, only the onesided half along the last
    dim (n//2 + 1 entries: the others are conjugates of these)."""

    node_name = "FftR2CBackward0"
    symbol = "rDFT"
    complex_grad = True

    @staticmethod
    def forward(ctx, input, dims, scale):
        out = np.fft.rfftn(input.astype(_real_dtype(input.dtype), copy=False), axes=dims)
        return _scaled(out, scale)

    @staticmethod
    def backward(ctx, grad):
        # torch's: the half spectrum's gradient padded with zeros to the full length, the
        # inverse transform with the same scale, its real part
        o = ctx.options
        full = resize(grad, ctx.input_meta[0][0])
        return Real.apply(C2C.apply(full, dims=o["dims"], scale=o["scale"], forward=False))


class C2R(Function):
    """scale · the unnormalized inverse DFT of a onesided half spectrum over dims, giving a real
    signal of n entries along the last dim (the imaginary parts of the entries that must be
    real, 0 and n/2, are ignored, as by torch and NumPy)."""

    node_name = "FftC2RBackward0"
    symbol = "irDFT"
    complex_grad = True

    @staticmethod
    def forward(ctx, input, dims, n, scale):
        input = input.astype(_complex_dtype(input.dtype), copy=False)
        s = [input.shape[d] for d in dims[:-1]] + [n]
        return _scaled(np.fft.irfftn(input, s=s, axes=dims, norm="forward"), scale)

    @staticmethod
    def backward(ctx, grad):
        # torch's: the forward half transform of grad, with the entries that stand for two
        # (1 .. n - n//2 - 1, each also present as its conjugate) doubled
        o = ctx.options
        half = R2C.apply(grad, dims=o["dims"], scale=o["scale"])
        last = o["dims"][-1]
        double = o["n"] - half.shape[last]
        if double <= 0:
            return half
        weights = np.ones(half.shape[last], _real_dtype(half._data.dtype))
        weights[1 : 1 + double] = 2
        shape = [1] * half.ndim
        shape[last] = -1
        return half * _make(weights.reshape(shape))


def scale_of(norm, forward: bool, n: int) -> float:
    """The number torch's norm= multiplies the unnormalized transform by: "backward" (the
    default) scales the inverse by 1/n, "forward" the forward one, "ortho" both by 1/√n."""
    if norm is None or norm == "backward":
        return 1.0 if forward else 1.0 / n
    if norm == "forward":
        return 1.0 / n if forward else 1.0
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    raise RuntimeError(
        f'Invalid normalization mode: "{norm}". Give "forward", "backward", "ortho" or None.'
    )
