"""What a node keeps for backward: its saved values, and the version of each tensor storage
they live on, so a backward after an in-place change refuses instead of computing with the
new values (PyTorch's saved-variable check).

A node keeps its saved values as given to save_for_backward, with an input's array replaced
by the input Tensor and the output's by a SavedOutput marker (a node never holds its output
Tensor: no tensor -> node -> tensor cycle), and its version entries (counter, version at save,
array) flat in one tuple. Counters and arrays are not tracked by the cyclic collector, so
neither is that tuple (after the collector's first look at it).

Inside torch.autograd.graph.saved_tensors_hooks(pack, unpack) each saved tensor is handed to
pack when it is saved, and the node keeps what pack returned (a Packed); backward gets the
tensor back from unpack. As in torch, such a value has no version entry (the hooks may keep
anything: a copy, a file name), but pack may not change its input in place.
"""

import weakref

import numpy as np

from . import grad_mode
from .grad_mode import _state as _mode
from .graph import SavedOutput, accumulator
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
    if _mode.saved_hooks is not None:  # the one cost of saved-tensor hooks when none are on
        if _mode.packed_later is None:
            pack(ctx, result, _mode.saved_hooks)
        else:
            _mode.packed_later.append((ctx, result))


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
        elif isinstance(v, (np.ndarray, np.generic)):
            if not arrays:
                v = _make(np.asarray(v))  # a 0-d op's mask comes as a NumPy scalar: values too
        elif type(v) is Packed:
            v = v.unpacked(node, arrays, graph)
        result.append(v)
    return tuple(result)


class Packed:
    """A saved tensor as a saved_tensors_hooks pack returned it, with its unpack hook and
    where its gradient went (origin: the node that made it, a leaf's AccumulateGrad, OUTPUT
    for the op's own output, None for a constant): the tensor unpack returns is attached there
    again, so create_graph differentiates through it as through the tensor itself."""

    __slots__ = ("value", "unpack_hook", "origin")

    def __init__(self, value, unpack_hook, origin):
        self.value, self.unpack_hook, self.origin = value, unpack_hook, origin

    def unpacked(self, node, arrays: bool, graph: bool):
        t = self.unpack_hook(self.value)
        if not isinstance(t, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(t).__name__}"
            )
        if arrays:
            return t._data
        origin = self.origin
        if origin is None:
            return t
        if not graph:
            return _make(t._data)
        if origin is OUTPUT:
            return _make(t._data, True, node)
        if type(origin) is weakref.ref:  # a leaf: its gradient goes to its AccumulateGrad
            leaf = _make(t._data, True)
            leaf._accumulator = origin
            return leaf
        return _make(t._data, True, origin)


OUTPUT = "output"  # a Packed's origin when it is the op's own output


def pack(node, output, pair) -> None:
    """Hand each tensor the node saved to pair's pack hook (under no_grad, as torch) and keep
    what it returns; output is the op's output tensor (for a SavedOutput)."""
    pack_hook, unpack_hook = pair
    kept = []
    with grad_mode.no_grad():
        for v in node._saved:
            if isinstance(v, Tensor):
                tensor, origin = v, _origin(v)
            elif type(v) is SavedOutput:
                tensor, origin = output, OUTPUT
            elif isinstance(v, (np.ndarray, np.generic)):
                tensor, origin = _make(np.asarray(v)), None
            else:  # None, a number, a shape: not a tensor, nothing to pack
                kept.append(v)
                continue
            counter = tensor._counter()
            version = counter[0]
            packed = pack_hook(tensor)
            if counter[0] != version:
                raise RuntimeError(
                    "A saved tensor pack hook is modifying its input in place. Tensors provided "
                    "as input to pack hook cannot be modified by in-place operations as this "
                    "can lead to unexpected side-effects. Please open an issue if you need to "
                    "perform in-place operations on the input to a pack hook."
                )
            kept.append(Packed(packed, unpack_hook, origin))
    node._saved = tuple(kept)
    node._versions = ()  # as torch: values the hooks keep are not version-checked


class packed_later:
    """An in-place op records its out-of-place op in this block; what that op saved is packed
    afterwards (pack_after), once the op has kept a copy of self's old values and moved its
    output to self's storage: pack sees those, as in torch."""

    def __enter__(self):
        self.nodes = None
        if _mode.saved_hooks is not None:
            self.outer, _mode.packed_later = _mode.packed_later, []
        return self

    def __exit__(self, *exc) -> bool:
        if _mode.saved_hooks is not None:
            self.nodes, _mode.packed_later = _mode.packed_later, self.outer
        return False

    def pack_after(self, node, tensor) -> None:
        """Pack the recorded nodes' saved values; node's output is now tensor (self)."""
        for ctx, output in self.nodes or ():
            pack(ctx, tensor if ctx is node else output, _mode.saved_hooks)


def _origin(tensor):
    """Where a saved input's gradient goes: its node, its leaf's AccumulateGrad (weakly, as
    the leaf keeps it: the graph holds it through its edge), or None (a constant)."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if tensor._requires_grad:
        accumulator(tensor)
        return tensor._accumulator
    return None
