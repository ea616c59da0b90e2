"""torch.distributions' transforms over event dims (simplex, matrices, pieces of a tensor),
the constraints they map onto and constraint_registry's biject_to / transform_to against
torch: forward, inverse, log |det J| and their gradients in float64, domains, shapes, caching,
equality, errors, and round trips on hypothesis-drawn inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad

D = ad.distributions


def _transforms(module, lib):
    """name -> (the transform built in either library, the shape of an input)."""
    T = module.transforms
    normal = module.Normal(lib.tensor(0.5, dtype=lib.float64), 2.0)
    pieces = [T.IndependentTransform(T.ExpTransform(), 1), T.AffineTransform(0.0, 2.0, 1)]
    return {
        "softmax": (T.SoftmaxTransform(), (2, 4)),
        "stick_breaking": (T.StickBreakingTransform(), (2, 3)),
        "lower_cholesky": (T.LowerCholeskyTransform(), (2, 3, 3)),
        "positive_definite": (T.PositiveDefiniteTransform(), (2, 3, 3)),
        "corr_cholesky": (T.CorrCholeskyTransform(), (2, 6)),
        "corr_cholesky_2x2": (T.CorrCholeskyTransform(), (3, 1)),
        "cat": (
            T.CatTransform(
                [T.ExpTransform(), T.identity_transform, T.AffineTransform(1.0, 2.0)], -1, [2, 1, 2]
            ),
            (3, 5),
        ),
        "cat_batch_dim": (T.CatTransform(pieces, 0, [1, 2]), (3, 4)),
        "cat_event_dim": (T.CatTransform(pieces, 1, [3, 1]), (2, 4)),
        "stack": (
            T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.identity_transform], 1),
            (4, 3),
        ),
        "stack_last": (T.StackTransform([T.ExpTransform(), T.TanhTransform()], -1), (3, 2)),
        "reshape": (T.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
        "independent": (T.IndependentTransform(T.SigmoidTransform(), 2), (2, 3, 4)),
        "cdf": (T.CumulativeDistributionTransform(normal), (5,)),
        "identity": (T.identity_transform, (2, 3)),
        "stick_breaking_inverse": (T.StickBreakingTransform().inv, (2, 4)),
    }


NAMES = sorted(_transforms(D, ad))


def _input(name, shape):
    x = np.random.default_rng(len(name)).normal(size=shape)
    if name == "stick_breaking_inverse":  # a point of the simplex
        x = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    return x


def _run(lib, t, x):
    """y, inv(y), log |det J| (None where undefined) and the gradient of a mix of them."""
    leaf = lib.tensor(x, requires_grad=True)
    y = t(leaf)
    back = t.inv(y)
    try:
        ladj = t.log_abs_det_jacobian(leaf, y)
    except NotImplementedError:
        ladj = None
    weights = lib.tensor(np.linspace(-1.0, 1.5, y.numel()).reshape(tuple(y.shape)))
    total = (weights * y).sum() + 0.3 * (back * back).sum()
    if ladj is not None:
        total = total + 0.7 * ladj.sum()
    total.backward()
    return [None if v is None else v.detach().numpy() for v in (y, back, ladj, leaf.grad)]


def _answer(fun):
    """fun() or the error it raises (type and message), to compare the two libraries."""
    try:
        return fun()
    except (ValueError, NotImplementedError) as error:
        return type(error).__name__


@pytest.mark.parametrize("name", NAMES)
def test_transform_matches_torch(name):
    """Forward, inverse, log |det J| and the gradients through them; domain, codomain,
    bijective, event_dim, sign, repr and the shapes they map."""
    torch = pytest.importorskip("torch")
    (ours, shape), (theirs, _) = (
        _transforms(D, ad)[name],
        _transforms(torch.distributions, torch)[name],
    )
    x = _input(name, shape)
    got, want = _run(ad, ours, x), _run(torch, theirs, x)
    for a, b, what in zip(got, want, ("y", "inverse", "log_abs_det_jacobian", "grad")):
        assert (a is None) == (b is None), what
        if a is not None:
            assert a.shape == b.shape, what
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=what)
    assert repr(ours) == repr(theirs)
    assert repr(ours.domain) == repr(theirs.domain)
    assert repr(ours.codomain) == repr(theirs.codomain)
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert ours.bijective == theirs.bijective
    assert _answer(lambda: ours.event_dim) == _answer(lambda: theirs.event_dim)
    assert _answer(lambda: ours.sign) == _answer(lambda: theirs.sign)
    y_shape = tuple(theirs.forward_shape(torch.Size(shape)))
    assert tuple(ours.forward_shape(ad.Size(shape))) == y_shape
    assert tuple(ours.inverse_shape(ad.Size(y_shape))) == shape
    assert tuple(ours.inverse_shape(ad.Size(y_shape))) == tuple(theirs.inverse_shape(y_shape))


def test_gradcheck_of_the_structured_jacobians():
    T = D.transforms
    for t, shape in ((T.StickBreakingTransform(), (2, 3)), (T.CorrCholeskyTransform(), (3,))):
        x = ad.tensor(np.random.default_rng(3).normal(size=shape), requires_grad=True)
        assert ad.gradcheck(lambda x, t=t: t.log_abs_det_jacobian(x, t(x)), (x,))
        assert ad.gradcheck(lambda x, t=t: t.inv(t(x)), (x,))


def test_stick_breaking_log_det_is_that_of_its_square_jacobian():
    """log |det| of the map onto the first n coordinates of the simplex, by finite parts."""
    T = D.transforms
    t = T.StickBreakingTransform()
    x0 = np.array([0.3, -1.2, 0.8])
    jac = np.zeros((3, 3))
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-6
        up = t(ad.tensor(x0 + step)).detach().numpy()[:3]
        down = t(ad.tensor(x0 - step)).detach().numpy()[:3]
        jac[:, j] = (up - down) / 2e-6
    x = ad.tensor(x0)
    ladj = t.log_abs_det_jacobian(x, t(x)).item()
    assert ladj == pytest.approx(np.log(abs(np.linalg.det(jac))), rel=1e-6)


BIJECTIVE = ["stick_breaking", "corr_cholesky", "corr_cholesky_2x2", "cat", "cat_batch_dim",
             "stack", "reshape", "independent"]  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(BIJECTIVE),
    values=st.lists(st.floats(-3.0, 3.0), min_size=60, max_size=60),
)
def test_round_trips_on_drawn_inputs(name, values):
    """inv(t(x)) = x, t(x) inside the codomain, and torch's values, for drawn x."""
    torch = pytest.importorskip("torch")
    ours, shape = _transforms(D, ad)[name]
    theirs, _ = _transforms(torch.distributions, torch)[name]
    x = np.array(values[: int(np.prod(shape))]).reshape(shape)
    y = ours(ad.tensor(x))
    np.testing.assert_allclose(ours.inv(y).detach().numpy(), x, rtol=1e-7, atol=1e-7)
    assert bool(np.all(ours.codomain.check(y).detach().numpy()))
    np.testing.assert_allclose(
        y.detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-14
    )


def test_equality_caching_and_with_cache_match_torch():
    torch = pytest.importorskip("torch")
    T, TT = D.transforms, torch.distributions.transforms
    for name in ("SoftmaxTransform", "StickBreakingTransform", "LowerCholeskyTransform",
                 "PositiveDefiniteTransform", "CorrCholeskyTransform"):  # fmt: skip
        ours, theirs = getattr(T, name), getattr(TT, name)
        assert (ours() == ours()) == (theirs() == theirs()), name
        assert (ours() == T.ExpTransform()) is False
    reshape = T.ReshapeTransform((6,), (2, 3))
    assert reshape == reshape and reshape != T.ReshapeTransform((6,), (2, 3))  # as torch's
    cached = T.CatTransform([T.TanhTransform(), T.ExpTransform()], 0, [1, 1], cache_size=1)
    assert all(t._cache_size == 1 for t in cached.transforms)
    x = ad.tensor([30.0, 2.0])  # tanh(30) rounds to 1: only the cache gives x back
    assert cached.inv(cached(x)) is x
    for t in (
        T.StackTransform([T.ExpTransform()], 0),
        T.CatTransform([T.ExpTransform()]),
        T.IndependentTransform(T.ExpTransform(), 1),
        T.ReshapeTransform((2,), (2, 1)),
        T.CumulativeDistributionTransform(D.Normal(0.0, 1.0)),
    ):
        with_cache = t.with_cache(1)
        assert type(with_cache) is type(t) and with_cache._cache_size == 1
        assert t.with_cache(0) is t
    independent = T.IndependentTransform(T.ExpTransform(), 1, cache_size=1)
    assert independent.base_transform._cache_size == 1
    assert T.identity_transform(x) is x and T.identity_transform.inv(x) is x


def test_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda T, lib: T.ReshapeTransform((2, 3), (5,)),
        lambda T, lib: T.ReshapeTransform((2, 3), (3, 2)).forward_shape((4, 3, 2)),
        lambda T, lib: T.ReshapeTransform((2, 3), (3, 2)).inverse_shape((2,)),
        lambda T, lib: T.StickBreakingTransform().forward_shape(()),
        lambda T, lib: T.SoftmaxTransform().inverse_shape(()),
        lambda T, lib: T.CorrCholeskyTransform().forward_shape((4,)),
        lambda T, lib: T.CorrCholeskyTransform().inverse_shape((3, 4)),
        lambda T, lib: T.CorrCholeskyTransform()(lib.zeros(2, dtype=lib.float64)),
        lambda T, lib: T.IndependentTransform(T.ExpTransform(), 2)(lib.zeros(3)),
        lambda T, lib: T.CatTransform([T.ExpTransform()], 0, [1, 2]),
        lambda T, lib: T.CatTransform([T.ExpTransform(), T.ExpTransform()], 0, [1, 2])(
            lib.zeros(4)
        ),
        lambda T, lib: T.CatTransform([T.ExpTransform()], 2)(lib.zeros(1)),
        lambda T, lib: T.StackTransform([T.ExpTransform()], 0).inv(lib.zeros(2)),
        lambda T, lib: T.StackTransform([T.ExpTransform()], -3)(lib.zeros(1, 1)),
        lambda T, lib: T.StackTransform([1.0]),
        lambda T, lib: T.SoftmaxTransform().log_abs_det_jacobian(lib.zeros(2), lib.zeros(2)),
    ]
    for call in calls:
        with pytest.raises(Exception) as want:
            call(torch.distributions.transforms, torch)
        with pytest.raises(want.type) as got:
            call(D.transforms, ad)
        if str(want.value):  # torch's bare NotImplementedError: ours says what is missing
            assert str(got.value) == str(want.value)
    # 4 entries (D = 3.37): torch's one-sided test lets it through to an indexing RuntimeError
    with pytest.raises(ValueError, match="size of last dimension is 4 which cannot be"):
        D.transforms.CorrCholeskyTransform()(ad.zeros(4, dtype=ad.float64))


# ----- constraints and constraint_registry -----


def _constraints(C, lib):
    """The constraints torch's registry has a transform for, built in either library."""
    return {
        "real": C.real,
        "real_vector": C.real_vector,
        "positive": C.positive,
        "nonnegative": C.nonnegative,
        "greater_than": C.greater_than(-1.5),
        "greater_than_eq": C.greater_than_eq(2.0),
        "less_than": C.less_than(3.0),
        "unit_interval": C.unit_interval,
        "interval": C.interval(-2.0, 5.0),
        "interval_tensor": C.interval(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 4.0])),
        "half_open_interval": C.half_open_interval(0.0, 2.0),
        "simplex": C.simplex,
        "lower_cholesky": C.lower_cholesky,
        "positive_definite": C.positive_definite,
        "positive_semidefinite": C.positive_semidefinite,
        "corr_cholesky": C.corr_cholesky,
        "cat": C.cat([C.positive, C.real, C.interval(0.0, 2.0)], -1, [1, 2, 1]),
        "stack": C.stack([C.positive, C.less_than(1.0)], -1),
        "independent": C.independent(C.greater_than(1.0), 1),
    }


CONSTRAINTS = sorted(_constraints(D.constraints, ad))
SHAPES = {"lower_cholesky": (2, 3, 3), "positive_definite": (2, 3, 3),
          "positive_semidefinite": (2, 3, 3), "corr_cholesky": (2, 3), "stack": (3, 2),
          "interval_tensor": (4, 2)}  # fmt: skip


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", CONSTRAINTS)
def test_registry_matches_torch(name, registry):
    """The same transform (repr, values, log |det J|, gradients), landing in the region; a
    constraint torch has no transform for raises NotImplementedError as torch's."""
    torch = pytest.importorskip("torch")
    ours_c = _constraints(D.constraints, ad)[name]
    theirs_c = _constraints(torch.distributions.constraints, torch)[name]
    try:
        theirs = getattr(torch.distributions, registry)(theirs_c)
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError, match=str(error)):
            getattr(D, registry)(ours_c)
        return
    ours = getattr(D, registry)(ours_c)
    assert repr(ours) == repr(theirs)
    assert type(ours).__name__ == type(theirs).__name__
    x = np.random.default_rng(5).normal(size=SHAPES.get(name, (2, 4)))
    got, want = _run(ad, ours, x), _run(torch, theirs, x)
    for a, b in zip(got, want):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    y = ours(ad.tensor(x))
    assert bool(np.all(ours_c.check(y).detach().numpy()))
    assert bool(np.all(theirs_c.check(torch.tensor(y.detach().numpy())).detach().numpy()))


def test_new_constraints_check_as_torch():
    torch = pytest.importorskip("torch")
    C, TC = D.constraints, torch.distributions.constraints
    corr = np.array([[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.7]], [[1.0, 0.5], [0, 1.0]]])
    # symmetric: the eigenvalues decide (a zero one, exactly, passes); with one asymmetric
    # matrix in the batch, torch answers the symmetry check alone
    psd = np.array([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]])
    asymmetric = np.concatenate([psd, [[[1.0, 0.0], [0.1, 1]]]])
    values = np.array([[1.0, -2.0, 3.0, 0.5], [-0.5, 1.0, -1.0, 2.5], [2.0, 0.0, 1.0, 3.0]])
    cases = [
        ("corr_cholesky", lambda C: C.corr_cholesky, corr),
        ("positive_semidefinite", lambda C: C.positive_semidefinite, psd),
        ("positive_semidefinite_asymmetric", lambda C: C.positive_semidefinite, asymmetric),
        ("cat", lambda C: C.cat([C.real, C.positive, C.unit_interval], -1, [2, 1, 1]), values),
        ("cat_batch", lambda C: C.cat([C.positive, C.real], 0, [1, 2]), values),
        ("stack", lambda C: C.stack([C.positive, C.real, C.nonnegative], 0), values),
        ("stack_event", lambda C: C.stack([C.simplex, C.real_vector], -1), values.T[:, :2]),
        # along the last dim, numbers make a vector: event_dim 1
        (
            "stack_last",
            lambda C: C.stack([C.positive, C.real, C.less_than(1.0)], -1),
            values[:, :3],
        ),
    ]
    for name, make, value in cases:
        got = make(C).check(ad.tensor(value)).detach().numpy()
        want = make(TC).check(torch.tensor(value)).detach().numpy()
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert repr(make(C)) == repr(make(TC)), name
        assert make(C).event_dim == make(TC).event_dim, name
        assert make(C).is_discrete == make(TC).is_discrete, name
    assert C.cat([C.nonnegative_integer, C.real]).is_discrete
    with pytest.raises(AssertionError, match="lengths"):
        C.cat([C.real], 0, [1, 2])
    with pytest.raises(AssertionError, match="Constraint instances"):
        C.stack([1.0])


def test_register_adds_a_constraint_class():
    T, C = D.transforms, D.constraints
    registry = D.constraint_registry.ConstraintRegistry()

    class _Odd(C.Constraint):
        def check(self, value):
            return value % 2 == 1

    @registry.register(_Odd)
    def _to_odd(constraint):
        return T.ExpTransform()

    registry.register(C.positive, lambda constraint: T.SoftplusTransform())  # an instance
    assert isinstance(registry(_Odd()), T.ExpTransform)
    assert isinstance(registry(C.greater_than(3.0)), T.SoftplusTransform)  # by class
    with pytest.raises(NotImplementedError, match="Cannot transform _Simplex constraints"):
        registry(C.simplex)
    with pytest.raises(TypeError, match="Constraint subclass or instance, but got 3"):
        registry.register(3, _to_odd)
    assert D.biject_to is D.constraint_registry.biject_to


def test_fitting_a_constrained_parameter_through_transform_to_matches_torch():
    """A positive scale and a simplex of weights fitted as unconstrained tensors by SGD."""
    torch = pytest.importorskip("torch")
    data = np.array([0.3, -1.2, 2.5, 0.7, 1.1])
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        C = module.constraints
        raw_scale = lib.zeros(1, dtype=lib.float64, requires_grad=True)
        raw_weights = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        for _ in range(5):
            scale = module.transform_to(C.positive)(raw_scale)
            weights = module.biject_to(C.simplex)(raw_weights)
            mix = module.MixtureSameFamily(
                module.Categorical(probs=weights),
                module.Normal(lib.tensor([-1.0, 0.5, 2.0], dtype=lib.float64), scale),
            )
            loss = -mix.log_prob(lib.tensor(data)).sum()
            loss.backward()
            with lib.no_grad():
                for p in (raw_scale, raw_weights):
                    p -= 0.05 * p.grad
                    p.grad.zero_()
        results.append([loss.item(), *scale.detach().numpy(), *weights.detach().numpy()])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_transformed_distributions_through_the_new_transforms_match_torch():
    """A distribution over correlation Cholesky factors, a reshaped Normal and a copula's
    marginal (CumulativeDistributionTransform): shapes, supports, seeded draws, log_prob."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, module in ((ad, D), (torch, torch.distributions)):
        T = module.transforms
        zeros = lib.zeros(2, 3, dtype=lib.float64)
        base = module.Independent(module.Normal(zeros, lib.ones(3, dtype=lib.float64)), 1)
        standard = module.Normal(lib.tensor(0.0, dtype=lib.float64), 1.0)
        made = [
            module.TransformedDistribution(base, [T.CorrCholeskyTransform()]),
            module.TransformedDistribution(
                module.Normal(lib.zeros(4, 6, dtype=lib.float64), 1.0),
                [T.ReshapeTransform((6,), (2, 3))],
            ),
            module.TransformedDistribution(
                module.Normal(lib.zeros(4, dtype=lib.float64), 2.0),
                [T.CumulativeDistributionTransform(standard)],
            ),
        ]
        out = []
        for dist in made:
            lib.manual_seed(0)
            draws = dist.sample((2,))
            out.append((tuple(dist.batch_shape), tuple(dist.event_shape), repr(dist.support),
                        draws.detach().numpy(), dist.log_prob(draws).detach().numpy()))  # fmt: skip
        results.append(out)
    for ours, theirs in zip(*results):
        assert ours[:3] == theirs[:3]
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-10)


def test_signatures_match_torch():
    """Argument names, order and defaults of the new classes, transforms and registry."""
    torch = pytest.importorskip("torch")
    import inspect

    pairs = [(getattr(D, n), getattr(torch.distributions, n)) for n in (
        "SoftmaxTransform", "StickBreakingTransform", "LowerCholeskyTransform",
        "PositiveDefiniteTransform", "CorrCholeskyTransform", "CatTransform", "StackTransform",
        "ReshapeTransform", "IndependentTransform", "CumulativeDistributionTransform",
        "LogisticNormal", "LowRankMultivariateNormal", "LKJCholesky", "Wishart")]  # fmt: skip
    pairs = [(ours.__init__, theirs.__init__) for ours, theirs in pairs]
    pairs += [
        (D.Wishart.rsample, torch.distributions.Wishart.rsample),
        (D.constraint_registry.ConstraintRegistry.register,
         torch.distributions.constraint_registry.ConstraintRegistry.register),
        (D.constraints.cat, torch.distributions.constraints.cat),
        (D.constraints.stack, torch.distributions.constraints.stack),
        (D.CorrCholeskyTransform.log_abs_det_jacobian,
         torch.distributions.CorrCholeskyTransform.log_abs_det_jacobian),
    ]  # fmt: skip
    for ours, theirs in pairs:
        ours, theirs = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
        assert list(ours) == list(theirs), (ours, theirs)
        for key, param in ours.items():
            assert param.default == theirs[key].default, key


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(
        [
            n
            for n in CONSTRAINTS
            if n not in ("lower_cholesky", "positive_definite", "positive_semidefinite")
        ]
    ),  # fmt: skip
    values=st.lists(st.floats(-4.0, 4.0), min_size=12, max_size=12),
)
def test_biject_to_round_trips_on_drawn_inputs(name, values):
    """biject_to(c)(x) lands in c, and its inverse gives x back (to rounding)."""
    constraint = _constraints(D.constraints, ad)[name]
    transform = D.biject_to(constraint)
    shape = SHAPES.get(name, (2, 4))
    x = np.array(values[: int(np.prod(shape))]).reshape(shape)
    y = transform(ad.tensor(x))
    assert bool(np.all(constraint.check(y).detach().numpy()))
    np.testing.assert_allclose(transform.inv(y).detach().numpy(), x, rtol=1e-6, atol=1e-6)
