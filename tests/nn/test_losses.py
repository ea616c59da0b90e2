"""Losses: values and gradients against torch for every reduction, finite differences,
stability at extreme logits, softmax − one-hot, and the errors for bad labels/probabilities."""

import numpy as np
import pytest
from hypothesis import given

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import arrays, assert_gradients_match

REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _compare(torch, ours, theirs, x, target, reduction, name=None, rtol=1e-12):
    """Forward and input gradient (random upstream) of ours(x) vs theirs(x)."""
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xa, target, reduction), theirs(xt, target, reduction)
    g = _rng(7).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=rtol, atol=1e-14
    )
    if name and reduction != "none":
        assert out.grad_fn.name() == name == type(out_t.grad_fn).__name__


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_and_binary_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = _rng(1)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    p, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    tt, yt = torch.tensor(t), torch.tensor(y)
    _compare(
        torch,
        lambda a, _, r: F.mse_loss(a, ad.tensor(t), reduction=r),
        lambda a, _, r: tf.mse_loss(a, tt, reduction=r),
        x,
        None,
        reduction,
        "MseLossBackward0",
    )
    _compare(
        torch,
        lambda a, _, r: F.l1_loss(a, ad.tensor(t), reduction=r),
        lambda a, _, r: tf.l1_loss(a, tt, reduction=r),
        x,
        None,
        reduction,
    )
    _compare(
        torch,
        lambda a, _, r: F.binary_cross_entropy(a, ad.tensor(y), reduction=r),
        lambda a, _, r: tf.binary_cross_entropy(a, yt, reduction=r),
        p,
        None,
        reduction,
        "BinaryCrossEntropyBackward0",
    )
    w, pw = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 3, 3)
    for kw in ({}, {"weight": w}, {"pos_weight": pw}, {"weight": w, "pos_weight": pw}):
        tkw = {k: torch.tensor(v) for k, v in kw.items()}
        _compare(
            torch,
            lambda a, _, r, kw=kw: F.binary_cross_entropy_with_logits(
                a, ad.tensor(y), reduction=r, **kw
            ),
            lambda a, _, r, tkw=tkw: tf.binary_cross_entropy_with_logits(a, yt, reduction=r, **tkw),
            x * 5,
            None,
            reduction,
            "BinaryCrossEntropyWithLogitsBackward0",
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_and_nll_match_torch(reduction, weighted, smoothing):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = _rng(2)
    x = rng.standard_normal((6, 4)) * 3
    labels = np.array([0, 3, 1, -100, 2, 3])
    w = rng.uniform(0.5, 2, 4) if weighted else None
    wt = None if w is None else torch.tensor(w)
    lt = torch.tensor(labels)
    _compare(
        torch,
        lambda a, _, r: F.cross_entropy(
            a, ad.tensor(labels), w, reduction=r, label_smoothing=smoothing
        ),
        lambda a, _, r: tf.cross_entropy(a, lt, wt, reduction=r, label_smoothing=smoothing),
        x,
        None,
        reduction,
        None if smoothing else "NllLossBackward0",
    )
    probs = rng.dirichlet(np.ones(4), 6)
    _compare(
        torch,
        lambda a, _, r: F.cross_entropy(
            a, ad.tensor(probs), w, reduction=r, label_smoothing=smoothing
        ),
        lambda a, _, r: tf.cross_entropy(
            a, torch.tensor(probs), wt, reduction=r, label_smoothing=smoothing
        ),
        x,
        None,
        reduction,
    )
    logp = np.log(probs)
    _compare(
        torch,
        lambda a, _, r: F.nll_loss(a, ad.tensor(labels), w, reduction=r),
        lambda a, _, r: tf.nll_loss(a, lt, wt, reduction=r),
        logp,
        None,
        reduction,
        "NllLossBackward0",
    )


def test_cross_entropy_spatial_and_unbatched_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = _rng(3)
    x, labels = rng.standard_normal((2, 3, 4, 2)), rng.integers(0, 3, (2, 4, 2))
    for r in REDUCTIONS:
        _compare(
            torch,
            lambda a, _, r: F.cross_entropy(a, ad.tensor(labels), reduction=r),
            lambda a, _, r: tf.cross_entropy(a, torch.tensor(labels), reduction=r),
            x,
            None,
            r,
        )
        _compare(
            torch,
            lambda a, _, r: F.cross_entropy(a, ad.tensor(2), reduction=r),
            lambda a, _, r: tf.cross_entropy(a, torch.tensor(2), reduction=r),
            x[0, :, 0, 0],
            None,
            r,
        )


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = ad.tensor(_rng(4).standard_normal((5, 3)), requires_grad=True)
    y = np.array([0, 2, 1, 1, 0])
    F.cross_entropy(x, ad.tensor(y), reduction="sum").backward()
    expected = (
        F.softmax(x.detach(), 1).detach().numpy() - F.one_hot(ad.tensor(y), 3).detach().numpy()
    )
    np.testing.assert_allclose(x.grad.detach().numpy(), expected, rtol=1e-14, atol=1e-15)


def test_cross_entropy_stable_at_extreme_logits():
    torch = pytest.importorskip("torch")
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    labels = np.array([1, 2])
    for dtype in (np.float64, np.float32):
        xa = ad.tensor(x.astype(dtype), requires_grad=True)
        loss = nn.CrossEntropyLoss()(xa, ad.tensor(labels))
        loss.backward()
        assert np.isfinite(loss.detach().numpy()) and np.isfinite(xa.grad.detach().numpy()).all()
        assert loss.dtype == dtype
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(xt, torch.tensor(labels)).backward()
    np.testing.assert_allclose(loss.item(), 1000.6566, rtol=1e-4)
    logits = ad.tensor(np.array([[-1000.0, 1000.0]]), requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(logits, ad.tensor(np.array([[1.0, 0.0]])))
    bce.backward()
    assert bce.item() == 1000.0 and np.isfinite(logits.grad.detach().numpy()).all()


@given(arrays((3, 4)))
def test_cross_entropy_finite_differences(x):
    labels = ad.tensor(np.array([0, 3, 2]))
    assert_gradients_match(lambda x: F.cross_entropy(x, labels), x)
    assert_gradients_match(lambda x: F.cross_entropy(x, labels, reduction="none",
                                                     label_smoothing=0.1), x)  # fmt: skip


@given(arrays((2, 3)), arrays((2, 3)))
def test_elementwise_losses_finite_differences(x, t):
    assert_gradients_match(lambda x, t: F.mse_loss(x, t), x, t)
    assert_gradients_match(
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, reduction="sum", pos_weight=np.array([1.0, 2.0, 0.5])
        ),
        x,
        t,
    )


@given(arrays((2, 3), domain=(0.05, 0.95)), arrays((2, 3), domain=(0.0, 1.0)))
def test_bce_finite_differences(p, y):
    assert_gradients_match(lambda p, y: F.binary_cross_entropy(p, y, reduction="none"), p, y)


def test_bce_clamps_log_at_minus_100_as_torch():
    torch = pytest.importorskip("torch")
    p, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(ad.tensor(p), ad.tensor(y), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y),
                                                      reduction="none")  # fmt: skip
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_bad_inputs_are_clear_errors():
    with pytest.raises(IndexError, match="Target 10 is out of bounds.*10 classes"):
        nn.CrossEntropyLoss()(ad.zeros(2, 10), ad.tensor([3, 10]))
    with pytest.raises(IndexError, match="Target -2"):
        F.nll_loss(ad.zeros(2, 10), ad.tensor([-2, 1]))
    with pytest.raises(TypeError, match="must be integers"):
        F.nll_loss(ad.zeros(2, 3), ad.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="target shape"):
        F.cross_entropy(ad.zeros(2, 3), ad.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="between 0 and 1.*max 1.5"):
        nn.BCELoss()(ad.tensor([0.5, 1.5]), ad.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="do not broadcast"):
        F.mse_loss(ad.zeros(2, 3), ad.zeros(4))


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    y = np.array([[0, 2], [1, 4]])
    np.testing.assert_array_equal(
        F.one_hot(ad.tensor(y)).detach().numpy(),
        torch.nn.functional.one_hot(torch.tensor(y)).detach().numpy(),
    )
    assert F.one_hot(ad.tensor([1]), 3).detach().numpy().tolist() == [[0, 1, 0]]
    with pytest.raises(ValueError, match="label 3 is out of range"):
        F.one_hot(ad.tensor([3]), 3)


def test_loss_modules_match_functional():
    rng = _rng(5)
    x, t = ad.tensor(rng.standard_normal((3, 4))), ad.tensor(rng.standard_normal((3, 4)))
    p, y = ad.tensor(rng.uniform(0.1, 0.9, (3, 4))), ad.tensor(rng.uniform(0, 1, (3, 4)))
    labels = ad.tensor([0, 3, 1])
    pairs = [(nn.MSELoss(reduction="sum")(x, t), F.mse_loss(x, t, reduction="sum")),
             (nn.L1Loss()(x, t), F.l1_loss(x, t)), (nn.BCELoss()(p, y), F.binary_cross_entropy(p, y)),
             (nn.BCEWithLogitsLoss()(x, y), F.binary_cross_entropy_with_logits(x, y)),
             (nn.CrossEntropyLoss(label_smoothing=0.1)(x, labels),
              F.cross_entropy(x, labels, label_smoothing=0.1)),
             (nn.NLLLoss()(F.log_softmax(x, 1), labels), F.cross_entropy(x, labels))]  # fmt: skip
    for a, b in pairs:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-15)
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"  # as torch prints it
