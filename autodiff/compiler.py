"""torch.compiler: compile (ad.compile), disable, is_compiling, reset.

ad.compile traces a function whole (fullgraph): it never splits one at a graph break. So
disable(fn) means: ad.compile(fn) gives fn itself, run eagerly on every call; a disabled
function called inside another compiled function is traced with it (its ops are steps of that
program, their values as eager gives them), since a trace cannot leave a hole for it."""

import functools

from . import tracing
from .compile import _COMPILED, compile

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "reset"]


def disable(fn=None, recursive=True, *, reason=None):
    """fn (or, without fn, a decorator) that ad.compile leaves uncompiled."""
    if not recursive:
        raise NotImplementedError(
            "compiler.disable: recursive=False (compile what fn calls "
            "but not fn) is not supported here; leave recursive=True."
        )
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    if not callable(fn):
        raise TypeError(f"compiler.disable: expected a function, got {type(fn).__name__}")
    if hasattr(fn, "forward") and not isinstance(fn, type):  # a module: its calls stay eager
        fn._compile_disabled = True
        return fn

    @functools.wraps(fn)
    def disabled(*args, **kwargs):
        return fn(*args, **kwargs)

    disabled._compile_disabled = True
    return disabled


def is_compiling() -> bool:
    """True while ad.compile traces in this thread (its tracing call runs the function)."""
    return tracing.tracer() is not None


is_dynamo_compiling = is_compiling


def reset() -> None:
    """Forget every compiled function's programs: each traces again on its next call."""
    for compiled in list(_COMPILED):
        compiled.reset()
