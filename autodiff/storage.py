"""torch's view of memory: a tensor's storage (the NumPy array that owns the memory its view
reads) and the addresses data_ptr() reports, so the idioms that test sharing work here:
`x[1:].data_ptr() == x.data_ptr() + x.itemsize`, and `a.untyped_storage().data_ptr() ==
b.untyped_storage().data_ptr()` when a and b share memory."""

import numpy as np

__all__ = ["UntypedStorage"]


def root(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory array reads (the end of its chain of NumPy bases)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def data_ptr(array: np.ndarray) -> int:
    """The address of the first element, 0 for a tensor without elements (as torch)."""
    return array.__array_interface__["data"][0] if root(array).nbytes else 0


class UntypedStorage:
    """A tensor's storage as bytes (torch.UntypedStorage): where it starts and how long it is.
    Two tensors on the same memory give storages that compare equal."""

    __slots__ = ("_array",)

    device = "cpu"

    def __init__(self, array: np.ndarray):
        self._array = root(array)

    def data_ptr(self) -> int:
        return data_ptr(self._array)

    def nbytes(self) -> int:
        return self._array.nbytes

    def size(self) -> int:
        """In bytes, as torch's untyped storage counts."""
        return self._array.nbytes

    __len__ = size

    def element_size(self) -> int:
        return 1

    def tolist(self) -> list:
        return np.ascontiguousarray(self._array).view(np.uint8).ravel().tolist()

    def __eq__(self, other) -> bool:
        if not isinstance(other, UntypedStorage):
            return NotImplemented
        return self._array is other._array

    def __hash__(self) -> int:
        return id(self._array)

    def __repr__(self) -> str:
        values = "\n".join(f" {v}" for v in self.tolist())
        return f"{values}\n[torch.storage.UntypedStorage(device=cpu) of size {self.size()}]"
