"""Tensor: a NumPy array plus the autograd state. Methods are one-line bindings to ops."""

import warnings
import weakref

import numpy as np

from . import coo as _coo
from . import device as _device
from . import dtypes, printing, shared_memory, storage, tracing
from . import grad_mode as _grad_mode
from . import meta as _meta
from .errors import DtypeError, ShapeError
from .grad_mode import forward as _forward
from .graph import RemovableHandle
from .size import Size, as_size


def _check_grad_dtype(dtype, what: str) -> None:
    # complex tensors may: ops not written for complex gradients refuse to record a node for
    # them (Function.complex_grad, checked in function._record)
    if np.dtype(dtype).kind != "c" and not dtypes.is_float(dtype):  # bfloat16 is a float
        raise DtypeError(
            f"{what}: only Tensors of floating point and complex dtype can require gradients "
            f"(got dtype {dtype}). "
            "Convert first, e.g. t.float() or dtype=ad.float32."
        )


def _wide(array: np.ndarray) -> np.ndarray:
    """A bfloat16 array as float32 (exact), whose items are Python floats; others as they are."""
    return array.astype(np.float32) if array.dtype == dtypes.BF16 else array


_META_TO_NUMPY = (
    "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
    "host memory first."
)

NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)  # torch's words, so that a search finds its answers


def version_counter() -> np.ndarray:
    """The version counter of one storage, shared by its views and detach(): every in-place
    op bumps it (counter[0] += 1), and backward compares it with the value each saved tensor
    had. One int64 in a NumPy array rather than an object with a field: the cyclic collector
    tracks neither NumPy arrays nor the tuples of version entries that hold only them and
    numbers (a scalar graph keeps thousands; the collector rescanned them at every full
    collection)."""
    return np.zeros(1, np.int64)


_warned_float = []  # float() of a tensor that requires grad warns once, as torch


class Tensor:
    """An n-dimensional array that records the ops applied to it when it requires grad."""

    __slots__ = (
        "_data",
        "_version",
        "_base",
        "_view_chain",
        "_view_version",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_name",
        "_hooks",
        "_post_hooks",
        "_accumulator",
        "__weakref__",
    )
    # as torch.Tensor: no __array_ufunc__, a high priority, so `ndarray * tensor` reaches
    # Tensor.__rmul__ (a recorded op), while np.sin(tensor) computes on the array and
    # __array_wrap__ hands the result back as a tensor
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, requires_grad=False, name=None, device=None):
        """torch.Tensor's constructor: Tensor(data) (a list, tuple or array, in the default
        dtype: Tensor([1, 2]) is float), Tensor(2, 3) or Tensor(size) (zeros here;
        uninitialised memory in torch), Tensor(t) (an alias of t: its storage, dtype and
        history), Tensor() (empty). dtype, requires_grad and name are this project's own
        additions (torch.Tensor refuses them; torch.tensor takes them); with dtype, data keeps
        its values in that dtype."""
        _device.check(device, "Tensor")
        if len(args) == 1 and isinstance(args[0], Tensor) and dtype is None:
            self._become(args[0].view(args[0].shape))
        else:
            self._become(Tensor._make(_constructor_array(args, dtype)))
            tracing.created(self)  # ad.compile: a constant of the program
        if requires_grad:
            self.requires_grad_(True)
        if name is not None:
            self.name = name

    def _become(self, other: "Tensor") -> None:
        """Take other's state (its array, history and view identity): __init__ cannot return
        another object, and a node never refers to its output tensor."""
        for slot in _STATE_SLOTS:
            setattr(self, slot, getattr(other, slot, None))

    @classmethod
    def _of(cls, data, dtype=None) -> "Tensor":
        """data as a tensor of its own dtype (torch.as_tensor's inference: Python floats in
        the default dtype), no gradient: what an op makes of a list or array given in a
        tensor's place (indices, repeats, a scalar operand)."""
        t = cls._make(dtypes.as_array(data._data if isinstance(data, Tensor) else data, dtype))
        tracing.created(t)
        return t

    @classmethod
    def _constant(cls, array) -> "Tensor":
        """A tensor of an array the library makes from shapes and Python values alone (an
        identity, zeros, a mask of index tuples): ad.compile keeps it as a constant of the
        program. Never for an array computed from a tensor's values (a replay would not
        recompute it)."""
        t = cls._make(array)
        tracing.created(t)
        return t

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None):
        """Fast internal constructor: wraps an array as is (no copy, no checks)."""
        t = object.__new__(cls)
        t._data = data
        t._version = None
        t._base = None
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._name = None
        t._hooks = None
        t._post_hooks = None
        t._accumulator = None
        return t

    # --- state --------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient backward accumulated here: on leaves, and on a non-leaf that called
        retain_grad(). Reading it on another non-leaf warns, as torch does."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value) -> None:
        self._name = value
        if self.grad_fn is not None:
            self.grad_fn.out_name = value

    @property
    def data(self) -> "Tensor":
        """This tensor's storage as a tensor outside the graph, as in PyTorch. Writes through
        it are not seen by the version check (a saved tensor changed this way gives a wrong
        gradient): prefer `with ad.no_grad():` and in-place ops. The array is .numpy()."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def _counter(self) -> np.ndarray:
        """The storage's version counter, made on first use."""
        version = self._version
        if version is None:
            version = self._version = version_counter()
        return version

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.BY_NUMPY[self._data.dtype]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def T(self) -> "Tensor":
        return _ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        return _ops.transpose(self, -2, -1)

    @property
    def H(self) -> "Tensor":
        """The conjugate transpose of a matrix (its transpose, for real tensors)."""
        if self._data.ndim != 2:
            raise ShapeError(
                "tensor.H is only supported on matrices (2-D tensors). Got "
                f"{self._data.ndim}-D tensor. For batches of matrices, use tensor.mH."
            )
        return _ops.transpose(self, 0, 1).conj()

    @property
    def mH(self) -> "Tensor":
        """The conjugate transpose of the last two dims (mT, for real tensors)."""
        return _ops.adjoint(self)

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim (torch's strides)."""
        if type(self._data) is _meta.MetaArray:  # its array's strides are 0: torch's layout
            steps = _meta.strides(self._data)
            return steps if dim is None else steps[dim]
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    def storage_offset(self) -> int:
        """Where this tensor's first element sits in its storage, in elements."""
        array = self._data
        start = array.__array_interface__["data"][0]
        return (start - storage.root(array).__array_interface__["data"][0]) // array.itemsize

    def data_ptr(self) -> int:
        """The address of the first element (views of one storage differ by their offset)."""
        return storage.data_ptr(self._data)

    def untyped_storage(self) -> storage.UntypedStorage:
        """The memory this tensor reads, as bytes: .data_ptr(), .nbytes(), .size()."""
        return storage.UntypedStorage(self._data)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    ndimension = dim

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        """-1: the CPU, as torch numbers it (CUDA devices count from 0)."""
        return -1

    def is_nonzero(self) -> bool:
        return is_nonzero(self)

    def is_same_size(self, other) -> bool:
        return self._data.shape == other._data.shape

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie densely in memory in row-major order (or memory_format's:
        torch.channels_last, ...)."""
        if type(self._data) is _meta.MetaArray:
            return True
        if memory_format is None:
            return self._data.flags.c_contiguous
        return _device.is_laid_out(self._data, memory_format)

    def contiguous(self, memory_format=None) -> "Tensor":
        """This tensor if its elements lie in memory in row-major order (or memory_format's),
        else a copy that does (CloneBackward0, as torch)."""
        if memory_format is not _device.preserve_format:
            _device.dims_in_memory(memory_format, self._data.ndim, "contiguous")  # checked first
        if self.is_contiguous(memory_format):
            return self
        if memory_format is _device.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return _ops.clone(self, memory_format=memory_format or _device.contiguous_format)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __hash__(self):
        return id(self)

    # --- conversion -----------------------------------------------------------------
    def numpy(self, *, force=False) -> np.ndarray:
        """The array itself (shared, as torch's). Unlike torch's, it reads a tensor that
        requires grad too (the project's API: learners inspect parameters this way); force=
        is accepted as in torch."""
        tracing.read(self, ".numpy()")
        if type(self._data) is _meta.MetaArray:
            raise TypeError(_META_TO_NUMPY)
        if type(self._data) is _coo.SparseCOO:
            raise TypeError(_coo.NO_NUMPY)
        return self._data

    def item(self):
        tracing.read(self, "item()")
        if self._data.size != 1:
            raise ShapeError(
                f"item: only one element tensors can be converted to Python scalars "
                f"(shape {self._data.shape}). Index or reduce first."
            )
        if type(self._data) is _meta.MetaArray:
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return _wide(self._data).item()

    def tolist(self):
        tracing.read(self, "tolist()")
        if type(self._data) is _meta.MetaArray:
            raise NotImplementedError(_meta.NO_DATA)
        return _wide(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        tracing.read(self, "np.asarray(t)")
        if type(self._data) is _meta.MetaArray:
            raise TypeError(_META_TO_NUMPY)
        if type(self._data) is _coo.SparseCOO:
            raise TypeError(_coo.NO_NUMPY)
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy function's result on this tensor (np.sin(t), np.transpose(t, axes)) as a
        tensor sharing its memory, as torch's; a bool result becomes uint8 there, so here.
        NumPy records no gradient: an input that requires grad is refused, as torch refuses
        it (rather than a result silently cut from the graph)."""
        inputs = context[1] if context is not None else (self,)
        if any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
            name = getattr(context[0], "__name__", "?") if context is not None else None
            raise RuntimeError(
                f"np.{name or 'function'}(...) on a tensor that requires grad: NumPy computes "
                "on the array and records no gradient (torch: Can't call numpy() on Tensor "
                "that requires grad). Use the torch op (e.g. torch.sin(t) for np.sin(t)), or "
                "pass t.detach()."
            )
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return Tensor._make(np.asarray(array))

    def __float__(self) -> float:
        # torch 2.13's warning, once a process, where grad mode is on (not under no_grad)
        if self._requires_grad and not _warned_float and _grad_mode._state.enabled:
            _warned_float.append(True)
            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                "behavior.\nConsider using tensor.detach() first.",
                UserWarning,
                stacklevel=2,
            )
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor as a Python index: data[i : i + n] with i from
        randint, range(t), list[t]."""
        tracing.read(self, "an index (t.__index__)")
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError(
                "only integer tensors of a single element can be converted to an index (got "
                f"{self.dtype} of shape {tuple(self._data.shape)})"
            )
        return int(self.item())  # item() refuses a meta tensor

    def __bool__(self) -> bool:
        tracing.read(self, "bool(t) (an `if` or `while` on a tensor)")
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: a tensor with {self._data.size} elements is ambiguous. Use .any() or .all()."
            )
        if type(self._data) is _meta.MetaArray:
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return bool(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __repr__(self) -> str:
        name = self.grad_fn.name() if self.grad_fn is not None else None
        if type(self._data) is _meta.MetaArray:
            return _meta.repr_of(self._data, name, self._requires_grad)
        if type(self._data) is _coo.SparseCOO:
            return _coo.repr_of(self._data)
        if self._requires_grad and (_forward.level is not None or _forward.leaves):
            name, requires_grad, tangent = _forward.shown(self)  # a dual: as torch prints it
            return printing.tensor_repr(self._data, name, requires_grad, tangent)
        return printing.tensor_repr(self._data, name, self._requires_grad)

    # --- autograd -------------------------------------------------------------------
    def requires_grad_(self, flag: bool = True) -> "Tensor":
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf variables. "
                "Use .detach() to get a tensor outside the graph."
            )
        if flag:
            _check_grad_dtype(self._data.dtype, "requires_grad_")
            if type(self._data) is _coo.SparseCOO:
                _sparse._refuse_grad(flag, "requires_grad_")
        self._requires_grad = bool(flag)
        return self

    def detach(self) -> "Tensor":
        """The same storage outside the graph; in-place changes to either are seen by both."""
        t = Tensor._make(self._data)
        t._version = self._counter()
        return t

    def detach_(self) -> "Tensor":
        """This tensor taken out of the graph in place (a view is refused, as torch)."""
        if self._base is not None:
            raise RuntimeError("detach_: can't detach views in-place. Use detach() instead.")
        self.grad_fn, self._requires_grad = None, False
        return self

    def retain_grad(self) -> None:
        """Keep .grad on this non-leaf tensor after backward (and its value for pictures)."""
        if not self._requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False"
            )
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)
            self.grad_fn.value = self._data

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and node._retain is not None and node._retain() is self

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; may return a new one."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            return self.grad_fn.add_grad_hook(hook)
        self._hooks = (self._hooks or []) + [hook]
        return RemovableHandle(self, "_hooks", hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs after backward has accumulated this leaf's gradient into .grad
        (torch 2.1+: e.g. an optimizer step per parameter); returns a handle with remove()."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: cannot register a hook on a tensor that "
                "doesn't require gradient"
            )
        if self.grad_fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be "
                "registered on non-leaf tensors. Register it on the leaf (a parameter)."
            )
        self._post_hooks = (self._post_hooks or []) + [hook]
        return RemovableHandle(self, "_post_hooks", hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' .grad (only into inputs'
        .grad, when given)."""
        if gradient is not None and not isinstance(gradient, Tensor):
            gradient = np.asarray(gradient, dtype=self._data.dtype)  # a list, a number
        _gradients.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # --- in-place ops (ops/inplace.py: torch's rules, version counter) ---------------
    def add_(self, other, alpha=1) -> "Tensor":
        if isinstance(alpha, Tensor):  # torch's old order x.add_(alpha, other)
            alpha, other = _ops.arithmetic.old_order(
                "add", self, other, alpha, method=True, in_place=True
            )
        if alpha != 1:  # one fused multiply-add, as torch's kernel
            return _ops.inplace.apply_(self, "add_", _ops.add, other, alpha=alpha)
        return _ops.inplace.ufunc_(self, "add_", np.add, _ops.add, other)

    def sub_(self, other, alpha=1) -> "Tensor":
        if isinstance(alpha, Tensor):  # torch's old order x.sub_(alpha, other)
            alpha, other = _ops.arithmetic.old_order(
                "sub", self, other, alpha, method=True, in_place=True
            )
        if alpha != 1:
            return _ops.inplace.apply_(self, "sub_", _ops.sub, other, alpha=alpha)
        return _ops.inplace.ufunc_(self, "sub_", np.subtract, _ops.sub, other)

    def mul_(self, other) -> "Tensor":
        return _ops.inplace.ufunc_(self, "mul_", np.multiply, _ops.mul, other)

    def div_(self, other, *, rounding_mode=None) -> "Tensor":
        if rounding_mode is not None:
            return _ops.inplace.apply_(self, "div_", _ops.div, other, rounding_mode=rounding_mode)
        return _ops.inplace.ufunc_(self, "div_", np.divide, _ops.div, other)

    def true_divide_(self, other) -> "Tensor":
        return _ops.inplace.ufunc_(self, "true_divide_", np.divide, _ops.div, other)

    def remainder_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "remainder_", _ops.remainder, other)

    def fmod_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "fmod_", _ops.fmod, other)

    def floor_divide_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "floor_divide_", _ops.floor_divide, other)

    def pow_(self, exponent) -> "Tensor":
        return _ops.inplace.apply_(self, "pow_", _ops.pow, exponent)

    def neg_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "neg_", _ops.neg)

    def exp_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "exp_", _ops.exp)

    def log_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "log_", _ops.log)

    def sqrt_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sqrt_", _ops.sqrt)

    def abs_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "abs_", _ops.abs)

    def sign_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sign_", _ops.sign)

    def sigmoid_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sigmoid_", _ops.sigmoid)

    def tanh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "tanh_", _ops.tanh)

    def relu_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "relu_", _ops.relu)

    def clamp_(self, min=None, max=None) -> "Tensor":
        return _ops.inplace.apply_(self, "clamp_", _ops.clamp, min, max)

    def clamp_min_(self, min) -> "Tensor":
        return _ops.inplace.apply_(self, "clamp_min_", _ops.clamp_min, min)

    def clamp_max_(self, max) -> "Tensor":
        return _ops.inplace.apply_(self, "clamp_max_", _ops.clamp_max, max)

    def masked_fill_(self, mask, value) -> "Tensor":
        return _ops.inplace.apply_(self, "masked_fill_", _ops.masked_fill, mask, value)

    def sin_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sin_", _ops.sin)

    def cos_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "cos_", _ops.cos)

    def tan_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "tan_", _ops.tan)

    def asin_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "asin_", _ops.asin)

    def acos_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "acos_", _ops.acos)

    def atan_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "atan_", _ops.atan)

    def sinh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sinh_", _ops.sinh)

    def cosh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "cosh_", _ops.cosh)

    def asinh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "asinh_", _ops.asinh)

    def log2_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "log2_", _ops.log2)

    def log10_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "log10_", _ops.log10)

    def log1p_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "log1p_", _ops.log1p)

    def expm1_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "expm1_", _ops.expm1)

    def square_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "square_", _ops.square)

    def reciprocal_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "reciprocal_", _ops.reciprocal)

    def rsqrt_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "rsqrt_", _ops.rsqrt)

    def erf_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "erf_", _ops.erf)

    def floor_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "floor_", _ops.floor)

    def ceil_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "ceil_", _ops.ceil)

    def trunc_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "trunc_", _ops.trunc)

    def frac_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "frac_", _ops.frac)

    def round_(self, decimals=0) -> "Tensor":
        return _ops.inplace.apply_(self, "round_", _ops.round, decimals)

    def tril_(self, diagonal=0) -> "Tensor":
        return _ops.inplace.apply_(self, "tril_", _ops.tril, diagonal)

    def triu_(self, diagonal=0) -> "Tensor":
        return _ops.inplace.apply_(self, "triu_", _ops.triu, diagonal)

    def lerp_(self, end, weight) -> "Tensor":
        return _ops.inplace.apply_(self, "lerp_", _ops.lerp, end, weight)

    def atan2_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "atan2_", _ops.atan2, other)

    def addcmul_(self, tensor1, tensor2, value=1) -> "Tensor":
        if isinstance(value, Tensor):  # torch's old order x.addcmul_(value, tensor1, tensor2)
            value, tensor1, tensor2 = _ops.arithmetic.old_order(
                "addcmul", self, tensor1, tensor2, value, method=True, in_place=True
            )
        return _ops.inplace.apply_(self, "addcmul_", _ops.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, value=1) -> "Tensor":
        if isinstance(value, Tensor):  # torch's old order x.addcdiv_(value, tensor1, tensor2)
            value, tensor1, tensor2 = _ops.arithmetic.old_order(
                "addcdiv", self, tensor1, tensor2, value, method=True, in_place=True
            )
        return _ops.inplace.apply_(self, "addcdiv_", _ops.addcdiv, tensor1, tensor2, value=value)

    def divide_(self, other, *, rounding_mode=None) -> "Tensor":
        return self.div_(other, rounding_mode=rounding_mode)

    def multiply_(self, other) -> "Tensor":
        return self.mul_(other)

    def subtract_(self, other, *, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(self, "subtract_", _ops.subtract, other, alpha=alpha)

    def negative_(self) -> "Tensor":
        return self.neg_()

    def absolute_(self) -> "Tensor":
        return self.abs_()

    def arccos_(self) -> "Tensor":
        return self.acos_()

    def arcsin_(self) -> "Tensor":
        return self.asin_()

    def arctan_(self) -> "Tensor":
        return self.atan_()

    def arctan2_(self, other) -> "Tensor":
        return self.atan2_(other)

    def acosh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "acosh_", _ops.acosh)

    def arccosh_(self) -> "Tensor":
        return self.acosh_()

    def arcsinh_(self) -> "Tensor":
        return self.asinh_()

    def atanh_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "atanh_", _ops.atanh)

    def arctanh_(self) -> "Tensor":
        return self.atanh_()

    def exp2_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "exp2_", _ops.exp2)

    def erfc_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "erfc_", _ops.erfc)

    def erfinv_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "erfinv_", _ops.erfinv)

    def i0_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "i0_", _ops.i0)

    def igamma_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "igamma_", _ops.igamma, other)

    def igammac_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "igammac_", _ops.igammac, other)

    def nextafter_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "nextafter_", _ops.nextafter, other)

    def polygamma_(self, n) -> "Tensor":
        return _ops.inplace.apply_(self, "polygamma_", Tensor.polygamma, n)  # n comes first

    def mvlgamma_(self, p) -> "Tensor":
        return _ops.inplace.apply_(self, "mvlgamma_", _ops.mvlgamma, p)

    def lgamma_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "lgamma_", _ops.lgamma)

    def digamma_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "digamma_", _ops.digamma)

    def sgn_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sgn_", _ops.sgn)

    def cumsum_(self, dim, *, dtype=None) -> "Tensor":
        return _ops.inplace.apply_(self, "cumsum_", _ops.cumsum, dim, dtype=dtype)

    def cumprod_(self, dim, *, dtype=None) -> "Tensor":
        return _ops.inplace.apply_(
            self, "cumprod_", _ops.rearrange.cumprod_of_copy, dim, dtype=dtype
        )

    # comparisons in place: 1 or 0 in this tensor's dtype, a zero gradient (EqBackward0/1)
    def eq_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "eq_", _ops.compare_as_self, np.equal, other)

    def ne_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "ne_", _ops.compare_as_self, np.not_equal, other)

    def lt_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "lt_", _ops.compare_as_self, np.less, other)

    def le_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "le_", _ops.compare_as_self, np.less_equal, other)

    def gt_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "gt_", _ops.compare_as_self, np.greater, other)

    def ge_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "ge_", _ops.compare_as_self, np.greater_equal, other)

    def greater_(self, other) -> "Tensor":
        return self.gt_(other)

    def greater_equal_(self, other) -> "Tensor":
        return self.ge_(other)

    def less_(self, other) -> "Tensor":
        return self.lt_(other)

    def less_equal_(self, other) -> "Tensor":
        return self.le_(other)

    def not_equal_(self, other) -> "Tensor":
        return self.ne_(other)

    # logic and bits in place: the result cast to this tensor's dtype, as torch
    def logical_and_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "logical_and_", _ops.logical_and, other)

    def logical_or_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "logical_or_", _ops.logical_or, other)

    def logical_xor_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "logical_xor_", _ops.logical_xor, other)

    def logical_not_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "logical_not_", _ops.logical_not)

    def gcd_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "gcd_", _ops.gcd, other)

    def lcm_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "lcm_", _ops.lcm, other)

    def bitwise_and_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_and_", _ops.bitwise_and, other)

    def bitwise_or_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_or_", _ops.bitwise_or, other)

    def bitwise_xor_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_xor_", _ops.bitwise_xor, other)

    def bitwise_not_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_not_", _ops.bitwise_not)

    def bitwise_left_shift_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_left_shift_", _ops.bitwise_left_shift, other)

    def bitwise_right_shift_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "bitwise_right_shift_", _ops.bitwise_right_shift, other)

    # in-place changes of shape: this tensor becomes the view (torch's in-place nodes)
    def squeeze_(self, dim=None) -> "Tensor":
        name = "SqueezeBackward3" if dim is None else "SqueezeBackward4"
        return _ops.inplace.reshape_(self, "squeeze_", name, _ops.squeeze, dim)

    def unsqueeze_(self, dim) -> "Tensor":
        return _ops.inplace.reshape_(self, "unsqueeze_", "UnsqueezeBackward1", _ops.unsqueeze, dim)

    def t_(self) -> "Tensor":
        same = self._data.ndim < 2  # a vector: nothing changes but the version, as in torch
        return _ops.inplace.reshape_(self, "t_", "TBackward1", _same if same else _ops.t)

    def transpose_(self, dim0, dim1) -> "Tensor":
        name = "TransposeBackward1"
        return _ops.inplace.reshape_(self, "transpose_", name, _ops.transpose, dim0, dim1)

    def swapaxes_(self, axis0, axis1) -> "Tensor":
        return self.transpose_(axis0, axis1)

    def swapdims_(self, dim0, dim1) -> "Tensor":
        return self.transpose_(dim0, dim1)

    def index_copy_(self, dim, index, source) -> "Tensor":
        return _ops.inplace.apply_(self, "index_copy_", _ops.index_copy, dim, index, source)

    def index_fill_(self, dim, index, value) -> "Tensor":
        return _ops.inplace.apply_(self, "index_fill_", _ops.index_fill, dim, index, value)

    def index_put_(self, indices, values, accumulate=False) -> "Tensor":
        return _ops.inplace.apply_(self, "index_put_", _ops.index_put, indices, values, accumulate)

    def masked_scatter_(self, mask, source) -> "Tensor":
        return _ops.inplace.apply_(self, "masked_scatter_", _ops.masked_scatter, mask, source)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True) -> "Tensor":
        return _ops.inplace.apply_(
            self, "scatter_reduce_", _ops.scatter_reduce, dim, index, src, reduce,
            include_self=include_self,
        )  # fmt: skip

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True) -> "Tensor":
        return _ops.inplace.apply_(
            self, "index_reduce_", _ops.index_reduce, dim, index, source, reduce,
            include_self=include_self,
        )  # fmt: skip

    def fill_diagonal_(self, fill_value, wrap=False) -> "Tensor":
        return _ops.inplace.apply_(self, "fill_diagonal_", _ops.fill_diagonal, fill_value, wrap)

    def scatter_(self, dim, index, src=None, value=None) -> "Tensor":
        return _ops.inplace.apply_(self, "scatter_", _ops.scatter, dim, index, src, value)

    def scatter_add_(self, dim, index, src) -> "Tensor":
        return _ops.inplace.apply_(self, "scatter_add_", _ops.scatter_add, dim, index, src)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(self, "addmm_", _ops.addmm, mat1, mat2, beta=beta, alpha=alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(self, "addmv_", _ops.addmv, mat, vec, beta=beta, alpha=alpha)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(
            self, "addbmm_", _ops.addbmm, batch1, batch2, beta=beta, alpha=alpha
        )

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(
            self, "baddbmm_", _ops.baddbmm, batch1, batch2, beta=beta, alpha=alpha
        )

    def renorm_(self, p, dim, maxnorm) -> "Tensor":
        return _ops.inplace.apply_(self, "renorm_", _ops.renorm, p, dim, maxnorm)

    def index_add_(self, dim, index, source, *, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(
            self, "index_add_", _ops.index_add, dim, index, source, alpha=alpha
        )

    def apply_(self, callable) -> "Tensor":
        """callable applied to each element, in place (a Python function: slow, as torch's)."""
        return _ops.methods.apply_each(self, callable)

    def map_(self, tensor, callable) -> "Tensor":
        """self[i] = callable(self[i], tensor[i]), tensor broadcast to this shape, in place."""
        return _ops.methods.map_each(self, tensor, callable)

    def resize_(self, *sizes, memory_format=None) -> "Tensor":
        """This tensor made of sizes' shape: its first elements kept, zeros after them
        (uninitialised memory in torch); with memory_format, its storage read in that order
        of dims (torch's strides: the values move)."""
        return _ops.inplace.resize_(self, as_size(sizes, "resize_"), memory_format)

    def resize_as_(self, tensor, memory_format=None) -> "Tensor":
        shape = as_size(tuple(tensor.shape), "resize_as_")
        return _ops.inplace.resize_(self, shape, memory_format)

    def zero_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "zero_", _ops.inplace.fill, 0)

    def fill_(self, value) -> "Tensor":
        if isinstance(value, Tensor) and value._requires_grad:
            return self.copy_(value)
        value = value.item() if isinstance(value, Tensor) else value
        return _ops.inplace.apply_(self, "fill_", _ops.inplace.fill, value)

    def copy_(self, src, non_blocking=False) -> "Tensor":
        # non_blocking: a copy between the CPU and a device; here every copy is synchronous
        return _ops.inplace.apply_(self, "copy_", _ops.inplace.copy, src)

    # random fills: torch's numbers from the generator (default: ad.manual_seed's)
    def uniform_(self, a=0.0, b=1.0, *, generator=None) -> "Tensor":
        return _ops.sampling.uniform_(self, a, b, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> "Tensor":
        return _ops.sampling.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None) -> "Tensor":
        return _ops.sampling.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None) -> "Tensor":
        return _ops.sampling.exponential_(self, lambd, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> "Tensor":
        return _ops.sampling.cauchy_(self, median, sigma, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> "Tensor":
        return _ops.sampling.log_normal_(self, mean, std, generator=generator)

    def geometric_(self, p, *, generator=None) -> "Tensor":
        return _ops.sampling.geometric_(self, p, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None) -> "Tensor":
        return _ops.sampling.random_(self, from_, to, generator=generator)

    def bernoulli(self, p=None, *, generator=None) -> "Tensor":
        return _ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None) -> "Tensor":
        return _ops.multinomial(self, num_samples, replacement, generator=generator)

    def __setitem__(self, index, value) -> None:
        _ops.inplace.setitem(self, index, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, exponent):
        return self.pow_(exponent)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    # --- dtype and device ------------------------------------------------------------
    @property
    def device(self):
        return _device.META if type(self._data) is _meta.MetaArray else _device.CPU

    @property
    def is_meta(self) -> bool:
        """A tensor of the 'meta' device: shape and dtype, no data (autodiff/meta.py)."""
        return type(self._data) is _meta.MetaArray

    @property
    def is_cuda(self) -> bool:
        return False

    # the other accelerators' flags torch has (pytorch/examples test `input.is_xpu`)
    is_mps = is_xpu = is_ipu = is_maia = is_mtia = is_vulkan = is_xla = is_cuda

    @property
    def layout(self):
        """torch.strided (dense memory with strides, torch's default), or torch.sparse_coo."""
        return _device.sparse_coo if type(self._data) is _coo.SparseCOO else _device.strided

    @property
    def is_sparse(self) -> bool:
        return type(self._data) is _coo.SparseCOO

    # --- the sparse COO layout (autodiff/sparse.py) -----------------------------------
    def to_sparse(self, sparse_dim=None, *, layout=None) -> "Tensor":
        if layout not in (None, _device.sparse_coo):
            raise NotImplementedError(
                f"to_sparse: layout {layout} is not supported; use sparse_coo."
            )
        return _sparse.to_sparse(self, sparse_dim)

    def to_sparse_coo(self) -> "Tensor":
        return _sparse.to_sparse(self)

    def to_dense(self, dtype=None, *, masked_grad=None) -> "Tensor":
        dense = _sparse.to_dense(self)
        return dense if dtype is None else dense.to(dtype)

    def coalesce(self) -> "Tensor":
        return _sparse.coalesce(self)

    def is_coalesced(self) -> bool:
        return _sparse._sparse_only(self, "is_coalesced").coalesced

    def indices(self) -> "Tensor":
        return _sparse.stored(self, "indices")

    def values(self) -> "Tensor":
        return _sparse.stored(self, "values")

    def _indices(self) -> "Tensor":
        return _sparse.stored(self, "indices", coalesced_only=False)

    def _values(self) -> "Tensor":
        return _sparse.stored(self, "values", coalesced_only=False)

    def _nnz(self) -> int:
        return _sparse._sparse_only(self, "_nnz").nnz

    def sparse_dim(self) -> int:
        return self._data.sparse_dim if type(self._data) is _coo.SparseCOO else 0

    def dense_dim(self) -> int:
        a = self._data
        return a.ndim - a.sparse_dim if type(a) is _coo.SparseCOO else a.ndim

    def to(self, *args, **kwargs) -> "Tensor":
        """to(dtype), to(device), to(device, dtype), to(other): a dtype change copies; a move
        to or from the 'meta' device gives a tensor without data (or raises: autodiff/meta.py)."""
        dtype, target, memory_format = _device.to_args(args, kwargs, Tensor)
        t = self
        if dtype is not None and dtypes.as_dtype(dtype, "to") != self._data.dtype:
            t = _ops.to_dtype(self, dtypes.as_dtype(dtype, "to"))
        if memory_format not in (None, _device.preserve_format):
            # a copy is laid out as asked; torch keeps a tensor that suggests that format
            if t is not self or _device.suggested_format(t._data) is not memory_format:
                t = t.contiguous(memory_format)
        if target is not None and (target == _device.META) != _meta.is_meta(t._data):
            return _meta.moved(t, target, Tensor)
        return t

    def cpu(self, memory_format=None) -> "Tensor":
        return self.to("cpu", memory_format=memory_format)

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> "Tensor":
        _device.check("cuda")

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """The type name as torch prints it ('torch.FloatTensor') or, given a dtype, a legacy
        tensor type (torch.FloatTensor) or its name, the tensor converted to it."""
        if dtype is None:
            layout = "sparse." if self.is_sparse else ""
            return f"torch.{layout}{dtypes.TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))}"
        if isinstance(dtype, str):
            dtype = dtypes.of_type_name(dtype)
        elif isinstance(getattr(dtype, "dtype", None), dtypes.DType):  # torch.FloatTensor
            dtype = dtype.dtype
        return self.to(dtype)

    def type_as(self, other) -> "Tensor":
        return self.to(other.dtype)

    def float(self, memory_format=None) -> "Tensor":
        return self.to(np.float32, memory_format=memory_format)

    def double(self, memory_format=None) -> "Tensor":
        return self.to(np.float64, memory_format=memory_format)

    def half(self, memory_format=None) -> "Tensor":
        return self.to(np.float16, memory_format=memory_format)

    def bfloat16(self, memory_format=None) -> "Tensor":
        return self.to(dtypes.bfloat16, memory_format=memory_format)

    def long(self, memory_format=None) -> "Tensor":
        return self.to(np.int64, memory_format=memory_format)

    def int(self, memory_format=None) -> "Tensor":
        return self.to(np.int32, memory_format=memory_format)

    def bool(self, memory_format=None) -> "Tensor":
        return self.to(np.bool_, memory_format=memory_format)

    def byte(self, memory_format=None) -> "Tensor":
        return self.to(np.uint8, memory_format=memory_format)

    def char(self, memory_format=None) -> "Tensor":
        return self.to(np.int8, memory_format=memory_format)

    def short(self, memory_format=None) -> "Tensor":
        return self.to(np.int16, memory_format=memory_format)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "ifc" or self._data.dtype == dtypes.BF16

    def is_floating_point(self) -> bool:
        return dtypes.is_float(self._data.dtype)

    def element_size(self) -> int:
        return self._data.itemsize

    def clone(self, *, memory_format=None) -> "Tensor":
        return _ops.clone(self, memory_format=memory_format)

    # --- new tensors with this one's dtype (torch's new_* methods) ----------------------
    def new(self, *args, device=None, op: str = "new") -> "Tensor":
        """torch's legacy constructor with this tensor's dtype: new(2, 3) or new(size) (zeros
        here; uninitialised in torch), new([1, 2]) (a copy of the data), new(t) (t's storage,
        t of this dtype only), new() (empty)."""
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != self.dtype:
                raise TypeError(
                    f"{op}: expected a tensor of dtype {self.dtype}, got {args[0].dtype}. Convert "
                    f"it with t.type(torch.{dtypes.TYPE_NAMES.get(self._data.dtype)}) or "
                    f"t.to({self.dtype})."
                )
            return args[0].view(args[0].shape)  # torch: an alias (AliasBackward0), ours a view
        if not args or isinstance(args[0], Size) or all(_is_size(n) for n in args):
            sizes = tuple(args[0]) if args and isinstance(args[0], Size) else args
            if any(n < 0 for n in sizes):
                raise ShapeError(
                    f"{op}: Trying to create tensor with negative dimension ({sizes}). Sizes "
                    "must be non-negative."
                )
            return self.new_zeros(sizes if args else (0,), device=device)
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            return self.new_tensor(args[0], device=device)
        raise TypeError(
            f"{op}: data must be a sequence or sizes must be integers (got "
            f"{', '.join(type(a).__name__ for a in args)}). Pass a list such as [1, 2] or sizes "
            "such as 3, 4."
        )

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> "Tensor":
        """A copy of data as a tensor with this tensor's dtype unless dtype is given."""
        data = data._data if isinstance(data, Tensor) else data
        dtype = self._data.dtype if dtype is None else dtype
        return self._new(np.array(data, dtype=dtypes.as_dtype(dtype)), device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> "Tensor":  # fmt: skip
        _device.check_layout("new_zeros", layout, pin_memory)
        return self.new_full(as_size(size, "new_zeros"), 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False) -> "Tensor":  # fmt: skip
        _device.check_layout("new_ones", layout, pin_memory)
        return self.new_full(as_size(size, "new_ones"), 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> "Tensor":  # fmt: skip
        """Zeros (uninitialised in torch; here no run depends on leftover memory)."""
        _device.check_layout("new_empty", layout, pin_memory)
        return self.new_full(as_size(size, "new_empty"), 0, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):  # fmt: skip
        _device.check_layout("new_full", layout, pin_memory)
        dtype = self._data.dtype if dtype is None else dtypes.as_dtype(dtype, "new_full")
        array = np.full(as_size((size,), "new_full"), fill_value, dtype)
        return self._new(array, device, requires_grad)

    def _new(self, array, device, requires_grad) -> "Tensor":
        _device.check(device)
        t = Tensor._make(array)
        tracing.created(t)  # ad.compile: a constant of the program
        return t.requires_grad_(True) if requires_grad else t

    # --- operators ------------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.rsub(self, other)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __pow__(self, exponent):
        return _ops.pow(self, exponent)

    def __rpow__(self, base):
        return _ops.pow(base, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    def __rand__(self, other):
        return _ops.bitwise_and(other, self)

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    def __ror__(self, other):
        return _ops.bitwise_or(other, self)

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _ops.bitwise_xor(other, self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ops.bitwise_right_shift(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __lt__(self, other):
        return _ops.compare(np.less, self, other)

    def __le__(self, other):
        return _ops.compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _ops.compare(np.greater, self, other)

    def __ge__(self, other):
        return _ops.compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _ops.compare(np.equal, self, other)

    def __ne__(self, other):
        return _ops.compare(np.not_equal, self, other)

    # --- methods (API.md's order) ------------------------------------------------------
    def add(self, other, *old, alpha=1):
        if old:  # torch's old order x.add(alpha, other)
            alpha, other = _ops.arithmetic.old_order("add", self, other, *old, method=True)
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *old, alpha=1):
        if old:  # torch's old order x.sub(alpha, other)
            alpha, other = _ops.arithmetic.old_order("sub", self, other, *old, method=True)
        return _ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other):
        return _ops.div(self, other)

    def remainder(self, other):
        return _ops.remainder(self, other)

    def fmod(self, other):
        return _ops.fmod(self, other)

    def floor_divide(self, other):
        return _ops.floor_divide(self, other)

    def neg(self):
        return _ops.neg(self)

    # axis= and keepdims= are torch's NumPy-style aliases (backward formulas use them, so
    # one formula runs on Tensors and on arrays)
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        keepdim = keepdim if keepdims is None else keepdims
        return _ops.sum(self, _dim(dim, axis), keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        keepdim = keepdim if keepdims is None else keepdims
        return _ops.mean(self, _dim(dim, axis), keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None):
        return _ops.var(self, _dim(dim, axis), unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None):
        return _ops.std(self, _dim(dim, axis), unbiased, keepdim, correction)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.prod(self, dim, keepdim, dtype=dtype)

    def norm(self, p=2, dim=None, keepdim=False):
        return _ops.norm(self, p, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _ops.cumprod(self, dim, dtype=dtype)

    def median(self, dim=None, keepdim=False):
        return _ops.median(self, dim, keepdim)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _ops.kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _ops.mode(self, dim, keepdim)

    def cummax(self, dim):
        return _ops.cummax(self, dim)

    def cummin(self, dim):
        return _ops.cummin(self, dim)

    def logcumsumexp(self, dim):
        return _ops.logcumsumexp(self, dim)

    def fix(self):
        return _ops.trunc(self)

    def fix_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "fix_", _ops.trunc)

    def xlogy(self, other):
        return _ops.xlogy(self, other)

    def xlogy_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "xlogy_", _ops.xlogy, other)

    def hypot_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "hypot_", _ops.hypot, other)

    def logit_(self, eps=None) -> "Tensor":
        return _ops.inplace.apply_(self, "logit_", _ops.logit, eps)

    def sinc_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "sinc_", _ops.sinc)

    def ldexp_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "ldexp_", _ops.ldexp, other)

    def deg2rad_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "deg2rad_", _ops.deg2rad)

    def rad2deg_(self) -> "Tensor":
        return _ops.inplace.apply_(self, "rad2deg_", _ops.rad2deg)

    def heaviside_(self, values) -> "Tensor":
        return _ops.inplace.apply_(self, "heaviside_", _ops.heaviside, values)

    def float_power_(self, exponent) -> "Tensor":
        if self._data.dtype != np.float64:  # float_power computes in float64
            raise DtypeError(
                f"float_power_: the base given to float_power_ has dtype {self.dtype} but the "
                "operation's result requires dtype torch.float64. Use x.double() first, or the "
                "out-of-place float_power."
            )
        return _ops.inplace.apply_(self, "float_power_", _ops.float_power, exponent)

    def copysign(self, other):
        return _ops.copysign(self, other)

    def copysign_(self, other) -> "Tensor":
        return _ops.inplace.apply_(self, "copysign_", _ops.copysign, other)

    def logit(self, eps=None):
        return _ops.logit(self, eps)

    def sinc(self):
        return _ops.sinc(self)

    def ldexp(self, other):
        return _ops.ldexp(self, other)

    def deg2rad(self):
        return _ops.deg2rad(self)

    def rad2deg(self):
        return _ops.rad2deg(self)

    def float_power(self, exponent):
        return _ops.float_power(self, exponent)

    def signbit(self):
        return _ops.signbit(self)

    def heaviside(self, values):
        return _ops.heaviside(self, values)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _ops.diff(self, n, dim, prepend, append)

    def max(self, dim=None, keepdim=False, *, axis=None):
        if isinstance(dim, Tensor):  # torch's max(other): the elementwise maximum
            return _ops.maximum(self, dim)
        return _ops.max(self, _dim(dim, axis), keepdim)

    def min(self, dim=None, keepdim=False, *, axis=None):
        if isinstance(dim, Tensor):
            return _ops.minimum(self, dim)
        return _ops.min(self, _dim(dim, axis), keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nanmean(self, dim, keepdim, dtype=dtype)

    def count_nonzero(self, dim=None):
        return _ops.count_nonzero(self, dim)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _ops.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> "Tensor":
        return _ops.inplace.apply_(self, "nan_to_num_", _ops.nan_to_num, nan, posinf, neginf)

    def amax(self, dim=(), keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _ops.aminmax(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        return _ops.argmax(self, _dim(dim, axis), keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        return _ops.argmin(self, _dim(dim, axis), keepdim)

    def sort(self, dim=-1, descending=False, stable=False):
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        return _ops.equal(self, other)

    def isfinite(self):
        return _ops.isfinite(self)

    def isnan(self):
        return _ops.isnan(self)

    def isinf(self):
        return _ops.isinf(self)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def sign(self):
        return _ops.sign(self)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    def clamp_min(self, min):
        return _ops.clamp_min(self, min)

    def clamp_max(self, max):
        return _ops.clamp_max(self, max)

    def addcmul(self, tensor1, tensor2, value=1):
        if isinstance(value, Tensor):  # torch's old order x.addcmul(value, tensor1, tensor2)
            value, tensor1, tensor2 = _ops.arithmetic.old_order(
                "addcmul", self, tensor1, tensor2, value, method=True
            )
        return _ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, value=1):
        if isinstance(value, Tensor):  # torch's old order x.addcdiv(value, tensor1, tensor2)
            value, tensor1, tensor2 = _ops.arithmetic.old_order(
                "addcdiv", self, tensor1, tensor2, value, method=True
            )
        return _ops.addcdiv(self, tensor1, tensor2, value=value)

    def conj(self) -> "Tensor":
        """The complex conjugate, a copy (torch's is a lazy view); a real tensor is its own
        conjugate (torch returns self too)."""
        if self._data.dtype.kind != "c":
            return self
        return _ops.complexes.Conj.apply(self)

    def resolve_conj(self) -> "Tensor":
        """This tensor: conj() here already made the conjugate's values, nothing is lazy."""
        return self

    resolve_neg = resolve_conj

    def conj_physical(self) -> "Tensor":
        return self.conj()

    def angle(self) -> "Tensor":
        return _ops.angle(self)

    def stft(
        self,
        n_fft,
        hop_length=None,
        win_length=None,
        window=None,
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=None,
        return_complex=None,
        align_to_window=None,
    ):
        return _fft.stft(self, n_fft, hop_length, win_length, window, center, pad_mode,
                         normalized, onesided, return_complex, align_to_window)  # fmt: skip

    def istft(
        self,
        n_fft,
        hop_length=None,
        win_length=None,
        window=None,
        center=True,
        normalized=False,
        onesided=None,
        length=None,
        return_complex=False,
    ):
        return _fft.istft(self, n_fft, hop_length, win_length, window, center, normalized,
                          onesided, length, return_complex)  # fmt: skip

    @property
    def real(self) -> "Tensor":
        """The real part, a view of a complex tensor's storage; a real tensor itself, as torch."""
        if self._data.dtype.kind == "c":
            return _ops.complexes.Real.apply(self)
        return self

    @property
    def imag(self) -> "Tensor":
        """The imaginary part, a view of a complex tensor's storage."""
        if self._data.dtype.kind == "c":
            return _ops.complexes.Imag.apply(self)
        raise DtypeError(
            f"imag: imag is not implemented for tensors with non-complex dtypes ({self.dtype}). "
            "A real tensor has no imaginary part (it would be torch.zeros_like(x))."
        )

    def is_conj(self) -> bool:
        return False

    is_neg = is_inference = is_pinned = is_conj

    def is_shared(self) -> bool:
        """Whether this tensor's values are in memory other processes can map (share_memory_)."""
        return shared_memory.is_shared(self._data)

    def share_memory_(self) -> "Tensor":
        """Move this tensor's values into shared memory, as torch's does, so that processes it
        is sent to (torch.multiprocessing) update the same values in place. Views of it made
        before this call keep the old memory (torch moves the whole storage); share a model's
        parameters first, then make views or optimizers."""
        if not self.is_shared() and not self.is_meta:
            self._data = shared_memory.share(self._data)
        return self

    # storage kinds this library does not have (torch's properties)
    is_sparse_csr = is_quantized = is_mkldnn = is_nested = False

    def isreal(self):
        return _ops.isreal(self)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def relu(self):
        return _ops.relu(self)

    def softmax(self, dim, dtype=None):
        return _ops.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _ops.log_softmax(self, dim, dtype)

    def logsumexp(self, dim, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.view(self, *shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return _ops.transpose(self, dim0, dim1)

    def swapaxes(self, axis0, axis1):
        return _ops.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def movedim(self, source, destination):
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def broadcast_to(self, size):
        return _ops.broadcast_to(self, size)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tan(self):
        return _ops.tan(self)

    def asin(self):
        return _ops.asin(self)

    def acos(self):
        return _ops.acos(self)

    def atan(self):
        return _ops.atan(self)

    def atan2(self, other):
        return _ops.atan2(self, other)

    def hypot(self, other):
        return _ops.hypot(self, other)

    def logaddexp(self, other):
        return _ops.logaddexp(self, other)

    def sinh(self):
        return _ops.sinh(self)

    def cosh(self):
        return _ops.cosh(self)

    def asinh(self):
        return _ops.asinh(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def log1p(self):
        return _ops.log1p(self)

    def expm1(self):
        return _ops.expm1(self)

    def square(self):
        return _ops.square(self)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def erf(self):
        return _ops.erf(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def round(self, decimals=0):
        return _ops.round(self, decimals)

    def trunc(self):
        return _ops.trunc(self)

    def frac(self):
        return _ops.frac(self)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def t(self):
        return _ops.t(self)

    def mm(self, mat2):
        return _ops.mm(self, mat2)

    def bmm(self, mat2):
        return _ops.bmm(self, mat2)

    def dot(self, other):
        return _ops.dot(self, other)

    def mv(self, vec):
        return _ops.mv(self, vec)

    def inner(self, other):
        return _ops.inner(self, other)

    def matrix_power(self, n):
        return _ops.matrix_power(self, n)

    def matrix_exp(self):
        return _ops.matrix_exp(self)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def view_as(self, other):
        return _ops.view(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def expand_as(self, other):
        return _ops.expand(self, other.shape)

    def repeat(self, *repeats):
        return _ops.repeat(self, *repeats)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tile(self, *dims):
        return _ops.tile(self, *dims)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return _ops.split(self, split_size, dim)

    def narrow(self, dim, start, length):
        return _ops.narrow(self, dim, start, length)

    def gather(self, dim, index, *, sparse_grad=False):
        return _ops.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, value=None):
        return _ops.scatter(self, dim, index, src, value)

    def scatter_add(self, dim, index, src):
        return _ops.scatter_add(self, dim, index, src)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index_add(self, dim, index, source, alpha=alpha)

    def take_along_dim(self, indices, dim=None):
        return _ops.take_along_dim(self, indices, dim)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def fliplr(self):
        return _ops.fliplr(self)

    def flipud(self):
        return _ops.flipud(self)

    def rot90(self, k=1, dims=(0, 1)):
        return _ops.rot90(self, k, dims)

    def flip(self, *dims):
        return _ops.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts, dims=None):
        return _ops.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return _ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.triu(self, diagonal)

    def lerp(self, end, weight):
        return _ops.lerp(self, end, weight)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _ops.bincount(self, weights, minlength)

    def dist(self, other, p=2):
        return _ops.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        return _ops.renorm(self, p, dim, maxnorm)

    def clip(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    def clip_(self, min=None, max=None) -> "Tensor":
        return _ops.inplace.apply_(self, "clip_", _ops.clamp, min, max)

    def nonzero(self, *, as_tuple=False):
        return _ops.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _ops.argwhere(self)

    def masked_select(self, mask):
        return _ops.masked_select(self, mask)

    def select(self, dim, index):
        return _ops.select(self, dim, index)

    def unbind(self, dim=0):
        return _ops.unbind(self, dim)

    def diag(self, diagonal=0):
        return _ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _ops.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _ops.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return _ops.trace(self)

    def unsafe_chunk(self, chunks, dim=0):
        return _ops.unsafe_chunk(self, chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        return _ops.unsafe_split(self, split_size, dim)

    def put(self, index, source, accumulate=False):
        return _ops.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False) -> "Tensor":
        return _ops.inplace.apply_(self, "put_", _ops.put, index, source, accumulate)

    def vdot(self, other):
        return _ops.vdot(self, other)

    def ger(self, vec2):
        return _ops.ger(self, vec2)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1) -> "Tensor":
        return _ops.inplace.apply_(self, "addr_", _ops.addr, vec1, vec2, beta=beta, alpha=alpha)

    def outer(self, vec2):
        return _ops.outer(self, vec2)

    def kron(self, other):
        return _ops.kron(self, other)

    def cross(self, other, dim=None):
        return _ops.cross(self, other, dim)

    def inverse(self):
        return _ops.inverse(self)

    def det(self):
        return _ops.det(self)

    def logdet(self):
        return _ops.logdet(self)

    def slogdet(self):
        return _ops.slogdet(self)

    def pinverse(self, rcond=1e-15):
        return _ops.pinverse(self, rcond)

    def cholesky(self, upper=False):
        return _ops.cholesky(self, upper=upper)

    def cholesky_solve(self, input2, upper=False):
        return _ops.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _ops.cholesky_inverse(self, upper)

    def qr(self, some=True):
        return _ops.qr(self, "reduced" if some else "complete")

    def svd(self, some=True, compute_uv=True):
        return _ops.svd(self, some, compute_uv)

    def lu(self, pivot=True, get_infos=False):
        return _ops.lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        return _ops.lu_solve(self, LU_data, LU_pivots)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _ops.triangular_solve(self, A, upper, transpose, unitriangular)

    def orgqr(self, input2):
        return _ops.orgqr(self, input2)

    def geqrf(self):
        return _ops.geqrf(self)

    def ormqr(self, input2, input3, left=True, transpose=False):
        return _ops.ormqr(self, input2, input3, left, transpose)

    # --- splitting, windows and views (ops/splitting.py) ---------------------------------
    def as_strided(self, size, stride, storage_offset=None):
        return _ops.as_strided(self, size, stride, storage_offset)

    def as_strided_(self, size, stride, storage_offset=None):
        return _ops.strided.as_strided_(self, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        return _ops.as_strided_scatter(self, src, size, stride, storage_offset)

    def unfold(self, dimension, size, step):
        return _ops.unfold(self, dimension, size, step)

    def unflatten(self, dim, sizes):
        return _ops.unflatten(self, dim, sizes)

    def tensor_split(self, indices_or_sections, dim=0):
        return _ops.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return _ops.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _ops.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _ops.dsplit(self, indices_or_sections)

    def split_with_sizes(self, split_sizes, dim=0):
        return _ops.split_with_sizes(self, split_sizes, dim)

    def take(self, index):
        return _ops.take(self, index)

    def narrow_copy(self, dim, start, length):
        return _ops.narrow_copy(self, dim, start, length)

    def diagflat(self, offset=0):
        return _ops.diagflat(self, offset)

    def sum_to_size(self, *size):
        return _ops.sum_to_size(self, *size)

    def adjoint(self):
        return _ops.adjoint(self)

    # --- updates of a region (ops/updates.py) --------------------------------------------
    def index_copy(self, dim, index, source):
        return _ops.index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return _ops.index_fill(self, dim, index, value)

    def index_put(self, indices, values, accumulate=False):
        return _ops.index_put(self, indices, values, accumulate)

    def masked_scatter(self, mask, source):
        return _ops.masked_scatter(self, mask, source)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _ops.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _ops.diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src, dim, index):
        return _ops.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _ops.slice_scatter(self, src, dim, start, end, step)

    # --- statistics (ops/statistics.py) ----------------------------------------------
    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _ops.corrcoef(self)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanmedian(self, dim=None, keepdim=False):
        return _ops.nanmedian(self, dim, keepdim)

    def msort(self):
        return _ops.msort(self)

    def histc(self, bins=100, min=0, max=0):
        return _ops.histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        return _ops.histogram(self, bins, range=range, weight=weight, density=density)

    # --- torch's other names for the methods above (each records the op torch records) --
    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def divide(self, other, *, rounding_mode=None):
        return _ops.divide(self, other, rounding_mode=rounding_mode)

    def multiply(self, other):
        return _ops.mul(self, other)

    def subtract(self, other, *, alpha=1):
        return _ops.subtract(self, other, alpha=alpha)

    def negative(self):
        return _ops.neg(self)

    def positive(self):
        return _ops.positive(self)

    def absolute(self):
        return _ops.abs(self)

    def greater(self, other):
        return _ops.gt(self, other)

    def greater_equal(self, other):
        return _ops.ge(self, other)

    def less(self, other):
        return _ops.lt(self, other)

    def less_equal(self, other):
        return _ops.le(self, other)

    def not_equal(self, other):
        return _ops.ne(self, other)

    def arccos(self):
        return _ops.acos(self)

    def arcsin(self):
        return _ops.asin(self)

    def arctan(self):
        return _ops.atan(self)

    def arctan2(self, other):
        return _ops.atan2(self, other)

    def arccosh(self):
        return _ops.acosh(self)

    def arcsinh(self):
        return _ops.asinh(self)

    def arctanh(self):
        return _ops.atanh(self)

    def ravel(self):
        return _ops.ravel(self)

    # --- more math (ops/pointwise.py, ops/math.py) -----------------------------------
    def acosh(self):
        return _ops.acosh(self)

    def atanh(self):
        return _ops.atanh(self)

    def exp2(self):
        return _ops.exp2(self)

    def erfc(self):
        return _ops.erfc(self)

    def erfinv(self):
        return _ops.erfinv(self)

    def polygamma(self, n):
        return _ops.polygamma(n, self)

    def i0(self):
        return _ops.i0(self)

    def igamma(self, other):
        return _ops.igamma(self, other)

    def igammac(self, other):
        return _ops.igammac(self, other)

    def frexp(self):
        return _ops.frexp(self)

    def nextafter(self, other):
        return _ops.nextafter(self, other)

    def mvlgamma(self, p):
        return _ops.mvlgamma(self, p)

    def lgamma(self):
        return _ops.lgamma(self)

    def digamma(self):
        return _ops.digamma(self)

    def sgn(self):
        return _ops.sgn(self)

    def logaddexp2(self, other):
        return _ops.logaddexp2(self, other)

    def fmax(self, other):
        return _ops.fmax(self, other)

    def fmin(self, other):
        return _ops.fmin(self, other)

    def hardshrink(self, lambd=0.5):
        return _ops.hardshrink(self, lambd)

    # --- tests of values, logic and bits (no gradient; ops/comparison.py) ----------------
    def isposinf(self):
        return _ops.isposinf(self)

    def isneginf(self):
        return _ops.isneginf(self)

    def logical_and(self, other):
        return _ops.logical_and(self, other)

    def logical_or(self, other):
        return _ops.logical_or(self, other)

    def logical_xor(self, other):
        return _ops.logical_xor(self, other)

    def logical_not(self):
        return _ops.logical_not(self)

    def gcd(self, other):
        return _ops.gcd(self, other)

    def lcm(self, other):
        return _ops.lcm(self, other)

    def bitwise_and(self, other):
        return _ops.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _ops.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _ops.bitwise_xor(self, other)

    def bitwise_not(self):
        return _ops.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (f"{loss:.4f}"); others only without a spec."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(
                f"unsupported format string passed to Tensor.__format__ ({spec!r} for a tensor "
                f"of shape {tuple(self._data.shape)}). Format a number: t.item() or t[i]."
            )
        return repr(self)


def _same(tensor):
    return tensor


_STATE_SLOTS = tuple(slot for slot in Tensor.__slots__ if slot != "__weakref__")


def _constructor_array(args: tuple, dtype) -> np.ndarray:
    """The array of torch.Tensor(*args) (see Tensor.__init__)."""
    if dtype is not None:
        if len(args) != 1:
            raise TypeError(f"Tensor(..., dtype={dtype}): give one data argument with a dtype.")
        data = args[0]
        return dtypes.as_array(data._data if isinstance(data, Tensor) else data, dtype)
    default = dtypes.get_default_dtype()
    if not args or (len(args) == 1 and isinstance(args[0], Size)) or all(map(_is_size, args)):
        sizes = tuple(args[0]) if args and isinstance(args[0], Size) else args or (0,)
        if any(n < 0 for n in sizes):
            raise ShapeError(
                f"Tensor: Trying to create tensor with negative dimension {min(sizes)}: "
                f"{list(sizes)}. Sizes must be non-negative."
            )
        return np.zeros(sizes, default.dtype)
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return dtypes.as_array(args[0], default)
    raise TypeError(
        "Tensor(): data must be a sequence or sizes must be integers (got "
        f"{', '.join(type(a).__name__ for a in args)}). Pass a list such as torch.Tensor([1, 2]), "
        "sizes such as torch.Tensor(2, 3), or use torch.tensor(2.5) for a 0-d tensor."
    )


def _is_size(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def is_tensor(obj) -> bool:
    """True for a Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """The number of elements of a tensor (torch.numel)."""
    return input.numel()


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def is_complex(input) -> bool:
    return input.is_complex()


def is_signed(input) -> bool:
    return input.is_signed()


def get_device(input) -> int:
    return input.get_device()


def is_same_size(input, other) -> bool:
    return input.is_same_size(other)


def is_nonzero(input) -> bool:
    """Whether a one-element tensor is nonzero (bool(t) with torch's errors)."""
    size = input._data.size
    if size != 1:
        what = "no values" if size == 0 else "more than one value"
        raise RuntimeError(
            f"is_nonzero: Boolean value of Tensor with {what} is ambiguous (shape "
            f"{tuple(input._data.shape)}). Give a one-element tensor, or use .any() or .all()."
        )
    return bool(input)


def _dim(dim, axis):
    """torch accepts NumPy's axis= as an alias of dim=."""
    return dim if axis is None else axis


# The one late import of the engine: the backward scheduler and the ops build on Tensor, and
# Tensor's methods call them (stft/istft: torch.fft's); everything else imports in one direction.
from . import fft as _fft  # noqa: E402
from . import gradients as _gradients  # noqa: E402
from . import ops as _ops  # noqa: E402
from . import sparse as _sparse  # noqa: E402
