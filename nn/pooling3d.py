"""3-d pooling over (N, C, D, H, W) or (C, D, H, W): adaptive average pooling, separable as
in 2-d (one averaging matrix per spatial dim), recorded as torch records it
(AdaptiveAvgPool3DBackward0; a global average is a mean, MeanBackward1)."""

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .pooling import _averaging, _Pool


def _along_depth(matrix, x):
    """matrix (D', D) applied along dim -3 of x (..., D, H, W)."""
    return (matrix @ x.swapaxes(-3, -2)).swapaxes(-3, -2)


class AdaptiveAveragePooling3d(ad.Function):
    node_name = "AdaptiveAvgPool3DBackward0"
    symbol = "adaptive_avgpool"
    array_backward = True

    @staticmethod
    def forward(ctx, input, output_size):
        depth, rows, cols = (
            _averaging(n, out, input.dtype) for n, out in zip(input.shape[-3:], output_size)
        )
        ctx.save_for_backward(depth, rows, cols)
        return _along_depth(depth, rows @ input @ cols.T)

    @staticmethod
    def backward(ctx, grad):  # the adjoint of each (linear) averaging, in reverse order
        depth, rows, cols = ctx.saved_tensors
        return rows.mT @ _along_depth(depth.mT, grad) @ cols


def adaptive_avg_pool3d(input, output_size):
    """Average over torch's adaptive bins of (D, H, W) to a fixed output size."""
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"adaptive_avg_pool3d: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, "
            f"got shape {tuple(input.shape)}"
        )
    size = (output_size,) * 3 if isinstance(output_size, int) else tuple(output_size)
    size = tuple(n if s is None else s for s, n in zip(size, input.shape[-3:]))
    if len(size) != 3 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in size):
        raise ArgumentError(
            f"adaptive_avg_pool3d: output_size must be a positive int or three of them (None "
            f"keeps a dim), got {output_size!r}"
        )
    if 0 in input.shape[-3:]:
        raise ShapeError(
            f"adaptive_avg_pool3d: input of shape {tuple(input.shape)} has an empty volume"
        )
    if size == (1, 1, 1):  # global average pooling: torch records it as a mean
        return input.mean(dim=(-3, -2, -1), keepdim=True)
    return AdaptiveAveragePooling3d.apply(input, output_size=tuple(int(s) for s in size))


class AdaptiveAvgPool3d(_Pool):
    """Adaptive average pooling of (D, H, W) to output_size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._call(adaptive_avg_pool3d, input, output_size=self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
