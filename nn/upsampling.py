"""F.interpolate and nn.Upsample: nearest, nearest-exact, (bi/tri)linear and bicubic with or
without align_corners, and area, over (N, C, L), (N, C, H, W) and (N, C, D, H, W).

Each of these resamplings is linear and separable: every output row mixes input rows with fixed
weights, so out = A·x·Bᵀ per (N, C) plane with one small matrix per spatial axis (A for H, B for
W; a third for D), and the gradient is Aᵀ·g·B. The weights follow torch's index rules (its
area_pixel_compute_source_index, nearest_idx and the cubic convolution of upsample_bicubic2d),
so values match torch's. antialias=True (bilinear, bicubic) is one more such matrix: a
triangle or a = -0.5 cubic filter widened by the downsampling factor, each row normalised.

Pixel shuffle (sub-pixel upsampling) moves channels into space and back: a reshape and a
transpose each way, one Function per direction whose backward is the other.
"""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

from .module import Module
from .pooling import adaptive_avg_pool2d
from .pooling1d import adaptive_avg_pool1d
from .pooling3d import adaptive_avg_pool3d

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_NODE = {"nearest": "Nearest", "nearest-exact": "NearestExact"}
# the interpolating modes: the input's ndim each takes, and its node's name
_INTERPOLATING = {
    "linear": (3, "UpsampleLinear1DBackward0"),
    "bilinear": (4, "UpsampleBilinear2DBackward0"),
    "bicubic": (4, "UpsampleBicubic2DBackward0"),
    "trilinear": (5, "UpsampleTrilinear3DBackward0"),
}


class Resample(ad.Function):
    """out = x resampled along each spatial axis by that axis's matrix (outputs × inputs)."""

    symbol = "upsample"
    array_backward = True

    @staticmethod
    def forward(ctx, input, mats, node_name):
        ctx.node_name = node_name
        ctx.save_for_backward(*mats)
        return _along_axes(input, mats)

    @staticmethod
    def backward(ctx, grad):
        return _along_axes(grad, [m.mT for m in ctx.saved_tensors])


def _along_axes(x, mats):
    """x's last len(mats) axes each multiplied by its matrix: along W x·Bᵀ, along H A·x, along
    D the same with D swapped to the end and back. Arrays or Tensors (a second order)."""
    *rest, last = mats
    x = x @ last.mT
    if rest:
        x = rest[-1] @ x
    if len(rest) == 2:
        x = (x.swapaxes(-3, -1) @ rest[0].mT).swapaxes(-3, -1)
    return x


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


# Keys' cubic convolution with torch's (and OpenCV's) A = -0.75: the weight of a neighbour at
# distance x, for |x| <= 1 and for 1 < |x| < 2 (antialias uses Pillow's a = -0.5)
_A = -0.75


def _near(x, a=_A):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _far(x, a=_A):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic(size: int, out: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """(out, size): row i mixes the four inputs around its source coordinate with the cubic
    convolution weights, an index past an edge taking the edge's value, as torch."""
    i = np.arange(out)
    if align_corners:
        source = ((size - 1) / (out - 1) if out > 1 else 0.0) * i
    else:  # unlike linear, a source left of the first input is not clamped to it
        source = (1.0 / scale if scale else size / out) * (i + 0.5) - 0.5
    base = np.floor(source).astype(np.int64)
    t = source - base
    weights = np.zeros((out, size), dtype=np.float64)
    for k, w in enumerate((_far(t + 1), _near(t), _near(1 - t), _far(2 - t))):
        np.add.at(weights, (i, np.clip(base - 1 + k, 0, size - 1)), w)
    return weights.astype(dtype)


def _triangle(x):
    """antialias=True's bilinear filter: a tent of half-width 1."""
    return np.maximum(1 - np.abs(x), 0.0)


def _keys(x):
    """antialias=True's bicubic filter: Keys' cubic with a = -0.5 (Pillow's), half-width 2."""
    x = np.abs(x)
    return np.where(x < 1, _near(x, -0.5), np.where(x < 2, _far(x, -0.5), 0.0))


# mode: (filter, torch's node name)
_ANTIALIAS = {
    "bilinear": (_triangle, "UpsampleBilinear2DAaBackward0"),
    "bicubic": (_keys, "UpsampleBicubic2DAaBackward0"),
}


def _antialiased(size: int, out: int, scale, align_corners: bool, mode: str, dtype):
    """(out, size): row i is the filter centred on its source coordinate, stretched by the
    downsampling factor so that every input under the output pixel counts, normalised to
    sum 1 (torch's separable antialias kernel)."""
    if out == size:  # torch's forward leaves an axis of unchanged size as it is
        return np.eye(size, dtype=dtype)
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        step = 1.0 / scale if scale else size / out
    kernel = _ANTIALIAS[mode][0]
    stretch = max(step, 1.0)  # upsampling keeps the filter's own width
    center = step * (np.arange(out) + 0.5)
    # torch reads the inputs within the stretched filter's half-width: elsewhere it is 0 here
    weights = kernel((np.arange(size) - center[:, None] + 0.5) / stretch)
    total = weights.sum(1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)
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
        # torch's RuntimeError; a ValueError too, as the other bad sizes here
        raise ArgumentError(f"{op}: the output would have size {out}; use a larger scale_factor")
    return out, scales


def _check_mode(input, mode: str, align_corners) -> None:
    op = "interpolate"
    if mode not in _MODES:
        raise ValueError(f"{op}: mode {mode!r} is not supported; use one of {', '.join(_MODES)}.")
    if input.ndim not in (3, 4, 5):
        raise ValueError(
            f"{op}: expected a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got "
            f"shape {tuple(input.shape)}. Add the batch and channel dims (x[None, None])."
        )
    if mode in _INTERPOLATING and input.ndim != _INTERPOLATING[mode][0]:
        raise ValueError(
            f"{op}: mode {mode!r} expects a {_INTERPOLATING[mode][0]}-D input, got shape "
            f"{tuple(input.shape)}"
        )
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError(
            f"{op}: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )


def _weights(input, out, scales, mode: str, align_corners, antialias: bool) -> tuple:
    """(one resampling matrix per spatial dim, torch's node name)."""
    sizes = input.shape[2:]
    if antialias:
        mats = [
            _antialiased(n, o, s, bool(align_corners), mode, input.dtype)
            for n, o, s in zip(sizes, out, scales)
        ]
        return mats, _ANTIALIAS[mode][1]
    if mode in _INTERPOLATING:
        weights = _cubic if mode == "bicubic" else _linear
        mats = [
            weights(n, o, s, bool(align_corners), input.dtype)
            for n, o, s in zip(sizes, out, scales)
        ]
        return mats, _INTERPOLATING[mode][1]
    exact = mode == "nearest-exact"
    mats = [_nearest(n, o, s, exact, input.dtype) for n, o, s in zip(sizes, out, scales)]
    return mats, f"Upsample{_NODE[mode]}{len(sizes)}DBackward0"


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) by size= or
    scale_factor=."""
    _check_mode(input, mode, align_corners)
    dims = input.ndim - 2
    out, scales = _output_size(input, size, scale_factor, dims, "interpolate")
    if antialias and mode not in _ANTIALIAS:
        raise ValueError(
            "interpolate: Anti-alias option is restricted to bilinear, bicubic, and lanczos "
            f"modes and requires a 4-D tensor as input, got mode {mode!r} (lanczos is not "
            "supported here)"
        )
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dims - 1]
        return pool(input, out)
    if recompute_scale_factor:
        scales = (None,) * dims
    mats, name = _weights(input, out, scales, mode, align_corners, antialias)
    return Resample.apply(input, mats=tuple(mats), node_name=name)


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """Deprecated: interpolate (torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest') (torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True) (torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


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


def _check_factor(op: str, factor, name: str) -> int:
    if not isinstance(factor, (int, np.integer)) or factor <= 0:
        raise ArgumentError(f"{op}: expects a positive {name}, but got {factor!r}")
    return int(factor)


def _check_3d(op: str, input) -> None:
    if input.ndim < 3:
        raise ShapeError(
            f"{op}: expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s) (shape {tuple(input.shape)})"
        )


def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """(*, C·r², H, W) → (*, C, H·r, W·r): channel c·r² + i·r + j goes to row offset i,
    column offset j."""
    *lead, c, h, w = x.shape
    x = x.reshape(*lead, c // (r * r), r, r, h, w)
    k = len(lead)
    x = x.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    """The inverse of _shuffle: (*, C, H·r, W·r) → (*, C·r², H, W)."""
    *lead, c, h, w = x.shape
    x = x.reshape(*lead, c, h // r, r, w // r, r)
    k = len(lead)
    x = x.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return x.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle2d(ad.Function):
    node_name = "PixelShuffleBackward0"
    symbol = "shuffle"
    array_backward = True

    @staticmethod
    def forward(ctx, input, factor):
        return np.ascontiguousarray(_shuffle(input, factor))

    @staticmethod
    def backward(ctx, grad):
        return PixelUnshuffle2d.apply(grad, factor=ctx.options["factor"])


class PixelUnshuffle2d(ad.Function):
    node_name = "PixelUnshuffleBackward0"
    symbol = "unshuffle"
    array_backward = True

    @staticmethod
    def forward(ctx, input, factor):
        return np.ascontiguousarray(_unshuffle(input, factor))

    @staticmethod
    def backward(ctx, grad):
        return PixelShuffle2d.apply(grad, factor=ctx.options["factor"])


def pixel_shuffle(input, upscale_factor: int):
    """Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (sub-pixel convolution's upsampling)."""
    r = _check_factor("pixel_shuffle", upscale_factor, "upscale_factor")
    _check_3d("pixel_shuffle", input)
    if input.shape[-3] % (r * r):
        raise ShapeError(
            f"pixel_shuffle: expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible "
            f"by {r * r} (input {tuple(input.shape)})"
        )
    return PixelShuffle2d.apply(input, factor=r)


def pixel_unshuffle(input, downscale_factor: int):
    """Rearranges (*, C, H·r, W·r) into (*, C·r², H, W): the inverse of pixel_shuffle."""
    r = _check_factor("pixel_unshuffle", downscale_factor, "downscale_factor")
    _check_3d("pixel_unshuffle", input)
    for name, size in (("height", input.shape[-2]), ("width", input.shape[-1])):
        if size % r:
            raise ShapeError(
                f"pixel_unshuffle: expects {name} to be divisible by downscale_factor, but "
                f"input.size({-2 if name == 'height' else -1})={size} is not divisible by {r} "
                f"(input {tuple(input.shape)})"
            )
    return PixelUnshuffle2d.apply(input, factor=r)


class ChannelShuffle2d(ad.Function):
    """(N, g·k, *) → (N, k·g, *): channel c = i·k + j moves to j·g + i (ShuffleNet's mixing of
    grouped convolutions' outputs); its adjoint is the shuffle with k groups."""

    node_name = "ChannelShuffleBackward0"
    symbol = "shuffle"
    array_backward = True

    @staticmethod
    def forward(ctx, input, groups):
        n, c = input.shape[:2]
        grouped = input.reshape((n, groups, c // groups) + input.shape[2:])
        return np.ascontiguousarray(grouped.swapaxes(1, 2)).reshape(input.shape)

    @staticmethod
    def backward(ctx, grad):
        return ChannelShuffle2d.apply(grad, groups=grad.shape[1] // ctx.options["groups"])


def channel_shuffle(input, groups: int):
    """Interleave the channels of (N, C, *) from `groups` groups: C = groups·k channels
    reordered so that each group's first channel comes first, then each one's second, ..."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ArgumentError(
            f"channel_shuffle: Number of groups to divide channels in must be positive. Value "
            f"of groups:{groups}"
        )
    if input.ndim < 3:
        raise ShapeError(
            f"channel_shuffle: expects input to be at least 3-D, but got input with sizes "
            f"{list(input.shape)}. Give (N, C, *) input."
        )
    if input.shape[1] % groups:
        raise ShapeError(
            f"channel_shuffle: Number of channels must be divisible by groups. Got "
            f"{input.shape[1]} channels and {groups} groups."
        )
    return ChannelShuffle2d.apply(input, groups=int(groups))


class ChannelShuffle(Module):
    """Interleave the channels of (N, C, *) from `groups` groups (ShuffleNet)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class PixelShuffle(Module):
    """(*, C·r², H, W) → (*, C, H·r, W·r) with r = upscale_factor."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) → (*, C·r², H, W) with r = downscale_factor."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
