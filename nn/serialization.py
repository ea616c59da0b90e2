"""nn.save / nn.load: state dicts as .npz files (no pickle), written with the engine's
write_atomic (autodiff.files: temp file, fsync, rename; never half a file)."""

import os
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from autodiff.files import write_atomic


def _arrays(obj) -> dict:
    """The state dict as {str key: array}, refusing what cannot be saved before anything is."""
    if not isinstance(obj, dict):
        raise TypeError(
            f"save: expected a state dict (a dict of arrays), got {type(obj).__name__}. "
            "Save model.state_dict()."
        )
    arrays, keys = {}, {}
    for key, value in obj.items():
        name = str(key)
        if keys.setdefault(name, key) is not key:
            raise ValueError(
                f"save: keys {keys[name]!r} and {key!r} both save as {name!r}. Rename one."
            )
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(
                f"save: {name!r} is an array of Python objects ({array.dtype}), which cannot be "
                "saved without pickle. Save numbers: convert it, e.g. np.asarray(v, float)."
            )
        arrays[name] = array
    return arrays


def save(obj, path) -> None:
    """Write a state dict (str key -> array or tensor) to path as .npz; never leaves half a file."""
    arrays = _arrays(obj)

    def write(f):
        # np.savez(f, **arrays) would take keys 'file' and 'allow_pickle' as its own arguments
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    write_atomic(path, write)


def load(path) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by save (keys in their saved order); never unpickles."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no checkpoint at {path!r}. Check the path (save writes "
            "exactly the name it is given)."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            return OrderedDict((k, data[k]) for k in data.files)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error) as e:
        raise ValueError(
            f"load: {path!r} is not a readable .npz checkpoint ({e}). It may be "
            "truncated or not written by nn.save; re-save it."
        ) from e
