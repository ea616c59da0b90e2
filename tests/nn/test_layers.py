"""Linear, Dropout, BatchNorm1d/2d, Identity, Flatten: against torch, finite differences, errors."""

import math

import numpy as np
import pytest
from hypothesis import given

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import arrays, assert_gradients_match


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear_matches_torch(bias, shape):
    torch = pytest.importorskip("torch")
    rng = _rng(1)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    out_shape = shape[:-1] + (4,)
    g = rng.standard_normal(out_shape)
    xa, wa, ba = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.linear(xa, wa, ba if bias else None)
    out.backward(ad.tensor(g))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = torch.nn.functional.linear(xt, wt, bt if bias else None)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(wa.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-12)
    if bias:
        np.testing.assert_allclose(ba.grad.detach().numpy(), bt.grad.detach().numpy(), rtol=1e-12)
    if len(shape) == 2:
        assert out.grad_fn.name() == type(out_t.grad_fn).__name__


def test_linear_node_edges_in_torch_order():
    m = nn.Linear(3, 2)
    x = ad.randn(4, 3, requires_grad=True)
    node = m(x).grad_fn
    assert node.name() == "AddmmBackward0"
    assert [n.variable for n, _ in (node.next_functions[0], node.next_functions[2])] == [
        m.bias,
        m.weight,
    ]
    assert node.next_functions[1][0].variable is x


@given(arrays((2, 3)), arrays((4, 3)), arrays((4,)))
def test_linear_finite_differences(x, w, b):
    assert_gradients_match(F.linear, x, w, b)
    assert_gradients_match(lambda x, w: F.linear(x, w), x, w)


def test_linear_default_init_dtype_and_bounds():
    ad.manual_seed(0)
    m = nn.Linear(400, 300)
    assert m.weight.shape == (300, 400) and m.bias.shape == (300,)
    assert m.weight.dtype == ad.get_default_dtype() == m.bias.dtype
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=√5) gives U(±1/√fan_in)
    assert (
        np.abs(m.weight.detach().numpy()).max() <= bound
        and np.abs(m.bias.detach().numpy()).max() <= bound
    )
    np.testing.assert_allclose(m.weight.detach().numpy().var(), bound**2 / 3, rtol=0.02)
    ad.manual_seed(0)
    np.testing.assert_array_equal(
        nn.Linear(400, 300).weight.detach().numpy(), m.weight.detach().numpy()
    )
    assert nn.Linear(3, 2, bias=False).bias is None
    assert len(list(nn.Linear(3, 2, bias=False).parameters())) == 1


def test_linear_wrong_width_is_a_clear_error():
    m = nn.Linear(784, 10)
    with pytest.raises(ValueError, match=r"Linear\(in_features=784.*100 features.*784"):
        m(ad.zeros(2, 100))
    with pytest.raises(ValueError, match="linear: input has 5 features"):
        F.linear(ad.zeros(2, 5), ad.zeros(3, 4))
    with pytest.raises(TypeError, match="float64.*float32"):
        m(ad.zeros(2, 784, dtype=np.float64))


def test_linear_repr_matches_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Linear(3, 2)) == repr(torch.nn.Linear(3, 2))
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))


def test_identity_and_flatten():
    x = ad.randn(2, 3, 4, 5, requires_grad=True)
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# --- dropout -----------------------------------------------------------------------------------
def test_dropout_is_inverted_and_identity_in_eval():
    ad.manual_seed(0)
    m = nn.Dropout(0.25)
    x = ad.ones(200, 500, requires_grad=True)
    out = m(x)
    kept = out.detach().numpy() != 0
    np.testing.assert_array_equal(out.detach().numpy()[kept], np.float32(1 / 0.75))
    assert abs(kept.mean() - 0.75) < 0.01
    out.backward(ad.ones(200, 500))
    np.testing.assert_array_equal(
        x.grad.detach().numpy(), out.detach().numpy()
    )  # the gradient uses the same mask
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0).detach().numpy() == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_draws_from_the_library_generator():
    x = ad.ones(10, 10)
    ad.manual_seed(7)
    a = F.dropout(x, 0.5).detach().numpy()
    ad.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).detach().numpy(), a)


# --- batch norm --------------------------------------------------------------------------------
def _bn_pair(torch, cls, tcls, c, **kw):
    ours, theirs = cls(c, dtype=ad.float64, **kw), tcls(c, dtype=torch.float64, **kw)
    if kw.get("affine", True):
        rng = _rng(9)
        w, b = rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
        ours.weight.data[...] = w
        ours.bias.data[...] = b
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(w))
            theirs.bias.copy_(torch.tensor(b))
    return ours, theirs


@pytest.mark.parametrize("kind,shape", [("1d", (8, 3)), ("1d", (4, 3, 5)), ("2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_train_and_eval_match_torch(kind, shape, affine):
    torch = pytest.importorskip("torch")
    cls, tcls = (nn.BatchNorm1d, torch.nn.BatchNorm1d) if kind == "1d" else (
        nn.BatchNorm2d, torch.nn.BatchNorm2d)  # fmt: skip
    ours, theirs = _bn_pair(torch, cls, tcls, 3, affine=affine)
    rng = _rng(2)
    for _ in range(3):
        x = rng.standard_normal(shape) * 2 + 1
        g = rng.standard_normal(shape)
        xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_t = ours(xa), theirs(xt)
        out.backward(ad.tensor(g))
        out_t.backward(torch.tensor(g))
        np.testing.assert_allclose(
            out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(
            xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-9, atol=1e-12
        )
    if affine:
        np.testing.assert_allclose(
            ours.weight.grad.detach().numpy(), theirs.weight.grad.detach().numpy(), rtol=1e-10
        )
        np.testing.assert_allclose(
            ours.bias.grad.detach().numpy(), theirs.bias.grad.detach().numpy(), rtol=1e-10
        )
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(
            getattr(ours, name).detach().numpy(), getattr(theirs, name).detach().numpy(), rtol=1e-12
        )
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xa), theirs(xt)
    out.backward(ad.tensor(x))
    out_t.backward(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    assert out.grad_fn.name() == "NativeBatchNormBackward0"
    assert repr(ours) == repr(theirs)


@given(arrays((4, 3)), arrays((3,), domain=(0.5, 2.0)), arrays((3,)))
def test_batchnorm_finite_differences(x, w, b):
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert_gradients_match(fn, x, w, b, rtol=1e-4)


def test_batchnorm_second_order_matches_torch():
    torch = pytest.importorskip("torch")
    x = _rng(3).standard_normal((5, 2, 3))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = ad.grad((F.batch_norm(xa, None, None, training=True) ** 3).sum(), xa, create_graph=True)
    (gga,) = ad.grad((ga * ga).sum(), xa)
    yt = torch.nn.functional.batch_norm(xt, None, None, training=True)
    (gt,) = torch.autograd.grad((yt**3).sum(), xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gga.detach().numpy(), ggt.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_batchnorm_momentum_none_is_cumulative_average():
    m = nn.BatchNorm1d(2, momentum=None)
    xs = [_rng(i).standard_normal((6, 2)).astype(np.float32) for i in range(3)]
    for x in xs:
        m(ad.tensor(x))
    np.testing.assert_allclose(
        m.running_mean.detach().numpy(), np.mean([x.mean(0) for x in xs], 0), rtol=1e-5
    )


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ad.zeros(1, 3))
    with pytest.raises(ValueError, match="4 channels.*num_features=3"):
        nn.BatchNorm1d(3)(ad.zeros(2, 4))
    with pytest.raises(ValueError, match="expected 4D"):
        nn.BatchNorm2d(3)(ad.zeros(2, 3))
    m = nn.BatchNorm1d(3, track_running_stats=False)
    assert list(m.state_dict()) == ["weight", "bias"]
    m.eval()
    out = m(ad.randn(4, 3) * 5)  # no running statistics: batch statistics even in eval
    np.testing.assert_allclose(out.detach().numpy().mean(0), 0, atol=1e-5)


def test_embedding_second_derivative_matches_finite_differences():
    """The table's gradient is linear in the upstream gradient g (torch's rule: none into
    padding_idx, 1/count with scale_grad_by_freq): its derivative in g, the scaled lookup,
    against finite differences; without options, gradgradcheck of the whole op."""
    idx = ad.tensor(np.array([[1, 2, 2], [0, 4, 1]]))
    rng = np.random.default_rng(0)
    w = ad.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    g = ad.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    for options in ({}, {"padding_idx": 2}, {"padding_idx": 0, "scale_grad_by_freq": True}):

        def table_grad(upstream, o=options):
            out = F.embedding(idx, w, **o)
            return ad.grad(out, w, grad_outputs=upstream, create_graph=True)[0]

        assert ad.gradcheck(table_grad, (g,))
    assert ad.gradgradcheck(lambda t: F.embedding(idx, t) ** 2, (w,))
