"""nn.save / nn.load: state dicts as .npz files (no pickle), or as .safetensors files when the
name ends so, written with the engine's write_atomic (autodiff.files: temp file, fsync, rename;
never half a file). Loading bounds what it allocates by the file (autodiff.npyio) and names
what a file is when it is not a state dict nn.load reads."""

import os
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

import autodiff as ad
from autodiff import safetensors
from autodiff.files import write_atomic
from autodiff.npyio import ALLOWED_KINDS, read_npy, write_npy

KINDS = ALLOWED_KINDS + "US"  # numbers, and the strings np.savez keeps without pickle


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
        array = value.numpy(force=True) if isinstance(value, ad.Tensor) else np.asarray(value)
        if array.dtype.kind not in KINDS or array.dtype.fields is not None:
            what = "Python objects" if array.dtype.hasobject else "records"
            raise TypeError(
                f"save: {name!r} is an array of {what} ({array.dtype}), which cannot be saved "
                "without pickle. Save numbers: convert it, e.g. np.asarray(v, float)."
            )
        arrays[name] = array
    return arrays


def save(obj, path) -> None:
    """Write a state dict (str key -> array or tensor) to path as .npz, or as .safetensors when
    path ends in .safetensors; never leaves half a file."""
    if Path(path).suffix == ".safetensors":
        return safetensors.save_file(obj, path)
    arrays = _arrays(obj)

    def write(f):
        # np.savez(f, **arrays) would take keys 'file' and 'allow_pickle' as its own arguments
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    write_npy(member, array)

    write_atomic(path, write)


def load(path) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by save (.npz, keys in their saved order) or a .safetensors
    file (as tensors); never unpickles."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no checkpoint at {path!r}. Check the path (save writes "
            "exactly the name it is given)."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a folder; give the state dict's file.")
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(
            f"load: {path!r} is a single NumPy array (.npy), not a state dict; read it with "
            "np.load(path), or save a dict of arrays with nn.save."
        )
    if _is_safetensors(path, head):
        return OrderedDict(safetensors.load_file(path))
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_npz(archive, os.path.getsize(path), path)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(
            f"load: {path!r} is not a readable .npz checkpoint ({e}). It may be truncated or "
            "not written by nn.save; save the state dict again (the previous checkpoint of a "
            "run is kept until a new one is verified)."
        ) from None


def _is_safetensors(path: str, head: bytes) -> bool:
    if Path(path).suffix == ".safetensors":
        return True
    size = int.from_bytes(head, "little") if len(head) == 8 else 0
    if not 2 <= size <= os.path.getsize(path) - 8:
        return False
    with open(path, "rb") as f:
        f.seek(8)
        return f.read(1) == b"{"


def _read_npz(archive, file_size: int, path: str) -> OrderedDict:
    """Every entry read once, stored, no larger together than the file, each a .npy array."""
    infos = archive.infolist()
    names = [i.filename for i in infos]
    other = _other_format(names)
    if other:
        raise ValueError(f"load: {path!r} {other}")
    if len(set(names)) != len(names):
        raise ValueError(f"load: {path!r} has duplicate entries; it is damaged or crafted.")
    bad = [i.filename for i in infos if not i.filename.endswith(".npy")]
    if bad:
        raise ValueError(f"load: {path!r} has an entry {bad[0]!r} that is not a .npy array.")
    if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise ValueError(
            f"load: {path!r} has compressed entries (np.savez_compressed), which nn.load does "
            "not read, since their size is not bounded by the file. Save it with nn.save."
        )
    if sum(i.file_size for i in infos) > file_size:
        raise ValueError(f"load: {path!r} claims entries larger than itself; it is crafted.")
    out = OrderedDict()
    for info in infos:
        with archive.open(info) as entry:
            where = f"load: {path!r}, entry {info.filename!r},"
            out[info.filename[: -len(".npy")]] = read_npy(entry, info.file_size, where, KINDS)
    return out


def _other_format(names: list) -> str:
    """What a zip file is when it is not an .npz state dict, and which function reads it."""
    if any(n == "structure.json" for n in names):
        return (
            "was written by ad.save (torch.save under `autodiff run`), not nn.save; read it "
            "with ad.load(path)."
        )
    if any(n.endswith("data.pkl") for n in names):
        return (
            "is a PyTorch file (torch.save, pickle), which nn.load does not read; read it "
            "with ad.load(path) (torch.load, which reads torch's checkpoints without running "
            "code), or in PyTorch save the state dict with "
            "safetensors.torch.save_file(model.state_dict(), 'model.safetensors') for nn.load."
        )
    return ""
