"""The user's calls into the engine: backward() and grad() check their arguments, make the
first gradients and name the roots; engine.run_backward does the rest."""

import warnings

import numpy as np

from . import meta, tracing
from .engine import run_backward
from .graph import accumulator
from .tensor import Tensor

_make = Tensor._make


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
        if meta.is_meta(out._data):  # its ops recorded no graph (autodiff/meta.py)
            raise NotImplementedError(
                f"{what}: backward through a meta tensor (the 'meta' device) is not supported "
                "here: meta ops propagate shapes and dtypes without recording a graph."
            )
        if g is None:
            if out._data.dtype.kind == "c":  # torch's words: a complex loss has no d out/d out
                raise RuntimeError(
                    f"{what}: grad can be implicitly created only for real scalar outputs, got "
                    f"{out.dtype}. Reduce to a real loss first (e.g. z.abs().sum() or "
                    "z.real.sum()), or pass gradient=."
                )
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


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's .grad, or only into the .grad of each
    of inputs (leaves or not), as torch's inputs=. grad_variables is torch's old name of
    grad_tensors."""
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        warnings.warn(
            "`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, 2
        )
        grad_tensors = grad_variables
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
    roots = [_node_of(t) for t in tensors]
    if inputs is None:
        run_backward(roots, grads, retain, create_graph)
        return
    targets = _targets(inputs, "backward")
    captured = run_backward(roots, grads, retain, create_graph, targets, into=True)
    for node, g in captured.items():  # inputs that are not leaves: .grad as retain_grad's
        t = targets[node]
        g = g if create_graph else _make(np.array(g._data, copy=True))
        t._grad = g if t._grad is None else t._grad + g


def _targets(inputs, what: str) -> dict:
    """{node: tensor} for backward's inputs=: each must require grad."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError(f"{what}: 'inputs' argument to backward() cannot be empty.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError(
                f"{what}: input {i} of inputs= does not require grad. Give tensors that "
                "require grad (leaves, or results computed from them)."
            )
    return {_node_of(t): t for t in inputs}


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
