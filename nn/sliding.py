"""Sliding-window geometry shared by conv and pooling: argument checks, padding, kernel taps.

A kernel tap (i, j) is one kernel position. The input values that tap meets at every output
position form a strided slice of the padded input (a view, no copy), so pooling is one NumPy
call per tap, never a loop over pixels.

The convolution works channels last (N, H, W, C): there every tap's slice is made of runs of
contiguous channels, im2col is one copy of a strided "windows" view, and the columns of the
whole batch form one matrix, so each pass of a convolution is one large matrix product.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autodiff.errors import ArgumentError, ShapeError
from autodiff.threads import each_thread, over_batch, samples_per_chunk


def as_pair(value, name: str, op: str, minimum: int = 1) -> tuple:
    """An int or a pair of ints as (h, w), each at least `minimum`."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair_):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair_):
        raise ArgumentError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair_[0]), int(pair_[1])


def check_4d(input, op: str) -> None:
    """Raise unless input is a 4-D (N, C, H, W) batch."""
    if input.ndim != 4:
        raise ShapeError(
            f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(input.shape)}. "
            "For a single image use x.unsqueeze(0); flatten or reshape other layouts first."
        )


def output_size(op, size, kernel, stride, padding, dilation, ceil_mode=False) -> tuple:
    """floor((S + P_total − D·(K − 1) − 1) / stride) + 1 per side; a clear error when ≤ 0.

    With ceil_mode (pooling), torch's rule: round up, but no window may start in the right
    padding.
    """
    pt, pb, pl, pr = padding
    padded = (size[0] + pt + pb, size[1] + pl + pr)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    up = tuple(s - 1 if ceil_mode else 0 for s in stride)
    out = [(p - e + u) // s + 1 for p, e, u, s in zip(padded, span, up, stride)]
    for k, lead in enumerate((pt, pl)):
        if ceil_mode and (out[k] - 1) * stride[k] >= size[k] + lead:
            out[k] -= 1
    if min(out) <= 0:
        raise ShapeError(
            f"{op}: output size would be {out[0]}x{out[1]}: the {span[0]}x{span[1]} kernel "
            f"(kernel {kernel[0]}x{kernel[1]}, dilation {dilation}) is larger than the padded "
            f"input {padded[0]}x{padded[1]} (input {size[0]}x{size[1]}, padding {padding}, "
            f"stride {stride}; out = floor((S + 2P − D·(K − 1) − 1) / stride) + 1). The input "
            "is too small for this layer: use larger images, more padding or fewer "
            "downsampling layers before it."
        )
    return tuple(out)


def layer_error(module, error: Exception) -> Exception:
    """The same error with the layer (its repr) named first, so a deep model says which one."""
    return type(error)(f"{module!r}: {error}")


class Windows:
    """Where each kernel tap of a sliding window lands in a padded (H, W) plane."""

    __slots__ = ("size", "kernel", "stride", "padding", "dilation", "out", "padded")

    def __init__(self, size, kernel, stride, padding, dilation, out):
        self.size, self.kernel, self.stride = size, kernel, stride
        self.padding, self.dilation, self.out = padding, dilation, out
        pt, pb, pl, pr = padding
        self.padded = (size[0] + pt + pb, size[1] + pl + pr)

    def taps(self):
        """(k, i, j) for every kernel position, in row-major (torch's window) order."""
        kw = self.kernel[1]
        return [(k, k // kw, k % kw) for k in range(self.kernel[0] * kw)]

    def pad(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        """x (N, C, H, W) in a fresh contiguous padded plane (x itself when nothing is added)."""
        if self.padding == (0, 0, 0, 0) and x.flags.c_contiguous:
            return x
        xp = np.full(x.shape[:2] + self.padded, fill, dtype=x.dtype)
        self.unpad(xp)[...] = x
        return xp

    def zeros(self, lead: tuple, dtype) -> np.ndarray:
        """A zero padded plane to accumulate an input gradient in."""
        return np.zeros(lead + self.padded, dtype=dtype)

    def unpad(self, xp: np.ndarray) -> np.ndarray:
        """The view of the original input inside a padded (N, C, Hp, Wp) plane."""
        pt, _, pl, _ = self.padding
        return xp[:, :, pt : pt + self.size[0], pl : pl + self.size[1]]

    def rows_cols(self, i: int, j: int) -> tuple:
        """The slices of padded rows and columns that tap (i, j) meets at every output position."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.out
        return (
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        )

    def tap(self, xp: np.ndarray, i: int, j: int) -> np.ndarray:
        """The view of xp (N, C, Hp, Wp) that tap (i, j) meets at every output position."""
        return xp[(slice(None), slice(None)) + self.rows_cols(i, j)]


def channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) → (N, *spatial, C), contiguous; no copy where x's memory already is
    that."""
    moved = np.moveaxis(x, 1, -1)
    if moved.flags.c_contiguous:
        return moved
    out = np.empty(moved.shape, dtype=x.dtype)
    copy_over_batch(out, moved)
    return out


def copy_over_batch(out: np.ndarray, values: np.ndarray) -> None:
    """out[...] = values, split over the batch (the first axis) between threads."""
    over_batch(lambda a, b: np.copyto(out[a:b], values[a:b]), len(out), out.size)


def _padded_last(x: np.ndarray, win: Windows) -> np.ndarray:
    """x (N, C, H, W) as a channels-last padded plane (N, Hp, Wp, C)."""
    if win.padding == (0, 0, 0, 0):
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    pt, _, pl, _ = win.padding
    (h, w), (n, c) = win.size, x.shape[:2]
    xp = np.zeros((n, *win.padded, c), dtype=x.dtype)
    xp[:, pt : pt + h, pl : pl + w] = x.transpose(0, 2, 3, 1)
    return xp


def _window_strides(win: Windows, row: int, column: int) -> tuple:
    """The strides of the output positions (OH, OW) and of the kernel taps (KH, KW) in a plane
    whose rows and columns are `row` and `column` bytes apart."""
    (sh, sw), (dh, dw) = win.stride, win.dilation
    return (row * sh, column * sw), (row * dh, column * dw)


def im2col(x: np.ndarray, win: Windows, groups: int) -> np.ndarray:
    """The columns of x (N, C, H, W) as rows (N·OH·OW, G, KH·KW·C/G): row (n, oh, ow) holds,
    per group, the receptive field of that output position, tap by tap, channels last. Per
    chunk of samples, one padded copy and one copy of a strided view of it that moves runs of
    KW·C/G contiguous values."""
    n, c = x.shape[:2]
    cols = np.empty((n, *win.out, groups, *win.kernel, c // groups), dtype=x.dtype)

    def chunk(a, b):
        xp = _padded_last(x[a:b], win)
        xp = xp.reshape(xp.shape[:3] + (groups, -1))  # (n, Hp, Wp, G, C/G)
        sn, row, column, sg, sc = xp.strides
        positions, taps = _window_strides(win, row, column)
        strides = (sn, *positions, sg, *taps, sc)
        cols[a:b] = as_strided(xp, (b - a, *cols.shape[1:]), strides, writeable=False)

    over_batch(chunk, n, cols.size)
    return cols.reshape(-1, groups, math.prod(cols.shape[4:]))


def im2col_per_sample(x: np.ndarray, win: Windows, groups: int) -> np.ndarray:
    """The columns of x (N, C, H, W) as one matrix per sample and group (N, G, C/G·KH·KW,
    OH·OW), rows in the weight's own (channel, tap) order. Per chunk of samples, one copy of a
    strided view that moves runs of OW values: the layout for few channels and large maps."""
    n, c = x.shape[:2]
    cols = np.empty((n, c, *win.kernel, *win.out), dtype=x.dtype)

    def chunk(a, b):
        xp = win.pad(x[a:b])
        sn, sc, row, column = xp.strides
        positions, taps = _window_strides(win, row, column)
        strides = (sn, sc, *taps, *positions)
        cols[a:b] = as_strided(xp, (b - a, *cols.shape[1:]), strides, writeable=False)

    over_batch(chunk, n, cols.size)
    return cols.reshape(n, groups, -1, math.prod(win.out))


def col2im(grad: np.ndarray, taps: np.ndarray, win: Windows, shape: tuple) -> np.ndarray:
    """The input gradient (N, C, H, W) of a convolution, contiguous, from its output gradient
    as rows grad (G, N·OH·OW, O/G) and its weight as one matrix per tap taps (KH·KW, G, O/G,
    C/G): what tap k sends back from every output position is one product, added onto the
    input positions that tap met (runs of OW·C values when G = 1). One tap's block for a chunk
    of samples at a time (never all columns at once): little memory, and it stays in cache.
    Each thread takes its own part of the batch, products included (each_thread)."""
    (n, c, h, w), groups = shape, grad.shape[0]
    positions = grad.shape[1] // n
    dxp = np.zeros((n, *win.padded, groups, c // groups), dtype=grad.dtype)
    values = grad.shape[1] * c + dxp.size  # a pass moves the tap's block and adds it in dxp
    step = samples_per_chunk(n, values)  # a chunk's block and planes stay in cache

    def part(start, stop):
        block = np.empty((groups, step * positions, c // groups), dtype=grad.dtype)
        for a in range(start, stop, step):
            b = min(a + step, stop)
            rows, out = grad[:, a * positions : b * positions], block[:, : (b - a) * positions]
            sent = out.transpose(1, 0, 2).reshape(b - a, *win.out, groups, -1)  # a view of out
            for k, i, j in win.taps():
                np.matmul(rows, taps[k], out=out)
                tap = dxp[(slice(a, b),) + win.rows_cols(i, j)]
                np.add(tap, sent, out=tap)

    each_thread(part, n, values)
    pt, _, pl, _ = win.padding
    dx = dxp[:, pt : pt + h, pl : pl + w].reshape(n, h, w, c).transpose(0, 3, 1, 2)
    out = np.empty(shape, dtype=grad.dtype)
    copy_over_batch(out, dx)
    return out
