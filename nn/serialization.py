"""nn.save / nn.load: state dicts as .npz files, written atomically (temp file + os.replace)."""

import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np


def save(obj, path) -> None:
    """Write a state dict (name -> array or tensor) to path as .npz; never leaves half a file."""
    if not isinstance(obj, dict):
        raise TypeError(
            f"save: expected a state dict (a dict of arrays), got {type(obj).__name__}. "
            "Save model.state_dict()."
        )
    arrays = {str(k): np.asarray(getattr(v, "data", v)) for k, v in obj.items()}
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see old or new, never half
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by save (keys in their saved order)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no checkpoint at {path!r}. Check the path (save writes "
            "exactly the name it is given)."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            return OrderedDict((k, data[k]) for k in data.files)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ValueError(
            f"load: {path!r} is not a readable .npz checkpoint ({e}). It may be "
            "truncated or not written by nn.save; re-save it."
        ) from e
