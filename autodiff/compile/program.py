"""A traced program: steps over named slots, run as generated Python (source.py) or, when
long, by a loop over the same steps.

Every step is one call `outs = fn(*args, **kwargs)`: an op's forward, a backward formula, a
gradient written into `.grad`, an optimizer's step, an in-place write. An argument is a slot
(`("s", n)`: an array, a ctx, a tensor object) or a constant (`("k", value)`). Slots 0..k-1
hold the call's flattened tensor arguments; captured objects (parameters, optimizers, version
counters, constants that are not literals) are slots fixed for the program's life.
"""

import numpy as np
from numpy import ndarray

from ..graph import NoContext
from ..tensor import Tensor
from .runtime import as_array

_make = Tensor._make


class Step:
    """outs = fn(*args, **kwargs); `text` is how the source shows the call ({f} for fn, {0},
    {1}... for the arguments, {all} for all of them and the keywords, {rest} for all but the
    first; "" is "{f}({all})"), `wrap` passes the result through as_array, `many` unpacks a
    sequence into the outs, `numpy_forward` is what an op's forward computes as a NumPy function
    of its arguments (Function.numpy_forward), called instead where the forward's ctx saves
    nothing."""

    __slots__ = (
        "fn",
        "args",
        "kwargs",
        "outs",
        "text",
        "wrap",
        "comment",
        "owner",
        "many",
        "numpy_forward",
    )

    def __init__(
        self,
        fn,
        args=(),
        kwargs=None,
        outs=(),
        text="",
        wrap=False,
        comment="",
        owner=None,
        many=False,
        numpy_forward=None,
    ):
        self.fn = fn
        self.numpy_forward = numpy_forward  # the op's forward alone, when its ctx saves nothing
        self.many = many  # the result is a sequence, one value per out (None: not kept)
        self.owner = owner  # the class whose method fn is, named in the source (Mul.forward)
        self.args = tuple(args)
        self.kwargs = kwargs or {}
        self.outs = tuple(outs)
        self.text = text
        self.wrap = wrap
        self.comment = comment

    def reads(self):
        for kind, value in (*self.args, *self.kwargs.values()):
            if kind == "s":
                yield value


class Program:
    """Slots, steps, what the call's arguments fill, what is captured, and the output layout."""

    def __init__(self, names: list):
        self.names = list(names)  # per slot: its name in the source
        self.ninputs = len(names)  # slots 0..ninputs-1: the call's tensor arguments
        self.captured = {}  # slot -> the object it holds for the program's life
        self.steps = []
        self.sections = {}  # step index -> a comment line shown above it
        self.output = None  # how fn's result is rebuilt from the slots (see below)
        self.result = None  # result(output slots' values, inputs) -> fn's result
        self.frees = []  # per step: slots no later step reads (dropped after it)
        self.guard = None  # guard(structure, leaves): is this call's state the traced one?
        self.run = None  # run(*inputs) -> the output slots' values (source.runner makes it)
        # whether fn's result carries a graph backward has not run through (torch.compile(model)
        # with backward after the call): such calls run fn eagerly, as a replay builds no graph
        self.returns_graph = False

    def slot(self, name: str, captured=None) -> int:
        self.names.append(name)
        n = len(self.names) - 1
        if captured is not None:
            self.captured[n] = captured[0]
        return n

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def set_output(self, layout) -> None:
        self.output = layout
        if layout[0] == "slot":  # the common case, without the general walk
            node = layout[2]
            if node is None:
                self.result = lambda values, inputs: _make(values[0])
            else:
                self.result = lambda values, inputs: _make(values[0], True, node)
        else:
            self.result = lambda values, inputs: _rebuild(layout, iter(values), inputs)

    def output_slots(self) -> list:
        return list(_slots_of(self.output))

    def plan(self) -> None:
        """Tidy the traced steps: a forward whose ctx no replayed formula reads makes none,
        a step with no effect but its unread result goes, an unread result is not kept, and
        each slot is freed after the step that reads it last."""
        keep = set(self.output_slots()) | set(self.captured) | set(range(self.ninputs))
        readers = {}
        for step in self.steps:
            for slot in step.reads():
                readers[slot] = readers.get(slot, 0) + 1
        needs = {s.outs[0]: s.args[0][1] for s in self.steps if len(s.outs) == 1 and s.args}
        for step in self.steps:  # a forward reads its own ctx once: any other reader replays
            first = step.args[0] if step.owner is not None and step.args else None
            if first is not None and first[0] == "s" and readers.get(first[1]) == 1:
                readers[first[1]] = 0  # no step makes it now: a constant with its needs
                step.args = (no_context(needs.get(first[1], ())),) + step.args[1:]
            if step.numpy_forward is not None and step.args[0][0] == "k":  # saves nothing
                step.fn, step.args, step.owner = step.numpy_forward, step.args[1:], None
        live, kept = set(keep), []
        for step in reversed(self.steps):
            if step.outs and _pure(step) and not any(o in live for o in step.outs):
                continue
            step.outs = tuple(o if o in live else None for o in step.outs)
            if not any(o is not None for o in step.outs):
                step.outs, step.many = (), False
            kept.append(step)
            live.update(step.reads())
        kept.reverse()
        position = {id(s): i for i, s in enumerate(self.steps)}
        self.sections = {
            i: self.sections[position[id(s)]]
            for i, s in enumerate(kept)
            if position[id(s)] in self.sections
        }
        self.steps = kept
        self.frees = _frees(kept, keep)


def _frees(steps: list, keep: set) -> list:
    """Per step, the slots (outside keep) that no later step reads or writes: dropped after it.
    Tuples of ints, not lists: the cyclic collector does not track them."""
    last = {}
    for i, step in enumerate(steps):
        for slot in (*step.reads(), *step.outs):
            if slot is not None:
                last[slot] = i
    frees = {}
    for slot, i in sorted(last.items()):
        if slot not in keep:
            frees.setdefault(i, []).append(slot)
    return [tuple(frees.get(i, ())) for i in range(len(steps))]


_NO_CONTEXTS = {}


def no_context(needs: tuple) -> tuple:
    """The constant argument ("k", NoContext(needs)), one per needs tuple: the steps of a long
    program share it (two objects per step for the cyclic collector otherwise)."""
    arg = _NO_CONTEXTS.get(needs)
    if arg is None:
        arg = _NO_CONTEXTS[needs] = ("k", NoContext(needs))
    return arg


def _pure(step: Step) -> bool:
    """A step whose only effect is its result (droppable when nothing reads it)."""
    return getattr(step.fn, "pure", False)


def interpreter(program: Program):
    """run(*inputs) over a slot list: one loop over the steps, each a plain tuple, then its
    dead slots dropped (a closure per step left a function and its cells per step for the
    cyclic collector to rescan: a 200,000-step program held a million objects). Constant
    arguments sit in slots of their own, so most steps are a call on one to three slots."""
    template = [None] * len(program.names)
    for slot, obj in program.captured.items():
        template[slot] = obj
    constants = {}  # id of a constant argument -> its slot

    def slot_of(kind, value) -> int:
        if kind == "s":
            return value
        slot = constants.get(id(value))
        if slot is None:  # the steps hold the constant, so its id stays its own
            slot = constants[id(value)] = len(template)
            template.append(value)
        return slot

    plan = [_instruction(s, free, slot_of) for s, free in zip(program.steps, program.frees)]
    outputs = program.output_slots()
    n = program.ninputs

    def run(*inputs):
        env = list(template)
        env[:n] = inputs
        for fn, a, b, c, out, wrap, step, dropped in plan:
            if step is not None:
                _run_step(step, env)
            else:
                if c is not None:
                    r = fn(env[a], env[b], env[c])
                elif b is not None:
                    r = fn(env[a], env[b])
                else:
                    r = fn(env[a])
                env[out] = as_array(r) if wrap and type(r) is not ndarray else r
            for slot in dropped:
                env[slot] = None
        return [env[s] for s in outputs]

    return run


def _instruction(step: Step, dropped: tuple, slot_of) -> tuple:
    """(fn, a, b, c, out, wrap, None, dropped) for a step with one result from one to three
    positional arguments (slots a, b, c; None where there are fewer), the common step written
    out; else (..., step, dropped), run by _run_step."""
    args, outs = step.args, step.outs
    if not step.kwargs and not step.many and len(outs) == 1 and 1 <= len(args) <= 3:
        a, b, c = [slot_of(*arg) for arg in args] + [None] * (3 - len(args))
        return step.fn, a, b, c, outs[0], step.wrap, None, dropped
    return None, None, None, None, None, None, step, dropped


def _run_step(step: Step, env: list) -> None:
    """outs = fn(*args, **kwargs) with the arguments fetched from the slots."""
    values = [env[v] if k == "s" else v for k, v in step.args]
    options = {name: env[v] if k == "s" else v for name, (k, v) in step.kwargs.items()}
    result = step.fn(*values, **options)
    outs = step.outs
    if outs and not step.many:
        env[outs[0]] = as_array(result) if step.wrap else result
    elif outs:
        for slot, value in zip(outs, result):
            if slot is not None:
                env[slot] = value


# --- the output's layout ---------------------------------------------------------------------
# ("slot", n, grad_fn or None): a new tensor on slot n's array; ("obj", x): x itself (a
# captured tensor, a number); ("arg", i): the call's i-th flattened argument; ("grad", layout):
# the .grad of that leaf; ("seq", type, items); ("dict", items)


def _slots_of(layout):
    kind = layout[0]
    if kind == "slot":
        yield layout[1]
    elif kind == "seq":
        for x in layout[2]:
            yield from _slots_of(x)
    elif kind == "dict":
        for _, v in layout[1]:
            yield from _slots_of(v)


def _rebuild(layout, it, inputs):
    """fn's result from the output slots' values (an iterator, in _slots_of order)."""
    kind = layout[0]
    if kind == "slot":
        node = layout[2]
        return _make(next(it)) if node is None else _make(next(it), True, node)
    if kind == "arg":
        return inputs[layout[1]]
    if kind == "grad":
        return _rebuild(layout[1], it, inputs).grad
    if kind == "seq":
        items = [_rebuild(x, it, inputs) for x in layout[2]]
        return layout[1](*items) if hasattr(layout[1], "_fields") else layout[1](items)
    if kind == "dict":
        return {k: _rebuild(v, it, inputs) for k, v in layout[1]}
    return layout[1]


def describe(layout, names) -> str:
    """The output layout as the source's return expression."""
    kind = layout[0]
    if kind == "slot":
        return names[layout[1]]
    if kind == "arg":
        return names[layout[1]]
    if kind == "grad":
        return describe(layout[1], names) + ".grad"
    if kind == "seq":
        return "(" + "".join(describe(x, names) + ", " for x in layout[2]) + ")"
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {describe(v, names)}" for k, v in layout[1]) + "}"
    if kind == "obj" and isinstance(layout[1], Tensor):
        return "<a captured tensor>"
    return repr(layout[1]) if _literal(layout[1]) else "<object>"


def _literal(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_literal(v) for v in value)
    return isinstance(value, np.dtype)
