"""1-d pooling over (N, C, L) or (C, L): the 2-d kernels over a single row, as torch records it
(UnsqueezeBackward0, the 2-d pooling node, SqueezeBackward1)."""

import numpy as np

from .module import Module
from .pooling import _MaxPool, _Pool, adaptive_avg_pool2d, avg_pool2d, max_pool2d


def _single(value, name: str, op: str, minimum: int = 1) -> int:
    """An int or a 1-tuple of one int."""
    if not isinstance(value, (int, np.integer)):
        values = tuple(value)
        if len(values) != 1:
            raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")
        value = values[0]
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{op}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _over_a_row(op: str, pool, input, **options):
    """pool (a 2-d pooling) applied to input as a (N, C, 1, L) batch; with return_indices, the
    values and the indices (flat in a (1, L) plane: the positions along L)."""
    if input.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
            f"{tuple(input.shape)}. Reshape it to one of these layouts."
        )
    if input.ndim == 2:  # unbatched
        out = _over_a_row(op, pool, input.unsqueeze(0), **options)
        return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)
    out = pool(input.unsqueeze(-2), **options)
    return tuple(o.squeeze(-2) for o in out) if isinstance(out, tuple) else out.squeeze(-2)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over each window of length kernel_size along the last dim (and, with
    return_indices, where each maximum sits)."""
    op = "max_pool1d"
    kernel = _single(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else _single(stride, "stride", op)
    return _over_a_row(
        op,
        max_pool2d,
        input,
        kernel_size=(1, kernel),
        stride=(1, stride),
        padding=(0, _single(padding, "padding", op, minimum=0)),
        dilation=(1, _single(dilation, "dilation", op)),
        ceil_mode=ceil_mode,
        return_indices=return_indices,
    )


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool1d that always returns (values, indices), as torch's."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over each window of length kernel_size along the last dim."""
    op = "avg_pool1d"
    kernel = _single(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else _single(stride, "stride", op)
    return _over_a_row(
        op,
        avg_pool2d,
        input,
        kernel_size=(1, kernel),
        stride=(1, stride),
        padding=(0, _single(padding, "padding", op, minimum=0)),
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )


def adaptive_avg_pool1d(input, output_size):
    """Average over torch's adaptive bins of the last dim to output_size values."""
    size = _single(output_size, "output_size", "adaptive_avg_pool1d")
    return _over_a_row("adaptive_avg_pool1d", adaptive_avg_pool2d, input, output_size=(1, size))


class MaxPool1d(_MaxPool):
    """Max pooling over the last dim; stride defaults to kernel_size."""

    _function = staticmethod(max_pool1d)


class AvgPool1d(_Pool):
    """Average pooling over the last dim; count_include_pad=True as torch."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__()
        op = "AvgPool1d"
        self.kernel_size = (_single(kernel_size, "kernel_size", op),)
        self.stride = self.kernel_size if stride is None else (_single(stride, "stride", op),)
        self.padding = (_single(padding, "padding", op, minimum=0),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return self._call(
            avg_pool1d,
            input,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Adaptive average pooling of the last dim to output_size values."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
