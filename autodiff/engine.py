"""Backward: one iterative scheduler (Kahn's algorithm) for backward(), ad.grad and hooks."""

import gc
from sys import getrefcount

import numpy as np

from . import grad_mode, tracing
from .function import check_versions
from .graph import SMALL, AccumulateGrad, _recording, accumulator
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
        else:
            grad = grad.sum(axis=dims, keepdims=True)
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


def _call_hooks(hooks, grad: Tensor) -> Tensor:
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result if isinstance(result, Tensor) else _make(np.asarray(result))
    return grad


def _hooked(hooks, grad, arrays: bool):
    """Tensor hooks on a gradient of either kind; the result is of the same kind."""
    grad = _call_hooks(hooks, _make(grad) if arrays else grad)
    return grad._data if arrays else grad


def _accumulate(node: AccumulateGrad, grad, create_graph: bool) -> None:
    """Add a gradient into the leaf's .grad: an array (first order) or a Tensor (create_graph)."""
    leaf = node.variable
    arrays = type(grad) is not Tensor
    if leaf._hooks:
        grad = _hooked(leaf._hooks, grad, arrays)
    data = grad if arrays else grad._data
    if data.size <= SMALL or _recording.depth:
        node.grad_value = data
    elif (
        leaf.grad is None
        and arrays
        and data.base is None
        and getrefcount(data) <= _OWNED
        and data.flags.writeable
    ):
        # nothing else holds this fresh buffer (torch's AccumulateGrad steals it likewise)
        leaf.grad = _make(data)
        return
    if leaf.grad is None:
        # a fresh array: the gradient must not alias the upstream one or another leaf's
        leaf.grad = grad if create_graph else _make(np.array(data, copy=True))
    elif create_graph or leaf.grad.grad_fn is not None:
        leaf.grad = leaf.grad + (grad if create_graph else _make(data))
    else:
        np.add(leaf.grad._data, data, out=leaf.grad._data)


# references to a gradient array that only the backward pass holds, as getrefcount counts
# them in _accumulate (its argument, the local `data`, _drain's local, getrefcount's own):
# one more means someone else shares the buffer
_OWNED = 4


def _run_node(node, grad, arrays: bool, tracer):
    """Hooks, then the op's backward; returns one gradient (or None) per input slot. With
    arrays (first order), grad and the results are arrays; a formula that needs Tensors
    (its Function lacks array_backward) gets and returns Tensors, converted here. While
    ad.compile traces, the tracer runs the formula (and records it)."""
    if tracer is not None:
        return tracer.backward(node, grad)
    if node._pre_hooks:
        grad = _hooked(node._pre_hooks, grad, arrays)
    if node._retain is not None:
        tensor = node._retain()
        if tensor is not None:
            data = grad if arrays else grad._data
            create_graph = grad_mode._state.enabled  # the drain runs with it as grad mode
            tensor.grad = grad if create_graph else _make(np.array(data, copy=True))
    function = node.function
    wrap = arrays and not function.array_backward
    state = grad_mode._state
    if state.anomaly and not state.in_formula:  # blame the node, not the ops its formula runs
        state.in_formula = True
        try:
            grads = function.backward(node, _make(grad) if wrap else grad)
        finally:
            state.in_formula = False
    else:
        grads = function.backward(node, _make(grad) if wrap else grad)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.children):
        _wrong_count(node, grads)
    return grads


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


def run_backward(roots, root_grads, retain_graph, create_graph, targets=None):
    """Push gradients from roots to leaves. With targets (ad.grad), capture them instead.

    First-order gradients flow as NumPy arrays (a Tensor per gradient would double the cost
    of small ops); create_graph, and ad.compile's tracing, need Tensors, recorded."""
    needed = _needed(roots, targets) if targets is not None else None
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
    # backward formulas record a graph only for create_graph (second order). The drain frees
    # the graph by reference counting and makes no cycles: the cyclic collector would only
    # rescan the whole graph again and again (half the time of a long scalar chain)
    collecting = gc.isenabled()
    gc.disable()
    state = grad_mode._state
    enabled, state.enabled = state.enabled, create_graph
    try:
        captured = _drain(
            schedule, buffers, needed, targets, retain_graph, create_graph, arrays, tracer
        )
    finally:
        state.enabled = enabled
        if collecting:
            gc.enable()
    if arrays:
        captured = {node: _make(g) for node, g in captured.items()}
    return captured


def _drain(schedule, buffers, needed, targets, retain_graph, create_graph, arrays, tracer) -> dict:
    """Run each scheduled node that received a gradient; a node no gradient reached is skipped.
    With arrays (run_backward's choice), gradients are NumPy arrays, else Tensors."""
    captured = {}
    anomaly = grad_mode._state.anomaly
    plain = not (anomaly or tracer is not None)
    keep_all = _recording.depth
    pop = buffers.pop
    for node in schedule:
        grad = pop(node, None)
        if grad is None:
            continue
        if targets is not None and node in targets:
            if type(node) is AccumulateGrad and node.variable._hooks:
                grad = _hooked(node.variable._hooks, grad, arrays)
            captured[node] = grad
        if type(node) is AccumulateGrad:
            if targets is None:
                if tracer is not None:
                    tracer.accumulate(node, grad)
                else:
                    _accumulate(node, grad, create_graph)
            continue
        data = grad if arrays else grad._data
        if data.size <= SMALL or keep_all:
            node.grad_value = data
        if (
            plain
            and node._pre_hooks is None
            and node._retain is None
            and (node.function.array_backward or not arrays)
        ):
            grads = node.function.backward(node, grad)  # the common case, inline
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(node.children):
                _wrong_count(node, grads)
        else:
            grads = _run_node(node, grad, arrays, tracer)
        if not retain_graph:
            node._saved = None  # released: saved values dropped (node.released reads this)
            node._versions = ()
        sent = node.grad_value is not None and not keep_all  # kept below only if all small
        if node.grad_value is not None:
            node._sent = grads
        for child, g, meta in zip(node.children, grads, node.input_meta):
            if g is None:
                continue
            if sent and (g._data.size if isinstance(g, Tensor) else getattr(g, "size", 1)) > SMALL:
                node._sent = sent = None  # a small gradient in went out large (sum's)
            if child is None or (needed is not None and child not in needed):
                continue
            kind = type(g)
            if arrays:
                if kind is not np.ndarray:  # a Tensor from a formula, or a NumPy scalar
                    g = g._data if kind is Tensor else np.asarray(g)
            elif kind is not Tensor:
                g = _make(np.asarray(g))
            shape = g.shape if arrays else g._data.shape
            dtype = g.dtype if arrays else g._data.dtype
            if shape != meta[0] or (dtype is not meta[1] and dtype != meta[1]) or anomaly:
                g = _as_grad(g, meta, node, anomaly)
            old = buffers.get(child)
            buffers[child] = g if old is None else old + g
        grads = g = grad = data = old = None  # drop references: AccumulateGrad may take a buffer
    return captured


def _wrong_count(node, grads):
    raise RuntimeError(
        f"{node.name()}: backward returned {len(grads)} gradients, expected "
        f"{len(node.children)} (one per forward input; use None for non-tensors)."
    )


def _data(g):
    return g._data if isinstance(g, Tensor) else g


def _as_grad(g, meta, node, anomaly):
    """A backward's output (array or Tensor) reduced to its input's shape, cast to its dtype."""
    shape, dtype = meta
    if g.shape != shape:
        g = sum_to(g, shape)
    if g.dtype != dtype:
        g = g.to(dtype) if type(g) is Tensor else g.astype(dtype)
    if anomaly and not np.isfinite(_data(g)).all():
        raise RuntimeError(
            f"detect_anomaly: Function '{node.name()}' returned nan or inf values in its "
            f"gradient (shape {shape}). The forward op that made it: {node.function.__name__}."
        )
    return g


def first_gradient(out: np.ndarray) -> np.ndarray:
    """d out / d out: the gradient backward() starts from for a single-element output."""
    return np.array(1, out.dtype) if out.ndim == 0 else np.ones_like(out)


first_gradient.pure = True  # ad.compile may drop it where nothing reads it


def _root_grads(outputs, grad_outputs, what: str):
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(
                f"{what}: element {i} of tensors does not require grad and does not have a "
                "grad_fn. Set requires_grad=True on the leaves you differentiate by."
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{what}: grad can be implicitly created only for scalar outputs, got "
                    f"shape {out._data.shape}. Pass gradient= (a tensor of that shape)."
                )
            g = _make(first_gradient(out._data))
            tracing.computed(g._data, first_gradient, (out,))  # ad.compile: made again
        elif not isinstance(g, Tensor):
            g = _make(np.asarray(g, dtype=out._data.dtype))
            tracing.created(g)
        if g._data.shape != out._data.shape:
            raise RuntimeError(
                f"{what}: gradient has shape {g._data.shape} but the output has shape "
                f"{out._data.shape}. Pass a gradient of the output's shape."
            )
        grads.append(g)
    return grads


def _node_of(t: Tensor):
    return t.grad_fn if t.grad_fn is not None else accumulator(t)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's .grad."""
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None or isinstance(grad_tensors, (Tensor, np.ndarray)):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"backward: got {len(tensors)} tensors and {len(grad_tensors)} gradients. Give one "
            "gradient per tensor (for one tensor: t.backward(gradient=...))."
        )
    grads = _root_grads(tensors, grad_tensors, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward([_node_of(t) for t in tensors], grads, retain, create_graph)


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
) -> tuple:
    """The gradients of outputs with respect to inputs, returned (not accumulated)."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError(
                f"grad: input {i} does not require grad. Set requires_grad=True on it."
            )
    grads = _root_grads(outputs, grad_outputs, "grad")
    targets = {_node_of(t): t for t in inputs}
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward([_node_of(t) for t in outputs], grads, retain, create_graph, targets)
    result = []
    for t in inputs:
        g = captured.get(_node_of(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the differentiated Tensors appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior."
            )
        result.append(g if g is None or create_graph else _make(g._data))
    return tuple(result)
