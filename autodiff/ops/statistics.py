"""Order statistics and running extremes: median, kthvalue, mode, cummax, cummin, and
logcumsumexp. Along a dim each returns torch's (values, indices); the gradient goes to the
element each value was picked from. NaN sorts above every number, as in torch: a slice
holding one has NaN as its median."""

import numpy as np

from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError
from ..function import Function
from .comparison import discrete
from .elementwise import where
from .rearrange import flip, scattered
from .reduction import ValuesIndices, normalize_dims

__all__ = ["median", "kthvalue", "mode", "cummax", "cummin", "logcumsumexp"]


class Picked(Function):
    """input's values at index (an int64 array with keepdim's shape) along dim; the gradient
    goes to those elements only (torch's value_selecting_reduction_backward). node_name:
    the op's own (MedianBackward1, KthvalueBackward0, ModeBackward0, CummaxBackward0, ...)."""

    node_name = "KthvalueBackward0"
    symbol = "pick"

    @staticmethod
    def forward(ctx, input, index, dim, keepdim, node_name):
        ctx.node_name = node_name
        values = np.take_along_axis(input, index, axis=dim) if input.ndim else input.copy()
        return values if keepdim or not input.ndim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        options = ctx.options
        shape, index = ctx.input_meta[0][0], options["index"]
        if not shape:
            return grad
        return scattered(grad.reshape(index.shape), options["dim"], index, shape)


def _picked(input, index, axis, keepdim, op: str, node_name: str) -> ValuesIndices:
    """(values, indices) of torch's return type `op`, from the int64 index tensor of
    keepdim's shape that `find(data, axis)` gives (0 for a 0-d input)."""
    values = Picked.apply(input, index=index, dim=axis, keepdim=keepdim, node_name=node_name)
    indices = index if keepdim or not input.ndim else index.squeeze(axis)
    return ValuesIndices(values, indices, op)


def _pick(input, find, axis, keepdim, op: str, node_name: str, **options) -> ValuesIndices:
    """_picked with the index `find(data, axis, **options)` finds (0 for a 0-d input)."""
    if input.ndim:
        index = discrete(find, input, axis=axis, **options)
    else:
        index = discrete(np.zeros_like, input, dtype=np.int64)
    return _picked(input, index, axis, keepdim, op, node_name)


def _axis(input, dim, op: str, nonempty: bool = True) -> int:
    """dim as an axis (0 for a 0-d tensor), refused where it holds nothing to pick."""
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}.")
    (axis,) = normalize_dims(dim, input.ndim, op) or (0,)
    if nonempty and input.ndim and input.shape[axis] == 0:
        raise IndexOutOfRangeError(
            f"{op}: Expected reduction dim {axis} to have non-zero size (shape "
            f"{tuple(input.shape)}). Reduce over a dim that holds values."
        )
    return axis


def _sorted_position(data, axis, position):
    """The index along axis of the element at `position` (an int or an array) in a stable
    ascending sort with NaN last."""
    order = np.argsort(data, axis=axis, kind="stable")
    position = np.expand_dims(position, axis) if np.ndim(position) else position
    position = np.broadcast_to(position, _one_along(data.shape, axis))
    return np.take_along_axis(order, position, axis=axis).astype(np.int64)


def _one_along(shape, axis):
    return shape[:axis] + (1,) + shape[axis + 1 :]


# --- median ---------------------------------------------------------------------------------
class MedianAll(Function):
    """The lower median of all elements (NaN if any); ties share the gradient evenly, as
    torch's evenly_distribute_backward."""

    node_name = "MedianBackward0"
    symbol = "median"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        flat = np.sort(input, axis=None)
        out = flat[(flat.size - 1) // 2] if flat.size else np.asarray(np.nan, input.dtype)
        if input.dtype.kind == "f" and flat.size and np.isnan(flat[-1]):
            out = flat[-1]  # NaN sorts last: a NaN anywhere is the median
        if ctx.needs_input_grad[0]:
            ties = np.isnan(input) if np.isnan(out) else input == out
            ctx.save_for_backward((ties / ties.sum()).astype(input.dtype))
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share


def _median_index(data, axis):
    n = data.shape[axis]
    nans = np.isnan(data).sum(axis=axis) if data.dtype.kind == "f" else 0
    position = np.where(nans > 0, n - nans, (n - 1) // 2)  # the first NaN, or the lower middle
    return _sorted_position(data, axis, position)


def median(input, dim=None, keepdim=False):
    """median() -> the lower of the two middle values of all elements (NaN if any is NaN);
    median(dim) -> (values, indices) along dim. Ties: torch documents its index as any of
    the equal elements; here the one a stable sort puts in the middle."""
    if dim is None:
        if input.dtype == np.bool_:
            raise DtypeError("median: not implemented for bool. Convert first, e.g. t.long().")
        return MedianAll.apply(input)
    axis = _axis(input, dim, "median")
    return _pick(input, _median_index, axis, keepdim, "median", "MedianBackward1")


# --- kthvalue ---------------------------------------------------------------------------------
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element along dim (k counts from 1; NaN sorts
    last)."""
    axis = _axis(input, dim, "kthvalue")
    size = input.shape[axis] if input.ndim else 1
    if not isinstance(k, int | np.integer) or not 1 <= k <= size:
        raise ArgumentError(
            f"kthvalue: k = {k!r} is out of range for dim {axis} of size {size} (shape "
            f"{tuple(input.shape)}). Pick k from 1 to {size}."
        )
    position = int(k) - 1
    return _pick(input, _sorted_position, axis, keepdim, "kthvalue", "KthvalueBackward0",
                 position=position)  # fmt: skip


# --- mode -------------------------------------------------------------------------------------
def _mode_index(data, axis):
    """Per slice: the most frequent value (the smallest of equally frequent ones; NaN never
    equals NaN) and, as torch, the last position holding it."""
    rows = np.moveaxis(data, axis, -1)
    lead, n = rows.shape[:-1], rows.shape[-1]
    rows = rows.reshape(-1, n)
    order = np.argsort(rows, axis=-1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=-1)
    starts = np.ones(rows.shape, bool)
    starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    run = np.cumsum(starts, axis=-1) - 1  # the run of equal values each ranked element is in
    counts = np.zeros(rows.shape, np.int64)
    np.add.at(counts, (np.arange(len(rows))[:, None], run), 1)
    best = np.argmax(counts, axis=-1)  # the first longest run: the smallest value
    index = np.where(run == best[:, None], order, -1).max(axis=-1)
    return np.expand_dims(index.reshape(lead), axis).astype(np.int64)


def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along dim: the smallest among equally
    frequent ones, at the last position holding it, as torch."""
    axis = _axis(input, dim, "mode")
    return _pick(input, _mode_index, axis, keepdim, "mode", "ModeBackward0")


# --- cummax, cummin ---------------------------------------------------------------------------
def _running_index(data, axis, largest):
    """The index of the running extreme along axis: a later equal value takes over (torch's
    >=), and so does a NaN, which then stays."""
    moved = np.moveaxis(data, axis, 0)
    index = np.zeros(moved.shape, np.int64)
    if not moved.shape[0]:
        return np.moveaxis(index, 0, axis)
    best, at = moved[0].copy(), np.zeros(moved.shape[1:], np.int64)
    floating = data.dtype.kind == "f"
    for i in range(moved.shape[0]):
        x = moved[i]
        takes = (x >= best) if largest else (x <= best)
        if floating:
            takes = np.isnan(x) | (~np.isnan(best) & takes)
        best, at = np.where(takes, x, best), np.where(takes, i, at)
        index[i] = at
    return np.moveaxis(index, 0, axis)


def cummax(input, dim):
    """(values, indices): the running maximum along dim and where it was found."""
    return _running(input, dim, True, "cummax")


def cummin(input, dim):
    """(values, indices): the running minimum along dim and where it was found."""
    return _running(input, dim, False, "cummin")


def _running(input, dim, largest, op):
    axis = _axis(input, dim, op, nonempty=False)
    name = "CummaxBackward0" if largest else "CumminBackward0"
    return _pick(input, _running_index, axis, True, op, name, largest=largest)


# --- logcumsumexp -----------------------------------------------------------------------------
class Logcumsumexp(Function):
    """log Σ_{i ≤ j} exp(x_i) along dim, without overflow."""

    node_name = "LogcumsumexpBackward0"
    symbol = "logcumsumexp"

    @staticmethod
    def forward(ctx, input, dim):
        with np.errstate(invalid="ignore"):  # NaN in, NaN out, as torch
            out = np.logaddexp.accumulate(input, axis=dim) if input.ndim else input.copy()
        ctx.save_for_backward(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """grad_j = Σ_{i ≥ j} grad_i exp(x_j − out_i), summed in log space for the positive
        and the negative parts of grad apart (torch's formula), so nothing overflows."""
        input, out = ctx.saved_tensors
        dim = ctx.options["dim"]
        lowest = np.finfo(out.dtype).min / 2  # log 0 kept finite, so that adding x can't overflow
        log_size = grad.abs().log()
        parts = [where(keep, log_size, lowest) - out for keep in (grad > 0, grad < 0)]
        positive, negative = ((_reverse_logcumsumexp(p, dim) + input).exp() for p in parts)
        return positive - negative


def _reverse_logcumsumexp(x, dim):
    return flip(logcumsumexp(flip(x, dim), dim), dim)


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along dim, computed without overflow."""
    if input.dtype.kind not in "fc":
        raise DtypeError(
            f"logcumsumexp: expects a floating tensor, got dtype {input.dtype}. Convert first, "
            "e.g. t.float()."
        )
    return Logcumsumexp.apply(input, dim=_axis(input, dim, "logcumsumexp", nonempty=False))
