"""torch.special.zeta (Hurwitz's ζ(x, q), ops/airy_zeta.py) against torch on hypothesis-drawn
float32 and float64 pairs: values bit for bit (both sum Cephes's series in float64), the poles,
nan and inf cases, broadcasting, dtypes with numbers and integers, and the gradient: in q
−x ζ(x + 1, q) as torch, in x torch's NotImplementedError."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad

SPECIAL = [0.0, -0.0, 1.0, 2.0, -1.0, -2.5, 9.0, np.inf, -np.inf, np.nan, 1e-30, 1.0000001]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.floats(0.5, 60) | st.integers(0, 12).map(float) | st.sampled_from(SPECIAL),
            st.floats(-12, 60) | st.integers(-5, 5).map(float) | st.sampled_from(SPECIAL),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_values_as_torch(dtype, pairs):
    torch = pytest.importorskip("torch")
    x, q = np.array(pairs, dtype=dtype).T
    theirs = torch.special.zeta(torch.tensor(x), torch.tensor(q)).detach().numpy()
    ours = ad.special.zeta(ad.tensor(x), ad.tensor(q)).detach().numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)  # nan where nan, the same bits elsewhere


def test_broadcasting_numbers_and_dtypes_as_torch():
    torch = pytest.importorskip("torch")
    x, q = np.array([[2.0], [3.5], [1.0]]), np.array([0.5, 1.0, -1.0, -1.5, 7.0])
    cases = [
        lambda lib: (lib.tensor(x), lib.tensor(q)),
        lambda lib: (2, lib.tensor(q)),
        lambda lib: (lib.tensor(x), 2.5),
        lambda lib: (lib.tensor([2, 3]), lib.tensor([1, 2])),
        lambda lib: (lib.tensor([2.0], dtype=lib.float64), lib.tensor([1.0])),
        lambda lib: (lib.tensor([2.0]), True),
    ]
    for case in cases:
        theirs = torch.special.zeta(*case(torch))
        ours = ad.special.zeta(*case(ad))
        assert str(ours.dtype) == str(theirs.dtype) and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("scalar", [None, "x", "q"])
def test_gradient_in_q_as_torch(scalar):
    torch = pytest.importorskip("torch")
    x, q = np.array([[2.0], [3.5]]), np.array([0.5, 1.5, 4.0])
    results = []
    for lib in (torch, ad):
        qt = lib.tensor(q, requires_grad=True)
        xt = 3.0 if scalar == "x" else lib.tensor(x)
        out = lib.special.zeta(xt, 2.0 if scalar == "q" else qt)
        if scalar == "q":
            assert not out.requires_grad
            continue
        weights = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))
        (grad,) = lib.autograd.grad((out * weights).sum(), qt, create_graph=True)
        (second,) = lib.autograd.grad(grad.sum(), qt)  # through −x ζ(x + 1, q) again
        results.append((out.grad_fn.name(), grad.detach().numpy(), second.detach().numpy()))
    if scalar != "q":
        (their_node, their_grad, their_second), (node, grad, second) = results
        assert node == their_node
        np.testing.assert_allclose(grad, their_grad, rtol=1e-14)
        np.testing.assert_allclose(second, their_second, rtol=1e-14)
    q64 = ad.tensor(q, requires_grad=True)
    assert ad.gradcheck(lambda t: ad.special.zeta(ad.tensor(x), t), (q64,))


def test_gradient_in_x_and_bad_inputs_raise_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        x = lib.tensor([2.0, 3.0], requires_grad=True)
        out = lib.special.zeta(x, lib.tensor([1.5, 2.0]))
        with pytest.raises(NotImplementedError, match="derivative for 'zeta' is not implemented"):
            out.sum().backward()
        with pytest.raises(NotImplementedError):
            lib.special.zeta(lib.tensor([2.0], dtype=lib.float16), lib.tensor([1.0]).half())
        with pytest.raises(TypeError):
            lib.special.zeta(2.0, 3.0)
