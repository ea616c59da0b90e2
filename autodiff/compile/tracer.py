"""The tracer: fn runs eagerly once while the engine's seam and announcements (tracing.py)
tell the tracer what happens; each becomes a step of the program.

A value the program uses comes from one of: the call's arguments, a captured tensor the guard
walk found (read on every call), an op's output, a backward formula's result, an announced
computation (a random draw, the first gradient), or a constant fn made from Python data.
A tensor from anywhere else, or a value of the program read into Python, is refused.
"""

import operator
import random

import numpy as np

from .. import coo, grad_mode, tracing
from ..dtypes import USED
from ..engine import checked_grads
from ..function import Context, has_bfloat16
from ..graph import AccumulateGrad
from ..tensor import Tensor
from . import runtime
from .program import Program, Step, no_context
from .runtime import CompileError

HOOKS_REFUSED = (
    "compile: saved_tensors_hooks (save_on_cpu and torch.utils.checkpoint use them) is not "
    "supported inside a compiled function: a replay keeps its saved values as arrays and would "
    "not call the pack and unpack hooks. Call the function eagerly, or leave the hooks out."
)


class _Unflat(Exception):
    """A backward formula used a value the program does not have: replay it as one call."""


class Tracer:
    """Builds a Program while fn runs eagerly; the engine and the announcements call it."""

    def __init__(self, leaves, names, guard):
        self.program = Program(names)
        self.leaves = leaves
        self.slots = {}  # id(array) -> (slot, array): arrays the program has
        self.objects = {}  # id(object) -> slot: tensors and other objects it refers to
        self.known = guard.tensors  # id -> (path, tensor): tensors fn can reach (captured)
        self.known_grads = guard.grads  # id(.grad) -> its leaf
        self.paths = guard.paths  # id(object) -> where fn reaches it, for the source's names
        self.made = set()  # slots the program computes (not arguments or captured tensors)
        self.constants = set()  # slots of tensors fn made from Python data
        self.ctxs = {}  # id(node) -> (ctx slot, node): forwards traced with a ctx
        self.strict = False  # tracing a backward formula flat: an unknown array aborts it
        self.entry = {}  # id(leaf) -> (leaf, its .grad on entry)
        self.explained = set()  # ids of leaves whose .grad a replayed call changed
        self.accumulated = {}  # id(leaf) -> (leaf, the .grad the program left, leaf slot)
        self.holders = {}  # id(array) -> the argument or captured tensor whose array it is
        for i, x in enumerate(leaves):
            if isinstance(x, Tensor):
                self.objects[id(x)] = i
                self.entry[id(x)] = (x, x._grad)  # ._grad: no non-leaf warning
                self.holders.setdefault(id(x._data), x)
            elif type(x) is np.ndarray:
                self.slots[id(x)] = (i, x)
        for _, t in guard.tensors.values():
            self.entry.setdefault(id(t), (t, t._grad))
            self.holders.setdefault(id(t._data), t)

    # --- slots ----------------------------------------------------------------------------
    def output(self, array, name="t") -> int:
        slot = self.program.slot(f"{name}{len(self.program.names)}")
        self.slots[id(array)] = (slot, array)
        self.made.add(slot)
        return slot

    def slot_of(self, array):
        entry = self.slots.get(id(array))
        return entry[0] if entry is not None and entry[1] is array else None

    def capture(self, obj, name: str) -> int:
        """A slot that holds obj for the program's life (a parameter, an optimizer, ...)."""
        slot = self.objects.get(id(obj))
        if slot is None:
            taken = set(self.program.names)
            base, i = identifier(self.paths.get(id(obj), name)), 2
            name = base
            while name in taken:
                name, i = f"{base}_{i}", i + 1
            slot = self.objects[id(obj)] = self.program.slot(name, (obj,))
        return slot

    def add(self, fn, args=(), kwargs=None, outs=(), text="", **extra) -> Step:
        return self.program.add(Step(fn, args, kwargs, outs, text, **extra))

    def spec(self, a):
        """("s", slot) for a value the program has (a tensor, its array, a tuple or list that
        holds some: packed by a step of its own), else ("k", a) for a constant."""
        if isinstance(a, Tensor):
            return ("s", self.tensor_slot(a))
        if type(a) is np.ndarray:
            slot = self.slot_of(a)
            if slot is not None:
                return ("s", slot)
            owner = self.holders.get(id(a))
            if owner is not None and owner._data is a:  # an argument's or captured array
                return ("s", self.tensor_slot(owner))
            if self.strict:
                raise _Unflat
        elif type(a) in (tuple, list):
            items = [self.spec(x) for x in a]
            if any(kind == "s" for kind, _ in items):
                slot = self.program.slot(f"i{len(self.program.names)}")
                text = "({all},)" if type(a) is tuple else "[{all}]"
                pack = runtime.pack if type(a) is tuple else runtime.pack_list
                self.add(pack, items, outs=[slot], text=text)
                return ("s", slot)
        return ("k", a)

    def tensor_slot(self, t) -> int:
        """The slot of t's array: an argument's, a captured tensor's (read from it here), a
        leaf's .grad, or one the program made. Anything else has no known origin."""
        slot = self.slot_of(t._data)
        if slot is not None:
            return slot
        if self.strict:
            raise _Unflat
        owner = self.holders.get(id(t._data))  # t itself, or a tensor sharing its array
        if owner is not None and owner._data is not t._data:
            owner = None
        holder = None if owner is None else self.objects.get(id(owner))
        if holder is None and owner is not None:
            holder = self.capture(owner, self.known[id(owner)][0])
        if holder is not None:
            slot = self.output(t._data)
            self.made.discard(slot)
            self.add(runtime.array_of, [("s", holder)], outs=[slot], text="{0}.numpy(force=True)")
            return slot
        leaf = self.known_grads.get(id(t))
        if leaf is not None and leaf.grad is t:
            slot = self.output(t._data)
            self.made.discard(slot)
            self.add(
                runtime.grad_of, [("s", self.leaf_slot(leaf))], outs=[slot], text="{0}.grad.numpy()"
            )
            return slot
        raise CompileError(
            f"compile: the compiled function uses a tensor of shape {t._data.shape} that it "
            "neither received, nor reaches through its closure, globals or the modules it uses, "
            "nor computed with autodiff's ops (a replay could not read it again). Pass it as an "
            "argument or keep it in a variable the function names."
        )

    def leaf_slot(self, leaf) -> int:
        slot = self.objects.get(id(leaf))
        if slot is None and id(leaf) in self.known:
            slot = self.capture(leaf, self.known[id(leaf)][0])
        if slot is None:
            raise CompileError(
                f"compile: backward writes the .grad of a leaf of shape {leaf._data.shape} made "
                "inside the compiled function; a replay would not make it again. Create "
                "parameters outside and use them inside."
            )
        return slot

    # --- the seam: Function.apply -------------------------------------------------------
    def apply(self, cls, args, options):
        """Run the op eagerly (what it runs inside is not traced), then record it as a step."""
        if (
            self.strict
            and cls.scalar_operator_differs
            and all(getattr(a, "ndim", 0) == 0 for a in args)
        ):
            raise _Unflat  # eager's formula computes it on NumPy scalars
        if grad_mode._state.saved_hooks is not None:
            raise CompileError(HOOKS_REFUSED)
        if USED.sparse and coo.among(args, options):
            raise CompileError(
                f"compile: {cls.__name__} gets a sparse COO tensor; compiled programs take dense "
                "tensors only. Call the function without ad.compile, or pass .to_dense()."
            )
        if USED.bfloat16 and has_bfloat16(args, options):
            raise CompileError(
                f"compile: {cls.__name__} gets bfloat16 tensors (made by .bfloat16() or by "
                "autocast); a replay computes on the arrays and would not round to bfloat16 as "
                "eager does. Call this step eagerly, or compile it without bfloat16/autocast."
            )
        with tracing.suspended():
            result = cls.apply(*args, **options)
        specs = [self.spec(a) for a in args]
        kwargs = {k: self.spec(v) for k, v in options.items()}
        node = result.grad_fn
        out = result._data
        slot = self.output(out)
        ctx = no_context((False,) * len(args))
        if isinstance(node, Context) and node.function is cls and id(node) not in self.ctxs:
            c = self.program.slot(f"c{slot}")
            self.ctxs[id(node)] = (c, node)
            self.add(
                runtime.Ctx,
                [("k", node.needs_input_grad), ("k", node.input_meta)],
                kwargs,
                outs=[c],
            )
            ctx = ("s", c)
        self.add(
            cls.forward,
            [ctx, *specs],
            kwargs,
            [slot],
            "",
            owner=cls,
            wrap=out.ndim == 0,
            numpy_forward=_numpy_forward(cls, args, options),
        )
        return result

    # --- the engine ------------------------------------------------------------------------
    def backward(self, node, grad) -> tuple:
        """A node's backward formula: its ops as steps where it uses only what the program
        has (flat), else the formula replayed as one call on the replayed ctx."""
        entry = self.ctxs.get(id(node))
        if entry is None or entry[1] is not node:
            raise CompileError(
                f"compile: backward reached {node.name()}, made before the compiled function was "
                "called; compute the whole graph inside the function (detach what comes from "
                "outside)."
            )
        if grad_mode._state.enabled:
            raise CompileError(
                "compile: backward(create_graph=True) (second order) is not supported inside a "
                "compiled function. Call it eagerly."
            )
        if node._pre_hooks or node._post_hooks or node._retain is not None:
            raise CompileError(
                f"compile: {node.name()} has a hook or retain_grad(); a replay would not run "
                "Python callbacks or keep gradients. Register them outside the compiled "
                "function and call it eagerly."
            )
        g = self.spec(grad)
        mark = len(self.program.steps)
        self.strict = True
        try:
            grads = checked_grads(node, node.function.backward(node, grad))
            names = [None if x is None else self.slot_of(x._data) for x in grads]
            if any(x is not None and n is None for x, n in zip(grads, names)):
                raise _Unflat
        except _Unflat:
            del self.program.steps[mark:]
            grads = None
        finally:
            self.strict = False
        if grads is not None:
            shown = ", ".join("_" if n is None else self.program.names[n] for n in names)
            self.program.sections[mark] = f"{node.name()}: {self.program.names[g[1]]} -> {shown}"
            return grads
        with tracing.suspended():  # as eager runs it: on arrays where written for arrays
            given = grad._data if node.function.array_backward else grad
            grads = checked_grads(node, node.function.backward(node, given))
        grads = tuple([x if x is None or isinstance(x, Tensor) else _tensor(x) for x in grads])
        outs = [self.output(x._data) if x is not None else self.program.slot("_") for x in grads]
        self.add(
            runtime.backward,
            [("k", node.function), ("s", entry[0]), g],
            outs=outs,
            comment=node.name(),
            many=True,
        )
        return grads

    def accumulate(self, node: AccumulateGrad, grad) -> None:
        """AccumulateGrad eagerly; the replay writes (or adds into) the leaf's .grad likewise."""
        from ..engine import _accumulate

        leaf = node.variable
        if leaf._hooks:
            raise CompileError(
                "compile: gradient hooks (register_hook) are not supported inside a compiled "
                "function."
            )
        if leaf._post_hooks:
            raise CompileError(
                "compile: register_post_accumulate_grad_hook's hooks are not supported inside "
                "a compiled function (a replay would not call them). Run the step eagerly."
            )
        ref = self.leaf_slot(leaf)
        g = self.spec(grad)
        had = leaf.grad
        self.check_grad(leaf, had)
        _accumulate(node, grad, False)
        out = self.output(leaf.grad._data)
        helper = runtime.add_grad if had is not None else runtime.set_grad
        self.add(helper, [("s", ref), g], outs=[out])
        self.accumulated[id(leaf)] = (leaf, leaf.grad, ref)

    def check_grad(self, leaf, had) -> None:
        """The .grad backward adds into is the one the leaf had on entry (its None-ness is
        guarded) or the program's own; a .grad fn assigned is refused (a replay would not)."""
        entry = self.entry.get(id(leaf))
        done = self.accumulated.get(id(leaf))
        if had is None or (done is not None and had is done[1]):
            return
        if entry is None or had is not entry[1]:
            raise CompileError(
                "compile: the compiled function assigned a leaf's .grad before backward; a "
                "replay would not. Use optimizer.zero_grad() / model.zero_grad(), or set it "
                "outside."
            )

    # --- announcements -------------------------------------------------------------------------
    def wrote(self, tensor, op, fn, value, index) -> None:
        """An in-place write: fn is a ufunc (target op= value), np.copyto or operator.setitem."""
        in_graph = tensor._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
        if grad_mode._state.enabled and in_graph and not self.replayable_rebase(tensor, value):
            raise CompileError(
                f"compile: {op} on a view of a tensor in the graph, or on a tensor the op saves "
                "for backward, is not supported inside a compiled function; use the out-of-place "
                "op (x = x + y), or update under no_grad."
            )
        target, v = ("s", self.tensor_slot(tensor)), self.spec(value)
        if fn is operator.setitem:
            self.add(fn, [target, ("k", index), v], comment=op)
        elif fn is np.copyto:
            self.add(fn, [target, v], {"casting": ("k", "same_kind")}, comment=op)
        else:
            self.add(fn, [target, v], {"out": target, "casting": ("k", "same_kind")}, comment=op)
        self.bumped(tensor)

    def replayable_rebase(self, tensor, value) -> bool:
        """An in-place op in the graph runs the out-of-place op and writes its result (value)
        into the storage (ops/inplace.py): two steps a replay repeats, unless the tensor is a
        view (its base is rebased too) or the op saved the tensor itself (eager keeps a copy
        of its old values, made outside the ops; a replay's op would save the storage, which
        the write then changes). Arrays forward made and saved, the replay makes again."""
        node = value.grad_fn if isinstance(value, Tensor) else None
        if tensor._base is not None or node is None or node.released:
            return False
        return all(self.slot_of(v._data) is not None for v in node._saved if isinstance(v, Tensor))

    def bumped(self, tensor) -> None:
        """The version counter a replay moves: an argument's (this call's) or a captured one."""
        counter = tensor._counter()  # the write bumps this one (made on a first write)
        for i, arg in enumerate(self.leaves):
            if isinstance(arg, Tensor) and (arg is tensor or arg._version is counter):
                self.add(runtime.bump_tensor, [("s", i)])
                return
        if self.slot_of(tensor._data) in self.made:
            return  # a tensor the program makes anew on each call
        self.add(runtime.bump, [("s", self.capture(counter, "version"))])

    def computed(self, array, recompute, inputs, text) -> None:
        specs = [self.spec(a) for a in inputs]
        slot = self.output(array)
        self.add(recompute, specs, outs=[slot], text=text)

    def created(self, tensor) -> None:
        data = tensor._data
        if self.slot_of(data) is not None:
            return
        slot = self.output(data)
        self.constants.add(slot)
        self.add(runtime.constant, [("k", data.copy())], outs=[slot])

    def read(self, tensor, what: str, reads: str) -> None:
        slot = self.slot_of(tensor._data)
        if slot is not None and slot in self.constants:
            return  # a constant fn made: its value is the same on every call
        if slot is None and id(tensor) not in self.known and id(tensor) not in self.known_grads:
            return  # a tensor the program does not use
        if self.strict:
            raise _Unflat
        raise CompileError(
            f"compile: {what} reads {reads} inside the compiled function "
            f"(shape {tensor._data.shape}); a replay would not read them again. Keep the "
            "computation in tensor ops, or return the tensor and read it after the call."
        )

    def call(self, method, args, kwargs):
        """A @replayed method: run it untraced now; the replay calls it again."""
        if any(callable(a) and not isinstance(a, type) for a in (*args[1:], *kwargs.values())):
            raise CompileError(
                f"compile: {method.__qualname__}(closure) is not supported inside a compiled "
                "function; call it outside."
            )
        specs = [self.call_arg(a, i == 0) for i, a in enumerate(args)]
        kw = {k: self.call_arg(v) for k, v in kwargs.items()}
        before = {k: t._grad for k, (t, _) in self.entry.items()}
        with tracing.suspended():
            result = method(*args, **kwargs)
        self.explained.update(k for k, (t, _) in self.entry.items() if t._grad is not before[k])
        bound = "." in method.__qualname__ and args
        text = f"{{0}}.{method.__name__}({{rest}})" if bound else ""
        self.add(method, specs, kw, text=text)
        return result

    def call_arg(self, a, owner=False):
        if isinstance(a, Tensor):
            slot = self.tensor_slot(a)
            wrapped = self.program.slot(f"x{slot}")
            self.add(runtime.tensor, [("s", slot)], outs=[wrapped])
            return ("s", wrapped)
        if owner or not _plain(a):
            return ("s", self.capture(a, type(a).__name__.lower()))
        return ("k", a)

    # --- the end ----------------------------------------------------------------------------
    def finish(self, result, leaves) -> Program:
        program = self.program
        self._final_grads()
        program.set_output(self.layout(result, leaves))
        program.plan()
        return program

    def _final_grads(self) -> None:
        """A .grad fn set to None after its backward is set to None on replay too; any other
        change to a .grad the program did not make is refused."""
        for leaf, left, ref in self.accumulated.values():
            if leaf.grad is None:
                self.add(runtime.clear_grad, [("s", ref)])
            elif leaf.grad is not left:
                raise CompileError(
                    "compile: the compiled function assigned a leaf's .grad; a replay would not "
                    "do it. Use optimizer.zero_grad() / model.zero_grad(), or set it outside."
                )
        for key, (leaf, had) in self.entry.items():
            if key in self.accumulated or key in self.explained or leaf._grad is had:
                continue
            raise CompileError(
                "compile: the compiled function changed a leaf's .grad without backward or "
                "zero_grad(); a replay would not. Use optimizer.zero_grad() / "
                "model.zero_grad(), or set it outside."
            )

    def layout(self, value, leaves):
        """How a replay rebuilds fn's result (see program.rebuild)."""
        if isinstance(value, Tensor):
            slot = self.objects.get(id(value))
            if slot is not None and slot < self.program.ninputs:
                return ("arg", slot)
            for leaf, left, _ in self.accumulated.values():
                if value is left and leaf.grad is left:
                    return ("grad", self.layout(leaf, leaves))
            slot = self.slot_of(value._data)
            if slot is not None and slot in self.made:
                node = value.grad_fn
                if node is not None and not node.released:
                    # backward may still run through it, after the call: a replay has no graph
                    self.program.returns_graph = True
                return ("slot", slot, None if node is None else runtime.output_node(node.name()))
            if id(value) in self.known:
                return ("obj", value)
            raise CompileError(
                f"compile: the compiled function returned a tensor of shape {value.shape} that "
                "it did not compute with autodiff's ops."
            )
        if isinstance(value, (tuple, list)):
            kind = type(value)
            return ("seq", kind, [self.layout(v, leaves) for v in value])
        if isinstance(value, dict):
            return ("dict", [(k, self.layout(v, leaves)) for k, v in value.items()])
        if _plain(value):
            return ("obj", value)
        raise CompileError(
            f"compile: the compiled function returned a {type(value).__name__}; return tensors, "
            "numbers, or tuples/lists/dicts of them."
        )


def _plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return True
    return isinstance(value, (tuple, list)) and all(_plain(v) for v in value)


def _tensor(x):
    return Tensor._make(np.asarray(x))


def identifier(name: str) -> str:
    """name as a Python identifier (a path like model.0.weight -> model_0_weight)."""
    cleaned = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "x"
    return cleaned if not cleaned[0].isdigit() else "_" + cleaned


def trace(fn, args, kwargs, leaves, names, guard):
    """Run fn(*args, **kwargs) eagerly with a tracer; returns (its result, the program with
    its guard: what the trace read, checked on each later call)."""
    tracer = Tracer(leaves, names, guard)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    previous, tracing._state.tracer = tracing._state.tracer, tracer
    try:
        result = fn(*args, **kwargs)
    finally:
        tracing._state.tracer = previous
    if random.getstate() != python_state or not _same_numpy_state(numpy_state):
        raise CompileError(
            "compile: the compiled function draws from NumPy's or Python's own random "
            "generator; a replay would reuse the first draws. Use ad.rand/ad.randn (or an "
            "ad.Generator), whose draws a replay repeats."
        )
    program = tracer.finish(result, leaves)
    program.guard = guard.function()
    return result, program


def _same_numpy_state(state) -> bool:
    now = np.random.get_state()
    return state[0] == now[0] and np.array_equal(state[1], now[1]) and state[2:] == now[2:]


def _numpy_forward(cls, args, options):
    """cls.numpy_forward for these arguments, where forward is the one it was written beside (a
    subclass that overrides forward alone gets none: its forward computes something else)."""
    if options or _defining(cls, "numpy_forward") is not _defining(cls, "forward"):
        return None
    return cls.numpy_forward(*[a._data if isinstance(a, Tensor) else a for a in args])


def _defining(cls, name: str) -> type:
    return next(k for k in cls.__mro__ if name in vars(k))
