"""Views: a tensor that shares its base's storage (reshape, transpose, t[1:]) shares its version
counter and remembers how it was made from the base, so after an in-place change of the base
(or of another view) it takes the base's new history, as PyTorch's views do."""

import numpy as np

from .grad_mode import _state as _mode
from .graph import NoContext
from .tensor import Tensor


def _root(array):
    base = array.base
    return array if base is None else base


def mark_view(result, source, cls, options) -> None:
    """result = cls(source, **options) is a view of source's storage: share the counter and
    keep the chain of view ops from the base."""
    if type(result._data) is not np.ndarray or not isinstance(source, Tensor):
        return
    if _root(result._data) is not _root(source._data):
        return  # NumPy had to copy (e.g. reshape of a transposed array)
    base = source if source._base is None else source._base
    chain = ((cls, options),) if source._base is None else source._view_chain + ((cls, options),)
    result._base = base
    result._view_chain = chain
    result._version = base._counter()
    result._view_version = result._version[0]


def view_of(value, chain, tensors: bool = True):
    """Apply a view chain to a tensor (recorded) or, with tensors=False, to an array."""
    for cls, options in chain:
        if tensors:
            value = cls.apply(value, **options)
        else:
            value = cls.forward(NoContext((False,)), value, **options)
    return value


def refresh(view) -> None:
    """The base changed in place since this view's history was made: remake it from the base."""
    base = view._base
    version = base._version[0]
    fresh = view_of(base, view._view_chain) if _mode.enabled else None
    view.grad_fn = fresh.grad_fn if fresh is not None else None
    view._requires_grad = fresh is not None and fresh._requires_grad
    view._view_version = version


def stale(t) -> bool:
    """t is a view whose base changed in place after t's history was made."""
    return t._base is not None and t._view_version != t._base._version[0]
