"""Sliding-window geometry shared by conv and pooling: argument checks, padding, kernel taps.

A kernel tap (i, j) is one kernel position. The input values that tap meets at every output
position form a strided slice of the padded input (a view, no copy), so im2col is one copy
per tap and col2im one strided add per tap: KH·KW NumPy calls, never a loop over pixels.

With stride 1 the slices use a "wide" grid: output row oh is read as Wp consecutive values of
the flattened padded plane starting at (oh + i·dh)·Wp + j·dw. Every tap is then a 1-D slice
(long inner loops, ~2× faster copies and adds); the Wp − OW extra columns per row hold
garbage that `from_grid` drops and that gets a zero gradient in `to_grid`.
"""

import numpy as np

from autodiff.errors import ArgumentError, ShapeError


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

    __slots__ = (
        "size",
        "kernel",
        "stride",
        "padding",
        "dilation",
        "out",
        "padded",
        "wide",
        "extra",
        "grid",
    )

    def __init__(self, size, kernel, stride, padding, dilation, out, wide=False):
        self.size, self.kernel, self.stride = size, kernel, stride
        self.padding, self.dilation, self.out = padding, dilation, out
        pt, pb, pl, pr = padding
        self.padded = (size[0] + pt + pb, size[1] + pl + pr)
        self.wide = wide and stride == (1, 1)
        # the wide grid's last row reads (KW − 1)·dw values past the plane: one spare row
        self.extra = int(self.wide and kernel[1] > 1)
        self.grid = (out[0] * self.padded[1],) if self.wide else out

    def taps(self):
        """(k, i, j) for every kernel position, in row-major (torch's window) order."""
        kw = self.kernel[1]
        return [(k, k // kw, k % kw) for k in range(self.kernel[0] * kw)]

    def pad(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        """x in a fresh contiguous padded plane (x itself when nothing is to be added)."""
        if self.padding == (0, 0, 0, 0) and not self.extra and x.flags.c_contiguous:
            return x
        hp, wp = self.padded
        xp = np.full(x.shape[:2] + (hp + self.extra, wp), fill, dtype=x.dtype)
        self.unpad(xp)[...] = x
        return xp

    def zeros(self, lead: tuple, dtype) -> np.ndarray:
        """A zero padded plane to accumulate an input gradient in."""
        return np.zeros(lead + (self.padded[0] + self.extra, self.padded[1]), dtype=dtype)

    def unpad(self, xp: np.ndarray) -> np.ndarray:
        """The view of the original input inside a padded plane."""
        pt, _, pl, _ = self.padding
        return xp[:, :, pt : pt + self.size[0], pl : pl + self.size[1]]

    def tap(self, xp: np.ndarray, i: int, j: int) -> np.ndarray:
        """The view of xp that tap (i, j) meets at every output position, shaped (N, C, *grid)."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.out
        if self.wide:
            start = i * dh * self.padded[1] + j * dw
            return xp.reshape(xp.shape[0], xp.shape[1], -1)[:, :, start : start + self.grid[0]]
        return xp[
            :, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw
        ]

    def to_grid(self, g: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW) → (N, C, P) on the grid; the wide grid's extra columns get zeros."""
        n, c = g.shape[:2]
        if not self.wide:
            return g.reshape(n, c, -1)
        wide = np.zeros((n, c, self.out[0], self.padded[1]), dtype=g.dtype)
        wide[..., : self.out[1]] = g
        return wide.reshape(n, c, -1)

    def from_grid(self, y: np.ndarray) -> np.ndarray:
        """(N, C, P) on the grid → (N, C, OH, OW), a view that drops the wide grid's garbage."""
        n, c = y.shape[:2]
        if not self.wide:
            return y.reshape(n, c, *self.out)
        return y.reshape(n, c, self.out[0], self.padded[1])[..., : self.out[1]]


def im2col(x: np.ndarray, win: Windows) -> np.ndarray:
    """Columns (N, C, KH·KW, P): column p holds the receptive field of output position p."""
    n, c = x.shape[:2]
    ntaps = win.kernel[0] * win.kernel[1]
    xp = win.pad(x)
    if ntaps == 1 and win.wide:  # 1x1, stride 1: the (padded) input already is the matrix
        return xp.reshape(n, c, 1, -1)
    cols = np.empty((n, c, ntaps) + win.grid, dtype=x.dtype)
    for k, i, j in win.taps():
        cols[:, :, k] = win.tap(xp, i, j)
    return cols


def col2im(cols: np.ndarray, win: Windows) -> np.ndarray:
    """The adjoint of im2col: add each tap's column back onto the input plane it came from."""
    n, c = cols.shape[:2]
    cols = cols.reshape((n, c, -1) + win.grid)
    xp = win.zeros((n, c), cols.dtype)
    for k, i, j in win.taps():
        view = win.tap(xp, i, j)
        view += cols[:, :, k]
    return win.unpad(xp)
