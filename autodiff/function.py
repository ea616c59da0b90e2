"""Function: the one way into the graph, for built-in ops, nn kernels and users' ops.

forward(ctx, *args, **options) gets NumPy arrays (Python numbers stay numbers) and
returns an array; backward(ctx, *grads) gets and returns Tensors, so the same formulas
give second derivatives when run with create_graph=True.
"""

import numpy as np

from . import tracing
from .dtypes import check_broadcast
from .grad_mode import _state as _mode
from .graph import SMALL, Node, SavedOutput, _recording, accumulator
from .tensor import Tensor, Version

_make = Tensor._make


class Function:
    """Subclass with static forward/backward; call `MyFn.apply(*args)`."""

    node_name = None  # PyTorch's grad_fn name; default f"{cls.__name__}Backward"
    symbol = None  # short label for pictures; default: the class name
    view = False  # forward may return a view of its first input (reshape, transpose, t[1:])
    # backward's formula also runs on NumPy arrays (operators and methods arrays share with
    # Tensors: + * @ .sum(axis) .reshape .mT): first-order backward then skips the Tensor
    # wrappers; create_graph still runs it on Tensors, recorded
    array_backward = False
    # the op's name when its operands broadcast: NumPy's bare "operands could not be
    # broadcast" becomes check_broadcast's error naming the op and the shapes
    broadcasts = None

    @staticmethod
    def forward(ctx, *args, **options):
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define a static backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **options):
        """Run forward on arrays; when some input requires grad, record a node. An option may
        be a tensor that needs no gradient (a target, indices): forward gets its array."""
        try:
            tracer = tracing._state.tracer
            if tracer is not None:  # ad.compile's trace: the op becomes a step of its program
                return tracer.apply(cls, args, options)
            for value in options.values():
                if isinstance(value, Tensor):
                    options = {k: _array_of(v) for k, v in options.items()}
                    break
            if _mode.enabled:
                for a in args:
                    if isinstance(a, Tensor):
                        if a._base is not None and a._view_version != a._base._version.value:
                            refresh_view(a)
                        if a._requires_grad:
                            return _record(cls, args, options)
            return _unrecorded(cls, args, options)
        except ValueError:  # costs nothing until NumPy fails (a check first would cost ~1 us)
            if cls.broadcasts is not None:
                arrays = [v for v in options.values() if isinstance(v, np.ndarray)]
                check_broadcast(cls.broadcasts, *args, *arrays)
            raise  # not a broadcasting error: NumPy's own


def _array_of(value):
    return value._data if isinstance(value, Tensor) else value


def _unrecorded(cls, args, options):
    """Function.apply when no node is recorded (grad disabled, or no input requires grad)."""
    n = len(args)
    ctx = _Unrecorded(_NO_NEEDS[n] if n < 4 else (False,) * n)
    if n == 2:  # the common binary case without a list
        x, y = args
        x = x._data if isinstance(x, Tensor) else x
        y = y._data if isinstance(y, Tensor) else y
        out = cls.forward(ctx, x, y, **options)
    else:
        out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args], **options)
    if type(out) is not np.ndarray:
        out = out._data if isinstance(out, Tensor) else np.asarray(out)
    if _mode.anomaly and not _mode.in_formula:
        _check_finite(out, f"{cls.__name__.lower()} (forward)")
    result = _make(out)
    if cls.view:
        _mark_view(result, args[0], cls, options)
    return result


_NO_NEEDS = ((), (False,), (False, False), (False, False, False))


class _Unrecorded:
    """The ctx of an op that records nothing (grad disabled, or no input requires grad)."""

    __slots__ = ("needs_input_grad", "__dict__")
    node_name = None

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *values) -> None:
        pass


class Context(Node):
    """The graph node as its Function's forward and backward see it (torch's ctx)."""

    __slots__ = ()

    def save_for_backward(self, *values) -> None:
        """Keep inputs, the output or other arrays for backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as tensors; inputs and output stay connected to the graph."""
        if self._saved is None:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have already been freed). Saved values are "
                "freed when you call .backward() or ad.grad(). Specify retain_graph=True if "
                "you need to backward through the graph a second time."
            )
        return unpack_saved(self)


def _edges2(x, y):
    """_record's input pass for two inputs, without lists: (x, y) as arrays or numbers. The
    two operands' branches are written out, not a helper called twice: this runs per op."""
    constants = None
    if isinstance(x, Tensor):
        if x._base is not None and x._view_version != x._base._version.value:
            refresh_view(x)
        ax = x._data
        mx = (ax.shape, ax.dtype)
        if x._requires_grad:
            cx = x.grad_fn or accumulator(x)
        else:
            cx = None
            constants = (ax if ax.size <= SMALL else None, None)
    else:
        ax, mx, cx = x, None, None
        constants = (x, None)
    if isinstance(y, Tensor):
        if y._base is not None and y._view_version != y._base._version.value:
            refresh_view(y)
        ay = y._data
        my = (ay.shape, ay.dtype)
        if y._requires_grad:
            cy = y.grad_fn or accumulator(y)
        else:
            cy = None
            value = ay if ay.size <= SMALL else None
            constants = (None, value) if constants is None else (constants[0], value)
    else:
        ay, my, cy = y, None, None
        constants = (None, y) if constants is None else (constants[0], y)
    needs = _NEEDS2[cx is not None, cy is not None]
    meta = (mx, my)
    return ax, ay, (cx, cy), needs, _INTERNED.get(meta) or _interned(meta), constants


_NEEDS1 = (True,)
_NEEDS2 = {(a, b): (a, b) for a in (False, True) for b in (False, True)}


def _record(cls, args, options):
    """Forward with a new node: edges, input metadata and constants first, then picture data."""
    ctx = Context(cls)
    if len(args) == 2:
        x, y, children, ctx.needs_input_grad, meta, constants = _edges2(*args)
        arrays = (x, y)
        out = returned = cls.forward(ctx, x, y, **options)
        return _finish(cls, args, options, ctx, arrays, out, returned, children, meta, constants)
    if len(args) == 1:  # a unary op: its one input is the tensor that requires grad
        (x,) = args
        data = x._data
        node = x.grad_fn
        children = (node if node is not None else accumulator(x),)
        ctx.needs_input_grad = _NEEDS1
        meta = ((data.shape, data.dtype),)
        meta = _INTERNED.get(meta) or _interned(meta)
        out = returned = cls.forward(ctx, data, **options)
        return _finish(cls, args, options, ctx, (data,), out, returned, children, meta, None)
    arrays, children, meta, needs = [], [], [], []
    constants = None
    i = 0
    for a in args:
        if isinstance(a, Tensor):
            if a._base is not None and a._view_version != a._base._version.value:
                refresh_view(a)
            data = a._data
            arrays.append(data)
            meta.append((data.shape, data.dtype))
            if a._requires_grad:
                node = a.grad_fn
                children.append(node if node is not None else accumulator(a))
                needs.append(True)
                i += 1
                continue
            value = data if data.size <= SMALL else None
        else:
            arrays.append(a)
            meta.append(None)
            value = a
        children.append(None)
        needs.append(False)
        if constants is None:
            constants = [None] * len(args)
        constants[i] = value
        i += 1
    needs = tuple(needs)
    ctx.needs_input_grad = _INTERNED.get(needs) or _interned(needs)
    out = returned = cls.forward(ctx, *arrays, **options)
    meta = tuple(meta)
    meta = _INTERNED.get(meta) or _interned(meta)
    constants = None if constants is None else tuple(constants)
    children = tuple(children)
    return _finish(cls, args, options, ctx, arrays, out, returned, children, meta, constants)


def _finish(cls, args, options, ctx, arrays, out, returned, children, meta, constants):
    """_record after forward: the output, the node's fields, saved values and versions."""
    if type(out) is not np.ndarray:  # e.g. np.exp of a 0-d array gives a NumPy scalar
        out = out._data if isinstance(out, Tensor) else np.asarray(out)
    if _mode.anomaly and not _mode.in_formula:
        _check_finite(out, f"{cls.__name__.lower()} (forward)")
    dtype = out.dtype
    if dtype.kind not in "fc":
        result = _make(out)
        if cls.view:
            _mark_view(result, args[0], cls, options)
        return result
    ctx.children = children
    ctx.input_meta = meta
    if constants is not None:
        ctx.constants = constants
        for a in args:  # a named tensor that needs no grad keeps its name for pictures
            if type(a) is Tensor and a._name is not None and not a._requires_grad:
                ctx.constant_names = tuple(
                    t._name if isinstance(t, Tensor) and not t._requires_grad else None
                    for t in args
                )
                break
    if options:
        ctx.options = options
    ctx.out_shape = out.shape
    ctx.out_dtype = dtype
    if out.size <= SMALL or _recording.depth:
        ctx.value = out
    result = _make(out, True, ctx)
    if cls.view:
        _mark_view(result, args[0], cls, options)
    if ctx._saved:
        _keep(ctx, args, arrays, out, returned, result)
    return result


def _keep(ctx, args, arrays, out, returned, result) -> None:
    """Store what forward saved: an input array as its Tensor, the output as a marker (a node
    never holds its output), and a version entry (owner, version now, array) for each value
    on a tensor's storage. The owner is the saved tensor itself (whose counter, made on its
    first change, starts at 0) or, for the output, its counter."""
    kept, versions = [], []  # versions flat: (owner, version, array) triples in one tuple
    for value in ctx._saved:
        if value is None or type(value) is float or type(value) is int:
            kept.append(value)
        elif value is out or value is returned:
            counter = result._counter()
            kept.append(SavedOutput(out))
            versions += (counter, counter.value, out)
        elif type(value) is np.ndarray:
            for a, array in zip(args, arrays):
                if value is array and isinstance(a, Tensor):
                    counter = a._version
                    kept.append(a)
                    versions += (a, 0 if counter is None else counter.value, array)
                    break
            else:  # an array made in forward: a view of an input is that input's storage
                kept.append(value)
                root = _root(value)
                for a in args:
                    if isinstance(a, Tensor) and _root(a._data) is root:
                        versions += (a, _version_now(a), value)
        else:
            kept.append(value)
            if isinstance(value, Tensor):
                versions += (value, _version_now(value), value._data)
    ctx._saved = tuple(kept)
    if versions:
        ctx._versions = tuple(versions)


def _root(array):
    """The array that owns the memory (NumPy points every view's base at it)."""
    base = array.base
    return array if base is None else base


def _mark_view(result, source, cls, options) -> None:
    """A view shares its base's storage and version counter, and remembers how it was made
    from the base, so it can take the base's new history after an in-place change."""
    if type(result._data) is not np.ndarray or not isinstance(source, Tensor):
        return
    if _root(result._data) is not _root(source._data):
        return  # NumPy had to copy (e.g. reshape of a transposed array)
    base = source if source._base is None else source._base
    chain = ((cls, options),) if source._base is None else source._view_chain + ((cls, options),)
    result._base = base
    result._view_chain = chain
    result._version = base._counter()
    result._view_version = result._version.value


def view_of(value, chain, tensors: bool = True):
    """Apply a view chain to a tensor (recorded) or, with tensors=False, to an array."""
    for cls, options in chain:
        if tensors:
            value = cls.apply(value, **options)
        else:
            value = cls.forward(_Unrecorded((False,)), value, **options)
    return value


def refresh_view(view) -> None:
    """The base changed in place since this view's history was made: remake it from the base."""
    base = view._base
    version = base._version.value
    fresh = view_of(base, view._view_chain) if _mode.enabled else None
    view.grad_fn = fresh.grad_fn if fresh is not None else None
    view._requires_grad = fresh is not None and fresh._requires_grad
    view._view_version = version


def _version_now(owner) -> int:
    """The current version of a tensor (0 before its first in-place change) or a counter."""
    if isinstance(owner, Tensor):
        counter = owner._version
        return 0 if counter is None else counter.value
    return owner.value


def version_entries(versions: tuple):
    """(owner, version at save, array) per saved value on a tensor's storage. A node keeps
    them flat in one tuple: one object instead of one per entry for the collector to scan."""
    it = iter(versions)
    return zip(it, it, it)


def flat_versions(entries) -> tuple:
    """The flat form of (owner, version, array) entries, as a node keeps them."""
    return tuple([x for entry in entries for x in entry])


def check_versions(node) -> None:
    """Refuse a saved tensor that an in-place op changed after it was saved (torch's error)."""
    for owner, expected, array in version_entries(node._versions):
        counter = owner if type(owner) is Version else owner._version  # _version_now, inline
        now = 0 if counter is None else counter.value
        if now != expected:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{array.dtype} tensor of shape {array.shape}], "
                f"saved by {node.name()}, is at version {now}; expected version "
                f"{expected} instead. Hint: an in-place op (add_, mul_, x += 1, t[i] = v, ...) "
                "changed it after it was used; use the out-of-place form (x = x + 1) or "
                "change a .clone() instead."
            )


_INTERNED = {}


def _interned(value: tuple) -> tuple:
    """One shared copy of common metadata tuples: fewer objects for the GC to traverse."""
    shared = _INTERNED.get(value)
    if shared is None:
        if len(_INTERNED) > 4096:
            _INTERNED.clear()
        shared = _INTERNED[value] = value
    return shared


def unpack_saved(node) -> tuple:
    """Saved values as Tensors; the output is re-attached to its node under create_graph."""
    if node._versions:
        check_versions(node)
    graph = _mode.enabled
    if not graph and node.function.array_backward and tracing._state.tracer is None:
        # first order: arrays, as the grad
        return tuple(
            [
                v._data if isinstance(v, Tensor) else v.array if type(v) is SavedOutput else v
                for v in node._saved
            ]
        )
    result = []
    for v in node._saved:
        if isinstance(v, Tensor):
            result.append(v)
        elif isinstance(v, SavedOutput):
            result.append(_make(v.array, graph, node if graph else None))
        elif isinstance(v, np.ndarray):
            result.append(_make(v))
        else:
            result.append(v)
    return tuple(result)


def _check_finite(array, what: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "nan" if np.isnan(array).any() else "inf"
        raise RuntimeError(
            f"detect_anomaly: {what} produced {kind} values (shape {array.shape}). "
            "Check the inputs of this op (e.g. log or sqrt of values <= 0)."
        )
