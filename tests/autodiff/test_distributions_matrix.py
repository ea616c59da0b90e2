"""torch.distributions' matrix-parameterised families against torch: LowRankMultivariateNormal
(its capacitance-matrix algebra, KL with MultivariateNormal both ways) and LogisticNormal's
shapes; values and gradients in float64, seeded draws, shapes, validate_args' errors."""

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions
RNG = np.random.default_rng(0)
LOC = RNG.normal(size=(2, 4))
FACTOR = RNG.normal(size=(2, 4, 2))
DIAG = RNG.uniform(0.5, 2.0, size=4)  # broadcast against the batch of 2
VALUE = RNG.normal(size=(3, 2, 4))


def _lowrank(lib, module):
    leaves = [lib.tensor(v, requires_grad=True) for v in (LOC, FACTOR, DIAG)]
    return module.LowRankMultivariateNormal(*leaves), leaves


def _full(lib, module):
    cov = np.array([[2.0, 0.3, 0.0, 0.1], [0.3, 1.0, 0.2, 0.0], [0.0, 0.2, 1.5, -0.4],
                    [0.1, 0.0, -0.4, 0.8]])  # fmt: skip
    leaves = [lib.tensor(LOC[1] * 0.5, requires_grad=True), lib.tensor(cov, requires_grad=True)]
    return module.MultivariateNormal(leaves[0], covariance_matrix=leaves[1]), leaves


def _other_lowrank(lib, module):
    leaves = [
        lib.tensor(v, requires_grad=True) for v in (LOC[0], FACTOR[1, :, :1], DIAG[::-1].copy())
    ]
    return module.LowRankMultivariateNormal(*leaves), leaves


LOWRANK_CALLS = {
    "log_prob": lambda m, lib, p: p.log_prob(lib.tensor(VALUE)),
    "entropy": lambda m, lib, p: p.entropy(),
    "variance": lambda m, lib, p: p.variance,
    "stddev": lambda m, lib, p: p.stddev,
    "scale_tril": lambda m, lib, p: p.scale_tril * 1,
    "covariance_matrix": lambda m, lib, p: p.covariance_matrix * 1,
    "precision_matrix": lambda m, lib, p: p.precision_matrix * 1,
    "rsample": lambda m, lib, p: p.rsample((3,)),
    "kl_lowrank_full": lambda m, lib, p: m.kl_divergence(p, _full(lib, m)[0]),
    "kl_full_lowrank": lambda m, lib, p: m.kl_divergence(_full(lib, m)[0], p),
    "kl_lowrank_lowrank": lambda m, lib, p: m.kl_divergence(p, _other_lowrank(lib, m)[0]),
    "kl_lowrank_lowrank_reversed": lambda m, lib, p: m.kl_divergence(_other_lowrank(lib, m)[0], p),
    "kl_self": lambda m, lib, p: m.kl_divergence(p, p),
}


@pytest.mark.parametrize("what", sorted(LOWRANK_CALLS))
def test_lowrank_multivariate_normal_matches_torch(what):
    """Values (draws seeded as torch's) and the gradients of the parameters through them."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        dist, leaves = _lowrank(lib, module)
        lib.manual_seed(4)
        value = LOWRANK_CALLS[what](module, lib, dist)
        weights = lib.tensor(np.linspace(-1.0, 2.0, value.numel()).reshape(tuple(value.shape)))
        (weights * value).sum().backward()
        grads = [
            np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.detach().numpy()
            for leaf in leaves
        ]
        results.append([value.detach().numpy(), *grads])
    for got, want in zip(*results):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_lowrank_kl_with_itself_is_zero_and_matches_the_full_covariance():
    p, _ = _lowrank(ad, D)
    np.testing.assert_allclose(D.kl_divergence(p, p).detach().numpy(), 0.0, atol=1e-12)
    full = D.MultivariateNormal(p.loc, covariance_matrix=p.covariance_matrix)
    q, _ = _other_lowrank(ad, D)
    q_full = D.MultivariateNormal(q.loc, covariance_matrix=q.covariance_matrix)
    np.testing.assert_allclose(D.kl_divergence(p, q).detach().numpy(),
                               D.kl_divergence(full, q_full).detach().numpy(), rtol=1e-10)  # fmt: skip


def test_lowrank_shapes_expand_reprs_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    made = [_lowrank(ad, D)[0], _lowrank(torch, torch.distributions)[0]]
    ours, theirs = made
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    assert tuple(ours.cov_diag.shape) == tuple(theirs.cov_diag.shape)
    assert tuple(ours.cov_factor.shape) == tuple(theirs.cov_factor.shape)
    assert repr(ours) == repr(theirs)
    for name, constraint in ours.arg_constraints.items():
        assert repr(constraint) == repr(theirs.arg_constraints[name])
    assert list(ours.arg_constraints) == list(theirs.arg_constraints)
    grown, their_grown = ours.expand((3, 2)), theirs.expand((3, 2))
    assert grown.batch_shape == their_grown.batch_shape
    assert tuple(grown.cov_factor.shape) == tuple(their_grown.cov_factor.shape)
    value = RNG.normal(size=(4,))
    np.testing.assert_allclose(grown.log_prob(ad.tensor(value)).detach().numpy(),
                               their_grown.log_prob(torch.tensor(value)).detach().numpy(),
                               rtol=1e-12)  # fmt: skip
    assert grown.sample((5,)).shape == (5, 3, 2, 4)
    bad = [
        lambda lib, m: m.LowRankMultivariateNormal(lib.tensor(0.0), lib.ones(1, 1), lib.ones(1)),
        lambda lib, m: m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3), lib.ones(3)),
        lambda lib, m: m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1), lib.ones(3)),
        lambda lib, m: m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(2)),
        lambda lib, m: m.LowRankMultivariateNormal(lib.zeros(2, 3), lib.ones(4, 3, 1), lib.ones(3)),
        lambda lib, m: m.LowRankMultivariateNormal(lib.zeros(3), lib.zeros(3, 1), -lib.ones(3)),
        lambda lib, m: m.LowRankMultivariateNormal(
            lib.zeros(3), lib.ones(3, 1), lib.ones(3)
        ).log_prob(lib.zeros(2)),
        lambda lib, m: m.kl_divergence(
            m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3)),
            m.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), lib.ones(2)),
        ),
        lambda lib, m: m.kl_divergence(
            m.MultivariateNormal(lib.zeros(2), lib.eye(2)),
            m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3)),
        ),
        lambda lib, m: m.kl_divergence(
            m.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3)),
            m.MultivariateNormal(lib.zeros(2), lib.eye(2)),
        ),
    ]
    for call in bad:
        with pytest.raises(Exception) as want:
            call(torch, torch.distributions)
        with pytest.raises(want.type) as got:
            call(ad, D)
        # torch's words (its KL messages carry a run of spaces from a line continuation)
        words = " ".join(str(want.value).split("\n")[0].split())
        assert " ".join(str(got.value).split()).startswith(words[:60]), (got.value, want.value)


def test_logistic_normal_shapes_support_and_validation_match_torch():
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        scalar = module.LogisticNormal(0.5, 2.0)
        batch = module.LogisticNormal(lib.zeros(2, 3), lib.ones(3))
        made.append((scalar, batch))
    for ours, theirs in zip(*made):
        assert ours.batch_shape == theirs.batch_shape
        assert ours.event_shape == theirs.event_shape
        assert repr(ours.support) == repr(theirs.support)
        assert ours.sample((2,)).shape == tuple(theirs.sample((2,)).shape)
        assert (
            ours.expand((5, *ours.batch_shape)).batch_shape
            == theirs.expand((5, *theirs.batch_shape)).batch_shape
        )
        assert tuple(ours.loc.shape) == tuple(theirs.loc.shape)
        assert tuple(ours.scale.shape) == tuple(theirs.scale.shape)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.LogisticNormal(ad.zeros(2), -ad.ones(2))
    with pytest.raises(ValueError, match="within the support"):
        D.LogisticNormal(ad.zeros(2), ad.ones(2)).log_prob(ad.tensor([0.5, 0.6, 0.3]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("concentration", [0.5, [0.7, 2.0, 5.0]])
def test_lkj_cholesky_draws_and_log_prob_match_torch(dtype, dim, concentration):
    """The onion method's draws from torch's seeded Beta and normal numbers (to an ulp or so:
    torch's vectorised float32 sqrt is not always correctly rounded), and log_prob with its
    gradient in the concentration."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        dist = module.LKJCholesky(dim, lib.tensor(np.array(concentration, dtype)))
        lib.manual_seed(3)
        draws = dist.sample((4,))
        assert tuple(draws.shape) == (4, *dist.batch_shape, dim, dim)
        assert str(draws.dtype) == f"torch.{dtype}"
        leaf = lib.tensor(np.array(concentration), requires_grad=True)
        value = lib.tensor(draws.detach().numpy().astype(np.float64))
        log_prob = module.LKJCholesky(dim, leaf, validate_args=False).log_prob(value)
        log_prob.sum().backward()
        results.append(
            (draws.detach().numpy(), log_prob.detach().numpy(), leaf.grad.detach().numpy())
        )
    (draws, log_prob, grad), (their_draws, their_log_prob, their_grad) = results
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(draws, their_draws, rtol=0, atol=16 * eps)
    assert bool(np.all(D.constraints.corr_cholesky.check(ad.tensor(draws)).detach().numpy()))
    rtol = 1e-10 if dtype == "float64" else 1e-4  # the float32 draws differ by an ulp
    np.testing.assert_allclose(log_prob, their_log_prob, rtol=rtol)
    np.testing.assert_allclose(grad, their_grad, rtol=rtol)


def test_lkj_cholesky_shapes_expand_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        dist = module.LKJCholesky(3, lib.tensor([0.5, 2.0]))
        made.append((dist, dist.expand((4, 2))))
    for ours, theirs in zip(*made):
        assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
        assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
        assert ours.has_rsample == theirs.has_rsample is False
    grown = made[0][1]
    assert grown.sample().shape == (4, 2, 3, 3) and grown.dim == 3
    value = np.array([[1.0, 0, 0], [0.6, 0.8, 0], [0.0, 0.6, 0.8]])
    np.testing.assert_allclose(grown.log_prob(ad.tensor(value)).detach().numpy(),
                               made[1][1].log_prob(torch.tensor(value)).numpy(), rtol=1e-6)  # fmt: skip
    for lib, module in ((ad, D), (torch, torch.distributions)):
        with pytest.raises(ValueError, match="Found dim=1"):
            module.LKJCholesky(1)
        with pytest.raises(ValueError, match="Expected parameter concentration"):
            module.LKJCholesky(3, -1.0)
        with pytest.raises(ValueError, match="within the support"):
            module.LKJCholesky(2).log_prob(lib.tensor([[1.0, 0.0], [0.5, 0.5]]))
        with pytest.raises(NotImplementedError):
            module.LKJCholesky(2).rsample()


_A = np.random.default_rng(2).normal(size=(3, 3))
WISHART_COV = _A @ _A.T + np.eye(3)
WISHART_MATRICES = {
    "covariance_matrix": WISHART_COV,
    "precision_matrix": np.linalg.inv(WISHART_COV),
    "scale_tril": np.linalg.cholesky(WISHART_COV),
}
WISHART_CALLS = {
    "log_prob": lambda m, lib, w, draws: w.log_prob(lib.tensor(draws)),
    "entropy": lambda m, lib, w, draws: w.entropy(),
    "mean": lambda m, lib, w, draws: w.mean,
    "mode": lambda m, lib, w, draws: w.mode,
    "variance": lambda m, lib, w, draws: w.variance,
    "precision_matrix": lambda m, lib, w, draws: w.precision_matrix * 1,
    "covariance_matrix": lambda m, lib, w, draws: w.covariance_matrix * 1,
    "scale_tril": lambda m, lib, w, draws: w.scale_tril * 1,
    "kl": lambda m, lib, w, draws: m.kl_divergence(
        w, m.Wishart(lib.tensor(5.0, dtype=lib.float64), covariance_matrix=lib.eye(3).double())
    ),
}


@pytest.mark.parametrize("kind", sorted(WISHART_MATRICES))
@pytest.mark.parametrize("df", [4.5, [3.5, 6.0]])
def test_wishart_matches_torch(kind, df):
    """Seeded Bartlett draws (with torch's correction pass and its warning), then log_prob,
    entropy, moments, the three matrices and the KL (Bregman) with their gradients in df and
    the matrix given."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        leaves = [lib.tensor(np.array(df), requires_grad=True),
                  lib.tensor(WISHART_MATRICES[kind], requires_grad=True)]  # fmt: skip
        wishart = module.Wishart(leaves[0], **{kind: leaves[1]})
        lib.manual_seed(1)
        with pytest.warns(UserWarning, match="Singular sample detected"):
            draws = wishart.rsample((2,))
        assert tuple(draws.shape) == (2, *wishart.batch_shape, 3, 3)
        values = []
        for name in sorted(WISHART_CALLS):
            value = WISHART_CALLS[name](module, lib, wishart, draws.detach().numpy())
            values.append(value)
        total = sum(v[~v.isnan()].sum() for v in values)
        total.backward()
        results.append([draws.detach().numpy()] + [v.detach().numpy() for v in values]
                       + [leaf.grad.detach().numpy() for leaf in leaves])  # fmt: skip
    for got, want, name in zip(*results, ["draws", *sorted(WISHART_CALLS), "df", kind]):
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_wishart_seeded_draws_equal_torch(dtype):
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        scale_tril = lib.tensor(WISHART_MATRICES["scale_tril"].astype(dtype))
        wishart = module.Wishart(lib.tensor(np.array([3.5, 7.0], dtype)), scale_tril=scale_tril)
        draws = []
        for shape in [(), (4,), (2, 3)]:
            lib.manual_seed(9)
            with pytest.warns(UserWarning, match="Singular sample detected"):
                draws.append(wishart.sample(shape).detach().numpy())
        made.append(draws)
    for got, want in zip(*made):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=64 * np.finfo(dtype).eps,
                                   atol=64 * np.finfo(dtype).eps)  # fmt: skip


def test_wishart_rsample_is_differentiable():
    """ours flows gradients through the corrected draws (torch's correction pass writes in
    place into a mask its backward needs, so torch's backward fails there)."""
    df = ad.tensor(5.0, dtype=ad.float64, requires_grad=True)
    L = ad.tensor(WISHART_MATRICES["scale_tril"], requires_grad=True)

    def draw(df, L):
        ad.manual_seed(2)
        with pytest.warns(UserWarning):
            return D.Wishart(df, scale_tril=L).rsample((2,))

    draw(df, L).sum().backward()
    assert df.grad is not None and L.grad is not None
    # at a fixed seed a draw is L A Aᵀ Lᵀ: linear in L on each side
    ad.manual_seed(2)
    np.testing.assert_allclose(draw(df, 2 * L).detach().numpy(),
                               4 * draw(df, L).detach().numpy(), rtol=1e-12)  # fmt: skip


def test_wishart_shapes_expand_reprs_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        wishart = module.Wishart(lib.tensor([4.0, 5.0]), covariance_matrix=lib.eye(3))
        made.append((wishart, wishart.expand((3, 2)), module.Wishart(4.0, scale_tril=lib.eye(2))))
    for ours, theirs in zip(*made):
        assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
        assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
        for name, constraint in ours.arg_constraints.items():
            assert repr(constraint) == repr(theirs.arg_constraints[name])
        assert tuple(ours.df.shape) == tuple(theirs.df.shape)
        assert tuple(ours.covariance_matrix.shape) == tuple(theirs.covariance_matrix.shape)
    value = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 1.5]], np.float32)
    np.testing.assert_allclose(made[0][1].log_prob(ad.tensor(value)).detach().numpy(),
                               made[1][1].log_prob(torch.tensor(value)).numpy(), rtol=1e-6)  # fmt: skip
    bad = [
        lambda lib, m: m.Wishart(4.0),
        lambda lib, m: m.Wishart(4.0, covariance_matrix=lib.eye(2), scale_tril=lib.eye(2)),
        lambda lib, m: m.Wishart(4.0, covariance_matrix=lib.ones(3)),
        lambda lib, m: m.Wishart(lib.tensor([4.0, 1.0]), covariance_matrix=lib.eye(3)),
        lambda lib, m: m.Wishart(4.0, covariance_matrix=-lib.eye(3)),
        lambda lib, m: m.Wishart(4.0, covariance_matrix=lib.eye(2)).log_prob(-lib.eye(2)),
    ]
    for call in bad:
        with pytest.raises(Exception) as want:
            call(torch, torch.distributions)
        with pytest.raises(want.type) as got:
            call(ad, D)
        assert str(got.value).split("\n")[0][:50] == str(want.value).split("\n")[0][:50]
    for module in (D, torch.distributions):
        with pytest.warns(UserWarning, match="Low df values detected"):
            module.Wishart(2.5, covariance_matrix=(ad if module is D else torch).eye(3))
