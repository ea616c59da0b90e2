"""F.interpolate and nn.Upsample: nearest, nearest-exact, (bi)linear with or without
align_corners, and area, over (N, C, L) and (N, C, H, W).

Each of these resamplings is linear and separable: every output row mixes input rows with fixed
weights, so out = A·x·Bᵀ per (N, C) plane with one small matrix per spatial axis (A for H, B for
W), and the gradient is Aᵀ·g·B. The weights follow torch's index rules (its
area_pixel_compute_source_index and nearest_idx), so values match torch's.
"""

import math

import numpy as np

import autodiff as ad

from .module import Module
from .pooling import adaptive_avg_pool2d
from .pooling1d import adaptive_avg_pool1d

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")
_NODE = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear"}


class Resample(ad.Function):
    """out = x·Bᵀ over (N, C, L), or A·x·Bᵀ over (N, C, H, W)."""

    symbol = "upsample"
    array_backward = True

    @staticmethod
    def forward(ctx, input, rows, cols, node_name):
        ctx.node_name = node_name
        ctx.save_for_backward(rows, cols)
        out = np.matmul(input, cols.T)
        return out if rows is None else np.matmul(rows, out)

    @staticmethod
    def backward(ctx, grad):
        rows, cols = ctx.saved_tensors
        grad = grad @ cols
        return grad if rows is None else rows.mT @ grad


def _nearest(size: int, out: int, scale, exact: bool, dtype) -> np.ndarray:
    """(out, size): row i picks input floor((i [+ ½])·scale), torch's float32 arithmetic."""
    step = np.float32(1.0 / scale if scale else size / out)
    i = np.arange(out, dtype=np.float32)
    if out == size:
        source = np.arange(out)
    elif out == 2 * size and not exact:
        source = np.arange(out) >> 1
    else:
        source = np.floor((i + np.float32(0.5 if exact else 0.0)) * step).astype(np.int64)
    weights = np.zeros((out, size), dtype=dtype)
    weights[np.arange(out), np.minimum(source, size - 1)] = 1
    return weights


def _linear(size: int, out: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """(out, size): row i mixes the two inputs around its source coordinate, as torch."""
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
        source = step * np.arange(out)
    else:
        step = 1.0 / scale if scale else size / out
        source = np.maximum(step * (np.arange(out) + 0.5) - 0.5, 0.0)
    low = source.astype(np.int64)
    high = np.where(low < size - 1, low + 1, low)
    frac = source - low
    weights = np.zeros((out, size), dtype=np.float64)
    np.add.at(weights, (np.arange(out), low), 1 - frac)
    np.add.at(weights, (np.arange(out), high), frac)
    return weights.astype(dtype)


def _output_size(input, size, scale_factor, dims: int, op: str) -> tuple:
    """(out sizes, scales to pass on): torch's rules for size= and scale_factor=."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: either size or scale_factor should be defined, not both")
    if size is not None:
        sizes = (size,) * dims if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != dims or any(int(s) < 1 for s in sizes):
            raise ValueError(
                f"{op}: size must be {dims} positive int(s) for an input of shape "
                f"{tuple(input.shape)}, got {size!r}"
            )
        return tuple(int(s) for s in sizes), (None,) * dims
    scales = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) else scale_factor
    scales = tuple(float(s) for s in scales)
    if len(scales) != dims or any(not s > 0 for s in scales):
        raise ValueError(
            f"{op}: scale_factor must be {dims} positive number(s) for an input of shape "
            f"{tuple(input.shape)}, got {scale_factor!r}"
        )
    out = tuple(int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales))
    if min(out) < 1:
        raise ValueError(f"{op}: the output would have size {out}; use a larger scale_factor")
    return out, scales


def _check_mode(input, mode: str, align_corners) -> None:
    op = "interpolate"
    if mode not in _MODES:
        raise ValueError(
            f"{op}: mode {mode!r} is not supported; use one of {', '.join(_MODES)} "
            "(bicubic and trilinear are not implemented yet)."
        )
    if input.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}. Add the batch and channel dims (x[None, None])."
        )
    if mode in ("linear", "bilinear") and mode != ("linear", "bilinear")[input.ndim - 3]:
        raise ValueError(
            f"{op}: mode {mode!r} expects a {'3' if mode == 'linear' else '4'}-D input, got "
            f"shape {tuple(input.shape)}"
        )
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError(
            f"{op}: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )


def _weights(input, out, scales, mode: str, align_corners) -> tuple:
    """(one resampling matrix per spatial dim, torch's node name)."""
    dims, sizes = input.ndim - 2, input.shape[2:]
    if mode in ("linear", "bilinear"):
        mats = [
            _linear(n, o, s, bool(align_corners), input.dtype)
            for n, o, s in zip(sizes, out, scales)
        ]
        return mats, f"Upsample{'Bilinear2D' if dims == 2 else 'Linear1D'}Backward0"
    exact = mode == "nearest-exact"
    mats = [_nearest(n, o, s, exact, input.dtype) for n, o, s in zip(sizes, out, scales)]
    return mats, f"Upsample{_NODE[mode]}{dims}DBackward0"


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) by size= or scale_factor=."""
    _check_mode(input, mode, align_corners)
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    dims = input.ndim - 2
    out, scales = _output_size(input, size, scale_factor, dims, "interpolate")
    if mode == "area":
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, out)
    if recompute_scale_factor:
        scales = (None,) * dims
    mats, name = _weights(input, out, scales, mode, align_corners)
    rows = mats[0] if dims == 2 else None
    return Resample.apply(input, rows=rows, cols=mats[-1], node_name=name)


class Upsample(Module):
    """Resize by size= or scale_factor= with F.interpolate's modes."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ):
        super().__init__()
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with align_corners=True."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
