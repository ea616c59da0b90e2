"""The 'meta' device, as torch's: a meta tensor has a shape, a dtype, strides and
requires_grad, but no data (torch.func's model-ensembling tutorial moves a copy of a model
there, then calls it through functional_call with real parameters).

A meta tensor's array is a MetaArray: a zero-strided view of one 0-d zero of its dtype
(np.broadcast_to: it allocates nothing), read-only. NumPy's functions and ufuncs refuse it,
so that no value is ever computed from those zeros by mistake; views of it (reshape,
indexing, transpose) stay MetaArrays, hence meta. Ops reach run() from Function.apply only
once a meta tensor was made (dtypes.USED.special): the op runs on zeros of its inputs'
shapes and its results become meta again (shape and dtype only). Reading values (item,
tolist, numpy, np.asarray) raises as torch does."""

import numpy as np

from . import dtypes
from .device import META

NO_DATA = "Cannot copy out of meta tensor; no data!"  # torch's words


class MetaArray(np.ndarray):
    """A meta tensor's array: shape and dtype only (see the module's docstring)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise NotImplementedError(
            f"meta tensors have no data: NumPy's {ufunc.__name__} cannot compute on one (an op "
            "on a meta tensor outside Function.apply). Move the tensor to the CPU first with "
            "to_empty(device='cpu') and fill it."
        )

    def __array_function__(self, func, types, args, kwargs):
        raise NotImplementedError(
            f"meta tensors have no data: NumPy's {func.__name__} cannot compute on one. Move "
            "the tensor to the CPU first with to_empty(device='cpu') and fill it."
        )


def is_meta(array) -> bool:
    return type(array) is MetaArray


def empty(shape, dtype) -> MetaArray:
    """A meta array of shape and dtype: allocates nothing (one 0-d zero, broadcast)."""
    dtypes.USED.meta = dtypes.USED.special = True  # Function.apply now looks for meta inputs
    zero = np.zeros((), dtype)
    return np.broadcast_to(zero, tuple(shape)).view(MetaArray)


def tensor(tensor_type, shape, dtype, requires_grad=False):
    """A new meta Tensor (a leaf) of shape and dtype."""
    t = tensor_type._make(empty(shape, dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def moved(t, device, tensor_type):
    """t.to(device) where one side is meta: to meta keeps shape, dtype and requires_grad (a
    leaf: no ToCopyBackward0 node, unlike torch); out of meta there is nothing to copy, as
    torch says."""
    if device == META:
        from .grad_mode import is_grad_enabled

        grad = t._requires_grad and is_grad_enabled()
        return tensor(tensor_type, t._data.shape, t._data.dtype, grad)
    raise NotImplementedError(NO_DATA)


def strides(array) -> tuple:
    """torch's contiguous strides of a meta tensor's shape (its array's are all 0)."""
    steps, step = [], 1
    for n in reversed(array.shape):
        steps.append(step)
        step *= max(n, 1)
    return tuple(reversed(steps))


def among(args, options) -> bool:
    """Whether an op's inputs include a meta tensor (only asked once one was made)."""
    for a in (*args, *options.values()):
        if type(getattr(a, "_data", None)) is MetaArray:
            return True
    return False


def run(cls, args, options, tensor_type):
    """The op cls on meta inputs: the other tensor inputs must be meta too (or 0-d CPU
    tensors, as torch allows); it runs on zeros of the inputs' shapes, without a graph, and
    every result is a meta tensor of the result's shape and dtype. A result requires grad
    where an input does (grad mode on, floating result), as torch's; backward through it is
    refused (autodiff/gradients.py)."""
    from .grad_mode import is_grad_enabled, no_grad

    for a in (*args, *options.values()):
        if isinstance(a, tensor_type) and type(a._data) is not MetaArray and a._data.ndim:
            raise RuntimeError(
                f"{_op_name(cls)}: Tensor on device cpu is not on the expected device meta! "
                "(a meta tensor meets a CPU tensor: move both to one device)"
            )
    wants_grad = is_grad_enabled() and any(
        isinstance(a, tensor_type) and a._requires_grad for a in (*args, *options.values())
    )
    zeros = [_zeros(a, tensor_type) for a in args]
    with no_grad():
        out = cls.apply(*zeros, **{k: _zeros(v, tensor_type) for k, v in options.items()})
    if isinstance(out, (tuple, list)):
        return type(out)(_as_meta(o, tensor_type, wants_grad) for o in out)
    return _as_meta(out, tensor_type, wants_grad)


def _zeros(value, tensor_type):
    """A meta tensor as a CPU tensor of zeros of its shape (the op's stand-in input)."""
    if isinstance(value, tensor_type) and type(value._data) is MetaArray:
        return tensor_type._make(np.zeros(value._data.shape, value._data.dtype))
    return value


def _as_meta(out, tensor_type, wants_grad):
    if not isinstance(out, tensor_type):
        return out
    dtype = out._data.dtype
    grad = wants_grad and (dtype.kind in "fc" or dtype == dtypes.BF16)
    return tensor(tensor_type, out._data.shape, dtype, grad)


def _op_name(cls) -> str:
    return getattr(cls, "node_name", None) or cls.__name__


def repr_of(array, grad_fn_name, requires_grad) -> str:
    """torch's repr of a meta tensor: `tensor(..., device='meta', size=(3, 2))`, its dtype
    where it is not the default one, then requires_grad or grad_fn."""
    suffixes = [f"size={tuple(array.shape)}"]
    if array.dtype != dtypes.get_default_dtype().dtype:
        suffixes.append(f"dtype={dtypes.of(array.dtype)!r}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(..., device='meta', " + ", ".join(suffixes) + ")"
