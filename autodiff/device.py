"""Devices as in PyTorch: everything runs on the CPU (NumPy), besides torch's 'meta' device
(shapes without data: autodiff/meta.py); asking for another is an error."""

import warnings

import numpy as np

from . import amp as _amp
from .dtypes import ALIASES

AVAILABLE = ("cpu", "meta")


class device:
    """torch.device's twin: `ad.device("cpu")`; 'cuda', 'mps', ... are refused clearly."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, number = str(type).partition(":")
        if name not in AVAILABLE:
            raise RuntimeError(
                f"device: {str(type)!r} is not available. autodiff runs on the CPU (NumPy) "
                f"only; the devices are {', '.join(AVAILABLE)} (data-less). Use device='cpu' (and "
                "`ad.cuda.is_available()` is False, so `'cuda' if ... else 'cpu'` picks it)."
            )
        self.type = name
        self.index = int(number) if number else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __str__(self):
        return self.type


CPU = device("cpu")
META = device("meta")
_default = CPU


def check(value, op: str = "device") -> device:
    """The device a device= argument names (None: the default)."""
    return _default if value is None else device(value)


def to_args(args, kwargs, tensor_type, op: str = "to"):
    """(dtype, device, memory format) that Tensor.to / Module.to's arguments ask for (None:
    keep it): a dtype, a dtype name, a tensor (its dtype), dtype=; a device (positional or
    device=); memory_format=."""
    dtype = kwargs.pop("dtype", None)
    target = kwargs.pop("device", None)
    target = None if target is None else device(target)
    memory = kwargs.pop("memory_format", None)
    for ignored in ("non_blocking", "copy"):  # nothing to do on one CPU
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, tensor_type):  # a tensor: take its dtype and device
            dtype, target = arg.dtype, arg.device
        elif isinstance(arg, device) or (isinstance(arg, str) and arg.split(":")[0] not in ALIASES):
            target = device(arg)
        else:
            dtype = arg
    return dtype, target, memory


def set_default_device(value) -> None:
    """As torch.set_default_device: only 'cpu' exists."""
    global _default
    _default = device(value)


def get_default_device() -> device:
    return _default


class cuda:
    """torch.cuda's questions, answered for a CPU-only library."""

    amp = _amp  # torch.cuda.amp: GradScaler and autocast, disabled for lack of a GPU

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def is_bf16_supported(including_emulation: bool = True) -> bool:
        return False

    @staticmethod
    def manual_seed(seed) -> None:
        """Nothing to seed: there is no GPU (ad.manual_seed seeds the CPU)."""

    manual_seed_all = manual_seed


class cpu:
    """torch.cpu's questions: the one device this library runs on; torch.cpu.amp's autocast."""

    amp = _amp.cpu_amp

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def current_device() -> str:
        return "cpu"

    @staticmethod
    def synchronize(device=None) -> None:
        """Nothing to wait for: NumPy's work is done when an op returns."""


class accelerator:
    """torch.accelerator's questions (pytorch/examples ask them to pick a device): none here."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def current_accelerator(check_available: bool = False):
        """None: there is no accelerator, as torch answers on a CPU-only machine."""
        return None


class layout:
    """torch.layout's twin. Every tensor here is dense and strided (x.layout is strided); the
    sparse and jagged layouts exist as names, so code that compares a layout with them runs,
    and creation functions refuse them."""

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name  # pickled as the module's object of that name: unpickles as itself


strided, sparse_coo, sparse_csr, jagged = (
    layout(name) for name in ("strided", "sparse_coo", "sparse_csr", "jagged")
)


class memory_format:
    """torch.memory_format's twin: the order of a tensor's dims in memory. contiguous_format
    is row-major (N, C, H, W); channels_last keeps each pixel's channels together (N, H, W, C
    in memory, strides (HWC, 1, WC, C)), channels_last_3d likewise for 5-d tensors;
    preserve_format keeps a tensor's own order (clone's and the *_like functions' default)."""

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name  # pickled as the module's object of that name


contiguous_format, channels_last, channels_last_3d, preserve_format = (
    memory_format(name)
    for name in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")
)
_CHANNELS_LAST_RANK = {channels_last: 4, channels_last_3d: 5}


def dims_in_memory(fmt, ndim: int, op: str = "memory_format"):
    """The dims of an ndim-tensor in memory order, outermost first, that fmt asks for (None
    for preserve_format: each tensor's own); torch's error for channels_last on another rank."""
    if fmt is None or fmt is contiguous_format:
        return tuple(range(ndim))
    if fmt is preserve_format:
        return None
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{op}: memory_format must be a torch.memory_format (torch.contiguous_format, "
            f"torch.channels_last, ...), not {type(fmt).__name__}"
        )
    rank = _CHANNELS_LAST_RANK[fmt]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
    return (0, *range(2, ndim), 1)


def laid_out(array: np.ndarray, fmt) -> np.ndarray:
    """A copy of array with its elements in fmt's order in memory (preserve_format: array's
    own strides where its elements fill their memory densely, else dense in the order of its
    strides, as torch's)."""
    order = dims_in_memory(fmt, array.ndim)
    if order is None:
        if array.flags.c_contiguous or not is_dense(array):  # row-major, or dense order K
            return array.copy(order="K")
        out = np.ndarray(
            array.shape, array.dtype, np.empty(array.size, array.dtype), 0, array.strides
        )
        np.copyto(out, array)
        return out
    # always a fresh array (np.ascontiguousarray would return one already in order as it is,
    # with NumPy's strides for dims of size 1 rather than torch's)
    dense = np.empty([array.shape[d] for d in order], array.dtype)
    np.copyto(dense, array.transpose(order))
    return dense.transpose(np.argsort(order))


def is_dense(array: np.ndarray) -> bool:
    """Whether array's elements fill its memory without gaps or overlaps, in some order of
    dims (torch's non-overlapping and dense; a dim of size 1 may have any stride)."""
    return array.size > 0 and array.transpose(stride_order(array.strides)).flags.c_contiguous


def memory_order(array: np.ndarray) -> tuple:
    """array's dims from outermost to innermost in memory where it is dense, else row-major
    order: the layout torch's preserve_format gives a new tensor like it."""
    if array.flags.c_contiguous or not is_dense(array):
        return tuple(range(array.ndim))
    return stride_order(array.strides)


def laid_out_like(array: np.ndarray, like: np.ndarray) -> np.ndarray:
    """array's values in like's memory_order: torch's layout contract for a leaf's .grad (a
    channels_last or transposed parameter gets a gradient with its own strides). array itself
    where it already is; else a fresh copy (a NumPy scalar becomes a 0-d array)."""
    if not isinstance(array, np.ndarray):
        return np.array(array)
    order = memory_order(like)
    if array.transpose(order).flags.c_contiguous:
        return array
    out = np.empty([array.shape[d] for d in order], array.dtype).transpose(np.argsort(order))
    np.copyto(out, array)
    return out


def stride_order(strides: tuple) -> tuple:
    """The dims from the largest stride to the smallest (ties in dim order)."""
    return tuple(sorted(range(len(strides)), key=lambda d: -abs(strides[d])))


def suggested_format(array: np.ndarray):
    """torch's suggest_memory_format: channels_last(_3d) where a 4-d (5-d) tensor's strides
    run in that order (channels innermost, then width, height, ..., batch), else
    contiguous_format. Tensor.to(memory_format=fmt) keeps a tensor that suggests fmt."""
    if array.ndim not in (4, 5):
        return contiguous_format
    smallest = 0
    if array.strides[1] == 0:
        return contiguous_format
    for d in (1, *range(array.ndim - 1, 1, -1), 0):
        if array.shape[d] == 0 or array.strides[d] < smallest:
            return contiguous_format
        if d == 0 and smallest == array.strides[1]:  # N, 1, 1, 1: torch reads it as contiguous
            return contiguous_format
        smallest = array.strides[d] * (array.shape[d] if array.shape[d] > 1 else 1)
    return channels_last if array.ndim == 4 else channels_last_3d


def is_laid_out(array: np.ndarray, fmt) -> bool:
    """Whether array's memory is dense in fmt's order (torch's is_contiguous(memory_format):
    dims of size 1 may have any stride; preserve_format reads as contiguous_format)."""
    order = dims_in_memory(contiguous_format if fmt is preserve_format else fmt, array.ndim)
    return array.transpose(order).flags.c_contiguous  # NumPy's flag ignores dims of size 1


def check_layout(op: str, layout, pin_memory=False) -> None:
    """torch's layout= and pin_memory= of a creation function: dense strided CPU memory only
    (a sparse layout or pinned memory is refused, never ignored)."""
    if layout is not None and str(layout) != "torch.strided":
        raise NotImplementedError(
            f"{op}: layout={layout} is not supported: autodiff's tensors are dense and strided. "
            "Leave layout out (or pass torch.strided) and build the dense tensor."
        )
    if pin_memory:
        raise NotImplementedError(
            f"{op}: pin_memory=True is not supported (CPU memory only, nothing to pin). Leave "
            "it out."
        )


class _Unavailable:
    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class backends:
    """torch.backends' flags that scripts set or ask (nanoGPT's allow_tf32, cudnn's
    benchmark): accepted and kept, nothing to configure on the CPU."""

    mps = _Unavailable

    class cudnn(_Unavailable):
        deterministic = False
        benchmark = False
        enabled = True
        allow_tf32 = True

    class cuda(_Unavailable):
        class matmul:
            allow_tf32 = False
            allow_fp16_reduced_precision_reduction = True
            allow_bf16_reduced_precision_reduction = True

    class mha:
        """torch.backends.mha: whether TransformerEncoder may take torch's fast path, which
        changes its results (padded positions come out as zeros: nn.transformer says when)."""

        _fastpath = {"enabled": True}

        @staticmethod
        def get_fastpath_enabled() -> bool:
            return backends.mha._fastpath["enabled"]

        @staticmethod
        def set_fastpath_enabled(value: bool) -> None:
            backends.mha._fastpath["enabled"] = value


_PRECISIONS = ("highest", "high", "medium")
_float32_matmul = {"precision": "highest"}


def set_float32_matmul_precision(precision) -> None:
    """torch.set_float32_matmul_precision ("highest", "high" or "medium"; build-nanogpt sets
    "high"): kept and reported back, with backends.cuda.matmul.allow_tf32 following it as in
    torch. Float32 products here are always computed in float32, which every setting allows
    ("high" and "medium" permit less precise products, never require them)."""
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}"
        )
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            stacklevel=2,
        )
        return
    _float32_matmul["precision"] = precision
    backends.cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """torch.get_float32_matmul_precision: the last precision set ("highest" at start)."""
    return _float32_matmul["precision"]


_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """torch.use_deterministic_algorithms: kept and reported back. Every op here already is
    deterministic: the CPU kernels (NumPy's) give the same bits for the same inputs on every
    run, and no op has a nondeterministic variant to refuse or warn about."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(
                f"use_deterministic_algorithms: {name} must be a bool, got {type(value).__name__}"
            )
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """torch.are_deterministic_algorithms_enabled: the mode last set (False at start)."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """torch.is_deterministic_algorithms_warn_only_enabled: warn_only, as last set."""
    return _deterministic["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")  # torch's names of 0, 1, 2


def set_deterministic_debug_mode(debug_mode) -> None:
    """torch.set_deterministic_debug_mode: 0 or "default" turns the deterministic mode off, 1
    or "warn" on with warn_only, 2 or "error" on (use_deterministic_algorithms)."""
    if not isinstance(debug_mode, int | str):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                f"got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES.index(debug_mode)
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """torch.get_deterministic_debug_mode: 0 off, 1 on with warn_only, 2 on."""
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2
