"""Helpers for nn tests against torch: the same float64 data through ours and torch's, compared
value for value, gradient for gradient (under a random upstream gradient) and node for node
(the whole recorded graph), then float64 finite differences and second order of ours."""

import numpy as np

import autodiff as ad
from autodiff.testing import assert_gradients_match

# torch's scalar overloads record one edge (AddBackward1 for x + 2); the engine records the
# tensor op with an empty edge for the number (AddBackward0 with None), as torch's Python
# operators do for x - 2 or x * 2
_SCALAR_OVERLOADS = {
    "AddBackward1": "AddBackward0",
    "SubBackward1": "SubBackward0",
    "MulBackward1": "MulBackward0",
    "DivBackward1": "DivBackward0",
    "RsubBackward1": "RsubBackward1",
}
# the engine's op where torch's composite calls an overload the engine does not have
# (torch.norm(p, dim) records linalg.vector_norm's node)
_ENGINE_NAMES = {
    "NormBackward1": "LinalgVectorNormBackward0",
}


def node_tree(fn, from_torch: bool = False) -> tuple:
    """(name, children...) of a grad_fn and everything below it; torch's C++ nodes
    (torch::autograd::CopySlices) by their short names. from_torch: a torch graph written in
    the engine's terms (the two tables above), so that it compares with ours."""
    if fn is None:
        return (None,)
    name = fn.name() if callable(getattr(fn, "name", None)) else type(fn).__name__
    name = name.rsplit("::", 1)[-1]
    children = tuple(node_tree(f, from_torch) for f, _ in fn.next_functions)
    if from_torch and name in _SCALAR_OVERLOADS and len(children) == 1:
        name, children = _SCALAR_OVERLOADS[name], children + ((None,),)
    if from_torch:
        name = _ENGINE_NAMES.get(name, name)
    return (name,) + children


def compare(torch, ours, theirs, *arrays, rtol=1e-10, atol=1e-12, second_order=True):
    """ours(*tensors) against theirs(*torch tensors) on the same float64 arrays: values, every
    input's gradient, the recorded graph; then ours against finite differences and, with
    second_order, gradgradcheck."""
    xa = [ad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = ours(*xa), theirs(*xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=rtol, atol=atol)
    assert node_tree(out.grad_fn) == node_tree(out_t.grad_fn, from_torch=True)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(xa, xt):
        np.testing.assert_allclose(
            a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=rtol, atol=atol
        )
    fresh = [ad.tensor(a, requires_grad=True) for a in arrays]
    assert_gradients_match(ours, *fresh)
    if second_order:
        assert ad.gradgradcheck(ours, tuple(fresh))
    assert_compiled_equals_eager(ours, g, *arrays)


def assert_compiled_equals_eager(ours, grad, *arrays) -> None:
    """ours with its backward under ad.compile: traced, replayed, and replayed on the values
    reversed (other maxima, other signs), each bitwise equal to eager (output and gradients)."""

    def step(*ts):
        out = ours(*ts)
        out.backward(ad.tensor(grad))
        return out.detach()

    def run(fn, values):
        ts = [ad.tensor(a, requires_grad=True) for a in values]
        ad.manual_seed(0)
        return [fn(*ts).detach().numpy()] + [t.grad.detach().numpy() for t in ts]

    compiled = ad.compile(step)
    reversed_ = [np.flip(a).copy() for a in arrays]
    for values in (arrays, arrays, reversed_):
        for got, want in zip(run(compiled, values), run(step, values)):
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)
    assert compiled.traces == 1 and compiled.eager_calls == 0
