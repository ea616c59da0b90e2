"""Backward: one iterative scheduler (Kahn's algorithm) for backward(), ad.grad and hooks."""

import gc
from sys import getrefcount

import numpy as np

from . import cascade, grad_mode, hooks, tracing
from .device import laid_out_like
from .graph import SMALL, AccumulateGrad, _recording, remember_backward
from .saved import check_versions
from .tensor import Tensor

_make = Tensor._make


def sum_to(grad, shape: tuple):
    """Reduce a broadcast gradient (a Tensor or, in first-order backward, an array) back to an
    input's shape (the one un-broadcast)."""
    have = grad.shape
    if have == shape:
        return grad
    lead = len(have) - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and have[lead + i] != 1
    )
    if lead < 0 or any(
        have[lead + i] not in (n, 1) for i, n in enumerate(shape) if lead + i not in dims
    ):
        raise RuntimeError(
            f"backward: gradient of shape {have} cannot be reduced to its input's "
            f"shape {shape}. An op's backward returned a wrongly shaped gradient."
        )
    if dims:
        if type(grad) is Tensor:
            grad = grad.sum(dims, keepdim=True)
        else:  # as Sum's forward: torch's order where it sums every element
            grad = cascade.reduce_sum(grad, dims, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


def _dependencies(roots) -> dict:
    """How many edges lead into each node reachable from the roots (explicit stack)."""
    deps = {}
    stack = list(roots)
    roots = set(stack)  # walked already: a root reached again only counts its edge
    while stack:
        node = stack.pop()
        for child in node.children:
            if child is None:
                continue
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                if child not in roots:
                    stack.append(child)
    return deps


def _needed(roots, targets) -> set:
    """Nodes from which some target is reachable: the only ones ad.grad has to run."""
    parents, stack, seen = {}, list(roots), set(roots)
    while stack:
        node = stack.pop()
        for child in node.children:
            if child is not None:
                parents.setdefault(child, []).append(node)
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    needed = set(t for t in targets if t in seen)
    stack = list(needed)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    return needed


def _accumulate(node: AccumulateGrad, grad, create_graph: bool, tracer=None) -> None:
    """Add a gradient into the leaf's .grad: an array (first order) or a Tensor (create_graph
    or ad.compile's trace, whose tracer does it and records it)."""
    if tracer is not None:
        tracer.accumulate(node, grad)
        return
    leaf = node.variable
    arrays = type(grad) is not Tensor
    if leaf._hooks:
        grad = hooks.hooked(leaf._hooks, grad, arrays)
    data = grad if arrays else grad._data
    held = leaf._grad  # a leaf's .grad (the property adds a warning for non-leaves)
    fresh = False  # whether data is a new array made here
    if held is None and not create_graph:  # torch's layout contract: the leaf's own strides
        data, fresh = _laid_out_like_leaf(data, leaf._data)
    if data.size <= SMALL or _recording.depth:
        node.grad_value = data
    elif (
        held is None
        and arrays
        and (fresh or (data.base is None and getrefcount(data) <= _OWNED))
        and data.flags.writeable
    ):
        # nothing else holds this fresh buffer (torch's AccumulateGrad steals it likewise)
        leaf._grad = _make(data)
        _accumulated(leaf)
        return
    if held is None:
        # a fresh array: the gradient must not alias the upstream one or another leaf's
        leaf._grad = grad if create_graph else _make(data if fresh else data.copy(order="K"))
    elif create_graph:
        leaf._grad = held + grad
    else:
        # in place, as torch (a .grad made under create_graph too), and counted as a change
        # of .grad: a graph that saved it refuses to run backward instead of being wrong (a
        # .grad without a counter yet was never saved nor viewed: nothing to tell)
        np.add(held._data, data, out=held._data)
        if held._version is not None:
            held._version[0] += 1
    _accumulated(leaf)


def _laid_out_like_leaf(data: np.ndarray, leaf: np.ndarray) -> tuple:
    """(data in the leaf's layout, whether that is a new array): torch gives a leaf's .grad the
    leaf's strides where the leaf is dense (a transposed or channels_last parameter), else
    row-major strides."""
    laid_out = laid_out_like(data, leaf)
    return laid_out, laid_out is not data


def _accumulated(leaf) -> None:
    """register_post_accumulate_grad_hook's hooks: after .grad holds the sum, as torch."""
    if leaf._post_hooks:
        for hook in tuple(leaf._post_hooks):
            hook(leaf)


# references to a gradient array that only the backward pass holds, as getrefcount counts
# them in _accumulate (its argument, the local `data`, _drain's local, getrefcount's own):
# one more means someone else shares the buffer
_OWNED = 4


def order(roots) -> list:
    """The nodes reachable from roots in the order backward runs them: each one after every
    node that sends it a gradient (Kahn's algorithm, iterative, deterministic). The one
    scheduler: backward, ad.grad and viz's step-by-step pictures all follow it."""
    roots = list(dict.fromkeys(roots))
    deps = _dependencies(roots)
    ready = [n for n in roots if n not in deps]
    result = []
    while ready:
        node = ready.pop()
        result.append(node)
        for child in node.children:
            if child is not None:
                remaining = deps[child] - 1
                deps[child] = remaining
                if remaining == 0:
                    ready.append(child)
    return result


def run_backward(roots, root_grads, retain_graph, create_graph, targets=None, into=False):
    """Push gradients from roots to leaves. With targets (ad.grad), capture them instead; with
    into (backward's inputs=), a target leaf accumulates its .grad as usual and only other
    targets are captured (no other leaf's .grad changes).

    First-order gradients flow as NumPy arrays (a Tensor per gradient would double the cost
    of small ops); create_graph, and ad.compile's tracing, need Tensors, recorded."""
    tracer = tracing.tracer()
    arrays = not create_graph and tracer is None
    buffers = {}
    for node, g in zip(roots, root_grads):
        g = g._data if arrays else g
        buffers[node] = buffers[node] + g if node in buffers else g
    schedule = order(roots)
    for node in schedule:  # every saved tensor checked before any gradient is written
        if node._versions:
            check_versions(node)
    needed = _needed(roots, targets) if targets is not None else None
    # backward formulas record a graph only for create_graph (second order). The drain frees
    # the graph by reference counting and makes no cycles: the cyclic collector would only
    # rescan the whole graph again and again (half the time of a long scalar chain)
    collecting = gc.isenabled()
    gc.disable()
    state = grad_mode._state
    enabled, state.enabled = state.enabled, create_graph
    try:
        captured = _drain(
            schedule, buffers, needed, targets, retain_graph, create_graph, tracer, into
        )
    finally:
        state.enabled = enabled
        if collecting:
            gc.enable()
    if arrays:
        return {node: _make(g) for node, g in captured.items()}
    return captured


def _drain(schedule, buffers, needed, targets, retain_graph, create_graph, tracer, into):
    """Run each scheduled node that received a gradient, once, and send its input gradients
    on (arrays in first order, else Tensors); ad.grad's targets are captured (with into,
    backward's inputs=, a target leaf accumulates instead)."""
    arrays = not create_graph and tracer is None
    kind = np.ndarray if arrays else Tensor  # what flows: one test per edge, fixed if not
    anomaly, pictures = grad_mode._state.anomaly, _recording.depth
    captured = {}
    pop = buffers.pop
    evaluated, accumulated = evaluate, _accumulate
    if grad_mode._state.profiler is not None:  # torch.profiler: each node is an event
        evaluated, accumulated = grad_mode._state.profiler.backward(evaluate, _accumulate)
    for node in schedule:
        grad = pop(node, None)
        if grad is None:
            continue  # no gradient reached it
        if type(node) is AccumulateGrad:
            if targets is None or into:  # (into: only target leaves get a gradient)
                accumulated(node, grad, create_graph, tracer)
            elif node in targets:
                captured[node] = hooks.captured(node, grad, arrays)
            continue
        if targets is not None and node in targets:
            captured[node] = hooks.captured(node, grad, arrays)
        grads = evaluated(node, grad, arrays, tracer)
        if not retain_graph:
            node._saved = None  # released: saved values dropped (node.released reads this)
            node._versions = ()
        data = grad if arrays else grad._data
        if data.size <= SMALL or pictures:
            remember_backward(node, data, grads, pictures)
        for child, g, meta in zip(node.children, grads, node.input_meta):
            if child is None or g is None or (needed is not None and child not in needed):
                continue
            if type(g) is not kind or g.shape != meta[0] or g.dtype != meta[1] or anomaly:
                g = as_input_grad(g, meta, node, arrays)
            old = buffers.get(child)
            buffers[child] = g if old is None else old + g
        grads = g = grad = data = old = None  # drop references: AccumulateGrad may take it
    return captured


def evaluate(node, grad, arrays: bool, tracer) -> tuple:
    """One node's backward (torch's evaluate_function): its pre-hooks and retain_grad, then
    its formula, on arrays when it is written for arrays (first order) and on Tensors
    otherwise; one gradient (or None) per input slot. While ad.compile traces, the tracer
    runs the formula and records it."""
    if tracer is not None:
        return tracer.backward(node, grad)
    if node._pre_hooks is not None or node._retain is not None:
        grad = hooks.pre_hooks(node, grad, arrays)
    function = node.function
    if arrays and not function.array_backward:
        grad = _make(grad)
    state = grad_mode._state
    if state.anomaly and not state.in_formula:  # blame the node, not the ops its formula runs
        state.in_formula = True
        try:
            grads = function.backward(node, grad)
        finally:
            state.in_formula = False
    else:
        grads = function.backward(node, grad)
    if type(grads) is not tuple or len(grads) != len(node.children):
        grads = checked_grads(node, grads)
    if node._post_hooks is not None:
        grads = hooks.post_hooks(node, _as_input_grads(node, grads, arrays), grad, arrays)
    return grads


def _as_input_grads(node, grads, arrays: bool) -> tuple:
    """grads as the inputs get them: fixed up, None for an input without an edge."""
    return tuple(
        None if g is None or child is None else as_input_grad(g, meta, node, arrays)
        for g, child, meta in zip(grads, node.children, node.input_meta)
    )


def checked_grads(node, grads) -> tuple:
    """A formula's result as one gradient (or None) per input slot."""
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.children):
        raise RuntimeError(
            f"{node.name()}: backward returned {len(grads)} gradients, expected "
            f"{len(node.children)} (one per forward input; use None for non-tensors)."
        )
    return grads


def as_input_grad(g, meta, node, arrays: bool):
    """A formula's gradient for one input as the drain passes it on: an array (first order)
    or a Tensor, reduced to the input's shape, cast to its dtype, checked under anomaly mode
    (the one fix-up after every formula)."""
    kind = type(g)
    if arrays:
        if kind is not np.ndarray:  # a Tensor from a formula, or a NumPy scalar
            g = g._data if kind is Tensor else np.asarray(g)
        shape, dtype = g.shape, g.dtype
    else:
        if kind is not Tensor:
            g = _make(np.asarray(g))
        shape, dtype = g._data.shape, g._data.dtype
    anomaly = grad_mode._state.anomaly
    if shape == meta[0] and (dtype is meta[1] or dtype == meta[1]) and not anomaly:
        return g
    if shape != meta[0]:
        g = sum_to(g, meta[0])
    if dtype != meta[1]:
        if dtype.kind == "c" and meta[1].kind != "c":  # a real input of a complex op: as torch,
            g = g.real  # the real part (z = x + i·y: dL/dx is Re of the complex gradient)
        g = g.to(meta[1]) if type(g) is Tensor else g.astype(meta[1])
    if anomaly and not np.isfinite(g._data if type(g) is Tensor else g).all():
        raise RuntimeError(
            f"detect_anomaly: Function '{node.name()}' returned nan or inf values in its "
            f"gradient (shape {meta[0]}). The forward op that made it: "
            f"{node.function.__name__}."
        )
    return g
