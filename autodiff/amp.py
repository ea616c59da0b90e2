"""torch.amp (and torch.cuda.amp): mixed precision as it behaves on a machine without a GPU.

For device "cuda", autocast and GradScaler turn themselves off with torch's warning, so
code written for a GPU runs unchanged in float32. A GradScaler on "cpu" scales the loss and
skips steps whose gradients overflow, as torch's does. Autocast on "cpu" would compute in
bfloat16, which NumPy lacks: it is a clear error unless enabled=False."""

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


class autocast:
    """torch.autocast: a context manager and decorator; off for 'cuda' (no GPU here)."""

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
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
        if enabled:
            raise RuntimeError(
                "autocast: on the CPU, torch computes matmuls in bfloat16, which NumPy (this "
                "library's storage) does not have. Pass enabled=False, or drop autocast to "
                "compute in float32."
            )
        self.device_type, self.enabled = device_type, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


def is_autocast_available(device_type: str) -> bool:
    return False


@tracing.live
def is_autocast_enabled(device_type=None) -> bool:
    """torch.is_autocast_enabled: False, as autocast never runs here (off for "cuda", an
    error for "cpu" unless enabled=False)."""
    _device_type(device_type or "cuda", "is_autocast_enabled")
    return False


def get_autocast_dtype(device_type: str):
    """torch.get_autocast_dtype: the dtype autocast would compute in, torch's defaults
    (bfloat16 on "cpu", float16 elsewhere)."""
    _device_type(device_type, "get_autocast_dtype")
    return dtypes.bfloat16 if device_type == "cpu" else dtypes.float16


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
                grad = p.grad.numpy()  # updated outside an op, as torch's scaler does
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
