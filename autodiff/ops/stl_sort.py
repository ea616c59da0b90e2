"""torch.topk's order among equal values on the CPU: its kernel selects with libstdc++'s
std::partial_sort (when k * 64 <= n) or std::nth_element then std::sort of the first k - 1,
which are not stable. Equal values (common in bfloat16 probabilities) come out in the order
these algorithms leave them, written out here as libstdc++ writes them (heap select and heap
sort; introselect with median-of-three pivots and insertion sort)."""

__all__ = []  # used by topk

_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves runs this short to insertion sort


def topk_order(values: list, k: int, largest: bool, sorted: bool) -> list:
    """The indices torch.topk returns for one row of Python floats."""
    if largest:
        comp = lambda a, b: (a[0] != a[0] and b[0] == b[0]) or a[0] > b[0]  # NaN first
    else:
        comp = lambda a, b: (a[0] == a[0] and b[0] != b[0]) or a[0] < b[0]
    queue = [(v, j) for j, v in enumerate(values)]
    n = len(queue)
    if k * 64 <= n:
        _heap_select(queue, 0, k, n, comp)
        _sort_heap(queue, 0, k, comp)
    else:
        _introselect(queue, 0, k - 1, n, 2 * _lg(n), comp)
        if sorted:
            _sort(queue, 0, k - 1, comp)
    return [j for _, j in queue[:k]]


def _lg(n: int) -> int:
    return n.bit_length() - 1 if n > 0 else 0


# --- heaps (std::make_heap, __adjust_heap, __push_heap, __pop_heap) -----------------------
def _push_heap(q, first, hole, top, value, comp):
    parent = (hole - 1) // 2
    while hole > top and comp(q[first + parent], value):
        q[first + hole] = q[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[first + hole] = value


def _adjust_heap(q, first, hole, length, value, comp):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if comp(q[first + child], q[first + child - 1]):
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    _push_heap(q, first, hole, top, value, comp)


def _make_heap(q, first, last, comp):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(q, first, parent, length, q[first + parent], comp)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(q, first, last, result, comp):
    value = q[result]
    q[result] = q[first]
    _adjust_heap(q, first, 0, last - first, value, comp)


def _heap_select(q, first, middle, last, comp):
    _make_heap(q, first, middle, comp)
    for i in range(middle, last):
        if comp(q[i], q[first]):
            _pop_heap(q, first, middle, i, comp)


def _sort_heap(q, first, last, comp):
    while last - first > 1:
        last -= 1
        _pop_heap(q, first, last, last, comp)


# --- introselect and introsort ---------------------------------------------------------------
def _move_median_to_first(q, result, a, b, c, comp):
    if comp(q[a], q[b]):
        if comp(q[b], q[c]):
            pick = b
        elif comp(q[a], q[c]):
            pick = c
        else:
            pick = a
    elif comp(q[a], q[c]):
        pick = a
    elif comp(q[b], q[c]):
        pick = c
    else:
        pick = b
    q[result], q[pick] = q[pick], q[result]


def _partition_pivot(q, first, last, comp) -> int:
    """__unguarded_partition_pivot: the median of three moved to first, then Hoare's split."""
    mid = first + (last - first) // 2
    _move_median_to_first(q, first, first + 1, mid, last - 1, comp)
    pivot = q[first]
    lo, hi = first + 1, last
    while True:
        while comp(q[lo], pivot):
            lo += 1
        hi -= 1
        while comp(pivot, q[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        q[lo], q[hi] = q[hi], q[lo]
        lo += 1


def _insertion_sort(q, first, last, comp):
    for i in range(first + 1, last):
        value = q[i]
        if comp(value, q[first]):
            q[first + 1 : i + 1] = q[first:i]
            q[first] = value
        else:
            _linear_insert(q, i, comp)


def _linear_insert(q, i, comp):
    value = q[i]
    j = i - 1
    while comp(value, q[j]):
        q[j + 1] = q[j]
        j -= 1
    q[j + 1] = value


def _introselect(q, first, nth, last, depth, comp):
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last, comp)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _partition_pivot(q, first, last, comp)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last, comp)


def _sort(q, first, last, comp):
    if last - first < 2:
        return
    _introsort_loop(q, first, last, 2 * _lg(last - first), comp)
    if last - first > _THRESHOLD:
        _insertion_sort(q, first, first + _THRESHOLD, comp)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(q, i, comp)
    else:
        _insertion_sort(q, first, last, comp)


def _introsort_loop(q, first, last, depth, comp):
    while last - first > _THRESHOLD:
        if depth == 0:  # std::partial_sort(first, last, last): a heap sort
            _heap_select(q, first, last, last, comp)
            _sort_heap(q, first, last, comp)
            return
        depth -= 1
        cut = _partition_pivot(q, first, last, comp)
        _introsort_loop(q, cut, last, depth, comp)
        last = cut
