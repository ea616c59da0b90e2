"""Tensor creation with torch's signatures: tensor, as_tensor, zeros, ones, full, empty,
arange, linspace, logspace, eye, the *_like forms and the random draws (the library's
generator, ad.manual_seed). Each takes dtype=, device= ('cpu') and requires_grad=."""

import builtins
import math
import warnings

import numpy as np

from . import cpu_math, dtypes, meta, random, tracing
from .device import META, dims_in_memory, preserve_format, stride_order
from .device import check as _device
from .device import check_layout as _layout
from .errors import ArgumentError, DtypeError
from .size import as_size
from .tensor import Tensor


def _shape(shape, op: str = "shape", size=None) -> tuple:
    """The shape a creation function's sizes give: positional (2, 3) or a sequence, or
    torch's size= keyword (zeros(size=(2, 3)), as gat's torch.empty(size=...))."""
    if size is not None:
        if shape:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        shape = (size,)
    return as_size(shape, op)


def _finish(array, requires_grad: bool, name=None, device=None) -> Tensor:
    if _device(device) == META:  # shape and dtype only (autodiff/meta.py)
        array = meta.empty(array.shape, array.dtype)
    t = Tensor._make(array)
    tracing.created(t)  # ad.compile: a constant of the program (a draw is one of its steps)
    if requires_grad:
        t.requires_grad_(True)
    if name is not None:
        t.name = name
    return t


def _dtype(dtype):
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def tensor(data, dtype=None, device=None, requires_grad=False, name=None, pin_memory=False):
    """A new tensor (a copy). Floats -> the default dtype, ints -> int64, arrays keep theirs."""
    _layout("tensor", None, pin_memory)
    dtype = None if dtype is None else dtypes.as_dtype(dtype, "tensor")
    if isinstance(data, Tensor):  # a copy outside the graph, as torch.tensor(t) (an op)
        copy = data.detach().to(dtype or data.dtype)
        copy = copy.clone() if copy._data is data._data else copy
        return _finish(copy._data, requires_grad, name, device)
    return _finish(dtypes.as_array(data, dtype), requires_grad, name, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, sharing memory when it already is one (or an array) of that dtype."""
    dtype = None if dtype is None else dtypes.as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        _device(device)
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
        return _finish(data, False, device=device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray, requires_grad=False) -> Tensor:
    """A tensor that shares memory with the array (no copy): the public way to wrap one."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return _finish(array, requires_grad)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    _layout("zeros", layout)
    return _finish(
        np.zeros(_shape(sizes, "zeros", size), _dtype(dtype)), requires_grad, device=device
    )


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    _layout("ones", layout)
    return _finish(
        np.ones(_shape(sizes, "ones", size), _dtype(dtype)), requires_grad, device=device
    )


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None,
          pin_memory=False, memory_format=None) -> Tensor:  # fmt: skip
    """Uninitialised in torch; zeros here, so no run ever depends on leftover memory (laid
    out in memory as memory_format says: torch.channels_last, ...)."""
    _layout("empty", layout, pin_memory)
    if memory_format is preserve_format:
        raise RuntimeError("empty: preserve_format is not a memory format for a new tensor")
    shape = _shape(sizes, "empty", size)
    array = _laid_out(shape, _memory_order("empty", shape, memory_format), np.zeros, _dtype(dtype))
    return _finish(array, requires_grad, device=device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    _layout("full", layout)
    if dtype is None and isinstance(fill_value, (bool, int, np.integer)):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    size = _shape((size,) if isinstance(size, int) else (tuple(size),), "full")
    return _finish(np.full(size, fill_value, _dtype(dtype)), requires_grad, device=device)


def arange(
    start, end=None, step=1, dtype=None, device=None, requires_grad=False, layout=None
) -> Tensor:
    _layout("arange", layout)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ArgumentError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ArgumentError(
            f"arange: upper bound and lower bound inconsistent with step sign (start {start}, "
            f"end {end}, step {step}). Use a negative step to count down."
        )
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.get_default_dtype()
    array = np.arange(start, end, step, dtype=dtypes.as_dtype(dtype))
    return _finish(array, requires_grad, device=device)


def range(start, end, step=1, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """start, start + step, ... up to end included, in the default float dtype: torch.range,
    deprecated in torch (with its warning) for arange, whose end is excluded."""
    _layout("range", layout)
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if step == 0 or (end - start) * step < 0:
        raise ArgumentError(
            f"range: upper bound and larger bound inconsistent with step sign (start {start}, "
            f"end {end}, step {step}). Use a nonzero step that moves from start towards end."
        )
    count = int(np.floor((end - start) / step)) + 1
    values = start + step * np.arange(count, dtype=np.float64)
    return _finish(values.astype(_dtype(dtype)), requires_grad, device=device)


def scalar_tensor(
    s, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
) -> Tensor:
    """A 0-d tensor of s in the default float dtype unless dtype says (torch.scalar_tensor)."""
    _layout("scalar_tensor", layout, pin_memory)
    return _finish(np.array(s, dtype=_dtype(dtype)), requires_grad, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """obj as a tensor, sharing memory with a tensor or array when dtype allows and copy is not
    True (torch.asarray); copy=False refuses what would need a copy."""
    dtype = None if dtype is None else dtypes.as_dtype(dtype, "asarray")
    shares = isinstance(obj, (Tensor, np.ndarray)) and dtype in (None, obj.dtype)
    if copy is False and not shares:
        raise ArgumentError(
            f"asarray: can't alias a {type(obj).__name__} as a tensor of dtype {dtype} with "
            "copy=False. Allow a copy (copy=None or True)."
        )
    if shares and not copy:
        t = obj if isinstance(obj, Tensor) else _finish(obj, False, device=device)
        return t.requires_grad_(True) if requires_grad else t
    data = obj.detach() if isinstance(obj, Tensor) else obj
    return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_strided(
    size, stride, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
) -> Tensor:
    """Zeros of that size (uninitialised in torch). Its strides are NumPy's contiguous ones:
    this library's tensors choose no strides of their own."""
    _layout("empty_strided", layout, pin_memory)
    if len(tuple(stride)) != len(tuple(size)):
        raise ArgumentError(
            f"empty_strided: mismatch in length of strides and shape ({tuple(size)} and "
            f"{tuple(stride)}). Give one stride per dim."
        )
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False) -> Tensor:  # fmt: skip
    """Zeros of that size (uninitialised in torch) laid out in memory in physical_layout's
    order of dims, outermost first: empty_permuted((2, 3, 4), (0, 2, 1)) has strides
    (12, 1, 3), as torch's."""
    size, order = _shape(size, "empty_permuted"), tuple(physical_layout)
    if len(size) != len(order):
        raise RuntimeError(
            "empty_permuted: Number of dimensions in size does not match the length of the "
            f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
            f"len(physical_layout) = {len(order)}"
        )
    for i, d in enumerate(order):
        if not 0 <= d < len(size):
            raise RuntimeError(f"empty_permuted: Dimension out of range (expected to be between "
                               f"0 and {len(size) - 1}, but got {d} at index {i}).")  # fmt: skip
    if len(set(order)) != len(order):
        raise RuntimeError(f"empty_permuted: Duplicate dim not allowed in {order}")
    _layout("empty_permuted", layout, pin_memory)
    memory = np.zeros(tuple(size[d] for d in order), _dtype(dtype))
    return _finish(memory.transpose(np.argsort(order)), requires_grad, device=device)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-d tensor over an object's memory (bytes, bytearray, array.array, mmap): no copy,
    so a change of one shows in the other. A read-only buffer warns, as torch; here its
    tensor refuses writes (torch writes into the supposedly read-only memory)."""
    dtype = dtypes.as_dtype(dtype, "frombuffer")
    view = memoryview(buffer).cast("B")
    length, itemsize = view.nbytes, dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"frombuffer: both buffer length ({length}) and count ({count}) must "
                         "not be 0")  # fmt: skip
    if not 0 <= offset < length:
        raise ValueError(f"frombuffer: offset ({offset} bytes) must be non-negative and no "
                         f"greater than buffer length ({length} bytes) minus 1")  # fmt: skip
    if count < 0:
        if (length - offset) % itemsize:
            raise ValueError(f"frombuffer: buffer length ({length - offset} bytes) after offset "
                             f"({offset} bytes) must be a multiple of element size ({itemsize})")  # fmt: skip
        count = (length - offset) // itemsize
    elif offset + count * itemsize > length:
        raise ValueError(f"frombuffer: requested buffer length ({count} * {itemsize} bytes) "
                         f"after offset ({offset} bytes) must not be greater than actual buffer "
                         f"length ({length} bytes)")  # fmt: skip
    if view.readonly:
        warnings.warn(
            "The given buffer is not writable, and PyTorch does not support non-writable "
            "tensors. This means you can write to the underlying (supposedly non-writable) "
            "buffer using the tensor. (Here the tensor refuses writes: copy the buffer, e.g. "
            "bytearray(b), to write.)",
            UserWarning,
            stacklevel=2,
        )
    array = np.frombuffer(view, dtype=np.dtype(dtype), count=count, offset=offset)
    return _finish(array, requires_grad)


def linspace(
    start, end, steps, dtype=None, device=None, requires_grad=False, layout=None
) -> Tensor:
    """steps evenly spaced values from start to end, both included (float32 and float64 as
    torch computes them, bit for bit)."""
    _layout("linspace", layout)
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ArgumentError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    array = cpu_math.linspace(start, end, steps, _dtype(dtype))
    return _finish(array, requires_grad, device=device)


def logspace(
    start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False, layout=None
):
    """base ** linspace(start, end, steps)."""
    _layout("logspace", layout)
    exponents = np.linspace(start, end, steps, dtype=np.float64)
    array = np.power(base, exponents).astype(_dtype(dtype))
    return _finish(array, requires_grad, device=device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    _layout("eye", layout)
    return _finish(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, device=device)


def _like(input, dtype):
    return dtypes.as_dtype(dtype) if dtype is not None else input.dtype


def _memory_order(op: str, shape: tuple, memory_format, like=None) -> tuple:
    """The dims in memory order, outermost first, of a new tensor: memory_format's, or for
    preserve_format (the *_like functions' default) like's own (by its strides, as torch)."""
    if like is not None and memory_format is None:
        memory_format = preserve_format  # torch's default for the *_like functions
    order = dims_in_memory(memory_format, len(shape), op)
    if order is not None:
        return order
    if like.is_contiguous():  # a meta tensor reads as contiguous
        return tuple(builtins.range(like.dim()))
    return stride_order(like.stride())  # its layout only, never its values (ad.compile)


def _laid_out(shape: tuple, order: tuple, make, *args) -> np.ndarray:
    """make(shape in memory order, *args) seen in the logical order of dims: its values fill
    memory in that order, as torch's kernels fill a tensor laid out so."""
    return make(tuple(shape[d] for d in order), *args).transpose(np.argsort(order))


def zeros_like(input, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:  # fmt: skip
    return _filled_like("zeros_like", input, 0, dtype, device, requires_grad, layout, memory_format)


def ones_like(input, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:  # fmt: skip
    return _filled_like("ones_like", input, 1, dtype, device, requires_grad, layout, memory_format)


def empty_like(input, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:  # fmt: skip
    """Zeros (uninitialised in torch; here no run depends on leftover memory)."""
    return _filled_like("empty_like", input, 0, dtype, device, requires_grad, layout,
                        memory_format)  # fmt: skip


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:  # fmt: skip
    return _filled_like("full_like", input, fill_value, dtype, device, requires_grad, layout,
                        memory_format)  # fmt: skip


def _filled_like(op, input, value, dtype, device, requires_grad, layout, memory_format):
    """A tensor of input's shape (in memory_format's order, input's own by default) holding
    value, in input's dtype unless dtype says."""
    _layout(op, layout)
    order = _memory_order(op, input.shape, memory_format, input)
    array = _laid_out(input.shape, order, np.full, value, _like(input, dtype))
    return _finish(array, requires_grad, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, n) row and column indices of the lower triangle of a row x col matrix, on and
    below the offset-th diagonal, row by row (int64 unless dtype says)."""
    _layout("tril_indices", layout)
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, np.tril_indices)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, n) indices of the upper triangle, on and above the offset-th diagonal."""
    _layout("triu_indices", layout)
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, np.triu_indices)


def _triangle_indices(op: str, row, col, offset, dtype, device, indices) -> Tensor:
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise ArgumentError(f"{op}: {name} must be non-negative, got {n}")
    dtype = dtypes.as_dtype(dtype, op) if dtype is not None else dtypes.int64
    if np.dtype(dtype).kind not in "iu":
        raise DtypeError(f"{op}: dtype must be an integer type, got {dtype}")
    pairs = np.stack(indices(row, offset, col)) if row and col else np.zeros((2, 0))
    return _finish(pairs.astype(dtype), False, device=device)


def rand(
    *sizes,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Uniform [0, 1): torch's numbers from the generator (default: ad.manual_seed's)."""
    _layout("rand", layout, pin_memory)
    dtype = _float_dtype(dtype, "rand")
    draws = random.uniform(_shape(sizes, "rand", size), dtype, generator=generator)
    return _finish(draws, requires_grad, device=device)


def randn(
    *sizes,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """Standard normal: torch's numbers from the generator (default: ad.manual_seed's). A
    complex dtype draws its real and imaginary parts as torch does: one real normal_ over the
    (..., 2) pairs with std 1/√2, so that E|z|² = 1."""
    _layout("randn", layout, pin_memory)
    shape = _shape(sizes, "randn", size)
    if _dtype(dtype).kind == "c":
        part = np.float64 if _dtype(dtype) == np.complex128 else np.float32
        pairs = random.normal(shape + (2,), part, std=1 / math.sqrt(2), generator=generator)
        return _finish(pairs.view(_dtype(dtype)).reshape(shape), requires_grad, device=device)
    dtype = _float_dtype(dtype, "randn")
    draws = random.normal(shape, dtype, generator=generator)
    return _finish(draws, requires_grad, device=device)


def rand_like(input, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:  # fmt: skip
    """rand over input's shape, drawn in the memory order of the result (memory_format's, or
    input's own: torch's fill runs along memory)."""
    _layout("rand_like", layout)
    dtype = _float_dtype(_like(input, dtype), "rand_like")
    order = _memory_order("rand_like", input.shape, memory_format, input)
    draws = _laid_out(input.shape, order, random.uniform, dtype)
    return _finish(draws, requires_grad, device=device)


def randn_like(input, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:  # fmt: skip
    """randn over input's shape, drawn along the result's memory (torch's normal_ takes its
    element-by-element path on a tensor not laid out row-major)."""
    _layout("randn_like", layout)
    dtype = _like(input, dtype)
    order = _memory_order("randn_like", input.shape, memory_format, input)
    if order == tuple(builtins.range(len(order))) or dtype.kind == "c":
        return randn(*input.shape, dtype=dtype, device=device, requires_grad=requires_grad)
    dtype = _float_dtype(dtype, "randn_like")
    draws = _laid_out(
        input.shape, order, lambda shape: random.normal(shape, dtype, contiguous=False)
    )
    return _finish(draws, requires_grad, device=device)


def randint(
    low, high=None, size=None, generator=None, dtype=None, device=None, layout=None
) -> Tensor:
    """Integers in [low, high) (torch.randint(high, size) or randint(low, high, size))."""
    _layout("randint", layout)
    if size is None and not isinstance(high, int | np.integer):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: give the size as a tuple, e.g. ad.randint(0, 10, (3,))")
    if high <= low:
        raise ArgumentError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = dtypes.as_dtype(dtype or np.int64)
    draws = random.integers(_shape((size,), "randint"), int(low), int(high), dtype, generator)
    return _finish(draws, False, device=device)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False,
                 layout=None, memory_format=None):  # fmt: skip
    """randint over input's shape, in input's dtype unless dtype says (torch.randint_like(x,
    high) or (x, low, high)), drawn along the result's memory."""
    _layout("randint_like", layout)
    if high is None:
        low, high = 0, low
    order = _memory_order("randint_like", input.shape, memory_format, input)
    physical = tuple(input.shape[d] for d in order)
    out = randint(low, high, physical, dtype=_like(input, dtype), device=device)
    if order != tuple(builtins.range(len(order))):
        out = out.permute(*np.argsort(order).tolist())
    return out.requires_grad_(True) if requires_grad else out


def randperm(n, generator=None, dtype=None, device=None, layout=None, pin_memory=False) -> Tensor:
    """A random permutation of 0..n-1, torch's for the same generator state."""
    _layout("randperm", layout, pin_memory)
    draws = random.permutation(int(n), generator, dtypes.as_dtype(dtype or np.int64))
    return _finish(draws, False, device=device)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Draws from N(mean, std²): numbers with size=, or tensors of means/stds (broadcast), in
    torch's steps: normal_(0, std) then + mean for a number std, else standard draws · std +
    mean (tensor ops, so ad.compile replays them)."""
    like = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    dtype = _float_dtype(dtype or like, "normal")
    if np.any((std.numpy(force=True) if isinstance(std, Tensor) else np.asarray(std)) < 0):
        raise ArgumentError("normal: std must be non-negative")
    if isinstance(std, Tensor):
        shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
        return randn(*shape, generator=generator, dtype=dtype, device=device) * std + mean
    if isinstance(mean, Tensor):
        draws = random.normal(mean.shape, dtype, 0.0, std, generator)
        return _finish(draws, False, device=device) + mean
    draws = random.normal(_shape((size,), "normal"), dtype, mean, std, generator)
    return _finish(draws, False, device=device)


def _float_dtype(dtype, op: str):
    dtype = _dtype(dtype)
    if not dtypes.is_float(dtype):
        raise DtypeError(
            f"{op}: draws are floating point; got dtype {dtype}. Use ad.randint for integers."
        )
    return dtype
