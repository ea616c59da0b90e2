"""Which k entries torch's CPU topk picks when values tie at the k-th place. torch keeps
(value, index) pairs in a vector and selects with libstdc++: std::partial_sort (a heap) when
k * 64 <= n, else std::nth_element (introselect); both compare values only, so which of equal
values win depends on those algorithms' moves, which are followed here step by step. A pruning
mask is that set of indices; where no value ties at the boundary the set is plain (numpy's).
NaN is not handled as torch's (torch counts it largest)."""

import numpy as np


def topk_indices(values: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """The indices (in no particular order) of the k largest (or smallest) of the 1-d values,
    those torch.topk returns."""
    keys = -values.astype(np.float64) if largest else values.astype(np.float64)
    if k == 0 or k == keys.size:
        return np.arange(k, dtype=np.int64)
    picked = np.argpartition(keys, k - 1)[:k]
    boundary = keys[picked].max()
    if (keys <= boundary).sum() == k:  # no tie at the k-th place: the set is decided
        return picked.astype(np.int64)
    keys, order = keys.tolist(), list(range(keys.size))
    if k * 64 <= len(keys):
        _heap_select(keys, order, 0, k, len(keys))
    else:
        _introselect(keys, order, 0, k - 1, len(keys), 2 * (len(keys).bit_length() - 1))
    return np.array(order[:k], dtype=np.int64)


def _swap(keys: list, order: list, i: int, j: int) -> None:
    keys[i], keys[j] = keys[j], keys[i]
    order[i], order[j] = order[j], order[i]


def _introselect(keys, order, first, nth, last, depth) -> None:
    """std::__introselect: partition around a median of three until the range holding nth is
    at most 3 long, then insertion sort; a heap select when the depth runs out."""
    while last - first > 3:
        if depth == 0:
            _heap_select(keys, order, first, nth + 1, last)
            _swap(keys, order, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(keys, order, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(keys, order, first, last)


def _partition_pivot(keys, order, first, last) -> int:
    """std::__unguarded_partition_pivot: the median of (first+1, middle, last-1) moved to
    first, then Hoare's partition of the rest around it."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    if keys[a] < keys[b]:
        median = b if keys[b] < keys[c] else (c if keys[a] < keys[c] else a)
    else:
        median = a if keys[a] < keys[c] else (c if keys[b] < keys[c] else b)
    _swap(keys, order, first, median)
    pivot, lo, hi = keys[first], first + 1, last
    while True:
        while keys[lo] < pivot:
            lo += 1
        hi -= 1
        while pivot < keys[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(keys, order, lo, hi)
        lo += 1


def _insertion_sort(keys, order, first, last) -> None:
    """std::__insertion_sort: a new smallest goes to the front, the others move left past
    greater ones only."""
    for i in range(first + 1, last):
        key, index = keys[i], order[i]
        if key < keys[first]:
            keys[first + 1 : i + 1], order[first + 1 : i + 1] = keys[first:i], order[first:i]
            keys[first], order[first] = key, index
            continue
        j = i
        while key < keys[j - 1]:
            keys[j], order[j] = keys[j - 1], order[j - 1]
            j -= 1
        keys[j], order[j] = key, index


def _heap_select(keys, order, first, middle, last) -> None:
    """std::__heap_select: a max-heap of [first, middle); each later entry smaller than its
    top replaces the top."""
    size = middle - first
    for parent in range((size - 2) // 2, -1, -1) if size >= 2 else ():
        _adjust_heap(keys, order, first, parent, size, keys[first + parent], order[first + parent])
    for i in range(middle, last):
        if keys[i] < keys[first]:
            key, index = keys[i], order[i]
            keys[i], order[i] = keys[first], order[first]
            _adjust_heap(keys, order, first, 0, size, key, index)


def _adjust_heap(keys, order, first, hole, size, key, index) -> None:
    """std::__adjust_heap: sink the hole to a leaf along the larger children, then push the
    (key, index) up from there (std::__push_heap)."""
    top = child = hole
    while child < (size - 1) // 2:
        child = 2 * (child + 1)
        if keys[first + child] < keys[first + child - 1]:
            child -= 1
        keys[first + hole], order[first + hole] = keys[first + child], order[first + child]
        hole = child
    if size % 2 == 0 and child == (size - 2) // 2:
        child = 2 * (child + 1) - 1
        keys[first + hole], order[first + hole] = keys[first + child], order[first + child]
        hole = child
    parent = (hole - 1) // 2
    while hole > top and keys[first + parent] < key:
        keys[first + hole], order[first + hole] = keys[first + parent], order[first + parent]
        hole, parent = parent, (parent - 1) // 2
    keys[first + hole], order[first + hole] = key, index
