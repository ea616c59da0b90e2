"""Generic tests over every row of the op table: gradients, forward, bookkeeping."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import ROWS, SAVING, call, case, leaves, upstream

import autodiff as ad
from autodiff.testing import assert_gradients_match

SEEDS = st.integers(0, 2**32 - 1)


def budget(fraction: float) -> settings:
    """A fraction of the active profile's examples (never a frozen number)."""
    return settings(max_examples=max(3, int(settings.default.max_examples * fraction)))


@pytest.mark.parametrize("op", ROWS, ids=str)
@given(data=st.data())
def test_gradient_matches_finite_differences(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    seed = data.draw(SEEDS, label="seed")
    assert_gradients_match(lambda *ts: call(op, ts, kwargs), *leaves(arrays), rtol=op.rtol,
                           atol=op.atol, seed=seed)  # fmt: skip


@pytest.mark.parametrize("op", ROWS, ids=str)
@budget(0.5)
@given(data=st.data())
def test_forward_matches_numpy_reference_and_names_the_node(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    out = call(op, leaves(arrays), kwargs)
    expected = np.asarray(op.ref(*arrays, **kwargs))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    assert out.requires_grad and not out.is_leaf
    assert out.grad_fn.name() == op.node_name([a.shape for a in arrays], kwargs)


@pytest.mark.parametrize("op", ROWS, ids=str)
@budget(0.5)
@given(data=st.data())
def test_no_graph_under_no_grad_and_runs_are_bitwise_equal(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    with ad.no_grad():
        quiet = call(op, leaves(arrays), kwargs)
    assert quiet.grad_fn is None and not quiet.requires_grad
    runs = []
    for _ in range(2):
        ts = leaves(arrays)
        out = call(op, ts, kwargs)
        out.backward(ad.tensor(upstream(out.shape, 7, out.dtype)))
        runs.append(
            [out.detach().numpy().tobytes()] + [t.grad.detach().numpy().tobytes() for t in ts]
        )
    assert runs[0] == runs[1]
    assert quiet.detach().numpy().tobytes() == runs[0][0]


@pytest.mark.parametrize("op", ROWS, ids=str)
@budget(0.5)
@given(data=st.data())
def test_backward_bookkeeping(op, data):
    """Shapes/dtypes, no aliasing, no mutation, exactly 2x when retained, error when freed."""
    arrays, kwargs = data.draw(case(op), label="inputs")
    ts = leaves(arrays)
    out = call(op, ts, kwargs)
    g = upstream(out.shape, data.draw(SEEDS, label="seed"), out.dtype)
    g_tensor = ad.from_numpy(g.copy())
    out.backward(g_tensor, retain_graph=True)
    grads = [t.grad for t in ts]
    for t, grad, a in zip(ts, grads, arrays):
        assert grad.shape == t.shape and grad.dtype == t.dtype
        assert grad.grad_fn is None and not grad.requires_grad
        assert not np.shares_memory(grad.detach().numpy(), g_tensor.detach().numpy())
        np.testing.assert_array_equal(t.detach().numpy(), a)  # input not mutated
    for i, a in enumerate(grads):
        assert all(
            not np.shares_memory(a.detach().numpy(), b.detach().numpy()) for b in grads[i + 1 :]
        )
    np.testing.assert_array_equal(g_tensor.detach().numpy(), g)  # upstream not mutated
    first = [grad.detach().numpy().copy() for grad in grads]
    out.backward(g_tensor)
    for t, f in zip(ts, first):
        np.testing.assert_array_equal(t.grad.detach().numpy(), 2 * f)
    if op in SAVING:
        with pytest.raises(RuntimeError, match=r"retain_graph=True"):
            out.backward(g_tensor)


@pytest.mark.parametrize("op", ROWS, ids=str)
@budget(0.3)
@given(data=st.data())
def test_zero_upstream_gives_exact_zero(op, data):
    arrays, kwargs = data.draw(case(op), label="inputs")
    ts = leaves(arrays)
    out = call(op, ts, kwargs)
    out.backward(ad.zeros_like(out))
    for t in ts:
        assert t.grad is not None and not np.any(t.grad.detach().numpy())


@pytest.mark.parametrize("op", [op for op in ROWS if op.empty is not None], ids=str)
def test_zero_size_inputs(op):
    shapes, kwargs = op.empty
    arrays = [np.zeros(s) for s in shapes]
    ts = leaves(arrays)
    out = call(op, ts, kwargs)
    expected = np.asarray(op.ref(*arrays, **kwargs))
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    out.backward(ad.tensor(upstream(out.shape, 0, out.dtype)))
    for t in ts:
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
