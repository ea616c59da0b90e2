"""Second order for the rows marked so: finite differences of our create_graph gradient,
gradgradcheck, Hessian symmetry, and Hessian-vector products against torch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import SECOND_ORDER, call, case, leaves, upstream

import autodiff as ad

RTOL, ATOL = 1e-4, 1e-7  # second order: one more difference, one more order of error (TESTING.md)


def _budget(fraction: float) -> settings:
    return settings(max_examples=max(3, int(settings.default.max_examples * fraction)))


def directional(op, kwargs, g, vs):
    """φ(x) = Σ_i <v_i, ∂<g, f(x)>/∂x_i>, built with create_graph so it can be differentiated."""

    def phi(*ts):
        out = call(op, ts, kwargs)
        grads = ad.grad(out, ts, ad.tensor(g), create_graph=True, allow_unused=True)
        terms = [(gr * ad.tensor(v)).sum() for gr, v in zip(grads, vs) if gr is not None]
        return sum(terms[1:], terms[0]) if terms else None

    return phi


def numeric(phi, arrays) -> list:
    """Central differences of φ in float64, graph enabled (φ differentiates inside)."""
    result = []
    for i, a in enumerate(arrays):
        d = np.zeros_like(a)
        for k in np.ndindex(a.shape):
            h = 1e-6 * max(1.0, abs(a[k]))
            up, down = [x.copy() for x in arrays], [x.copy() for x in arrays]
            up[i][k] += h
            down[i][k] -= h
            plus, minus = phi(*leaves(up)), phi(*leaves(down))
            diff = (0.0 if plus is None else plus.item()) - (0.0 if minus is None else minus.item())
            d[k] = diff / (up[i][k] - down[i][k])
        result.append(d)
    return result


@pytest.mark.parametrize("op", SECOND_ORDER, ids=str)
@_budget(0.3)
@given(data=st.data())
def test_second_derivative_matches_finite_differences_of_first(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    seed = data.draw(st.integers(0, 999), label="seed")
    out_shape = call(op, leaves(arrays), kwargs).shape
    g = upstream(out_shape, seed)
    vs = [upstream(a.shape, seed + 1 + i) for i, a in enumerate(arrays)]
    phi = directional(op, kwargs, g, vs)
    ts = leaves(arrays)
    value = phi(*ts)
    expected = numeric(phi, arrays)
    if value is None or not value.requires_grad:  # linear in x: the second derivative is 0
        got = [np.zeros_like(a) for a in arrays]
    else:
        found = ad.grad(value, ts, allow_unused=True)
        got = [np.zeros_like(a) if f is None else f.detach().numpy() for a, f in zip(arrays, found)]
    scale = 1.0 + sum(float(np.abs(gr).sum()) for gr in expected)
    for i, (a, n) in enumerate(zip(got, expected)):
        bound = RTOL * np.abs(n) + ATOL * scale
        assert (np.abs(a - n) <= bound).all(), f"input {i}: analytic {a} numeric {n}"


@pytest.mark.parametrize("op", [op for op in SECOND_ORDER if op.gradgrad], ids=str)
@_budget(0.15)
@given(data=st.data())
def test_gradgradcheck(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    assert ad.gradgradcheck(lambda *ts: call(op, ts, kwargs), leaves(arrays), atol=1e-6,
                            rtol=1e-4)  # fmt: skip


def hessian(loss_fn, ts) -> np.ndarray:
    """The full Hessian of a scalar function over all inputs, one backward per row."""
    loss = loss_fn(*ts)
    grads = ad.grad(loss, ts, create_graph=True, allow_unused=True)
    flat = ad.cat([(ad.zeros_like(t) if g is None else g).reshape(-1) for t, g in zip(ts, grads)])
    rows = []
    for k in range(flat.shape[0]):
        if not flat.requires_grad:
            rows.append(np.zeros(flat.shape[0]))
            continue
        row = ad.grad(flat[k], ts, retain_graph=True, allow_unused=True)
        rows.append(np.concatenate([(np.zeros(t.shape) if r is None else r.detach().numpy()).ravel()
                                    for t, r in zip(ts, row)]))  # fmt: skip
    return np.array(rows)


@pytest.mark.parametrize("op", SECOND_ORDER, ids=str)
@_budget(0.15)
@given(data=st.data())
def test_hessian_is_symmetric(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    ts = leaves(arrays)
    g = upstream(call(op, ts, kwargs).shape, 3)
    h = hessian(lambda *xs: (call(op, xs, kwargs) * ad.tensor(g)).sum(), ts)
    np.testing.assert_allclose(h, h.T, rtol=1e-9, atol=1e-10 * (1 + np.abs(h).max()))


@pytest.mark.parametrize("op", SECOND_ORDER, ids=str)
@_budget(0.3)
@given(data=st.data())
def test_hessian_vector_product_matches_torch(op, data):
    torch = pytest.importorskip("torch")
    if not op.torch_second_order:
        return
    arrays, kwargs = data.draw(case(op), label="inputs")
    ts = leaves(arrays)
    g = upstream(call(op, ts, kwargs).shape, 4)
    vs = [upstream(a.shape, 5 + i) for i, a in enumerate(arrays)]

    def t_loss(*xs):
        return (op.torch_fn(*xs, **kwargs) * torch.from_numpy(g)).sum()

    t_inputs = tuple(torch.from_numpy(np.array(a)) for a in arrays)
    _, t_hvp = torch.autograd.functional.hvp(t_loss, t_inputs, tuple(map(torch.from_numpy, vs)))
    phi = directional(op, kwargs, g, vs)(*ts)
    ours = ad.grad(phi, ts, allow_unused=True) if phi is not None and phi.requires_grad else None
    for i, expected in enumerate(t_hvp):
        got = (
            np.zeros(expected.shape)
            if ours is None or ours[i] is None
            else ours[i].detach().numpy()
        )
        np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_third_derivative_of_a_scalar_chain():
    """create_graph all the way: d³/dx³ of x·sin-free chain tanh(x)² at a point, vs closed form."""
    x = ad.tensor(0.3, dtype=ad.float64, requires_grad=True)
    y = x.tanh() ** 2
    (d1,) = ad.grad(y, x, create_graph=True)
    (d2,) = ad.grad(d1, x, create_graph=True)
    (d3,) = ad.grad(d2, x)
    t = np.tanh(0.3)
    s = 1 - t**2  # sech²
    assert np.isclose(d1.item(), 2 * t * s, rtol=1e-13)
    assert np.isclose(d2.item(), 2 * s * s - 4 * t * t * s, rtol=1e-13)
    assert np.isclose(d3.item(), -16 * t * s * s + 8 * t**3 * s, rtol=1e-12)
