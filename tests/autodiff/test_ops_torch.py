"""PyTorch as the oracle: the same float64 data through every op table row and the kinks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import ROWS, call, case, leaves, upstream

import autodiff as ad

torch = pytest.importorskip("torch")


def _budget(fraction: float) -> settings:
    return settings(max_examples=max(3, int(settings.default.max_examples * fraction)))


def torch_leaves(arrays):
    return [torch.tensor(np.array(a), dtype=torch.float64, requires_grad=True) for a in arrays]


def edge_names(node, keep_none=True) -> list:
    """next_functions as names ('AccumulateGrad' for leaves), torch's prefix dropped."""
    names = [None if n is None else n.name().replace("torch::autograd::", "")
             for n, _ in node.next_functions]  # fmt: skip
    return names if keep_none else [n for n in names if n is not None]


def run_both(op, arrays, kwargs, seed):
    ours, theirs = leaves(arrays), torch_leaves(arrays)
    out, t_out = call(op, ours, kwargs), op.torch_fn(*theirs, **kwargs)
    g = upstream(out.shape, seed, out.dtype)
    out.backward(ad.tensor(g))
    t_out.backward(torch.from_numpy(g))
    return (out, ours), (t_out, theirs)


@pytest.mark.parametrize("op", ROWS, ids=str)
@_budget(0.6)
@given(data=st.data())
def test_matches_torch(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    (out, ours), (t_out, theirs) = run_both(op, arrays, kwargs, data.draw(st.integers(0, 999)))
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(
        out.detach().numpy(), t_out.detach().numpy(), rtol=op.torch_value_rtol, atol=1e-14
    )
    for mine, yours in zip(ours, theirs):
        np.testing.assert_allclose(
            mine.grad.detach().numpy(), _numpy(yours.grad), rtol=op.torch_rtol, atol=1e-12
        )
    shapes = [a.shape for a in arrays]
    if op.same_name_as_torch(shapes, kwargs):
        assert out.grad_fn.name() == t_out.grad_fn.name()
        names = edge_names(t_out.grad_fn, keep_none=op.torch_edges)
        assert edge_names(out.grad_fn, keep_none=op.torch_edges) == names


@pytest.mark.parametrize("op", ROWS, ids=str)
@_budget(0.3)
@given(data=st.data())
def test_second_order_matches_torch(op, data):
    """d/dx <v, grad(<g, f(x)>)>: the second derivative along v, compared with torch."""
    if not op.second_order or not op.torch_second_order:
        return
    arrays, kwargs = data.draw(case(op), label="inputs")
    ours, theirs = leaves(arrays), torch_leaves(arrays)
    out, t_out = call(op, ours, kwargs), op.torch_fn(*theirs, **kwargs)
    g = upstream(out.shape, 1)
    vs = [upstream(a.shape, 2 + i) for i, a in enumerate(arrays)]
    grads = ad.grad(out, ours, ad.tensor(g), create_graph=True)
    t_grads = torch.autograd.grad(t_out, theirs, torch.from_numpy(g), create_graph=True)
    total = sum((gr * ad.tensor(v)).sum() for gr, v in zip(grads, vs))
    t_total = sum((gr * torch.from_numpy(v)).sum() for gr, v in zip(t_grads, vs))
    second = _second(total, ours)
    t_second = _second(t_total, theirs, torch.autograd.grad)
    for mine, yours in zip(second, t_second):
        np.testing.assert_allclose(mine, yours, rtol=max(1e-9, 10 * op.torch_rtol), atol=1e-11)


def _second(total, inputs, grad=ad.grad) -> list:
    """The gradient of total, zeros where it does not depend on an input."""
    if not total.requires_grad:
        return [np.zeros(tuple(t.shape)) for t in inputs]
    found = grad(total, inputs, allow_unused=True)
    return [np.zeros(tuple(t.shape)) if f is None else _numpy(f) for t, f in zip(inputs, found)]


def _numpy(t) -> np.ndarray:
    """An array of ours or of torch's (force: torch's ZeroTensor gradients, e.g. of sgn)."""
    return t.detach().numpy() if isinstance(t, ad.Tensor) else t.detach().numpy(force=True)


# --- kink conventions, read from torch rather than hard-coded ----------------------------
KINKS = {
    "relu at 0": (lambda x: x.relu(), [[-1.0, 0.0, 2.0]]),
    "abs at 0": (lambda x: x.abs(), [[-1.0, 0.0, 2.0]]),
    "sqrt at 0": (lambda x: x.sqrt(), [[0.0, 4.0]]),
    "log at 0": (lambda x: x.log(), [[0.0, 2.0]]),
    "x**2 at 0": (lambda x: x**2, [[0.0, -1.0]]),
    "x**0 at 0": (lambda x: x**0, [[0.0, 3.0]]),
    "x**0.5 at 0": (lambda x: x**0.5, [[0.0, 3.0]]),
    "clamp at both bounds": (lambda x: x.clamp(-1.0, 1.0), [[-1.0, 1.0, 0.5, -2.0, 3.0]]),
    "clamp min only at bound": (lambda x: x.clamp(min=0.0), [[0.0, -1.0, 1.0]]),
    "clamp max only at bound": (lambda x: x.clamp(max=0.0), [[0.0, -1.0, 1.0]]),
    "max ties (all)": (lambda x: x.max(), [[1.0, 3.0, 3.0, 3.0, 0.0]]),
    "min ties (all)": (lambda x: x.min(), [[1.0, -2.0, -2.0]]),
    "max ties (dim)": (lambda x: x.max(1)[0], [[[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]]]),
    "min ties (dim, keepdim)": (lambda x: x.min(0, True)[0], [[[2.0, 1.0], [2.0, 1.0]]]),
    "amax ties (all)": (lambda x: x.amax(), [[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]]]),
    "amin ties (dims, keepdim)": (lambda x: x.amin((0, -1), True), [[[[2.0, 1.0], [1.0, 1.0]]]]),
    "aminmax ties": (
        lambda x: _lib(x).aminmax(x, dim=1).max * 2 + _lib(x).aminmax(x).min,
        [[[2.0, 2.0, 1.0], [1.0, 5.0, 5.0]]],
    ),
    "maximum ties": (lambda a, b: _max_min(a, b, "maximum"), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "minimum ties": (lambda a, b: _max_min(a, b, "minimum"), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "maximum ties broadcast": (lambda a, b: _max_min(a, b, "maximum"), [[[1.0], [2.0]], [1.0]]),
    "tensor**tensor, base 0": (lambda a, b: a**b, [[0.0, 0.0, 2.0], [2.0, 0.0, 0.0]]),
    "logsumexp at -inf": (lambda x: x.logsumexp(0), [[-np.inf, 0.0]]),
    "softmax at +-1000": (lambda x: x.softmax(0), [[1000.0, -1000.0, 0.0]]),
    "log_softmax at +-1000": (lambda x: x.log_softmax(0), [[1000.0, -1000.0, 0.0]]),
    "inf-norm ties": (lambda x: x.norm(float("inf")), [[3.0, -3.0, 1.0]]),
    "inf-norm ties (dim)": (lambda x: x.norm(float("inf"), dim=1), [[[2.0, -2.0], [1.0, 0.5]]]),
    "2-norm at 0": (lambda x: x.norm(), [[0.0, 0.0]]),
    "cdist inf ties": (
        lambda a, b: _lib(a).cdist(a, b, float("inf")),
        [[[0.0, 0.0]], [[1.0, -1.0]]],
    ),
    "cdist at distance 0": (lambda a, b: _lib(a).cdist(a, b), [[[1.0, 2.0]], [[1.0, 2.0]]]),
}


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else ad


def _max_min(a, b, name):
    lib = torch if isinstance(a, torch.Tensor) else ad
    return getattr(lib, name)(a, b)


@pytest.mark.parametrize("name", KINKS)
def test_kink_convention_matches_torch_exactly(name):
    fn, values = KINKS[name]
    ours = [ad.tensor(np.array(v), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out, t_out = fn(*ours), fn(*theirs)
    # conventions differ by whole values (0, 1/2, 1, inf, nan): allow only rounding besides
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-14, atol=0)
    g = np.linspace(0.5, 1.5, max(out.detach().numpy().size, 1)).reshape(out.shape)
    with np.errstate(all="ignore"):
        out.backward(ad.tensor(g))
    t_out.backward(torch.from_numpy(g))
    for mine, yours in zip(ours, theirs):
        np.testing.assert_allclose(
            mine.grad.detach().numpy(), yours.grad.detach().numpy(), rtol=1e-14, atol=0
        )


def test_max_dim_indices_match_torch_on_ties():
    data = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0], [7.0, 7.0, 7.0]])
    for dim in (0, 1):
        _, idx = ad.tensor(data).max(dim)
        _, t_idx = torch.from_numpy(data).max(dim)
        np.testing.assert_array_equal(idx.detach().numpy(), t_idx.detach().numpy())
        _, idx = ad.tensor(data).min(dim)
        _, t_idx = torch.from_numpy(data).min(dim)
        np.testing.assert_array_equal(idx.detach().numpy(), t_idx.detach().numpy())


def test_scalar_exercise_graph_matches_torch():
    """(x + y) * z at (-2, 5, -4): values, gradients, node names, next_functions."""
    ours = [ad.tensor(v, dtype=ad.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0)]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0)]
    out, t_out = (ours[0] + ours[1]) * ours[2], (theirs[0] + theirs[1]) * theirs[2]
    out.backward()
    t_out.backward()
    assert out.item() == t_out.item()
    assert [t.grad.item() for t in ours] == [t.grad.item() for t in theirs]
    assert out.grad_fn.name() == t_out.grad_fn.name()
    assert edge_names(out.grad_fn) == edge_names(t_out.grad_fn)
    add, t_add = out.grad_fn.next_functions[0][0], t_out.grad_fn.next_functions[0][0]
    assert edge_names(add) == edge_names(t_add)
    assert add.next_functions[1][0].variable is ours[1]


def test_matrix_exp_is_exact_where_torchs_is_not():
    """exp of c·J (J the 2x2 matrix of ones, J² = 2J) is I + (e^{2c} − 1)/2 · J: ours within a
    few ulps where torch's approximant is ~1e-9 off (the reason for matrix_exp's value tolerance)."""
    import math

    c = 2.0**-6
    exact = (math.exp(2 * c) - 1) / 2
    ours = ad.linalg.matrix_exp(ad.tensor(np.full((2, 2), c))).numpy()
    np.testing.assert_allclose(ours, [[1 + exact, exact], [exact, 1 + exact]], rtol=1e-14)
