"""torch.autograd.forward_ad: dual tensors (primal, tangent) and the level they live in.

torch pushes tangents through every op in forward mode. Here no op has a forward rule and
Function.apply pays nothing for this module: a dual tensor is a tensor the engine records a
graph from (a view of a primal that requires grad, else a leaf of the level's own), and
unpack_dual(t) computes J·tangents of t with respect to the level's live duals by the
double-vjp trick of func.jvp: u ↦ Jᵀu is linear in u, so the gradient of Σ<Jᵀu, tangent>
with respect to u is J·tangents. Results are memoised per tensor for the level.

What users see follows torch where the printed outputs show it: a dual, and what is computed
from it, prints its tangent and no grad_fn (unless a tensor that requires grad reaches it),
unpack_dual's primal prints as a plain tensor. The engine's own flags stay visible as
attributes (`requires_grad`, `grad_fn`, `is_leaf`) of duals and their results.
"""

import contextlib
from typing import NamedTuple

import numpy as np

from .. import grad_mode
from ..creation import tensor as _tensor
from ..func.transforms import _Call, _check_tangent_size
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]


class UnpackedDualTensor(NamedTuple):
    """What unpack_dual returns: the primal, and the tangent (None where there is none)."""

    primal: Tensor
    tangent: Tensor | None


class _Hidden:
    """The ids of the leaves forward_ad made, as _Call's set of its own leaves: tensors whose
    graph reaches only these show no graph to the user (torch's duals have none)."""

    def __contains__(self, key) -> bool:
        return key in grad_mode.forward.leaves


def _call() -> _Call:
    call = _Call()
    call.own = _Hidden()
    call.outer_grad = True  # no_grad is refused while duals live
    return call


def _leaf(x: Tensor) -> Tensor:
    x.requires_grad_(True)
    grad_mode.forward.leaves[id(x)] = x
    return x


def _graph_shown(call: _Call, t: Tensor) -> bool:
    """Whether t's graph reaches a tensor the user made require grad (torch's reverse mode
    sees it there: grad_fn printed, the primal kept in the graph)."""
    return t._requires_grad and call._reaches(t)


class _Level:
    """One dual level: its duals and their tangents, and the tangents computed so far."""

    number = 0  # torch supports one level at a time, always numbered 0

    def __init__(self):
        self.call = _call()
        self.duals, self.tangents = [], []
        self.memo = {}  # id(tensor) -> (tensor, its grad_fn then, its tangent)
        self.rng = np.random.default_rng(0)  # the dummies' values; torch's seed is untouched
        self.busy = False  # computing a tangent: the engine's own no_grad is fine

    def tangent_of(self, t: Tensor) -> Tensor | None:
        """t's tangent: the one given to make_dual, else J·tangents, memoised."""
        if not t._requires_grad or not self.duals:
            return None
        key = id(t)
        if key in self.memo and self.memo[key][1] is t.grad_fn:
            return self.memo[key][2]
        self.busy = True
        try:
            found = self._pushed_forward(t)
        finally:
            self.busy = False
        self.memo[key] = (t, t.grad_fn, found)
        self.plain(found)
        return found

    def plain(self, t: Tensor | None) -> None:
        """t has no tangent at this level (a tangent or primal unpack_dual returned, as torch's
        are not duals), though its graph may reach a dual."""
        if t is not None:
            self.memo[id(t)] = (t, t.grad_fn, None)

    def _pushed_forward(self, t: Tensor) -> Tensor | None:
        """J·tangents as the gradient with respect to u of s(u) = Σ<Jᵀu, tangent>; None when t
        does not depend on a dual. s is linear in u, so s(u) = <u, ∇s> (Euler): where an op's
        backward is not itself differentiable (no double backward), the two differ and this
        raises rather than return a tangent missing that op's part."""
        u = _leaf(_tensor(self.rng.standard_normal(t.shape), dtype=t.dtype))
        try:
            transposed = self.call.pull_back((t,), self.duals, (u,), graph=True)
        except NotImplementedError as e:  # a Function without backward (torch uses its jvp)
            raise NotImplementedError(f"{_NO_DOUBLE_BACKWARD} ({e})") from e
        terms = [(g * v).sum() for g, v in zip(transposed, self.tangents) if g is not None]
        if not terms:
            return None
        s = terms[0]
        for term in terms[1:]:
            s = s + term
        found = self.call.pull_back((s,), (u,), (None,))[0]
        found = found if found is not None else u.detach() * 0
        _check_linear(s, u, found)
        return self.call.result(found)


def _shown(t: Tensor) -> tuple:
    """(grad_fn name, requires_grad, tangent) of t as torch prints it: the tangent of the
    live level, the graph only where it reaches a tensor the user made require grad."""
    level = grad_mode.forward.level
    if _graph_shown(level.call if level is not None else _call(), t):
        name = t.grad_fn.name() if t.grad_fn is not None else None
        shown = True
    else:
        name, shown = None, False
    return name, shown, None if level is None else level.tangent_of(t)


def _check_linear(s: Tensor, u: Tensor, found: Tensor) -> None:
    """Refuse unless s(u) = <u, found> to rounding (see _Level._pushed_forward)."""
    products = u.detach().double() * found.detach().double()
    expected, got = s.detach().double().item(), products.sum().item()
    scale = products.abs().sum().item() + abs(expected)
    rtol = {8: 1e-9, 4: 1e-4}.get(u.dtype.itemsize, 5e-2)  # float16, bfloat16: coarse
    if abs(expected - got) > rtol * scale + 1e-30:
        raise NotImplementedError(_NO_DOUBLE_BACKWARD)


_NO_DOUBLE_BACKWARD = (
    "unpack_dual: the tangent is computed by differentiating the backward pass (double "
    "backward), and an op in this graph has a backward that is not itself differentiable (a "
    "custom autograd.Function's backward on arrays or detached), or none (a Function's jvp "
    "staticmethod is not used here). Write that backward with differentiable tensor ops."
)


grad_mode.forward.shown = _shown  # Tensor.__repr__ asks it while duals live


def _level(level, what: str) -> _Level | None:
    current = grad_mode.forward.level
    if level is not None and (current is None or level != current.number):
        raise RuntimeError(f"Invalid level given to {what}")
    return current


def enter_dual_level() -> int:
    """Enter a new forward grad level (torch supports one at a time) and return its number.
    Duals made in it lose their tangents when it exits."""
    if grad_mode.forward.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    level = _Level()
    grad_mode.forward.level = level
    return level.number


def exit_dual_level(*, level=None) -> None:
    """Exit the current forward grad level: every tangent of it is forgotten."""
    current = grad_mode.forward.level
    if current is None:
        raise RuntimeError("Dual level must be a positive number.")
    if level is not None and level != current.number:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    grad_mode.forward.level = None


class dual_level(contextlib.ContextDecorator):
    """Context manager (or decorator) for forward AD: make_dual and unpack_dual work inside,
    and the tangents of the duals made there are dropped on exit."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def make_dual(tensor, tangent, *, level=None) -> Tensor:
    """A dual tensor: tensor's values (a view of them) with tangent as its forward gradient.
    A tangent laid out otherwise than tensor is copied; the same layout is kept as is."""
    current = _level(level, "make_dual")
    if current is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    for name, value in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(value, Tensor):
            raise TypeError(f"make_dual: expected {name} to be a Tensor, got {type(value)}")
        if value.is_complex():
            raise NotImplementedError(
                f"make_dual: a complex {name} ({value.dtype}): tangents here come from the "
                "double-vjp trick, written for real dtypes only. Split into real and imaginary parts."
            )
        if not value.is_floating_point():
            raise ValueError(
                f"Expected {'primal' if name == 'tensor' else name} to be floating point or "
                f"complex, but got: {value.dtype}"
            )
    _check_tangent_size(tensor, tangent)
    if tangent.dtype != tensor.dtype:
        raise NotImplementedError(
            f"make_dual: a tangent of dtype {tangent.dtype} for a primal of dtype {tensor.dtype}: "
            "torch keeps the tangent's dtype through the ops, here every tangent takes its "
            "primal's. Give tangent.to(tensor.dtype)."
        )
    if not is_grad_enabled():
        raise NotImplementedError(
            "make_dual under torch.no_grad(): this library computes tangents from the graph "
            "that no_grad turns off (torch's forward mode does not need it). Call it with "
            "grad enabled."
        )
    if current.tangent_of(tensor) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {current.number} is not supported."
        )
    if tangent.stride() != tensor.stride():
        tangent = tangent.clone()
    dual = tensor.view_as(tensor) if tensor._requires_grad else _leaf(tensor.detach())
    current.duals.append(dual)
    current.tangents.append(tangent)
    current.memo[id(dual)] = (dual, dual.grad_fn, tangent)
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """(primal, tangent) of tensor at the current level: tangent None where tensor depends
    on no dual of the level (or no level is live). The primal keeps tensor's graph only
    where a tensor that requires grad reaches it (as torch's reverse mode would see)."""
    current = _level(level, "unpack_dual")
    if current is None:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual(): argument 'tensor' must be Tensor, not {type(tensor)}")
    tangent = current.tangent_of(tensor)
    primal = tensor.view_as(tensor) if _graph_shown(current.call, tensor) else tensor.detach()
    current.plain(primal)
    return UnpackedDualTensor(primal, tangent)
