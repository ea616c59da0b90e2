"""The in-place F forms (elu_, leaky_relu_, hardtanh_, selu_, celu_, threshold_, rrelu_), RReLU,
AlphaDropout, Bilinear and LazyLinear against torch: values, gradients, recorded graphs (the
in-place nodes' Backward1 names), finite differences, seeded draws and initialisation, state
dicts, reprs and errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

IN_PLACE = [
    ("elu_", {}),
    ("elu_", dict(alpha=0.5)),
    ("leaky_relu_", dict(negative_slope=0.2)),
    ("hardtanh_", dict(min_val=-0.5, max_val=0.7)),
    ("selu_", {}),
    ("celu_", dict(alpha=2.0)),
    ("threshold_", dict(threshold=0.1, value=-2.0)),
    ("rrelu_", {}),
]


@pytest.mark.parametrize("name,kwargs", IN_PLACE)
def test_in_place_forms_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(13).standard_normal((3, 4))
    x[np.abs(x) < 1e-2] += 0.05  # away from the kinks
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    compare(torch, lambda a: ours(a * 1, **kwargs), lambda a: theirs(a * 1, **kwargs), x)
    t = ad.tensor(x)
    assert ours(t, **kwargs) is t  # written into its input
    np.testing.assert_allclose(
        t.detach().numpy(), theirs(torch.tensor(x), **kwargs).detach().numpy(), rtol=1e-12
    )


def test_in_place_forms_refuse_a_leaf_that_requires_grad():
    torch = pytest.importorskip("torch")
    for lib, t in ((F, ad), (torch.nn.functional, torch)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            lib.elu_(t.ones(2, requires_grad=True))


def test_in_place_node_names_under_no_grad_keep_the_old_node():
    x = ad.ones(3, requires_grad=True) * 2
    node = x.grad_fn
    with ad.no_grad():
        F.elu_(x)
    assert x.grad_fn is node and node.name() == "MulBackward0"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rrelu_training_draws_torchs_slopes(dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(14).standard_normal((4, 5)).astype(dtype)
    ad.manual_seed(7)
    torch.manual_seed(7)
    a, t = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = F.rrelu(a, 0.1, 0.4, training=True), torch.nn.functional.rrelu(t, 0.1, 0.4, True)
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    assert out.grad_fn.name() == type(out_t.grad_fn).__name__ == "RreluWithNoiseBackward0"
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())
    slopes = out.detach().numpy()[x < 0] / x[x < 0]
    assert ((slopes >= 0.1 - 1e-6) & (slopes < 0.4 + 1e-6)).all() and len(set(slopes)) > 1


def test_rrelu_eval_module_and_errors_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(15).standard_normal((3, 4))
    compare(torch, F.rrelu, torch.nn.functional.rrelu, x)
    ours, theirs = nn.RReLU(0.2, 0.3), torch.nn.RReLU(0.2, 0.3)
    assert repr(ours) == repr(theirs) and repr(nn.RReLU(inplace=True)) == repr(
        torch.nn.RReLU(inplace=True)
    )
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(
        ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="Lower bound should be less than or equal to the upper"):
        F.rrelu(ad.ones(2), 0.5, 0.1)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        torch.nn.functional.rrelu(torch.ones(2), 0.5, 0.1)


@pytest.mark.parametrize("p", [0.2, 0.5, 1.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_alpha_dropout_matches_torch_for_a_seed(p, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(16).standard_normal((5, 6)).astype(dtype)
    for inplace in (False, True):
        ad.manual_seed(3)
        torch.manual_seed(3)
        a, t = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_t = (
            F.alpha_dropout(a * 1, p, True, inplace),
            torch.nn.functional.alpha_dropout(t * 1, p, True, inplace),
        )
        np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
        g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
        out.backward(ad.tensor(g))
        out_t.backward(torch.tensor(g))
        np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())


def test_alpha_dropout_keeps_mean_and_variance_and_the_module_as_torch():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    out = F.alpha_dropout(ad.randn(200_000, dtype=ad.float64), 0.3, training=True).detach().numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    x = ad.randn(4)
    assert F.alpha_dropout(x, 0.3) is x  # training=False by default, as torch
    ours, theirs = nn.AlphaDropout(0.2), torch.nn.AlphaDropout(0.2)
    assert repr(ours) == repr(theirs)
    ours.eval()
    assert ours(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(x, 1.5, True)


@pytest.mark.parametrize("batch", [(4,), (2, 3), ()])
def test_bilinear_matches_torch(batch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    x1, x2 = rng.standard_normal(batch + (3,)), rng.standard_normal(batch + (5,))
    w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal(2)
    compare(torch, F.bilinear, torch.nn.functional.bilinear, x1, x2, w, b)
    compare(torch, F.bilinear, torch.nn.functional.bilinear, x1, x2, w)


def test_bilinear_module_initialises_as_torch_and_checks_shapes():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, dict(bias=False)):
        ad.manual_seed(5)
        torch.manual_seed(5)
        ours, theirs = nn.Bilinear(3, 5, 2, **kwargs), torch.nn.Bilinear(3, 5, 2, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():
            np.testing.assert_array_equal(
                ours.state_dict()[key].detach().numpy(), value.detach().numpy()
            )
    x1, x2 = np.ones((4, 3), np.float32), np.ones((4, 5), np.float32)
    np.testing.assert_allclose(
        ours(ad.tensor(x1), ad.tensor(x2)).detach().numpy(),
        theirs(torch.tensor(x1), torch.tensor(x2)).detach().numpy(),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="does not fit inputs with 3 and 4 features"):
        ours(ad.ones(4, 3), ad.ones(4, 4))
    with pytest.raises(ValueError, match="same batch dims"):
        ours(ad.ones(4, 3), ad.ones(3, 5))


def test_lazy_linear_materialises_on_the_first_call_as_torch():
    torch = pytest.importorskip("torch")
    ad.manual_seed(9)
    torch.manual_seed(9)
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    weight = ours.weight
    optimizer = nn.optim.SGD(ours.parameters(), lr=0.1)  # built before the shapes are known
    x = np.random.default_rng(18).standard_normal((2, 4)).astype(np.float32)
    out, out_t = ours(ad.tensor(x)), theirs(torch.tensor(x))
    assert type(ours) is nn.Linear and repr(ours) == repr(theirs) and ours.weight is weight
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(
            ours.state_dict()[key].detach().numpy(), value.detach().numpy()
        )
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    optimizer.step()
    assert not np.array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    lazy = nn.LazyLinear(2, bias=False)
    assert lazy(ad.ones(5, 3)).shape == (5, 2) and lazy.bias is None and lazy.in_features == 3
    with pytest.raises(ValueError, match="in_features must be at least 1"):
        nn.LazyLinear(2)(ad.ones(3, 0))
