"""ad.save / ad.load as torch.save / torch.load, in a format that never runs code on load.

A file is a zip archive: structure.json describes the object (dicts with any keys, lists,
tuples, numbers, strings, None) and each tensor or array is one .npy entry written with
allow_pickle=False. Loading reads JSON and raw arrays only, so a crafted file can give
wrong numbers at worst, never run a command. Writes go to a temporary file first and are
renamed over the target (autodiff.files), so an interrupted save leaves the old file intact.
"""

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from .device import check as _device
from .files import write_atomic
from .tensor import Tensor

FORMAT = "autodiff-save-1"


def _encode(obj, arrays: list, where: str):
    """obj as JSON values; tensors and arrays are appended to arrays and referenced."""
    if isinstance(obj, Tensor):
        arrays.append(obj.numpy())
        return {"tensor": len(arrays) - 1, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"save: {where} is an object array, which can't be saved safely.")
        arrays.append(obj)
        return {"ndarray": len(arrays) - 1}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        items = [
            [_encode(k, arrays, f"a key of {where}"), _encode(v, arrays, f"{where}[{k!r}]")]
            for k, v in obj.items()
        ]
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    hint = " Save model.state_dict() instead." if hasattr(obj, "state_dict") else ""
    raise TypeError(
        f"save: {where} is a {type(obj).__name__}, which ad.save does not store (only tensors, "
        f"arrays, numbers, strings, None and dicts/lists/tuples of them).{hint}"
    )


def _decode(obj, arrays, source: str):
    if isinstance(obj, dict):
        if "tensor" in obj:
            t = Tensor._make(arrays(obj["tensor"]))
            return t.requires_grad_(True) if obj.get("requires_grad") else t
        if "ndarray" in obj:
            return arrays(obj["ndarray"])
        if "dict" in obj:
            return {
                _key(_decode(k, arrays, source)): _decode(v, arrays, source) for k, v in obj["dict"]
            }
        if "list" in obj:
            return [_decode(v, arrays, source) for v in obj["list"]]
        if "tuple" in obj:
            return tuple(_decode(v, arrays, source) for v in obj["tuple"])
        raise ValueError(f"load: {source} has an entry of unknown kind {sorted(obj)}")
    return obj


def _key(k):
    return tuple(k) if isinstance(k, list) else k


def save(obj, f) -> None:
    """Write obj (tensors, state dicts, optimizer states, nested containers) to a path or a
    binary file object."""
    arrays = []
    structure = {"format": FORMAT, "object": _encode(obj, arrays, "the object")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("structure.json", json.dumps(structure))
        for i, array in enumerate(arrays):
            with archive.open(f"{i}.npy", "w", force_zip64=True) as entry:
                # ascontiguousarray makes a 0-d array 1-d: the shape is put back
                contiguous = np.ascontiguousarray(array).reshape(np.shape(array))
                np.lib.format.write_array(entry, contiguous, allow_pickle=False)
    if hasattr(f, "write"):
        f.write(buffer.getvalue())
        return
    write_atomic(Path(f), buffer.getvalue())


def load(f, map_location=None, weights_only=None):
    """Read what ad.save wrote. map_location may be None or 'cpu'; weights_only is accepted
    and always true in effect (nothing but data is ever read)."""
    if (
        map_location is not None
        and not callable(map_location)
        and not isinstance(map_location, dict)
    ):
        _device(map_location)
    source = getattr(f, "name", None) or str(f)
    try:
        archive = zipfile.ZipFile(f if hasattr(f, "read") else Path(f))
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no file at {source!r}") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(
            f"load: {source!r} is not a file written by ad.save ({e}). Files from torch.save "
            "(pickle) are not read, since unpickling can run code."
        ) from None
    with archive:
        try:
            structure = json.loads(archive.read("structure.json"))
        except (KeyError, ValueError) as e:
            raise ValueError(f"load: {source!r} has no readable structure.json ({e})") from None
        if not isinstance(structure, dict) or structure.get("format") != FORMAT:
            raise ValueError(f"load: {source!r} is not in the {FORMAT} format")

        def array(i):
            try:
                with archive.open(f"{int(i)}.npy") as entry:
                    return np.lib.format.read_array(entry, allow_pickle=False)
            except (KeyError, ValueError) as e:
                raise ValueError(f"load: {source!r} lacks or garbles array {i} ({e})") from None

        return _decode(structure["object"], array, repr(source))
