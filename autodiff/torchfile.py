"""PyTorch's own checkpoint files (torch.save since torch 1.6), read without running code.

Such a file is a zip archive `<top>/data.pkl` (a pickle of the object), `<top>/data/<key>`
(each storage's raw bytes), `<top>/byteorder` and `<top>/version`; the top folder's name
varies. Unpickling can call any function a file names, so data.pkl is read by an unpickler
that looks up an exact allow-list only (what torch's weights_only unpickler allows for state
dicts and optimizer states: OrderedDict, the tensor and Parameter rebuilders, storage types,
dtypes, torch.Size, torch.device, set, complex, bytes) and that refuses every other global,
every callable outside that list and every attribute set except an OrderedDict's. What a file
may make us allocate stays bounded by its size:

- every entry is stored, and the entries together are no larger than the file
  (serialization._entries checks both before this module reads anything);
- a storage is read once, and only when its entry holds exactly the bytes its numel claims;
  every tensor is a NumPy view of its storage checked against the storage's size first, so
  two tensors on one storage share memory, as torch's;
- the pickle's own objects grow at most linearly with data.pkl's bytes (it is run by the
  pure-Python unpickler, whose reads never allocate more than the bytes that exist).
"""

import codecs
import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

from . import dtypes
from .device import device
from .errors import WeightsOnlyError
from .ops.strided import may_overlap
from .size import Size
from .tensor import Tensor

_parameter_class = None  # nn.Parameter, which nn registers (the engine never imports nn)


def register_parameter_class(cls) -> None:
    """The class a rebuilt torch.nn.Parameter becomes (nn calls this as it is imported;
    without nn a Parameter comes back as a Tensor that keeps its requires_grad)."""
    global _parameter_class
    _parameter_class = cls


class Refused(Exception):
    """A file that this reader does not read; turned into a ValueError naming the file."""


# --- what a storage type names --------------------------------------------------------------

_STORAGES = {  # torch's legacy storage class names -> the NumPy dtype of their elements
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
    "UntypedStorage": np.uint8,  # bytes, as torch's
}


class _StorageType:
    """What find_class gives for torch.FloatStorage & co.: the name and its element dtype."""

    def __init__(self, name: str):
        self.name, self.dtype = name, np.dtype(_STORAGES[name])


# --- the allow-list --------------------------------------------------------------------------


def _latin1(text, encoding):
    """_codecs.encode as protocol 2 pickles bytes: text.encode('latin1') only."""
    if not isinstance(text, str) or encoding != "latin1":
        raise Refused(f"_codecs.encode({type(text).__name__}, {encoding!r}) is not bytes")
    return text.encode("latin1")


def _bytearray(data=b""):
    """bytearray of bytes only: bytearray(10**12) would allocate what the file never held."""
    if not isinstance(data, bytes):
        raise Refused(f"bytearray of a {type(data).__name__} (only of bytes)")
    return bytearray(data)


def _set(items=()):
    return set(items)


def _complex(real=0.0, imag=0.0):
    if not all(isinstance(v, int | float) for v in (real, imag)):
        raise Refused("complex of values that are not numbers")
    return complex(real, imag)


def _size(dims=()):
    dims = tuple(dims)
    if not all(type(n) is int for n in dims):
        raise Refused(f"torch.Size of {dims!r}, not of ints")
    return Size(dims)


def _device(kind, index=None):
    return device(kind if index is None else f"{kind}:{index}")


_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"]
_DTYPES += ["complex64", "complex128", "bfloat16"]
_FUNCTIONS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): "tensor_v2",
    ("torch._utils", "_rebuild_tensor"): "tensor",
    ("torch._utils", "_rebuild_tensor_v3"): "tensor_v3",
    ("torch._utils", "_rebuild_parameter"): "parameter",
    ("torch._utils", "_rebuild_parameter_with_state"): "parameter_with_state",
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("_codecs", "encode"): _latin1,
    ("builtins", "set"): _set,
    ("builtins", "complex"): _complex,
    ("builtins", "bytearray"): _bytearray,
    ("torch", "bool"): dtypes.bool_,
    **{("torch", name): getattr(dtypes, name) for name in _DTYPES},
    **{("torch", f"uint{n}"): dtypes.of(f"uint{n}") for n in (16, 32, 64)},  # NumPy's names
}


# --- the unpickler ---------------------------------------------------------------------------


class _Unpickler(pickle._Unpickler):
    """The pure-Python unpickler with find_class, REDUCE, NEWOBJ and BUILD restricted to the
    allow-list; persistent ids are storages of the archive."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data: bytes, reader):
        super().__init__(io.BytesIO(data))
        self.reader = reader
        self.callables = {}  # id -> each callable find_class gave (only those may be called)

    def find_class(self, module, name):
        module = "builtins" if module == "__builtin__" else module
        if module in ("torch", "torch.storage") and name in _STORAGES:
            return _StorageType(name)
        if module == "torch" and name == "BFloat16Storage":
            raise Refused(
                "a bfloat16 tensor, which NumPy (what holds this library's tensors) has no "
                "type for. In PyTorch, convert it with .float() before saving"
            )
        if (module, name) not in _FUNCTIONS:
            raise Refused(f"GLOBAL {module}.{name}")
        found = _FUNCTIONS[module, name]
        if isinstance(found, str):  # a rebuilder, bound to this file's reader
            found = getattr(self.reader, f"rebuild_{found}")
        if callable(found) and not isinstance(found, dtypes.DType):
            self.callables[id(found)] = found
        return found

    def persistent_load(self, pid):
        return self.reader.storage(pid)

    def call(self, func, args):
        if self.callables.get(id(func)) is not func:
            raise Refused(f"a call of {type(func).__name__} {func!r:.60}")
        if not isinstance(args, tuple):
            raise Refused("a call whose arguments are not a tuple")
        try:
            return func(*args)
        except Refused:
            raise
        except (TypeError, ValueError, RuntimeError) as e:
            name = getattr(func, "__name__", func)
            raise Refused(f"a call that fails: {name}{args!r:.80} ({e})") from None

    def load_reduce(self):
        """REDUCE and NEWOBJ: an allowed callable of its arguments (NEWOBJ's cls.__new__
        would skip nothing an allowed class needs, so both call it)."""
        args = self.stack.pop()
        self.stack[-1] = self.call(self.stack[-1], args)

    def load_build(self):
        """Only an OrderedDict's attributes (a state_dict's _metadata) are set."""
        state = self.stack.pop()
        inst = self.stack[-1]
        if not (type(inst) is OrderedDict and isinstance(state, dict)):
            raise Refused(f"setting the state of a {type(inst).__name__}")
        if not all(isinstance(k, str) and not k.startswith("__") for k in state):
            raise Refused("setting an OrderedDict attribute that is not a plain name")
        inst.__dict__.update(state)

    def target(self, kind):
        """The container below the values an opcode adds, if it is of kind (dict, list, set):
        a tensor's __setitem__ or an object's append is never called for a file."""
        target = self.stack[-1]
        if type(target) not in kind:
            raise Refused(f"adding items to a {type(target).__name__}")
        return target

    def load_setitem(self):
        value, key = self.stack.pop(), self.stack.pop()
        self.target((dict, OrderedDict))[key] = value

    def load_setitems(self):
        items = self.pop_mark()
        target = self.target((dict, OrderedDict))
        for i in range(0, len(items), 2):  # an odd count: IndexError, a garbled file
            target[items[i]] = items[i + 1]

    def load_append(self):
        value = self.stack.pop()
        self.target((list,)).append(value)

    def load_appends(self):
        items = self.pop_mark()
        self.target((list,)).extend(items)

    def load_additems(self):
        items = self.pop_mark()
        self.target((set,)).update(items)

    def refuse(self):
        raise Refused("a pickle opcode that a checkpoint never holds")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_reduce
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.APPEND[0]] = load_append
    dispatch[pickle.APPENDS[0]] = load_appends
    dispatch[pickle.ADDITEMS[0]] = load_additems
    # objects by keyword arguments, by class name, and by the extension registry
    for code in (pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ, pickle.EXT1, pickle.EXT2, pickle.EXT4):
        dispatch[code[0]] = refuse


# --- the reader ------------------------------------------------------------------------------


class Reader:
    """One torch archive: its storages, read once each, and the tensors made on them."""

    def __init__(self, archive, entries: dict, top: str, map_location):
        self.archive, self.entries, self.top = archive, entries, top
        self.map_location = map_location
        self.storages = {}  # key -> 1-d NumPy array of the storage's elements
        self.swap = self.byteorder() == "big"

    def byteorder(self) -> str:
        info = self.entries.get(f"{self.top}/byteorder")
        order = self.archive.read(info).decode("ascii", "replace") if info else "little"
        if order not in ("little", "big"):
            raise Refused(f"byteorder {order[:20]!r} (neither little nor big)")
        return order

    def storage(self, pid) -> np.ndarray:
        """('storage', type, key, location, numel) -> the storage's elements, read once."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise Refused(f"a persistent id {pid!r:.80} that is not a storage")
        _, kind, key, location, numel = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, str):
            raise Refused(f"a storage {pid!r:.80} without a storage type and key")
        if type(numel) is not int or numel < 0:
            raise Refused(f"storage {key!r} of {numel!r} elements")
        self.check_location(location)
        if key not in self.storages:
            self.storages[key] = self.read(key, kind.dtype, numel)
        array = self.storages[key]
        if array.dtype != kind.dtype or array.size != numel:
            raise Refused(f"storage {key!r} named twice with different types or sizes")
        return array

    def check_location(self, location) -> None:
        if isinstance(location, bytes):
            location = location.decode("ascii", "replace")
        if not isinstance(location, str):
            raise Refused(f"a storage location {location!r:.40}")
        if location != "cpu" and self.map_location is None:
            raise RuntimeError(
                f"load: the file holds tensors saved on {location!r}, and autodiff runs on "
                "the CPU only. Pass map_location='cpu' (or torch.device('cpu')) to load them "
                "onto the CPU."
            )

    def read(self, key: str, dtype: np.dtype, numel: int) -> np.ndarray:
        info = self.entries.get(f"{self.top}/data/{key}")
        if info is None:
            raise Refused(f"storage {key!r}, which has no entry data/{key}")
        if numel * dtype.itemsize != info.file_size:
            raise Refused(
                f"storage {key!r} of {numel} x {dtype} ({numel * dtype.itemsize} bytes) in an "
                f"entry of {info.file_size} bytes"
            )
        buffer = bytearray(info.file_size)  # bounded: the entry's bytes are in the file
        with self.archive.open(info) as entry:
            if entry.readinto(buffer) != len(buffer):
                raise Refused(f"storage {key!r}, whose entry ends early")
        array = np.frombuffer(buffer, dtype.newbyteorder(">" if self.swap else "<"))
        return array.astype(dtype) if self.swap else array

    # the rebuilders torch's pickle calls (found by find_class as rebuild_<name>)

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        return self.rebuild_tensor_v2(storage, storage_offset, size, stride, False, {})

    def rebuild_tensor_v2(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None
    ):
        if not isinstance(storage, np.ndarray):
            raise Refused(f"a tensor on a {type(storage).__name__}, not on a storage")
        if backward_hooks or metadata:  # hooks are never saved; metadata: conj or neg bits
            raise Refused("a tensor with backward hooks or conj/neg bits")
        if type(requires_grad) is not bool:
            raise Refused(f"a tensor with requires_grad={requires_grad!r:.20}")
        view = _view(storage, storage_offset, size, stride)
        t = Tensor._make(view)
        if requires_grad:
            t.requires_grad_(True)  # an integer tensor's TypeError/RuntimeError: refused
        return t

    def rebuild_tensor_v3(
        self, storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
    ):
        """torch's rebuilder for the dtypes without a legacy storage type (uint16, ...): an
        untyped storage (bytes) viewed as dtype."""
        if not isinstance(dtype, dtypes.DType) or dtype is dtypes.bfloat16:
            raise Refused(f"a tensor of dtype {dtype!r:.40}")
        if not isinstance(storage, np.ndarray) or storage.dtype != np.uint8:
            raise Refused("a tensor of rebuild v3 on a storage that is not untyped")
        if storage.size % dtype.itemsize:
            raise Refused(f"a storage of {storage.size} bytes viewed as {dtype}")
        typed = storage.view(dtype.dtype)
        args = (offset, size, stride, requires_grad, backward_hooks, metadata)
        return self.rebuild_tensor_v2(typed, *args)

    def rebuild_parameter(self, data, requires_grad, backward_hooks):
        if not isinstance(data, Tensor) or type(requires_grad) is not bool or backward_hooks:
            raise Refused("a Parameter that is not a tensor without hooks")
        if _parameter_class is None or data.dtype.kind not in "fc":
            # without nn, or an integer Parameter (torch's; nn.Parameter holds floats only,
            # so it would change the dtype): a Tensor with the same values and requires_grad
            return data.requires_grad_(requires_grad)
        return _parameter_class(data, requires_grad)

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        if state:
            raise Refused("a Parameter with attributes of its own (a Parameter subclass?)")
        return self.rebuild_parameter(data, requires_grad, backward_hooks)


def _view(storage: np.ndarray, offset, size, stride) -> np.ndarray:
    """The tensor's array: a view of storage, its geometry checked against storage's size."""
    if not (isinstance(size, tuple) and isinstance(stride, tuple)):
        raise Refused(f"a tensor of size {size!r:.40} and stride {stride!r:.40}, not tuples")
    numbers = (offset, *size, *stride)
    if len(size) != len(stride) or not all(type(n) is int and n >= 0 for n in numbers):
        raise Refused(f"a tensor of size {size}, stride {stride} and offset {offset!r:.20}")
    end = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if end > storage.size:
        raise Refused(
            f"a tensor of size {list(size)}, stride {list(stride)} and offset {offset} that "
            f"reaches element {end} of a storage of {storage.size}"
        )
    if end == 0:  # no elements: torch's offset may lie past an empty storage's end
        return np.empty(size, storage.dtype)
    strides = [s * storage.itemsize for s in stride]
    # a view whose base is the storage (storage.root finds it: tensors on it share memory)
    view = np.ndarray(size, storage.dtype, storage, offset * storage.itemsize, strides)
    if may_overlap(size, stride):  # an expanded tensor: read-only, as ad.expand's
        view.flags.writeable = False
    return view


# --- entry point -----------------------------------------------------------------------------


def top_folder(entries: dict) -> str | None:
    """The archive's top folder if it is torch's format (one <top>/data.pkl), else None."""
    tops = [name[: -len("/data.pkl")] for name in entries if name.endswith("/data.pkl")]
    tops = [top for top in tops if "/" not in top]
    return tops[0] if len(tops) == 1 else None


def load(archive, entries: dict, source: str, map_location):
    """The object a torch.save archive holds, unpickled through the allow-list only."""
    top = top_folder(entries)
    try:
        reader = Reader(archive, entries, top, map_location)
        return _Unpickler(archive.read(entries[f"{top}/data.pkl"]), reader).load()
    except Refused as e:
        raise WeightsOnlyError(
            f"load: {source} is a torch.save checkpoint that asks for {e}. Weights only load "
            "failed: only tensors, Parameters, state dicts, optimizer states, numbers, "
            "strings and containers of them are read (the globals torch's weights_only load "
            "allows for them), since unpickling anything else can run code."
        ) from None
    except RecursionError:
        raise ValueError(f"load: {source} nests its data.pkl too deeply") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError) as e:
        raise ValueError(
            f"load: {source} has a data.pkl that is not a readable checkpoint ({e}); it is "
            "damaged or crafted"
        ) from None
    except (AttributeError, OverflowError, UnicodeDecodeError, MemoryError) as e:
        raise ValueError(f"load: {source} has a garbled data.pkl ({e})") from None


def refuse_torchscript(names: list, source: str) -> None:
    """A TorchScript archive (torch.jit.save) holds code: it is refused by name."""
    if any(name.endswith("/constants.pkl") and name.count("/") == 1 for name in names):
        raise ValueError(
            f"load: {source} is a TorchScript archive (torch.jit.save), which is not read. "
            "In PyTorch, torch.save(model.state_dict(), path) and load that instead."
        )


# torch's legacy files (before 1.6) start with its magic number pickled by protocol 2
LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."


def looks_like_legacy(head: bytes) -> bool:
    """A file torch.save wrote before torch 1.6 (pickles after torch's magic number)."""
    return head.startswith(LEGACY_MAGIC)


# --- writing torch's format ------------------------------------------------------------------


class _Global:
    """A function or class of torch's, written into the pickle by name only (GLOBAL): the
    engine never imports torch, and torch.load's weights-only unpickler allows these."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # never called: pickle only checks that a reduce's is callable
        raise TypeError(f"{self.module}.{self.name} is a name for torch's pickle only")


_STORAGE_NAMES = {np.dtype(v): k for k, v in _STORAGES.items() if k != "UntypedStorage"}
_REBUILD = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")


# what protocol 2 pickles a state dict's values with (OrderedDict, set, complex, bytes)
_NATIVE = (OrderedDict, set, complex, codecs.encode)


class _StorageRef:
    """A storage while pickling: the key of its entry, its element type and count."""

    def __init__(self, key: str, dtype: np.dtype, numel: int):
        self.key, self.dtype, self.numel = key, dtype, numel


class _Pickler(pickle._Pickler):
    """Pickles tensors (and Parameters, Size, dtypes, device) as torch.save does, with their
    storages collected in .storages (key -> 1-d array), each storage once."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages, self.keys, self.names = {}, {}, {}

    def save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = save_global_name

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, dtypes.DType):  # a dtype is torch's object, by name
            if obj is dtypes.bfloat16 or obj.dtype not in _STORAGE_NAMES:
                raise TypeError(f"save: {obj} is not written in torch's format")
            name = repr(obj).removeprefix("torch.")
            obj = self.names.setdefault(name, _Global("torch", name))
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            kind = _Global("torch", _STORAGE_NAMES[obj.dtype])
            return ("storage", kind, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if isinstance(obj, Size):
            return _Global("torch", "Size"), (tuple(obj),)
        if isinstance(obj, device):
            return _Global("torch", "device"), (obj.type,)
        if isinstance(obj, dict | list | tuple | set | str | bytes | int | float | complex):
            return NotImplemented
        if obj is None or isinstance(obj, _Global | _Rebuilt) or any(obj is n for n in _NATIVE):
            return NotImplemented
        raise TypeError(
            f"save: a {type(obj).__name__} is not written in torch's format (only tensors, "
            "Parameters, numbers, strings, bytes, torch.Size, dtypes, devices and "
            "dicts/lists/tuples/sets of them). Save model.state_dict() instead."
        )

    def tensor(self, t: Tensor):
        array = t.detach().numpy(force=True)
        if array.dtype not in _STORAGE_NAMES:
            raise TypeError(f"save: a {t.dtype} tensor is not written in torch's format")
        ref, offset, stride = self.storage(array)
        args = (ref, offset, tuple(array.shape), stride, t.requires_grad, OrderedDict())
        if _parameter_class is not None and isinstance(t, _parameter_class):
            data = (_REBUILD, args[:4] + (False, OrderedDict()))
            return _REBUILD_PARAMETER, (_Rebuilt(*data), t.requires_grad, OrderedDict())
        return _REBUILD, args

    def storage(self, array: np.ndarray):
        """The array's storage (its root's memory, shared with other tensors on it), its
        offset and strides in elements; a copy of its own where the root is not one flat run
        of its dtype (or strides are negative)."""
        root = _root(array)
        itemsize = array.itemsize
        start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        shares = (
            root.dtype == array.dtype
            and root.flags.c_contiguous
            and all(s >= 0 and s % itemsize == 0 for s in array.strides)
            and start % itemsize == 0
        )
        if not shares:
            root = np.ascontiguousarray(array)
            start, strides = 0, tuple(s // itemsize for s in root.strides)
        else:
            strides = tuple(s // itemsize for s in array.strides)
        if id(root) not in self.keys:
            self.keys[id(root)] = str(len(self.storages))
            # a view of root: it keeps root alive, so no other array takes its id meanwhile
            self.storages[self.keys[id(root)]] = root.reshape(-1)
        ref = _StorageRef(self.keys[id(root)], root.dtype, root.size)
        return ref, start // itemsize, strides


class _Rebuilt:
    """Pickles as a call of func(*args): a Parameter's plain tensor inside its rebuild."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def save(obj, file) -> None:
    """obj in torch.save's format (torch >= 1.6) on an open binary file: torch.load, with
    weights_only=True, reads it back."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(obj)
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        for key, storage in pickler.storages.items():
            with archive.open(f"archive/data/{key}", "w", force_zip64=True) as entry:
                little = np.asarray(storage, storage.dtype.newbyteorder("<"))  # no copy here
                entry.write(memoryview(little.view(np.uint8)))
        archive.writestr("archive/version", "3\n")
