"""torch's signal windows (hann, hamming, blackman, bartlett, kaiser): creation functions with
torch's signatures, computed in float64 and given in the default float dtype. A periodic window
of length L is the symmetric one of length L + 1 without its last value (for spectral
analysis); a symmetric one (periodic=False) ends where it starts."""

import math

import numpy as np

from . import dtypes
from .creation import _finish
from .device import check_layout
from .errors import ArgumentError, DtypeError


def _positions(op: str, window_length: int, periodic: bool, dtype) -> tuple:
    """(n = 0..L-1 as float64, N − 1 the symmetric window's last index, the dtype)."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{op}: window_length must be an integer, got {window_length!r}")
    if window_length < 0:
        raise ArgumentError(f"{op}: requires non-negative window_length, got {window_length}")
    dtype = dtypes.as_dtype(dtype, op) if dtype is not None else dtypes.get_default_dtype().dtype
    if np.dtype(dtype).kind != "f":
        raise DtypeError(f"{op}: expects floating point dtypes, got {dtype}. Use torch.float32.")
    last = window_length if periodic else window_length - 1
    return np.arange(window_length, dtype=np.float64), last, dtype


def _window(op, window_length, periodic, dtype, device, requires_grad, shape, layout, pin_memory):
    check_layout(op, layout, pin_memory)
    n, last, dtype = _positions(op, window_length, periodic, dtype)
    values = np.ones(window_length) if window_length == 1 else shape(n, last)
    return _finish(values.astype(dtype), requires_grad, device=device)


def _cosines(*coefficients):
    """Σₖ (−1)ᵏ aₖ cos(2πkn / (N − 1)): the generalized cosine windows."""

    def shape(n, last):
        return sum((-1) ** k * a * np.cos(2 * math.pi * k * n / last)
                   for k, a in enumerate(coefficients))  # fmt: skip

    return shape


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False,
                layout=None, pin_memory=False):  # fmt: skip
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _cosines(0.5, 0.5), layout, pin_memory)  # fmt: skip


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   device=None, requires_grad=False, layout=None, pin_memory=False):  # fmt: skip
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _cosines(alpha, beta), layout, pin_memory)  # fmt: skip


def blackman_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False, layout=None, pin_memory=False):  # fmt: skip
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosines(0.42, 0.5, 0.08), layout, pin_memory)  # fmt: skip


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False, layout=None, pin_memory=False):  # fmt: skip
    def triangle(n, last):
        return 1 - np.abs(2 * n / last - 1)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   triangle, layout, pin_memory)  # fmt: skip


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None,
                  requires_grad=False, layout=None, pin_memory=False):  # fmt: skip
    def bessel(n, last):
        middle = last / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((n - middle) / middle) ** 2, 0, None))) / np.i0(
            beta)  # fmt: skip

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   bessel, layout, pin_memory)  # fmt: skip


__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"]  # fmt: skip
