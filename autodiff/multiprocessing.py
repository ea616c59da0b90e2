"""torch.multiprocessing: Python's multiprocessing, with tensors that processes share.

A tensor sent to another process (a Process's arguments under 'spawn', a Queue, a Pipe) goes
as torch's does: its values move into shared memory first (Tensor.share_memory_) and the
receiver gets a tensor of the same class on the same memory, with its requires_grad but
without its .grad or history. A tensor inside a graph (a non-leaf that requires grad) is
refused, as torch refuses it. Under 'fork' a child inherits the parent's mappings, so
model.share_memory() is all Hogwild training needs with either start method.

spawn() runs fn(i, *args) in nprocs processes and raises a child's error in the parent.
"""

import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
from multiprocessing.reduction import ForkingPickler

from . import shared_memory
from .tensor import Tensor

__all__ = [
    *multiprocessing.__all__,
    "ProcessContext",
    "ProcessException",
    "ProcessExitedException",
    "ProcessRaisedException",
    "get_all_sharing_strategies",
    "get_sharing_strategy",
    "set_sharing_strategy",
    "spawn",
    "start_processes",
]
globals().update({name: getattr(multiprocessing, name) for name in multiprocessing.__all__})


# --- sending tensors ------------------------------------------------------------------------
class _SharedArray:
    """A shared array as an argument of _rebuild_tensor: pickled as its file's descriptor."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __reduce__(self):
        return shared_memory.reduce(self.array)


def _extra_state(tensor: Tensor) -> dict:
    """What a subclass adds to a tensor: its own slots (Buffer's persistent) and __dict__."""
    slots = {
        slot
        for cls in type(tensor).__mro__[: type(tensor).__mro__.index(Tensor)]
        for slot in getattr(cls, "__slots__", ())
        if slot not in ("__dict__", "__weakref__")
    }
    state = {slot: getattr(tensor, slot) for slot in slots if hasattr(tensor, slot)}
    return {**state, **getattr(tensor, "__dict__", {})}


def _reduce_tensor(tensor: Tensor):
    if tensor.requires_grad and tensor.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue)."
        )
    data = tensor._data if tensor.is_meta else _SharedArray(tensor.share_memory_()._data)
    return _rebuild_tensor, (type(tensor), data, tensor.requires_grad, _extra_state(tensor))


def _rebuild_tensor(cls, array, requires_grad: bool, state: dict) -> Tensor:
    tensor = cls._make(array, requires_grad)
    for name, value in state.items():
        setattr(tensor, name, value)
    return tensor


def register(cls) -> None:
    """Send tensors of cls (and its subclasses) as shared tensors, as torch registers its
    tensor classes with multiprocessing's pickler; nn registers Parameter and Buffer."""
    ForkingPickler.register(cls, _reduce_tensor)
    for subclass in cls.__subclasses__():
        register(subclass)


register(Tensor)

_STRATEGIES = frozenset({"file_descriptor", "file_system"})
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepted for torch's programs; either way a shared tensor travels as a descriptor of an
    anonymous file (torch's 'file_descriptor'), which leaves no file behind."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(
            f"set_sharing_strategy: unknown strategy {new_strategy!r}; "
            f"choose one of {sorted(_STRATEGIES)}."
        )
    _strategy = new_strategy


# --- spawn ----------------------------------------------------------------------------------
class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned fn raised: the message holds the child's traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process ended with a non-zero exit code or a signal."""

    def __init__(self, msg, error_index, pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        args = (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)
        return type(self), args


def _run(fn, i: int, args: tuple, errors) -> None:
    """The spawned process's body: fn(i, *args), its traceback sent back if it raises."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes spawn() started; join() waits for them and raises the first error."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        """True once every process has ended well; False if timeout passed first."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for process in self.processes:  # as torch: one failure ends the others
            if process.is_alive():
                process.terminate()
            process.join()
        raise self._error(failed)

    def _error(self, i: int) -> ProcessException:
        pid, code = self.processes[i].pid, self.processes[i].exitcode
        if not self.error_queues[i].empty():
            trace = self.error_queues[i].get()
            msg = f"\n\n-- Process {i} terminated with the following error:\n{trace}"
            return ProcessRaisedException(msg, i, pid)
        if code < 0:
            name = signal.Signals(-code).name
            return ProcessExitedException(
                f"process {i} terminated with signal {name}", i, pid, code, name
            )
        return ProcessExitedException(f"process {i} terminated with exit code {code}", i, pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """fn(i, *args) in nprocs processes, i = 0 .. nprocs-1 (torch.multiprocessing's)."""
    context = multiprocessing.get_context(start_method)
    error_queues, processes = [], []
    for i in range(nprocs):
        errors = context.SimpleQueue()
        process = context.Process(target=_run, args=(fn, i, args, errors), daemon=daemon)
        process.start()
        error_queues.append(errors)
        processes.append(process)
    processes_context = ProcessContext(processes, error_queues)
    if not join:
        return processes_context
    while not processes_context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    return start_processes(fn, args, nprocs, join, daemon, start_method)
