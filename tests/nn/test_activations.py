"""Activations: forward, input (and slope) gradients and node names against torch; finite
differences with hypothesis; second order; the modules."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.ops.pointwise import erf_array as erf
from autodiff.testing import arrays, assert_gradients_match

# name: (ours, torch twin (as a function of torch), kinks, node name)
ACTIVATIONS = {
    "relu": (F.relu, lambda t, x: t.relu(x), (0.0,), "ReluBackward0"),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1),
                   lambda t, x: t.nn.functional.leaky_relu(x, 0.1), (0.0,), "LeakyReluBackward0"),
    "elu": (lambda x: F.elu(x, 0.7), lambda t, x: t.nn.functional.elu(x, 0.7), (0.0,),
            "EluBackward0"),
    "selu": (F.selu, lambda t, x: t.nn.functional.selu(x), (0.0,), "EluBackward0"),
    "sigmoid": (F.sigmoid, lambda t, x: t.sigmoid(x), (), "SigmoidBackward0"),
    "tanh": (F.tanh, lambda t, x: t.tanh(x), (), "TanhBackward0"),
    "softplus": (lambda x: F.softplus(x, 2.0, 4.0),
                 lambda t, x: t.nn.functional.softplus(x, 2.0, 4.0), (2.0,), "SoftplusBackward0"),
    "silu": (F.silu, lambda t, x: t.nn.functional.silu(x), (), "SiluBackward0"),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x), (), "GeluBackward0"),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), (), "GeluBackward0"),
    "softmax": (lambda x: F.softmax(x, dim=-1), lambda t, x: t.softmax(x, -1), (),
                "SoftmaxBackward0"),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda t, x: t.log_softmax(x, -1), (),
                    "LogSoftmaxBackward0"),
    "hardtanh": (lambda x: F.hardtanh(x, -1.5, 2.5),
                 lambda t, x: t.nn.functional.hardtanh(x, -1.5, 2.5), (-1.5, 2.5),
                 "HardtanhBackward0"),
    "relu6": (F.relu6, lambda t, x: t.nn.functional.relu6(x), (0.0, 6.0), "HardtanhBackward0"),
    "hardsigmoid": (F.hardsigmoid, lambda t, x: t.nn.functional.hardsigmoid(x), (-3.0, 3.0),
                    "HardsigmoidBackward0"),
    "hardswish": (F.hardswish, lambda t, x: t.nn.functional.hardswish(x), (-3.0, 3.0),
                  "HardswishBackward0"),
    "mish": (F.mish, lambda t, x: t.nn.functional.mish(x), (), "MishBackward0"),
    "logsigmoid": (F.logsigmoid, lambda t, x: t.nn.functional.logsigmoid(x), (),
                   "LogSigmoidBackward0"),
    "softsign": (F.softsign, lambda t, x: t.nn.functional.softsign(x), (0.0,), "DivBackward0"),
    "tanhshrink": (F.tanhshrink, lambda t, x: t.nn.functional.tanhshrink(x), (),
                   "SubBackward0"),
    "softshrink": (lambda x: F.softshrink(x, 0.7), lambda t, x: t.nn.functional.softshrink(x, 0.7),
                   (-0.7, 0.7), "SoftshrinkBackward0"),
    "hardshrink": (lambda x: F.hardshrink(x, 0.7), lambda t, x: t.nn.functional.hardshrink(x, 0.7),
                   (-0.7, 0.7), "HardshrinkBackward0"),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0),
                  lambda t, x: t.nn.functional.threshold(x, 0.3, -2.0), (0.3,),
                  "ThresholdBackward0"),
    "celu": (lambda x: F.celu(x, 0.6), lambda t, x: t.nn.functional.celu(x, 0.6), (0.0,),
             "CeluBackward0"),
    "softmin": (lambda x: F.softmin(x, -1), lambda t, x: t.nn.functional.softmin(x, -1), (),
                "SoftmaxBackward0"),
}  # fmt: skip


# torch's CeluBackward0 scales by 1/float32(alpha) (derivatives.yaml: 1.0/alpha.toFloat()), so
# its float64 gradient is off by ~1e-7 relative; ours is the exact derivative
GRAD_RTOL = {"celu": 1e-6}


def _data(seed=0, shape=(4, 5), scale=3.0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x[0, :3] = [0.0, -0.0, 2.0]  # the kinks themselves: conventions must match torch
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_and_gradient_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, _, node = ACTIVATIONS[name]
    x = _data()
    g = np.random.default_rng(1).standard_normal(x.shape)
    xa = ad.tensor(x, requires_grad=True)
    out = ours(xa)
    out.backward(ad.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(torch, xt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    rtol = GRAD_RTOL.get(name, 1e-12)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=rtol, atol=1e-14
    )
    assert out.grad_fn.name() == node == type(out_t.grad_fn).__name__


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gradient_matches_finite_differences(name):
    ours, _, kinks, _ = ACTIVATIONS[name]

    @given(arrays(domain=(-4.0, 4.0), kinks=kinks))
    def check(x):
        assert_gradients_match(ours, x)

    check()


SMOOTH = ["elu", "selu", "softplus", "silu", "gelu", "gelu_tanh", "mish", "logsigmoid", "celu",
          "hardswish", "softsign", "tanhshrink"]  # fmt: skip


@pytest.mark.parametrize("name", SMOOTH)
def test_second_order_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, _, _ = ACTIVATIONS[name]
    x = _data(seed=3)
    x[0, :3] = [0.5, -0.5, 1.5]  # off the kinks: torch's own double backward differs at them
    xa = ad.tensor(x, requires_grad=True)
    (ga,) = ad.grad(ours(xa).sum(), xa, create_graph=True)
    (gga,) = ad.grad((ga * ga).sum(), xa)
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(theirs(torch, xt).sum(), xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    rtol = GRAD_RTOL.get(name, 1e-10)
    np.testing.assert_allclose(gga.detach().numpy(), ggt.detach().numpy(), rtol=rtol, atol=1e-12)


KINKS = np.array([-6.0, -3.0, -1.5, -1.0, -0.7, -0.5, 0.0, 0.3, 0.5, 0.7, 1.0, 2.5, 3.0, 6.0])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_kink_conventions_match_torch(name):
    """Values and gradients exactly at every kink of the piecewise activations: torch's
    convention (the slope a kink takes) is read from torch, never hard-coded."""
    torch = pytest.importorskip("torch")
    ours, theirs, _, _ = ACTIVATIONS[name]
    xa, xt = (
        ad.tensor(KINKS[None], requires_grad=True),
        torch.tensor(KINKS[None], requires_grad=True),
    )
    ours(xa).sum().backward()
    theirs(torch, xt).sum().backward()
    rtol = GRAD_RTOL.get(name, 1e-12)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=rtol, atol=1e-14
    )


@pytest.mark.parametrize("fn", [F.hardtanh, F.relu6, F.hardsigmoid, F.hardswish, F.mish,
                                lambda x, inplace: F.threshold(x, 0.3, -2.0, inplace),
                                lambda x, inplace: F.celu(x, 0.6, inplace)])  # fmt: skip
def test_inplace_forms_write_into_the_input_and_differentiate(fn):
    x = _data(seed=6)
    leaf = ad.tensor(x, requires_grad=True)
    out = fn(leaf * 1.0, inplace=False)
    out.backward(ad.ones_like(out))
    base = ad.tensor(x, requires_grad=True)
    y = base * 1.0
    assert fn(y, inplace=True) is y
    np.testing.assert_array_equal(y.detach().numpy(), out.detach().numpy())
    y.backward(ad.ones_like(y))
    np.testing.assert_array_equal(base.grad.detach().numpy(), leaf.grad.detach().numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_matches_torch_and_finite_differences(dim):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((4, 6, 2)) * 2
    g = np.random.default_rng(8).standard_normal(np.split(x, 2, axis=dim)[0].shape)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = F.glu(xa, dim), torch.nn.functional.glu(xt, dim)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)
    assert out.grad_fn.name() == type(out_t.grad_fn).__name__ == "GluBackward0"
    assert_gradients_match(lambda a: F.glu(a, dim), ad.tensor(x, requires_grad=True))
    assert ad.gradgradcheck(lambda a: F.glu(a, dim), (ad.tensor(x[:2, :2], requires_grad=True),))
    with pytest.raises(ValueError, match="Halving dimension must be even"):
        F.glu(ad.zeros(3, 5))


def test_gumbel_softmax_is_a_distribution_and_hard_is_one_hot_with_soft_gradients():
    ad.manual_seed(0)
    logits = ad.tensor(np.log([[0.7, 0.2, 0.1]] * 2000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    assert (
        set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
        and (hard.detach().numpy().sum(-1) == 1).all()
    )
    # the arg-max of logits + Gumbel noise is a draw from softmax(logits)
    freq = hard.detach().numpy().mean(0)
    np.testing.assert_allclose(freq, [0.7, 0.2, 0.1], atol=0.04)
    g = np.random.default_rng(0).standard_normal(hard.shape)
    hard.backward(ad.tensor(g))
    assert logits.grad.shape == logits.shape and np.abs(logits.grad.detach().numpy()).sum() > 0
    assert hard.grad_fn.name() == "AddBackward0"


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_draws_torchs_noise_under_the_same_seed(hard):
    """A seeded run samples what torch samples, and leaves the generator where torch's is."""
    torch = pytest.importorskip("torch")
    logits = np.log([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]).astype(np.float32)
    ad.manual_seed(3)
    torch.manual_seed(3)
    ours = F.gumbel_softmax(ad.tensor(logits), tau=0.7, hard=hard)
    theirs = torch.nn.functional.gumbel_softmax(torch.tensor(logits), tau=0.7, hard=hard)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert ad.rand(3).tolist() == torch.rand(3).tolist()


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1.5, -1.5, 1e-300, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=1e-15, atol=1e-15)


def test_gelu_exact_matches_torch_tightly_at_large_inputs():
    torch = pytest.importorskip("torch")
    x = np.linspace(-12, 12, 4001)
    ours = F.gelu(ad.tensor(x)).detach().numpy()
    theirs = torch.nn.functional.gelu(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("channels,shape", [(1, (3, 4)), (4, (3, 4)), (2, (2, 2, 3, 3)), (1, (5,))])
def test_prelu_matches_torch(channels, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(shape), rng.uniform(0.05, 0.5, channels)
    g = rng.standard_normal(shape)
    xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    out = F.prelu(xa, wa)
    out.backward(ad.tensor(g))
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out_t = torch.nn.functional.prelu(xt, wt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(wa.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-12)
    assert out.grad_fn.name() == "PreluKernelBackward0"


@given(arrays((2, 3, 2), kinks=(0.0,)), st.lists(st.floats(0.05, 0.9), min_size=3, max_size=3))
def test_prelu_finite_differences(x, slopes):
    w = ad.tensor(np.array(slopes), requires_grad=True)
    assert_gradients_match(F.prelu, x, w)


def test_prelu_module_learns_per_channel_slope():
    m = nn.PReLU(num_parameters=3, init=0.25)
    assert m.weight.shape == (3,) and m.weight.dtype == ad.get_default_dtype()
    assert np.all(m.weight.detach().numpy() == np.float32(0.25))
    x = ad.tensor(-np.ones((2, 3), dtype=np.float32))
    m(x).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.detach().numpy(), [-2.0, -2.0, -2.0])
    with pytest.raises(ValueError, match="prelu: 3 slopes"):
        m(ad.ones(2, 4))


def test_saturated_and_extreme_inputs_stay_finite():
    x = ad.tensor(np.array([-1000.0, -50.0, 50.0, 1000.0]), requires_grad=True)
    for fn in (F.sigmoid, F.softplus, F.silu, F.elu, F.selu, F.gelu, lambda t: F.softmax(t, 0),
               lambda t: F.log_softmax(t, 0), F.mish, F.logsigmoid, F.celu, F.hardswish,
               lambda t: F.glu(t, 0)):  # fmt: skip
        x.grad = None
        out = fn(x)
        out.sum().backward()
        assert (
            np.isfinite(out.detach().numpy()).all() and np.isfinite(x.grad.detach().numpy()).all()
        ), fn


MODULES = [
    (nn.ReLU(), F.relu), (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu), (nn.Sigmoid(), F.sigmoid),
    (nn.Tanh(), F.tanh), (nn.Softplus(beta=2.0), lambda x: F.softplus(x, 2.0)),
    (nn.SiLU(), F.silu), (nn.GELU("tanh"), lambda x: F.gelu(x, "tanh")),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, 1)), (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1)),
    (nn.Hardtanh(-2, 3), lambda x: F.hardtanh(x, -2, 3)), (nn.ReLU6(), F.relu6),
    (nn.Hardsigmoid(), F.hardsigmoid), (nn.Hardswish(), F.hardswish), (nn.Mish(), F.mish),
    (nn.LogSigmoid(), F.logsigmoid), (nn.Softsign(), F.softsign), (nn.Tanhshrink(), F.tanhshrink),
    (nn.Softshrink(0.3), lambda x: F.softshrink(x, 0.3)),
    (nn.Hardshrink(0.3), lambda x: F.hardshrink(x, 0.3)),
    (nn.Threshold(0.1, 5.0), lambda x: F.threshold(x, 0.1, 5.0)),
    (nn.GLU(0), lambda x: F.glu(x, 0)), (nn.CELU(0.5), lambda x: F.celu(x, 0.5)),
    (nn.Softmin(1), lambda x: F.softmin(x, 1)),
]  # fmt: skip


@pytest.mark.parametrize("module,fn", MODULES, ids=lambda m: type(m).__name__)
def test_modules_equal_their_functional_form(module, fn):
    x = ad.tensor(_data(seed=5))
    np.testing.assert_array_equal(module(x).detach().numpy(), fn(x).detach().numpy())
    assert list(module.parameters()) == []


def test_module_reprs_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [(nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)), (nn.ELU(0.5), torch.nn.ELU(0.5)),
             (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
             (nn.Softplus(2.0), torch.nn.Softplus(2.0)), (nn.PReLU(3), torch.nn.PReLU(3)),
             (nn.ReLU(), torch.nn.ReLU()), (nn.Hardtanh(), torch.nn.Hardtanh()),
             (nn.Hardtanh(-2, 3, True), torch.nn.Hardtanh(-2, 3, True)),
             (nn.ReLU6(True), torch.nn.ReLU6(True)), (nn.Hardsigmoid(True), torch.nn.Hardsigmoid(True)),
             (nn.Hardswish(), torch.nn.Hardswish()), (nn.Mish(True), torch.nn.Mish(True)),
             (nn.Softshrink(), torch.nn.Softshrink()), (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
             (nn.Threshold(0.1, 20.0), torch.nn.Threshold(0.1, 20.0)), (nn.GLU(), torch.nn.GLU()),
             (nn.Softmin(1), torch.nn.Softmin(1)), (nn.CELU(0.5, True), torch.nn.CELU(0.5, True)),
             (nn.LogSigmoid(), torch.nn.LogSigmoid()), (nn.Softsign(), torch.nn.Softsign()),
             (nn.Tanhshrink(), torch.nn.Tanhshrink())]  # fmt: skip
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_float32_stays_float32():
    x = ad.randn(3, 4)
    for fn in (F.leaky_relu, F.elu, F.selu, F.softplus, F.silu, F.gelu, F.hardtanh, F.relu6,
               F.hardsigmoid, F.hardswish, F.mish, F.logsigmoid, F.softshrink, F.hardshrink,
               F.celu, F.glu):  # fmt: skip
        assert fn(x).dtype == np.float32
