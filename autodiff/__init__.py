"""autodiff: a define-by-run autograd engine on NumPy, with PyTorch's names."""

from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    empty_permuted,
    eye,
    frombuffer,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randint_like,
    randperm,
    range,
    scalar_tensor,
    asarray,
    empty_strided,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from .device import (
    accelerator,
    are_deterministic_algorithms_enabled,
    backends,
    cpu,
    cuda,
    device,
    get_default_device,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    channels_last,
    channels_last_3d,
    contiguous_format,
    jagged,
    layout,
    memory_format,
    preserve_format,
    set_default_device,
    set_deterministic_debug_mode,
    set_float32_matmul_precision,
    sparse_coo,
    sparse_csr,
    strided,
    use_deterministic_algorithms,
)
from .dtypes import (
    DType as dtype,
    bfloat16,
    bool_,
    can_cast,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    finfo,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .gradients import backward, grad
from .windows import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)
from .removed import eig, lstsq, solve, symeig
from .legacy import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    set_default_tensor_type,
    typename,
)
from .compile import compile
from .lowrank import pca_lowrank, svd_lowrank
from .function import Function
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    is_warn_always_enabled,
    no_grad,
    set_anomaly_enabled,
    set_grad_enabled,
    set_warn_always,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node
from . import autograd, legacy, ops, random, removed, siblings, windows
from .ops import *
from . import amp, distributed, distributions, fft, func, jit, linalg, multiprocessing, onnx, out
from . import sparse, special, testing
from . import benchmark, compiler, profiler
from .amp import GradScaler, autocast, get_autocast_dtype, is_autocast_enabled
from .fft import istft, stft
from .func import vmap
from .printing import get_printoptions, printoptions, set_printoptions
from .sparse import sparse_coo_tensor
from .sparse import mm as spmm
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .serialization import load, save
from .size import Size, broadcast_shapes
from .storage import UntypedStorage
from .tensor import (
    Tensor,
    get_device,
    is_complex,
    is_floating_point,
    is_nonzero,
    is_same_size,
    is_signed,
    is_tensor,
    numel,
)
from .threads import (
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)

# PyTorch's dtype aliases (torch.float is float32, torch.long is int64, ...)
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
bool = bool_
cfloat = complex64
cdouble = complex128
# torch's constants (masked_fill_(mask, -torch.inf), torch.pi in positional encodings)
from math import e, inf, nan, pi  # noqa: E402

newaxis = None

# torch's out= argument on the functions that take it in torch (autodiff/out.py)
out.give_out(globals(), out.OUT_NAMES)

__version__ = "0.1.0"
# the PyTorch release whose names and behaviour we follow (the tests compare with it)
torch_api_version = "2.13"

siblings.check()  # warns if a module of the user's hides nn or viz


def __getattr__(name: str):
    """`import autodiff as torch` then torch.nn: say where nn, optim and utils.data live."""
    raise AttributeError(siblings.elsewhere(name) or f"module 'autodiff' has no attribute {name!r}")


__all__ = [
    "AccumulateGrad",
    "amp",
    "autocast",
    "Function",
    "Generator",
    "GradcheckError",
    "Node",
    "Size",
    "Tensor",
    "accelerator",
    "arange",
    "are_deterministic_algorithms_enabled",
    "as_tensor",
    "autograd",
    "profiler",
    "benchmark",
    "compiler",
    "backends",
    "backward",
    "bfloat16",
    "bool",
    "compile",
    "bool_",
    "broadcast_shapes",
    "can_cast",
    "cdouble",
    "cfloat",
    "complex128",
    "complex64",
    "cpu",
    "cuda",
    "default_generator",
    "detect_anomaly",
    "device",
    "distributed",
    "distributions",
    "double",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "finfo",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "frombuffer",
    "empty_permuted",
    "func",
    "full",
    "full_like",
    "get_default_device",
    "get_default_dtype",
    "get_float32_matmul_precision",
    "get_printoptions",
    "get_num_interop_threads",
    "get_num_threads",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "get_rng_state",
    "half",
    "iinfo",
    "inference_mode",
    "initial_seed",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_complex",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_floating_point",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "get_device",
    "is_grad_enabled",
    "is_anomaly_enabled",
    "is_inference_mode_enabled",
    "is_warn_always_enabled",
    "set_anomaly_enabled",
    "set_warn_always",
    "is_tensor",
    "jit",
    "fft",
    "istft",
    "stft",
    "linalg",
    "spmm",
    "linspace",
    "load",
    "logspace",
    "long",
    "manual_seed",
    "no_grad",
    "normal",
    "numel",
    "ones",
    "ones_like",
    "onnx",
    "ops",
    "printoptions",
    "promote_types",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "random",
    "randperm",
    "result_type",
    "save",
    "seed",
    "set_default_device",
    "set_default_dtype",
    "set_float32_matmul_precision",
    "layout",
    "memory_format",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "strided",
    "sparse",
    "sparse_coo",
    "sparse_coo_tensor",
    "sparse_csr",
    "jagged",
    "set_grad_enabled",
    "set_num_interop_threads",
    "set_num_threads",
    "set_rng_state",
    "set_printoptions",
    "short",
    "tensor",
    "tril_indices",
    "triu_indices",
    "uint8",
    "use_deterministic_algorithms",
    "vmap",
    "zeros",
    "zeros_like",
    *legacy.__all__,
    *removed.__all__,
    "GradScaler",
    "get_autocast_dtype",
    "is_autocast_enabled",
    "get_deterministic_debug_mode",
    "set_deterministic_debug_mode",
    "pca_lowrank",
    "svd_lowrank",
    *windows.__all__,
    "asarray",
    "empty_strided",
    "randint_like",
    "range",
    "scalar_tensor",
    "inf",
    "nan",
    "pi",
    "e",
    "newaxis",
    *ops.__all__,
]
