"""The profiler's recording: every op through the one seam (Function.apply) and every node the
backward engine runs becomes an event with its CPU time, nested under the events that were
open then (record_function's blocks, a backward node whose formula runs ops).

Off, it costs one check per op: Function.apply reads this thread's `grad_mode._state.profiler`
(None unless a profile runs here), and the backward engine reads it once per backward pass.
Ops run in other threads are not recorded.
"""

import functools
import os
import re
import threading
import time
import traceback
from pathlib import Path

import numpy as np

from ..dtypes import USED
from ..function import _OURS  # the library's packages: their ops get torch's aten:: names
from ..grad_mode import _state as _mode
from ..tensor import Tensor
from .events import FunctionEvent

_ROOT = Path(__file__).resolve().parents[2]  # the library's packages: not the user's frames
_LIBRARY = tuple(f"{_ROOT / p}{os.sep}" for p in ("autodiff", "nn", "viz", "autodiff_cli"))
_BACKWARD = re.compile(r"Backward\d*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NAMES = {}  # Function class -> event name


def op_name(cls) -> str:
    """torch's event name for an op: "aten::" and the op's name in snake case, taken from its
    grad_fn name where it has one (MmBackward0 -> aten::mm, LogSoftmaxBackward0 ->
    aten::log_softmax); a user's Function keeps its class name, as torch shows it."""
    name = _NAMES.get(cls)
    if name is None:
        if not cls.__module__.startswith(_OURS):
            name = cls.__name__
        else:
            name = aten(cls.node_name or cls.__name__)
        _NAMES[cls] = name
    return name


@functools.lru_cache(maxsize=1024)
def aten(node_name: str) -> str:
    """ "LogSoftmaxBackward0" -> "aten::log_softmax"."""
    return "aten::" + _CAMEL.sub("_", _BACKWARD.sub("", node_name)).lower()


def _named(event, cls, result) -> None:
    """An op whose node's name depends on its inputs (matmul of two matrices: MmBackward0)
    takes that name, where it recorded a node."""
    node = getattr(result, "grad_fn", None)
    if (
        node is not None
        and node.function is cls
        and node.node_name
        and cls.__module__.startswith(_OURS)
    ):
        event.name = event.trace_name = aten(node.node_name)


def shapes(args) -> list:
    """torch's input shapes: a list per tensor input, [] for anything else."""
    return [list(a.shape) if isinstance(a, (Tensor, np.ndarray)) else [] for a in args]


def _nbytes(value) -> int:
    """The bytes an op's result holds (a view holds none of its own)."""
    if isinstance(value, Tensor):
        return 0 if value._base is not None else value.nbytes
    if isinstance(value, np.ndarray):  # a backward formula's gradient (first order)
        return 0 if value.base is not None else value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 0


def _stack() -> list:
    """The user's frames (innermost first) as torch prints them: "file(line): function"."""
    frames = traceback.extract_stack()[:-3]
    return [
        f"{f.filename}({f.lineno}): {f.name}"
        for f in reversed(frames)
        if not f.filename.startswith(_LIBRARY)
    ]


class Recorder:
    """One recording: the events, in the order they began, and the open ones (a stack)."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.events = []
        self.open = []
        self.origin = time.perf_counter_ns()
        self.thread = threading.get_ident()
        self.previous = None

    def start(self) -> None:
        USED.special = True  # Function.apply looks for this thread's profiler from now on
        self.previous, _mode.profiler = _mode.profiler, self

    def stop(self) -> None:
        while self.open:  # blocks still open (a step's ProfilerStep): they end here
            self.end(self.open[-1])
        _mode.profiler = self.previous

    def now(self) -> float:
        return (time.perf_counter_ns() - self.origin) / 1000.0

    def begin(self, name: str, args=None, kind="cpu_op") -> FunctionEvent:
        parent = self.open[-1] if self.open else None
        event = FunctionEvent(len(self.events), name, self.thread, self.now(), parent, kind)
        if args is not None and self.record_shapes:
            event.input_shapes = shapes(args)
        if self.with_stack:
            event.stack = _stack()
        if parent is not None:
            parent.cpu_children.append(event)
        self.events.append(event)
        self.open.append(event)
        return event

    def end(self, event: FunctionEvent, result=None) -> None:
        event.time_range.end = self.now()
        if self.profile_memory and result is not None:
            event.own_memory = _nbytes(result)
        if self.open and self.open[-1] is event:
            self.open.pop()
        elif event in self.open:  # a block left out of order: its inner blocks end with it
            del self.open[self.open.index(event) :]

    def op(self, cls, args, options):
        """Function.apply while recording: the op runs (unrecorded, as itself) inside an
        event; ops its forward starts (bfloat16's float32 run) are not events of their own."""
        event = self.begin(op_name(cls), args)
        _mode.profiler = None
        result = None
        try:
            result = cls.apply(*args, **options)
        finally:
            _mode.profiler = self
            self.end(event, result)
        _named(event, cls, result)
        return result

    def node(self, run, name: str, node, grad, *rest):
        """One backward node as torch's engine records it: evaluate_function around the
        node's own event (its input: the gradient), with the ops its formula runs inside."""
        outer = self.begin("autograd::engine::evaluate_function: " + name)
        inner = self.begin(name, (grad,))
        result = None
        try:
            result = run(node, grad, *rest)
        finally:
            self.end(inner, result)
            self.end(outer)
        return result

    def backward(self, evaluate, accumulate):
        """The backward engine's evaluate and accumulate, each node an event."""

        def evaluated(node, *args):
            return self.node(evaluate, node.name(), node, *args)

        def accumulated(node, *args):
            return self.node(accumulate, "torch::autograd::AccumulateGrad", node, *args)

        return evaluated, accumulated


class record_function:
    """A named block in the profile (a context manager, or a decorator of a function): the ops
    inside it are its children in the table and the trace. Outside a profile it does
    nothing."""

    def __init__(self, name: str, args=None):
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        if args is not None and not isinstance(args, str):
            raise TypeError(f"record_function: args must be a str or None, got {args!r}")
        self.name, self.args = name, args
        self.recorder = self.event = None

    def __enter__(self):
        self.recorder = _mode.profiler
        if self.recorder is not None:
            self.event = self.recorder.begin(self.name, kind="user_annotation")
        return self

    def __exit__(self, *exc):
        if self.event is not None:
            self.recorder.end(self.event)
        self.recorder = self.event = None
        return False

    def __call__(self, fn):
        """@record_function("name"): each call of fn is a block of that name."""

        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return recorded
