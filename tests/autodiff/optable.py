"""The op table (TESTING.md): one row per op drives every generic test.

A row knows our function, a NumPy float64 reference, the torch twin, its arity, the
value domain of each input, its kinks, whether values must be tie-free, a strategy for
shapes and keyword arguments, PyTorch's node name, whether second order is checked and
any tolerance override with its reason. Adding an op adds a row.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from opcases import (
    _flattens,
    _index_name,
    _matmul_name,
    _named,
    _np_logsumexp,
    _np_max_dim,
    _np_reduce,
    _np_softmax,
    _np_var,
    _one_proper_slice_or_int,
    _squeeze_name,
    _torch_dtype,
    _torch_index,
    _torch_where,
    _whole_or_dims,
    advanced_index_case,
    away,
    basic_index_case,
    cat_case,
    clamp_case,
    clamp_prepare,
    elementwise,
    expand_case,
    flatten_case,
    float_arrays,
    interleave,
    mask_case,
    matmul_shapes,
    permute_case,
    reduction,
    reshape_case,
    softmax_case,
    spread,
    squeeze_case,  # fmt: skip
    transpose_case,
    unary,
    unsqueeze_case,
    where_case,
)

import autodiff as ad

VARIADIC = -1


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # (*tensors, **kwargs) -> Tensor
    ref: Callable  # (*float64 arrays, **kwargs) -> ndarray
    torch_fn: Callable  # (*torch tensors, **kwargs) -> torch.Tensor
    arity: int  # number of tensor inputs (VARIADIC for cat/stack)
    cases: st.SearchStrategy  # (input shapes, kwargs)
    node: object  # PyTorch's grad_fn name, or a function (shapes, kwargs) -> name
    domains: tuple = ((-3.0, 3.0),)  # one (lo, hi) per input; the last one repeats
    kinks: tuple = ()  # every input keeps at least `gap` away from these
    gap: float = 1e-3
    tie_free: bool = False  # values spread apart (max, min)
    prepare: Callable | None = None  # (arrays, kwargs) -> arrays: kinks that depend on both
    second_order: bool = True
    gradgrad: bool = False  # also run the (slower) gradgradcheck
    saves: bool = True  # saves values: a second backward without retain_graph must raise
    torch_edges: bool = True  # next_functions match torch's edge for edge
    rtol: float = 1e-5
    atol: float = 1e-7
    tol_reason: str = ""
    empty: tuple | None = None  # (shapes, kwargs) of a zero-size case; None: torch refuses
    torch_named: Callable | None = None  # (shapes, kwargs) -> whether torch's top node is ours

    def node_name(self, shapes, kwargs) -> str:
        return self.node(shapes, kwargs) if callable(self.node) else self.node

    def same_name_as_torch(self, shapes, kwargs) -> bool:
        return self.torch_named is None or self.torch_named(shapes, kwargs)

    def domain(self, i: int) -> tuple:
        return self.domains[min(i, len(self.domains) - 1)]

    def __repr__(self):  # pytest ids
        return self.name


@st.composite
def case(draw, op: Op, shapes_kwargs=None):
    """(float64 input arrays, kwargs) for a row, inside its domains and away from kinks."""
    shapes, kwargs = draw(op.cases) if shapes_kwargs is None else shapes_kwargs
    arrays = []
    for i, s in enumerate(shapes):
        a = away(draw(float_arrays(s, op.domain(i))), op.kinks, op.gap)
        arrays.append(spread(a) if op.tie_free else a)
    if op.prepare is not None:
        arrays = op.prepare(arrays, kwargs)
    return [np.asarray(a, dtype=np.float64) for a in arrays], kwargs


POS = (0.1, 3.0)
F32 = np.float32
_EMPTY1 = (((0, 3),), {})
_EMPTY2 = (((0, 3), (3,)), {})


def _torch():
    import torch

    return torch


ROWS = [
    Op("add", lambda a, b: a + b, np.add, lambda a, b: a + b, 2, elementwise(2), "AddBackward0",
       saves=False, empty=_EMPTY2),
    Op("sub", lambda a, b: a - b, np.subtract, lambda a, b: a - b, 2, elementwise(2),
       "SubBackward0", saves=False, empty=_EMPTY2),
    Op("rsub_number", lambda a: 2.5 - a, lambda a: 2.5 - a, lambda a: 2.5 - a, 1, unary(),
       "RsubBackward1", saves=False, torch_edges=False, empty=_EMPTY1),
    Op("mul", lambda a, b: a * b, np.multiply, lambda a, b: a * b, 2, elementwise(2),
       "MulBackward0", empty=_EMPTY2, gradgrad=True),
    Op("div", lambda a, b: a / b, np.divide, lambda a, b: a / b, 2, elementwise(2),
       "DivBackward0", kinks=(0.0,), gap=0.5, empty=_EMPTY2, gradgrad=True),
    Op("pow_number", lambda a, exponent: a**exponent,
       lambda a, exponent: np.power(a, exponent), lambda a, exponent: a**exponent,
       1, unary().flatmap(lambda c: st.sampled_from([2, 3, -1, 0.5, 1.5, 0, 1]).map(
           lambda e: (c[0], {"exponent": e}))), "PowBackward0", domains=(POS,), empty=(
           ((0, 3),), {"exponent": 2})),
    Op("pow_int_negative_base", lambda a: a**3, lambda a: a**3, lambda a: a**3, 1, unary(),
       "PowBackward0", empty=_EMPTY1),
    Op("pow_tensor", lambda a, b: a**b, np.power, lambda a, b: a**b, 2, elementwise(2),
       "PowBackward1", domains=(POS, (-2.0, 2.0)), empty=_EMPTY2, kinks=(0.0,), gradgrad=True),
    # kinks: torch masks d/da at exponent 0, which makes its mixed second derivative 0 there
    Op("pow_number_base", lambda a: 1.7**a, lambda a: 1.7**a, lambda a: 1.7**a, 1, unary(),
       "PowBackward2", torch_edges=False, empty=_EMPTY1),
    Op("neg", lambda a: -a, np.negative, lambda a: -a, 1, unary(), "NegBackward0", saves=False,
       empty=_EMPTY1),
    Op("exp", ad.exp, np.exp, lambda a: a.exp(), 1, unary(), "ExpBackward0", empty=_EMPTY1, gradgrad=True),
    Op("log", ad.log, np.log, lambda a: a.log(), 1, unary(), "LogBackward0", domains=(POS,),
       empty=_EMPTY1, gradgrad=True),
    Op("sqrt", lambda a: a.sqrt(), np.sqrt, lambda a: a.sqrt(), 1, unary(), "SqrtBackward0",
       domains=(POS,), empty=_EMPTY1, gradgrad=True),
    Op("abs", ad.abs, np.abs, lambda a: a.abs(), 1, unary(), "AbsBackward0", kinks=(0.0,),
       empty=_EMPTY1),
    Op("clamp", lambda a, min, max: a.clamp(min, max), lambda a, min, max: np.clip(a, min, max),
       lambda a, min, max: a.clamp(min, max), 1, clamp_case(), "ClampBackward1",
       prepare=clamp_prepare, empty=(((0, 3),), {"min": -1.0, "max": 1.0})),
    Op("sigmoid", ad.sigmoid, lambda a: 1 / (1 + np.exp(-a)), lambda a: a.sigmoid(), 1, unary(),
       "SigmoidBackward0", domains=((-6.0, 6.0),), empty=_EMPTY1, gradgrad=True),
    Op("tanh", lambda a: a.tanh(), np.tanh, lambda a: a.tanh(), 1, unary(), "TanhBackward0",
       empty=_EMPTY1, gradgrad=True),
    Op("relu", ad.relu, lambda a: np.maximum(a, 0), lambda a: a.relu(), 1, unary(),
       "ReluBackward0", kinks=(0.0,), empty=_EMPTY1),
    Op("softmax", lambda a, dim: a.softmax(dim), _np_softmax, lambda a, dim: a.softmax(dim), 1,
       softmax_case(), "SoftmaxBackward0", empty=(((0, 3),), {"dim": 1}), gradgrad=True),
    Op("log_softmax", lambda a, dim: ad.log_softmax(a, dim),
       lambda a, dim: np.log(_np_softmax(a, dim)), lambda a, dim: a.log_softmax(dim), 1,
       softmax_case(), "LogSoftmaxBackward0", empty=(((0, 3),), {"dim": 1}), gradgrad=True),
    Op("logsumexp", lambda a, dim, keepdim: a.logsumexp(dim, keepdim), _np_logsumexp,
       lambda a, dim, keepdim: a.logsumexp(dim, keepdim), 1, reduction(allow_none=False),
       "LogsumexpBackward0", empty=(((0, 3),), {"dim": 1, "keepdim": False}), gradgrad=True),
    Op("sum", lambda a, dim, keepdim: a.sum(dim, keepdim), _np_reduce(np.sum),
       _whole_or_dims("sum"), 1, reduction(),
       _named("SumBackward0", "SumBackward1"), saves=False,
       empty=(((0, 3),), {"dim": 0, "keepdim": True})),
    Op("mean", lambda a, dim, keepdim: ad.mean(a, dim, keepdim), _np_reduce(np.mean),
       _whole_or_dims("mean"), 1,
       reduction(), _named("MeanBackward0", "MeanBackward1"), saves=False,
       empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("var", lambda a, dim, keepdim: a.var(dim, keepdim=keepdim), _np_var,
       lambda a, dim, keepdim: a.var(dim=dim, keepdim=keepdim), 1,
       reduction(min_side=2), "VarBackward0", empty=(((0, 3),), {"dim": 1, "keepdim": False}), gradgrad=True),
    Op("max_all", lambda a: a.max(), np.max, lambda a: a.max(), 1, unary(), "MaxBackward1",
       tie_free=True),
    Op("min_all", lambda a: ad.min(a), np.min, lambda a: a.min(), 1, unary(), "MinBackward1",
       tie_free=True),
    Op("max_dim", lambda a, dim, keepdim: a.max(dim, keepdim)[0], _np_max_dim,
       lambda a, dim, keepdim: a.max(dim, keepdim)[0], 1,
       reduction(allow_none=False, allow_tuple=False), "MaxBackward0", tie_free=True,
       empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("min_dim", lambda a, dim, keepdim: a.min(dim, keepdim)[0],
       lambda a, dim, keepdim: _np_max_dim(a, dim, keepdim, np.argmin),
       lambda a, dim, keepdim: a.min(dim, keepdim)[0], 1,
       reduction(allow_none=False, allow_tuple=False), "MinBackward0", tie_free=True,
       empty=(((0, 3),), {"dim": 1, "keepdim": True})),
    Op("reshape", lambda a, shape: a.reshape(shape), lambda a, shape: a.reshape(shape),
       lambda a, shape: a.reshape(shape), 1, reshape_case(), "ViewBackward0", saves=False,
       empty=(((0, 3),), {"shape": (3, 0)})),
    Op("view", lambda a, shape: a.view(*shape), lambda a, shape: a.reshape(shape),
       lambda a, shape: a.reshape(shape), 1, reshape_case(), "ViewBackward0", saves=False,
       empty=(((0, 3),), {"shape": (-1,)})),
    Op("flatten", lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim),
       lambda a, start_dim, end_dim: _np_flatten(a, start_dim, end_dim),
       lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim), 1, flatten_case(),
       "ViewBackward0", saves=False, empty=(((0, 3),), {"start_dim": 0, "end_dim": -1}),
       torch_named=_flattens),  # torch returns the input itself when nothing is merged
    Op("transpose", lambda a, dim0, dim1: a.transpose(dim0, dim1),
       lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
       lambda a, dim0, dim1: a.transpose(dim0, dim1), 1, transpose_case(),
       "TransposeBackward0", saves=False, empty=(((0, 3),), {"dim0": 0, "dim1": 1})),
    Op("permute", lambda a, dims: a.permute(*dims), lambda a, dims: np.transpose(a, dims),
       lambda a, dims: a.permute(dims), 1, permute_case(), "PermuteBackward0", saves=False,
       empty=(((0, 3),), {"dims": (1, 0)})),
    Op("T", lambda a: a.T, lambda a: a.T, lambda a: a.T, 1, unary(max_dims=2),
       "PermuteBackward0", saves=False, empty=_EMPTY1),
    Op("unsqueeze", lambda a, dim: a.unsqueeze(dim), lambda a, dim: np.expand_dims(a, dim),
       lambda a, dim: a.unsqueeze(dim), 1, unsqueeze_case(), "UnsqueezeBackward0", saves=False,
       empty=(((0, 3),), {"dim": 1})),
    Op("squeeze", lambda a, dim: a.squeeze(dim), lambda a, dim: _np_squeeze(a, dim),
       lambda a, dim: a.squeeze() if dim is None else a.squeeze(dim), 1, squeeze_case(),
       _squeeze_name, saves=False, empty=(((0, 1),), {"dim": 1})),
    Op("expand", lambda a, sizes: a.expand(*sizes),
       lambda a, sizes: np.broadcast_to(a, _np_expand(a.shape, sizes)),
       lambda a, sizes: a.expand(*sizes), 1, expand_case(), "ExpandBackward0", saves=False,
       empty=(((1, 3),), {"sizes": (0, 3)})),
    Op("getitem_basic", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[index], 1, basic_index_case(), _index_name, saves=False,
       torch_edges=False, empty=(((0, 3),), {"index": (slice(None), 1)}),
       torch_named=_one_proper_slice_or_int),
    Op("getitem_advanced", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[_torch_index(index)], 1, advanced_index_case(), "IndexBackward0",
       saves=False, empty=(((3, 2),), {"index": np.zeros(0, dtype=np.int64)})),
    Op("getitem_mask", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[_torch_index(index)], 1, mask_case(), "IndexBackward0", saves=False,
       empty=(((3, 2),), {"index": np.zeros((3, 2), dtype=bool)})),
    Op("matmul", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, 2, matmul_shapes(),
       _matmul_name, empty=(((0, 3), (3, 2)), {}),
       torch_named=lambda shapes, kw: _matmul_name(shapes, kw) != "BmmBackward0", gradgrad=True),
    Op("cat", lambda *ts, dim: ad.cat(ts, dim), lambda *xs, dim: np.concatenate(xs, dim),
       lambda *ts, dim: _torch().cat(ts, dim), VARIADIC, cat_case(), "CatBackward0",
       saves=False, empty=(((0, 3), (2, 3)), {"dim": 0})),
    Op("stack", lambda *ts, dim: ad.stack(ts, dim), lambda *xs, dim: np.stack(xs, dim),
       lambda *ts, dim: _torch().stack(ts, dim), VARIADIC, cat_case(stack=True),
       "StackBackward0", saves=False, empty=(((0, 3), (0, 3)), {"dim": 1})),
    Op("where", lambda a, b, condition: ad.where(ad.tensor(condition), a, b),
       lambda a, b, condition: np.where(condition, a, b), _torch_where, 2, where_case(),
       "WhereBackward0", empty=(((0, 3), (3,)), {"condition": np.zeros((1, 3), dtype=bool)})),
    Op("maximum", ad.maximum, np.maximum, lambda a, b: _torch().maximum(a, b), 2,
       elementwise(2), "MaximumBackward0", prepare=interleave, empty=_EMPTY2),
    Op("minimum", ad.minimum, np.minimum, lambda a, b: _torch().minimum(a, b), 2,
       elementwise(2), "MinimumBackward0", prepare=interleave, empty=_EMPTY2),
    Op("to_float32", lambda a: a.to(F32), lambda a: a.astype(F32).astype(np.float64),
       lambda a: a.to(_torch_dtype(F32)), 1, unary(), "ToCopyBackward0", saves=False,
       rtol=0.1, atol=1e-4, second_order=False,
       tol_reason="a float32 forward quantizes the central difference: the step 2e-6 is "
       "only ~17 float32 ulps at |x| ~ 1", empty=_EMPTY1),
    Op("float", lambda a: a.float(), lambda a: a.astype(F32).astype(np.float64),
       lambda a: a.float(), 1, unary(), "ToCopyBackward0", saves=False, rtol=0.1, atol=1e-4,
       second_order=False, tol_reason="float32 forward (see to_float32)", empty=_EMPTY1),
    Op("double_of_float32", lambda a: a.float().double(), lambda a: a.astype(F32),
       lambda a: a.float().double(), 1, unary(), "ToCopyBackward0", saves=False, rtol=0.1,
       atol=1e-4, second_order=False, torch_edges=True, tol_reason="float32 in the middle",
       empty=_EMPTY1),
    Op("clone", lambda a: a.clone(), np.copy, lambda a: a.clone(), 1, unary(),
       "CloneBackward0", saves=False, empty=_EMPTY1),
]  # fmt: skip
BY_NAME = {op.name: op for op in ROWS}
SECOND_ORDER = [op for op in ROWS if op.second_order]
SAVING = [op for op in ROWS if op.saves]


def _np_flatten(a, start_dim, end_dim):
    if a.ndim == 0:
        return a.reshape(1)
    start, end = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1 :])


def _np_squeeze(a, dim):
    if dim is None:
        return np.squeeze(a)
    return np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a


def _np_expand(shape, sizes):
    lead = len(sizes) - len(shape)
    return tuple(shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))


def leaves(arrays, dtype=np.float64) -> list:
    """Fresh leaf tensors (copies) that require grad."""
    return [ad.tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


def call(op: Op, tensors, kwargs):
    return op.fn(*tensors, **kwargs)


def upstream(shape, seed: int, dtype=np.float64) -> np.ndarray:
    """A random upstream gradient (never ones: softmax's gradient under .sum() is zero)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
