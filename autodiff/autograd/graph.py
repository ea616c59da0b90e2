"""torch.autograd.graph's names: Node, AccumulateGrad, increment_version and the saved-tensor
hooks (saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks)."""

from .. import tracing
from ..grad_mode import _state as _mode
from ..graph import AccumulateGrad, Node

__all__ = [
    "AccumulateGrad",
    "Node",
    "disable_saved_tensors_hooks",
    "increment_version",
    "save_on_cpu",
    "saved_tensors_hooks",
]


def increment_version(tensor) -> None:
    """Tell the version check that tensor's storage was written outside its in-place ops
    (torch.autograd.graph.increment_version): optimizers that update arrays call it."""
    tensor._counter()[0] += 1
    tracing.bumped(tensor)  # ad.compile replays the bump too


class saved_tensors_hooks:
    """Inside this block, every tensor an op saves for backward goes through pack_hook(tensor)
    and the graph keeps what it returns; backward calls unpack_hook(that) for the tensor
    (each time it reads it). Nested blocks: the innermost pair applies. As in torch, the
    values the hooks keep are not version-checked, and pack_hook may not change its input in
    place (RuntimeError); unpack_hook must return a Tensor (TypeError)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> None:
        if _mode.saved_hooks_disabled is not None:
            raise RuntimeError(_mode.saved_hooks_disabled)
        self.outer, _mode.saved_hooks = _mode.saved_hooks, (self.pack_hook, self.unpack_hook)

    def __exit__(self, *exc) -> bool:
        _mode.saved_hooks = self.outer
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors kept on the CPU for backward (torch's way to trade a GPU's memory for
    copies). Every tensor here is on the CPU already, so each is kept as it is, as torch does
    for a CPU graph; pin_memory and device_type are accepted and change nothing."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        super().__init__(_pack_to_cpu, _unpack_from_cpu)


def _pack_to_cpu(tensor):
    return tensor.device, tensor.cpu()


def _unpack_from_cpu(packed):
    device, tensor = packed
    return tensor.to(device)


class disable_saved_tensors_hooks:
    """Inside this block no saved-tensor hooks apply, and entering saved_tensors_hooks (or
    save_on_cpu) raises RuntimeError(error_message): for code that cannot work with them."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self) -> None:
        self.outer = _mode.saved_hooks, _mode.saved_hooks_disabled
        _mode.saved_hooks, _mode.saved_hooks_disabled = None, self.error_message

    def __exit__(self, *exc) -> bool:
        _mode.saved_hooks, _mode.saved_hooks_disabled = self.outer
        return False
