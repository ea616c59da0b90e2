"""Splitting, windows and views (ops/splitting.py): what the op table's rows do not draw,
and torch's errors, compared with torch."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

X = np.arange(24.0).reshape(4, 6)


def _both(call):
    return call(ad.tensor(X)), call(torch.tensor(X))


def _same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


CALLS = [
    lambda t: t.tensor_split(t.new_tensor([1, 4]).long(), dim=1),
    lambda t: t.tensor_split(t.new_tensor(3).long(), dim=-1),
    lambda t: t.tensor_split(5),
    lambda t: t.tensor_split([], dim=1),
    lambda t: t[0].hsplit(3),
    lambda t: t.hsplit([2, 5]),
    lambda t: t.vsplit(2),
    lambda t: t.reshape(2, 2, 6).dsplit([1, 4]),
    lambda t: t.split_with_sizes([0, 4, 0], 0),
    lambda t: t.unfold(0, 4, 1),
    lambda t: t.unfold(-1, 0, 5),
    lambda t: t[0].unfold(0, 3, 2),
    lambda t: t.unflatten(0, (2, -1)),
    lambda t: t.take(t.new_tensor([[-1, 0], [23, -24]]).long()),
    lambda t: t.take(t.new_tensor([]).long()),
    lambda t: t.narrow_copy(1, -2, 2),
    lambda t: t.narrow_copy(0, 4, 0),
    lambda t: t.diagflat(),
    lambda t: t[0, 0].diagflat(2),
    lambda t: t.sum_to_size(4, 6),
    lambda t: t.sum_to_size(1, 1),
    lambda t: t.sum_to_size(()),
    lambda t: t.reshape(2, 2, 6).adjoint(),
    lambda t: t.reshape(2, 2, 6).mH,
]


@pytest.mark.parametrize("call", CALLS)
def test_values_and_shapes_match_torch(call):
    _same(*_both(call))


def test_sum_to_size_without_a_reduction_is_the_input_itself():
    t = ad.tensor(X)
    assert t.sum_to_size(4, 6) is t


def test_unfold_is_a_view_of_its_input():
    t = ad.tensor(X)
    windows = t.unfold(1, 3, 3)
    t.add_(1.0)  # the storage changes: the windows show it
    assert windows[0, 1].tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        t.unfold(1, 3, 1).add_(1.0)  # overlapping windows: torch refuses the write too


def test_gradients_of_a_negative_start_and_of_repeated_take_positions():
    x = ad.tensor(X, requires_grad=True)
    (x.narrow_copy(1, -2, 2).sum() + x.take(ad.tensor([0, 0, -1])).sum()).backward()
    expected = np.zeros_like(X)
    expected[:, -2:] = 1.0
    expected[0, 0] += 2.0
    expected[-1, -1] += 1.0
    np.testing.assert_array_equal(x.grad.detach().numpy(), expected)


def test_unfold_gradient_adds_overlapping_windows_and_its_second_order():
    x, tx = ad.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    w = np.linspace(-1, 1, 4 * 3 * 4).reshape(4, 3, 4)
    (g,) = ad.grad((x.unfold(1, 4, 1) ** 2 * ad.tensor(w)).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx.unfold(1, 4, 1) ** 2 * torch.tensor(w)).sum(), tx,
                                create_graph=True)  # fmt: skip
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    assert g.grad_fn.name() == tg.grad_fn.name()
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-12)


ERRORS = [
    ("unfold: maximum size for tensor at dimension 1 is 6 but size is 7",
     lambda t: t.unfold(1, 7, 1)),
    ("unfold: step is 0 but must be > 0", lambda t: t.unfold(1, 2, 0)),
    ("unfold: dim 2 is out of range", lambda t: t.unfold(2, 1, 1)),
    ("unflatten: provided sizes \\[2, 4\\] don't multiply up to the size of dim 1 \\(6\\)",
     lambda t: t.unflatten(1, (2, 4))),
    ("unflatten: sizes must be non-empty", lambda t: t.unflatten(1, ())),
    ("tensor_split: number of sections must be larger than 0, got 0",
     lambda t: t.tensor_split(0, dim=1)),
    ("tensor_split: dim 2 is out of range", lambda t: t.tensor_split(2, dim=2)),
    ("hsplit: attempted to split along dimension 1, but the size of the dimension 6 is not "
     "divisible by the split_size 4", lambda t: t.hsplit(4)),
    ("vsplit: requires a tensor with at least 2 dimensions", lambda t: t[0].vsplit(2)),
    ("dsplit: requires a tensor with at least 3 dimensions", lambda t: t.dsplit(2)),
    ("split_with_sizes: expects split_sizes to sum exactly to 6",
     lambda t: t.split_with_sizes([2, 3], 1)),
    ("take: out of range: tried to access index 24 on a tensor of 24 elements",
     lambda t: t.take(ad.tensor([24]) if isinstance(t, ad.Tensor) else torch.tensor([24]))),
    ("take: expected a long tensor for index, but got torch.float32",
     lambda t: t.take(ad.tensor([1.0]) if isinstance(t, ad.Tensor) else torch.tensor([1.0]))),
    ("narrow_copy: start \\(5\\) \\+ length \\(3\\) exceeds dimension size \\(6\\)",
     lambda t: t.narrow_copy(1, 5, 3)),
    ("sum_to_size: size \\[2, 6\\] is not expandable to size \\[4, 6\\]",
     lambda t: t.sum_to_size(2, 6)),
    ("tensor.H is only supported on matrices \\(2-D tensors\\). Got 3-D tensor",
     lambda t: t.reshape(2, 2, 6).H),
    ("adjoint: expects a tensor of at least 2 dims", lambda t: t[0].adjoint()),
]  # fmt: skip


@pytest.mark.parametrize("message, call", ERRORS, ids=[e[0][:30] for e in ERRORS])
def test_errors_name_the_op_and_torch_refuses_too(message, call):
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError), match=message):
        call(ad.tensor(X))
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
        call(torch.tensor(X))
