"""A program as Python source: what `compiled.code` shows and what a replay runs.

The source is a module: imports, then `def program(<arguments>, *, <captured>):` with one line
per step (`t5 = Mul.forward(_2, t3, t4)`, `t9, t10 = backward(Mul, c5, t8)`,
`set_grad(w, t9)`, `opt.step()`), `del` where a slot is last read, and `return` of the output
slots. Captured objects (parameters, optimizers, constants that are not literals) are
keyword-only parameters: `compiled.captured` holds them, so `program(*arguments,
**compiled.captured)` runs it outside the replay too.
"""

import functools
import math
import sys

import numpy as np

from ..graph import NoContext
from . import runtime
from .program import Program, describe, interpreter

_RUNTIME = "autodiff.compile.runtime"


class _Names:
    """Names of the objects the source refers to: imported where importable, constants that
    have a literal in the prelude, anything else a keyword parameter of the program."""

    def __init__(self, taken):
        self.by_id = {}
        self.taken = set(taken)
        self.imports = {}  # module -> names
        self.values = {}  # name -> imported object, for the runner's namespace
        self.params = {}  # name -> object the program takes as a keyword parameter
        self.prelude = {}  # literal text -> its name

    def constant(self, value) -> str:
        """A constant argument: inline where Python folds it, else named once."""
        if _inline(value):
            return literal(value)
        text = literal(value)
        if text is None:
            return self.of(value)
        name = self.prelude.get(text)
        if name is None:
            name = self.prelude[text] = self._fresh(f"k{len(self.prelude)}")
        return name

    def _fresh(self, name: str) -> str:
        if name in self.taken:
            i = 2
            while f"{name}_{i}" in self.taken:
                i += 1
            name = f"{name}_{i}"
        self.taken.add(name)
        return name

    def of(self, obj, hint: str = "k") -> str:
        known = self.by_id.get(id(obj))
        if known is not None:
            return known
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
        importable = (
            module is not None
            and "." not in qualname
            and getattr(sys.modules.get(module), qualname, None) is obj
        )
        name = self._fresh(qualname if importable else hint)
        self.by_id[id(obj)] = name
        if importable:
            self.values[name] = obj
            spelled = qualname if name == qualname else f"{qualname} as {name}"
            self.imports.setdefault(module, []).append(spelled)
        else:
            self.params[name] = obj
        return name


def _inline(value) -> bool:
    """A constant Python folds at compile time (numbers, strings, tuples of them)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return type(value) is tuple and all(_inline(v) for v in value)


def literal(value):
    """Source text that evaluates to value, or None when there is none."""
    if value is None or value is Ellipsis or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, np.dtype):
        return f"np.dtype({value.name!r})" if value.names is None else None
    if isinstance(value, NoContext):
        return f"NoContext({literal(value.needs_input_grad)})"
    if isinstance(value, slice):
        parts = [literal(v) for v in (value.start, value.stop, value.step)]
        return None if None in parts else f"slice({', '.join(parts)})"
    if type(value) in (tuple, list):
        parts = [literal(v) for v in value]
        if None in parts:
            return None
        inner = ", ".join(parts) + ("," if type(value) is tuple and len(parts) == 1 else "")
        return f"({inner})" if type(value) is tuple else f"[{inner}]"
    if type(value) is dict:
        parts = [(literal(k), literal(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in parts):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in parts) + "}"
    return None


def render(program: Program) -> tuple:
    """(source text, the objects it imports, its keyword parameters) for a program."""
    names = _Names(program.names)
    names.imports.setdefault(_RUNTIME, []).append("Ctx")
    names.imports.setdefault("autodiff.graph", []).append("NoContext")
    names.values.update(Ctx=runtime.Ctx, NoContext=NoContext)
    slot_names = program.names

    def arg(spec) -> str:
        kind, value = spec
        if kind == "s":
            return slot_names[value]
        return names.constant(value)

    body = []
    for i, (step, dropped) in enumerate(zip(program.steps, program.frees)):
        if i in program.sections:
            body.append(f"# {program.sections[i]}")
        body.append(_line(step, arg, names, slot_names))
        if dropped:
            body.append("del " + ", ".join(slot_names[s] for s in dropped))
    body.append("return (" + "".join(slot_names[s] + ", " for s in program.output_slots()) + ")")
    inputs = [slot_names[s] for s in range(program.ninputs)]
    params = {slot_names[s]: obj for s, obj in sorted(program.captured.items())}
    params.update(names.params)
    signature = ", ".join(inputs + (["*", *params] if params else []))
    head = ["import numpy as np", ""]
    for module, spelled in sorted(names.imports.items()):
        head.append(f"from {module} import {', '.join(sorted(set(spelled)))}")
    head += [""] + [f"{name} = {text}" for text, name in names.prelude.items()]
    lines = head + ["", "", f"def program({signature}):"] + ["    " + b for b in body]
    lines.append(f"    # result: {describe(program.output, slot_names)}")
    return "\n".join(lines) + "\n", names.values, params


def _line(step, arg, names, slot_names) -> str:
    args = [arg(a) for a in step.args]
    keywords = [f"{k}={arg(v)}" for k, v in step.kwargs.items()]
    template = step.text or "{f}({all})"
    f = _function_name(step, names) if "{f}" in template else ""
    every = ", ".join(args + keywords)
    rest = ", ".join(args[1:] + keywords)
    text = template.format(*args, f=f, all=every, rest=rest)
    if step.wrap:
        text = f"as_array({text})"
        names.imports.setdefault(_RUNTIME, []).append("as_array")
        names.values["as_array"] = runtime.as_array
    if step.outs and not step.many:
        text = f"{slot_names[step.outs[0]]} = {text}"
    elif step.outs:
        outs = ["_" if s is None else slot_names[s] for s in step.outs]
        text = ", ".join(outs) + ("," if len(outs) == 1 else "") + f" = {text}"
    return text + (f"  # {step.comment}" if step.comment else "")


def _function_name(step, names) -> str:
    fn = step.fn
    if step.owner is not None:
        return f"{names.of(step.owner, step.owner.__name__)}.{fn.__name__}"
    if getattr(fn, "__module__", None) == "numpy" or isinstance(fn, np.ufunc):
        return f"np.{fn.__name__}"
    return names.of(fn, getattr(fn, "__name__", "f"))


LONG = 2048  # a longer program runs through the loop: compiling it costs ~50 us per step


def runner(program: Program):
    """run(*inputs) -> the output slots' values: the source executed, or for a long program
    the interpreter over the same steps."""
    if program.run is None:
        program.run = make_runner(program) if len(program.steps) <= LONG else interpreter(program)
    return program.run


def make_runner(program: Program):
    """The program's source executed: run(*inputs) -> the output slots' values."""
    text, values, params = render(program)
    namespace = {"np": np, "__name__": "autodiff.compile.program", **values}  # warns as ours
    code = compile(text, "<ad.compile program>", "exec")
    exec(code, namespace)  # our own generated source, from the traced steps
    run = namespace["program"]
    return functools.partial(run, **params) if params else run
