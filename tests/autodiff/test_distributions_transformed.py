"""torch.distributions' transforms, TransformedDistribution (a tanh-squashed Gaussian as in
SAC), MixtureSameFamily, Binomial and OneHotCategorical against torch: values and gradients in
float64, seeded draws, shapes, reprs and validate_args' errors."""

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions
X = [-2.5, -0.3, 0.0, 0.7, 3.0]


def _transforms(module, lib):
    """The same transforms built in either library (lib: ad or torch)."""
    T = module.transforms
    scale = lib.tensor([2.0, -0.5, 1.5, 3.0, -1.0], dtype=lib.float64)
    return {
        "exp": T.ExpTransform(),
        "affine_number": T.AffineTransform(1.0, -2.0),
        "affine_tensor": T.AffineTransform(0.5, scale),
        "sigmoid": T.SigmoidTransform(),
        "tanh": T.TanhTransform(),
        "softplus": T.SoftplusTransform(),
        "compose": T.ComposeTransform([T.AffineTransform(0.3, 2.0), T.TanhTransform()]),
        "inverse": T.ExpTransform().inv,
        "power": T.PowerTransform(lib.tensor(3.0, dtype=lib.float64)),
    }


@pytest.mark.parametrize(
    "name",
    ["exp", "affine_number", "affine_tensor", "sigmoid", "tanh", "softplus", "compose",
     "inverse", "power"],
)  # fmt: skip
def test_transforms_match_torch(name):
    """Forward, inverse, log |det J| and their gradients; sign, bijective, reprs."""
    torch = pytest.importorskip("torch")
    ours, theirs = _transforms(D, ad)[name], _transforms(torch.distributions, torch)[name]
    x = np.abs(X) + 0.1 if name in ("inverse", "power") else np.array(X)
    results = []
    for lib, t in ((ad, ours), (torch, theirs)):
        leaf = lib.tensor(x, requires_grad=True)
        y = t(leaf)
        back = t.inv(y)
        ladj = t.log_abs_det_jacobian(leaf, y)
        (y.sum() + 0.7 * ladj.sum() + 0.3 * back.sum()).backward()
        results.append([v.detach().numpy() for v in (y, back, ladj, leaf.grad)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert repr(ours) == repr(theirs)
    assert repr(ours.domain) == repr(theirs.domain)
    assert repr(ours.codomain) == repr(theirs.codomain)
    assert ours.bijective == theirs.bijective
    sign = theirs.sign
    got_sign = ours.sign
    if isinstance(sign, int):
        assert got_sign == sign
    else:
        np.testing.assert_array_equal(np.asarray(got_sign.detach().numpy()), sign.detach().numpy())


def test_transform_inverses_equality_and_cache():
    torch = pytest.importorskip("torch")
    T = D.transforms
    exp = T.ExpTransform()
    assert exp.inv.inv is exp and exp.inv is exp.inv  # one inverse object, kept
    assert exp == T.ExpTransform() and exp.inv == T.ExpTransform().inv
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    compose = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)])
    assert compose.inv.inv is compose
    assert repr(compose.inv) == repr(
        torch.distributions.ComposeTransform(
            [torch.distributions.ExpTransform(), torch.distributions.AffineTransform(0.0, 2.0)]
        ).inv
    )
    cached = T.TanhTransform(cache_size=1)
    x = ad.tensor([30.0])  # tanh(30) rounds to 1: only the cache gives x back
    assert cached.inv(cached(x)) is x
    assert not np.isfinite(T.TanhTransform().inv(T.TanhTransform()(x)).detach().numpy()).all()
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    assert repr(T.identity_transform) == repr(torch.distributions.transforms.identity_transform)
    assert T.identity_transform(x) is x


def _squashed(lib, module, loc, scale):
    """SAC's policy: tanh of a Normal, scaled to the action range [-2, 2]."""
    T = module.transforms
    base = module.Normal(loc, scale)
    return module.TransformedDistribution(
        base, [T.TanhTransform(cache_size=1), T.AffineTransform(0.0, 2.0)]
    )


def test_tanh_squashed_gaussian_matches_torch():
    torch = pytest.importorskip("torch")
    loc0, scale0 = np.array([[0.3, -1.0], [2.0, 0.1]]), np.array([[0.5, 1.0], [0.2, 2.0]])
    results, dists = [], []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        loc = lib.tensor(loc0, requires_grad=True)
        scale = lib.tensor(scale0, requires_grad=True)
        dist = _squashed(lib, module, loc, scale)
        lib.manual_seed(11)
        action = dist.rsample((3,))
        log_prob = dist.log_prob(action)  # through the cache: atanh not recomputed
        fixed = dist.log_prob(lib.tensor(np.array([[1.5, -0.2], [0.0, 1.99]])))
        (log_prob.sum() + action.sum() + fixed.sum()).backward()
        results.append([v.detach().numpy() for v in (action, log_prob, fixed, loc.grad,
                                                     scale.grad)])  # fmt: skip
        dists.append(dist)
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    ours, theirs = dists
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    assert repr(ours.support) == repr(theirs.support) and ours.has_rsample
    grown = ours.expand((4, 2, 2))
    assert grown.batch_shape == (4, 2, 2) and grown.sample().shape == (4, 2, 2)


def test_transformed_distribution_shapes_cdf_and_event_dims_match_torch():
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        T = module.transforms
        base = module.Normal(lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64))
        scale = lib.tensor([[1.0, 2.0, -3.0]], dtype=lib.float64)
        vector = module.TransformedDistribution(base, T.AffineTransform(0.5, scale, event_dim=1))
        logistic = module.TransformedDistribution(
            module.Uniform(lib.tensor(0.0, dtype=lib.float64), 1.0),
            [T.SigmoidTransform().inv, T.AffineTransform(1.0, -2.0)],
        )
        value = lib.tensor([[0.3, -1.0, 2.0]], dtype=lib.float64)
        made.append((vector, logistic, value))
    (ours, our_logistic, our_value), (theirs, their_logistic, their_value) = made
    assert ours.batch_shape == theirs.batch_shape == (1,)  # broadcast to the scale's shape
    assert ours.event_shape == theirs.event_shape == (3,)
    assert repr(ours.support) == repr(theirs.support)
    np.testing.assert_allclose(ours.log_prob(our_value).detach().numpy(),
                               theirs.log_prob(their_value).detach().numpy(), rtol=1e-12)  # fmt: skip
    for name in ("log_prob", "cdf"):
        got = getattr(our_logistic, name)(ad.tensor([0.2, 1.0, 2.5], dtype=ad.float64))
        want = getattr(their_logistic, name)(torch.tensor([0.2, 1.0, 2.5], dtype=torch.float64))
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    q = ad.tensor([0.1, 0.5, 0.9], dtype=ad.float64)
    np.testing.assert_allclose(our_logistic.icdf(q).detach().numpy(),
                               their_logistic.icdf(torch.tensor(q.numpy())).numpy(), rtol=1e-12)  # fmt: skip
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
    with pytest.raises(ValueError, match="list of Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), ["exp"])
    with pytest.raises(ValueError, match="within the support"):
        D.LogNormal(0.0, 1.0).log_prob(ad.tensor(-1.0))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.HalfNormal(-1.0)
    assert repr(D.LogNormal(0.0, 1.0)) == repr(torch.distributions.LogNormal(0.0, 1.0))
    lognormal = D.LogNormal(ad.zeros(2), 1.0).expand((3, 2))
    assert type(lognormal) is D.LogNormal and lognormal.sample().shape == (3, 2)


def _mixtures(lib, module, event):
    """Gaussian mixtures: 3 components, a batch of 2; event: Independent 2-d components."""
    logits = lib.tensor(np.array([[0.1, -1.0, 0.5], [2.0, 0.0, -0.3]]), requires_grad=True)
    loc = np.array([[-1.0, 0.5, 2.0], [0.0, 1.0, -2.0]])
    scale = np.array([[0.5, 1.0, 2.0], [1.5, 0.3, 0.8]])
    if event:
        loc = np.stack([loc, -loc], -1)
        scale = np.stack([scale, scale + 0.5], -1)
    loc = lib.tensor(loc, requires_grad=True)
    scale = lib.tensor(scale, requires_grad=True)
    comp = module.Normal(loc, scale)
    if event:
        comp = module.Independent(comp, 1)
    mix = module.MixtureSameFamily(module.Categorical(logits=logits), comp)
    return mix, (logits, loc, scale)


MIXTURE_CALLS = {
    "log_prob": lambda d, lib, e: d.log_prob(
        lib.tensor(np.array([[[0.3, -1.0], [2.0, 0.0]]] if e else [[0.3, -1.0], [2.0, 0.0]]))
    ),
    "mean": lambda d, lib, e: d.mean,
    "variance": lambda d, lib, e: d.variance,
    "cdf": lambda d, lib, e: d.cdf(lib.tensor(np.array([0.3, -1.0]))),
    "sample": lambda d, lib, e: d.sample((4, 5)),
}


@pytest.mark.parametrize("event", [False, True])
@pytest.mark.parametrize("what", sorted(MIXTURE_CALLS))
def test_mixture_same_family_matches_torch(what, event):
    torch = pytest.importorskip("torch")
    if what == "cdf" and event:
        pytest.skip("torch's Independent has no cdf")
    (ours, our_leaves), (theirs, their_leaves) = (
        _mixtures(lib, module, event) for lib, module in ((ad, D), (torch, torch.distributions))
    )
    ad.manual_seed(4)
    torch.manual_seed(4)
    got, want = MIXTURE_CALLS[what](ours, ad, event), MIXTURE_CALLS[what](theirs, torch, event)
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12,
                               atol=1e-12)  # fmt: skip
    if want.requires_grad:
        (want**2).sum().backward()
        (got**2).sum().backward()
        for leaf, their_leaf in zip(our_leaves, their_leaves):
            want_grad = np.zeros(leaf.shape) if their_leaf.grad is None else their_leaf.grad
            have = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.detach().numpy()
            np.testing.assert_allclose(have, np.asarray(want_grad), rtol=1e-10, atol=1e-12)


def test_mixture_same_family_shapes_reprs_and_errors():
    torch = pytest.importorskip("torch")
    ours, _ = _mixtures(ad, D, True)
    theirs, _ = _mixtures(torch, torch.distributions, True)
    assert ours.batch_shape == theirs.batch_shape == (2,)
    assert ours.event_shape == theirs.event_shape == (2,)
    assert repr(ours.support) == repr(theirs.support)
    assert not ours.has_rsample
    grown = ours.expand((3, 2))
    assert grown.batch_shape == (3, 2) and grown.sample().shape == (3, 2, 2)
    assert grown.log_prob(ad.zeros(3, 2, 2)).shape == (3, 2)
    plain = D.MixtureSameFamily(D.Categorical(ad.ones(2)), D.Normal(ad.zeros(2), 1.0))
    torch_plain = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.ones(2)),
        torch.distributions.Normal(torch.zeros(2), 1.0),
    )
    assert repr(plain) == repr(torch_plain)
    with pytest.raises(ValueError, match="needs to be an  instance of"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ad.zeros(2), 1.0))
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(ad.ones(3)), D.Normal(ad.zeros(2), 1.0))
    with pytest.raises(ValueError, match="is not compatible"):
        D.MixtureSameFamily(D.Categorical(ad.ones(4, 2)), D.Normal(ad.zeros(3, 2), 1.0))
    gamma_mix = D.MixtureSameFamily(D.Categorical(ad.ones(2)), D.Gamma(ad.ones(2), 1.0))
    with pytest.raises(ValueError, match="within the support"):
        gamma_mix.log_prob(ad.tensor(-1.0))


def test_binomial_entropy_support_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        logits = lib.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
        dist = module.Binomial(7, logits=logits)
        entropy = dist.entropy()
        entropy.sum().backward()
        made.append((dist, entropy, logits.grad))
    (ours, our_entropy, our_grad), (theirs, their_entropy, their_grad) = made
    np.testing.assert_allclose(our_entropy.detach().numpy(), their_entropy.detach().numpy(),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        our_grad.detach().numpy(), their_grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(ours.enumerate_support().detach().numpy(),
                                  theirs.enumerate_support().detach().numpy())  # fmt: skip
    assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
    np.testing.assert_allclose(ours.probs.detach().numpy(), theirs.probs.detach().numpy())
    with pytest.raises(ValueError, match="Expected parameter total_count"):
        D.Binomial(2.5, 0.5)
    with pytest.raises(ValueError, match="within the support"):
        D.Binomial(3, 0.5).log_prob(ad.tensor(4.0))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, 0.5), D.Binomial(5, 0.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`|either `probs` or"):
        D.Geometric()
    with pytest.raises(ValueError, match="to be positive but found invalid values"):
        D.Geometric(ad.tensor([0.5, 0.0]))
    with pytest.raises(ValueError, match="to be positive but found invalid values"):
        torch.distributions.Geometric(torch.tensor([0.5, 0.0]))
    certain = D.Geometric(ad.tensor([1.0, 0.5])).log_prob(ad.tensor([0.0, 0.0]))
    torch_certain = torch.distributions.Geometric(torch.tensor([1.0, 0.5]))
    want = torch_certain.log_prob(torch.tensor([0.0, 0.0]))
    np.testing.assert_array_equal(
        certain.detach().numpy(), want.detach().numpy()
    )  # 0 at p = 1, not NaN


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binomial_draws_equal_torch_in_both_regimes(dtype):
    """Inversion below count·p = 10, BTRS above; p above 1/2 draws the failures."""
    torch = pytest.importorskip("torch")
    count = np.array([0.0, 1.0, 6.0, 20.0, 100.0, 1000.0, 50.0, 7.0, 300.0], dtype)
    probs = np.array([0.3, 0.5, 0.9, 0.5, 0.2, 0.95, 0.01, 0.99, 1.0], dtype)
    ad.manual_seed(2)
    torch.manual_seed(2)
    got = D.Binomial(ad.tensor(count), ad.tensor(probs)).sample((300,))
    want = torch.distributions.Binomial(torch.tensor(count), torch.tensor(probs)).sample((300,))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


def test_one_hot_categorical_matches_torch():
    torch = pytest.importorskip("torch")
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    ours, theirs = (
        D.OneHotCategorical(ad.tensor(probs)),
        torch.distributions.OneHotCategorical(torch.tensor(probs)),
    )
    for expand in (True, False):
        np.testing.assert_array_equal(ours.enumerate_support(expand).detach().numpy(),
                                      theirs.enumerate_support(expand).detach().numpy())  # fmt: skip
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
    grown = ours.expand((4, 2))
    assert grown.batch_shape == (4, 2) and grown.sample().shape == (4, 2, 3)
    with pytest.raises(ValueError, match="within the support"):
        ours.log_prob(ad.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]))
    ad.manual_seed(9)
    index = D.Categorical(ad.tensor(probs)).sample((6,))
    ad.manual_seed(9)
    np.testing.assert_array_equal(
        ours.sample((6,)).detach().numpy().argmax(-1), index.detach().numpy()
    )


def test_gradcheck_of_the_new_log_probs():
    def lognormal(loc, scale):
        return D.LogNormal(loc, scale).log_prob(ad.tensor([0.5, 2.0], dtype=ad.float64))

    def squashed(loc, scale):
        dist = D.TransformedDistribution(D.Normal(loc, scale), [D.transforms.TanhTransform()])
        return dist.log_prob(ad.tensor([0.3, -0.9], dtype=ad.float64))

    def mixture(loc, scale):
        comp = D.Normal(loc, scale)
        mix = D.MixtureSameFamily(D.Categorical(logits=loc * 0.5), comp)
        return mix.log_prob(ad.tensor([0.2, -1.0, 3.0], dtype=ad.float64))

    for fn in (lognormal, squashed, mixture):
        loc = ad.tensor([0.3, -0.4], dtype=ad.float64, requires_grad=True)
        scale = ad.tensor([0.8, 1.7], dtype=ad.float64, requires_grad=True)
        assert ad.gradcheck(fn, (loc, scale))


def test_where_gradient_ignores_nan_on_the_side_not_taken():
    """StudentT's stddev is sqrt of a variance that is NaN where df ≤ 1: torch's where sends
    zeros (not NaN · 0) to the side not taken."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (ad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        other = lib.tensor([float("nan"), 5.0], requires_grad=True)
        lib.where(lib.tensor([False, True]), x, other).sqrt().sum().backward()
        grads.append((x.grad.detach().numpy(), other.grad.detach().numpy()))
    for got, want in zip(*grads):
        np.testing.assert_array_equal(got, want)


def test_relaxed_families_shapes_reprs_and_expand_match_torch():
    torch = pytest.importorskip("torch")
    logits = [[0.2, -1.3, 0.5], [2.0, 0.3, 0.1]]
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        temperature = lib.tensor(0.5)
        made.append((
            module.RelaxedBernoulli(temperature, probs=lib.tensor([0.1, 0.7])),
            module.RelaxedOneHotCategorical(temperature, logits=lib.tensor(logits)),
        ))  # fmt: skip
    for ours, theirs in zip(*made):
        assert ours.batch_shape == theirs.batch_shape
        assert ours.event_shape == theirs.event_shape
        assert repr(ours) == repr(theirs) and repr(ours.support) == repr(theirs.support)
        assert repr(ours.base_dist) == repr(theirs.base_dist)
        grown, their_grown = ours.expand((4, 2)), theirs.expand((4, 2))
        assert type(grown) is type(ours) and grown.temperature is ours.temperature
        assert grown.batch_shape == their_grown.batch_shape == (4, 2)
        ad.manual_seed(6)
        torch.manual_seed(6)
        got, want = grown.rsample(), their_grown.rsample()
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(grown.log_prob(got).detach().numpy(),
                                   their_grown.log_prob(want).detach().numpy(), rtol=1e-4)  # fmt: skip
    with pytest.raises(ValueError, match="within the support"):
        made[0][0].log_prob(ad.tensor([0.5, 1.5]))


def test_signatures_match_torch():
    """Argument names, order and defaults of the new classes and transforms."""
    torch = pytest.importorskip("torch")
    import inspect

    names = ["OneHotCategorical", "LogNormal", "HalfNormal", "TransformedDistribution",
             "MixtureSameFamily", "Binomial", "Geometric", "StudentT", "RelaxedBernoulli",
             "RelaxedOneHotCategorical", "ExpTransform", "AffineTransform", "SigmoidTransform",
             "TanhTransform", "ComposeTransform", "PowerTransform", "SoftplusTransform",
             "AbsTransform"]  # fmt: skip
    for name in names:
        ours = inspect.signature(getattr(D, name).__init__).parameters
        theirs = inspect.signature(getattr(torch.distributions, name).__init__).parameters
        assert list(ours) == list(theirs), name
        for key, param in ours.items():
            assert param.default == theirs[key].default, (name, key)
    for name in ("log_abs_det_jacobian", "forward_shape", "inverse_shape", "with_cache"):
        ours = inspect.signature(getattr(D.transforms.Transform, name)).parameters
        theirs = inspect.signature(getattr(torch.distributions.transforms.Transform, name))
        assert list(ours) == list(theirs.parameters), name


def test_compose_sums_each_part_over_the_event_dims_it_has_there():
    """A user's part that turns numbers into vectors (event dim 0 -> 1): the parts after it
    have their log |det J| summed over that new event dim, as torch's."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):

        class ToVector(module.transforms.Transform):
            domain = module.constraints.real
            codomain = module.constraints.independent(module.constraints.real, 1)
            bijective = True

            def _call(self, x):
                return x

            def _inverse(self, y):
                return y

            def log_abs_det_jacobian(self, x, y):
                return 0.5 * x.sum(-1)  # one number per vector it makes

        compose = module.transforms.ComposeTransform([ToVector(), module.transforms.ExpTransform()])
        x = lib.tensor(np.array([[0.3, -1.0, 2.0], [0.5, 0.1, -0.2]]))
        results.append(compose.log_abs_det_jacobian(x, compose(x)).detach().numpy())
        assert compose.domain.event_dim == 0 and compose.codomain.event_dim == 1
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)
