"""What a node keeps for backward: its saved values, and the version of each tensor storage
they live on, so a backward after an in-place change refuses instead of computing with the
new values (PyTorch's saved-variable check).

A node keeps its saved values as given to save_for_backward, with an input's array replaced
by the input Tensor and the output's by a SavedOutput marker (a node never holds its output
Tensor: no tensor -> node -> tensor cycle), and its version entries (counter, version at save,
array) flat in one tuple. Counters and arrays are not tracked by the cyclic collector, so
neither is that tuple (after the collector's first look at it).
"""

import numpy as np

from .graph import SavedOutput
from .tensor import Tensor

_make = Tensor._make


def keep(ctx, args, arrays, out, returned, result) -> None:
    """Store what forward saved, with a version entry (counter, version at save, array) for
    each value on a tensor's storage: the saved tensor's counter (made now if it has none
    yet) or, for the output, its own."""
    kept, versions = [], []
    for value in ctx._saved:
        if value is None or type(value) is float or type(value) is int:
            kept.append(value)
        elif value is out or value is returned:
            kept.append(SavedOutput(out))
            versions += version_entry(result, out)
        elif type(value) is np.ndarray:
            for a, array in zip(args, arrays):
                if value is array and isinstance(a, Tensor):  # an input: kept as its Tensor
                    kept.append(a)
                    versions += version_entry(a, value)
                    break
            else:  # an array made in forward: a view of an input is that input's storage
                kept.append(value)
                for a in args:
                    if isinstance(a, Tensor) and _root(a._data) is _root(value):
                        versions += version_entry(a, value)
        else:
            kept.append(value)
            if isinstance(value, Tensor):
                versions += version_entry(value, value._data)
    ctx._saved = tuple(kept)
    if versions:
        ctx._versions = tuple(versions)


def _root(array):
    """The array that owns the memory (NumPy points every view's base at it)."""
    base = array.base
    return array if base is None else base


def version_entry(tensor, array) -> tuple:
    """(the tensor's storage counter, its value now, array): what a saved value on that
    storage is checked by."""
    counter = tensor._counter()
    return counter, counter[0], array


def version_entries(versions: tuple):
    """(counter, version at save, array) per saved value on a tensor's storage."""
    it = iter(versions)
    return zip(it, it, it)


def flat_versions(entries) -> tuple:
    """The flat form of (counter, version, array) entries, as a node keeps them."""
    return tuple([x for entry in entries for x in entry])


def check_versions(node) -> None:
    """Refuse a saved tensor that an in-place op changed after it was saved (torch's error)."""
    versions = node._versions  # flat (counter, version at save, array) triples
    for i in range(0, len(versions), 3):
        if versions[i][0] != versions[i + 1]:
            _refuse(node, *versions[i : i + 3])


def _refuse(node, counter, expected, array) -> None:
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{array.dtype} tensor of shape {array.shape}], "
        f"saved by {node.name()}, is at version {counter[0]}; expected version "
        f"{expected} instead. Hint: an in-place op (add_, mul_, x += 1, t[i] = v, ...) "
        "changed it after it was used; use the out-of-place form (x = x + 1) or "
        "change a .clone() instead."
    )


def unpack(node, arrays: bool, graph: bool) -> tuple:
    """The saved values, checked: as arrays (first-order backward of a formula written for
    arrays) or as Tensors, the output re-attached to its node when graph (create_graph)."""
    if node._versions:
        check_versions(node)
    result = []
    for v in node._saved:
        if isinstance(v, Tensor):
            v = v._data if arrays else v
        elif type(v) is SavedOutput:
            v = v.array if arrays else _make(v.array, graph, node if graph else None)
        elif isinstance(v, (np.ndarray, np.generic)) and not arrays:
            v = _make(np.asarray(v))  # a 0-d op's mask comes as a NumPy scalar: values too
        result.append(v)
    return tuple(result)
