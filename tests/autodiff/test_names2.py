"""torch names added together (repeat_interleave, tile, scatter_add, index_add,
take_along_dim, ...): their integer results, edge cases and errors, against torch. Values and
gradients of the float ops are the op table's (optable.py)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    assert isinstance(ours, ad.Tensor), type(ours)
    assert str(ours.dtype) == str(theirs.dtype), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _both(call):
    _same(call(ad), call(torch))


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
    with pytest.raises((RuntimeError, IndexError)):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)


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
    with pytest.raises((RuntimeError, IndexError)):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)


def test_scatter_add_src_beyond_index_gets_a_zero_gradient():
    """torch reads only the index's extent of a larger src (and its backward refuses the
    shapes); ours gives the unread entries a zero gradient."""
    src = ad.ones(3, 4, requires_grad=True)
    ad.zeros(2, 3).scatter_add(0, ad.tensor([[0, 1]]), src).sum().backward()
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0, :2] = 1
    np.testing.assert_array_equal(src.grad.numpy(), expected)


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
    with pytest.raises((RuntimeError, IndexError)):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)
