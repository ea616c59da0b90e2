"""torch.autograd's names: grad, backward, Function, gradcheck, functional, graph,
forward_ad, grad modes."""

from ..creation import tensor
from ..gradients import backward, grad
from ..function import Function
from ..grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ..gradcheck import gradcheck, gradgradcheck
from ..tensor import Tensor
from . import forward_ad, function, functional, graph


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for the rest of the program (torch's switch)."""
    detect_anomaly(mode).__enter__()


def Variable(data, requires_grad: bool = False):
    """The pre-0.4 wrapper, kept for old tutorials: a tensor (requiring grad if asked)."""
    t = data.detach() if isinstance(data, Tensor) else tensor(data)
    return t.requires_grad_(requires_grad) if requires_grad else t


__all__ = [
    "Function",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "function",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
