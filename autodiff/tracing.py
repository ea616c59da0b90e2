"""Where ad.compile meets the engine: the one seam and the announcements.

While `ad.compile` traces a function, this thread's tracer sees every op at its one seam,
`Function.apply`. State that changes outside an op announces itself here, so a replay can do
it again: an in-place write (`wrote`), a version bump (`bumped`), an array computed outside
the ops (`computed`: the first gradient of backward, a random draw), a tensor made from Python
data (`created`), a gradient written into `.grad` (`accumulated`), a node's backward formula
(`backward`), a method that updates state on arrays (`@replayed`: optimizer and scheduler
steps, zero_grad, manual_seed), and a tensor's values read into Python (`read`), which a
replay could not read again. Every call is a no-op unless a trace runs in this thread: the
tracing state belongs to the tracing thread, and other threads run eagerly, untouched.

Nothing here imports the rest of the engine; autodiff/compile/ holds the tracer itself.
"""

import functools
import threading


class _State(threading.local):
    tracer = None  # the tracer of the ad.compile trace running in this thread, if any


_state = _State()


def tracer():
    """The tracer of this thread's running trace, or None."""
    return _state.tracer


class suspended:
    """Run a block untraced: its ops are not steps (a replayed call, an op run eagerly)."""

    __slots__ = ("saved",)

    def __enter__(self):
        self.saved, _state.tracer = _state.tracer, None
        return self

    def __exit__(self, *exc):
        _state.tracer = self.saved
        return False


def replayed(method):
    """A method whose effect is on arrays, outside the ops (optimizer.step, zero_grad, a
    scheduler's step, manual_seed): a trace records the call, and a replay calls it again."""

    @functools.wraps(method)
    def call(*args, **kwargs):
        active = _state.tracer
        if active is None:
            return method(*args, **kwargs)
        return active.call(method, args, kwargs)

    call.replayed = True
    return call


def live(cls):
    """A class whose instances' state is read on every replay by their @replayed methods (an
    optimizer, a scheduler, a generator): a compiled function's guard keys them by identity."""
    cls._compile_live = True
    return cls


def wrote(tensor, op: str, fn, value, index=None) -> None:
    """tensor's storage is written in place (ops/inplace.py): fn is a ufunc (storage op=
    value), np.copyto (storage = value) or operator.setitem (storage[index] = value)."""
    active = _state.tracer
    if active is not None:
        active.wrote(tensor, op, fn, value, index)


def bumped(tensor) -> None:
    """tensor's version counter moved without a write the trace saw (increment_version)."""
    active = _state.tracer
    if active is not None:
        active.bumped(tensor)


def computed(array, recompute, inputs=(), text: str = "") -> None:
    """array = recompute(*arrays of inputs) was made outside the ops; text shows it."""
    active = _state.tracer
    if active is not None:
        active.computed(array, recompute, inputs, text)


def created(tensor) -> None:
    """tensor was made from Python data or a new array (a constant of the program)."""
    active = _state.tracer
    if active is not None:
        active.created(tensor)


def read(tensor, what: str, reads: str = "a tensor's values into Python") -> None:
    """tensor's values (or what else `reads` says) are read into Python (item(),
    np.asarray(t), bool(t), ...): a replay would not read them again."""
    active = _state.tracer
    if active is not None:
        active.read(tensor, what, reads)
