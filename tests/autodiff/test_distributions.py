"""torch.distributions against torch: values and gradients (float64), seeded draws, shapes,
kl_divergence and its registry, validate_args' errors."""

import functools
import warnings

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions

# family -> (its parameters, a value inside the support, probabilities for icdf)
FAMILIES = {
    "Normal": ({"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]}, [0.3, -1.2, 2.5]),
    "Uniform": ({"low": [0.0, -1.0, 2.0], "high": [1.0, 0.5, 4.0]}, [0.3, -0.2, 3.9]),
    "Exponential": ({"rate": [0.5, 1.0, 3.0]}, [0.3, 1.2, 0.01]),
    "Laplace": ({"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]}, [0.3, -1.2, 2.5]),
    "Cauchy": ({"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]}, [0.3, -1.2, 2.5]),
    "Gumbel": ({"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]}, [0.3, -1.2, 2.5]),
    "Bernoulli": ({"probs": [0.1, 0.7, 0.5]}, [1.0, 0.0, 1.0]),
    "Categorical": ({"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]}, [2, 0]),
    "Gamma": ({"concentration": [0.5, 2.0, 9.0], "rate": [1.0, 0.5, 3.0]}, [0.3, 1.2, 4.0]),
    "Chi2": ({"df": [1.0, 3.0, 10.0]}, [0.3, 1.2, 14.0]),
    "Poisson": ({"rate": [0.5, 4.0, 30.0]}, [0.0, 3.0, 41.0]),
    "Beta": (
        {"concentration1": [0.5, 2.0, 5.0], "concentration0": [0.7, 2.0, 1.5]},
        [0.3, 0.9, 0.01],
    ),
    "Dirichlet": (
        {"concentration": [[0.5, 2.0, 5.0], [0.7, 0.2, 0.4]]},
        [[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]],
    ),
    "OneHotCategorical": (
        {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]},
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
    ),
    "LogNormal": ({"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]}, [0.3, 1.2, 2.5]),
    "HalfNormal": ({"scale": [1.0, 0.5, 2.0]}, [0.3, 1.2, 2.5]),
    "Geometric": ({"probs": [0.2, 0.5, 0.9]}, [0.0, 3.0, 1.0]),
    "Binomial": ({"total_count": [5.0, 10.0, 30.0], "probs": [0.2, 0.5, 0.9]}, [0.0, 3.0, 27.0]),
    "StudentT": (
        {"df": [0.7, 1.5, 9.0], "loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
        [0.3, -1.2, 2.5],
    ),
    "RelaxedBernoulli": ({"temperature": 0.7, "probs": [0.1, 0.7, 0.5]}, [0.3, 0.9, 0.01]),
    "RelaxedOneHotCategorical": (
        {"temperature": 0.4, "logits": [[0.2, -1.3, 0.5], [2.0, 0.3, 0.1]]},
        [[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]],
    ),
    "LogisticNormal": (
        {"loc": [[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]], "scale": [[1.0, 0.5, 2.0], [0.3, 1.0, 1.5]]},
        [[0.2, 0.3, 0.1, 0.4], [0.01, 0.9, 0.05, 0.04]],
    ),
    "LowRankMultivariateNormal": (
        {
            "loc": [[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]],
            "cov_factor": [
                [[1.0, 0.2], [0.5, -0.3], [0.0, 1.0]],
                [[0.3, 0.1], [2.0, 0.0], [-1, 0.5]],
            ],
            "cov_diag": [[1.0, 0.5, 2.0], [0.3, 1.0, 1.5]],
        },
        [[0.3, -1.2, 2.5], [1.0, 0.0, -2.0]],
    ),
}
QUANTILES = [0.1, 0.5, 0.95]


def _make(torch, family, params, lib):
    """The family built in lib (ad or torch) on float64 leaves (a Python int, Multinomial's
    total_count, passed as it is); returns (dist, leaves)."""
    leaves = {k: lib.tensor(np.array(v, np.float64), requires_grad=True) for k, v in params.items()
              if not isinstance(v, int)}  # fmt: skip
    fixed = {k: v for k, v in params.items() if isinstance(v, int)}
    module = D if lib is ad else torch.distributions
    return getattr(module, family)(**leaves, **fixed), leaves


def _compare(torch, family, params, call):
    """call(dist, lib) in both libraries: equal values and equal gradients of their sum."""
    ours, our_leaves = _make(torch, family, params, ad)
    theirs, their_leaves = _make(torch, family, params, torch)
    try:
        expected = call(theirs, torch)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            call(ours, ad)
        return
    got = call(ours, ad)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12,
                               atol=1e-12, equal_nan=True)  # fmt: skip
    if expected.requires_grad and got.dtype.is_floating_point:
        try:
            expected.sum().backward()
        except NotImplementedError as error:  # the gradient of igamma in its first argument
            with pytest.raises(NotImplementedError, match="not implemented"):
                got.sum().backward()
            assert "igamma" in str(error)
            return
        got.sum().backward()
        for name, leaf in our_leaves.items():
            want = their_leaves[name].grad
            want = np.zeros(leaf.shape) if want is None else want.detach().numpy()
            have = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.detach().numpy()
            # trigamma (digamma's derivative) is NumPy-side here: agreement to ~1e-9 of scale
            atol = 1e-9 * max(1.0, float(np.abs(want[np.isfinite(want)]).max(initial=0)))
            np.testing.assert_allclose(have, want, rtol=1e-8, atol=atol, err_msg=name)


CALLS = {
    "log_prob": lambda d, lib, v: d.log_prob(lib.tensor(np.array(v))),
    "cdf": lambda d, lib, v: d.cdf(lib.tensor(np.array(v, np.float64))),
    "icdf": lambda d, lib, v: d.icdf(lib.tensor(np.array(QUANTILES))),
    "entropy": lambda d, lib, v: d.entropy(),
    "mean": lambda d, lib, v: d.mean,
    "mode": lambda d, lib, v: d.mode,
    "variance": lambda d, lib, v: d.variance,
    "stddev": lambda d, lib, v: d.stddev,
    "perplexity": lambda d, lib, v: d.perplexity(),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("what", sorted(CALLS))
def test_values_and_gradients_match_torch(family, what):
    torch = pytest.importorskip("torch")
    params, value = FAMILIES[family]
    if family == "Categorical" and what in ("cdf", "icdf"):
        pytest.skip("torch's Categorical has neither")
    if family in ("Bernoulli", "OneHotCategorical") and what in ("cdf", "icdf"):
        pytest.skip(f"torch's {family} has neither")
    _compare(torch, family, params, lambda d, lib: CALLS[what](d, lib, value))


def test_logits_parameterisations_match_torch():
    torch = pytest.importorskip("torch")
    for family, logits in (("Bernoulli", [-2.0, 0.0, 3.0]), ("Categorical", [[1.0, 2.0, -1.0]])):
        for what in ("log_prob", "entropy", "mean", "variance"):
            value = [1.0, 0.0, 1.0] if family == "Bernoulli" else [2]
            call = functools.partial(CALLS[what], v=value)
            _compare(torch, family, {"logits": logits}, call)
            _compare(torch, family, {"logits": logits}, lambda d, lib: d.probs)


def test_values_outside_the_support_score_as_torch_without_validation():
    torch = pytest.importorskip("torch")
    outside = [-0.5, 0.5, 2.0]
    for family, params in (("Uniform", {"low": 0.0, "high": 1.0}), ("Exponential", {"rate": 2.0})):
        ours = getattr(D, family)(**params, validate_args=False)
        theirs = getattr(torch.distributions, family)(**params, validate_args=False)
        for name in ("log_prob", "cdf"):
            got = getattr(ours, name)(ad.tensor(outside)).detach().numpy()
            want = getattr(theirs, name)(torch.tensor(outside)).detach().numpy()
            np.testing.assert_allclose(got, want, rtol=1e-6)


# equal uniform / normal draws, then exp, log, log1p or sigmoid: torch's vectorised functions
# and NumPy's differ by an ulp, more after a division by the temperature and an exp of a log
# near -12 (which multiplies the log's rounding by 12)
# (LogisticNormal: the same normal draws through sigmoid and a cumulative product;
# LowRankMultivariateNormal: through a matrix-vector product, summed in another order)
ULP_FAMILIES = ("LogNormal", "RelaxedBernoulli", "RelaxedOneHotCategorical", "Gumbel",
                "LogisticNormal", "LowRankMultivariateNormal")  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "family",
    ["Normal", "Uniform", "Exponential", "Bernoulli", "Categorical", "Gamma", "Chi2", "Poisson",
     "Beta", "Dirichlet", "OneHotCategorical", "LogNormal", "HalfNormal", "Geometric",
     "Binomial", "StudentT", "RelaxedBernoulli", "RelaxedOneHotCategorical", "Cauchy",
     "Gumbel", "LogisticNormal", "LowRankMultivariateNormal"],
)  # fmt: skip
def test_seeded_samples_equal_torch(family, dtype):
    torch = pytest.importorskip("torch")
    params, _ = FAMILIES[family]
    ours = getattr(D, family)(**{k: ad.tensor(np.array(v, dtype)) for k, v in params.items()})
    theirs = getattr(torch.distributions, family)(
        **{k: torch.tensor(np.array(v, dtype)) for k, v in params.items()}
    )
    for shape in [(), (5,), (4, 2), (20, 3)]:  # (20, 3): past 16 draws, torch vectorises
        for method in ("sample", "rsample") if ours.has_rsample else ("sample",):
            ad.manual_seed(7)
            torch.manual_seed(7)
            got, want = getattr(ours, method)(shape), getattr(theirs, method)(shape)
            assert got.shape == tuple(want.shape) == ours._extended_shape(shape)
            assert str(got.dtype) == str(want.dtype)
            if family in ULP_FAMILIES:
                eps = np.finfo(dtype).eps
                np.testing.assert_allclose(
                    got.detach().numpy(), want.detach().numpy(), rtol=64 * eps, atol=0
                )
            else:
                np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_laplace_samples_equal_torch_to_the_last_bit_of_log1p(dtype):
    """The same uniform draws, then log1p: torch's vectorised log1p and NumPy's differ by at
    most an ulp, so the draws agree to a few ulps."""
    torch = pytest.importorskip("torch")
    loc, scale = np.array([0.5, -1.0, 2.0], dtype), np.array([1.0, 0.5, 2.0], dtype)
    ad.manual_seed(3)
    torch.manual_seed(3)
    got = D.Laplace(ad.tensor(loc), ad.tensor(scale)).rsample((50,))
    want = torch.distributions.Laplace(torch.tensor(loc), torch.tensor(scale)).rsample((50,))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=4 * np.finfo(dtype).eps,
                               atol=8 * np.finfo(dtype).eps)  # fmt: skip


def test_rsample_is_differentiable_as_torch():
    torch = pytest.importorskip("torch")
    for family in ("Normal", "Uniform", "Exponential", "Laplace", "Gamma", "Chi2", "Beta",
                   "Dirichlet", "LogNormal", "HalfNormal", "StudentT", "RelaxedBernoulli",
                   "RelaxedOneHotCategorical", "Cauchy", "Gumbel", "LogisticNormal",
                   "LowRankMultivariateNormal"):  # fmt: skip
        params, _ = FAMILIES[family]
        ad.manual_seed(1)
        torch.manual_seed(1)
        _compare(torch, family, params, lambda d, lib: d.rsample((6,)) ** 2)


def test_shapes_with_batches_expand_and_independent():
    torch = pytest.importorskip("torch")
    loc = np.zeros((2, 3))
    normal = D.Normal(ad.tensor(loc), 1.0)
    assert normal.batch_shape == (2, 3) and normal.event_shape == ()
    assert normal.sample((4,)).shape == (4, 2, 3)
    wide = D.Normal(ad.tensor([0.0, 1.0]), 1.0).expand((5, 2))
    assert wide.batch_shape == (5, 2) and wide.log_prob(ad.zeros(5, 2)).shape == (5, 2)
    cat = D.Categorical(logits=ad.zeros(3)).expand((4,))
    assert cat.batch_shape == (4,) and cat.sample((2,)).shape == (2, 4)
    diag = D.Independent(normal, 1)
    t_diag = torch.distributions.Independent(torch.distributions.Normal(torch.tensor(loc), 1.0), 1)
    assert diag.batch_shape == t_diag.batch_shape and diag.event_shape == t_diag.event_shape
    value = np.arange(6.0).reshape(2, 3) / 4
    np.testing.assert_allclose(diag.log_prob(ad.tensor(value)).detach().numpy(),
                               t_diag.log_prob(torch.tensor(value)).detach().numpy(), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        diag.entropy().detach().numpy(), t_diag.entropy().detach().numpy(), rtol=1e-12
    )
    both = D.Independent(normal, 2)
    assert both.batch_shape == () and both.event_shape == (2, 3) and both.has_rsample
    assert both.log_prob(ad.tensor(value)).shape == ()
    grown = diag.expand((7, 2))
    assert grown.batch_shape == (7, 2) and grown.sample().shape == (7, 2, 3)
    assert repr(diag) == repr(t_diag)
    assert repr(diag.support) == repr(t_diag.support)


def test_reprs_and_constraints_match_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    pairs = [
        (D.Uniform(0.0, 2.0), TD.Uniform(0.0, 2.0)),
        (D.Exponential(ad.ones(3)), TD.Exponential(torch.ones(3))),
        (D.Laplace(0.0, 1.0), TD.Laplace(0.0, 1.0)),
        (D.Bernoulli(logits=ad.zeros(2)), TD.Bernoulli(logits=torch.zeros(2))),
        (D.Categorical(ad.ones(4)), TD.Categorical(torch.ones(4))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert repr(ours.support) == repr(theirs.support)
        assert ours.has_rsample == theirs.has_rsample
        assert list(ours.arg_constraints) == list(theirs.arg_constraints)
        for name, constraint in ours.arg_constraints.items():
            assert repr(constraint) == repr(theirs.arg_constraints[name])


def test_validate_args_raise_torch_errors():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    bad = [
        ("Normal", (0.0, -1.0), "Expected parameter scale"),
        ("Uniform", (1.0, 1.0), "Expected parameter low"),
        ("Exponential", (0.0,), "Expected parameter rate"),
        ("Laplace", (0.0, 0.0), "Expected parameter scale"),
        ("Bernoulli", (1.5,), "Expected parameter probs"),
    ]
    for family, args, message in bad:
        with pytest.raises(ValueError, match=message):
            getattr(TD, family)(*args)
        with pytest.raises(ValueError, match=message):
            getattr(D, family)(*args)
        getattr(D, family)(*args, validate_args=False)  # no check asked for
    scored = [
        (D.Exponential(1.0), ad.tensor(-1.0), "within the support"),
        (D.Uniform(0.0, 1.0), ad.tensor([2.0]), "within the support"),
        (D.Bernoulli(0.5), ad.tensor(0.5), "within the support"),
        (D.Categorical(ad.ones(3)), ad.tensor(3), "within the support"),
        (D.Normal(ad.zeros(3), 1.0), ad.zeros(2), "not broadcastable"),
        (D.Normal(0.0, 1.0), 0.5, "must be a Tensor"),
        (D.Independent(D.Normal(ad.zeros(3), 1.0), 1), ad.zeros(2), "event_shape"),
    ]
    for dist, value, message in scored:
        with pytest.raises(ValueError, match=message):
            dist.log_prob(value)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(D.Normal(0.0, 1.0), 1)
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Bernoulli(probs=0.5, logits=0.0)


def test_set_default_validate_args():
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="scale"):
        D.Normal(0.0, -1.0)


def _mvn_pair(torch, kind, batch_loc=False):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    cov = A @ A.T + 3 * np.eye(3)
    matrix = {
        "scale_tril": np.linalg.cholesky(cov),
        "covariance_matrix": cov,
        "precision_matrix": np.linalg.inv(cov),
    }[kind]
    loc = rng.standard_normal((2, 3) if batch_loc else 3)
    made = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        leaves = {"loc": lib.tensor(loc, requires_grad=True)}
        leaves[kind] = lib.tensor(matrix, requires_grad=True)
        made.append((module.MultivariateNormal(leaves["loc"], **{kind: leaves[kind]}), leaves))
    return made


MVN_CALLS = {
    "log_prob": lambda d, lib: d.log_prob(lib.tensor([[0.3, -1.0, 2.0], [0.0, 0.5, -0.5]])),
    "entropy": lambda d, lib: d.entropy(),
    "variance": lambda d, lib: d.variance,
    "mean": lambda d, lib: d.mean * 1,
    "covariance_matrix": lambda d, lib: d.covariance_matrix * 1,
    "precision_matrix": lambda d, lib: d.precision_matrix * 1,
    "scale_tril": lambda d, lib: d.scale_tril * 1,
    "rsample": lambda d, lib: d.rsample((4,)),
}


@pytest.mark.parametrize("kind", ["scale_tril", "covariance_matrix", "precision_matrix"])
@pytest.mark.parametrize("what", sorted(MVN_CALLS))
@pytest.mark.parametrize("batch_loc", [False, True])
def test_multivariate_normal_matches_torch(kind, what, batch_loc):
    torch = pytest.importorskip("torch")
    (ours, our_leaves), (theirs, their_leaves) = _mvn_pair(torch, kind, batch_loc)
    ad.manual_seed(5)
    torch.manual_seed(5)
    got, want = MVN_CALLS[what](ours, ad), MVN_CALLS[what](theirs, torch)
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-9, atol=1e-12)
    if what == "mean":
        return
    (want * torch.linspace(1, 2, want.numel()).reshape(want.shape).double()).sum().backward()
    (got * ad.linspace(1, 2, got.numel()).reshape(got.shape).double()).sum().backward()
    for name, leaf in our_leaves.items():
        expected = their_leaves[name].grad
        if expected is None:
            assert leaf.grad is None or not leaf.grad.detach().numpy().any(), name
            continue
        np.testing.assert_allclose(leaf.grad.numpy(), expected.detach().numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=name)  # fmt: skip


def test_multivariate_normal_shapes_repr_and_errors():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    mvn = D.MultivariateNormal(ad.zeros(2, 3), scale_tril=ad.eye(3))
    t_mvn = TD.MultivariateNormal(torch.zeros(2, 3), scale_tril=torch.eye(3))
    assert mvn.batch_shape == (2,) and mvn.event_shape == (3,)
    assert mvn.sample((5,)).shape == (5, 2, 3)
    assert repr(mvn) == repr(t_mvn)
    assert mvn.covariance_matrix.shape == t_mvn.covariance_matrix.shape  # now shown in repr
    assert repr(mvn) == repr(t_mvn)
    assert mvn.expand((4, 2)).sample().shape == (4, 2, 3)
    assert mvn.expand((4, 2)).log_prob(ad.zeros(3)).shape == (4, 2)
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(ad.zeros(2))
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(ad.zeros(2), ad.eye(2), scale_tril=ad.eye(2))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.MultivariateNormal(ad.tensor(0.0), ad.eye(1))
    with pytest.raises(ValueError, match="covariance_matrix"):
        D.MultivariateNormal(ad.zeros(2), ad.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="scale_tril"):
        D.MultivariateNormal(ad.zeros(2), scale_tril=ad.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="support"):
        mvn.log_prob(ad.tensor([[float("nan"), 0.0, 0.0]]))


KL_PARAMS = {
    "Normal": {"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
    "Uniform": {"low": [0.1, -1.0, 2.0], "high": [1.0, 0.5, 4.0]},
    "Exponential": {"rate": [0.5, 1.0, 3.0]},
    "Laplace": {"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
    "Bernoulli": {"probs": [0.1, 0.7, 0.5]},
    "Categorical": {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]},
    "Gamma": {"concentration": [0.5, 2.0, 9.0], "rate": [1.0, 0.5, 3.0]},
    "Beta": {"concentration1": [0.5, 2.0, 5.0], "concentration0": [0.7, 2.0, 1.5]},
    "Poisson": {"rate": [0.5, 4.0, 30.0]},
    "Dirichlet": {"concentration": [[0.5, 2.0, 5.0], [0.7, 0.2, 0.4], [1.0, 1.0, 1.0]]},
    "OneHotCategorical": {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]},
    "LogNormal": {"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
    "HalfNormal": {"scale": [1.0, 0.5, 2.0]},
    "Geometric": {"probs": [0.2, 0.5, 0.9]},
    "Binomial": {"total_count": [5.0, 10.0, 30.0], "probs": [0.2, 0.5, 0.9]},
    "Cauchy": {"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
    "Gumbel": {"loc": [0.5, -1.0, 2.0], "scale": [1.0, 0.5, 2.0]},
    "LogisticNormal": {
        "loc": [[0.5, -1.0], [2.0, 0.3], [0.0, 0.1]],
        "scale": [[1.0, 0.5], [2.0, 1.0], [0.3, 0.7]],
    },
    "LowRankMultivariateNormal": {
        "loc": [[0.5, -1.0], [2.0, 0.3], [0.0, 0.1]],
        "cov_factor": [[[1.0], [0.5]], [[-0.3], [2.0]], [[0.2], [0.1]]],
        "cov_diag": [[1.0, 0.5], [2.0, 1.0], [0.3, 0.7]],
    },
}
KL_Q = {
    "Normal": {"loc": [0.0, 1.0, -2.0], "scale": [2.0, 1.0, 0.7]},
    "Uniform": {"low": [-1.0, -1.0, 2.5], "high": [2.0, 0.6, 4.0]},
    "Exponential": {"rate": [1.5, 0.2, 3.0]},
    "Laplace": {"loc": [0.0, 1.0, -2.0], "scale": [2.0, 1.0, 0.7]},
    "Bernoulli": {"probs": [0.3, 0.7, 0.9]},
    "Categorical": {"probs": [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.1, 0.1, 0.8]]},
    "Gamma": {"concentration": [1.5, 0.3, 4.0], "rate": [2.0, 0.5, 1.0]},
    "Beta": {"concentration1": [1.5, 0.3, 4.0], "concentration0": [2.0, 0.5, 1.0]},
    "Poisson": {"rate": [1.5, 0.3, 40.0]},
    "Dirichlet": {"concentration": [[1.5, 0.3, 4.0], [2.0, 0.5, 1.0], [0.2, 3.0, 1.0]]},
    "OneHotCategorical": {"probs": [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.1, 0.1, 0.8]]},
    "LogNormal": {"loc": [0.0, 1.0, -2.0], "scale": [2.0, 1.0, 0.7]},
    "HalfNormal": {"scale": [2.0, 1.0, 0.7]},
    "Geometric": {"probs": [0.6, 0.1, 0.3]},
    "Binomial": {"total_count": [5.0, 8.0, 30.0], "probs": [0.4, 0.3, 0.7]},  # 10 > 8: inf
    "Cauchy": {"loc": [0.0, 1.0, -2.0], "scale": [2.0, 1.0, 0.7]},
    "Gumbel": {"loc": [0.0, 1.0, -2.0], "scale": [2.0, 1.0, 0.7]},
    "LogisticNormal": {
        "loc": [[0.0, 1.0], [-2.0, 0.5], [0.3, 0.3]],
        "scale": [[2.0, 1.0], [0.7, 0.4], [1.0, 2.0]],
    },
    "LowRankMultivariateNormal": {
        "loc": [[0.0, 1.0], [-2.0, 0.5], [0.3, 0.3]],
        "cov_factor": [[[0.5], [1.5]], [[1.0], [-1.0]], [[0.0], [0.3]]],
        "cov_diag": [[2.0, 1.0], [0.7, 0.4], [1.0, 2.0]],
    },
}
KL_PAIRS = [(a, b) for a in KL_PARAMS for b in KL_PARAMS]


@pytest.mark.parametrize("p_family,q_family", KL_PAIRS)
def test_kl_divergence_matches_torch(p_family, q_family):
    torch = pytest.importorskip("torch")
    made = {}
    for lib in (ad, torch):
        p, p_leaves = _make(torch, p_family, KL_PARAMS[p_family], lib)
        q, q_leaves = _make(torch, q_family, KL_Q[q_family], lib)
        made[lib] = p, q, {**{"p." + k: v for k, v in p_leaves.items()},
                           **{"q." + k: v for k, v in q_leaves.items()}}  # fmt: skip
    try:
        want = torch.distributions.kl_divergence(*made[torch][:2])
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError) as ours:
            D.kl_divergence(*made[ad][:2])
        if str(error):  # (torch's TransformedDistribution pair raises it without a message)
            assert str(ours.value).split() == str(error).split()  # torch's, up to spacing
        return
    got = D.kl_divergence(*made[ad][:2])
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    finite = torch.isfinite(want)
    if want.requires_grad and bool(finite.any()):
        want[finite].sum().backward()
        got[ad.tensor(finite.detach().numpy())].sum().backward()
        for name, leaf in made[ad][2].items():
            expected = made[torch][2][name].grad
            expected = np.zeros(leaf.shape) if expected is None else expected.detach().numpy()
            have = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.detach().numpy()
            finite_grads = expected[np.isfinite(expected)]
            atol = 1e-9 * max(1.0, float(np.abs(finite_grads).max(initial=0)))  # see _compare
            np.testing.assert_allclose(have, expected, rtol=1e-8, atol=atol, err_msg=name)


def test_kl_of_independent_and_multivariate_normals_match_torch():
    torch = pytest.importorskip("torch")
    values = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        loc = lib.tensor(np.array([[0.5, -1.0], [0.0, 2.0]]), requires_grad=True)
        p = module.Independent(module.Normal(loc, 1.5), 1)
        q = module.Independent(module.Normal(lib.zeros(2, 2, dtype=lib.float64), 1.0), 1)
        kl = module.kl_divergence(p, q)
        assert tuple(kl.shape) == (2,)
        (mvn_p, p_leaves), _ = (
            _mvn_pair(torch, "scale_tril", batch_loc=True)[0 if lib is ad else 1],
            None,
        )
        (mvn_q, q_leaves), _ = _mvn_pair(torch, "covariance_matrix")[0 if lib is ad else 1], None
        mvn_kl = module.kl_divergence(mvn_p, mvn_q)
        (kl.sum() + mvn_kl.sum()).backward()
        grads = [loc.grad] + [t.grad for t in (*p_leaves.values(), *q_leaves.values())]
        values.append([kl, mvn_kl] + grads)
    for got, want in zip(*values):
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), rtol=1e-9, atol=1e-12
        )
    with pytest.raises(NotImplementedError):
        normal = D.Normal(ad.zeros(2, 2), 1.0)
        D.kl_divergence(D.Independent(normal, 1), D.Independent(normal, 2))


def test_register_kl_picks_the_most_specific_match():
    class MyNormal(D.Normal):
        pass

    class MyOtherNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), MyOtherNormal(1.0, 2.0)
    base = D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0))
    assert D.kl_divergence(p, q).item() == base.item()  # the (Normal, Normal) form

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return ad.tensor(-1.0)

    assert D.kl_divergence(p, q).item() == -1.0  # more specific: the new one, cache reset

    @D.register_kl(D.Normal, MyOtherNormal)
    def _other(p, q):
        return ad.tensor(-2.0)

    with pytest.warns(RuntimeWarning, match="Ambiguous kl_divergence"):
        value = D.kl_divergence(p, q)
    assert value.item() == -1.0  # torch's choice: the most specific p first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D.kl_divergence(D.Normal(0.0, 1.0), q).item() == -2.0
    with pytest.raises(TypeError, match="Distribution subclass"):
        D.register_kl(int, D.Normal)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(ad.ones(2)))
    from autodiff.distributions import kl

    for pair in [(MyNormal, D.Normal), (D.Normal, MyOtherNormal)]:
        del kl._KL_REGISTRY[pair]
    kl._KL_MEMOIZE.clear()


def test_vae_loss_matches_torch():
    """A VAE's loss: reconstruction through Normal.rsample, plus KL to the standard Normal."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        enc = lib.tensor(w, requires_grad=True)
        h = lib.tensor(x) @ enc
        mu, log_sigma = h[:, :2], h[:, 2:]
        posterior = module.Normal(mu, log_sigma.exp())
        prior = module.Normal(lib.zeros_like(mu), lib.ones_like(mu))
        lib.manual_seed(0)
        z = posterior.rsample()
        recon = ((z.sum(-1, keepdim=True) - lib.tensor(x)) ** 2).sum(-1)
        loss = (recon + module.kl_divergence(posterior, prior).sum(-1)).mean()
        loss.backward()
        results.append((loss.item(), enc.grad.detach().numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)


def test_gradcheck_of_log_prob_and_kl():
    loc = ad.tensor([0.3, -0.4], dtype=ad.float64, requires_grad=True)
    tril = ad.tensor([[1.0, 0.0], [0.3, 0.8]], dtype=ad.float64, requires_grad=True)
    value = ad.tensor([0.5, 1.0], dtype=ad.float64)

    def mvn(loc, tril):
        return D.MultivariateNormal(loc, scale_tril=tril.tril()).log_prob(value)

    assert ad.gradcheck(mvn, (loc, tril))

    def laplace_kl(loc, scale):
        return D.kl_divergence(D.Laplace(loc, scale.exp()), D.Laplace(0.0, 1.0))

    assert ad.gradcheck(laplace_kl, (loc, tril[1]))


def test_gamma_family_shapes_reprs_and_errors():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    pairs = [
        (D.Gamma(ad.ones(2), 2.0), TD.Gamma(torch.ones(2), 2.0)),
        (D.Chi2(3.0), TD.Chi2(3.0)),
        (D.Poisson(ad.ones(3)), TD.Poisson(torch.ones(3))),
        (D.Beta(0.5, 0.5), TD.Beta(0.5, 0.5)),
        (D.Dirichlet(ad.ones(2, 3)), TD.Dirichlet(torch.ones(2, 3))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert repr(ours.support) == repr(theirs.support)
        assert ours.batch_shape == theirs.batch_shape
        assert ours.event_shape == theirs.event_shape
        assert ours.sample((4,)).shape == tuple(theirs.sample((4,)).shape)
        assert ours.expand((5, *ours.batch_shape)).sample().shape == (
            5, *ours.batch_shape, *ours.event_shape)  # fmt: skip
    for bad, message in ((lambda m: m.Chi2(-1.0), "df"), (lambda m: m.Gamma(1.0, 0.0), "rate"),
                         (lambda m: m.Poisson(-1.0), "rate"),
                         (lambda m: m.Beta(0.0, 1.0), "concentration"),
                         (lambda m: m.Dirichlet(ad.tensor([1.0, -1.0])
                                                if m is D else torch.tensor([1.0, -1.0])),
                          "concentration")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            bad(TD)
        with pytest.raises(ValueError, match=message):
            bad(D)
    with pytest.raises(ValueError, match="within the support"):
        D.Poisson(1.0).log_prob(ad.tensor(0.5))
    with pytest.raises(ValueError, match="within the support"):
        D.Dirichlet(ad.ones(3)).log_prob(ad.tensor([0.5, 0.5, 0.5]))
    for ours, theirs in pairs:
        assert ours.has_rsample == theirs.has_rsample


def test_standard_gamma_gradient_matches_torch_across_its_regimes():
    """torch's d(draw)/dα: Taylor series (x < 0.8), saddle point (α > 8), rational fit."""
    torch = pytest.importorskip("torch")
    from autodiff.distributions.gamma import _standard_gamma_grad

    alpha = np.array([0.3, 2.0, 20.0, 20.0, 20.0, 3.0, 0.05])
    x = np.array([0.1, 0.5, 20.5, 5.0, 35.0, 2.0, 1e-5])
    want = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(_standard_gamma_grad(alpha, x), want, rtol=1e-12)


def test_dirichlet_gradient_matches_torch_across_its_regimes():
    """torch's d(draw)/dα of a Beta draw: near 0, near 1, α and β large (next to the mean and
    away from it), and the rational correction between."""
    torch = pytest.importorskip("torch")
    from autodiff.distributions.dirichlet_grad import dirichlet_grad

    x = np.array([0.01, 0.98, 0.5, 0.5001, 0.3, 0.4, 0.7])
    alpha = np.array([0.5, 0.4, 10.0, 10.0, 10.0, 3.0, 5.0])
    total = np.array([1.5, 0.9, 20.0, 20.0, 20.0, 12.0, 8.0])
    want = torch._dirichlet_grad(torch.tensor(x), torch.tensor(alpha), torch.tensor(total))
    np.testing.assert_allclose(dirichlet_grad(x, alpha, total), want.detach().numpy(), rtol=1e-12)


def test_validation_messages_are_torch_word_for_word():
    torch = pytest.importorskip("torch")
    cases = [
        lambda m, T: m.Uniform(1.0, 1.0),
        lambda m, T: m.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, -1.0])),
        lambda m, T: m.Exponential(1.0).log_prob(T.tensor(-1.0)),
        lambda m, T: m.Categorical(T.tensor([0.5, 0.5])).log_prob(T.tensor(3)),
        lambda m, T: m.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
        lambda m, T: m.Chi2(-1.0),
        lambda m, T: m.Dirichlet(T.tensor([1.0, -1.0])),
        lambda m, T: m.Beta(1.0, 1.0).log_prob(T.tensor(1.5)),
        lambda m, T: m.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)),
    ]
    for case in cases:
        with pytest.raises(ValueError) as theirs:
            case(torch.distributions, torch)
        with pytest.raises(ValueError) as ours:
            case(D, ad)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("family", ["Normal", "Exponential", "Bernoulli", "Gamma", "Beta",
                                    "Dirichlet", "Poisson"])  # fmt: skip
def test_exponential_family_bregman_forms_equal_the_closed_forms(family):
    """The fallback torch registers for (ExponentialFamily, ExponentialFamily), and its
    entropy from the log normalizer: equal to each family's closed forms."""
    torch = pytest.importorskip("torch")
    from autodiff.distributions.kl import _kl_expfamily_expfamily

    p, _ = _make(torch, family, KL_PARAMS[family], ad)
    q, _ = _make(torch, family, KL_Q[family], ad)
    assert isinstance(p, D.ExponentialFamily)
    assert isinstance(_make(torch, family, KL_PARAMS[family], torch)[0],
                      torch.distributions.ExponentialFamily)  # fmt: skip
    np.testing.assert_allclose(_kl_expfamily_expfamily(p, q).detach().numpy(),
                               D.kl_divergence(p, q).detach().numpy(), rtol=1e-9)  # fmt: skip
    if family in ("Normal", "Exponential", "Bernoulli", "Gamma"):  # E[k(x)] known (torch's)
        bregman = D.ExponentialFamily.entropy(p).detach().numpy()
        np.testing.assert_allclose(bregman, p.entropy().detach().numpy(), rtol=1e-9)
    elif family == "Poisson":  # torch's Poisson has no entropy
        with pytest.raises(NotImplementedError):
            p.entropy()
    assert not isinstance(D.Categorical(ad.ones(2)), D.ExponentialFamily)


def test_a_users_own_family_validates_as_torch():
    """A subclass as tutorials write one: arg_constraints checked, no support: a warning."""

    class Coin(D.Distribution):
        arg_constraints = {"p": D.constraints.unit_interval}

        def __init__(self, p, validate_args=None):
            self.p = ad.tensor(p)
            super().__init__(validate_args=validate_args)

        def log_prob(self, value):
            self._validate_sample(value)
            return value * self.p.log() + (1 - value) * (-self.p).log1p()

    with pytest.raises(ValueError, match="Expected parameter p"):
        Coin(1.5)
    with pytest.warns(UserWarning, match="does not define `support`"):
        Coin(0.25).log_prob(ad.tensor(1.0))
    with pytest.raises(NotImplementedError, match="Coin has no entropy"):
        Coin(0.25).entropy()


def test_enumerate_support_matches_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    pairs = [
        (D.Categorical(ad.ones(2, 3)), TD.Categorical(torch.ones(2, 3))),
        (D.Bernoulli(ad.full((2,), 0.3)), TD.Bernoulli(torch.full((2,), 0.3))),
    ]
    for ours, theirs in pairs:
        assert ours.has_enumerate_support and theirs.has_enumerate_support
        for expand in (True, False):
            got, want = ours.enumerate_support(expand), theirs.enumerate_support(expand)
            assert got.shape == tuple(want.shape) and str(got.dtype) == str(want.dtype)
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert not D.Independent(pairs[1][0], 1).has_enumerate_support


def test_expand_refuses_an_instance_to_fill():
    for dist in (D.Normal(0.0, 1.0), D.Independent(D.Normal(ad.zeros(2), 1.0), 1)):
        with pytest.raises(NotImplementedError, match="_instance"):
            dist.expand((2,), _instance=D.Normal(0.0, 1.0))
