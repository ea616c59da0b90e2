"""ad.compile: trace a function once (forward, backward, optimizer step), then replay it as a
flat program over arrays: no Node, no Tensor per op, no dependency counting, no version checks.

The program is a list of steps, each one of:
- a Function's forward on the arrays of its input slots, into an output slot (and, when a
  backward of it was traced, a context that keeps what forward saved);
- a node's backward: the op's own formula, run on the replayed context and gradient (its
  inner tensor ops run unrecorded, as under no_grad);
- the first gradient of the output (ones), a leaf's gradient written or added into `.grad`;
- an in-place update outside the graph (`p -= lr * p.grad` under no_grad), a version bump;
- an opaque call: `optimizer.step()`, `optimizer.zero_grad()`, `model.zero_grad()` and an lr
  scheduler's `step()` run as themselves (their NumPy updates are not Functions), so the
  optimizer reads its hyper-parameters (lr, Adam's step count) live on every replay.

Guards (a failed one traces again): the shapes, dtypes and requires_grad of tensor
arguments, the values of number arguments, the identity, shapes and dtypes of captured
tensors, a captured model's parameters and train/eval modes, an optimizer's parameters, and
whether a leaf had a .grad on entry (write or add).
Refused with a CompileError: reading a traced value into Python (item(), float(t), bool(t),
int(t), tolist(), .numpy() in user code), tensors made inside fn outside the ops (ad.tensor,
ad.randn, argmax, ...) used by a later op, in-place ops on tensors in the graph, hooks,
create_graph, step(closure), assigning .grad to anything but None.
Not seen (as in any tracer): Python values fn reads besides those above (a global number, an
attribute of a module) are frozen at their traced value; call `compiled.reset()` after
changing them. Tracing patches Tensor and the in-place ops for its one call: trace in one
thread at a time.
"""

import os
import sys
import weakref
from sys import getrefcount

import numpy as np

from . import grad_mode
from . import ops as _ops
from .function import _Unrecorded, apply_eagerly
from .graph import _trace
from .ops import inplace as _inplace
from .tensor import Tensor

_make = Tensor._make

__all__ = ["compile", "Compiled", "CompileError"]


class CompileError(RuntimeError):
    """What ad.compile cannot replay faithfully."""


class _Unflat(Exception):
    """A backward formula used an array the program does not have: replay it as one call."""


def compile(fn):
    """Trace fn on its first call and replay the recorded NumPy program on later calls."""
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    return Compiled(fn)


class Compiled:
    """A compiled function: call it like fn; `.code` is the replayed program as source."""

    def __init__(self, fn):
        self.fn = fn
        self._programs = {}
        self._last = None
        self.traces = 0  # how many times fn was traced (a guard failed, or new input shapes)

    def __call__(self, *args):
        key = (_guard_key(args), _closure_key(self.fn))
        program = self._programs.get(key)
        if program is not None and program.valid(args):
            self._last = program
            return program.replay(args)
        result, program = _trace_call(self.fn, args)
        if len(self._programs) >= 16:  # many shapes: keep the memory bounded
            self._programs.clear()
        self._programs[key] = self._last = program
        self.traces += 1
        return result

    @property
    def code(self) -> str:
        """The program of the latest call as readable NumPy-like source."""
        if self._last is None:
            return "# not traced yet: call the compiled function once"
        return self._last.source()

    def reset(self) -> None:
        """Forget every traced program (the next call traces again)."""
        self._programs.clear()
        self._last = None


# --- guards ---------------------------------------------------------------------------------


def _state_of(obj, captured=False):
    """What a replay depends on in an argument or (captured=True: by identity) a captured one."""
    if isinstance(obj, Tensor):
        who = id(obj) if captured else None
        return ("T", who, obj._data.shape, obj._data.dtype, obj._requires_grad)
    if isinstance(obj, np.ndarray):
        return ("A", obj.shape, obj.dtype)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return ("V", type(obj), obj)
    if isinstance(obj, (tuple, list)):
        return ("L", tuple(_state_of(o, captured) for o in obj))
    if hasattr(obj, "param_groups"):  # an optimizer: its parameters (lr is read by step())
        return ("P", id(obj), tuple(id(p) for g in obj.param_groups for p in g["params"]))
    key = getattr(obj, "compile_key", None)  # a model: its parameters and train/eval modes
    if key is not None:
        return ("M", id(obj), key())
    if hasattr(obj, "parameters") and hasattr(obj, "modules"):  # a model of another kind
        modes = tuple(m.training for m in obj.modules())
        return ("M", id(obj), tuple(id(p) for p in obj.parameters()), modes)
    return ("O", id(obj))


def _captured(fn) -> list:
    """The objects fn captures: closure cells and a bound method's object."""
    found = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    owner = getattr(fn, "__self__", None)
    return found + ([owner] if owner is not None else [])


def _leaves_of(obj, depth=0) -> list:
    """Leaf tensors in an argument or captured object (lists, models, optimizers)."""
    if isinstance(obj, Tensor):
        return [obj] if obj._requires_grad and obj.grad_fn is None else []
    if depth > 4:
        return []
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _leaves_of(o, depth + 1)]
    if hasattr(obj, "param_groups"):
        return [p for g in obj.param_groups for p in g["params"]]
    if hasattr(obj, "parameters") and hasattr(obj, "modules"):
        return list(obj.parameters())
    return []


def _guard_key(args) -> tuple:
    return tuple(_state_of(a) for a in args)


def _closure_key(fn) -> tuple:
    """The state of what fn captures: closure cells and, for a bound method, its object."""
    cells = getattr(fn, "__closure__", None) or ()
    key = []
    for cell in cells:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if not callable(value) or hasattr(value, "parameters"):
            key.append(_state_of(value, True))
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        key.append(_state_of(owner, True))
    return tuple(key)


# --- the traced program ---------------------------------------------------------------------


class _ReplayCtx:
    """The ctx a Function's forward and backward see on replay (no graph node)."""

    node_name = None

    def __init__(self, needs, options, meta):
        self.needs_input_grad = needs
        self.options = options
        self.input_meta = meta
        self._saved = ()

    def save_for_backward(self, *values) -> None:
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        return tuple([_make(v) if type(v) is np.ndarray else v for v in self._saved])


class Program:
    """Steps (closures over the slot list), inputs, externals and the output's layout."""

    def __init__(self):
        self.steps = []  # callables step(env, args)
        self.lines = []  # source text, one per step
        self.inputs = []  # (slot, arg index)
        self.externals = []  # (slot, tensor, shape, dtype): tensors fn reads but did not make
        self.nslots = 0
        self.output = None
        self.reads = []  # per step: the slots it reads
        self.ctx_made = {}  # ctx slot -> index of the forward step that makes it
        self.without_ctx = {}  # ctx slot -> that step without making the context
        self.frees = []  # per step: the slots no later step reads (freed after it)
        self.comments = {}  # step index -> a comment line shown above it
        self.grad_states = []  # (find leaf from args, whether it had a .grad on entry)
        self.run = None  # the steps and frees as one function, made on the first replay

    def valid(self, args) -> bool:
        """The captured tensors have the shapes and dtypes the trace saw, and each leaf's .grad
        is None (or not) as it was when the trace first met the leaf."""
        for _, t, shape, dtype in self.externals:
            if t._data.shape != shape or t._data.dtype != dtype:
                return False
        for find, had_grad in self.grad_states:
            if (find(args).grad is not None) != had_grad:
                return False
        return True

    def replay(self, args):
        env = [None] * self.nslots
        for slot, i in self.inputs:
            a = args[i]
            env[slot] = a._data if isinstance(a, Tensor) else a
        externals = self.externals
        for slot, t, _, _ in externals:
            env[slot] = t._data
        if self.run is None:
            self.run = _runner(self.steps, self.frees)
        previous = grad_mode._state.enabled
        grad_mode._state.enabled = False
        try:
            self.run(env, args)
        finally:
            grad_mode._state.enabled = previous
        return _unflatten(self.output, env)

    def source(self) -> str:
        head = ", ".join(f"t{s}" for s, _ in self.inputs)
        lines = [f"def step({head}):"]
        for slot, t, shape, dtype in self.externals:
            name = f" {t._name}" if getattr(t, "_name", None) else ""
            lines.append(f"    t{slot} = <captured tensor{name} {shape} {dtype}>")
        for i, line in enumerate(self.lines):
            if i in self.comments:
                lines.append("    " + self.comments[i])
            lines.append("    " + line)
        lines.append(f"    return {_describe(self.output)}")
        return "\n".join(lines)


_STRAIGHT = 4096  # programs up to this many steps run as one generated function


def _runner(steps, frees):
    """run(env, args): every step, and after each the slots no later step reads dropped (as
    eager frees intermediates once backward used them). A short program becomes one
    straight-line function (no loop to interpret); a long one loops over its steps."""
    if len(steps) > _STRAIGHT:

        def run(env, args):
            for step, dropped in zip(steps, frees):
                step(env, args)
                for slot in dropped:
                    env[slot] = None

        return run
    lines = ["def run(env, args):"]
    namespace = {"ndarray": np.ndarray, "as_array": _as_array}
    for i, (step, dropped) in enumerate(zip(steps, frees)):
        inline = getattr(step, "inline", None)
        if inline is None:  # a step of its own kind: called as it is
            namespace[f"s{i}"] = step
            lines.append(f"    s{i}(env, args)")
        else:  # a forward without a context, written out: no closure, no fetching
            forward, ctx, specs, options, out = inline
            namespace.update({f"f{i}": forward, f"c{i}": ctx, f"o{i}": options})
            operands = []
            for j, (kind, value) in enumerate(specs):
                if kind == "s":
                    operands.append(f"env[{value}]")
                else:
                    namespace[f"k{i}_{j}"] = value
                    operands.append(f"k{i}_{j}")
            call = ", ".join([f"c{i}", *operands] + ([f"**o{i}"] if options else []))
            lines.append(f"    o = f{i}({call})")
            lines.append(f"    env[{out}] = o if type(o) is ndarray else as_array(o)")
        lines += [f"    env[{slot}] = None" for slot in dropped]
    exec("\n".join(lines + ["    return None"]), namespace)  # our own generated code
    return namespace["run"]


def _describe(layout) -> str:
    kind = layout[0]
    if kind in ("slot", "ext"):
        return f"t{layout[1]}"
    if kind == "seq":
        return "(" + ", ".join(_describe(x) for x in layout[2]) + ")"
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in layout[1]) + "}"
    return repr(layout[1])


def _unflatten(layout, env):
    kind = layout[0]
    if kind == "slot":
        return _make(env[layout[1]])
    if kind == "ext":
        return layout[2]
    if kind == "seq":
        return layout[1](_unflatten(x, env) for x in layout[2])
    if kind == "dict":
        return {k: _unflatten(v, env) for k, v in layout[1]}
    return layout[1]


# --- tracing --------------------------------------------------------------------------------


def _value_read(what):
    def refuse(self, *args, **kwargs):
        tracer = _trace[0]
        if tracer is not None and not tracer.suspended and tracer.is_traced(self):
            if tracer.strict:  # a backward formula reading a value: replay it as one call
                raise _Unflat
            raise CompileError(
                f"compile: {what} reads a traced tensor's value into Python inside the compiled "
                f"function (shape {self._data.shape}); a replay would not read it again. Return "
                "the tensor from the function instead and read it after the call."
            )
        return ORIGINAL[what](self, *args, **kwargs)

    return refuse


def _numpy_read(self):
    tracer = _trace[0]
    if tracer is not None and not tracer.suspended and tracer.is_traced(self):
        if not _library(sys._getframe(1).f_code.co_filename):
            raise CompileError(
                "compile: .numpy() reads a traced tensor's array inside the compiled function "
                f"(shape {self._data.shape}); a replay would not run that NumPy code. Use tensor "
                "ops, or return the tensor and read it after the call."
            )
    return self._data


_PACKAGES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY = tuple(
    os.path.join(_PACKAGES, name) + os.sep
    for name in sorted(os.listdir(_PACKAGES))
    if not name.startswith("test") and os.path.isfile(os.path.join(_PACKAGES, name, "__init__.py"))
)


def _library(filename: str) -> bool:
    """Code of the packages installed beside autodiff (its nn kernels read arrays for shapes
    and checks); a user's function or notebook is not."""
    return os.path.abspath(filename).startswith(_LIBRARY)


VALUE_READS = {"item": "item()", "__float__": "float(t)", "__int__": "int(t)"}
VALUE_READS.update({"__bool__": "bool(t)", "tolist": "tolist()"})
ORIGINAL = {}


class _Tracer:
    """Builds a Program while fn runs eagerly; engine and Function call its hooks."""

    def __init__(self, fn):
        self.code = getattr(fn, "__code__", None)
        self.program = Program()
        self.slots = {}  # id(array) -> (slot, array): arrays made by the program or read by it
        self.ctxs = {}  # id(Context) -> (slot, ctx)
        self.ctx_at = {}  # slot -> Context
        self.made = set()  # slots the program computes (not inputs or captured tensors)
        self.suspended = 0
        self.strict = False  # tracing a backward formula flat: unknown arrays abort it
        self.opaque_frame = None  # the frame of the opaque call in progress
        self.zeroed = False
        self.zeroed_ids = set()
        self.born = {}  # id -> weakref of tensors made during the trace outside the ops
        self.accumulated = {}  # id(leaf) -> (leaf, the .grad tensor the trace left on it)

    # slots
    def new_slot(self, array=None) -> int:
        slot = self.program.nslots
        self.program.nslots += 1
        if array is not None:
            self.slots[id(array)] = (slot, array)
        return slot

    def slot_of(self, array):
        entry = self.slots.get(id(array))
        return entry[0] if entry is not None and entry[1] is array else None

    def is_traced(self, t) -> bool:
        slot = self.slot_of(t._data)
        return slot is not None and slot in self.made

    def input_spec(self, a):
        """('s', slot) for an array the program has, else ('c', constant)."""
        if isinstance(a, Tensor):
            slot = self.slot_of(a._data)
            if slot is None:
                if self.strict:  # inside a backward formula: an array the program lacks
                    raise _Unflat
                born = self.born.get(id(a))
                if born is not None and born() is a:
                    raise CompileError(
                        f"compile: a tensor of shape {a._data.shape} was made inside the compiled "
                        "function outside autodiff's ops (ad.tensor, ad.randn, from_numpy of a new "
                        "array, argmax, t.any(), ...); a replay would reuse its first value. Make "
                        "it outside and capture it, pass it as an argument, or use tensor ops."
                    )
                slot = self.new_slot(a._data)
                self.program.externals.append((slot, a, a._data.shape, a._data.dtype))
            return ("s", slot)
        if type(a) is np.ndarray:
            slot = self.slot_of(a)
            if slot is not None:
                return ("s", slot)
            if self.strict:
                raise _Unflat
        return ("c", a)

    def output_slot(self, array) -> int:
        slot = self.new_slot(array)
        self.made.add(slot)
        return slot

    def add(self, step, line, reads=()) -> None:
        """Append a step, its source line and the slots it reads (to free them after)."""
        self.program.steps.append(step)
        self.program.lines.append(line)
        self.program.reads.append(tuple(reads))

    # hooks: Function.apply / _record
    def apply(self, cls, args, options):
        """Run the op eagerly (ops it runs inside are not steps), then record it as one step."""
        result = apply_eagerly(cls, args, options)
        if not self.suspended:
            node = result.grad_fn
            ctx = node if node is not None and getattr(node, "function", None) is cls else None
            self.forward(cls, args, options, ctx, result._data)
        return result

    def forward(self, cls, args, options, ctx, out) -> None:
        if self.strict and any(type(v) is np.ndarray for v in options.values()):
            raise _Unflat  # an array computed by the formula itself, outside the ops
        specs = [self.input_spec(a) for a in args]
        out_slot = self.output_slot(out)
        forward = cls.forward
        if ctx is None:
            needs, meta = (False,) * len(args), None
            ctx_slot = None
        else:
            needs, meta = ctx.needs_input_grad, ctx.input_meta
            ctx_slot = self.new_slot()
            self.ctxs[id(ctx)] = (ctx_slot, ctx)
            self.ctx_at[ctx_slot] = ctx
            self.program.ctx_made[ctx_slot] = len(self.program.steps)  # the step making it
        shared = _Unrecorded(needs)
        fetch = _fetcher(specs)
        # an option holding an array of the program (cross_entropy's target=) is read per call
        dynamic = [(k, self.slot_of(v)) for k, v in options.items() if type(v) is np.ndarray]
        dynamic = [(k, slot) for k, slot in dynamic if slot is not None]
        if dynamic:
            fixed = dict(options)

            def fetch_options(env):
                for k, slot in dynamic:
                    fixed[k] = env[slot]
                return fixed

            return self.forward_step(
                cls, specs, options, fetch, fetch_options, out_slot, ctx_slot, dynamic
            )

        def lean(env, args):
            out = forward(shared, *fetch(env), **options)
            env[out_slot] = out if type(out) is np.ndarray else _as_array(out)

        lean.inline = (forward, shared, specs, options, out_slot)  # for _runner's code
        step = lean
        if ctx_slot is not None:

            def step(env, args):
                c = _ReplayCtx(needs, options, meta)
                out = forward(c, *fetch(env), **options)
                env[out_slot] = out if type(out) is np.ndarray else _as_array(out)
                env[ctx_slot] = c

            self.program.without_ctx[ctx_slot] = lean

        self.add(step, f"t{out_slot} = {_call_text(cls, specs, options, self)}", _reads(specs))

    def forward_step(self, cls, specs, options, fetch, fetch_options, out_slot, ctx_slot, dynamic):
        """A forward step whose options are read from the slots on each replay."""
        forward = cls.forward
        ctx = None if ctx_slot is None else self.ctx_at[ctx_slot]
        needs = (False,) * len(specs) if ctx is None else ctx.needs_input_grad
        meta = None if ctx is None else ctx.input_meta

        def step(env, args):
            opts = fetch_options(env)
            c = _ReplayCtx(needs, dict(opts), meta) if ctx_slot is not None else _Unrecorded(needs)
            out = forward(c, *fetch(env), **opts)
            env[out_slot] = out if type(out) is np.ndarray else _as_array(out)
            if ctx_slot is not None:
                env[ctx_slot] = c

        reads = _reads(specs) + [slot for _, slot in dynamic]
        self.add(step, f"t{out_slot} = {_call_text(cls, specs, options, self)}", reads)

    # hooks: the engine
    def root_grad(self, out, g) -> None:
        """backward() of a scalar without gradient=: the first gradient is ones."""
        if self.suspended:
            return
        src = self.input_spec(out)[1]
        slot = self.output_slot(g._data)

        def step(env, args):
            out = env[src]
            env[slot] = np.array(1, out.dtype) if out.ndim == 0 else np.ones_like(out)

        self.add(step, f"t{slot} = np.ones_like(t{src})  # d output / d output", [src])

    def backward(self, node, grad) -> tuple:
        from .engine import _wrong_count

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
        ctx_slot = entry[0]
        g_slot = self.input_spec(grad)[1]
        grads = self.flat_backward(node, grad, g_slot, ctx_slot - 1)
        if grads is not None:
            return grads
        self.suspended += 1
        try:
            grads = node.function.backward(node, grad)
        finally:
            self.suspended -= 1
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(node.children):
            _wrong_count(node, grads)
        grads = tuple(
            g if g is None or isinstance(g, Tensor) else _make(np.asarray(g)) for g in grads
        )
        out_slots = tuple(None if g is None else self.output_slot(g._data) for g in grads)
        backward = node.function.backward

        def step(env, args):
            result = backward(env[ctx_slot], _make(env[g_slot]))
            if type(result) is not tuple:
                result = (result,)
            for slot, g in zip(out_slots, result):
                if slot is not None:
                    env[slot] = g._data if isinstance(g, Tensor) else np.asarray(g)

        names = ", ".join("_" if s is None else f"t{s}" for s in out_slots)
        line = f"{names} = {node.name()}(ctx of t{ctx_slot - 1}, t{g_slot})"
        self.add(step, line, [ctx_slot, g_slot])
        return grads

    def flat_backward(self, node, grad, g_slot, out_slot):
        """Trace the op's backward formula as steps of its own (plain array kernels) when every
        array it uses is one the program has; else None, and the formula replays as one call."""
        from .engine import _wrong_count

        program, mark = self.program, len(self.program.steps)
        self.strict = True
        try:
            grads = node.function.backward(node, grad)
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(node.children):
                _wrong_count(node, grads)
            for g in grads:
                if g is not None and (not isinstance(g, Tensor) or self.slot_of(g._data) is None):
                    raise _Unflat
        except _Unflat:
            del program.steps[mark:]
            del program.lines[mark:]
            del program.reads[mark:]
            return None
        finally:
            self.strict = False
        names = ", ".join("_" if g is None else f"t{self.slot_of(g._data)}" for g in grads)
        program.comments[mark] = f"# {node.name()}: t{g_slot} = d/d t{out_slot} -> {names}"
        return grads

    def accumulate(self, node, grad, create_graph) -> None:
        """Run AccumulateGrad eagerly; replay writes or adds into the leaf's .grad likewise."""
        from .engine import _accumulate

        leaf = node.variable
        if leaf._hooks:
            raise CompileError(
                "compile: gradient hooks (register_hook) are not supported inside a compiled "
                "function."
            )
        g_slot = self.input_spec(grad)[1]
        had = leaf.grad
        self.guard_grad(leaf, had is not None)
        _accumulate(node, grad, create_graph)
        target = self.leaf_ref(leaf)
        out_slot = self.output_slot(leaf.grad._data)

        fresh = had is None

        def step(env, args):
            t = target(args)
            data = env[g_slot]
            if fresh:  # the trace found no .grad here: write (as eager did), never add
                # a buffer only this slot holds becomes the gradient (as eager AccumulateGrad)
                owned = getrefcount(data) <= 3 and data.base is None and data.flags.writeable
                t.grad = _make(data if owned else data.copy())
            elif t.grad is None:
                raise CompileError(
                    "compile: a leaf's .grad was None where the trace had one; something set it "
                    "without an optimizer/model zero_grad() the program knows. Call "
                    "compiled.reset() and zero gradients with zero_grad()."
                )
            elif t.grad.grad_fn is not None:
                t.grad = t.grad + _make(data)
            else:
                np.add(t.grad._data, data, out=t.grad._data)
            env[out_slot] = t.grad._data

        self.accumulated[id(leaf)] = (leaf, leaf.grad)
        verb = "=" if had is None else "+="
        self.add(step, f"{self.leaf_name(leaf)}.grad {verb} t{g_slot}  # t{out_slot}", [g_slot])

    def guard_grad(self, leaf, has_grad: bool) -> None:
        """Whether a replay writes or adds this gradient follows from the leaf's .grad on entry,
        unless fn reset it first (zero_grad(), or `p.grad = None` seen against the entry)."""
        if id(leaf) in self.zeroed_ids:  # a recorded zero_grad() set it to None
            return
        entry = self.entry.get(id(leaf))
        if entry is not None and entry[0] is leaf:
            if entry[1] == has_grad:  # nothing reset it: the entry state decides
                self.program.grad_states.append((self.leaf_ref(leaf), has_grad))
        elif not self.zeroed:  # a leaf the trace did not know on entry: its state now
            self.program.grad_states.append((self.leaf_ref(leaf), has_grad))

    def leaf_ref(self, leaf):
        """How a replay finds this leaf: the call's argument, or the captured tensor."""
        for _, i in self.program.inputs:
            if self.args[i] is leaf:
                return lambda args, i=i: args[i]
        return lambda args: leaf

    def leaf_name(self, leaf) -> str:
        return f"t{self.slot_of(leaf._data)}" if self.slot_of(leaf._data) is not None else "leaf"

    def bump(self, tensor) -> None:
        """increment_version(tensor) on replay too (BatchNorm's running statistics)."""
        if self.suspended:
            return
        slot = self.slot_of(tensor._data)

        def step(env, args):
            tensor._counter().value += 1

        self.add(step, f"# version of t{slot} += 1")

    # in-place ops outside the graph
    def inplace(self, name, self_t, write, other) -> None:
        """An in-place write outside the graph (p -= lr * g under no_grad): replayed, bumped."""
        slot = self.input_spec(self_t)[1]
        kind, value = self.input_spec(other)
        target = self_t if slot not in self.made else None

        def step(env, args):
            write(env[slot], env[value] if kind == "s" else value)
            if target is not None:
                target._counter().value += 1

        reads = [slot] + ([value] if kind == "s" else [])
        self.add(step, f"t{slot}.{name}({_spec_text((kind, value))})  # in place", reads)

    def opaque(self, obj, name, kwargs) -> None:
        method = getattr(obj, name)
        if name == "zero_grad":
            self.zeroed = True
            if kwargs.get("set_to_none", True):
                self.zeroed_ids.update(id(t) for t in _leaves_of(obj))

        def step(env, args):
            previous = grad_mode._state.enabled
            grad_mode._state.enabled = True  # as called from fn (step() sets no_grad itself)
            try:
                method(**kwargs)
            finally:
                grad_mode._state.enabled = previous
            for slot, t, _, _ in self.program.externals:
                env[slot] = t._data  # a step may rebind storage

        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        self.add(step, f"{type(obj).__name__}.{name}({shown})  # replayed as a call")


def _fetcher(specs):
    """A function env -> the arguments of one step (slots read, constants as they were)."""
    if len(specs) == 2:
        (k0, v0), (k1, v1) = specs
        if k0 == "s" and k1 == "s":
            return lambda env: (env[v0], env[v1])
        if k0 == "s":
            return lambda env: (env[v0], v1)
        if k1 == "s":
            return lambda env: (v0, env[v1])
    if len(specs) == 1 and specs[0][0] == "s":
        v = specs[0][1]
        return lambda env: (env[v],)
    frozen = tuple(specs)
    return lambda env: tuple([env[v] if k == "s" else v for k, v in frozen])


def _as_array(out):
    return out._data if isinstance(out, Tensor) else np.asarray(out)


def _spec_text(spec) -> str:
    kind, value = spec
    if kind == "s":
        return f"t{value}"
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    return repr(value)


_INFIX = {"Add": "{0} + {1}", "Sub": "{0} - {1}", "Rsub": "{1} - {0}", "Mul": "{0} * {1}"}
_INFIX.update({"Div": "{0} / {1}", "Matmul": "{0} @ {1}", "Neg": "-{0}", "Pow": "{0} ** {1}"})
_UFUNC = {"Exp": "np.exp", "Log": "np.log", "Tanh": "np.tanh", "Sqrt": "np.sqrt", "Abs": "np.abs"}


def _call_text(cls, specs, options, tracer=None) -> str:
    """One step as NumPy reads it where there is a plain form (a * b, a @ b, np.tanh(a))."""
    parts = [_spec_text(s) for s in specs]
    name = cls.__name__
    if name in _INFIX and len(parts) + len(options) <= 2:
        return _INFIX[name].format(*parts, *[repr(v) for v in options.values()])
    if name in _UFUNC and len(parts) == 1 and not options:
        return f"{_UFUNC[name]}({parts[0]})"
    if name == "Transpose" and len(parts) == 1:
        return f"{parts[0]}.swapaxes({options.get('dim0')}, {options.get('dim1')})"
    if name == "Sum" and len(parts) == 1:
        return f"{parts[0]}.sum(axis={options.get('dim')!r}, keepdims={options.get('keepdim')})"
    for k, v in options.items():
        slot = tracer.slot_of(v) if tracer is not None and type(v) is np.ndarray else None
        shown = (
            f"t{slot}"
            if slot is not None
            else f"<array {v.shape}>"
            if type(v) is np.ndarray
            else repr(v)
        )
        parts.append(f"{k}={shown}")
    return f"{cls.__name__}({', '.join(parts)})"


# --- patches active only while tracing -------------------------------------------------------


def _patched_inplace():
    """ufunc_/apply_/setitem that also record themselves (outside the graph only)."""
    ufunc_, apply_, setitem = _inplace.ufunc_, _inplace.apply_, _inplace.setitem

    def refuse_graph(self, op, args):
        if grad_mode._state.enabled and (
            self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)
        ):
            raise CompileError(
                f"compile: {op} on a tensor in the graph is not supported inside a compiled "
                "function; use the out-of-place op (x = x + y), or update under no_grad."
            )

    def traced_ufunc_(self, op, ufunc, fn, other):
        tracer = _trace[0]
        if tracer is None or tracer.suspended:
            return ufunc_(self, op, ufunc, fn, other)
        refuse_graph(self, op, (other,))
        result = ufunc_(self, op, ufunc, fn, other)
        tracer.inplace(
            op,
            self,
            lambda out, value: ufunc(out, value, out=out, casting="same_kind"),
            other,
        )
        return result

    def traced_apply_(self, op, fn, *args, **kwargs):
        tracer = _trace[0]
        if tracer is None or tracer.suspended:
            return apply_(self, op, fn, *args, **kwargs)
        refuse_graph(self, op, args)
        result = fn(self, *args, **kwargs)  # traced: its kernels are steps

        tracer.inplace(
            op,
            self,
            lambda out, value: np.copyto(out, value, casting="same_kind"),
            result,
        )
        _inplace._write(self, op, _inplace._assign(result._data))
        return self

    def traced_setitem(self, index, value):
        tracer = _trace[0]
        if tracer is None or tracer.suspended:
            return setitem(self, index, value)
        refuse_graph(self, "setitem", (value,))
        setitem(self, index, value)
        index = _inplace.normalize_index(index)

        def write(out, v):
            out[index] = v

        tracer.inplace("setitem", self, write, value)

    return {"ufunc_": traced_ufunc_, "apply_": traced_apply_, "setitem": traced_setitem}, {
        "ufunc_": ufunc_,
        "apply_": apply_,
        "setitem": setitem,
    }


def _opaque_owner(owner, name) -> bool:
    """An optimizer (step, zero_grad), a model (zero_grad) or an lr scheduler (step)."""
    if hasattr(owner, "param_groups"):
        return True
    if name == "zero_grad":
        return hasattr(owner, "parameters")
    return hasattr(getattr(owner, "optimizer", None), "param_groups")


def _profile(tracer):
    """sys.setprofile hook: optimizer.step(), optimizer/model.zero_grad() become opaque steps."""

    def hook(frame, event, arg):
        if event == "call" and tracer.opaque_frame is None:
            name = frame.f_code.co_name
            if name in ("step", "zero_grad"):
                owner = frame.f_locals.get("self")
                if owner is not None and _opaque_owner(owner, name):
                    given = [k for k in ("closure", "epoch") if frame.f_locals.get(k) is not None]
                    if name == "step" and given:
                        raise CompileError(
                            f"compile: step({given[0]}=...) is not supported inside a compiled "
                            "function; call step() without arguments."
                        )
                    kwargs = {}
                    if name == "zero_grad":
                        kwargs["set_to_none"] = frame.f_locals.get("set_to_none", True)
                    tracer.opaque_frame = frame
                    tracer.suspended += 1
                    tracer.opaque_call = (owner, name, kwargs)
        elif event == "return" and frame is tracer.opaque_frame:
            tracer.opaque_frame = None
            tracer.suspended -= 1
            tracer.opaque_call_done()

    return hook


def _trace_call(fn, args):
    """Run fn eagerly with the tracer's hooks on; return its result and the Program."""
    if _trace[0] is not None:
        raise CompileError("compile: a compiled function called itself while tracing")
    tracer = _Tracer(fn)
    tracer.args = args
    for i, a in enumerate(args):
        array = a._data if isinstance(a, Tensor) else a if type(a) is np.ndarray else None
        if array is not None and tracer.slot_of(array) is None:
            tracer.program.inputs.append((tracer.new_slot(array), i))
    tracer.entry = {id(t): (t, t.grad is not None) for t in _leaves_of((args, _captured(fn)))}
    tracer.opaque_call_done = lambda: tracer.opaque(*tracer.opaque_call)
    patches, originals = _patched_inplace()
    for name, value in VALUE_READS.items():
        ORIGINAL.setdefault(value, getattr(Tensor, name))
    previous_profile = sys.getprofile()
    _trace[0] = tracer
    try:
        for name, f in patches.items():
            setattr(_inplace, name, f)
        for name, value in VALUE_READS.items():
            setattr(Tensor, name, _value_read(value))
        Tensor.numpy = _numpy_read
        Tensor._make = classmethod(_born(tracer, _make_function))
        Tensor.__init__ = _born(tracer, _tensor_init, init=True)
        _ops.compare = _traced_compare
        sys.setprofile(_profile(tracer))
        try:
            result = fn(*args)
        finally:
            sys.setprofile(previous_profile)
    finally:
        _trace[0] = None
        for name, f in originals.items():
            setattr(_inplace, name, f)
        for name, value in VALUE_READS.items():
            setattr(Tensor, name, ORIGINAL[value])
        Tensor.numpy = _tensor_numpy
        Tensor._make = _make_classmethod
        Tensor.__init__ = _tensor_init
        _ops.compare = _compare
    tracer.program.output = _layout(tracer, result)
    _final_grads(tracer)
    _plan_frees(tracer.program)
    return result, tracer.program


_tensor_numpy = Tensor.numpy


def _layout(tracer, value):
    """How to rebuild fn's result from the slots."""
    if isinstance(value, Tensor):
        slot = tracer.slot_of(value._data)
        if slot is not None and slot in tracer.made:
            return ("slot", slot)
        return ("ext", slot, value)
    if isinstance(value, (tuple, list)):
        return ("seq", type(value), [_layout(tracer, v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _layout(tracer, v)) for k, v in value.items()])
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("const", value)
    raise CompileError(
        f"compile: the compiled function returned a {type(value).__name__}; return tensors, "
        "numbers, or tuples/lists/dicts of them."
    )


def _reads(specs) -> list:
    return [value for kind, value in specs if kind == "s"]


def _plan_frees(program) -> None:
    """After its last reader, a slot is dropped (outputs and captured tensors are kept)."""
    keep = {slot for slot, *_ in program.externals} | set(_slots_of(program.output))
    last = {}
    for i, reads in enumerate(program.reads):
        for slot in reads:
            last[slot] = i
    program.frees = [[] for _ in program.steps]
    for slot, i in program.ctx_made.items():
        if slot not in last and slot in program.without_ctx:  # no backward reads the context:
            program.steps[i] = program.without_ctx[slot]  # the step need not make it
        last.setdefault(slot, i)  # a context no opaque backward reads: dropped at once
    for slot, i in last.items():
        if slot not in keep:
            program.frees[i].append(slot)


def _slots_of(layout):
    kind = layout[0]
    if kind in ("slot", "ext"):
        yield layout[1]
    elif kind == "seq":
        for x in layout[2]:
            yield from _slots_of(x)
    elif kind == "dict":
        for _, v in layout[1]:
            yield from _slots_of(v)


def _final_grads(tracer) -> None:
    """A .grad that fn set to None after backward is set to None on replay too; any other
    assignment to .grad is refused (a replay would not see it)."""
    for leaf, written in tracer.accumulated.values():
        if leaf.grad is None:
            target = tracer.leaf_ref(leaf)

            def step(env, args, target=target):
                target(args).grad = None

            tracer.add(step, f"{tracer.leaf_name(leaf)}.grad = None")
        elif leaf.grad is not written and not tracer.zeroed:
            raise CompileError(
                "compile: the compiled function assigned a leaf's .grad; a replay would not do "
                "it. Use optimizer.zero_grad() / model.zero_grad(), or set it outside."
            )


_tensor_init = Tensor.__init__
_make_classmethod = Tensor.__dict__["_make"]
_make_function = _make_classmethod.__func__
_compare = _ops.compare


def _born(tracer, make, init=False):
    """Tensor creation during the trace: remember tensors made outside the ops."""
    if init:

        def created(self, *args, **kwargs):
            make(self, *args, **kwargs)
            tracer.born[id(self)] = weakref.ref(self)

        return created

    def created(cls, *args, **kwargs):
        t = make(cls, *args, **kwargs)
        if tracer.slot_of(t._data) is None:
            tracer.born[id(t)] = weakref.ref(t)
        return t

    return created


def _traced_compare(ufunc, input, other):
    """Comparisons make masks without a Function: record them as a step of their own."""
    tracer = _trace[0]
    result = _compare(ufunc, input, other)
    if tracer is not None and not tracer.suspended:
        specs = [tracer.input_spec(input), tracer.input_spec(other)]
        fetch = _fetcher(specs)
        slot = tracer.output_slot(result._data)

        def step(env, args):
            env[slot] = np.asarray(ufunc(*fetch(env)))

        texts = ", ".join(_spec_text(x) for x in specs)
        tracer.add(step, f"t{slot} = np.{ufunc.__name__}({texts})", _reads(specs))
    return result
