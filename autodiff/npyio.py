"""One array as a .npy entry, read with bounds: the header is checked against the entry's size
and the dtype against the numbers a tensor can hold before a byte is allocated, so a crafted
entry cannot make us allocate more than the file holds. ad.load and nn.load read through here.
"""

import math

import numpy as np

ALLOWED_KINDS = "biufc"  # bool, signed and unsigned ints, floats, complex: what a tensor holds


def check_dtype(dtype: np.dtype, where: str, kinds: str = ALLOWED_KINDS, error=TypeError):
    """A plain dtype of one of these kinds, else an error (a TypeError for what a caller
    gives, a ValueError for what a file holds) that names where it was met."""
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise error(
            f"{where} has dtype {dtype.str} ({dtype}); only bool, integer, float and complex "
            "arrays are stored. Convert it, e.g. np.asarray(v, dtype=float)."
        )


CHUNK = 2**20  # bytes written at a time: a save never holds a second copy of a large array


def write_npy(f, array: np.ndarray) -> None:
    """array (0-d and non-contiguous ones included, shape kept) as .npy bytes on f, streamed
    (np.save would copy up to 16 MiB at a time into a buffer for a file object like a zip
    entry)."""
    # version 1.0: a plain dtype and at most 64 dimensions never need 2.0's longer header
    np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(array))
    if array.flags.c_contiguous or array.flags.f_contiguous:
        data = array.ravel(order="K").view(np.uint8)  # no copy: the bytes in memory order
        for start in range(0, data.size, CHUNK):
            f.write(memoryview(data[start : start + CHUNK]))
    else:  # C order (as the header says), a block of rows at a time
        rows = max(1, CHUNK // max(1, array[0].nbytes))
        for start in range(0, len(array), rows):
            f.write(np.ascontiguousarray(array[start : start + rows]).tobytes())


def read_npy(entry, size: int, where: str, kinds: str = ALLOWED_KINDS) -> np.ndarray:
    """The array of an open .npy entry of `size` bytes; where names it in errors (a
    ValueError for a garbled entry or a dtype not among kinds)."""
    try:
        version = np.lib.format.read_magic(entry)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(entry)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(entry)
        else:
            raise ValueError(f"npy format version {version} is not read")
    except (ValueError, SyntaxError, EOFError) as e:
        raise ValueError(f"{where} has no readable .npy header ({e})") from None
    check_dtype(dtype, where, kinds, ValueError)
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"{where} has an invalid shape {shape}")
    count = math.prod(shape) * dtype.itemsize
    if count != size - entry.tell():
        raise ValueError(
            f"{where} claims shape {shape} of {dtype} ({count} bytes) but holds "
            f"{size - entry.tell()} bytes of data; the file is damaged or crafted"
        )
    buffer = bytearray(count)  # bounded: count equals bytes the file really has
    if entry.readinto(buffer) != count:
        raise ValueError(f"{where} ends early; the file is truncated")
    array = np.frombuffer(buffer, dtype).reshape(shape, order="F" if fortran else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
