"""torch names added together (repeat_interleave, tile, scatter_add, index_add,
take_along_dim, ...): their integer results, edge cases and errors, against torch. Values and
gradients of the float ops are the op table's (optable.py)."""

import importlib

import numpy as np
import pytest
from torch_pairs import both, refused_as_by_torch, same

import autodiff as ad

torch = pytest.importorskip("torch")


def _refused_as_by_torch(call, error, words, theirs=(RuntimeError, IndexError)):
    refused_as_by_torch(call, torch, error, words, theirs)


def _both(call):
    both(call, torch)


X = np.arange(6.0, dtype=np.float32).reshape(2, 3)


# --- repeat_interleave ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.repeat_interleave(lib.tensor([1, 2, 0, 3])),
        lambda lib: lib.repeat_interleave(lib.tensor([1, 2, 0, 3], dtype=lib.int32)),
        lambda lib: lib.repeat_interleave(lib.tensor([], dtype=lib.int64)),
        lambda lib: lib.arange(3).repeat_interleave(2),
        lambda lib: lib.arange(6).reshape(2, 3).repeat_interleave(lib.tensor([2, 0, 1]), dim=-1),
        lambda lib: lib.tensor(X).repeat_interleave(0, dim=1),
        lambda lib: lib.tensor(X).repeat_interleave(lib.tensor(2), dim=1),
        lambda lib: lib.tensor(X).repeat_interleave(lib.tensor([3])),
        lambda lib: lib.tensor(2.0).repeat_interleave(3),
        lambda lib: lib.tensor(X).repeat_interleave(2, dim=0, output_size=4),
    ],
)
def test_repeat_interleave_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.tensor(X).repeat_interleave(-1), RuntimeError, "non-negative"),
        (lambda lib: lib.tensor(X).repeat_interleave(2, dim=2), IndexError, "out of range"),
        (lambda lib: lib.tensor(X).repeat_interleave(lib.tensor([1, 2, 3]), dim=0),
         RuntimeError, "repeats"),
        (lambda lib: lib.tensor(X).repeat_interleave(lib.tensor([[1, 2]]), dim=0),
         RuntimeError, "0-d or 1-d"),
        (lambda lib: lib.tensor(X).repeat_interleave(lib.tensor([1, -2]), dim=0),
         RuntimeError, "negative"),
        (lambda lib: lib.repeat_interleave(lib.tensor([[1, 2]])), RuntimeError, "1-d"),
        (lambda lib: lib.repeat_interleave(lib.tensor(3)), RuntimeError, "1-d"),
        (lambda lib: lib.repeat_interleave(lib.tensor([1, -1])), RuntimeError, "negative"),
    ],
)  # fmt: skip
def test_repeat_interleave_refuses_what_torch_refuses(call, error, words):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)


def test_repeat_interleave_counts_must_be_integers():
    with pytest.raises(TypeError, match="repeat_interleave: repeats must be an integer tensor"):
        ad.tensor(X).repeat_interleave(ad.tensor([1.0, 2.0]), dim=0)
    with pytest.raises(ValueError, match="output_size 5 differs from the result's size 4"):
        ad.tensor(X).repeat_interleave(2, dim=0, output_size=5)


# --- tile -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tile(lib.tensor(X), (2,)),
        lambda lib: lib.tile(lib.tensor(X), ()),
        lambda lib: lib.tile(lib.tensor(2.0), ()),
        lambda lib: lib.tile(lib.tensor(X), (0, 2)),
        lambda lib: lib.tensor(X).tile(2, 1, 2),
        lambda lib: lib.arange(3).tile((2,)),
    ],
)
def test_tile_as_torch(call):
    _both(call)


def test_tile_refuses_a_bare_int_and_negative_counts():
    with pytest.raises(TypeError, match="tile: dims must be a tuple of ints"):
        ad.tile(ad.tensor(X), 2.5)
    with pytest.raises(RuntimeError, match="repeat: counts must be non-negative"):
        ad.tile(ad.tensor(X), (-1, 2))


# --- scatter_add, index_add -------------------------------------------------------------------
INDEX = [[0, 1, 0], [1, 0, 1]]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(3, dtype=lib.int64).scatter_add(
            0, lib.tensor([0, 0, 2]), lib.tensor([1, 2, 3])),
        lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([[0, 1]]), lib.ones(3, 4)),
        lambda lib: lib.tensor(X).scatter_add(-1, lib.tensor(INDEX), lib.ones(2, 3)),
        lambda lib: lib.tensor(X).scatter_add(0, lib.zeros(0, 3, dtype=lib.int64), lib.ones(2, 3)),
        lambda lib: lib.tensor(2.0).scatter_add(0, lib.tensor(0), lib.tensor(5.0)),
        lambda lib: lib.tensor(X).index_add(0, lib.tensor([1, 1]), lib.ones(2, 3), alpha=2),
        lambda lib: lib.tensor(X).index_add(0, lib.tensor([1, 0], dtype=lib.int32), lib.ones(2, 3)),
        lambda lib: lib.tensor(X).index_add(0, lib.tensor(1), lib.ones(1, 3)),
        lambda lib: lib.tensor(2.0).index_add(0, lib.tensor([0]), lib.tensor(3.0)),
        lambda lib: lib.zeros(3, dtype=lib.int64).index_add(
            0, lib.tensor([0, 0]), lib.tensor([2, 5]), alpha=1.5),
        lambda lib: lib.tensor(X).clone().index_add_(1, lib.tensor([2, 2, 0]), lib.ones(2, 3)),
        lambda lib: lib.tensor(X).clone().scatter_add_(1, lib.tensor(INDEX), lib.ones(2, 3)),
        # a 0-d index on a 1-d input counts as 1-d (the Transforms page's one-hot Lambda)
        lambda lib: lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(3), value=1),
        lambda lib: lib.zeros(4).scatter_add(0, lib.tensor(2), lib.ones(2)),
    ],
)  # fmt: skip
def test_scatter_add_and_index_add_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([[0, 2]]), lib.ones(2, 3)),
         IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([[0, -1]]), lib.ones(2, 3)),
         IndexError, "index -1 is out of bounds"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([[0, 1, 0, 1]]), lib.ones(2, 3)),
         RuntimeError, "no larger than input shape"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor(INDEX), lib.ones(1, 3)),
         RuntimeError, "no larger than src shape"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([0, 1]), lib.ones(2, 3)),
         RuntimeError, "as many dims as input"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor([[0.0, 1.0]]), lib.ones(2, 3)),
         RuntimeError, "integer"),
        (lambda lib: lib.tensor(X).scatter_add(0, lib.tensor(INDEX),
                                               lib.ones(2, 3, dtype=lib.float64)),
         RuntimeError, "src dtype torch.float64 differs from input dtype torch.float32"),
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([1]), lib.ones(2, 3)),
         RuntimeError, r"source shape \(2, 3\) must be"),
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([1, 2]), lib.ones(2, 3)),
         IndexError, "index 2 is out of bounds"),
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([[1, 0]]), lib.ones(2, 3)),
         ValueError, "1-D"),  # torch: IndexError; ours a shape (test_torch_exception_types)
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([1.0, 0.0]), lib.ones(2, 3)),
         RuntimeError, "integer"),
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([1, 0]), lib.ones(2, 2)),
         RuntimeError, "source shape"),
        (lambda lib: lib.tensor(X).index_add(0, lib.tensor([1, 0]),
                                             lib.ones(2, 3, dtype=lib.float64)),
         RuntimeError, "source dtype torch.float64 differs"),
        (lambda lib: lib.tensor(X).index_add(2, lib.tensor([1, 0]), lib.ones(2, 3)),
         IndexError, "out of range"),
    ],
)  # fmt: skip
def test_scatter_add_and_index_add_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- take_along_dim, index_select -------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([[2], [0]]), dim=1),
        lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([[5, 0]])),
        lambda lib: lib.take_along_dim(lib.ones(1, 3), lib.tensor([[0], [1], [2]]), dim=-1),
        lambda lib: lib.tensor(X).take_along_dim(lib.tensor(X).argsort(dim=0), dim=0),
        lambda lib: lib.take_along_dim(lib.arange(6).reshape(2, 3), lib.tensor([[1], [2]]), 1),
        lambda lib: lib.tensor(2.0).index_select(0, lib.tensor([0])),
        lambda lib: lib.arange(6).reshape(2, 3).index_select(1, lib.tensor([2, 2])),
    ],
)
def test_take_along_dim_and_index_select_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([2, 0]), dim=1),
         RuntimeError, "same number of dims"),
        (lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([[2]], dtype=lib.int32), 1),
         RuntimeError, "int64"),
        (lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([6])),
         IndexError, "index 6 is out of bounds"),
        (lambda lib: lib.take_along_dim(lib.tensor(X), lib.tensor([[0], [0], [0]]), dim=1),
         RuntimeError, "do not broadcast"),
        (lambda lib: lib.take_along_dim(lib.tensor(2.0), lib.tensor(0), dim=0),
         IndexError, "0-d"),
        (lambda lib: lib.tensor(2.0).index_select(0, lib.tensor([0, 0])),
         ValueError, "one entry for a 0-d input"),
    ],
)  # fmt: skip
def test_take_along_dim_refuses_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


def test_scatter_add_src_beyond_index_gets_a_zero_gradient():
    """torch reads only the index's extent of a larger src (and its backward refuses the
    shapes); ours gives the unread entries a zero gradient."""
    src = ad.ones(3, 4, requires_grad=True)
    ad.zeros(2, 3).scatter_add(0, ad.tensor([[0, 1]]), src).sum().backward()
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0, :2] = 1
    np.testing.assert_array_equal(src.grad.detach().numpy(), expected)


# --- addmm, addmv, baddbmm, addbmm, mv, inner, tensordot, chain_matmul, matrix_power ----------
def _ints(lib, *shape):
    return lib.arange(int(np.prod(shape))).reshape(*shape)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.addmm(_ints(lib, 2, 2), _ints(lib, 2, 3), _ints(lib, 3, 2), alpha=0.5,
                              beta=2.7),
        lambda lib: lib.addmm(_ints(lib, 2), _ints(lib, 2, 3), _ints(lib, 3, 2), alpha=3, beta=0),
        lambda lib: lib.addmv(_ints(lib, 2), _ints(lib, 2, 3), _ints(lib, 3), alpha=2),
        lambda lib: lib.baddbmm(_ints(lib, 1, 2), _ints(lib, 2, 1, 3), _ints(lib, 2, 3, 2)),
        lambda lib: lib.addbmm(_ints(lib, 2), _ints(lib, 2, 1, 3), _ints(lib, 2, 3, 2)),
        lambda lib: _ints(lib, 2, 3).mv(_ints(lib, 3)),
        lambda lib: lib.inner(_ints(lib, 2, 3), _ints(lib, 4, 3)),
        lambda lib: lib.tensordot(_ints(lib, 2, 3), _ints(lib, 3, 2), dims=lib.tensor(1)),
        lambda lib: lib.tensordot(_ints(lib, 2, 3), _ints(lib, 3, 2), dims=([1], [0])),
        lambda lib: lib.matrix_power(_ints(lib, 2, 2), 3),
        lambda lib: _ints(lib, 2, 2).matrix_power(0),
        lambda lib: lib.addmm(lib.tensor([np.nan, 1.0]), lib.ones(2, 3), lib.ones(3, 2), beta=0),
        lambda lib: lib.ones(0, 2).addmm(lib.ones(0, 3), lib.ones(3, 2)),
        lambda lib: lib.addmm(lib.zeros(2, 2), lib.ones(2, 0), lib.ones(0, 2)),
    ],
)  # fmt: skip
def test_matrix_products_as_torch(call):
    _both(call)


def test_chain_matmul_warns_as_torch_and_clones_one_matrix():
    a = ad.ones(2, 3, requires_grad=True)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        out = ad.chain_matmul(a)
    assert out is not a and out.grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.addmm(lib.ones(2, 2), lib.ones(2, 3, 1), lib.ones(3, 2)),
         RuntimeError, "expects 2-D"),
        (lambda lib: lib.addmm(lib.ones(2, 2), lib.ones(2, 3), lib.ones(4, 2)),
         RuntimeError, r"\(2, 3\) and \(4, 2\) cannot be multiplied"),
        (lambda lib: lib.addmm(lib.ones(3, 2), lib.ones(2, 3), lib.ones(3, 2)),
         RuntimeError, "does not broadcast to the product's shape"),
        (lambda lib: lib.addmm(lib.ones(2, 2, dtype=lib.float64), lib.ones(2, 3),
                               lib.ones(3, 2)), RuntimeError, "expects one dtype"),
        (lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3), lib.ones(3, 1)),
         RuntimeError, "expects 1-D"),
        (lambda lib: lib.baddbmm(lib.ones(2, 2), lib.ones(3, 2, 3), lib.ones(4, 3, 2)),
         RuntimeError, "batch sizes differ"),
        (lambda lib: lib.addbmm(lib.ones(2, 2), lib.ones(2, 3), lib.ones(3, 2)),
         RuntimeError, "expects 3-D"),
        (lambda lib: lib.mv(lib.ones(3), lib.ones(3)), RuntimeError, "expects 2-D"),
        (lambda lib: lib.inner(lib.ones(2, 3), lib.ones(2, 4)), RuntimeError, "last dims"),
        (lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(4, 2), dims=1),
         RuntimeError, "contracted dims differ in size"),
        (lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(3, 2), dims=-1),
         RuntimeError, "dims >= 0"),
        (lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(3), dims=2),
         RuntimeError, "more than the dims"),
        (lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(3, 2), dims=([1], [0, 1])),
         RuntimeError, "same length"),
        (lambda lib: lib.chain_matmul(lib.ones(3), lib.ones(3, 2)), RuntimeError, "expects 2-D"),
        (lambda lib: lib.chain_matmul(), RuntimeError, "at least one matrix"),
        (lambda lib: lib.matrix_power(lib.ones(2, 3), 2), RuntimeError, "square"),
        (lambda lib: lib.ones(3).matrix_power(2), RuntimeError, "square"),
        (lambda lib: lib.matrix_power(lib.ones(2, 2, dtype=lib.int64), -1), RuntimeError,
         "float"),
    ],
)  # fmt: skip
@pytest.mark.filterwarnings("ignore:.*chain_matmul is deprecated")
def test_matrix_products_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- shape helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tril_indices(3, 4, 1),
        lambda lib: lib.triu_indices(3, 3, -1, dtype=lib.int32),
        lambda lib: lib.tril_indices(0, 3),
        lambda lib: lib.triu_indices(3, 2, 5),
        lambda lib: lib.tril_indices(2, 2, -5),
        lambda lib: lib.block_diag(),
        lambda lib: lib.block_diag(_ints(lib, 2, 2), lib.tensor(7), _ints(lib, 3)),
        lambda lib: lib.block_diag(_ints(lib, 2), lib.ones(1)),
        lambda lib: lib.column_stack([_ints(lib, 3), _ints(lib, 3, 2)]),
        lambda lib: lib.dstack([_ints(lib, 3), _ints(lib, 3)]),
        lambda lib: lib.row_stack([_ints(lib, 3), _ints(lib, 2, 3)]),
        lambda lib: lib.rot90(_ints(lib, 2, 3, 4), 3, [2, 0]),
        lambda lib: lib.combinations(_ints(lib, 4), 0),
        lambda lib: lib.combinations(_ints(lib, 2), 3),
        lambda lib: lib.combinations(_ints(lib, 3), 2, with_replacement=True),
        lambda lib: lib.cartesian_prod(_ints(lib, 2), lib.ones(0, dtype=lib.int64)),
        lambda lib: lib.cartesian_prod(_ints(lib, 2), _ints(lib, 3)),
        lambda lib: lib.broadcast_tensors(_ints(lib, 2, 1), _ints(lib, 3))[0],
        lambda lib: lib.atleast_3d(_ints(lib, 3)),
    ],
)
def test_shape_helpers_as_torch(call):
    _both(call)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_of_two_and_three_as_torch(indexing):
    """'xy' swaps the roles of the first two inputs only (a bug here once transposed too)."""
    for lib_sizes in [(2, 3), (2, 3, 4)]:
        grids = [lib.meshgrid(*[_ints(lib, n) for n in lib_sizes], indexing=indexing)
                 for lib in (ad, torch)]  # fmt: skip
        for ours, theirs in zip(*grids):
            same(ours, theirs)


def test_broadcast_shapes_as_torch():
    for shapes in [((2, 1), (3,)), (2, (3, 1)), (), ((0, 1), (1, 4))]:
        ours, theirs = ad.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes)
        assert ours == theirs and repr(ours) == repr(theirs)
    with pytest.raises(RuntimeError):
        torch.broadcast_shapes((2,), (3,))
    with pytest.raises(RuntimeError, match=r"broadcast_shapes: shapes \(2,\), \(3,\) do not"):
        ad.broadcast_shapes((2,), (3,))


def test_what_needs_no_change_comes_back_as_it_is():
    """torch returns the tensor itself where nothing changes (broadcast_tensors, atleast_*,
    cartesian_prod of one); one tensor gives a tensor, several or a list a tuple."""
    x = ad.ones(2, 3, requires_grad=True)
    assert ad.broadcast_tensors(x, ad.ones(3))[0] is x
    assert ad.atleast_1d(x) is x and ad.atleast_2d(x) is x
    assert ad.atleast_3d(x).shape == (2, 3, 1)
    v = ad.ones(2, requires_grad=True)
    assert ad.cartesian_prod(v) is v
    pair = ad.atleast_2d(ad.tensor(1.0), v)
    assert isinstance(pair, tuple) and [p.shape for p in pair] == [(1, 1), (1, 2)]
    listed = ad.atleast_1d([ad.tensor(1.0)])
    assert isinstance(listed, tuple) and listed[0].shape == (1,)
    theirs = torch.atleast_1d([torch.tensor(1.0)])
    assert isinstance(theirs, tuple) and theirs[0].shape == (1,)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.broadcast_tensors(lib.ones(2), lib.ones(3)), RuntimeError,
         r"shapes \(2,\), \(3,\) do not broadcast"),
        (lambda lib: lib.rot90(lib.ones(3), 1), RuntimeError, "at least 2-d"),
        (lambda lib: lib.rot90(lib.ones(3, 3), 1, [0, 0]), RuntimeError, "must differ"),
        (lambda lib: lib.rot90(lib.ones(3, 3), 1, [0]), RuntimeError, "two rotation dims"),
        (lambda lib: lib.rot90(lib.ones(3, 3), 1, [0, 2]), IndexError, "out of range"),
        (lambda lib: lib.fliplr(lib.ones(3)), RuntimeError, "at least 2-d"),
        (lambda lib: lib.flipud(lib.tensor(1.0)), RuntimeError, "at least 1-d"),
        (lambda lib: lib.combinations(lib.ones(2, 2)), RuntimeError, "1-D"),
        (lambda lib: lib.combinations(lib.ones(2), -1), RuntimeError, "non-negative"),
        (lambda lib: lib.cartesian_prod(lib.ones(2, 2)), RuntimeError, "1-D"),
        (lambda lib: lib.block_diag(lib.ones(2, 2, 2)), RuntimeError, "2 or fewer dims"),
        (lambda lib: lib.tril_indices(-1, 2), RuntimeError, "row must be non-negative"),
        (lambda lib: lib.triu_indices(2, -1), RuntimeError, "col must be non-negative"),
        (lambda lib: lib.column_stack([lib.ones(2), lib.ones(3)]), RuntimeError, "cat"),
    ],
)  # fmt: skip
def test_shape_helpers_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- result_type, promote_types, can_cast ----------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]  # fmt: skip


def _dtype(lib, name):
    return getattr(lib, "bool_" if lib is ad and name == "bool" else name)


@pytest.mark.parametrize("a", DTYPES)
def test_promote_types_and_can_cast_as_torch(a):
    for b in DTYPES:
        ours = ad.promote_types(_dtype(ad, a), _dtype(ad, b))
        assert repr(ours) == repr(torch.promote_types(_dtype(torch, a), _dtype(torch, b))), b
        assert ad.can_cast(_dtype(ad, a), _dtype(ad, b)) is torch.can_cast(
            _dtype(torch, a), _dtype(torch, b)
        ), b


def _operands(lib):
    """Tensors with dims, 0-d tensors and Python numbers of each category."""
    return [lib.ones(2, dtype=lib.int32), lib.ones(2, dtype=lib.float16),
            lib.tensor(1.0, dtype=lib.float64), lib.tensor(1, dtype=lib.int64), lib.tensor(True),
            lib.ones(2, dtype=lib.uint8), lib.ones(2, dtype=lib.bool), lib.tensor(1, dtype=lib.int8),
            lib.ones(2, dtype=lib.complex64), lib.ones((), dtype=lib.complex128), lib.ones(3),
            2, 2.5, True, 1j]  # fmt: skip


def test_result_type_as_torch():
    ours, theirs = _operands(ad), _operands(torch)
    checked = 0
    for i, j in np.ndindex(len(ours), len(ours)):
        if not any(isinstance(x, ad.Tensor) for x in (ours[i], ours[j])):
            continue  # torch.result_type wants a tensor
        if 1 in (i, j) and any(
            isinstance(x, complex) or getattr(x, "dtype", None) in (ad.complex64, ad.complex128)
            for x in (ours[i], ours[j])
        ):
            continue  # float16 and complex: torch's complex32, which NumPy has not
        expected = torch.result_type(theirs[i], theirs[j])
        assert repr(ad.result_type(ours[i], ours[j])) == repr(expected), (i, j)
        checked += 1
    assert checked > 150


def test_dtype_functions_say_what_is_wrong():
    with pytest.raises(TypeError, match="promote_types: 'nope' is not a dtype"):
        ad.promote_types("nope", ad.float32)
    with pytest.raises(TypeError, match="result_type: expects tensors or numbers, got str"):
        ad.result_type(ad.ones(2), "x")


# --- interop threads, deterministic algorithms: kept and reported -----------------------------
def test_interop_threads_are_kept_and_checked_as_torch(monkeypatch):
    from autodiff import threads

    monkeypatch.setitem(threads._state, "interop", None)
    assert ad.get_num_interop_threads() >= 1
    ad.set_num_interop_threads(3)
    assert ad.get_num_interop_threads() == 3
    for bad, words in [(0, "a positive integer"), (-1, "a positive integer"),
                       (2.5, "an int"), ("2", "an int"), (True, "an int")]:  # fmt: skip
        with pytest.raises(RuntimeError, match=f"set_num_interop_threads expects {words}"):
            ad.set_num_interop_threads(bad)
        with pytest.raises(RuntimeError, match=words):
            torch.set_num_interop_threads(bad)
    assert ad.get_num_interop_threads() == 3


def test_deterministic_algorithms_flag_is_kept(monkeypatch):
    settings = importlib.import_module("autodiff.device")  # ad.device is torch.device's twin
    monkeypatch.setattr(settings, "_deterministic", {"mode": False, "warn_only": False})
    assert ad.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled()
    ad.use_deterministic_algorithms(True, warn_only=True)
    assert ad.are_deterministic_algorithms_enabled() is True
    assert ad.is_deterministic_algorithms_warn_only_enabled() is True
    ad.use_deterministic_algorithms(False)
    assert ad.are_deterministic_algorithms_enabled() is False
    assert ad.is_deterministic_algorithms_warn_only_enabled() is False
    with pytest.raises(TypeError, match="use_deterministic_algorithms: mode must be a bool"):
        ad.use_deterministic_algorithms(1)
    with pytest.raises(TypeError):
        torch.use_deterministic_algorithms(1)


# --- searchsorted, bucketize, bincount, unique_consecutive, dist, renorm, trapezoid -----------
SEQ = [1.0, 3.0, 5.0, 7.0]
VALUES = [[0.0, 3.0], [6.0, 9.0]]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES)),
        lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES), right=True),
        lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES), side="right"),
        lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES), out_int32=True),
        lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(4.0)),
        lambda lib: lib.searchsorted(lib.tensor([5.0, 1.0, 7.0, 3.0]), lib.tensor(VALUES),
                                     sorter=lib.tensor([1, 3, 0, 2])),
        lambda lib: lib.searchsorted(lib.tensor([[1.0, 3.0], [2.0, 4.0]]),
                                     lib.tensor([[2.0], [3.0]])),
        lambda lib: lib.searchsorted(lib.tensor([1, 3]), lib.tensor([2.0, float("nan")])),
        lambda lib: lib.bucketize(lib.tensor(VALUES), lib.tensor(SEQ)),
        lambda lib: lib.bucketize(lib.tensor(VALUES), lib.tensor(SEQ), right=True,
                                  out_int32=True),
        lambda lib: lib.bincount(lib.tensor([0, 2, 2, 5])),
        lambda lib: lib.bincount(lib.tensor([0, 2, 2, 5]), weights=lib.tensor([0.5, 1, 2, 3.0])),
        lambda lib: lib.bincount(lib.tensor([0, 2, 2, 5]), weights=lib.tensor([1, 1, 2, 3])),
        lambda lib: lib.bincount(lib.tensor([0, 2]), minlength=5),
        lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64)),
        lambda lib: lib.bincount(lib.tensor([0, 1], dtype=lib.uint8)),
        lambda lib: lib.unique_consecutive(lib.tensor([1, 1, 2, 2, 3, 1, 1, 2])),
        lambda lib: lib.unique_consecutive(lib.tensor([[1, 1], [2, 2]]), return_inverse=True)[1],
        lambda lib: lib.unique_consecutive(lib.tensor([[1, 1], [1, 1], [2, 3]]), dim=0),
        lambda lib: lib.unique_consecutive(lib.tensor([[1, 1, 2], [1, 1, 3]]), dim=-1,
                                           return_counts=True)[1],
        lambda lib: lib.unique_consecutive(lib.tensor([1.0, 1.0, float("nan"), float("nan")])),
        lambda lib: lib.unique_consecutive(lib.tensor([]), return_counts=True)[1],
        lambda lib: lib.unique_consecutive(lib.tensor(3), return_inverse=True)[1],
        lambda lib: lib.dist(_ints(lib, 2, 3).float(), lib.zeros(3), 0),
        lambda lib: lib.trapezoid(lib.ones(3, 0)),
        lambda lib: lib.trapezoid(lib.ones(2, 3), lib.tensor([0.0, 1.0, 3.0])),
    ],
)  # fmt: skip
def test_search_and_count_as_torch(call):
    _both(call)


def test_bincount_of_weights_follows_their_gradient():
    """torch records no derivative for bincount; ours is an index_add: each weight's
    gradient is the upstream gradient at its bin."""
    weights = ad.tensor([0.5, 1.0, 2.0, 3.0], requires_grad=True)
    counts = ad.bincount(ad.tensor([0, 2, 2, 5]), weights)
    counts.backward(ad.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(weights.grad.detach().numpy(), [1.0, 3.0, 3.0, 6.0])


def test_unique_consecutive_and_dist_p0_carry_no_gradient():
    x = ad.tensor([1.0, 1.0, 2.0], requires_grad=True)
    assert not ad.unique_consecutive(x).requires_grad
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    ad.dist(a, ad.zeros(2), 0).backward()  # torch's backward of p = 0 fails; ours is 0
    np.testing.assert_array_equal(a.grad.detach().numpy(), [0.0, 0.0])


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES), right=True,
                                      side="left"), RuntimeError, "contradict"),
        (lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES), side="middle"),
         RuntimeError, "'left' or 'right'"),
        (lambda lib: lib.searchsorted(lib.tensor([[1.0, 3.0], [2.0, 4.0]]),
                                      lib.tensor([[2.0], [3.0], [4.0]])), RuntimeError,
         "leading dims"),
        (lambda lib: lib.searchsorted(lib.tensor(1.0), lib.tensor([2.0])), RuntimeError,
         "at least 1 dim"),
        (lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES),
                                      sorter=lib.tensor([0, 1])), RuntimeError, "sorter"),
        (lambda lib: lib.searchsorted(lib.tensor(SEQ), lib.tensor(VALUES),
                                      sorter=lib.tensor([0, 1, 2, 4])), IndexError, "sorter"),
        (lambda lib: lib.bucketize(lib.tensor(VALUES), lib.tensor(VALUES)), RuntimeError,
         "1-d"),
        (lambda lib: lib.bincount(lib.tensor([0, -1])), RuntimeError, "non-negative"),
        (lambda lib: lib.bincount(lib.tensor([[0, 1]])), RuntimeError, "1-d"),
        (lambda lib: lib.bincount(lib.tensor([0.0, 1.0])), TypeError, "integers"),
        (lambda lib: lib.bincount(lib.tensor([0, 1]), weights=lib.ones(3)), RuntimeError,
         "as long as input"),
        (lambda lib: lib.bincount(lib.tensor([0, 1]), minlength=-1), RuntimeError, ">= 0"),
        (lambda lib: lib.renorm(lib.ones(3), 1, 0, 1.0), RuntimeError, "at least 2 dims"),
        (lambda lib: lib.renorm(lib.ones(2, 3), 0, 0, 1.0), RuntimeError, "positive"),
        (lambda lib: lib.renorm(lib.ones(2, 3), 1, 0, -1.0), RuntimeError, ">= 0"),
        (lambda lib: lib.trapezoid(lib.ones(2, 3), lib.ones(4)), RuntimeError, "4 points"),
        (lambda lib: lib.dist(lib.ones(2), lib.ones(3)), RuntimeError, "broadcast"),
    ],
)  # fmt: skip
def test_search_and_count_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words, theirs=(RuntimeError, IndexError, NotImplementedError))


# --- torch.linalg: eigh, pinv, lstsq, matrix_exp ----------------------------------------------
def _close(ours, theirs):
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b)
        return
    assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-9)


RNG = np.random.default_rng(3)
TALL, RHS = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 4, 2))
DEFICIENT = np.array([[1.0, 2.0, 2.0], [0.0, 1.0, 1.0], [3.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("a, b", [(TALL, RHS), (TALL[0], RHS[0, :, 0]), (TALL[0].T, RHS[0, :3]),
                                  (DEFICIENT, RHS[0])])  # fmt: skip
def test_lstsq_results_as_torch(driver, a, b):
    if driver == "gels" and a is DEFICIENT:
        return  # gels assumes full rank: torch's answer is LAPACK's garbage there
    ours = ad.linalg.lstsq(ad.tensor(a), ad.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    _close(tuple(ours), tuple(theirs))
    assert "linalg_lstsq(" in repr(ours)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.pinv(lib.tensor(DEFICIENT)),
        lambda lib: lib.linalg.pinv(lib.tensor(DEFICIENT), atol=0.5),
        lambda lib: lib.linalg.pinv(lib.tensor(DEFICIENT), rtol=0.3),
        lambda lib: lib.linalg.pinv(lib.tensor(DEFICIENT.T @ DEFICIENT), hermitian=True),
        lambda lib: lib.linalg.pinv(lib.zeros(2, 3)),
        lambda lib: lib.linalg.eigh(lib.tensor(TALL[0].T @ TALL[0]), UPLO="U").eigenvalues,
        lambda lib: lib.linalg.eigvalsh(lib.tensor(TALL[:, :3])),
        lambda lib: lib.linalg.matrix_exp(lib.zeros(2, 0, 0)),
        lambda lib: lib.linalg.matrix_exp(
            lib.tensor([[0.0, 40.0], [-40.0, 0.0]], dtype=lib.float64)
        ),  # many squarings
        lambda lib: lib.matrix_exp(lib.tensor(TALL[:, :3], dtype=lib.float32)),
    ],
)
def test_linalg_values_as_torch(call):
    _close(call(ad), call(torch))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.linalg.eigh(lib.ones(2, 3)), RuntimeError, "square"),
        (lambda lib: lib.linalg.eigh(lib.ones(2, 2), UPLO="X"), RuntimeError, "UPLO"),
        (lambda lib: lib.linalg.eigvalsh(lib.ones(2, 2, dtype=lib.int64)), RuntimeError,
         "floating"),
        (lambda lib: lib.linalg.pinv(lib.ones(3)), RuntimeError, "matrices"),
        (lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(3, 2)), RuntimeError, "rows"),
        (lambda lib: lib.linalg.lstsq(lib.ones(4, 3), lib.ones(4, 2), driver="foo"),
         RuntimeError, "driver"),
        (lambda lib: lib.linalg.matrix_exp(lib.ones(2, 3)), RuntimeError, "square"),
    ],
)  # fmt: skip
def test_linalg_refuses_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


def test_eigh_names_its_results_and_gradients_follow_torch():
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
    ours = ad.linalg.eigh(ad.tensor(a))
    assert "linalg_eigh(" in repr(ours) and ours.eigenvalues is ours[0]
    x, t = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (ad.linalg.eigh(x).eigenvectors[:, 1] ** 4).sum().backward()  # even: sign-free
    (torch.linalg.eigh(t).eigenvectors[:, 1] ** 4).sum().backward()
    np.testing.assert_allclose(
        x.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-10, atol=1e-14
    )
