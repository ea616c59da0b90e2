"""The .safetensors format for state dicts, with the names of `safetensors.torch`: save_file,
load_file, save (to bytes) and load (from bytes), so weights move to and from PyTorch.

A file is an 8-byte little-endian header length, a JSON header {name: {"dtype", "shape",
"data_offsets"}, "__metadata__": {str: str}} and the raw little-endian bytes of every tensor.
Reading checks the header against the file before allocating: the header at most MAX_HEADER
bytes, no duplicate names, known dtypes, each tensor's bytes equal to its shape's, the
tensors tiling the data exactly; every refusal is a ValueError naming the file. BF16 tensors
are read and written as bfloat16 (ml_dtypes' NumPy type).
"""

import io
import json
import math
import struct
from pathlib import Path

import numpy as np

from . import dtypes
from .files import write_atomic
from .tensor import Tensor

MAX_HEADER = 100_000_000  # the limit of the reference implementation


def _little(dtype: np.dtype) -> str:
    """The little-endian form's name: a NumPy type string, or "bf16" (NumPy's "<V2")."""
    return "bf16" if dtype == dtypes.BF16 else dtype.newbyteorder("<").str


DTYPES = {  # safetensors' name -> NumPy's little-endian dtype
    "BOOL": "|b1",
    "U8": "|u1",
    "I8": "|i1",
    "I16": "<i2",
    "U16": "<u2",
    "I32": "<i4",
    "U32": "<u4",
    "I64": "<i8",
    "U64": "<u8",
    "F16": "<f2",
    "F32": "<f4",
    "F64": "<f8",
    "C64": "<c8",
    "BF16": dtypes.BF16,
}
_NAMES = {_little(np.dtype(code)): name for name, code in DTYPES.items()}


def _arrays(tensors: dict) -> dict:
    if not isinstance(tensors, dict):
        raise TypeError(
            f"safetensors: expected a dict of name -> tensor (a state_dict), got "
            f"{type(tensors).__name__}"
        )
    out = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"safetensors: the name {name!r} is not allowed; use other strings")
        array = value.numpy(force=True) if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray) or _little(array.dtype) not in _NAMES:
            kind = array.dtype if isinstance(array, np.ndarray) else type(value).__name__
            raise TypeError(
                f"safetensors: {name!r} is {kind}; the format stores tensors of "
                f"{sorted(set(_NAMES.values()))}"
            )
        out[name] = array
    return out


def _header(arrays: dict, metadata) -> bytes:
    header, offset = {}, 0
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors: metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    for name, array in arrays.items():
        header[name] = {
            "dtype": _NAMES[_little(array.dtype)],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the reference writer aligns the data to 8 bytes
    return struct.pack("<Q", len(text)) + text


def _write(f, tensors: dict, metadata) -> None:
    arrays = _arrays(tensors)
    f.write(_header(arrays, metadata))
    for array in arrays.values():
        f.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())


def save_file(tensors: dict, filename, metadata=None) -> None:
    """Write a state dict as a .safetensors file (atomically)."""
    _arrays(tensors)  # refuse before the file is touched
    write_atomic(Path(filename), lambda f: _write(f, tensors, metadata))


def save(tensors: dict, metadata=None) -> bytes:
    """The .safetensors bytes of a state dict."""
    buffer = io.BytesIO()
    _write(buffer, tensors, metadata)
    return buffer.getvalue()


def load_file(filename, device="cpu") -> dict:
    """Read a .safetensors file into {name: tensor}, in the file's order."""
    if str(device) != "cpu":
        raise ValueError(f"safetensors: device {device!r} is not available; use 'cpu'")
    path = Path(filename)
    try:
        with path.open("rb") as f:
            return _read(f, path.stat().st_size, repr(str(path)))
    except FileNotFoundError:
        raise FileNotFoundError(f"safetensors: no file at {str(path)!r}") from None


def load(data: bytes) -> dict:
    """{name: tensor} from .safetensors bytes."""
    return _read(io.BytesIO(data), len(data), "the given bytes")


def metadata(filename) -> dict:
    """The file's __metadata__ (strings), or {}."""
    path = Path(filename)
    with path.open("rb") as f:
        return _parse_header(f, path.stat().st_size, repr(str(path)))[0]


def _parse_header(f, size: int, source: str):
    """(metadata, [(name, code, shape, begin, stop)] in the header's order, data start)."""

    def fail(what):
        return ValueError(f"safetensors: {source} {what}; it is not a valid .safetensors file")

    if size < 8:
        raise fail("is shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", f.read(8))
    if n > min(MAX_HEADER, size - 8):
        raise fail(f"claims a header of {n} bytes (the file has {size})")
    try:
        header = json.loads(f.read(n), object_pairs_hook=_unique)
    except (ValueError, RecursionError) as e:
        raise fail(f"has no readable JSON header ({e})") from None
    if not isinstance(header, dict):
        raise fail("has a header that is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise fail("has __metadata__ that is not a map of strings")
    entries = [(name, *_entry(name, info, fail)) for name, info in header.items()]
    position = 0
    for name, _, _, begin, stop in sorted(entries, key=lambda e: e[3:]):
        if begin != position:  # the tensors tile the data: no gap, no overlap
            raise fail(f"has overlapping or gapped data at {name!r}")
        position = stop
    if 8 + n + position != size:
        raise fail(f"holds {size - 8 - n} data bytes but its tensors cover {position}")
    return meta, entries, 8 + n


def _entry(name, info, fail):
    """(code, shape, begin, stop) of one header entry, checked."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise fail(f"describes {name!r} without exactly dtype, shape and data_offsets")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in DTYPES:
        raise fail(f"gives {name!r} the dtype {code!r}, not one of {sorted(DTYPES)}")

    def counts(v):
        return isinstance(v, list) and all(type(x) is int and x >= 0 for x in v)

    if not counts(shape) or not counts(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        raise fail(f"gives {name!r} an invalid shape {shape!r} or data_offsets {offsets!r}")
    if math.prod(shape) * np.dtype(DTYPES[code]).itemsize != offsets[1] - offsets[0]:
        raise fail(f"gives {name!r} shape {shape} of {code} but {offsets[1] - offsets[0]} bytes")
    return code, tuple(shape), offsets[0], offsets[1]


def _unique(pairs) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate names {sorted({k for k in keys if keys.count(k) > 1})}")
    return dict(pairs)


def _read(f, size: int, source: str) -> dict:
    _, entries, start = _parse_header(f, size, source)
    out = {}
    for name, code, shape, begin, stop in entries:
        f.seek(start + begin)
        buffer = bytearray(stop - begin)  # bounded: the header was checked against the file
        if f.readinto(buffer) != len(buffer):
            raise ValueError(f"safetensors: {source} ends early at {name!r}")
        array = np.frombuffer(buffer, "<u2" if code == "BF16" else DTYPES[code]).reshape(shape)
        if code == "BF16":
            array = dtypes.bfloat16_bits(array)
        out[name] = Tensor._make(array.astype(array.dtype.newbyteorder("="), copy=False))
    return out
