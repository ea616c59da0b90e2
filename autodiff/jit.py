"""torch.jit, the part of it that programs use, so that they run unchanged on a define-by-run
engine. There is no TorchScript here: nothing is compiled, and what script or trace is given
is what it returns, running as the Python it is.

What is done:
- script(obj): obj itself (a function, an nn.Module or a class), also as a decorator.
- trace(func, example_inputs, ...): func itself, after running it on the example inputs as
  often as torch's trace does: once as given (is_tracing() True), then, with check_trace, on
  copies of the inputs (or of each of check_inputs) under no_grad, once more tracing and once
  as the Python function; when those two outputs differ beyond check_tolerance (a function
  that draws random numbers), torch's TracerWarning. Prints inside func appear as often as
  under torch.
- ignore, unused, export, interface: decorators that return what they are given; Final is
  typing.Final; annotate(type, value) is value; is_scripting() is False; is_tracing() is True
  only inside trace's runs. script, trace, interface, save and load warn torch's
  DeprecationWarning, ignore(True) its FutureWarning.
- save and load: NotImplementedError (no TorchScript archives; save a state_dict instead).

What is not done (torch differs):
- script and trace return the object given, not a ScriptModule / ScriptFunction: it has no
  .graph or .code, `scripted is model` holds, and TorchScript's type errors are not raised.
- A trace does not freeze control flow: Python branches on tensor values run on every call
  (torch's trace replays the branch the example took and warns a TracerWarning about it).
- Torch also replays the traced graph once or twice while checking a trace; those replays
  are not made, so a function that draws random numbers leaves the generator elsewhere.
- The rest of torch.jit (trace_module, freeze, fork, wait, ScriptModule, ...) is absent.
"""

import threading
import typing
import warnings

from .grad_mode import no_grad
from .tensor import Tensor
from .testing.comparison import _TOLERANCES, assert_close

__all__ = [
    "Final",
    "TracerWarning",
    "annotate",
    "export",
    "ignore",
    "interface",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "trace",
    "unused",
]

Final = typing.Final


class TracerWarning(Warning):
    """torch.jit.TracerWarning: what a trace's check found (outputs that do not match)."""


class _Tracing(threading.local):
    depth = 0


_tracing = _Tracing()


def _deprecated(name: str, instead: str = "`torch.compile` or `torch.export`") -> None:
    """torch 2.13's warning; from this file, so Python's default filters hide it as torch's."""
    warnings.warn(
        f"`torch.jit.{name}` is deprecated. Please switch to {instead}.",
        DeprecationWarning,
        stacklevel=1,
    )


def _optimize(optimize) -> None:
    if optimize is not None:
        warnings.warn(
            "`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
            "instead",
            FutureWarning,
            stacklevel=3,
        )


def script(obj, optimize=None, example_inputs=None):
    """obj itself: the engine runs Python as it is, so there is nothing to compile.
    example_inputs (torch's type profiling for unannotated arguments) has nothing to infer."""
    _deprecated("script")
    _optimize(optimize)
    if not callable(obj):
        raise TypeError(
            f"torch.jit.script: expected a function, an nn.Module or a class, got "
            f"{type(obj).__name__} {obj!r}"
        )
    return obj


def trace(
    func,
    example_inputs=None,
    optimize=None,
    check_trace=True,
    check_inputs=None,
    check_tolerance=1e-5,
    strict=True,
    example_kwarg_inputs=None,
):
    """func itself, after the runs torch's trace makes (the module docstring says which).
    strict=False lets torch's trace return lists and dicts; every output is allowed here."""
    _deprecated("trace")
    if _is_module(func):
        _deprecated("trace_method")  # torch's trace_module warns this too
    _optimize(optimize)
    keywords = isinstance(example_kwarg_inputs, dict)
    if example_inputs is None and not keywords:
        raise (RuntimeError if _is_module(func) else TypeError)(
            f"torch.jit.trace({type(func).__name__}): give example_inputs (a tensor or a tuple "
            "of the arguments) or example_kwarg_inputs (a dict of them)"
        )
    inputs = example_kwarg_inputs if keywords else _arguments(example_inputs)
    _traced_run(func, inputs, keywords)
    if check_trace:
        for each in [inputs] if check_inputs is None else check_inputs:
            each = each if keywords else _arguments(each)
            _check(func, each, keywords, check_tolerance)
    return func


def _is_module(func) -> bool:
    """An nn.Module (its class has forward; the engine does not import nn)."""
    return callable(getattr(type(func), "forward", None))


def _arguments(inputs) -> tuple:
    """torch's reading of example inputs: a tensor or a dict is one argument; a tuple or another
    sequence holds the arguments."""
    return (inputs,) if isinstance(inputs, (Tensor, dict)) else tuple(inputs)


def _call(func, inputs, keywords: bool):
    return func(**inputs) if keywords else func(*inputs)


def _traced_run(func, inputs, keywords: bool):
    """func(inputs) with is_tracing() True, as inside torch's tracer."""
    _tracing.depth += 1
    try:
        return _call(func, inputs, keywords)
    finally:
        _tracing.depth -= 1


def _check(func, inputs, keywords: bool, tolerance: float) -> None:
    """torch's check of a trace: a second trace and the Python function on copies of the
    inputs under no_grad; its warning when their tensor outputs differ."""
    with no_grad():
        traced = _traced_run(func, _clone(inputs), keywords)
        python = _call(func, _clone(inputs), keywords)
    for i, (a, b) in enumerate(zip(_tensors(traced), _tensors(python))):
        try:
            assert_close(a.double(), b.double(), rtol=tolerance, atol=_TOLERANCES[a.dtype][1])
        except AssertionError as e:
            warnings.warn(
                f"Output nr {i + 1}. of the traced function does not match the corresponding "
                f"output of the Python function. Detailed error:\n{e}",
                TracerWarning,
                stacklevel=4,
            )


def _clone(inputs):
    """Fresh copies of the tensors in inputs (as torch's _clone_inputs), the rest as is."""
    if isinstance(inputs, Tensor):
        return inputs.detach().clone().requires_grad_(inputs.requires_grad)
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(_clone(x) for x in inputs)
    if isinstance(inputs, dict):
        return {k: _clone(v) for k, v in inputs.items()}
    return inputs


def _tensors(output) -> list:
    """The tensors among an output (torch's check compares only those)."""
    output = output if isinstance(output, tuple) else (output,)
    return [x for x in output if isinstance(x, Tensor) and x.dtype in _TOLERANCES]


def ignore(drop=False, **kwargs):
    """The function itself (TorchScript would leave it as Python); @ignore or
    @ignore(drop=...), with torch's warning for its deprecated drop=True."""
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(
            f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}"
        )
    flag = "drop_on_export=True" if kwargs.pop("drop_on_export", None) else "True" * drop
    if kwargs:
        raise NotImplementedError(
            f"torch.jit.ignore: the keyword arguments {sorted(kwargs)} are not supported"
        )
    if flag:
        warnings.warn(
            f"ignore({flag}) has been deprecated. TorchScript will now drop the function "
            "call on compilation. Use torch.jit.unused now. {}",
            FutureWarning,
            stacklevel=2,
        )
    return lambda fn: fn


def unused(fn):
    """fn itself (TorchScript would replace it by a raise)."""
    return fn


def export(fn):
    """fn itself (TorchScript would compile it as a method of the scripted module)."""
    return fn


def interface(obj):
    """The class itself (TorchScript would make it an interface type)."""
    warnings.warn(
        "`torch.jit.interface` is deprecated. Please use `torch.compile` instead.",
        DeprecationWarning,
        stacklevel=1,  # from this file, as torch's from its own
    )
    if not isinstance(obj, type):
        raise RuntimeError("interface must be applied to a class")
    return obj


def annotate(the_type, the_value):
    """the_value: the type is for TorchScript's compiler."""
    return the_value


def is_scripting() -> bool:
    """False: nothing runs as TorchScript here."""
    return False


def is_tracing() -> bool:
    """True only while torch.jit.trace runs the function it was given."""
    return _tracing.depth > 0


_NO_ARCHIVES = (
    "autodiff has no TorchScript, so it cannot {} TorchScript archives. Save the weights with "
    "torch.save(model.state_dict(), path) and load them into the model's class with "
    "model.load_state_dict(torch.load(path))."
)


def save(m, f, _extra_files=None) -> None:
    """Refused: there is no TorchScript archive to write."""
    _deprecated("save", "`torch.export`")
    raise NotImplementedError("torch.jit.save: " + _NO_ARCHIVES.format("write"))


def load(f, map_location=None, _extra_files=None):
    """Refused: there is no TorchScript to run what an archive holds."""
    _deprecated("load", "`torch.export`")
    raise NotImplementedError("torch.jit.load: " + _NO_ARCHIVES.format("read"))
