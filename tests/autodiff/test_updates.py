"""Updates of a region (ops/updates.py): what the op table's rows do not draw, and torch's
errors, compared with torch."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

X = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.5], [1.5, 0.25, -2.0], [2.0, -3.0, 1.0]])
S = np.array([[0.0, 2.0, -1.0], [4.0, 0.0, 0.5]])
INDEX = np.array([[0, 1, 0], [0, 1, 3]])


def _run(lib, call):
    x = lib.tensor(X, requires_grad=True)
    s = lib.tensor(S, requires_grad=True)
    out = call(lib, x * 1, s * 1)
    out.backward(lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape)))
    grads = [np.zeros_like(X) if x.grad is None else x.grad.detach().numpy(),
             np.zeros_like(S) if s.grad is None else s.grad.detach().numpy()]  # fmt: skip
    return out.detach().numpy(), grads, out.grad_fn.name()


CALLS = {
    f"scatter_reduce_{reduce}_{self}": (
        lambda lib, x, s, r=reduce, i=self: x.scatter_reduce(
            0, lib.tensor(INDEX), s, r, include_self=i
        )
    )  # fmt: skip
    for reduce in ("sum", "prod", "mean", "amax", "amin")
    for self in (True, False)
}
CALLS.update({
    "index_fill_tensor_value": lambda lib, x, s: x.index_fill(1, lib.tensor([2, 0]), s[1, 2]),
    "index_put_two_dims": lambda lib, x, s: x.index_put(
        (lib.tensor([3, 0]), lib.tensor([1, 1])), s[0, :2]),
    "index_put_mask": lambda lib, x, s: x.index_put((lib.tensor(X > 0.4),), s.reshape(-1)),
    "masked_scatter_broadcast_mask": lambda lib, x, s: x.masked_scatter(
        lib.tensor([True, False, True]), s.reshape(-1).repeat(2)),
    "diagonal_scatter_offset": lambda lib, x, s: lib.diagonal_scatter(x, s[1, :2], -2),
    "slice_scatter_step": lambda lib, x, s: lib.slice_scatter(x, s, 0, 0, None, 2),
    "select_scatter_negative": lambda lib, x, s: lib.select_scatter(x, s[:, 1].repeat(2), 1, -1),
    "index_copy_negative_dim": lambda lib, x, s: x.index_copy(-2, lib.tensor([3, 1]), s),
})  # fmt: skip


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_gradients_and_nodes_match_torch(name):
    ours, theirs = _run(ad, CALLS[name]), _run(torch, CALLS[name])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for got, want in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    assert ours[2] == theirs[2]


def test_scatter_reduce_pads_the_gradient_of_a_larger_src():
    x = ad.tensor(X, requires_grad=True)
    s = ad.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    index = ad.tensor(INDEX)

    def fn(a, b):
        return a.scatter_reduce(0, index, b, "amax", include_self=False)

    assert ad.gradcheck(fn, (x, s))  # torch's own backward refuses this src's shape
    fn(x, s).sum().backward()
    assert s.grad[2:].tolist() == [[0.0] * 3] * 2


def test_scatter_reduce_mean_of_integers_rounds_down_as_torch():
    a, src, index = [[1, 2], [3, 4]], [[2, 5], [7, 1]], [[0, 0], [0, 1]]
    ours = ad.tensor(a).scatter_reduce(0, ad.tensor(index), ad.tensor(src), "mean")
    theirs = torch.tensor(a).scatter_reduce(0, torch.tensor(index), torch.tensor(src), "mean")
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)


def test_second_derivatives_of_a_product_scatter_are_refused_clearly():
    x = ad.tensor(X, requires_grad=True)
    out = x.scatter_reduce(0, ad.tensor(INDEX), ad.tensor(S), "prod")
    with pytest.raises(NotImplementedError, match="reduce='prod' are not implemented"):
        ad.grad(out.sum(), x, create_graph=True)


@pytest.mark.parametrize("shape", [(3, 3), (5, 2), (2, 5), (7, 3), (3, 3, 3)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_matches_torch(shape, wrap):
    ours = ad.zeros(*shape).fill_diagonal_(1.5, wrap=wrap)
    theirs = torch.zeros(*shape).fill_diagonal_(1.5, wrap=wrap)
    assert ours.tolist() == theirs.tolist()


def test_inplace_updates_refuse_a_leaf_that_requires_grad():
    w = ad.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="index_fill_: a leaf Variable that requires grad"):
        w.index_fill_(0, ad.tensor([0]), 1.0)
    with pytest.raises(RuntimeError, match="fill_diagonal_: a leaf Variable"):
        w.fill_diagonal_(0.0)


ERRORS = [
    ("index_copy: index must be a 0-d or 1-d long tensor",
     lambda lib, x, s: x.index_copy(0, lib.tensor([[0]]), s)),
    ("index_fill: .*out of bounds", lambda lib, x, s: x.index_fill(0, lib.tensor([4]), 1.0)),
    ("index_copy: values of shape \\(2, 3\\) don't fit",
     lambda lib, x, s: x.index_copy(0, lib.tensor([0, 1, 2]), s)),
    ("index_put: .*out of bounds", lambda lib, x, s: x.index_put((lib.tensor([9]),), s[0])),
    ("masked_scatter: expected source to have at least 7 elements",
     lambda lib, x, s: x.masked_scatter(lib.tensor(X > 0), s.reshape(-1)[:3])),
    ("masked_scatter: mask must be a bool tensor",
     lambda lib, x, s: x.masked_scatter(lib.tensor(X), s)),
    ("scatter_reduce: reduce argument must be either sum, prod, mean, amax or amin",
     lambda lib, x, s: x.scatter_reduce(0, lib.tensor(INDEX), s, "median")),
    ("scatter_reduce: index 4 is out of bounds for dimension 0 with size 4",
     lambda lib, x, s: x.scatter_reduce(0, lib.tensor(INDEX + 1), s, "sum")),
    ("scatter_reduce: index \\(2, 3\\), self \\(4, 3\\) and src \\(6,\\) must have the same",
     lambda lib, x, s: x.scatter_reduce(0, lib.tensor(INDEX), s.reshape(-1), "sum")),
    ("select_scatter: expected src to have a size equal to the slice of self",
     lambda lib, x, s: lib.select_scatter(x, s[0], 1, 0)),
    ("select_scatter: index 4 is out of range", lambda lib, x, s: lib.select_scatter(x, s[0], 0, 4)),
    ("slice_scatter: expected src to have a size equal to the slice of self. src size = \\[2, "
     "2\\], slice size = \\[4, 2\\]", lambda lib, x, s: lib.slice_scatter(x, s[:, :2], 1, 0, 3, 2)),
    ("diagonal_scatter: expected src to have the diagonal's shape \\[3\\]",
     lambda lib, x, s: lib.diagonal_scatter(x, s[0, :2])),
    ("fill_diagonal_: all dimensions of input must be of equal length",
     lambda lib, x, s: lib.zeros(2, 3, 3).fill_diagonal_(1.0)),
    ("fill_diagonal_: dimensions must larger than 1",
     lambda lib, x, s: lib.zeros(3).fill_diagonal_(1.0)),
]  # fmt: skip


@pytest.mark.parametrize("message, call", ERRORS, ids=[e[0][:40] for e in ERRORS])
def test_errors_name_the_op_and_torch_refuses_too(message, call):
    caught = (RuntimeError, IndexError, ValueError, TypeError)
    with pytest.raises(caught, match=message):
        call(ad, ad.tensor(X), ad.tensor(S))
    with pytest.raises(caught):
        call(torch, torch.tensor(X), torch.tensor(S))
