"""Function: the one way into the graph, for built-in ops, nn kernels and users' ops.

forward(ctx, *args, **options) gets NumPy arrays (Python numbers stay numbers) and
returns an array; backward(ctx, *grads) gets and returns Tensors, so the same formulas
give second derivatives when run with create_graph=True.
"""

import numpy as np

from . import grad_mode
from .graph import Node, SavedOutput, accumulator, keeps
from .tensor import Tensor

_make = Tensor._make


class Function:
    """Subclass with static forward/backward; call `MyFn.apply(*args)`."""

    node_name = None  # PyTorch's grad_fn name; default f"{cls.__name__}Backward"
    symbol = None  # short label for pictures; default: the class name

    @staticmethod
    def forward(ctx, *args, **options):
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define a static backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **options):
        """Run forward on arrays; when some input requires grad, record a node."""
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        record = grad_mode.is_grad_enabled() and any(
            isinstance(a, Tensor) and a._requires_grad for a in args
        )
        ctx = Node(cls)
        if record:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        out = cls.forward(ctx, *arrays, **options)
        if isinstance(out, Tensor):
            out = out.data
        elif type(out) is not np.ndarray:
            out = np.asarray(out)
        if grad_mode._anomaly[0]:
            _check_finite(out, f"{cls.__name__.lower()} (forward)")
        if not record or out.dtype.kind not in "fc":
            return _make(out)
        _connect(ctx, args, arrays, out, options)
        return _make(out, True, ctx)


def _connect(ctx, args, arrays, out, options) -> None:
    """Fill the node: edges, input metadata, constants, saved values, picture data."""
    edges, meta, consts = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            meta.append((a.data.shape, a.data.dtype))
            if a._requires_grad:
                edges.append((a.grad_fn or accumulator(a), 0))
                consts.append(None)
                continue
        else:
            meta.append(None)
        edges.append((None, 0))
        consts.append(a.data if isinstance(a, Tensor) and keeps(a.data) else
                      None if isinstance(a, Tensor) else a)  # fmt: skip
    ctx.next_functions = tuple(edges)
    ctx.input_meta = tuple(meta)
    ctx.constants = tuple(consts)
    ctx.options = options
    ctx.out_shape = out.shape
    ctx.out_dtype = out.dtype
    if keeps(out):
        ctx.value = out
    if ctx._saved:
        ctx._saved = tuple(_tag(v, args, arrays, out) for v in ctx._saved)


def _tag(value, args, arrays, out):
    """Replace a saved input array by its Tensor and the output array by a marker."""
    if value is out:
        return SavedOutput(out)
    for a, arr in zip(args, arrays):
        if value is arr and isinstance(a, Tensor):
            return a
    return value


def unpack_saved(node) -> tuple:
    """Saved values as Tensors; the output is re-attached to its node under create_graph."""
    graph = grad_mode.is_grad_enabled()
    result = []
    for v in node._saved:
        if isinstance(v, Tensor):
            result.append(v)
        elif isinstance(v, SavedOutput):
            result.append(_make(v.array, graph, node if graph else None))
        elif isinstance(v, np.ndarray):
            result.append(_make(v))
        else:
            result.append(v)
    return tuple(result)


def _check_finite(array, what: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "nan" if np.isnan(array).any() else "inf"
        raise RuntimeError(
            f"detect_anomaly: {what} produced {kind} values (shape {array.shape}). "
            "Check the inputs of this op (e.g. log or sqrt of values <= 0)."
        )
