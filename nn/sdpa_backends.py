"""torch.nn.attention: SDPBackend and sdpa_kernel, the choice of kernel for
F.scaled_dot_product_attention (nn/attention.py), which has one here: the math one."""

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.Enum):
    """torch.nn.attention's kernels for scaled_dot_product_attention. This library has one,
    the math one: sdpa_kernel checks its argument as torch does, and any choice that torch's
    CPU build can run (MATH, or FLASH_ATTENTION, its CPU flash kernel) runs the math one."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_CPU_BACKENDS = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION)  # what torch's CPU build has
_enabled = {"backends": tuple(SDPBackend)}  # sdpa_kernel's current choice


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Within the block, scaled_dot_product_attention may use only these backends. Here it
    always computes with its one (math) implementation; a choice torch's CPU build could not
    run (only EFFICIENT_ATTENTION, CUDNN_ATTENTION, ...) makes it raise torch's error."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(
            "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
            f"{type(backends).__name__}"
        )
    if isinstance(backends, SDPBackend):
        backends = [backends]
    previous = _enabled["backends"]
    _enabled["backends"] = tuple(dict.fromkeys(backends))
    try:
        yield {}
    finally:
        _enabled["backends"] = previous


def check_backend() -> None:
    """scaled_dot_product_attention's first step: torch's error where sdpa_kernel allows no
    backend that torch's CPU build has."""
    if not any(b in _enabled["backends"] for b in _CPU_BACKENDS):
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely due "
            "to turning off both the math kernel and the fused kernels."
        )
