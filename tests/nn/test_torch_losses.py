"""SmoothL1Loss, HuberLoss, KLDivLoss and GaussianNLLLoss: values and gradients (of input,
target and var) against torch for every reduction and option, finite differences in float64,
and the errors and warnings torch gives."""

import numpy as np
import pytest
from hypothesis import given, settings

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import arrays, assert_gradients_match

REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check(torch, ours, theirs, arrays_in, grad_of, rtol=1e-12):
    """ours(*tensors) vs theirs(*torch tensors): value and the gradients of inputs in grad_of."""
    mine = [ad.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays_in)]
    them = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays_in)]
    out, out_t = ours(*mine), theirs(*them)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=rtol, atol=1e-14)
    g = _rng(7).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for i in grad_of:
        np.testing.assert_allclose(
            mine[i].grad.detach().numpy(),
            them[i].grad.detach().numpy(),
            rtol=rtol,
            atol=1e-14,
            err_msg=f"input {i}",
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.0])
def test_smooth_l1_matches_torch(reduction, beta):
    torch = pytest.importorskip("torch")
    rng = _rng(1)
    x, t = rng.standard_normal((5, 4)) * 2, rng.standard_normal((5, 4))
    _check(
        torch,
        lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
        lambda a, b: torch.nn.functional.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
        [x, t],
        (0, 1),
    )
    module = nn.SmoothL1Loss(reduction=reduction, beta=beta)
    _check(torch, module, torch.nn.SmoothL1Loss(reduction=reduction, beta=beta), [x, t], (0,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 3.0])
def test_huber_matches_torch(reduction, delta):
    torch = pytest.importorskip("torch")
    rng = _rng(2)
    x, t, w = (
        rng.standard_normal((6, 3)) * 2,
        rng.standard_normal((6, 3)),
        rng.uniform(0, 2, (6, 3)),
    )
    _check(
        torch,
        lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta),
        lambda a, b: torch.nn.functional.huber_loss(a, b, reduction=reduction, delta=delta),
        [x, t],
        (0, 1),
    )
    _check(
        torch,
        lambda a, b, c: F.huber_loss(a, b, reduction, delta, weight=c),
        lambda a, b, c: torch.nn.functional.huber_loss(a, b, reduction, delta, weight=c),
        [x, t, w],
        (0, 2),
    )
    _check(
        torch, nn.HuberLoss(reduction, delta), torch.nn.HuberLoss(reduction, delta), [x, t], (0,)
    )


@pytest.mark.filterwarnings("ignore:.*'mean' divides the total loss")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    torch = pytest.importorskip("torch")
    rng = _rng(3)
    logits = rng.standard_normal((4, 5))
    x = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    p = rng.dirichlet(np.ones(5), 4)
    t = np.log(p) if log_target else p
    kw = dict(reduction=reduction, log_target=log_target)
    _check(
        torch,
        lambda a, b: F.kl_div(a, b, **kw),
        lambda a, b: torch.nn.functional.kl_div(a, b, **kw),
        [x, t],
        (0, 1),
    )
    _check(torch, nn.KLDivLoss(**kw), torch.nn.KLDivLoss(**kw), [x, t], (0,))


def test_kl_div_zero_target_counts_zero_and_warns_on_mean_like_torch():
    torch = pytest.importorskip("torch")
    x = np.log(np.full((2, 3), 1 / 3))
    t = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    _check(
        torch,
        lambda a, b: F.kl_div(a, b, reduction="sum"),
        lambda a, b: torch.nn.functional.kl_div(a, b, reduction="sum"),
        [x, t],
        (0,),
    )
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ad.tensor(x), ad.tensor(t))
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        legacy = F.kl_div(ad.tensor(x), ad.tensor(t), size_average=False)  # torch's old flags
    assert legacy.item() == pytest.approx(
        F.kl_div(ad.tensor(x), ad.tensor(t), reduction="sum").item()
    )


VAR_SHAPES = [(4, 3), (4,), (4, 1), (1, 3)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", VAR_SHAPES)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_matches_torch(reduction, var_shape, full):
    torch = pytest.importorskip("torch")
    rng = _rng(4)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    var = rng.uniform(0.1, 2.0, var_shape)
    var.flat[0] = 1e-9  # below eps: torch clamps the value but passes the gradient through
    kw = dict(full=full, reduction=reduction)
    _check(
        torch,
        lambda a, b, c: F.gaussian_nll_loss(a, b, c, **kw),
        lambda a, b, c: torch.nn.functional.gaussian_nll_loss(a, b, c, **kw),
        [x, t, var],
        (0, 1, 2),
        rtol=1e-10,
    )
    _check(torch, nn.GaussianNLLLoss(**kw), torch.nn.GaussianNLLLoss(**kw), [x, t, var], (0, 2))


def test_gaussian_nll_float_var_and_errors():
    torch = pytest.importorskip("torch")
    x, t = _rng(5).standard_normal((3, 2)), _rng(6).standard_normal((3, 2))
    ours = F.gaussian_nll_loss(ad.tensor(x), ad.tensor(t), 0.5)
    theirs = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), 0.5)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(ad.tensor(x), ad.tensor(t), ad.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(ad.tensor(x), ad.tensor(t), -ad.ones(3, 2))
    with pytest.raises(ValueError, match="reduction"):
        F.gaussian_nll_loss(ad.tensor(x), ad.tensor(t), 1.0, reduction="avg")


def test_errors_and_size_warnings():
    x = ad.zeros(4, 1)
    with pytest.raises(ValueError, match="negative values for beta"):
        F.smooth_l1_loss(x, ad.zeros(4, 1), beta=-1)
    with pytest.raises(ValueError, match="non-positive values for delta"):
        F.huber_loss(x, ad.zeros(4, 1), delta=0)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite beta"):
            F.smooth_l1_loss(x, ad.zeros(4, 1), beta=bad)
        with pytest.raises(ValueError, match="finite delta"):
            F.huber_loss(x, ad.zeros(4, 1), delta=bad)
        with pytest.raises(ValueError, match="eps must be a finite number"):
            F.gaussian_nll_loss(x, ad.zeros(4, 1), ad.ones(4, 1), eps=bad)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.huber_loss(x, ad.zeros(4, 1), weight=ad.ones(4))
    with pytest.raises(ValueError, match="batchmean"):
        F.kl_div(x, ad.zeros(4, 1), reduction="avg")
    for fn in (F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(UserWarning, match=r"target size \(4,\) that is different.*\(4, 1\)"):
            fn(x, ad.zeros(4))


# --- finite differences in float64 ----------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(arrays((3, 4), domain=(-3, 3), kinks=(-0.7, 0.0, 0.7)))
def test_smooth_l1_and_huber_gradients_match_finite_differences(x):
    zero = ad.zeros(3, 4, dtype=ad.float64)
    assert_gradients_match(lambda a: F.smooth_l1_loss(a, zero, reduction="none", beta=0.7), x)
    assert_gradients_match(lambda a: F.huber_loss(a, zero, reduction="sum", delta=0.7), x)


@settings(max_examples=25, deadline=None)
@given(arrays((2, 3), domain=(-3, 0)), arrays((2, 3), domain=(0.05, 1)))
def test_kl_div_gradients_match_finite_differences(x, t):
    assert_gradients_match(lambda a, b: F.kl_div(a, b, reduction="batchmean"), x, t)
    assert_gradients_match(lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), x, t)


@settings(max_examples=25, deadline=None)
@given(
    arrays((3, 2), domain=(-2, 2)), arrays((3, 2), domain=(-2, 2)), arrays((3,), domain=(0.1, 3))
)
def test_gaussian_nll_gradients_match_finite_differences(x, t, var):
    assert_gradients_match(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=True), x, t, var)


def test_gradcheck_of_the_new_losses():
    rng = _rng(8)
    x = ad.tensor(rng.standard_normal((3, 3)) * 2, requires_grad=True)
    t = ad.tensor(rng.standard_normal((3, 3)))
    var = ad.tensor(rng.uniform(0.2, 2, (3, 3)), requires_grad=True)
    assert ad.gradcheck(lambda a: F.smooth_l1_loss(a, t, beta=0.5), (x,))
    assert ad.gradcheck(lambda a: F.huber_loss(a, t, delta=0.5), (x,))
    assert ad.gradcheck(lambda a, v: F.gaussian_nll_loss(a, t, v), (x, var))
    assert ad.gradgradcheck(lambda a, v: F.gaussian_nll_loss(a, t, v), (x, var))
