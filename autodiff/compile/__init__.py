"""ad.compile: trace a function once (forward, backward, optimizer step), then replay what it
did as a flat NumPy program: no graph, no Tensor per op, no dependency counting.

The promise: every call gives what calling fn eagerly would give (values, .grad, parameters,
buffers, optimizer state), or raises CompileError naming the reason. A program is replayed
only where everything it read is as it was when traced (guards.py: the arguments' structure,
shapes, dtypes and aliasing, the modes, and everything fn reaches); otherwise fn is traced
again, and a function keeps one program per set of guards. Python side effects inside fn
(print, appending to a list, a counter) happen on the tracing call only, as in JAX.

guards.py (what a replay depends on), tracer.py (fn run eagerly, the engine's seam and
announcements turned into steps), program.py (the steps and their replay), source.py (the
program as runnable Python: `compiled.code`), runtime.py (what that source calls).
"""

import threading
import warnings
import weakref

from .. import tracing
from ..grad_mode import _state as _mode
from ..tracing import _state as _tracing
from . import guards
from .guards import flatten
from .source import render, runner
from .tracer import HOOKS_REFUSED, CompileError, identifier, trace

__all__ = ["compile", "Compiled", "CompileError"]

MAX_PROGRAMS = 16  # programs kept per compiled function (the least recently used go first)
_COMPILED = weakref.WeakSet()  # every live compiled function: torch.compiler.reset() empties them


# torch.compile's tuning choices that torch accepts (its own check's lists)
MODES = (None, "default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
BACKENDS = (None, "inductor", "eager", "aot_eager", "cudagraphs")


def compile(
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend=None,
    mode=None,
    options=None,
    name=None,
    disable=False,
    recompile_limit=None,
    isolate_recompiles=False,
    shapes_spec=None,
):
    """Trace fn on its first call and replay the recorded NumPy program on later calls
    (torch.compile's signature). torch's other arguments choose among its compilers and
    tune them (backend, mode, options, dynamic, recompile_limit, ...); there is one way to
    compile here, so they are checked as torch checks them and change nothing. fullgraph=True
    holds anyway: a function is traced whole or refused with a CompileError, never split at a
    graph break. disable=True gives fn itself, and compile(**options) without fn a decorator,
    as torch's."""
    if mode not in MODES:
        raise RuntimeError(
            f"compile: Unrecognized mode={mode}, should be one of: "
            + ", ".join(m for m in MODES if m)
        )
    if mode is not None and options is not None:
        raise RuntimeError(
            "compile: Either mode or options can be specified, but both can't be specified at "
            "the same time."
        )
    if callable(backend):
        raise NotImplementedError(
            "compile: a custom backend (a callable) is handed torch's FX graphs, which this "
            "engine does not make. Leave backend out (or pass 'inductor')."
        )
    if backend not in BACKENDS:
        raise RuntimeError(
            f"compile: Invalid backend: {backend!r}; the backends are "
            + ", ".join(repr(b) for b in BACKENDS if b)
        )
    if model is None:  # @torch.compile(mode=...) as a decorator
        return lambda fn: compile(fn, mode=mode, options=options, backend=backend, disable=disable)
    if disable or getattr(model, "_compile_disabled", False):  # (torch.compiler.disable)
        return model
    if not callable(model):
        raise TypeError(f"compile: expected a function, got {type(model).__name__}")
    wrap = getattr(type(model), "_torch_compiled", None)  # an nn.Module: torch's OptimizedModule
    return Compiled(model) if wrap is None else wrap(model, Compiled(model))


@tracing.live
class Compiled:
    """A compiled function: call it like fn. `.code` is the latest program as Python source,
    `.captured` what that source takes besides the arguments, `.traces` how many times fn
    was traced, `.programs` the programs kept, `.eager_calls` how many calls ran fn eagerly
    because their result carries a graph (backward after the call)."""

    def __init__(self, fn):
        self.fn = fn
        self.traces = 0
        self._programs = ()  # the most recently traced first; replaced whole, read unlocked
        self._lock = threading.Lock()
        self._last = None
        self.eager_calls = 0  # calls run eagerly since their result carries a graph
        _COMPILED.add(self)

    def __call__(self, *args, **kwargs):
        if _tracing.tracer is not None or _mode.anomaly:
            # inside another trace its ops are that trace's steps; under detect_anomaly every
            # op is checked as it runs: both are eager calls
            return self.fn(*args, **kwargs)
        if _mode.saved_hooks is not None:
            raise CompileError(HOOKS_REFUSED)
        structure, leaves = flatten(args, kwargs)
        for program in self._programs:
            if program.guard(structure, leaves):
                self._last = program
                if program.returns_graph:
                    return self._eager(args, kwargs)
                if _mode.profiler is not None:  # torch.profiler: the replay is one event
                    return _profiled(program, leaves)
                return program.result((program.run or runner(program))(*leaves), leaves)
        return self._trace(args, kwargs, structure, leaves)

    def _eager(self, args, kwargs):
        """fn's own call, where its result carries a graph for a backward after the call (the
        way torch.compile(model) is used): a replay builds none."""
        if not self.eager_calls:
            warnings.warn(
                "compile: the compiled function returns tensors whose graph backward has not "
                "run through (backward comes after the call), and a replay builds no graph: "
                "such calls run the function eagerly, unchanged but not faster. Put backward "
                "and the optimizer step inside the compiled function to replay the whole step.",
                stacklevel=3,
            )
        self.eager_calls += 1
        return self.fn(*args, **kwargs)

    def __getattr__(self, name):
        """The compiled function's (a module's) own attributes: compile(model).train(),
        .parameters(), .state_dict() reach the model, as torch.compile's wrapper does."""
        fn = self.__dict__.get("fn")
        if fn is None:  # before __init__ set it (copying, unpickling)
            raise AttributeError(name)
        return getattr(fn, name)

    def _trace(self, args, kwargs, structure, leaves):
        try:
            guard = guards.build(self.fn, structure, leaves)
        except guards.Unguardable as e:
            raise CompileError(f"compile: {e}.") from None
        names = [identifier(path) for path in _leaf_paths(self.fn, structure)]
        result, program = trace(self.fn, args, kwargs, leaves, names, guard)
        with self._lock:
            self.traces += 1
            self._programs = ((program,) + self._programs)[:MAX_PROGRAMS]
            self._last = program
        return result

    @property
    def code(self) -> str:
        """The latest program as Python source (runnable: see `.captured`)."""
        if self._last is None:
            return "# not traced yet: call the compiled function once"
        return render(self._last)[0]

    @property
    def captured(self) -> dict:
        """What the latest program's source takes besides the arguments, by name:
        `program(*arguments, **compiled.captured)` runs it."""
        if self._last is None:
            return {}
        return render(self._last)[2]

    @property
    def programs(self) -> list:
        """The programs kept (at most MAX_PROGRAMS), the most recently traced first."""
        return list(self._programs)

    def reset(self) -> None:
        """Forget every program (the next call traces again)."""
        with self._lock:
            self._programs = ()
            self._last = None


def _profiled(program, leaves):
    """A replay while torch.profiler records: its ops run outside Function.apply, so the whole
    replay is one event, named as torch names a compiled function's run."""
    recorder = _mode.profiler
    event = recorder.begin("Torch-Compiled Region")
    try:
        return program.result((program.run or runner(program))(*leaves), leaves)
    finally:
        recorder.end(event)


def _leaf_paths(fn, structure) -> list:
    """A name per flattened argument: fn's parameter names where it has them."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    params = list(code.co_varnames[: code.co_argcount]) if code is not None else []
    if params and params[0] == "self" and hasattr(fn, "__self__"):
        params = params[1:]
    paths = []

    def walk(shape, path):
        if shape is None:
            paths.append(path)
        elif shape[0] is dict:
            for k, s in zip(shape[1], shape[2]):
                walk(s, f"{path}_{k}")
        else:
            for i, s in enumerate(shape[1]):
                walk(s, f"{path}_{i}")

    args_shape, keys, values = structure
    for i, s in enumerate(args_shape[1]):
        walk(s, params[i] if i < len(params) else f"arg{i}")
    for k, s in zip(keys, values):
        walk(s, k)
    return paths
