"""The order in which torch's CPU kernel sums a float tensor's elements (SumKernel.cpp's
cascade_sum), so that x.sum() and x.mean() round as torch's do, bit for bit.

NumPy adds in pairs of blocks of eight; torch adds in 256-bit vectors (8 float32 or 4 float64
lanes, on AVX-512 machines too), four vectors side by side, and sums the running sums of
every 16 or more rows in a cascade of four levels, so that only numbers of a similar size
meet. Every addition is a plain rounded one; what differs is only which numbers meet, so
the same adds in the same order, done on NumPy arrays, give torch's bits.

One thread: torch splits a sum of 32,768 or more elements between its threads, and then its
result depends on how many it has (torch.set_num_threads(1) makes it this one)."""

import functools

import numpy as np

_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # one 256-bit vector's elements
_LEVELS = 4  # the cascade's levels of running sums
_ROWS = 4  # vectors summed side by side (torch's ilp_factor)
_LOSS_LEVELS = 8  # nll_loss's levels (each passing on every 16 samples below 2^32 of them)


def reduce_sum(a: np.ndarray, axis, keepdims: bool):
    """np.add.reduce(a, axis, keepdims=keepdims), in torch's order where it takes every element
    (what x.sum() and a broadcast gradient's sum_to to a 0-d or all-ones shape do)."""
    if axis is None or len(axis) == a.ndim:
        total = full_sum(a)
        return np.reshape(total, (1,) * a.ndim) if keepdims else total
    return np.add.reduce(a, axis=axis, keepdims=keepdims)


def full_sum(a: np.ndarray):
    """The sum of all of a's elements as torch's sum() gives it, where torch's order is known
    here: float32 and float64 arrays whose elements lie in one block of memory (C or Fortran
    order, summed in memory order as torch's iterator does); NumPy's sum otherwise."""
    lanes = _LANES.get(a.dtype)
    if lanes is None or a.size == 0 or not (a.flags.c_contiguous or a.flags.f_contiguous):
        return np.add.reduce(a, axis=None)
    flat = a.ravel(order="K")
    vectors = len(flat) // lanes
    if vectors < 2:  # at most one vector: one running sum, in an order fixed by the size
        total = np.add.accumulate(flat[_short_order(len(flat), lanes)])[-1]
    else:  # the elements after the last whole vector first, then the vector's lanes
        partial = _row_sum(flat[: vectors * lanes].reshape(vectors, lanes))
        total = _running(np.concatenate((flat[vectors * lanes :], partial)))
    return total + total.dtype.type(0)  # torch's sums start at +0, so they are never -0


@functools.cache
def _short_order(n: int, lanes: int) -> np.ndarray:
    """The order torch adds n < 2·lanes elements in (what full_sum's general path does for
    them, written out): one vector's lanes after the elements beyond it; below one vector,
    the scalar loop's four side-by-side sums (element 0 then 4, 5, ..., then 1, 2, 3)."""
    if n >= lanes:
        return np.r_[lanes:n, 0:lanes]
    return np.r_[0, _ROWS:n, 1:_ROWS] if n >= _ROWS else np.arange(n)


def _row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's row_sum over rows of vectors, (m, lanes) -> (lanes,): the first rows four at a
    time side by side (_cascade), then the first of those four sums takes the rows left over
    and the other three sums, one after another."""
    ilp = len(rows) // _ROWS
    if ilp == 0:
        return _running(rows)
    sums = _cascade(rows[: ilp * _ROWS].reshape(ilp, -1)).reshape(_ROWS, -1)
    return _running(np.concatenate((sums[:1], rows[ilp * _ROWS :], sums[1:])))


def _cascade(rows: np.ndarray) -> np.ndarray:
    """torch's multi_row_sum, (size, width) -> (width,): rows are summed in chunks of `step` =
    2^max(4, ceil(log2(size)) / 4); each chunk's sum is added to a level-1 sum, which passes
    into level 2 every `step` chunks, and level 2 into level 3 every `step` level-2 inputs;
    at the end the rows after the last whole chunk, then levels 1, 2 and 3, are added up."""
    size, width = rows.shape
    # utils::CeilLog2(size) is 1 for size <= 2, bit_length 0 or 1 there: the same step
    step = 1 << max(4, (size - 1).bit_length() // _LEVELS)
    if size < step:  # no whole chunk: the rows' running sum (the empty levels add only +0)
        return _running(rows)
    chunks = size // step
    level = _running(rows[: chunks * step].reshape(chunks, step, width), axis=1)
    left = [_running(rows[chunks * step :])]  # the rows after the last whole chunk
    for _ in range(_LEVELS - 2):  # levels 1 and 2: a running sum, passed on every `step`
        whole = len(level) // step
        left.append(_running(level[whole * step :]))
        level = _running(level[: whole * step].reshape(whole, step, width), axis=1)
    left.append(_running(level))  # level 3 never passes on
    return _running(np.stack(left))


def _running(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """x summed along axis one element after another, as torch's loops add (NumPy's reduce
    would pair them up): a running sum from the first element (torch's start at +0, which
    changes only the sign of a zero: full_sum gives the result torch's sign)."""
    x = x.swapaxes(0, axis) if axis else x
    if len(x) <= 1:
        return x[0] if len(x) else np.zeros(x.shape[1:], x.dtype)
    if x[0].size < 64:  # a few sums: one accumulating pass is the fewest NumPy calls
        return np.add.accumulate(x, axis=0)[-1]
    total = x[0].copy()
    for row in x[1:]:  # at most `step` rows (or a few): whole slices at a time
        total += row
    return total


def loss_sum(values: np.ndarray, positions: np.ndarray):
    """The sum torch's nll_loss forms of a batch's losses (LossNLL.cpp's cascade, not sum()'s):
    values[i] is the loss of the sample at positions[i] (those not ignored, in order). After
    the sample at a position that is a multiple of 16^(j+1) is added, the level-j running sum
    passes into level j + 1 (eight levels; position 0 passes through all); at the end the
    levels are added from the lowest."""
    levels = []
    for j in range(1, _LOSS_LEVELS):
        step = 16**j
        if not len(positions) or positions[-1] < step:  # from here on only position 0 passes
            first = bool(len(positions)) and positions[0] == 0
            levels.append(_running(values[1:] if first else values))
            if first:
                levels.append(values[0])  # alone up to the top level
            break
        points = positions[positions % step == 0]
        if not len(points):  # nothing ever passes on
            levels.append(_running(values))
            break
        group = np.searchsorted(points, positions)  # the pass each value waits for
        waiting = group == len(points)
        levels.append(_running(values[waiting]))
        values, positions = _group_sums(values[~waiting], group[~waiting]), points
    else:
        levels.append(_running(values))
    total = _running(np.stack(levels))
    return total + total.dtype.type(0)


def _group_sums(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each group's running sum; groups are numbered 0, 1, ... in runs, none empty."""
    counts = np.bincount(group)
    rank = np.arange(len(group)) - (np.cumsum(counts) - counts)[group]
    table = np.zeros((len(counts), counts.max()), values.dtype)
    table[group, rank] = values
    return _running(table, axis=1)  # the zeros after a group's values add nothing
