"""Grad mode (per thread) and anomaly detection: the switches backward and apply() read."""

import functools
import threading
import weakref


class _State(threading.local):
    enabled = True  # every thread starts with grad mode on
    anomaly = False  # inside detect_anomaly (per thread, like grad mode)
    in_formula = False  # the engine runs a backward formula: blame its node, not its ops
    inference = False  # inside inference_mode
    saved_hooks = None  # (pack, unpack) of the innermost saved_tensors_hooks, or None
    saved_hooks_disabled = None  # the message of an enclosing disable_saved_tensors_hooks
    packed_later = None  # inside an in-place op's recording: (node, output) to pack after it
    profiler = None  # the Recorder of a torch.profiler profile running in this thread


_state = _State()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _state.enabled


class _Forward:
    """autograd.forward_ad's state that the rest of the library reads: the live dual level
    (None outside one), the leaves it made for duals of plain tensors (id -> leaf, hidden
    from what users see, until they die), and how a tensor then prints (see Tensor.__repr__)."""

    level = None
    leaves = weakref.WeakValueDictionary()
    shown = None


forward = _Forward()


def _set(flag: bool) -> None:
    level = forward.level
    if not flag and level is not None and level.duals and not level.busy:
        raise NotImplementedError(
            "torch.no_grad (set_grad_enabled(False), inference_mode) inside a forward-AD "
            "dual_level: torch keeps computing forward gradients there, but this library "
            "computes tangents from the recorded graph that no_grad turns off. Leave the "
            "no_grad block out of the dual_level, or exit the dual_level first."
        )
    _state.enabled = bool(flag)


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off."""

    def __init__(self, mode: bool):  # required, as torch
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        _set(self.mode)  # like torch: takes effect on construction, too

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(self.prev)
        return False

    def __call__(self, fn):
        mode = self.mode
        _set(self.prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Ops inside record no graph: for evaluation and parameter updates. Also a decorator,
    with or without parentheses (`@no_grad()` or `@no_grad`), as in torch."""

    def __new__(cls, orig_func=None):
        if callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        self.prev = None  # set on entry (no_grad does not switch on construction)

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set(False)
        return self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Turns recording back on inside a no_grad block."""

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set(True)
        return self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(set_grad_enabled):
    """torch.inference_mode: here the same as no_grad (mode=False leaves recording on), and
    is_inference_mode_enabled() says so inside."""

    def __init__(self, mode: bool = True):
        self.inference, self.prev_inference = bool(mode), _state.inference
        super().__init__(not mode if mode else is_grad_enabled())
        _state.inference = self.inference

    def __exit__(self, *exc):
        _state.inference = self.prev_inference
        return super().__exit__(*exc)

    def __call__(self, fn):
        inference = self.inference
        self.__exit__()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(inference):
                return fn(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    return _state.inference


def is_anomaly_enabled() -> bool:
    return _state.anomaly


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly detection on or off from here on (torch's switch behind set_detect_anomaly)."""
    _state.anomaly = bool(enabled) and bool(check_nan)


_warn_always = [False]


def set_warn_always(b: bool) -> None:
    """torch's switch for its once-per-process warnings; this library's warnings follow
    Python's filters, none of them once per process, so it is only kept and reported."""
    _warn_always[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always[0]


class detect_anomaly:
    """Inside, the first NaN or Inf made in forward or backward raises, naming the op."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = _state.anomaly
        _state.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        _state.anomaly = self.prev
        return False
