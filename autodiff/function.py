"""Function: the one way into the graph, for built-in ops, nn kernels and users' ops.

forward(ctx, *args, **options) gets NumPy arrays (Python numbers stay numbers) and returns an
array; backward(ctx, *grads) gets and returns Tensors, so the same formula gives second
derivatives when run with create_graph=True (and, where the Function says so, runs on arrays
in first-order backward: array_backward).
"""

import numpy as np

from . import coo, meta, saved, tracing
from .dtypes import BF16, USED, check_broadcast
from .grad_mode import _state as _mode
from .graph import SMALL, NoContext, Node, accumulator, remember_forward
from .tensor import Tensor
from .views import mark_view, refresh, stale

_make = Tensor._make
_OURS = ("autodiff.", "nn.", "viz.", "autodiff_cli.")  # the packages whose ops are checked


class Function:
    """Subclass with static forward/backward; call `MyFn.apply(*args)`."""

    node_name = None  # PyTorch's grad_fn name; default f"{cls.__name__}Backward"
    symbol = None  # short label for pictures; default: the class name
    view = False  # forward may return a view of its first input (reshape, transpose, t[1:])
    # backward's formula also runs on NumPy arrays (operators and methods arrays share with
    # Tensors: + * @ .sum(axis) .reshape .mT): first-order backward then skips the Tensor
    # wrappers; create_graph still runs it on Tensors, recorded
    array_backward = False
    # the op's name when its operands broadcast: NumPy's bare "operands could not be
    # broadcast" becomes check_broadcast's error naming the op and the shapes
    broadcasts = None
    # NumPy's operator on 0-d values (NumPy scalars, what a formula written for arrays meets
    # there) computes this op otherwise than its ufunc on 0-d arrays: ** is libm's pow, np.power
    # a vectorised one, and they differ in the last bit. ad.compile then replays such a formula
    # as eager runs it, never op by op
    scalar_operator_differs = False
    # backward follows torch's complex convention (the conjugate Wirtinger derivative): the
    # op may record a node whose output or an input is complex. Others are refused there
    # (_refuse_complex), never computed with a formula written for real numbers
    complex_grad = False
    # forward takes a sparse COO tensor's array (autodiff/sparse.py's ops); apply sends any
    # other op on a sparse tensor to sparse.run (coo.ops), which has its sparse form or refuses
    takes_sparse = False

    def __init_subclass__(cls, **kwargs):
        """A user's Function (defined outside this library) writes its own backward, complex
        gradients included: torch records it for complex tensors too."""
        super().__init_subclass__(**kwargs)
        if "complex_grad" not in cls.__dict__ and not cls.__module__.startswith(_OURS):
            cls.complex_grad = True

    # forward handles bfloat16 arrays itself (a cast, a copy). Every other op meets bfloat16
    # inputs at apply's seam: it computes on them in float32 and its result is rounded to
    # bfloat16, as torch's CPU kernels compute (views move the bits unchanged, and stay views)
    native_bfloat16 = False
    # which scalar operands (numbers, 0-d tensors) torch's kernel casts to bfloat16 before
    # computing: "all" (add, sub: alpha too), "first" (mul, div: a scalar second operand is
    # used as given, a 0-d tensor first is cast), None (computed as given)
    bfloat16_scalars = None

    @staticmethod
    def numpy_forward(*arrays):
        """The NumPy function that computes forward(ctx, *arrays) alone when ctx saves nothing
        (Add: np.add, for operands promote leaves as they are), or None where forward does
        more. ad.compile's replays call it in place of forward."""
        return None

    @staticmethod
    def forward(ctx, *args, **options):
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define a static backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **options):
        """Run forward on arrays; when grad is on and some input requires grad, record a node.
        An option may be a tensor that needs no gradient (a target, indices): forward gets its
        array. While ad.compile traces, the op is a step of its program (the seam)."""
        tracer = tracing._state.tracer
        if tracer is not None:
            return tracer.apply(cls, args, options)
        if USED.special:  # a profile, a bfloat16, meta or sparse array may exist: own paths
            if _mode.profiler is not None:  # torch.profiler: the op is an event (recorder.py)
                return _mode.profiler.op(cls, args, options)
            if USED.sparse and not cls.takes_sparse and coo.among(args, options):
                return coo.ops.run(cls, args, options)
            if USED.meta and meta.among(args, options):
                return meta.run(cls, args, options, Tensor)
            bf16 = USED.bfloat16 and not (cls.view or cls.native_bfloat16)
            if bf16 and has_bfloat16(args, options):
                return _in_float32(cls, args, options)
        if options:
            options = _arrays_of(options)
        try:
            edges = _edges(args) if _mode.enabled else None
            if edges is None:  # grad disabled, or no input requires grad
                return _unrecorded(cls, args, options)
            return _record(cls, args, options, edges)
        except ValueError:  # costs nothing until NumPy fails (a check first would cost ~1 us)
            if cls.broadcasts is not None:
                arrays = [v for v in options.values() if isinstance(v, np.ndarray)]
                check_broadcast(cls.broadcasts, *args, *arrays)
            raise  # not a broadcasting error: NumPy's own


def has_bfloat16(args, options) -> bool:
    """Whether a tensor or array among an op's inputs is bfloat16."""
    for a in (*args, *options.values()):
        if isinstance(a, (Tensor, np.ndarray)) and a.dtype == BF16:
            return True
    return False


def _in_float32(cls, args, options):
    """cls on bfloat16 inputs, as torch's CPU kernels run it: on their float32 values (exact),
    its float32 result rounded (to nearest, ties to even) to bfloat16 where torch's promotion
    gives bfloat16. The casts are ToCopy nodes, so gradients reach the inputs in bfloat16.
    (ad.compile's tracer refuses bfloat16 inputs before this.)"""
    narrow = _gives_bfloat16([*args, *options.values()])
    if narrow and cls.bfloat16_scalars == "all":
        args = [_bfloat16_scalar(a) for a in args]
        options = {k: _bfloat16_scalar(v) for k, v in options.items()}
    elif narrow and cls.bfloat16_scalars == "first" and isinstance(args[0], Tensor):
        args = [_bfloat16_scalar(args[0]), *args[1:]]
    wide = [_float32(a) for a in args]
    out = cls.apply(*wide, **{k: _float32(v) for k, v in options.items()})
    if not narrow:
        return out
    if isinstance(out, (tuple, list)):
        return type(out)(_round(o) for o in out)
    return _round(out)


def _float32(value):
    if isinstance(value, Tensor) and value.dtype == BF16:
        return value.to(np.float32)
    if isinstance(value, np.ndarray) and value.dtype == BF16:
        return value.astype(np.float32)
    return value


def _bfloat16_scalar(value):
    """A Python number or a 0-d tensor rounded to bfloat16; anything else as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(BF16.type(value))
    if isinstance(value, Tensor) and value.ndim == 0 and _floating(value.dtype):
        return value.to(BF16)
    return value


def _round(out):
    if isinstance(out, Tensor) and out._data.dtype == np.float32:
        return out.to(BF16)
    return out


def _gives_bfloat16(values) -> bool:
    """torch's promotion among the float operands: tensors with dims decide, else 0-d ones;
    bfloat16 only if all of the deciding ones are (with float16 or float32: float32)."""
    floats = [v for v in values if isinstance(v, (Tensor, np.ndarray)) and _floating(v.dtype)]
    deciding = [v for v in floats if v.ndim] or floats
    return all(v.dtype == BF16 for v in deciding)


def _floating(dtype) -> bool:
    return dtype.kind == "f" or dtype == BF16


def _arrays_of(options: dict) -> dict:
    for value in options.values():
        if isinstance(value, Tensor):
            return {k: v._data if isinstance(v, Tensor) else v for k, v in options.items()}
    return options


def _unrecorded(cls, args, options):
    """Forward alone (grad disabled, or no input requires grad)."""
    n = len(args)
    ctx = NoContext(_NO_NEEDS[n] if n < 4 else (False,) * n)
    out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args], **options)
    result = _make(_output(out, cls, args))
    if cls.view:
        mark_view(result, args[0], cls, options)
    return result


_NO_NEEDS = ((), (False,), (False, False), (False, False, False))


def _record(cls, args, options, edges):
    """Forward with a new node: its edges and input metadata, then what forward saved."""
    arrays, children, meta, needs, constants = edges
    ctx = Context(cls, children, meta, needs, constants)
    out = returned = cls.forward(ctx, *arrays, **options)
    out = _output(out, cls, args)
    dtype = out.dtype
    if dtype.kind not in "fc" and dtype != BF16:  # integer or bool: no gradient, no node
        result = _make(out)
    else:
        if (dtype.kind == "c" or id(meta) in _COMPLEX_META) and not cls.complex_grad:
            _refuse_complex(cls, out, meta)
        if options:
            ctx.options = options
        ctx.out_shape, ctx.out_dtype = out.shape, dtype
        remember_forward(ctx, out, args)
        result = _make(out, True, ctx)
    if cls.view:
        mark_view(result, args[0], cls, options)
    if result.grad_fn is not None and ctx._saved:
        saved.keep(ctx, args, arrays, out, returned, result)
    return result


def _edges(args):
    """Per input: its array, its edge (its grad_fn, its leaf's AccumulateGrad, or None for a
    constant), its (shape, dtype) and whether it needs a gradient; and the value of each input
    without an edge (Python numbers, small tensors: for pictures), or () if all have one.
    None when no input requires grad: nothing to record. A view whose base changed in place
    first takes the base's new history."""
    if 0 < len(args) <= 2:  # most ops: written out, since this runs once per op (make bench)
        return _edges_few(*args)
    arrays, children, meta, needs = [], [], [], []
    constants = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if a._base is not None and stale(a):
                refresh(a)
            data = a._data
            arrays.append(data)
            meta.append((data.shape, data.dtype))
            if a._requires_grad:
                children.append(a.grad_fn or accumulator(a))
                needs.append(True)
                continue
            value = data if data.size <= SMALL else None
        else:
            arrays.append(a)
            meta.append(None)
            value = a
        children.append(None)
        needs.append(False)
        if constants is None:
            constants = [None] * len(args)
        constants[i] = value
    if True not in needs:
        return None
    constants = () if constants is None else tuple(constants)
    return arrays, tuple(children), _interned(tuple(meta)), _interned(tuple(needs)), constants


_UNARY = object()  # _edges_few's y when the op has one input
_NEEDS1 = (True,)
_NEEDS2 = {(a, b): (a, b) for a in (False, True) for b in (False, True)}


def _edges_few(x, y=_UNARY):
    """_edges for one or two inputs, without lists."""
    constants = ()
    if isinstance(x, Tensor):
        if x._base is not None and stale(x):
            refresh(x)
        ax = x._data
        mx = (ax.shape, ax.dtype)
        cx = (x.grad_fn or accumulator(x)) if x._requires_grad else None
        if cx is None:
            constants = (ax if ax.size <= SMALL else None, None)
    else:
        ax, mx, cx, constants = x, None, None, (x, None)
    if y is _UNARY:  # recorded only if its input requires grad: no constants then
        if cx is None:
            return None
        meta = (mx,)
        return (ax,), (cx,), _interned(meta), _NEEDS1, ()
    if isinstance(y, Tensor):
        if y._base is not None and stale(y):
            refresh(y)
        ay = y._data
        my = (ay.shape, ay.dtype)
        cy = (y.grad_fn or accumulator(y)) if y._requires_grad else None
        if cy is None:
            constants = (constants[0] if constants else None, ay if ay.size <= SMALL else None)
    else:
        ay, my, cy = y, None, None
        constants = (constants[0] if constants else None, y)
    if cx is None and cy is None:
        return None
    meta = (mx, my)
    needs = _NEEDS2[cx is not None, cy is not None]
    return (ax, ay), (cx, cy), _interned(meta), needs, constants


def _output(out, cls, args) -> np.ndarray:
    """forward's result as an array (np.exp of a 0-d array gives a NumPy scalar), checked for
    NaN/Inf under detect_anomaly."""
    if type(out) is not np.ndarray:
        out = out._data if isinstance(out, Tensor) else np.asarray(out)
    if _mode.anomaly and not _mode.in_formula:
        check_finite(out, cls, args)
    return out


class Context(Node):
    """The graph node as its Function's forward and backward see it (torch's ctx)."""

    __slots__ = ()

    def save_for_backward(self, *values) -> None:
        """Keep inputs, the output or other arrays for backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as tensors (arrays in first-order backward of a formula written
        for arrays); inputs and output stay connected to the graph."""
        if self._saved is None:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have already been freed). Saved values are "
                "freed when you call .backward() or ad.grad(). Specify retain_graph=True if "
                "you need to backward through the graph a second time."
            )
        graph = _mode.enabled
        arrays = not graph and self.function.array_backward and tracing._state.tracer is None
        return saved.unpack(self, arrays, graph)


_INTERNED = {}
_COMPLEX_META = set()  # the ids of interned input metadata that hold a complex dtype


def _interned(value: tuple) -> tuple:
    """One shared copy of common metadata tuples: fewer objects for the GC to traverse. The
    ones with a complex input are noted once here, so _record's check costs a set lookup."""
    shared = _INTERNED.get(value)
    if shared is None:
        if len(_INTERNED) > 4096:
            _INTERNED.clear()
            _COMPLEX_META.clear()
        shared = _INTERNED[value] = value
        if any(
            type(m) is tuple and len(m) == 2 and getattr(m[1], "kind", "") == "c" for m in value
        ):
            _COMPLEX_META.add(id(shared))
    return shared


COMPLEX_GRAD_OPS = (
    "add, sub, mul, div, neg, conj, resolve_conj, abs, angle, real, imag, exp, log, sqrt, "
    "reciprocal, square, pow by a real number, sum, mean, matmul, reshape/view/transpose/permute/"
    "indexing/cat/stack, .to(dtype), torch.complex, torch.polar, view_as_real, view_as_complex "
    "and torch.fft's transforms"
)


def _refuse_complex(cls, out, meta) -> None:
    """An op whose backward is written for real numbers met a complex tensor that requires
    grad: refuse rather than give a gradient that is not torch's."""
    dtypes = sorted({str(m[1]) for m in meta if m is not None} | {str(out.dtype)})
    raise NotImplementedError(
        f"{cls.node_name or cls.__name__ + 'Backward'}: the gradient of this op is not "
        f"implemented for complex tensors (dtypes {', '.join(dtypes)}). Ops with complex "
        f"gradients here: {COMPLEX_GRAD_OPS}. Compute on .real and .imag (or "
        "torch.view_as_real) instead, or detach the complex tensor."
    )


def check_finite(array, cls, args) -> None:
    """detect_anomaly's check of one op's result: a NaN or Inf output is blamed on the op that
    made it. When an input already held it (made where no check ran: data, a leaf, a write
    under no_grad or through .data), that input's producer is named instead of this op (a
    reshape makes none)."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return
    kind = "nan" if np.isnan(array).any() else "inf"
    op = f"{cls.__name__.lower()} (forward)"
    for a in args:
        if isinstance(a, Tensor) and a._data.dtype.kind in "fc" and not np.isfinite(a._data).all():
            made = f"made by {a.grad_fn.name()}" if a.grad_fn else "given as data (a leaf)"
            raise RuntimeError(
                f"detect_anomaly: nan or inf values reach {op} from an input (shape {a.shape}) "
                f"{made}, where detect_anomaly did not check them (outside it, or a write under "
                "no_grad or through .data); this op did not make them."
            )
    raise RuntimeError(
        f"detect_anomaly: {op} produced {kind} values (shape {array.shape}). "
        "Check the inputs of this op (e.g. log or sqrt of values <= 0)."
    )
