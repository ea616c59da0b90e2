"""What a replay depends on, read on every call; a program is replayed only where it is equal.

The key of a call: the modes (grad, default dtype), the arguments' structure (lists, tuples,
dicts, namedtuples, keywords) with each tensor's shape, dtype, requires_grad and leafness and
how the arguments alias each other, the values of the other arguments, and everything fn can
reach: its closure cells, defaults, the globals its code names, a bound `self`, and through
them modules, their training flags, parameters and buffers (identity, array, shape, dtype,
requires_grad) and every plain attribute, the user functions and classes they call (their
own closures and globals), containers and their items. Objects whose state their own replayed
methods read live (optimizers, schedulers, generators: `tracing.live`) count by identity.
Whatever the walk cannot see into (an iterator, a file) is refused: a replay could not know
it changed.
"""

import os
import sys
import sysconfig
import threading
import types

import numpy as np

from ..dtypes import get_default_dtype
from ..grad_mode import _state as _mode
from ..tensor import Tensor

MAX_OBJECTS = 20000  # a walk beyond this many objects is refused (pass what fn needs instead)
MAX_ARRAY = 1 << 16  # NumPy arrays reached by fn are compared by value up to this many elements


class Unguardable(Exception):
    """fn reaches state the guard cannot compare between calls (message: what and where)."""


_NAN = ("nan",)  # NaN never equals itself: a key holding it would never match again
_SIMPLE = (int, float, bool, str, bytes, complex, type(None), type(Ellipsis))
_IDENTITY = (
    types.ModuleType,
    type,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    np.ufunc,
    np.dtype,
    property,
    staticmethod,
    classmethod,
    # synchronisation, not data: what fn computes does not depend on their state
    type(threading.Lock()),
    type(threading.RLock()),
    threading.Event,
    threading.Condition,
    threading.Semaphore,
    threading.Thread,
)


def _library_roots() -> tuple:
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ours = [
        os.path.join(here, name) + os.sep
        for name in sorted(os.listdir(here))
        if os.path.isfile(os.path.join(here, name, "__init__.py")) and name != "tests"
    ]
    paths = sysconfig.get_paths()
    others = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(ours) + tuple(sorted(p + os.sep for p in others)) + ("<frozen",)


_LIBRARY = _library_roots()
_USER_CODE = {}


def user_code(code) -> bool:
    """Code outside the installed libraries (a notebook's, a script's, a test's): its globals
    and closures are walked, since what it reads decides what the program computes."""
    known = _USER_CODE.get(code)
    if known is None:
        known = _USER_CODE[code] = not code.co_filename.startswith(_LIBRARY)
    return known


_NAMES = {}


def global_names(code) -> tuple:
    """The names a code object (and the lambdas and comprehensions inside it) may read as
    globals."""
    names = _NAMES.get(code)
    if names is None:
        found = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                found.update(global_names(const))
        names = _NAMES[code] = tuple(sorted(found))
    return names


def flatten(args: tuple, kwargs: dict) -> tuple:
    """(structure, leaves): the call's arguments with lists, tuples, dicts and namedtuples
    opened, so a tensor inside a list is an input like a positional one."""
    leaves = []

    def walk(x):
        t = type(x)
        if t is tuple or t is list:
            return (t, tuple([walk(v) for v in x]))
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return (t, tuple([walk(v) for v in x]))
        if t is dict:
            return (dict, tuple(x), tuple([walk(v) for v in x.values()]))
        leaves.append(x)
        return None

    structure = (walk(args), tuple(kwargs), tuple([walk(v) for v in kwargs.values()]))
    return structure, leaves


def unflatten(structure, leaves):
    """(args, kwargs) rebuilt from flatten's structure and (possibly other) leaves."""
    it = iter(leaves)

    def build(shape):
        if shape is None:
            return next(it)
        kind = shape[0]
        if kind is dict:
            return dict(zip(shape[1], [build(s) for s in shape[2]]))
        items = [build(s) for s in shape[1]]
        return kind(*items) if hasattr(kind, "_fields") else kind(items)

    args_shape, keys, values = structure
    args = build(args_shape)
    return args, dict(zip(keys, [build(s) for s in values]))


class Walk:
    """One call's fingerprint of everything fn reaches; with collect=True (the trace) it also
    names every tensor it meets, so the program can refer to captured tensors."""

    def __init__(self, collect: bool = False):
        self.seen = {}  # id -> position: aliasing and cycles
        self.collect = collect
        self.tensors = {}  # id(tensor) -> (path, tensor), when collecting
        self.grads = {}  # id(a leaf's .grad) -> leaf, when collecting
        self.arrays = {}  # id(array) -> alias position: arguments and tensors share storage
        self.paths = {}  # id(object) -> where fn reaches it (model.0.weight), when collecting

    def argument(self, x, path: str):
        """A flattened argument: tensors and arrays by metadata (each call brings new ones)."""
        if isinstance(x, Tensor):
            data = x._data
            self._name(x, path)
            return ("T", self._alias(data), data.shape, data.dtype, x._requires_grad, x.grad_fn)
        if type(x) is np.ndarray:
            return ("A", self._alias(x), x.shape, x.dtype)
        return self.value(x, path, 0)

    def _alias(self, array) -> int:
        position = self.arrays.get(id(array))
        if position is None:
            position = self.arrays[id(array)] = len(self.arrays)
        return position

    def _name(self, t, path) -> None:
        if self.collect and id(t) not in self.tensors:
            self.tensors[id(t)] = (path, t)
            if t.grad is not None:
                self.grads[id(t.grad)] = t

    def value(self, x, path: str, depth: int):
        """A hashable fingerprint of x and everything it holds."""
        t = type(x)
        if t in _SIMPLE:
            return x if x == x else _NAN
        if isinstance(x, Tensor):
            self._name(x, path)
            data = x._data
            return (
                "T",
                id(x),
                id(data),
                self._alias(data),
                data.shape,
                data.dtype,
                x._requires_grad,
                x.grad_fn is None,
            )
        key = id(x)
        position = self.seen.get(key)
        if position is not None:
            return ("seen", position)
        self.seen[key] = len(self.seen)
        if self.collect:
            self.paths[key] = path
        if len(self.seen) > MAX_OBJECTS:
            raise Unguardable(
                f"fn reaches more than {MAX_OBJECTS} objects (at {path}); pass what it needs as "
                "arguments or capture a smaller object"
            )
        if depth > 40:
            raise Unguardable(f"fn reaches objects nested more than 40 deep (at {path})")
        depth += 1
        if t is list or t is tuple:
            return (t, tuple([self.value(v, f"{path}[{i}]", depth) for i, v in enumerate(x)]))
        if isinstance(x, dict):
            items = [
                (self.value(k, path, depth), self.value(v, _join(path, k), depth))
                for k, v in x.items()
            ]
            return ("dict", tuple(items))
        if t is set or t is frozenset:
            return (t, frozenset([self.value(v, path, depth) for v in x]))
        if isinstance(x, np.generic):
            return ("np", x.dtype, x.item() if x == x else _NAN)
        if t is np.ndarray:
            return self._array(x, path)
        if isinstance(x, _IDENTITY):
            return ("id", key)
        if isinstance(x, types.FunctionType):
            return self._function(x, path, depth)
        if isinstance(x, types.MethodType):
            return ("m", self.value(x.__self__, path, depth), self.value(x.__func__, path, depth))
        if getattr(t, "_compile_live", False):
            return ("live", key)  # its replayed methods read its state on every call
        return self._object(x, path, depth)

    def _array(self, x, path):
        if x.size > MAX_ARRAY:
            raise Unguardable(
                f"fn reads a NumPy array of {x.size} elements ({path}); a replay would need to "
                "compare it by value on every call. Pass it as a tensor argument, or wrap it "
                "once outside (ad.from_numpy) and capture the tensor."
            )
        return ("A", id(x), x.shape, x.dtype, x.tobytes())

    def _function(self, f, path, depth):
        """A function: by identity, and a user's by what it reads (closure, defaults, globals)."""
        code = f.__code__
        if not user_code(code):
            return ("f", id(f))
        cells = []
        for name, cell in zip(code.co_freevars, f.__closure__ or ()):
            try:
                cells.append(self.value(cell.cell_contents, name, depth))
            except ValueError:  # an empty cell (a name assigned later)
                cells.append(None)
        return (
            "f",
            id(f),
            tuple(cells),
            self.value(f.__defaults__, path, depth),
            self.value(f.__kwdefaults__, path, depth),
            self.globals(f.__globals__, code, depth),
        )

    def globals(self, namespace: dict, code, depth: int) -> tuple:
        """The globals a code may read, by value (a missing name is a builtin, or unset)."""
        return tuple(
            [
                self.value(namespace[name], name, depth) if name in namespace else None
                for name in global_names(code)
            ]
        )

    def _object(self, x, path, depth):
        """Any other object: its attributes, and for a user's class what its methods read."""
        state = getattr(x, "__dict__", None)
        slots = _slot_values(x)
        if state is None and slots is None:
            raise Unguardable(
                f"fn reads {path}, a {type(x).__name__} whose state ad.compile cannot compare "
                "between calls (an iterator, a file, ...). Do that outside and pass the "
                "result as an argument"
            )
        attrs = state if state is not None else {}
        return (
            "o",
            id(x),
            type(x),
            tuple([(k, self.value(v, _join(path, k), depth)) for k, v in attrs.items()]),
            tuple([self.value(v, path, depth) for v in slots or ()]),
            self._class(type(x), depth),
        )

    def _class(self, cls, depth):
        """A user's class: its plain class attributes and the globals its methods read."""
        parts = []
        for klass in cls.__mro__:
            if klass is object or not _user_class(klass):
                continue
            for name, member in vars(klass).items():
                if isinstance(member, types.FunctionType):
                    parts.append(self._function(member, f"{klass.__name__}.{name}", depth))
                elif isinstance(member, _SIMPLE):
                    parts.append((name, self.value(member, name, depth)))
        return tuple(parts)


def _user_class(cls) -> bool:
    for member in vars(cls).values():
        if isinstance(member, types.FunctionType):
            return user_code(member.__code__)
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return file is None or not os.path.abspath(file).startswith(_LIBRARY)


def _slot_values(x):
    names = [n for k in type(x).__mro__ for n in getattr(k, "__slots__", ())]
    if not names:
        return None
    return [getattr(x, n, None) for n in names if n not in ("__weakref__", "__dict__")]


def _join(path: str, key) -> str:
    if key in ("_parameters", "_buffers", "_modules"):
        return path
    return f"{path}.{key}" if isinstance(key, str) else f"{path}[{key!r}]"


def modes() -> tuple:
    return (_mode.enabled, get_default_dtype())
