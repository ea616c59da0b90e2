"""t[index]: basic and advanced indexing (repeated indices accumulate their gradients), and the
ops that find or pick elements by a mask: nonzero, argwhere, masked_select."""

import numpy as np

from ..errors import DtypeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete

__all__ = [
    "nonzero",
    "nonzero_static",
    "argwhere",
    "masked_select",
]  # the public ops: autodiff exports these


def normalize_index(index):
    """Tensors inside an index become arrays; a list becomes an integer/bool array."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) and item.dtype.kind not in "iub":
            raise IndexError(
                f"index: tensors used as indices must be long or bool, got {item.dtype}"
            )
        out.append(item)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _kind(index) -> str:
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, np.ndarray) and i.ndim > 0 for i in items):
        return "IndexBackward0"
    if all(isinstance(i, (int, np.integer)) for i in items):
        return "SelectBackward0"
    return "SliceBackward0"


def _scatters(index) -> bool:
    """Integer-array indices may repeat: their gradients must be added, not assigned."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)


class Index(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "IndexBackward0"
    view = True
    symbol = "[ ]"
    array_backward = True

    @staticmethod
    def forward(ctx, input, index):
        ctx.node_name = _kind(index)
        if ctx.node_name == "SelectBackward0":  # t[0] of a vector: NumPy would copy the number
            index = (*index, ...) if isinstance(index, tuple) else (index, ...)  # a 0-d view
        try:
            return input[index]
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor shape {tuple(input.shape)})") from None

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        return IndexAdd.apply(grad, index=ctx.options["index"], shape=shape)


def getitem(input, index):
    """input[index] with NumPy semantics; the gradient flows back to the selected places."""
    return Index.apply(input, index=normalize_index(index))


class IndexAdd(Function):
    """Gradient of indexing: zeros of the input's shape with grad added at index."""

    node_name = "IndexPutBackward0"
    symbol = "index_add"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, index, shape):
        out = np.zeros(shape, dtype=grad.dtype)
        if _scatters(index):
            np.add.at(out, index, grad)
        else:
            out[index] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.options["index"]]


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with as_tuple=True
    one 1-D tensor per dim (what torch.where(condition) returns)."""
    input = input if isinstance(input, Tensor) else Tensor._constant(np.asarray(input))
    if not as_tuple:
        return discrete(_argwhere, input)
    found = discrete(_argwhere, input.reshape(1) if input.ndim == 0 else input)
    return tuple(found[:, d] for d in range(found.shape[1]))


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero(input) as exactly size rows: the first size indices, then rows of fill_value
    (a shape known before the values, as torch's)."""
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size!r}")

    def padded(data):
        found = _argwhere(data)[:size]
        rest = np.full((size - len(found), found.shape[1]), fill_value, dtype=np.int64)
        return np.concatenate([found, rest])

    return discrete(padded, input)


def _argwhere(data):
    return np.argwhere(data).astype(np.int64)


def argwhere(input):
    """nonzero(input): the (n, ndim) indices of the nonzero elements."""
    return nonzero(input)


class MaskedSelect(Function):
    """The elements where the mask is true, as a 1-D tensor (input and mask broadcast)."""

    node_name = "MaskedSelectBackward0"
    symbol = "[mask]"
    broadcasts = "masked_select"
    array_backward = True

    @staticmethod
    def forward(ctx, input, mask):
        shape = np.broadcast_shapes(input.shape, mask.shape)
        return np.broadcast_to(input, shape)[np.broadcast_to(mask, shape)]

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        mask = ctx.options["mask"]
        full = np.broadcast_shapes(shape, mask.shape)  # the engine sums it back to shape
        return IndexAdd.apply(grad, index=np.broadcast_to(mask, full), shape=full)


def masked_select(input, mask):
    """input's elements where mask (a bool tensor, broadcast with input) is true, in order."""
    cond = mask if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise DtypeError(f"masked_select: mask must be a bool tensor, got dtype {cond.dtype}")
    return MaskedSelect.apply(input, mask=cond)
