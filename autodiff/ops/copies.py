"""torch's *_copy functions: a view op followed by a copy, so the result owns its memory
(view_copy is view(...).clone()). The graph records the view op's node and a CloneBackward0
above it, where torch records one node named after the view (ViewBackward0_copy); values and
gradients are the same."""

import builtins

from .rearrange import narrow
from .shape import expand, permute, select, squeeze, transpose, unbind, unsqueeze, view

__all__ = ["view_copy", "permute_copy", "transpose_copy", "t_copy", "unsqueeze_copy"]
__all__ += ["squeeze_copy", "expand_copy", "diagonal_copy", "select_copy", "slice_copy"]
__all__ += ["split_copy", "unbind_copy", "detach_copy", "alias_copy"]


def view_copy(input, size):
    return view(input, size).clone()


def permute_copy(input, dims):
    return permute(input, *dims).clone()


def transpose_copy(input, dim0, dim1):
    return transpose(input, dim0, dim1).clone()


def t_copy(input):
    return input.t().clone()


def unsqueeze_copy(input, dim):
    return unsqueeze(input, dim).clone()


def squeeze_copy(input, dim=None):
    return squeeze(input, dim).clone()


def expand_copy(input, size, *, implicit=False):
    return expand(input, *size).clone()


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    return input.diagonal(offset, dim1, dim2).clone()


def select_copy(input, dim, index):
    return select(input, dim, index).clone()


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """input[start:end:step] along dim, copied (torch.slice_copy)."""
    axis = dim % builtins.max(input.ndim, 1)
    if step == 1:
        n = input.shape[axis]
        first, last, _ = slice(start, end).indices(n)
        return narrow(input, axis, first, builtins.max(last - first, 0)).clone()
    return input[(slice(None),) * axis + (slice(start, end, step),)].clone()


def split_copy(input, split_size, dim=0):
    return tuple(part.clone() for part in input.split(split_size, dim))


def unbind_copy(input, dim=0):
    return tuple(part.clone() for part in unbind(input, dim))


def detach_copy(input):
    return input.detach().clone()


def alias_copy(input):
    return input.clone()
