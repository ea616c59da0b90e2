"""Power-average pooling (LPPool1d/2d/3d): (Σ_window x^p)^(1/p), composed as torch composes it from
average pooling (so the recorded nodes are torch's): avg_pool(x^p), back to a sum by the
window's size, sign(s)·relu(|s|) (zero where a negative sum of odd powers would have no real
root), then the 1/p power. p = ±inf is max pooling of |x| (min for -inf)."""

import math

import autodiff as ad

from .activation import relu
from .pooling import _Pool, avg_pool2d, max_pool2d
from .pooling1d import _single, avg_pool1d, max_pool1d
from .pooling3d import _triple, avg_pool3d, max_pool3d
from .sliding import as_pair


def _lp_pool(avg_pool, max_pool, window: int, input, norm_type, kernel_size, stride, ceil_mode):
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (ad.sign(out) * relu(ad.abs(out))).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False):
    """(Σ x^p)^(1/p) over each window of length kernel_size along the last dim."""
    window = _single(kernel_size, "kernel_size", "lp_pool1d")
    return _lp_pool(avg_pool1d, max_pool1d, window, input, norm_type, kernel_size, stride,
                    ceil_mode)  # fmt: skip


def lp_pool2d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
    """(Σ x^p)^(1/p) over each kernel_size window of the last two dims."""
    kh, kw = as_pair(kernel_size, "kernel_size", "lp_pool2d")
    if input.ndim == 3:  # unbatched (C, H, W): nn's 2-d pooling takes batches only
        return lp_pool2d(input.unsqueeze(0), norm_type, kernel_size, stride, ceil_mode).squeeze(0)
    return _lp_pool(avg_pool2d, max_pool2d, kh * kw, input, norm_type, kernel_size, stride,
                    ceil_mode)  # fmt: skip


def lp_pool3d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
    """(Σ x^p)^(1/p) over each kernel_size window of the last three dims."""
    kd, kh, kw = _triple(kernel_size, "kernel_size", "lp_pool3d")
    return _lp_pool(avg_pool3d, max_pool3d, kd * kh * kw, input, norm_type, kernel_size, stride,
                    ceil_mode)  # fmt: skip


class _LPPool(_Pool):
    _function = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return self._call(
            type(self)._function,
            input,
            norm_type=self.norm_type,
            kernel_size=self.kernel_size,
            stride=self.stride,
            ceil_mode=self.ceil_mode,
        )

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPool):
    """Power-average pooling over the last dim: (Σ_window x^p)^(1/p)."""

    _function = staticmethod(lp_pool1d)


class LPPool2d(_LPPool):
    """Power-average pooling over (H, W): (Σ_window x^p)^(1/p)."""

    _function = staticmethod(lp_pool2d)


class LPPool3d(_LPPool):
    """Power-average pooling over (D, H, W): (Σ_window x^p)^(1/p)."""

    _function = staticmethod(lp_pool3d)
