"""nn.init's structured and truncated initialisers against torch: trunc_normal_'s seeded draws
bit for bit (both of torch's sampling branches, float32 and float64), orthogonal_ to rounding
(LAPACK's QR), eye_ and dirac_ exactly, the deprecated names' FutureWarning, and the errors."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from nn import init

torch = pytest.importorskip("torch")

DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _both(fill_ours, fill_torch, shape, dtype=np.float32, seed=0):
    """Fill zeros of the shape with each library's initialiser after the same seed."""
    ad.manual_seed(seed)
    torch.manual_seed(seed)
    ours = ad.zeros(shape, dtype=dtype)
    assert fill_ours(ours) is ours  # in place, the tensor itself returned
    return ours.detach().numpy(), fill_torch(
        torch.zeros(shape, dtype=DTYPES[dtype])
    ).detach().numpy()


# (mean, std, a, b): the normal redrawn outside [a, b] (mass > 0.3: GPT's std=0.02, the
# defaults) and uniform draws accepted under the density (a narrow or distant window)
TRUNCATIONS = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (0.0, 1.0, -0.5, 0.5),
               (0.5, 2.0, 0.0, 0.3), (0.0, 1.0, 1.5, 4.0), (1.0, 0.5, 0.8, 1.1)]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (40, 50), (17,), ()])
@pytest.mark.parametrize("mean,std,a,b", TRUNCATIONS)
def test_trunc_normal_draws_torchs_numbers(mean, std, a, b, shape, dtype):
    ours, theirs = _both(lambda t: init.trunc_normal_(t, mean, std, a, b),
                         lambda t: torch.nn.init.trunc_normal_(t, mean, std, a, b), shape, dtype)  # fmt: skip
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == dtype and ((ours >= a) & (ours <= b)).all()


def test_trunc_normal_generator_and_statistics():
    g = ad.Generator().manual_seed(5)
    ours = (
        init.trunc_normal_(ad.zeros(200, 100), std=0.5, a=-0.5, b=1.0, generator=g).detach().numpy()
    )
    theirs = torch.nn.init.trunc_normal_(torch.zeros(200, 100), std=0.5, a=-0.5, b=1.0,
                                         generator=torch.Generator().manual_seed(5))  # fmt: skip
    np.testing.assert_array_equal(ours, theirs.detach().numpy())
    # the truncated normal's mean: std·(φ(α) − φ(β)) / (Φ(β) − Φ(α)), α = -1, β = 2
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    cdf = torch.distributions.Normal(0.0, 1.0).cdf
    mass = float(cdf(torch.tensor(2.0)) - cdf(torch.tensor(-1.0)))
    assert ours.mean() == pytest.approx(0.5 * (phi(-1) - phi(2)) / mass, abs=0.01)


def test_trunc_normal_warns_as_torch_when_the_mean_is_far():
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\]"):
        init.trunc_normal_(ad.zeros(4), mean=5.0, std=1.0, a=-1.0, b=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.trunc_normal_(ad.zeros(4), mean=0.0, std=1.0)


def test_trunc_normal_of_a_parameter_stays_a_leaf_outside_the_graph():
    w = ad.zeros(3, 4, requires_grad=True)
    assert init.trunc_normal_(w, std=0.02) is w and w.is_leaf and w.grad_fn is None


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6), (1, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_matches_torch(shape, dtype):
    ours, theirs = _both(lambda t: init.orthogonal_(t, gain=1.5),
                         lambda t: torch.nn.init.orthogonal_(t, gain=1.5), shape, dtype)  # fmt: skip
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, theirs, atol=tol)
    flat = ours.reshape(shape[0], -1).astype(np.float64) / 1.5
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, np.eye(len(small)), atol=10 * tol)


def test_orthogonal_of_an_empty_tensor_draws_nothing():
    ad.manual_seed(0)
    init.orthogonal_(ad.zeros(0, 3))
    after = ad.rand(3).detach().numpy()
    ad.manual_seed(0)
    np.testing.assert_array_equal(after, ad.rand(3).detach().numpy())


@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (5, 2), (0, 3)])
def test_eye_matches_torch(shape):
    ours, theirs = _both(init.eye_, torch.nn.init.eye_, shape, np.float64)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 4, 3, 3), 2), ((4, 6, 3, 3, 2), 2),
                                          ((2, 5, 4), 1), ((6, 2, 2, 2), 3)])  # fmt: skip
def test_dirac_matches_torch(shape, groups):
    ours, theirs = _both(lambda t: init.dirac_(t, groups),
                         lambda t: torch.nn.init.dirac_(t, groups), shape)  # fmt: skip
    np.testing.assert_array_equal(ours, theirs)


def test_dirac_weight_passes_its_input_through_a_convolution():
    import nn

    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = ad.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.detach().numpy(), rtol=1e-6)


DEPRECATED = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
              "kaiming_uniform", "kaiming_normal", "orthogonal"]  # fmt: skip
ARGS = {"constant": (0.25,)}
SHAPES = {"dirac": (2, 2, 3)}


@pytest.mark.parametrize("old", DEPRECATED)
def test_deprecated_names_warn_as_torch_and_fill_the_same(old):
    shape = SHAPES.get(old, (4, 3))
    args = ARGS.get(old, ())
    with pytest.warns(FutureWarning) as ours_warned:
        ours, theirs = _both(lambda t: getattr(init, old)(t, *args),
                             lambda t: getattr(torch.nn.init, old)(t, *args), shape, np.float64)  # fmt: skip
    messages = [str(w.message) for w in ours_warned if w.category is FutureWarning]
    assert messages == [f"`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`."] * 2
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda L, t: L.eye_(t.zeros(2, 2, 2)), "2 dimensions"),
    (lambda L, t: L.eye_(t.zeros(3)), "2 dimensions"),
    (lambda L, t: L.dirac_(t.zeros(2, 2)), "3, 4, or 5 dimensions"),
    (lambda L, t: L.dirac_(t.zeros(5, 2, 3), groups=2), "divisible by groups"),
    (lambda L, t: L.orthogonal_(t.zeros(4)), "2 or more dimensions"),
])  # fmt: skip
def test_errors_are_torchs(call, match):
    with pytest.raises(ValueError, match=match) as ours:
        call(init, ad)
    with pytest.raises(ValueError, match=match):
        call(torch.nn.init, torch)
    assert str(ours.value).split(":")[0] in ("eye_", "dirac_", "orthogonal_")
