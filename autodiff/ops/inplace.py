"""In-place ops (add_, mul_, x -= y, t[i] = v, ...) with PyTorch's rules.

- A leaf that requires grad may change only with grad disabled: the manual-SGD update
  `with ad.no_grad(): w -= lr * w.grad` keeps `w` the same leaf.
- Outside the graph the op writes into the storage.
- In the graph it runs the out-of-place op, writes the result into the storage and rebases
  the tensor onto the new node (torch's model); a view also rebases its base (CopySlices).
- Every in-place op bumps the storage's version counter, shared with views and detach();
  backward refuses a saved tensor whose version moved (saved.check_versions).
"""

import operator

import numpy as np

from .. import coo, grad_mode, meta, tracing
from ..device import dims_in_memory
from ..dtypes import USED
from ..errors import DtypeError, ShapeError
from ..function import Function
from ..graph import SavedOutput
from ..saved import flat_versions, packed_later, version_entries, version_entry
from ..tensor import Tensor
from ..views import refresh, stale, view_of
from .indexing import Index, normalize_index

__all__ = []  # reached through Tensor methods (add_, ...) and F.relu_

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def _refuse_leaf(self, op: str) -> None:
    base = self._base
    if self._requires_grad and self.grad_fn is None:
        what = LEAF
    elif base is not None and base._requires_grad and base.grad_fn is None:
        what = "a view of " + LEAF
    else:
        return
    raise RuntimeError(
        f"{op}: {what} Update parameters with grad disabled, e.g. "
        "`with ad.no_grad(): w -= lr * w.grad`, or change a .clone()."
    )


def _records(self, op: str, args) -> bool:
    """Whether the op joins the graph: grad enabled and some tensor involved requires grad."""
    if not grad_mode._state.enabled:
        return False
    _refuse_leaf(self, op)
    if stale(self):
        refresh(self)
    if self._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _write(self, op: str, fn, value, index=None) -> Tensor:
    """Write value into self's storage, then bump the version: fn is a ufunc (self op= value),
    np.copyto (self = value) or operator.setitem (self[index] = value). The one place a
    storage is written in place (announced, so ad.compile replays it). NumPy's errors in
    torch's words."""
    storage = self._data
    if not storage.flags.writeable:
        if type(storage) is meta.MetaArray:  # no data to write: torch checks the shape only
            return _meta_write(self, op, fn, value)
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location (an expand()ed or overlapping as_strided() "
            "tensor?), or its memory is read-only (frombuffer of bytes). Please clone() the "
            "tensor before performing the operation."
        )
    tracing.wrote(self, op, fn, value, index)
    values = value._data if isinstance(value, Tensor) else value
    try:
        if fn is operator.setitem:
            storage[index] = values
        elif fn is np.copyto:
            np.copyto(storage, values, casting="same_kind")
        else:
            fn(storage, values, out=storage, casting="same_kind")
    except TypeError as e:
        raise DtypeError(
            f"{op}: the result can't be cast to the tensor's dtype {storage.dtype} ({e}). "
            "Use the out-of-place op, or convert first (e.g. t = t.float())."
        ) from None
    except ValueError as e:
        raise ShapeError(
            f"{op}: the result's shape doesn't fit the tensor's shape {tuple(storage.shape)} in "
            f"place ({e}). Use the out-of-place op (x = x + y) to broadcast."
        ) from None
    self._counter()[0] += 1
    return self


def _meta_write(self, op: str, fn, value) -> Tensor:
    """An in-place op on a meta tensor: the value must fit its shape; nothing is written."""
    shape = getattr(value, "shape", ())
    try:
        fits = fn is operator.setitem or np.broadcast_shapes(shape, self.shape) == self.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: the value's shape {tuple(shape)} doesn't fit the meta tensor's shape "
            f"{tuple(self.shape)} in place."
        )
    self._counter()[0] += 1
    return self


def ufunc_(self, op: str, ufunc, fn, other) -> Tensor:
    """self op= other with a NumPy ufunc; fn is the out-of-place op, for the graph."""
    if _records(self, op, (other,)):
        return _rebase(self, op, fn, other)
    if USED.sparse and coo.is_sparse(getattr(other, "_data", None)):  # dense.add_(sparse)
        return apply_(self, op, fn, other)  # the op's sparse kernel, written back
    return _write(self, op, ufunc, other)


def apply_(self, op: str, fn, *args, **kwargs) -> Tensor:
    """self = fn(self, *args) written into self's storage: the general in-place form."""
    if _records(self, op, args):
        return _rebase(self, op, fn, *args, **kwargs)
    result = fn(self, *args, **kwargs)
    return _write(self, op, np.copyto, result)


def reshape_(self, op: str, node_name: str, fn, *args) -> Tensor:
    """An in-place change of shape (squeeze_, unsqueeze_, t_, transpose_): self becomes the
    view fn(self, *args) of its storage, recorded under torch's in-place node name
    (SqueezeBackward3, ...). No value changes, but the version moves, as in torch. A trace
    refuses it: the tensor's array itself is replaced."""
    tracing.read(self, f"{op}() (an in-place change of shape; use the out-of-place {op[:-1]})")
    if grad_mode._state.enabled:
        _refuse_leaf(self, op)
        if stale(self):
            refresh(self)
    view = fn(self, *args)
    if view is self:  # t_() of a vector: nothing changes but the version
        self._counter()[0] += 1
        return self
    if view.grad_fn is not None:
        view.grad_fn.node_name = node_name
    if view._base is not None and view._base is not self:  # self was a view: view is too
        self._base, self._view_chain = view._base, view._view_chain
        self._view_version = view._view_version
    self._data, self.grad_fn = view._data, view.grad_fn
    self._counter()[0] += 1
    return self


def resize_(self, shape: tuple, memory_format=None) -> Tensor:
    """self's storage replaced by one of shape: the first elements kept, zeros after them. A
    tensor that requires grad is refused, as torch; a view too (its base keeps the storage),
    and a trace refuses it (the array itself is replaced)."""
    if self._requires_grad:
        raise RuntimeError("resize_: cannot resize variables that require grad. Resize a "
                           ".detach()ed tensor, or make a new one.")  # fmt: skip
    if self._base is not None:
        raise RuntimeError("resize_: a view cannot be resized here (its base owns the storage). "
                           "Resize a .clone() of it.")  # fmt: skip
    tracing.read(self, "resize_() (the storage is replaced; make a new tensor instead)")
    old = self._data
    order = dims_in_memory(memory_format, len(shape), "resize_")
    if old.shape != shape or order not in (None, tuple(range(len(shape)))):
        in_memory = tuple(shape[d] for d in order or range(len(shape)))
        new = np.zeros(in_memory, old.dtype)
        kept = min(old.size, new.size)
        new.reshape(-1)[:kept] = old.reshape(-1)[:kept]  # the storage's first elements
        self._data = new.transpose(np.argsort(order)) if order else new
    self._counter()[0] += 1
    return self


def setitem(self, index, value) -> None:
    """t[index] = value: differentiable for the value and the rest of t (CopySlices)."""
    index = normalize_index(index)
    if _records(self, "setitem", (value,)):
        _rebase(self, "setitem", _index_put, value, index=index)
        return
    _write(self, "setitem", operator.setitem, value, index)


def _rebase(self, op: str, fn, *args, **kwargs) -> Tensor:
    """The graph form: out-of-place op, result into the storage, self onto the new node."""
    if self._base is not None and any(
        getattr(c, "splits_complex", False) for c, _ in self._view_chain
    ):
        raise NotImplementedError(
            f"{op}: an in-place change of a complex tensor's real or imaginary part (.real, "
            ".imag, view_as_real) is not supported while it requires grad. Build the new "
            "tensor out of place, e.g. torch.complex(new_real, z.imag)."
        )
    with packed_later() as hooked:  # saved_tensors_hooks see what the node keeps at the end
        result = fn(self, *args, **kwargs)
    node = result.grad_fn
    if node is None:  # e.g. an integer result: nothing to differentiate
        hooked.pack_after(None, self)
        return _write(self, op, np.copyto, result)
    _keep_old_self(node, self)
    _write(self, op, np.copyto, result)
    _saved_output_is_storage(node, self)
    hooked.pack_after(node, self)
    if self._base is not None:
        base = self._base
        rebased = CopySlices.apply(base, result, chain=self._view_chain)
        base.grad_fn, base._requires_grad = rebased.grad_fn, True
        self._view_version = self._version[0]
    self.grad_fn, self._requires_grad = node, True
    if self._name is not None:
        node.out_name = self._name
    return self


def _keep_old_self(node, self) -> None:
    """The op may have saved self; its old values are about to be overwritten: keep a copy
    (torch's original_self). Any other saved tensor on this storage stays checked."""
    if not any(v is self for v in node._saved):
        return
    old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
    node._saved = tuple(old if v is self else v for v in node._saved)
    entries = version_entries(node._versions)
    counter = self._version
    node._versions = flat_versions(
        v for v in entries if v[0] is not counter or v[2] is not self._data
    )


def _saved_output_is_storage(node, self) -> None:
    """A saved output now lives in self's storage: point at it and check its version."""
    saved = node._saved
    for i, v in enumerate(saved):
        if isinstance(v, SavedOutput):
            node._saved = saved[:i] + (SavedOutput(self._data),) + saved[i + 1 :]
            others = [x for x in version_entries(node._versions) if x[2] is not v.array]
            node._versions = flat_versions(others + [version_entry(self, self._data)])
            return


class CopySlices(Function):
    """A base whose view was changed in place: the view's region comes from the new values."""

    node_name = "CopySlices"
    symbol = "[ ]="
    complex_grad = True  # dtype-blind; chains through .real/.imag are refused in _rebase

    @staticmethod
    def forward(ctx, base, src, chain):
        return base  # the storage already holds the new values

    @staticmethod
    def backward(ctx, grad):
        chain = ctx.options["chain"]
        if any(getattr(cls, "reads_storage", False) for cls, _ in chain):
            grad = grad.clone()  # as_strided reads storage: grad's, laid out as the base's
        mask = np.zeros(ctx.input_meta[0][0], dtype=bool)
        view_of(mask, chain, tensors=False)[...] = True
        grad_base = grad * Tensor._make(~mask) if ctx.needs_input_grad[0] else None
        return grad_base, view_of(grad, chain) if ctx.needs_input_grad[1] else None


class IndexPut(Function):
    """input with input[index] = values, as a new array (the graph form of setitem)."""

    node_name = "IndexPutBackward0"
    symbol = "[ ]="

    @staticmethod
    def forward(ctx, input, values, index):
        if _basic(index):
            ctx.node_name = "CopySlices"
        out = input.copy()
        try:
            out[index] = values
        except (IndexError, ValueError) as e:
            raise type(e)(
                f"setitem: {e} (tensor shape {tuple(input.shape)}, values shape "
                f"{np.shape(values)}). The values must broadcast to the indexed shape."
            ) from None
        return out

    @staticmethod
    def backward(ctx, grad):
        index = ctx.options["index"]
        need = ctx.needs_input_grad
        grad_input = IndexPut.apply(grad, 0.0, index=index) if need[0] else None
        return grad_input, Index.apply(grad, index=index) if need[1] else None


def _basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(i, np.ndarray) and i.ndim > 0 for i in items)


def _index_put(self, value, index):
    return IndexPut.apply(self, value, index=index)


class Copy(Function):
    """src broadcast to input's shape and cast to its dtype (the graph form of copy_)."""

    node_name = "CopyBackwards"
    symbol = "copy"
    array_backward = True

    @staticmethod
    def forward(ctx, input, src):
        try:
            return np.array(np.broadcast_to(src, input.shape), dtype=input.dtype)
        except ValueError:
            raise ShapeError(
                f"copy_: source of shape {np.shape(src)} can't be broadcast to the tensor's "
                f"shape {tuple(input.shape)}."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        # the old values are overwritten: a zero gradient for them, as torch's CopyBackwards
        return grad * 0.0 if ctx.needs_input_grad[0] else None, grad


def copy(self, src):
    return Copy.apply(self, src)


class Fill(Function):
    """A tensor of input's shape filled with value (the graph form of fill_ and zero_)."""

    node_name = "FillBackward0"
    symbol = "fill"
    array_backward = True

    @staticmethod
    def forward(ctx, input, value):
        return np.full(input.shape, value, dtype=input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


def fill(self, value):
    return Fill.apply(self, value=value)
