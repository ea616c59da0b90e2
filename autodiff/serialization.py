"""ad.save / ad.load as torch.save / torch.load, in a format that never runs code on load.

A file is a zip archive of stored (uncompressed) entries: structure.json describes the object
(dicts with any keys, lists, tuples, numbers, strings, None, and whole objects such as an
nn.Module by class path and state) and each array is one .npy entry, `0.npy`, `1.npy`, ...
Loading reads JSON and raw numbers only and bounds what it allocates by the file itself:

- every entry is stored, so the entries together hold at most the file's bytes; each is read
  at most once (two references to one entry give the same tensor, as torch's shared storage);
- a .npy header must agree with its entry's size and name a bool, integer, float or complex
  dtype before its array is allocated (autodiff.npyio);
- structure.json is at most MAX_STRUCTURE bytes, nests at most MAX_DEPTH containers deep, has
  no duplicate keys, and refers to arrays by integer indices that exist;
- a whole object is rebuilt only for a class already imported (loading never imports code)
  that rebuilds itself from data (`__from_saved_state__`) and is allowed: listed with
  add_safe_globals / safe_globals, or any such class under weights_only=False;
- a function or class held as a value (a layer's activation=F.relu) is stored by name, as
  pickle stores it, and found again only among modules already imported, allowed as above.

A checkpoint written by PyTorch's torch.save (a zip with a pickle) is read by
autodiff.torchfile, whose unpickler allows an exact list of globals only.

Every refusal of a file is a ValueError naming it. Writes stream into a temporary
file that is renamed over the target (autodiff.files), so an interrupted save leaves the old
file intact and a large state is never held twice in memory.
"""

import json
import sys
import types
import zipfile
from pathlib import Path

import numpy as np

from . import dtypes, torchfile
from .device import check as _device
from .errors import WeightsOnlyError
from .files import write_atomic
from .npyio import check_dtype, read_npy, write_npy
from .tensor import Tensor

__all__ = [
    "save",
    "load",
    "add_safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
    "safe_globals",
]

FORMAT = "autodiff-save-2"
READABLE = (FORMAT, "autodiff-save-1")  # version 1 files (before whole objects) read the same
MAX_DEPTH = 100  # containers inside containers; a state dict needs fewer than 10
MAX_STRUCTURE = 16 * 2**20  # bytes of structure.json; a 10,000-tensor state dict needs ~1 MB
STRUCTURE = "structure.json"

_safe = []  # classes allowed by add_safe_globals / safe_globals (torch.serialization's list)


# --- safe globals: which classes a weights-only load may rebuild -----------------------------


def add_safe_globals(safe_globals) -> None:
    """Allow these classes (or (class, "module.Name") pairs) to be rebuilt by ad.load, as
    torch.serialization.add_safe_globals."""
    _safe.extend(safe_globals)


def get_safe_globals() -> list:
    """The classes add_safe_globals allowed."""
    return list(_safe)


def clear_safe_globals() -> None:
    """Forget every class add_safe_globals allowed."""
    _safe.clear()


class safe_globals:
    """Context manager: these classes are allowed inside the block only."""

    def __init__(self, safe_globals):
        self.added = list(safe_globals)

    def __enter__(self):
        self.before = list(_safe)
        _safe.extend(self.added)
        return self

    def __exit__(self, *exc):
        _safe[:] = self.before
        return False


def _allowed(cls) -> bool:
    return any((c[0] if isinstance(c, tuple) else c) is cls for c in _safe)


# --- saving ----------------------------------------------------------------------------------


class _Encoder:
    """obj as JSON values; each array appended once to .arrays and referenced by index."""

    def __init__(self):
        self.arrays, self.index, self.active = [], {}, set()

    def array(self, key, array) -> int:
        if key not in self.index:  # the same tensor saved twice is stored once
            self.index[key] = len(self.arrays)
            self.arrays.append(array)
        return self.index[key]

    def encode(self, obj, where: str, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError(
                f"save: {where} nests more than {MAX_DEPTH} containers deep (or contains "
                "itself), which ad.load would refuse. Flatten it."
            )
        if isinstance(obj, Tensor):
            check_dtype(obj.dtype, f"save: {where}")
            if obj.dtype == dtypes.bfloat16:  # .npy has no bfloat16: its bits as uint16
                i = self.array(("tensor", id(obj)), obj.numpy(force=True).view(np.uint16))
                return {"tensor": i, "requires_grad": obj.requires_grad, "dtype": "bfloat16"}
            i = self.array(("tensor", id(obj)), obj.numpy(force=True))
            return {"tensor": i, "requires_grad": obj.requires_grad}
        if isinstance(obj, np.ndarray):
            check_dtype(obj.dtype, f"save: {where}")
            return {"ndarray": self.array(("ndarray", id(obj)), obj)}
        if isinstance(obj, np.generic):
            return obj.item()
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, _GLOBALS):
            return {"global": _global_path(obj, where)}
        if id(obj) in self.active:
            raise ValueError(f"save: {where} contains itself; ad.save stores trees only.")
        self.active.add(id(obj))
        try:
            return self.container(obj, where, depth + 1)
        finally:
            self.active.discard(id(obj))

    def container(self, obj, where: str, depth: int):
        if isinstance(obj, dict):
            return {
                "dict": [
                    [
                        self.encode(k, f"a key of {where}", depth),
                        self.encode(v, f"{where}[{k!r}]", depth),
                    ]
                    for k, v in obj.items()
                ]
            }
        if isinstance(obj, list | tuple):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.encode(v, f"{where}[{i}]", depth) for i, v in enumerate(obj)]}
        if hasattr(type(obj), "__from_saved_state__"):
            state = self.encode(obj.__saved_state__(), f"{where} ({type(obj).__name__})", depth)
            return {"object": _global_path(type(obj), where), "state": state}
        hint = " Save model.state_dict() instead." if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"save: {where} is a {type(obj).__name__}, which ad.save does not store (only "
            "tensors, arrays, numbers, strings, None, modules and dicts/lists/tuples of "
            f"them).{hint}"
        )


# what is stored by name: classes, and functions written in Python or C (F.relu, math.sqrt)
_GLOBALS = (type, types.FunctionType, types.BuiltinFunctionType)


def _global_path(obj, where: str) -> str:
    """ "module:Qual.Name" of a class or function, which load finds again among imported
    modules; a TypeError for one it could not find there (a lambda, a local definition)."""
    kind = "a class" if isinstance(obj, type) else "the function"
    path = f"{getattr(obj, '__module__', None)}:{getattr(obj, '__qualname__', '')}"
    if _find_global(path) is not obj:
        raise TypeError(
            f"save: {where} is {kind} {getattr(obj, '__qualname__', obj)!r}, which load could "
            "not find by its name (a lambda or a definition inside a function). Define it "
            "with def or class at the top level of a module."
        )
    return path


def save(obj, f, *, format: str = "autodiff") -> None:
    """Write obj (tensors, state dicts, optimizer states, nested containers, a whole module) to
    a path or a binary file object. format="torch" (this library's option; torch.save has no
    such argument) writes torch.save's own format instead, which PyTorch's
    torch.load(weights_only=True) reads: tensors, Parameters and containers, no modules."""
    if format == "torch":
        _write(f, lambda file: torchfile.save(obj, file))
        return
    if format != "autodiff":
        raise ValueError(f"save: format must be 'autodiff' or 'torch', got {format!r}")
    encoder = _Encoder()
    structure = json.dumps({"format": FORMAT, "object": encoder.encode(obj, "the object")})

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(STRUCTURE, structure)
            for i, array in enumerate(encoder.arrays):
                with archive.open(f"{i}.npy", "w", force_zip64=True) as entry:
                    write_npy(entry, array)

    _write(f, write)


def _write(f, write) -> None:
    """write(file) on a file object, or atomically onto a path."""
    if hasattr(f, "write"):
        write(f)
    else:
        write_atomic(Path(f), write)


# --- loading ---------------------------------------------------------------------------------


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None):
    """Read what ad.save wrote, or a checkpoint of PyTorch's torch.save (torch >= 1.6: state
    dicts, optimizer states, tensors, Parameters, containers; autodiff.torchfile reads its
    pickle through an allow-list, under weights_only=True and False alike). map_location may
    be None or 'cpu' (mmap is accepted; the values are the same); weights_only=False also
    rebuilds modules whose classes are imported but not listed in safe_globals (nothing is
    ever fully unpickled or imported)."""
    if pickle_module is not None:
        raise ValueError("load: pickle_module is not used: ad.load never unpickles.")
    if (
        map_location is not None
        and not callable(map_location)
        and not isinstance(map_location, dict)
    ):
        _device(map_location)
    source = _name(f)
    archive = _open(f, source)
    with archive:
        torchfile.refuse_torchscript(archive.namelist(), source)
        entries = _entries(archive, f, source)
        if torchfile.top_folder(entries) is not None:  # written by PyTorch's torch.save
            return torchfile.load(archive, entries, source, map_location)
        structure = _structure(archive, entries, source)
        return _Decoder(archive, entries, source, weights_only is False).decode(structure)


def _name(f) -> str:
    """How errors name the file: its path, or 'the file object' for an unnamed stream."""
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        return repr(str(name)) if isinstance(name, str | Path) else "the file object"
    return repr(str(f))


def _open(f, source: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(f if hasattr(f, "read") else Path(f))
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no file at {source}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"load: {source} is a folder; give a file") from None
    except (zipfile.BadZipFile, OSError) as e:
        if torchfile.looks_like_legacy(_head(f)):
            raise ValueError(
                f"load: {source} was written by torch.save before torch 1.6 (a bare pickle), "
                "which is not read since unpickling it can run code. In PyTorch >= 1.6, load "
                "it and save it again: torch.save(torch.load(path), path)."
            ) from None
        raise ValueError(
            f"load: {source} is not a file written by ad.save or torch.save ({e})."
        ) from None


def _head(f) -> bytes:
    """The first bytes of the file (the stream's position is put back)."""
    if hasattr(f, "read"):
        at = f.seek(0, 1)
        f.seek(0)
        head = f.read(len(torchfile.LEGACY_MAGIC))
        f.seek(at)
        return head
    with Path(f).open("rb") as file:
        return file.read(len(torchfile.LEGACY_MAGIC))


def _file_size(f, archive) -> int:
    if hasattr(f, "read"):
        return archive.fp.seek(0, 2)
    return Path(f).stat().st_size


def _entries(archive, f, source: str) -> dict:
    """{name: ZipInfo}, once each name, all stored, together no larger than the file."""
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"load: {source} has duplicate entries {twice}; it is damaged or crafted")
    compressed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
    if compressed:
        raise ValueError(
            f"load: {source} has compressed entries ({compressed[0]}, ...); ad.save and "
            "torch.save store entries uncompressed, so this file was not written by either"
        )
    if sum(i.file_size for i in infos) > _file_size(f, archive):
        raise ValueError(f"load: {source} claims entries larger than itself; it is crafted")
    return {i.filename: i for i in infos}


def _structure(archive, entries: dict, source: str):
    info = entries.get(STRUCTURE)
    if info is None:
        raise ValueError(f"load: {source} has no {STRUCTURE}; it was not written by ad.save")
    if info.file_size > MAX_STRUCTURE:
        raise ValueError(
            f"load: {source} has a {STRUCTURE} of {info.file_size} bytes, more than the "
            f"{MAX_STRUCTURE} this format allows"
        )
    try:
        structure = json.loads(archive.read(info), object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError(f"load: {source} nests its {STRUCTURE} too deeply") from None
    except (ValueError, zipfile.BadZipFile) as e:  # JSONDecodeError, UTF-8, CRC
        raise ValueError(f"load: {source} has no readable {STRUCTURE} ({e})") from None
    if not isinstance(structure, dict) or structure.get("format") not in READABLE:
        raise ValueError(f"load: {source} is not in the {FORMAT} format")
    if "object" not in structure:
        raise ValueError(f"load: {source} has a {STRUCTURE} without an object")
    return structure["object"]


def _unique_keys(pairs) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate keys {sorted({k for k in keys if keys.count(k) > 1})}")
    return dict(pairs)


class _Decoder:
    """The structure's nodes as Python objects; each array entry read at most once."""

    def __init__(self, archive, entries: dict, source: str, any_class: bool):
        self.archive, self.entries, self.source = archive, entries, source
        self.any_class = any_class
        self.count = sum(1 for name in entries if name != STRUCTURE)
        self.tensors, self.arrays = {}, {}

    def fail(self, what: str):
        return ValueError(f"load: {self.source} {what}; it is damaged or crafted")

    def decode(self, node, depth: int = 0):
        if not isinstance(node, dict):
            if isinstance(node, list):
                raise self.fail("has a bare JSON list where a value belongs")
            return node
        if depth >= MAX_DEPTH:
            raise self.fail(f"nests more than {MAX_DEPTH} containers deep")
        kinds = [k for k in node if k in _KINDS]
        if len(kinds) != 1 or set(node) - _KINDS[kinds[0]]:
            raise self.fail(f"has an entry of unknown kind {sorted(node)}")
        return getattr(self, f"_{kinds[0]}")(node, depth + 1)

    def _tensor(self, node, depth):
        i = self.index(node["tensor"])
        if i not in self.tensors:
            array = self.array(i)
            if node.get("dtype") == "bfloat16":
                if array.dtype != np.uint16:
                    raise self.fail(f"tensor {i} is marked bfloat16 but holds {array.dtype}")
                array = dtypes.bfloat16_bits(array)
            t = Tensor._make(array)
            if node.get("requires_grad", False) is True:
                try:
                    t.requires_grad_(True)
                except (RuntimeError, TypeError) as e:
                    raise ValueError(f"load: {self.source}: tensor {i}: {e}") from None
            self.tensors[i] = t
        return self.tensors[i]

    def _ndarray(self, node, depth):
        return self.array(self.index(node["ndarray"]))

    def _dict(self, node, depth):
        out = {}
        for item in self.items(node["dict"]):
            if not isinstance(item, list) or len(item) != 2:
                raise self.fail("has a dict item that is not a [key, value] pair")
            key = self.decode(item[0], depth)
            try:
                if key in out:
                    raise self.fail(f"has the key {key!r} twice in one dict")
            except TypeError:
                raise self.fail(f"has an unhashable dict key {key!r}") from None
            out[key] = self.decode(item[1], depth)
        return out

    def _list(self, node, depth):
        return [self.decode(v, depth) for v in self.items(node["list"])]

    def _tuple(self, node, depth):
        return tuple(self.decode(v, depth) for v in self.items(node["tuple"]))

    def _global(self, node, depth):
        return self.allowed(node["global"], "a reference to {}", "class or function")

    def _object(self, node, depth):
        cls = self.allowed(node["object"], "a whole {} object", "class", rebuilds=True)
        state = self.decode(node.get("state"), depth)
        try:
            return cls.__from_saved_state__(state)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            raise ValueError(
                f"load: {self.source}: the saved {node['object']} does not rebuild ({e})"
            ) from None

    def items(self, value):
        if not isinstance(value, list):
            raise self.fail("has a container whose items are not a list")
        return value

    def index(self, i) -> int:
        if type(i) is not int or not 0 <= i < self.count:  # bool, 0.9, "0" are refused
            raise self.fail(f"refers to array {i!r}, not an index below {self.count}")
        return i

    def array(self, i: int) -> np.ndarray:
        if i not in self.arrays:
            info = self.entries.get(f"{i}.npy")
            if info is None:
                raise self.fail(f"lacks array entry {i}.npy")
            with self.archive.open(info) as entry:
                where = f"load: {self.source}, entry {i}.npy,"
                self.arrays[i] = read_npy(entry, info.file_size, where)
        return self.arrays[i]

    def allowed(self, path, held: str, kind: str, rebuilds: bool = False):
        """The class or function at path, if imported and allowed (a class that rebuilds
        itself from data where the file holds its object). held: how errors name the
        file's entry ("a whole {} object"), kind: what path must name."""
        found = _find_global(path) if isinstance(path, str) else None
        if not isinstance(found, type if rebuilds else _GLOBALS):
            module = path.partition(":")[0] if isinstance(path, str) else path
            raise ValueError(
                f"load: {self.source} holds {held.format(path)}, but no {kind} of that name "
                f"is imported. Import {module} first (loading never imports code)."
            )
        if rebuilds and not hasattr(found, "__from_saved_state__"):
            raise ValueError(
                f"load: {self.source} names {path}, which is not a class ad.save stores"
            )
        if not (self.any_class or _allowed(found)):
            name = found.__qualname__
            raise WeightsOnlyError(
                f"load: {self.source} holds {held.format(path)}. Weights only load failed: "
                f"Unsupported global: GLOBAL {path.replace(':', '.')}. If you trust it, allow "
                f"it with torch.serialization.add_safe_globals([{name}]) or "
                f"`with torch.serialization.safe_globals([{name}]):` (every class and function "
                "the file holds), or pass weights_only=False; or save and load a state_dict."
            )
        return found


_KINDS = {
    "tensor": {"tensor", "requires_grad", "dtype"},  # dtype: "bfloat16" (stored as uint16)
    "ndarray": {"ndarray"},
    "dict": {"dict"},
    "list": {"list"},
    "tuple": {"tuple"},
    "object": {"object", "state"},
    "global": {"global"},
}


def _find_global(path: str):
    """What "module:Qual.Name" names among modules already imported, or None; looks up
    namespaces directly so no module or class code runs."""
    module_name, _, qualname = path.partition(":")
    obj = sys.modules.get(module_name)
    for part in qualname.split(".") if qualname else ():
        namespace = getattr(obj, "__dict__", None)
        obj = namespace.get(part) if namespace is not None else None
    return obj if qualname else None
