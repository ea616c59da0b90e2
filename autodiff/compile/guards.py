"""What a replay depends on: a program is replayed only where its guard finds all of it as
it was when the program was traced.

The guard of a program is a function, written as Python when fn is traced, that checks: the
modes (grad, default dtype), the arguments' structure (lists, tuples, dicts, namedtuples,
keywords) with each tensor's class, shape, dtype, requires_grad and leafness and how the
arguments share storage with each other and with captured tensors, the values of the other
arguments, and everything fn can reach: its closure cells, defaults, the globals its code
names, a bound `self`, and through them modules, their training flags, parameters and buffers
(identity, array, requires_grad) and every plain attribute, the user functions and classes they
call (their closures, globals and class attributes), containers and their items, NumPy arrays
by value. Objects whose state their own replayed methods read live (optimizers, schedulers,
generators: `tracing.live`) are checked by identity. What the walk cannot see into (an
iterator, a file) is refused: a replay could not know it changed.
"""

import os
import sys
import sysconfig
import threading
import types

import numpy as np

from ..amp import _State as _amp
from ..dtypes import get_default_dtype
from ..grad_mode import _state as _mode
from ..size import Size
from ..tensor import Tensor

MAX_CHECKS = 50000  # a guard beyond this many checks is refused (pass what fn needs instead)
MAX_ARRAY = 1 << 16  # NumPy arrays reached by fn are compared by value up to this many elements


class Unguardable(Exception):
    """fn reaches state the guard cannot compare between calls (message: what and where)."""


_SIMPLE = frozenset([int, float, bool, str, bytes, complex, type(None), type(Ellipsis)])
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


def global_names(code) -> tuple:
    """The names a code object (and the lambdas and comprehensions inside it) may read as
    globals."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.update(global_names(const))
    return tuple(sorted(found))


_FLAT = {}  # n -> the structure of n positional arguments that are all leaves


def flatten(args: tuple, kwargs: dict) -> tuple:
    """(structure, leaves): the call's arguments with lists, tuples, dicts and namedtuples
    opened, so a tensor inside a list is an input like a positional one."""
    if not kwargs and not any(isinstance(a, (tuple, list, dict)) for a in args):
        flat = _FLAT.get(len(args))
        if flat is None:
            flat = _FLAT[len(args)] = ((tuple, (None,) * len(args)), (), ())
        return flat, list(args)
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


class Guard:
    """Writes, from the state at a trace's start, the function `check(S, L)` that says whether
    a later call (its structure S, its flattened arguments L) finds everything the same. On
    the way it names every tensor and object fn reaches, for the program's source."""

    def __init__(self):
        self.lines = []  # the body of check(S, L), one check per line
        self.constants = {}  # name -> object the checks compare against
        self.seen = {}  # id(object) -> the name of a constant it was checked to be
        self.tensors = {}  # id(tensor) -> (path, tensor): the tensors fn reaches
        self.grads = {}  # id(a leaf's .grad) -> leaf
        self.paths = {}  # id(object) -> where fn reaches it (model.0.weight)
        self.classes = set()  # user classes whose attributes are checked
        self.locals = 0

    # --- writing ------------------------------------------------------------------------------
    def constant(self, obj, hint: str = "o") -> str:
        name = f"{hint}{len(self.constants)}"
        self.constants[name] = obj
        return name

    def require(self, condition: str) -> None:
        self.lines.append(f"if not ({condition}): return False")
        if len(self.lines) > MAX_CHECKS:
            raise Unguardable(
                f"fn reaches more than {MAX_CHECKS} values; pass what it needs as arguments or "
                "capture a smaller object"
            )

    def local(self, expr: str) -> str:
        """expr evaluated once, into a local of check()."""
        if expr.isidentifier():
            return expr
        self.locals += 1
        name = f"v{self.locals}"
        self.lines.append(f"{name} = {expr}")
        return name

    def function(self):
        """check(S, L) as Python, executed: the program's guard."""
        body = ["def check(S, L):", "    try:"]
        body += ["        " + line for line in self.lines]
        body += ["    except (LookupError, AttributeError, TypeError):", "        return False"]
        body += ["    return True"]
        namespace = {"mode": _mode, "default_dtype": get_default_dtype, "np": np, "amp": _amp}
        namespace.update(types=types, _filled=_filled, **self.constants)
        exec(compile("\n".join(body), "<ad.compile guard>", "exec"), namespace)  # our own text
        return namespace["check"]

    # --- the call: modes, structure, arguments ------------------------------------------------
    def call(self, structure, leaves) -> None:
        self.require(f"mode.enabled is {_mode.enabled}")
        self.require(f"default_dtype() == {self.constant(get_default_dtype(), 'dtype')}")
        # autocast changes which ops cast: a program traced without it replays without it
        self.require(f"amp.cpu == {self.constant(_amp.cpu, 'autocast')}")
        self.require(f"S == {self.constant(structure, 'structure')}")
        self.arguments = []  # (expression of its array, the array) per tensor or array argument
        for i, x in enumerate(leaves):
            expr = f"L[{i}]"
            if isinstance(x, Tensor):
                data = x._data
                self.require(f"type({expr}) is {self.constant(type(x), 'cls')}")
                self.require(f"{expr}._data.shape == {data.shape!r}")
                self.require(f"{expr}._data.dtype == {self.constant(data.dtype, 'dtype')}")
                self.require(f"{expr}._requires_grad is {x._requires_grad}")
                self.require(f"({expr}.grad_fn is None) is {x.grad_fn is None}")
                self.require(f"({expr}._grad is None) is {x._grad is None}")
                self._name(x, f"arg{i}")
                self.arguments.append((f"{expr}._data", data))
            elif type(x) is np.ndarray:
                self.require(f"type({expr}) is np.ndarray and {expr}.shape == {x.shape!r}")
                self.require(f"{expr}.dtype == {self.constant(x.dtype, 'dtype')}")
                self.arguments.append((expr, x))
            else:
                self.value(expr, x, f"arg{i}")

    def sharing(self, captured) -> None:
        """Which arguments share storage, with each other and with captured tensors, as when
        traced."""
        first = {}
        for expr, array in self.arguments:
            earlier = first.setdefault(id(array), expr)
            if earlier is not expr:
                self.require(f"{expr} is {earlier}")
        if len(self.arguments) > 1:
            ids = ", ".join(f"id({expr})" for expr, _ in self.arguments)
            self.require(f"len({{{ids}}}) == {len(first)}")
        owned = {id(t._data) for t in captured}
        for expr, array in self.arguments:
            if id(array) in owned:
                self.require(f"{expr} is {self.constant(array, 'array')}")
        others = frozenset(owned - set(first))
        if others and self.arguments:
            ids = ", ".join(f"id({expr})" for expr, _ in self.arguments)
            self.require(f"{self.constant(others, 'captured')}.isdisjoint(({ids},))")

    # --- everything fn reaches ------------------------------------------------------------
    def value(self, expr: str, x, path: str) -> None:
        """Checks that expr evaluates to x again: by value, identity or content."""
        t = type(x)
        if t in _SIMPLE:
            v = self.local(expr)
            if x is None or x is Ellipsis or t is bool:
                self.require(f"{v} is {x!r}")
            elif x != x:  # NaN
                self.require(f"type({v}) is float and {v} != {v}")
            else:
                self.require(f"type({v}) is {t.__name__} and {v} == {_literal(x, self)}")
            return
        v = self.local(expr)
        known = self.seen.get(id(x))
        if known is not None:
            self.require(f"{v} is {known}")
            return
        if isinstance(x, types.MethodType):  # a new object on every attribute access
            self.require(f"type({v}) is types.MethodType")
            self.value(f"{v}.__self__", x.__self__, path)
            self.value(f"{v}.__func__", x.__func__, path)
            return
        name = self.seen[id(x)] = self.constant(x, "o")
        self.paths[id(x)] = path
        self.require(f"{v} is {name}")
        if isinstance(x, Tensor):
            self._name(x, path)
            self.require(f"{name}._data is {self.constant(x._data, 'array')}")
            self.require(f"{name}._requires_grad is {x._requires_grad}")
            self.require(f"({name}.grad_fn is None) is {x.grad_fn is None}")
            # fn may test .grad (clip_grad_norm_ skips a None one; backward adds or writes)
            self.require(f"({name}._grad is None) is {x._grad is None}")
        elif t is slice or t is range:  # immutable: the same object has the same bounds
            for part in ("start", "stop", "step"):
                self.value(f"{name}.{part}", getattr(x, part), f"{path}.{part}")
        elif t is list or t is tuple or t is Size:  # Size: a tensor's shape (torch.Size)
            self.require(f"len({name}) == {len(x)}")
            for i, item in enumerate(x):
                self.value(f"{name}[{i}]", item, f"{path}[{i}]")
        elif isinstance(x, dict):
            self.mapping(name, x, path)
        elif t is set or t is frozenset:
            if not all(type(v) in _SIMPLE for v in x):
                raise Unguardable(f"fn reads {path}, a set of objects other than numbers/text")
            self.require(f"{name} == {self.constant(frozenset(x), 'set')}")
        elif isinstance(x, np.generic) or t is np.ndarray:
            self._array(name, np.asarray(x), path)
        elif isinstance(x, _IDENTITY) or getattr(t, "_compile_live", False):
            pass  # identity is all: its own replayed methods read its state live
        elif isinstance(x, types.FunctionType):
            self._function(name, x, path)
        else:
            self._object(name, x, path)

    def mapping(self, expr, x, path) -> None:
        name = self.local(expr)
        self.require(f"len({name}) == {len(x)}")
        for k, item in x.items():
            key = _literal(k, self) if type(k) in _SIMPLE else self.constant(k, "key")
            self.value(f"{name}[{key}]", item, _join(path, k))

    def _array(self, name, x, path) -> None:
        if x.size > MAX_ARRAY:
            raise Unguardable(
                f"fn reads a NumPy array of {x.size} elements ({path}); a replay would need to "
                "compare it by value on every call. Pass it as a tensor argument, or wrap it "
                "once outside (ad.from_numpy) and capture the tensor."
            )
        self.require(f"{name}.shape == {x.shape!r}")
        self.require(f"{name}.tobytes() == {self.constant(x.tobytes(), 'bytes')}")

    def _function(self, name, f, path) -> None:
        """A user's function by what it reads: closure cells, defaults, globals (a library's
        function by identity)."""
        code = f.__code__
        if not user_code(code):
            return
        for cell_name, cell in zip(code.co_freevars, f.__closure__ or ()):
            try:
                content = cell.cell_contents
            except ValueError:  # an empty cell (a name assigned later)
                self.require(f"not _filled({self.constant(cell, 'cell')})")
                continue
            self.value(f"{self.constant(cell, 'cell')}.cell_contents", content, cell_name)
        self.value(f"{name}.__defaults__", f.__defaults__, path)
        self.value(f"{name}.__kwdefaults__", f.__kwdefaults__, path)
        namespace = self.constant(f.__globals__, "globals")
        for global_name in global_names(code):
            if global_name in f.__globals__:
                self.value(f"{namespace}[{global_name!r}]", f.__globals__[global_name], global_name)
            else:  # a builtin or not yet defined: it must stay absent
                self.require(f"{global_name!r} not in {namespace}")

    def _object(self, name, x, path) -> None:
        """Any other object: its attributes, and for a user's class what its methods read."""
        state = getattr(x, "__dict__", None)
        slots = _slot_names(x)
        if state is None and not slots:
            raise Unguardable(
                f"fn reads {path}, a {type(x).__name__} whose state ad.compile cannot compare "
                "between calls (an iterator, a file, ...). Do that outside and pass the "
                "result as an argument"
            )
        self.require(f"type({name}) is {self.constant(type(x), 'cls')}")
        if state is not None:
            self.mapping(f"{name}.__dict__", state, path)
        for slot in slots:
            if hasattr(x, slot):
                self.value(f"{name}.{slot}", getattr(x, slot), _join(path, slot))
        self._class(type(x), path)

    def _class(self, cls, path) -> None:
        """A user's class: its plain class attributes and the globals its methods read."""
        if cls in self.classes:
            return
        self.classes.add(cls)
        for klass in cls.__mro__:
            if klass is object or not _user_class(klass):
                continue
            attrs = self.constant(vars(klass), "attrs")
            for attr, member in vars(klass).items():
                if isinstance(member, types.FunctionType):
                    self.value(f"{attrs}[{attr!r}]", member, _join(path, attr))
                elif type(member) in _SIMPLE and not attr.startswith("__"):
                    self.value(f"{attrs}[{attr!r}]", member, _join(path, attr))

    def _name(self, t, path) -> None:
        if id(t) not in self.tensors:
            self.tensors[id(t)] = (path, t)
            if t._grad is not None:  # ._grad: a non-leaf warns on .grad
                self.grads[id(t._grad)] = t


def _literal(value, guard) -> str:
    if type(value) is float and value in (float("inf"), float("-inf")):
        return guard.constant(value, "number")
    return repr(value) if type(value) is not bytes else guard.constant(value, "bytes")


def _user_class(cls) -> bool:
    for member in vars(cls).values():
        if isinstance(member, types.FunctionType):
            return user_code(member.__code__)
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return file is None or not os.path.abspath(file).startswith(_LIBRARY)


def _slot_names(x) -> list:
    names = [n for k in type(x).__mro__ for n in getattr(k, "__slots__", ())]
    return [n for n in names if n not in ("__weakref__", "__dict__")]


def _join(path, key) -> str:
    if key in ("_parameters", "_buffers", "_modules"):
        return path
    return f"{path}.{key}" if isinstance(key, str) else f"{path}[{key!r}]"


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 (an empty cell raises on reading)
    except ValueError:
        return False
    return True


def build(fn, structure, leaves) -> Guard:
    """The guard of a call about to be traced (its checks written; see Guard.function)."""
    guard = Guard()
    guard.call(structure, leaves)
    guard.value(guard.constant(fn, "fn"), fn, "fn")
    arguments = {id(x) for x in leaves}
    guard.sharing([t for _, t in guard.tensors.values() if id(t) not in arguments])
    return guard
