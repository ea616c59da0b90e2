"""torch.utils.checkpoint: activation checkpointing. A checkpointed function's forward keeps
none of the tensors its ops save for backward; backward runs the function again to get them
(memory for compute). Not nn.checkpoint, which saves and resumes a training run.

Built on saved_tensors_hooks, as torch's use_reentrant=False variant: in forward each saved
tensor is packed as an empty Holder; the first unpack in backward reruns the function (grad
on, the random generator as it was in forward) with hooks that fill the holders in the order
they were packed. The graph is the function's own (its nodes, its parameters' gradients).
"""

import warnings
import weakref

from . import grad_mode, random
from .autograd.graph import saved_tensors_hooks
from .tensor import Tensor

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential"]


class CheckpointError(RuntimeError):
    """The rerun in backward saved other tensors than forward did (torch's CheckpointError)."""


_REENTRANT_ADVICE = (
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants."
)


def checkpoint(
    function,
    *args,
    use_reentrant: bool | None = None,
    context_fn=None,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs,
):
    """function(*args, **kwargs) without keeping its intermediate values for backward:
    backward computes them again. preserve_rng_state=True (a keyword) gives the rerun the
    random numbers forward drew (dropout masks alike). use_reentrant not given warns and means
    True, as in torch 2.13; then keyword arguments are refused, and when no input requires
    grad the function runs without a graph (its parameters get no gradient), as torch's.
    early_stop changes nothing: the rerun always runs the whole function (torch may stop it
    once every saved tensor is back; the values are the same)."""
    if use_reentrant is None:
        warnings.warn(  # torch's words; use_reentrant=True then applies, torch's default
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            f"exception. {_REENTRANT_ADVICE}",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}."
        )
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None or debug:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
            )
            with grad_mode.no_grad():
                return function(*args)
    if context_fn is not None or debug:
        raise NotImplementedError(
            "checkpoint: context_fn and debug=True are not supported here; leave them out (the "
            "rerun then runs in the context backward gives it)."
        )
    frame = _Frame(function, args, kwargs, preserve, determinism_check == "default")
    with saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **kwargs)


class _Holder:
    """One tensor forward saved: its shape and dtype then, its value once rerun."""

    __slots__ = ("meta", "value", "__weakref__")

    def __init__(self, meta):
        self.meta, self.value = meta, None


class _Frame:
    """One checkpointed call: what the rerun needs, and the holders forward packed."""

    def __init__(self, function, args, kwargs, preserve: bool, check: bool):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = random.get_rng_state() if preserve else None
        self.check = check
        self.holders = []  # weak references, in the order forward packed them

    def pack(self, tensor) -> _Holder:
        holder = _Holder((tuple(tensor.shape), tensor.dtype))
        self.holders.append(weakref.ref(holder))
        return holder

    def unpack(self, holder: _Holder) -> Tensor:
        if holder.value is None:
            self.rerun()
        value, holder.value = holder.value, None  # freed as backward goes, as in torch
        return value

    def rerun(self) -> None:
        """The function again, grad on, drawing forward's random numbers; what its ops save
        goes into the holders still alive, in order."""
        values = []

        def keep(tensor):
            values.append(tensor.detach())

        with grad_mode.enable_grad(), saved_tensors_hooks(keep, _never_unpacked):
            if self.rng_state is None:  # preserve_rng_state=False: draws what comes next
                self.function(*self.args, **self.kwargs)
            else:  # forward's draws again; the generator then goes on where it was
                outer = random.get_rng_state()
                random.set_rng_state(self.rng_state)
                try:
                    self.function(*self.args, **self.kwargs)
                finally:
                    random.set_rng_state(outer)
        self.fill(values)

    def fill(self, values) -> None:
        if len(values) < len(self.holders):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.holders)}\n"
                f"Number of tensors saved during recomputation: {len(values)}\n"
                "The checkpointed function must compute the same ops in backward's rerun "
                "(no branches on global state that changed)."
            )
        for i, (ref, value) in enumerate(zip(self.holders, values)):
            holder = ref()
            if holder is None:  # already used by a node backward ran
                continue
            meta = (tuple(value.shape), value.dtype)
            if self.check and meta != holder.meta:
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have "
                    f"different metadata than during the forward pass.\ntensor at position {i}:"
                    f"\nsaved metadata: shape {holder.meta[0]}, dtype {holder.meta[1]}"
                    f"\nrecomputed metadata: shape {meta[0]}, dtype {meta[1]}\n"
                )
            holder.value = value


def _never_unpacked(packed):
    raise AssertionError("checkpoint: the rerun's own graph is never run backward")


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """functions (a list, or a Sequential's children) applied in turn to input, in segments
    parts: each part but the last checkpointed (torch's split: len // segments per part)."""
    if use_reentrant is None:
        warnings.warn(  # torch's words; use_reentrant=True then applies, torch's default
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            f"is not passed. {_REENTRANT_ADVICE}",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children"):  # nn.Sequential: its layers
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(
            _run(functions[start : end + 1]),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return _run(functions[end + 1 :])(input)


def _run(functions):
    def forward(input):
        for f in functions:
            input = f(input)
        return input

    return forward
