"""torch.amp (torch.autocast, torch.cpu.amp, torch.cuda.amp): mixed precision on the CPU.

autocast("cpu") runs as torch's CPU autocast: the ops of torch's "lower precision" list
(aten/src/ATen/autocast_mode.cpp: linear, matmul, mm, bmm, addmm, baddbmm, addbmm, conv*,
conv_transpose*, prelu, scaled_dot_product_attention, linalg.vecdot) cast their floating
inputs to the autocast dtype (bfloat16 by default, or float16) and so return it; the ops of
its "fp32" list (the losses, prod, quantile, cdist, trace, inverse, cholesky, 3-d pooling,
grid_sample, ...) cast theirs to float32; every other op runs on what it gets. The casts are
ToCopy nodes, so gradients reach float32 parameters in float32. Each listed op carries the
@cast_inputs decorator: one global read when autocast is off. Torch's cache of cast weights is
not kept (each op casts again: the same values); reflection/replication padding, stft, polar
and the fft/linalg rows of torch's fp32 list are not cast.

For device "cuda", autocast and GradScaler turn themselves off with torch's warning, so
code written for a GPU runs unchanged in float32. A GradScaler on "cpu" scales the loss and
skips steps whose gradients overflow, as torch's does."""

import functools
import math
import warnings

import numpy as np

from . import dtypes, tracing

__all__ = [
    "autocast",
    "GradScaler",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
]


class _State:
    """The CPU autocast dtype (a NumPy dtype) while autocast is on, else None."""

    cpu = None
    dtype = None  # get_autocast_dtype("cpu") when set by an autocast, else the default


class autocast:
    """torch.autocast: a context manager and decorator; on for "cpu", off for "cuda" (no GPU
    here, with torch's warning)."""

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in ("cuda", "cpu", "mps", "xpu"):
            raise RuntimeError(
                f"autocast: device_type must be 'cuda' or 'cpu', got {device_type!r}"
            )
        if enabled and device_type != "cpu":
            warnings.warn(
                f"autocast: device_type {device_type!r} is not available (autodiff runs on the "
                "CPU). Disabling autocast.",
                stacklevel=2,
            )
            enabled = False
        fast = get_autocast_dtype("cpu") if dtype is None else dtype
        if enabled and fast not in (dtypes.bfloat16, dtypes.float16):
            warnings.warn(  # torch's words
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                stacklevel=2,
            )
            enabled = False
        self.device, self.fast_dtype = device_type, fast
        self.device_type, self.enabled = device_type, bool(enabled)
        self._cache_enabled = cache_enabled
        self._saved = []

    def __enter__(self):
        self._saved.append((_State.cpu, _State.dtype))
        if self.device_type == "cpu":
            _State.cpu = dtypes.as_dtype(self.fast_dtype) if self.enabled else None
            _State.dtype = self.fast_dtype
        return self

    def __exit__(self, *exc):
        _State.cpu, _State.dtype = self._saved.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class cpu_amp:
    """torch.cpu.amp: its autocast is autocast("cpu"), deprecated in torch with this warning."""

    class autocast(autocast):
        def __init__(self, enabled=True, dtype=dtypes.bfloat16, cache_enabled=True):
            warnings.warn(  # torch's words
                "`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                "`torch.amp.autocast('cpu', args...)` instead.",
                FutureWarning,
                stacklevel=2,
            )
            super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def cast_inputs(policy: str):
    """Decorate an op of torch's CPU autocast lists: policy "lower" casts its floating tensor
    inputs (not float64) to the autocast dtype, "fp32" to float32, while autocast is on. The
    op itself then runs with autocast off, as torch's kernel runs below its autocast layer."""

    def decorate(op):
        @functools.wraps(op)
        def autocast_op(*args, **kwargs):
            to = _State.cpu
            if to is None:
                return op(*args, **kwargs)
            to = to if policy == "lower" else np.dtype(np.float32)
            args = [_cast(a, to) for a in args]
            kwargs = {k: _cast(v, to) for k, v in kwargs.items()}
            saved, _State.cpu = _State.cpu, None
            try:
                return op(*args, **kwargs)
            finally:
                _State.cpu = saved

        return autocast_op

    return decorate


def _cast(value, to):
    """A floating tensor (not float64) in dtype `to`; anything else as it is."""
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, dtypes.DType) and hasattr(value, "grad_fn"):  # a Tensor
        if dtype.is_floating_point and dtype != dtypes.float64 and dtype != to:
            return value.to(to)
    return value


def is_autocast_available(device_type: str) -> bool:
    """torch.amp.is_autocast_available: autocast runs on "cpu" here."""
    return device_type == "cpu"


@tracing.live
def is_autocast_enabled(device_type=None) -> bool:
    """torch.is_autocast_enabled: True inside an enabled autocast("cpu"); always False for
    "cuda" (the default device type), where autocast turns itself off."""
    _device_type(device_type or "cuda", "is_autocast_enabled")
    return device_type == "cpu" and _State.cpu is not None


def get_autocast_dtype(device_type: str):
    """torch.get_autocast_dtype: the dtype autocast computes in: the innermost autocast's for
    "cpu" (bfloat16 by default), float16 elsewhere."""
    _device_type(device_type, "get_autocast_dtype")
    if device_type != "cpu":
        return dtypes.float16
    return dtypes.of(dtypes.as_dtype(_State.dtype)) if _State.dtype is not None else dtypes.bfloat16


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "hpu", "xla", "ipu", "mtia", "meta", "privateuseone")


def _device_type(device_type, op: str) -> None:
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(
            f"{op}: expected a device type, one of {', '.join(_DEVICE_TYPES)}, got {device_type!r}"
        )


class GradScaler:
    """torch.amp.GradScaler: multiplies the loss by a scale before backward, divides the
    gradients by it before the step, and skips a step whose gradients hold inf or nan
    (shrinking the scale; it grows again after growth_interval clean steps). Disabled
    (every method passes through) for device 'cuda', as torch on a machine without one."""

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):  # fmt: skip
        if enabled and device != "cpu":
            warnings.warn(
                f"GradScaler: device {device!r} is not available (autodiff runs on the CPU). "
                "Disabling.",
                stacklevel=2,
            )
            enabled = False
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._found_inf = {}  # id(optimizer) -> inf/nan seen while unscaling its gradients

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """outputs (a tensor or nested lists/tuples of them) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    @tracing.replayed
    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale (once per step), noting inf/nan."""
        if not self._enabled or id(optimizer) in self._found_inf:
            return
        from .autograd.graph import increment_version  # the engine sits above this module

        found = False
        inverse = 1.0 / self._scale
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.numpy(force=True)  # updated outside an op, as torch's scaler does
                grad *= inverse
                increment_version(p.grad)
                found = found or not np.all(np.isfinite(grad))
        self._found_inf[id(optimizer)] = found

    @tracing.replayed
    def step(self, optimizer, *args, **kwargs):
        """optimizer.step() unless the (unscaled) gradients hold inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        self.unscale_(optimizer)
        if not self._found_inf[id(optimizer)]:
            return optimizer.step(*args, **kwargs)
        return None

    @tracing.replayed
    def update(self, new_scale=None) -> None:
        """Shrink the scale after a skipped step; grow it after growth_interval good ones."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._found_inf.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                self._scale = grown if math.isfinite(grown) else self._scale
                self._growth_tracker = 0
        self._found_inf.clear()

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError(
                "GradScaler.load_state_dict: the state dict is empty (saved from a disabled "
                "scaler)."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
