"""Helpers for nn tests against torch: the same float64 data through ours and torch's, compared
value for value, gradient for gradient (under a random upstream gradient) and node for node
(the whole recorded graph), then float64 finite differences and second order of ours."""

import numpy as np

import autodiff as ad
from autodiff.testing import assert_gradients_match


def node_tree(fn) -> tuple:
    """(name, children...) of a grad_fn and everything below it; torch's C++ nodes
    (torch::autograd::CopySlices) by their short names. The one known difference of the
    engine: `x + number` records AddBackward0 with a constant's empty edge where torch records
    AddBackward1 (its Tensor + Scalar overload) with none; ours is written as torch's."""
    if fn is None:
        return (None,)
    name = fn.name() if callable(getattr(fn, "name", None)) else type(fn).__name__
    children = tuple(node_tree(f) for f, _ in fn.next_functions)
    if name == "AddBackward0" and len(children) == 2 and children[1] == (None,):
        name, children = "AddBackward1", children[:1]
    return (name.rsplit("::", 1)[-1],) + children


def compare(torch, ours, theirs, *arrays, rtol=1e-10, atol=1e-12, second_order=True):
    """ours(*tensors) against theirs(*torch tensors) on the same float64 arrays: values, every
    input's gradient, the recorded graph; then ours against finite differences and, with
    second_order, gradgradcheck."""
    xa = [ad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = ours(*xa), theirs(*xt)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=rtol, atol=atol)
    assert node_tree(out.grad_fn) == node_tree(out_t.grad_fn)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(xa, xt):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    fresh = [ad.tensor(a, requires_grad=True) for a in arrays]
    assert_gradients_match(ours, *fresh)
    if second_order:
        assert ad.gradgradcheck(ours, tuple(fresh))
