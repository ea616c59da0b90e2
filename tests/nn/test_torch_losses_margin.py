"""Margin ranking, hinge embedding, soft margin, cosine embedding, triplet margin, multi-label
soft margin, multi-class margin and Poisson NLL losses, and F.pdist, against torch: values,
gradients, recorded graphs, finite differences, second order, every reduction, Modules (state
dicts) and errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _signs(n, seed=1):
    return np.where(_rng(seed).random(n) < 0.5, -1.0, 1.0)


def _both(torch, name):
    return getattr(F, name), getattr(torch.nn.functional, name)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "margin_ranking_loss")
    y = _signs(6)
    x1, x2 = _rng(2).standard_normal(6), _rng(3).standard_normal(6)
    compare(
        torch,
        lambda a, b: ours(a, b, ad.tensor(y), margin=0.3, reduction=reduction),
        lambda a, b: theirs(a, b, torch.tensor(y), margin=0.3, reduction=reduction),
        x1,
        x2,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "hinge_embedding_loss")
    y = _signs((3, 4)).reshape(3, 4)
    x = _rng(4).standard_normal((3, 4))
    compare(
        torch,
        lambda a: ours(a, ad.tensor(y), margin=0.7, reduction=reduction),
        lambda a: theirs(a, torch.tensor(y), margin=0.7, reduction=reduction),
        x,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "soft_margin_loss")
    y = _signs(8).reshape(2, 4)
    compare(
        torch,
        lambda a: ours(a, ad.tensor(y), reduction=reduction),
        lambda a: theirs(a, torch.tensor(y), reduction=reduction),
        _rng(5).standard_normal((2, 4)) * 2,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss_matches_torch(reduction, batched):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "cosine_embedding_loss")
    shape = (5, 3) if batched else (3,)
    y = _signs(5) if batched else np.array(-1.0)
    compare(
        torch,
        lambda a, b: ours(a, b, ad.tensor(y), margin=-0.2, reduction=reduction),
        lambda a, b: theirs(a, b, torch.tensor(y), margin=-0.2, reduction=reduction),
        _rng(6).standard_normal(shape),
        _rng(7).standard_normal(shape),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3, False)])
def test_triplet_margin_loss_matches_torch(reduction, p, swap):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "triplet_margin_loss")
    kwargs = dict(margin=1.5, p=p, swap=swap, reduction=reduction)
    arrays = [_rng(seed).standard_normal((4, 3)) for seed in (8, 9, 10)]
    compare(torch, lambda *a: ours(*a, **kwargs), lambda *a: theirs(*a, **kwargs), *arrays)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_matches_torch(reduction, weighted):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "multilabel_soft_margin_loss")
    target = (_rng(11).random((4, 3)) < 0.5).astype(float)
    w = _rng(12).random(3) if weighted else None

    def wrap(lib, t):
        return None if w is None else lib.tensor(w)

    compare(
        torch,
        lambda a: ours(a, ad.tensor(target), wrap(ad, w), reduction=reduction),
        lambda a: theirs(a, torch.tensor(target), wrap(torch, w), reduction=reduction),
        _rng(13).standard_normal((4, 3)),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,weighted", [(1, False), (2, False), (2, True), (1, True)])
def test_multi_margin_loss_matches_torch(reduction, p, weighted):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "multi_margin_loss")
    target = np.array([0, 2, 1, 2, 3])
    w = _rng(14).random(4) + 0.5 if weighted else None
    x = _rng(15).standard_normal((5, 4)) * 0.7  # some classes inside the margin, some not
    compare(
        torch,
        lambda a: ours(
            a, ad.tensor(target), p, 0.9, None if w is None else ad.tensor(w), reduction=reduction
        ),
        lambda a: theirs(
            a,
            torch.tensor(target),
            p,
            0.9,
            None if w is None else torch.tensor(w),
            reduction=reduction,
        ),
        x,
    )
    compare(  # one unbatched sample
        torch,
        lambda a: ours(a, ad.tensor(2), p, reduction=reduction),
        lambda a: theirs(a, torch.tensor(2), p, reduction=reduction),
        x[1],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, True), (True, True)])
def test_poisson_nll_loss_matches_torch(reduction, log_input, full):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(torch, "poisson_nll_loss")
    target = np.array([0.0, 1.0, 2.0, 5.0, 0.5, 3.0])
    x = _rng(16).random(6) + 0.2 if not log_input else _rng(16).standard_normal(6)
    kwargs = dict(log_input=log_input, full=full, reduction=reduction)
    compare(
        torch,
        lambda a: ours(a, ad.tensor(target), **kwargs),
        lambda a: theirs(a, torch.tensor(target), **kwargs),
        x,
    )


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, np.inf, 0])
def test_pdist_matches_torch(p):
    torch = pytest.importorskip("torch")
    x = _rng(17).standard_normal((5, 3))
    compare(
        torch,
        lambda a: F.pdist(a, p),
        lambda a: torch.nn.functional.pdist(a, p),
        x,
        second_order=p not in (np.inf,),
    )


def test_pdist_edges_as_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 4.0]])  # two rows coincide: gradient 0 there
    a, t = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.pdist(a).sum().backward()
    torch.nn.functional.pdist(t).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-12)
    assert (
        F.pdist(ad.ones(1, 3)).shape
        == (0,)
        == tuple(torch.nn.functional.pdist(torch.ones(1, 3)).shape)
    )
    with pytest.raises(ValueError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(ad.ones(2, 3, 4))
    with pytest.raises(ValueError, match="non-negative p values"):
        F.pdist(ad.ones(2, 3), -1)


MODULES = [
    ("MarginRankingLoss", dict(margin=0.2), 3),
    ("HingeEmbeddingLoss", dict(margin=0.5, reduction="sum"), 2),
    ("SoftMarginLoss", dict(reduction="none"), 2),
    ("CosineEmbeddingLoss", dict(margin=0.1), 3),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), 3),
    ("MultiLabelSoftMarginLoss", dict(weight=[1.0, 2.0, 0.5]), 2),
    ("MultiMarginLoss", dict(p=2, weight=[1.0, 2.0, 0.5]), 2),
    ("PoissonNLLLoss", dict(full=True), 2),
]


@pytest.mark.parametrize("name,kwargs,arity", MODULES)
def test_loss_modules_match_torch(name, kwargs, arity):
    torch = pytest.importorskip("torch")
    w = kwargs.get("weight")
    w = None if w is None else np.array(w)  # float64, as the inputs
    ours = getattr(nn, name)(**{**kwargs, **({"weight": ad.tensor(w)} if w is not None else {})})
    theirs = getattr(torch.nn, name)(
        **{**kwargs, **({"weight": torch.tensor(w)} if w is not None else {})}
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = [_rng(20 + i).standard_normal((4, 3)) for i in range(arity)]
    targets = {
        "MultiLabelSoftMarginLoss": (_rng(1).random((4, 3)) < 0.5).astype(float),
        "MultiMarginLoss": np.array([0, 2, 1, 1]),
        "PoissonNLLLoss": np.array([[0.0, 1.0, 3.0]] * 4),
        "SoftMarginLoss": _signs(12).reshape(4, 3),
        "HingeEmbeddingLoss": _signs(12).reshape(4, 3),
    }
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        x, target = x[:2], _signs(4) if name == "CosineEmbeddingLoss" else _signs(12).reshape(4, 3)
        args, args_t = (
            [ad.tensor(a) for a in x] + [ad.tensor(target)],
            [torch.tensor(a) for a in x] + [torch.tensor(target)],
        )
    elif name == "TripletMarginLoss":
        args, args_t = [ad.tensor(a) for a in x], [torch.tensor(a) for a in x]
    else:
        args, args_t = (
            [ad.tensor(x[0]), ad.tensor(targets[name])],
            [torch.tensor(x[0]), torch.tensor(targets[name])],
        )
    np.testing.assert_allclose(
        ours(*args).detach().numpy(), theirs(*args_t).detach().numpy(), rtol=1e-12
    )


def test_margin_loss_errors_as_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (
            lambda f, t: f.margin_ranking_loss(t.ones(3), t.ones(3), t.ones(3, 1)),
            ValueError,
            "should have same dimension",
        ),
        (
            lambda f, t: f.multi_margin_loss(t.ones(2, 3), t.tensor([0, 3])),
            IndexError,
            "target out of range",
        ),
        (
            lambda f, t: f.multi_margin_loss(t.ones(2, 3), t.tensor([0, 1]), p=3),
            ValueError,
            "only p == 1 and p == 2",
        ),
        (
            lambda f, t: f.multi_margin_loss(t.ones(2, 3), t.tensor([0, 1]), weight=t.ones(2)),
            ValueError,
            "inconsistent weight size",
        ),
        (
            lambda f, t: f.cosine_embedding_loss(t.ones(2, 3), t.ones(2, 3), t.ones(2, 1)),
            ValueError,
            "0D or 1D target tensor expected",
        ),
        (
            lambda f, t: f.triplet_margin_loss(t.ones(2, 3), t.ones(3), t.ones(2, 3)),
            ValueError,
            "same number of dimensions",
        ),
        (
            lambda f, t: f.poisson_nll_loss(t.ones(3), t.ones(3), reduction="x"),
            ValueError,
            "x is not a valid value for reduction",
        ),
        (
            lambda f, t: f.soft_margin_loss(t.ones(3), t.ones(3), reduction="x"),
            ValueError,
            "reduction",
        ),
    ]
    for call, ours_type, message in cases:
        with pytest.raises(ours_type, match=message):
            call(F, ad)
        with pytest.raises((RuntimeError, ValueError, IndexError)):
            call(torch.nn.functional, torch)
