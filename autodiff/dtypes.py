"""Dtypes, the conversion of user data to arrays, and the checks binary ops make on their
operands (PyTorch's promotion rules, NumPy's broadcasting with the op named in errors)."""

import itertools

import ml_dtypes
import numpy as np

from .errors import ShapeError


class DType:
    """torch.dtype's twin. It prints as PyTorch's (`torch.float32`) and is its NumPy dtype to
    NumPy: `np.dtype(d)`, `dtype=d`, `d == np.float32`, hashing and NumPy's attributes
    (`d.kind`, `d.itemsize`) all go to `d.dtype`, the attribute NumPy reads."""

    __slots__ = ("dtype", "_name")

    def __init__(self, numpy_dtype, name: str):
        self.dtype = np.dtype(numpy_dtype)
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        if other is None:  # np.dtype(None) is float64
            return False
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __reduce__(self):  # copies and pickles are the one instance
        return (of, (self.dtype,))

    def __getattr__(self, name: str):
        return getattr(self.dtype, name)

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "ifc"


class _BFloat16(DType):
    """torch.bfloat16, held in ml_dtypes' NumPy bfloat16 (float32's upper half). NumPy files
    that type under kind "V", so this class answers the float questions itself; reading
    `.dtype` (how every bfloat16 array is made) turns on the ops' bfloat16 seam
    (function.py: compute in float32, round the result), which costs nothing until then."""

    __slots__ = ("_numpy",)
    # what tensor-level checks (`x.dtype.kind in "fc"`) see: a float; its arrays say "V"
    kind = "f"

    def __init__(self):
        self._numpy = BF16
        self._name = "bfloat16"

    @property
    def dtype(self):
        USED.bfloat16 = USED.special = True
        return self._numpy

    def __reduce__(self):
        return "bfloat16"

    def __hash__(self) -> int:
        return hash(self._numpy)

    @property
    def is_floating_point(self) -> bool:
        return True

    @property
    def is_signed(self) -> bool:
        return True


class USED:
    """Whether a bfloat16 array, a meta tensor's array or a sparse tensor's may exist yet, or
    a profile was started: Function.apply looks for those only once special is set (one check
    per op for all four; a program that never uses them pays that one check)."""

    bfloat16 = False
    meta = False
    sparse = False
    special = False  # any of them


BF16 = np.dtype(ml_dtypes.bfloat16)  # its NumPy dtype (kind "V": test with is_float)


def is_float(dtype) -> bool:
    """A real floating dtype (float16/32/64 or bfloat16), as torch's is_floating_point."""
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype == BF16


def bfloat16_bits(bits: np.ndarray) -> np.ndarray:
    """uint16 bits (a file's) as a bfloat16 array, noted for Function.apply's seam."""
    USED.bfloat16 = USED.special = True
    return bits.view(BF16)


def cast(array: np.ndarray, dtype) -> np.ndarray:
    """array.astype(dtype), rounding to bfloat16 as torch does: from float32, to nearest,
    ties to even (a wider or integer array goes to float32 first, as torch converts)."""
    dtype = np.dtype(dtype)
    if dtype == BF16 and array.dtype != BF16:
        USED.bfloat16 = USED.special = True
        if array.dtype != np.float32:
            array = array.astype(np.float32)
    return array.astype(dtype)


float16 = DType(np.float16, "float16")
float32 = DType(np.float32, "float32")
float64 = DType(np.float64, "float64")
int32 = DType(np.int32, "int32")
int64 = DType(np.int64, "int64")
bool_ = DType(np.bool_, "bool")
uint8 = DType(np.uint8, "uint8")
int8 = DType(np.int8, "int8")
int16 = DType(np.int16, "int16")
complex64 = DType(np.complex64, "complex64")
complex128 = DType(np.complex128, "complex128")
bfloat16 = _BFloat16()


class _ByNumpy(dict):
    """NumPy dtype -> its DType; a NumPy dtype torch has no name for gets NumPy's name."""

    def __missing__(self, key):
        value = self[key] = DType(key, key.name)
        return value


BY_NUMPY = _ByNumpy(
    (t.dtype, t)
    for t in (float16, float32, float64, int32, int64, bool_, uint8, int8, int16)
    + (complex64, complex128)
)
BY_NUMPY[BF16] = bfloat16


def of(numpy_dtype) -> DType:
    """The torch dtype of a NumPy dtype (what Tensor.dtype returns)."""
    return BY_NUMPY[np.dtype(numpy_dtype)]


# PyTorch's aliases: torch.float is float32, torch.long is int64, ...
ALIASES = {
    "float": float32,
    "double": float64,
    "half": float16,
    "long": int64,
    "int": int32,
    "short": int16,
    "bool": bool_,
    "cfloat": complex64,
    "cdouble": complex128,
}

# the legacy tensor type of each dtype (torch.FloatTensor, ...), as x.type() names it
TYPE_NAMES = {
    float32.dtype: "FloatTensor",
    float64.dtype: "DoubleTensor",
    float16.dtype: "HalfTensor",
    int64.dtype: "LongTensor",
    int32.dtype: "IntTensor",
    int16.dtype: "ShortTensor",
    int8.dtype: "CharTensor",
    uint8.dtype: "ByteTensor",
    bool_.dtype: "BoolTensor",
    complex64.dtype: "ComplexFloatTensor",
    complex128.dtype: "ComplexDoubleTensor",
    BF16: "BFloat16Tensor",
}


def of_type_name(name: str) -> DType:
    """The dtype of a legacy type's name ('torch.FloatTensor' -> float32), as x.type(name)."""
    for numpy_dtype, type_name in TYPE_NAMES.items():
        if name in (type_name, f"torch.{type_name}"):
            return of(numpy_dtype)
    raise ValueError(
        f"type: invalid type: {name!r}. Name a CPU tensor type such as 'torch.FloatTensor', "
        "'torch.LongTensor' or 'torch.BoolTensor', or give a dtype (torch.float32)."
    )


_default = float32.dtype  # a NumPy dtype: arrays are made with it


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python floats and lists of floats become (float32 or float64)."""
    global _default
    dtype = as_dtype(dtype, "set_default_dtype")
    if dtype == BF16:
        raise NotImplementedError(
            "set_default_dtype: bfloat16 as the default dtype is not supported here; make "
            "bfloat16 tensors with dtype=torch.bfloat16 or .bfloat16()."
        )
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default = dtype


def get_default_dtype() -> DType:
    """The dtype Python floats become."""
    return BY_NUMPY[_default]


def as_array(data, dtype=None) -> np.ndarray:
    """Python numbers/lists -> default float or int64; arrays keep their dtype; always a copy."""
    if dtype is not None and np.dtype(dtype) == BF16:  # rounded from float32, as torch's
        return cast(as_array(data), BF16)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data, dtype=dtype)
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as e:
        ragged = _ragged(data)
        if ragged is None:
            raise
        raise ValueError(
            f"tensor: the nested list is ragged: {ragged}. Every inner list at one depth must "
            "have the same length (pad them, or make one tensor per list)."
        ) from e
    if dtype is not None:
        return arr
    if arr.dtype.kind == "f":
        return arr.astype(_default)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind == "c":  # Python complex numbers: the default complex dtype, as torch
        return arr.astype(default_complex())
    raise TypeError(
        f"tensor: cannot make a tensor from {type(data).__name__} (numpy dtype {arr.dtype}). "
        "Pass numbers, nested lists of numbers or a NumPy array."
    )


def _ragged(data, depth: int = 0):
    """Where a nested list stops being rectangular ('at dim 1: lengths 2 and 1'), or None."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    lengths = [f"length {len(x)}" if isinstance(x, (list, tuple)) else "a number" for x in data]
    other = next((n for n in lengths if n != lengths[0]), None)
    if other is not None:
        return f"at dim {depth + 1}, {lengths[0]} and {other}"
    for x in data:
        found = _ragged(x, depth + 1)
        if found:
            return found
    return None


def check_broadcast(op: str, *operands) -> None:
    """Nothing when the operands broadcast (NumPy's rule); else a ValueError naming op, the
    shapes and the first dim whose sizes clash."""
    shapes = [getattr(x, "shape", ()) for x in operands]
    out = shapes[0]
    for shape in shapes[1:]:
        if shape == out or not shape:
            continue
        merged = []
        for d, (x, y) in enumerate(itertools.zip_longest(shape[::-1], out[::-1], fillvalue=1)):
            if x != y and x != 1 and y != 1:
                _raise_broadcast(op, shapes, -1 - d)
            merged.append(y if x == 1 else x)
        out = tuple(merged[::-1])


def _raise_broadcast(op: str, shapes: list, dim: int):
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    sizes = " vs ".join(str(p[dim]) for p in padded)
    shown = " and ".join(str(tuple(s)) for s in shapes)
    raise ShapeError(
        f"{op}: shapes {shown} do not broadcast (sizes {sizes} at dim {dim}; aligned from the "
        "last dim, sizes must be equal or 1). Reshape or unsqueeze an operand, e.g. "
        "x.unsqueeze(-1), so the sizes match."
    )


def dimensioned_dtype(x: np.ndarray, y: np.ndarray) -> tuple:
    """torch's rule for a 0-d tensor meeting a tensor with dims of the same category (bool,
    integer, float, complex): the computation takes the dims' dtype (a float64 0-d tensor
    times a float32 matrix is float32), where NumPy would promote to the wider one."""
    if (x.ndim == 0) == (y.ndim == 0) or x.dtype == y.dtype:
        return x, y
    scalar, other = (x, y) if x.ndim == 0 else (y, x)
    if _CATEGORY[_kind_of(scalar.dtype)] != _CATEGORY[_kind_of(other.dtype)]:
        return x, y
    cast = scalar.astype(other.dtype)
    return (cast, y) if x.ndim == 0 else (x, cast)


def _kind(x) -> str:
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        return kind if kind in "fc" else "i"  # bool and unsigned count as integers
    if isinstance(x, complex):
        return "C"
    return "F" if isinstance(x, float) else "n"  # a Python float, or another number


def _complex_operands(x, y, kx: str, ky: str) -> tuple:
    """torch's rule with a complex operand: an integer tensor takes the complex tensor's dtype
    (a Python complex: the default complex dtype), where NumPy would give complex128."""
    target = x.dtype if kx == "c" else y.dtype if ky == "c" else default_complex()
    return (x.astype(target) if kx == "i" else x), (y.astype(target) if ky == "i" else y)


def default_complex() -> np.dtype:
    """The complex dtype of the default float's precision (complex64 for float32)."""
    return np.dtype(np.complex128 if _default == np.float64 else np.complex64)


def promote(x, y, divide: bool = False) -> tuple:
    """Operands cast by torch's rule where NumPy's differs: an integer tensor meeting a float
    takes that tensor's float dtype (a Python float: the default), and integers divide to the
    default float, so an integer tensor never raises float32 to float64."""
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common cases, decided cheaply
        if type(y) is not np.ndarray:
            return x, y
        if y.dtype.kind == "f":
            return (x, y) if x.dtype is y.dtype else dimensioned_dtype(x, y)
    elif type(y) is np.ndarray and y.dtype.kind == "f" and type(x) is not np.ndarray:
        return x, y
    kx, ky = _kind(x), _kind(y)
    if kx == ky and kx in "ic":
        x, y = dimensioned_dtype(x, y)
    if kx == ky == "f" or "i" not in (kx, ky):
        return x, y
    if kx in "cC" or ky in "cC":
        return _complex_operands(x, y, kx, ky)
    if kx == "f" or ky == "f":
        float_dtype = (x if kx == "f" else y).dtype
    elif "F" in (kx, ky) or divide:
        float_dtype = _default
    else:
        return x, y
    return (x.astype(float_dtype) if kx == "i" else x), (y.astype(float_dtype) if ky == "i" else y)


def as_dtype(dtype, op: str = "dtype") -> np.dtype:
    """A NumPy dtype from a dtype, a NumPy type, a Python type or a name ('float32', 'long')."""
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.").removeprefix("autodiff.")
        dtype = ALIASES.get(name) or (bfloat16 if name == "bfloat16" else name)
    if isinstance(dtype, DType):
        return dtype.dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{op}: {dtype!r} is not a dtype. Use ad.float32, ad.float64, ad.int64, ad.bool, ..."
        ) from None


class finfo:
    """torch.finfo: the limits of a floating dtype, as Python floats."""

    def __init__(self, type=None):
        info = np.finfo(_default if type is None else as_dtype(type, "finfo"))
        self.bits = info.bits
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0**-info.precision
        self.dtype = info.dtype.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """torch.iinfo: the limits of an integer dtype."""

    def __init__(self, type):
        info = np.iinfo(as_dtype(type, "iinfo"))
        self.bits, self.min, self.max, self.dtype = (
            info.bits,
            int(info.min),
            int(info.max),
            info.dtype.name,
        )

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# --- torch's promotion rules, as functions (torch.promote_types, result_type, can_cast) -----
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex


def _kind_of(dtype: np.dtype) -> str:
    """NumPy's kind letter, with bfloat16 (NumPy's "V") counted as the float it is."""
    return "f" if dtype == BF16 else dtype.kind


def promote_types(type1, type2) -> DType:
    """The smallest dtype both cast to safely, by torch's rule: within a category NumPy's
    (int8 and uint8 give int16), across categories the higher category's dtype (int64 and
    float32 give float32, unlike NumPy's float64); complex keeps a float64's precision."""
    a, b = as_dtype(type1, "promote_types"), as_dtype(type2, "promote_types")
    return of(_promote(a, b))


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    if _CATEGORY[_kind_of(a)] == _CATEGORY[_kind_of(b)]:
        return np.promote_types(a, b)
    high, low = (a, b) if _CATEGORY[_kind_of(a)] > _CATEGORY[_kind_of(b)] else (b, a)
    if _kind_of(high) == "c" and _kind_of(low) == "f":
        return np.promote_types(high, low)  # complex64 and float64: complex128
    return high


def result_type(tensor1, tensor2) -> DType:
    """The dtype an arithmetic op on these operands gives (torch.result_type): tensors with
    dims decide first, then 0-d tensors, then Python numbers, each only where it brings a
    higher category (a float tensor and a float64 0-d tensor: the tensor's float)."""
    groups = [None, None, None]  # dtype of tensors with dims, of 0-d tensors, of numbers
    for x in (tensor1, tensor2):
        rank, dtype = _operand(x)
        groups[rank] = dtype if groups[rank] is None else _promote(groups[rank], dtype)
    dims, zero_d, numbers = groups
    return of(_combine(dims, _combine(zero_d, numbers)))


def _operand(x) -> tuple:
    """(group, dtype): 0 a tensor with dims, 1 a 0-d tensor, 2 a Python number."""
    if isinstance(x, (bool, np.bool_)):
        return 2, np.dtype(np.bool_)
    if isinstance(x, (int, np.integer)):
        return 2, np.dtype(np.int64)
    if isinstance(x, (float, np.floating)):
        return 2, _default
    if isinstance(x, complex):
        return 2, np.dtype(np.complex128 if _default == np.float64 else np.complex64)
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        raise TypeError(f"result_type: expects tensors or numbers, got {type(x).__name__}")
    return (0 if np.ndim(x) else 1), as_dtype(dtype, "result_type")


def _combine(higher, lower):
    """torch's combine_categories: a lower group changes the dtype only by a higher category."""
    if higher is None:
        return lower
    if lower is None or _kind_of(higher) == "c":
        return higher
    if _kind_of(lower) == "c":  # the complex type of higher's precision (NumPy has no complex32)
        return np.result_type(higher, np.complex64) if _kind_of(higher) == "f" else lower
    if _kind_of(higher) == "f":
        return higher
    if _kind_of(higher) == "b" or _kind_of(lower) == "f":
        return _promote(higher, lower)
    return higher


def can_cast(from_, to) -> bool:
    """Whether torch's casting rule allows from_ -> to: not complex to real, not floating to
    integer, not anything but bool to bool (torch.can_cast)."""
    a, b = as_dtype(from_, "can_cast"), as_dtype(to, "can_cast")
    if _kind_of(a) == "c" and _kind_of(b) != "c":
        return False
    if _kind_of(a) == "f" and _kind_of(b) in "iub":
        return False
    return not (_kind_of(a) != "b" and _kind_of(b) == "b")
