"""Spatial transformers: F.affine_grid (the sampling grid of a batch of 2x3 affine maps) and
F.grid_sample (an image read at a grid of points, bilinear, nearest or bicubic), as torch's 2-d
kernels: the same grid conventions (align_corners), padding modes (zeros, border,
reflection), node names (AffineGridGeneratorBackward0, GridSampler2DBackward0) and
gradients to the input and to the grid. Like torch, grid_sample's backward is first order
only."""

import warnings

import numpy as np

import autodiff as ad
from autodiff.cpu_math import linspace
from autodiff.errors import ArgumentError, DtypeError, ShapeError, user_stacklevel

from .upsampling import _A, _far, _near

_DEFAULT_CHANGED = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _steps(n: int, align_corners: bool, dtype) -> np.ndarray:
    """n points across [-1, 1]: the pixels' edges at ±1 (align_corners=False: centres at
    ±(n-1)/n) or their centres (align_corners=True), in torch's arithmetic; one point at 0."""
    if n <= 1:
        return np.zeros(n, dtype)
    steps = linspace(-1.0, 1.0, n, dtype)
    if not align_corners:
        steps = (steps * np.asarray(n - 1, dtype)) / np.asarray(n, dtype)
    return steps


def _base_grid(height: int, width: int, align_corners: bool, dtype) -> np.ndarray:
    """(H·W, 3): each output pixel's (x, y, 1)."""
    base = np.ones((height, width, 3), dtype)
    base[..., 0] = _steps(width, align_corners, dtype)
    base[..., 1] = _steps(height, align_corners, dtype)[:, None]
    return base.reshape(-1, 3)


class AffineGridGenerator(ad.Function):
    """grid[n, i, j] = θ[n] · (x_j, y_i, 1): where each output pixel samples the input."""

    node_name = "AffineGridGeneratorBackward0"
    symbol = "affine grid"
    array_backward = True

    @staticmethod
    def forward(ctx, theta, size, align_corners):
        base = _base_grid(size[2], size[3], align_corners, theta.dtype)
        ctx.save_for_backward(base)
        return (base @ theta.swapaxes(1, 2)).reshape(size[0], size[2], size[3], 2)

    @staticmethod
    def backward(ctx, grad):  # the grid is linear in θ: dθ = gradᵀ · base
        (base,) = ctx.saved_tensors
        n = grad.shape[0]
        return grad.reshape(n, -1, 2).swapaxes(1, 2) @ base


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) grid of points in [-1, 1]² that the 2x3 maps θ (N, 2, 3) send each
    pixel of an (N, C, H, W) output to: grid_sample's second argument."""
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, stacklevel=user_stacklevel())
        align_corners = False
    if theta.dtype.kind != "f":
        raise DtypeError(
            f"affine_grid: Expected theta to have floating point type, but got {theta.dtype}"
        )
    size = [int(s) for s in size]
    if len(size) != 4:
        raise ArgumentError(
            f"affine_grid: only 4-D sizes (N, C, H, W) for 2-D affine maps are supported, got "
            f"size {size}"
        )
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3) or theta.shape[0] != size[0]:
        raise ShapeError(
            f"affine_grid: Expected a batch of 2D affine matrices of shape Nx2x3 for size "
            f"{size}. Got {tuple(theta.shape)}."
        )
    if align_corners and min(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=user_stacklevel(),
        )
    elif min(size) <= 0:
        raise ArgumentError(f"affine_grid: Expected non-zero, positive output size. Got {size}")
    return AffineGridGenerator.apply(theta, size=tuple(size), align_corners=bool(align_corners))


def _reflect(x: np.ndarray, twice_low: int, twice_high: int):
    """x mirrored into [low, high] (edges at half-integers when twice_low is odd), and the
    sign of dreflected/dx (torch's reflect_coordinates)."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = x - low
    sign = np.where(x < 0, -1.0, 1.0).astype(x.dtype)
    x = np.abs(x)
    extra, flips = np.fmod(x, span), np.floor(x / span)
    even = flips % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _clip(x: np.ndarray, size: int):
    """x clipped to [0, size - 1] and its derivative (0 where clipped)."""
    inside = (x > 0) & (x < size - 1)
    return np.clip(x, 0, size - 1), inside.astype(x.dtype)


def _unnormalize(coord: np.ndarray, size: int, align_corners: bool):
    """Pixel coordinates of grid coordinates in [-1, 1] along one axis, and d(pixel)/d(coord)."""
    if align_corners:  # -1 and 1 are the centres of the edge pixels
        x, slope = (coord + 1) / 2 * (size - 1), (size - 1) / 2
    else:  # -1 and 1 are the outer edges of the edge pixels
        x, slope = ((coord + 1) * size - 1) / 2, size / 2
    return x, np.full_like(coord, slope)


def _source(coord: np.ndarray, size: int, padding_mode: str, align_corners: bool):
    """Pixel coordinates of grid coordinates in [-1, 1] along one axis, after padding, and
    d(pixel)/d(coord)."""
    x, slope = _unnormalize(coord, size, align_corners)
    return _pad(x, slope, size, padding_mode, align_corners)


def _pad(x: np.ndarray, slope: np.ndarray, size: int, padding_mode: str, align_corners: bool):
    """Pixel coordinates moved inside by the padding mode (zeros: left outside, to read 0),
    and the slope times d(moved)/d(x)."""
    dtype = slope.dtype
    if padding_mode == "border":
        x, d = _clip(x, size)
        slope = slope * d
    elif padding_mode == "reflection":
        bounds = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        x, d = _reflect(x, *bounds)
        x, clipped = _clip(x, size)
        slope = slope * d * clipped
    return x.astype(dtype), slope.astype(dtype)


def _corners(input_shape, grid, mode, padding_mode, align_corners):
    """Per output point, the input pixels it reads, their weights and the weights'
    derivatives by the grid: a list of (flat index into (N, H, W), in bounds, weight,
    dweight/dgrid_x, dweight/dgrid_y), each (N, Ho, Wo)."""
    n, _, height, width = input_shape
    batch = np.arange(n).reshape(-1, 1, 1)
    if mode == "bicubic":
        taps = _bicubic_taps(grid, height, width, padding_mode, align_corners)
        return _gather(taps, batch, height, width)
    x, slope_x = _source(grid[..., 0], width, padding_mode, align_corners)
    y, slope_y = _source(grid[..., 1], height, padding_mode, align_corners)
    if mode == "nearest":  # round half to even, as torch's nearbyint
        xs, ys, zero = np.rint(x), np.rint(y), np.zeros_like(x)
        taps = [(xs, ys, np.ones_like(x), zero, zero)]
    else:
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = x - x0, y - y0
        taps = [
            (x0, y0, (1 - fx) * (1 - fy), -(1 - fy) * slope_x, -(1 - fx) * slope_y),
            (x0 + 1, y0, fx * (1 - fy), (1 - fy) * slope_x, -fx * slope_y),
            (x0, y0 + 1, (1 - fx) * fy, -fy * slope_x, (1 - fx) * slope_y),
            (x0 + 1, y0 + 1, fx * fy, fy * slope_x, fx * slope_y),
        ]
    return _gather(taps, batch, height, width)


def _gather(taps, batch, height: int, width: int) -> list:
    """The taps (pixel x, pixel y, weight, dweight/dgrid_x, dweight/dgrid_y) as _corners'
    (flat index, in bounds, weight, dx, dy)."""
    corners = []
    for xs, ys, weight, dx, dy in taps:
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        xi = np.clip(xs, 0, width - 1).astype(np.int64)
        yi = np.clip(ys, 0, height - 1).astype(np.int64)
        corners.append(((batch * height + yi) * width + xi, inside, weight, dx, dy))
    return corners


def _near_slope(u):
    """d/du of upsampling's _near (the cubic weight for |u| <= 1)."""
    return (3 * (_A + 2) * u - 2 * (_A + 3)) * u


def _far_slope(u):
    """d/du of upsampling's _far (the cubic weight for 1 < |u| < 2)."""
    return (3 * _A * u - 10 * _A) * u + 8 * _A


def _cubic(t: np.ndarray):
    """The cubic convolution weights (a = -0.75, as torch's grid sampler) of the four pixels
    at -1, 0, 1, 2 from a point t in [0, 1) past pixel 0, and their derivatives by t."""
    weights = [_far(t + 1), _near(t), _near(1 - t), _far(2 - t)]
    return weights, [_far_slope(t + 1), _near_slope(t), -_near_slope(1 - t), -_far_slope(2 - t)]


def _bicubic_taps(grid, height: int, width: int, padding_mode: str, align_corners: bool):
    """The 4x4 pixels around each point with their bicubic weights. Unlike bilinear, torch
    pads each of the 16 pixel positions (not the point): a point just outside still reads the
    pixels on both sides of it."""
    x, slope_x = _unnormalize(grid[..., 0], width, align_corners)
    y, slope_y = _unnormalize(grid[..., 1], height, align_corners)
    x0, y0 = np.floor(x), np.floor(y)
    wx, dwx = _cubic(x - x0)
    wy, dwy = _cubic(y - y0)
    taps = []
    for i in range(4):
        xs, _ = _pad(x0 + (i - 1), slope_x, width, padding_mode, align_corners)
        for j in range(4):
            ys, _ = _pad(y0 + (j - 1), slope_y, height, padding_mode, align_corners)
            taps.append((xs, ys, wx[i] * wy[j], dwx[i] * wy[j] * slope_x,
                         wx[i] * dwy[j] * slope_y))  # fmt: skip
    return taps


def _read(input: np.ndarray, flat, inside) -> np.ndarray:
    """The input's pixels at flat (N, H, W) positions, zero outside: (N, C, Ho, Wo)."""
    n, c = input.shape[:2]
    pixels = input.transpose(0, 2, 3, 1).reshape(-1, c)[flat] * inside[..., None]
    return pixels.transpose(0, 3, 1, 2)


class GridSampler2D(ad.Function):
    """out[n, c, i, j] = input[n, c] read at grid[n, i, j] (bilinear or nearest)."""

    node_name = "GridSampler2DBackward0"
    symbol = "grid sample"

    @staticmethod
    def forward(ctx, input, grid, mode, padding_mode, align_corners):
        ctx.save_for_backward(input, grid)
        out = np.zeros(input.shape[:2] + grid.shape[1:3], input.dtype)
        for flat, inside, weight, _, _ in _corners(input.shape, grid, mode, padding_mode,
                                                   align_corners):  # fmt: skip
            out += _read(input, flat, inside) * weight[:, None]
        return out

    @staticmethod
    def backward(ctx, grad):
        input, grid = ctx.saved_tensors
        opts = ctx.options
        grad_input = grad_grid = None
        if ctx.needs_input_grad[0]:
            grad_input = GridSampleInputGrad.apply(grad, grid, size=tuple(input.shape), **opts)
        if ctx.needs_input_grad[1]:
            grad_grid = GridSampleGridGrad.apply(grad, input, grid, **opts)
        return grad_input, grad_grid


class _FirstOrderOnly(ad.Function):
    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "grid_sample: the derivative for 'grid_sampler_2d_backward' is not implemented "
            "(as in torch). Take first derivatives of grid_sample only."
        )


class GridSampleInputGrad(_FirstOrderOnly):
    """grid_sample's input gradient: each output's gradient added onto the pixels it read."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, grid, size, mode, padding_mode, align_corners):
        n, c, height, width = size
        total = np.zeros((n * height * width, c), grad.dtype)
        rows = grad.transpose(0, 2, 3, 1)
        for flat, inside, weight, _, _ in _corners(size, grid, mode, padding_mode, align_corners):
            np.add.at(total, flat.ravel(), (rows * (weight * inside)[..., None]).reshape(-1, c))
        return total.reshape(n, height, width, c).transpose(0, 3, 1, 2).copy()


class GridSampleGridGrad(_FirstOrderOnly):
    """grid_sample's grid gradient: how each output moves with its sampling point (zero for
    nearest)."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, input, grid, mode, padding_mode, align_corners):
        out = np.zeros(grid.shape, grid.dtype)
        if mode == "nearest":
            return out
        for flat, inside, _, dx, dy in _corners(input.shape, grid, mode, padding_mode,
                                                align_corners):  # fmt: skip
            along = (_read(input, flat, inside) * grad).sum(1)
            out[..., 0] += along * dx
            out[..., 1] += along * dy
        return out


@ad.amp.cast_inputs("fp32")
def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None):  # fmt: skip
    """input (N, C, H, W) read at the points of grid (N, Ho, Wo, 2), given as (x, y) in
    [-1, 1]² (-1: left/top, 1: right/bottom): (N, C, Ho, Wo). mode 'bilinear', 'nearest'
    or 'bicubic'; points outside read zeros, the border or the mirror image (padding_mode)."""
    op = "grid_sample"
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ArgumentError(
            f"{op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: {mode!r}"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ArgumentError(
            f"{op}: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
            f"{padding_mode!r}"
        )
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, stacklevel=user_stacklevel())
        align_corners = False
    _check_grid(input, grid)
    return GridSampler2D.apply(input, grid, mode=mode, padding_mode=padding_mode,
                               align_corners=bool(align_corners))  # fmt: skip


def _check_grid(input, grid) -> None:
    shapes = f"(input {tuple(input.shape)}, grid {tuple(grid.shape)})"
    if input.ndim != 4 or grid.ndim != 4:
        raise ShapeError(
            f"grid_sample: expected a 4-D input (N, C, H, W) and a 4-D grid (N, Ho, Wo, 2) "
            f"{shapes}; only 2-d sampling is supported"
        )
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(f"grid_sample: expected grid and input to have same batch size {shapes}")
    if grid.shape[-1] != 2:
        raise ShapeError(f"grid_sample: expected grid to have size 2 in last dimension {shapes}")
    if 0 in input.shape[2:]:
        raise ShapeError(
            f"grid_sample: expected input to have non-empty spatial dimensions {shapes}"
        )
    if input.dtype != grid.dtype or input.dtype.kind != "f":
        raise DtypeError(
            f"grid_sample: expected input and grid to have the same floating dtype, got "
            f"{input.dtype} and {grid.dtype}"
        )
