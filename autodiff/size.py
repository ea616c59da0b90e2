"""torch.Size: the shape of a tensor, a tuple that prints as PyTorch prints it."""

import math

import numpy as np

from .errors import ArgumentError


class Size(tuple):
    """A tuple of dims (equal to the plain tuple, hashing as it) that prints as
    `torch.Size([2, 3])`; slices and sums stay Sizes, as in torch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)


def as_size(dims: tuple, op: str) -> Size:
    """The shape a creation call names: f(2, 3), f((2, 3)), f([2, 3]) or f(t.shape)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    for n in dims:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be integers, got {dims}")
        if n < 0:
            raise ArgumentError(f"{op}: sizes must be non-negative, got {dims}")
    return Size(int(n) for n in dims)


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of these shapes broadcast to (torch.broadcast_shapes); an int is a
    1-d shape."""
    shapes = [(n,) if isinstance(n, (int, np.integer)) else tuple(n) for n in shapes]
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ArgumentError(
            f"broadcast_shapes: shapes {', '.join(map(str, shapes))} do not broadcast (each dim "
            "must match or be 1)"
        ) from None
