"""Fractional max pooling (Graham, 2014): FractionalMaxPool2d/3d and F.fractional_max_pool2d/3d.
Each plane's windows start at pseudo-random offsets drawn from one uniform sample per dim, so
that the output has any size between input / kernel and input − kernel + 1.

torch's numbers: the samples are torch.rand(N, C, dims) in the input's dtype (autodiff's rand
gives torch's draws under the same seed), and each window start is torch's generate_intervals
computed in that dtype, so the same seed picks the same windows. The gradient goes back through
the arg-max indices (pooling_indices's gather/scatter pair).
"""

import itertools

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, IndexOutOfRangeError, ShapeError

from .module import Module
from .pooling3d import _triple
from .pooling_indices import IndexGather
from .sliding import as_pair

_NAMES = ("time", "height", "width")  # torch's words for the dims in its messages


def _starts(samples: np.ndarray, input_size: int, output_size: int, pool: int) -> np.ndarray:
    """torch's generate_intervals for every plane at once: start i = ⌊(i + u)·α⌋ − ⌊u·α⌋ with
    α = (input − pool) / (output − 1), in the samples' float type; the last window ends at the
    input's end. samples (...,) -> starts (..., output_size)."""
    kind = samples.dtype.type
    starts = np.full(samples.shape + (output_size,), input_size - pool, np.int64)
    if output_size > 1:
        alpha = kind(input_size - pool) / kind(output_size - 1)
        steps = np.arange(output_size - 1).astype(kind)
        shifted = ((steps + samples[..., None]) * alpha).astype(np.int64)
        starts[..., :-1] = shifted - (samples * alpha).astype(np.int64)[..., None]
    return starts


class FractionalMaxIndices(ad.Function):
    """The flat index (in each plane or volume) of each window's maximum, windows taken in
    torch's order; a NaN wins, and a later NaN over an earlier one (torch's `val > max ||
    isnan(val)`)."""

    @staticmethod
    def forward(ctx, input, samples, kernel, output_size):
        dims = len(kernel)
        lead, spatial = input.shape[:-dims], input.shape[-dims:]
        # samples (..., dims) are in torch's order: width first in 2-d, depth first in 3-d
        order = (1, 0) if dims == 2 else (0, 1, 2)
        starts = [
            _starts(samples[..., s], n, o, k)
            for s, n, o, k in zip(order, spatial, output_size, kernel)
        ]
        grids = [  # each dim's start, broadcast to (..., *output_size)
            start.reshape(lead + tuple(-1 if i == d else 1 for i in range(dims)))
            for d, start in enumerate(starts)
        ]
        shape = lead + tuple(output_size)
        planes = input.reshape(-1, int(np.prod(spatial)))
        best = np.full(shape, -np.inf, input.dtype)
        index = np.broadcast_to(np.ravel_multi_index(grids, spatial), shape).copy()
        for tap in itertools.product(*(range(k) for k in kernel)):
            at = np.broadcast_to(
                np.ravel_multi_index([g + t for g, t in zip(grids, tap)], spatial), shape
            )
            value = np.take_along_axis(planes, at.reshape(len(planes), -1), axis=1)
            value = value.reshape(shape)
            better = (value > best) | np.isnan(value)
            best = np.where(better, value, best)
            index = np.where(better, at, index)
        return index


def _fractional_max_pool(op, dims, input, kernel_size, output_size, output_ratio, samples):
    """(values, indices) of fractional max pooling over the last dims (2 or 3)."""
    if input.ndim not in (dims + 1, dims + 2):
        # too few dims: torch fails reading the channel dim, with an IndexError
        error = IndexOutOfRangeError if input.ndim < dims + 1 else ShapeError
        raise error(
            f"{op}: expected a {dims + 1}-D (C, ...) or {dims + 2}-D (N, C, ...) input, got "
            f"shape {tuple(input.shape)}"
        )
    size = _triple if dims == 3 else as_pair
    kernel = size(kernel_size, "kernel_size", op)
    spatial = tuple(input.shape[-dims:])
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratio = (output_ratio,) * dims if np.isscalar(output_ratio) else tuple(output_ratio)
        output_size = tuple(int(n * r) for n, r in zip(spatial, ratio))
    out_size = size(output_size, "output_size", op)
    names = _NAMES[3 - dims :]
    for name, n, o, k in zip(names, spatial, out_size, kernel):
        # torch's checks: the last window fits in 2-d; in 3-d it must also leave a cell over
        if o + k - 1 > n or (dims == 3 and o + k - 1 == n):
            raise ArgumentError(
                f"{op}(): pool {name} {k} too large relative to input {name} {n} (output "
                f"{name} {o}). Use a smaller kernel or output size."
            )
    batch = 1 if input.ndim == dims + 1 else input.shape[0]
    channels = input.shape[-dims - 1]
    if samples is None:
        samples = ad.rand(batch, channels, dims, dtype=input.dtype)
    if samples.ndim != 3 or samples.shape[2] != dims or samples.shape[:2] < (batch, channels):
        raise ShapeError(
            f"{op}: _random_samples must have shape ({batch}, {channels}, {dims}) for an input "
            f"of shape {tuple(input.shape)}, got {tuple(samples.shape)}"
        )
    samples = samples.detach()[:batch, :channels]
    if input.ndim == dims + 1:
        samples = samples[0]
    indices = FractionalMaxIndices.apply(
        input.detach(), samples.to(input.dtype), kernel=kernel, output_size=out_size
    )
    node = f"FractionalMaxPool{dims}DBackward"
    out = IndexGather.apply(
        input, indices=indices, node=f"{node}0", adjoint=f"{node}Backward0", dims=dims
    )
    return out, indices


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):  # fmt: skip
    """fractional_max_pool2d that always returns (values, indices), as torch's."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, _random_samples)  # fmt: skip


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):  # fmt: skip
    """Max over pseudo-random kernel_size windows of (H, W) to output_size (or input size ×
    output_ratio); _random_samples (N, C, 2) in [0, 1) fixes the windows, torch.rand's by
    default."""
    out = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                             True, _random_samples)  # fmt: skip
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):  # fmt: skip
    """fractional_max_pool3d that always returns (values, indices), as torch's."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, _random_samples)  # fmt: skip


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):  # fmt: skip
    """Max over pseudo-random kernel_size windows of (D, H, W); _random_samples (N, C, 3)."""
    out = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                             True, _random_samples)  # fmt: skip
    return out if return_indices else out[0]


class _FractionalMaxPool(Module):
    """The layer: output_size or output_ratio (each in (0, 1)), _random_samples a buffer (None:
    fresh samples every call, as torch)."""

    _dims, _function = 2, None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):  # fmt: skip
        super().__init__()
        name, size = type(self).__name__, _triple if self._dims == 3 else as_pair
        self.kernel_size = size(kernel_size, "kernel_size", name)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = None if output_size is None else size(output_size, "output_size", name)
        self.output_ratio = None
        if output_ratio is not None:
            ratio = (output_ratio,) * self._dims if np.isscalar(output_ratio) else output_ratio
            self.output_ratio = tuple(ratio)
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._function(
            input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
            _random_samples=self._random_samples,
        )  # fmt: skip


class FractionalMaxPool2d(_FractionalMaxPool):
    """Fractional max pooling over (H, W)."""

    _function = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPool):
    """Fractional max pooling over (D, H, W)."""

    _dims, _function = 3, staticmethod(fractional_max_pool3d)
