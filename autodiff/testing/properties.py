"""Property-based gradient checks for users' test suites (needs hypothesis).

    from hypothesis import given
    from autodiff.testing import arrays, assert_gradients_match

    @given(arrays((3, 4), domain=(-3, 3)))
    def test_my_op(x):
        assert_gradients_match(MyFn.apply, x)

Or in one line: `test_my_op = gradient_test(MyFn.apply, shapes=[(3, 4)])`.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..grad_mode import no_grad
from ..tensor import Tensor


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=3):
    """Array shapes small enough for finite differences (≤ 3 per side by default)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3):
    """Tuples of shapes that broadcast together (0-d, prepended and stretched dims)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda result: result.input_shapes)


def _away_from(values: np.ndarray, kinks, gap: float) -> np.ndarray:
    """Push values at least `gap` away from each kink, keeping their side."""
    for k in kinks:
        close = np.abs(values - k) < gap
        values = np.where(close, k + np.where(values >= k, gap, -gap), values)
    return values


def _spread_ties(values: np.ndarray, gap: float) -> np.ndarray:
    """Make all values distinct by at least `gap` (for max, max-pool, sort-like ops)."""
    flat = values.ravel().copy()
    order = np.argsort(flat, kind="stable")
    for rank in range(1, flat.size):
        prev, here = order[rank - 1], order[rank]
        if flat[here] - flat[prev] < gap:
            flat[here] = flat[prev] + gap
    return flat.reshape(values.shape)


def values(shape, domain=(-3.0, 3.0), kinks=(), distinct=False, gap=1e-3):
    """float64 arrays of `shape` in `domain`, at least `gap` from kinks (and each other)."""
    lo, hi = domain
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False)

    def clean(a):
        a = _away_from(a.astype(np.float64), kinks, gap)
        return _spread_ties(a, 10 * gap) if distinct else a

    return hnp.arrays(np.float64, shape, elements=elements).map(clean)


def arrays(shape=None, domain=(-3.0, 3.0), kinks=(), distinct=False):
    """Tensors (float64, requires_grad) of a given or drawn shape with values as `values`."""
    shape_strategy = shapes() if shape is None else st.just(tuple(shape))
    return shape_strategy.flatmap(lambda s: values(s, domain, kinks, distinct)).map(
        lambda a: Tensor._make(a, True)
    )


def _pairing(fn, inputs, g) -> float:
    """⟨g, f(x)⟩ on fresh tensors, without recording a graph."""
    with no_grad():
        out = fn(*[Tensor._make(t._data.copy()) if isinstance(t, Tensor) else t for t in inputs])
    return float(np.sum(g * out._data))


def numeric_gradient(fn, inputs, g, index) -> np.ndarray:
    """Central differences of ⟨g, f⟩ with respect to input `index`, h = 1e-6·max(1, |x|)."""
    x = inputs[index]._data
    grad = np.zeros_like(x, dtype=np.float64)
    for k in np.ndindex(x.shape):
        orig = x[k]
        h = 1e-6 * max(1.0, abs(orig))
        x[k] = orig + h
        up = x[k]
        plus = _pairing(fn, inputs, g)
        x[k] = orig - h
        down = x[k]
        minus = _pairing(fn, inputs, g)
        x[k] = orig
        grad[k] = (plus - minus) / (up - down)  # the representable step, not 2h
    return grad


def assert_gradients_match(fn, *inputs, grad_output=None, rtol=1e-5, atol=1e-7, seed=0):
    """Assert fn's gradients equal central differences for every input that requires grad.

    The upstream gradient is random (never ones). Passes when
    |analytic − numeric| ≤ rtol·|numeric| + atol·(1 + Σ|g·f(x)|).
    """
    out = fn(*inputs)
    if grad_output is None:
        grad_output = np.random.default_rng(seed).standard_normal(out.shape)
    g = np.asarray(grad_output, dtype=np.float64)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in wrt:
        inputs[i].grad = None
    out.backward(Tensor._make(g.astype(out.dtype)))
    scale = 1.0 + float(np.sum(np.abs(g * out._data)))
    for i in wrt:
        t = inputs[i]
        numeric = numeric_gradient(fn, inputs, g, i)
        analytic = np.zeros_like(numeric) if t.grad is None else t.grad._data
        if analytic.shape != t.shape:
            raise AssertionError(
                f"input {i}: gradient shape {tuple(analytic.shape)} != input {tuple(t.shape)}"
            )
        error = np.abs(analytic - numeric)
        bound = rtol * np.abs(numeric) + atol * scale
        if (error > bound).any():
            k = np.unravel_index(np.argmax(error - bound), error.shape)
            raise AssertionError(
                f"input {i} (shape {tuple(t.shape)}): gradient mismatch at index {k}: analytic "
                f"{analytic[k]:.12g}, numeric {numeric[k]:.12g}, |diff| {error[k]:.3g} > "
                f"allowed {bound[k]:.3g}"
            )


def gradient_test(fn, shapes, domain=(-3.0, 3.0), kinks=(), distinct=False, max_examples=None):
    """A ready pytest test: hypothesis draws inputs of `shapes` and checks fn's gradients."""
    strategies = [arrays(s, domain, kinks, distinct) for s in shapes]

    @given(*strategies)
    def test(*inputs):
        assert_gradients_match(fn, *inputs)

    return settings(max_examples=max_examples)(test) if max_examples else test
