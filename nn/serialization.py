"""nn.save / nn.load: state dicts as .npz files (no pickle), and write_atomic, the one way the
project writes a file: a recognisable temp file beside the target, fsync, rename, fsync the
folder. Readers see the old file or the new one, never half; a killed writer's temp file is
removed by the next write of the same target; the file's mode follows the umask.
"""

import glob
import os
import secrets
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if os.name != "posix":  # no harmless probe elsewhere (os.kill ends the process on Windows)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: the process exists under another user
        return True
    return True


def remove_stale_temps(path) -> list:
    """Delete the temp files that killed writers of path left behind; returns their paths."""
    path = Path(path)
    removed = []
    for name in glob.glob(glob.escape(str(path.with_name(f".{path.name}.tmp-"))) + "*"):
        pid = Path(name).name.rsplit(".tmp-", 1)[1].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            Path(name).unlink(missing_ok=True)
            removed.append(Path(name))
    return removed


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)  # so the rename itself survives a power cut
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still done
    finally:
        os.close(fd)


def write_atomic(path, data) -> Path:
    """Write bytes, text or what data(file) writes to path atomically; returns the path."""
    path = Path(path)
    remove_stale_temps(path)
    tmp = _temp_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        # mode 0o666 lets the umask decide, as open() does (mkstemp would force 0600)
        with os.fdopen(os.open(tmp, flags, 0o666), "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


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
