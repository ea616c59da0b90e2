"""torch.special (autodiff.special): every function against torch.special on the same float64
inputs (values, gradients, grad_fn names), and the tails where the normal distribution's and
the scaled Bessel functions must not overflow or lose their digits."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

X = np.array([-2.5, -0.7, 0.3, 1.1, 2.9])
P = np.array([0.01, 0.2, 0.5, 0.77, 0.995])

# name -> (arguments as a function of the library and a leaf maker, grad_fn name if not torch's)
CALLS = {
    "digamma": lambda lib, t: (t(X),),
    "psi": lambda lib, t: (t(X),),
    "entr": lambda lib, t: (t(np.abs(X)),),
    "erf": lambda lib, t: (t(X),),
    "erfc": lambda lib, t: (t(X),),
    "erfcx": lambda lib, t: (t(X),),
    "erfinv": lambda lib, t: (t(P * 2 - 1),),
    "exp2": lambda lib, t: (t(X),),
    "expit": lambda lib, t: (t(X),),
    "expm1": lambda lib, t: (t(X),),
    "gammainc": lambda lib, t: (lib.tensor(np.abs(X), dtype=lib.float64), t(np.abs(X) + 0.5)),
    "gammaincc": lambda lib, t: (lib.tensor(np.abs(X), dtype=lib.float64), t(np.abs(X) + 0.5)),
    "gammaln": lambda lib, t: (t(X),),
    "i0": lambda lib, t: (t(X),),
    "i0e": lambda lib, t: (t(X),),
    "i1": lambda lib, t: (t(X),),
    "i1e": lambda lib, t: (t(X),),
    "log1p": lambda lib, t: (t(np.abs(X)),),
    "log_ndtr": lambda lib, t: (t(X * 4),),
    "log_softmax": lambda lib, t: (t(X.reshape(1, 5)), 1),
    "logit": lambda lib, t: (t(P),),
    "logsumexp": lambda lib, t: (t(X.reshape(5, 1)), 0),
    "multigammaln": lambda lib, t: (t(np.abs(X) + 1.5), 3),
    "ndtr": lambda lib, t: (t(X),),
    "ndtri": lambda lib, t: (t(P),),
    "polygamma": lambda lib, t: (2, t(np.abs(X) + 0.1)),
    "round": lambda lib, t: (t(X),),
    "sinc": lambda lib, t: (t(X),),
    "softmax": lambda lib, t: (t(X.reshape(1, 5)), 1),
    "xlog1py": lambda lib, t: (t(X), t(np.abs(X))),
    "xlogy": lambda lib, t: (t(X), t(np.abs(X))),
}
# torch composes these otherwise: the same values and gradients, another top node
NAMES = {"ndtr": "MulBackward0", "round": "RoundBackward0"}


def test_every_name_is_checked():
    from autodiff.ops import airy_zeta, bessel, polynomials  # in test_special_{bessel, ...}.py

    others = bessel.__all__ + airy_zeta.__all__ + polynomials.__all__
    assert sorted(list(CALLS) + others) == sorted(ad.special.__all__)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_gradients_and_node_as_torch_special(name):
    results = []
    for lib in (torch, ad):
        leaves = []

        def leaf(a, lib=lib, leaves=leaves):
            leaves.append(lib.tensor(a, dtype=lib.float64, requires_grad=True))
            return leaves[-1]

        out = getattr(lib.special, name)(*CALLS[name](lib, leaf))
        weights = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))
        grads = lib.autograd.grad((out * weights).sum(), leaves)
        results.append(
            (out.detach().numpy(), [g.detach().numpy() for g in grads], out.grad_fn.name())
        )
    (theirs, their_grads, their_node), (ours, our_grads, our_node) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
    for o, t in zip(our_grads, their_grads):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-300)
    assert our_node == NAMES.get(name, their_node)


def test_wrappers_take_torch_s_keywords():
    x = np.array([[0.1, 2.0, -1.0]], dtype=np.float32)
    for lib in (torch, ad):
        t = lib.tensor(x)
        assert lib.special.softmax(t, 1, dtype=lib.float64).dtype == lib.float64
        assert lib.special.log_softmax(t, 1, dtype=lib.float64).dtype == lib.float64
        assert lib.special.logsumexp(t, 1, keepdim=True).shape == (1, 1)
        assert lib.special.round(t * 10, decimals=-1).tolist() == [[0.0, 20.0, -10.0]]
    assert ad.special.multigammaln(ad.tensor(2.5), 2).item() == pytest.approx(
        torch.special.multigammaln(torch.tensor(2.5), 2).item(), rel=1e-6
    )


TAILS = {
    "log_ndtr": np.array([-1e4, -300.0, -38.0, -10.0, -1.0, 0.0, 5.0, 40.0]),
    "erfcx": np.array([-26.0, -5.0, 0.0, 5.0, 25.9, 26.1, 1e3, 1e8]),
    "i0e": np.array([-1e5, -701.0, -699.0, 0.0, 1e-300, 700.5, 1e6]),
    "i1e": np.array([-1e5, -701.0, -699.0, 0.0, 1e-300, 700.5, 1e6]),
    "ndtri": np.array([0.0, 5e-324, 1e-300, 1e-20, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-16, 1.0, -0.1]),
    "entr": np.array([-1.0, 0.0, 1e-300, np.nan, np.inf]),
}


@pytest.mark.parametrize("name", sorted(TAILS))
def test_tails_as_torch(name):
    x = TAILS[name]
    ours = getattr(ad.special, name)(ad.tensor(x)).detach().numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_xlog1py_zero_and_nan_cases_as_torch():
    x, y = np.array([0.0, 0.0, 2.0, 0.0, 1.0]), np.array([-1.0, np.nan, -1.0, 3.0, -2.0])
    results = []
    for lib in (torch, ad):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.special.xlog1py(a, b)
        out.sum().backward()
        results.append((out.detach().numpy(), a.grad.detach().numpy(), b.grad.detach().numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    assert ad.special.xlog1py(2.0, ad.tensor([1.0], requires_grad=True)).grad_fn.name() == (
        torch.special.xlog1py(2.0, torch.tensor([1.0], requires_grad=True)).grad_fn.name()
    )
    assert ad.special.xlog1py(ad.tensor([1.0], requires_grad=True), 2.0).grad_fn.name() == (
        torch.special.xlog1py(torch.tensor([1.0], requires_grad=True), 2.0).grad_fn.name()
    )
