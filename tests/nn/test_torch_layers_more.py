"""1-d pooling, F.interpolate/Upsample, GroupNorm, channel dropout and the distance functions
against torch: values, gradients, node names, finite differences, second order, modules'
state dicts and reprs, errors."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match


def _compare(torch, ours, theirs, *arrays, rtol=1e-10, node=True):
    """ours(*tensors) against theirs(*torch tensors): values, every input's gradient under a
    random upstream gradient, and the node name."""
    xa = [ad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = ours(*xa), theirs(*xt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=rtol, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    for a, t in zip(xa, xt):
        np.testing.assert_allclose(
            a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=rtol, atol=1e-12
        )
    if node:
        assert out.grad_fn.name() == type(out_t.grad_fn).__name__


POOLS = [
    ("max_pool1d", dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool1d", dict(kernel_size=2, ceil_mode=True, dilation=2)),
    ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("avg_pool1d", dict(kernel_size=2, ceil_mode=True)),
    ("adaptive_avg_pool1d", dict(output_size=3)),
]


@pytest.mark.parametrize("name,kwargs", POOLS)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)])
def test_pool1d_matches_torch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 7.0  # tie-free
    fn, fn_t = getattr(F, name), getattr(torch.nn.functional, name)
    _compare(torch, lambda a: fn(a, **kwargs), lambda a: fn_t(a, **kwargs), x)
    assert_gradients_match(lambda a: fn(a, **kwargs), ad.tensor(x, requires_grad=True))


INTERPOLATIONS = [
    ((2, 3, 5), dict(scale_factor=2)),
    ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=2.5, mode="nearest-exact")),
    ((2, 2, 4, 5), dict(scale_factor=2)),
    ((2, 2, 4, 5), dict(size=(3, 7))),
    ((2, 2, 4, 5), dict(scale_factor=(1.5, 3), mode="bilinear")),
    ((2, 2, 4, 5), dict(size=(7, 9), mode="bilinear", align_corners=True)),
    ((2, 2, 4, 5), dict(size=(3, 2), mode="bilinear")),
    ((2, 2, 6, 4), dict(size=(4, 3), mode="area")),
    ((1, 1, 5, 5), dict(scale_factor=0.7, mode="bilinear", recompute_scale_factor=True)),
    ((1, 1, 3, 3), dict(scale_factor=1.7)),
    ((2, 2, 4, 5), dict(scale_factor=2, mode="bicubic")),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bicubic")),  # up along H, down along W
    ((2, 2, 4, 5), dict(size=(9, 11), mode="bicubic", align_corners=True)),
    ((1, 2, 6, 6), dict(scale_factor=0.6, mode="bicubic")),
    ((1, 1, 2, 2), dict(scale_factor=1.5, mode="bicubic", recompute_scale_factor=True)),
    ((1, 1, 1, 3), dict(size=(4, 1), mode="bicubic")),  # one input or output along an axis
    ((2, 2, 3, 4, 5), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 6), mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.7), mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2)),  # nearest, 3-d
    ((1, 2, 3, 4, 2), dict(size=(4, 6, 3), mode="nearest-exact")),
    ((1, 2, 4, 6, 4), dict(size=(2, 3, 3), mode="area")),
]


@pytest.mark.parametrize("shape,kwargs", INTERPOLATIONS)
def test_interpolate_matches_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal(shape)
    _compare(
        torch,
        lambda a: F.interpolate(a, **kwargs),
        lambda a: torch.nn.functional.interpolate(a, **kwargs),
        x,
    )


def test_interpolate_float32_matches_torch_and_is_differentiable_twice():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((1, 2, 5, 6)).astype(np.float32)
    for kwargs in (dict(scale_factor=1.3, mode="bilinear"), dict(scale_factor=1.7)):
        ours = F.interpolate(ad.tensor(x), **kwargs).detach().numpy()
        theirs = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    xa = ad.tensor(x[:, :1, :3, :3].astype(np.float64), requires_grad=True)
    assert_gradients_match(lambda a: F.interpolate(a, size=(4, 5), mode="bilinear"), xa)
    assert ad.gradgradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"), (xa,))


def test_bicubic_and_trilinear_in_float32_and_second_order():
    """float32 values within rounding of torch's (the weights are computed in float64 here, in
    float32 by torch); the gradient of a gradient through finite differences."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape, kwargs in [
        ((1, 2, 5, 6), dict(scale_factor=1.6, mode="bicubic")),
        ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="trilinear", align_corners=True)),
    ]:
        x = rng.standard_normal(shape).astype(np.float32)
        ours = F.interpolate(ad.tensor(x), **kwargs).detach().numpy()
        theirs = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        xa = ad.tensor(rng.standard_normal(shape[:1] + (1,) + shape[2:]), requires_grad=True)
        assert ad.gradgradcheck(lambda a, kw=kwargs: F.interpolate(a, **kw), (xa,))


def test_upsample_modules_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
         torch.nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (nn.UpsamplingBilinear2d(size=(5, 7)), torch.nn.UpsamplingBilinear2d(size=(5, 7))),
        (nn.Upsample(scale_factor=1.5, mode="bicubic"),
         torch.nn.Upsample(scale_factor=1.5, mode="bicubic")),
    ]  # fmt: skip
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(
            ours(ad.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            rtol=1e-12,
            atol=1e-12,
        )


def test_interpolate_errors():
    x = ad.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="mode 'cubic' is not supported"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match=r"mode 'trilinear' expects a 5-D input"):
        F.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match=r"mode 'bicubic' expects a 4-D input"):
        F.interpolate(ad.zeros(1, 1, 2, 2, 2), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(
        ValueError, match=r"mode 'linear' expects a 3-D input, got shape \(1, 1, 4, 4\)"
    ):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match=r"expected a 3-D \(N, C, L\), 4-D .* or 5-D"):
        F.interpolate(ad.zeros(4, 4), scale_factor=2)


GROUPS = [((2, 6, 5), 3, True), ((3, 4, 2, 3), 2, True), ((2, 4), 4, False), ((2, 6, 3), 1, True)]


@pytest.mark.parametrize("shape,groups,affine", GROUPS)
def test_group_norm_matches_torch_with_second_order(shape, groups, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape) * 2 + 1
    params = [rng.standard_normal(shape[1]) for _ in range(2)] if affine else []

    def ours(a, *wb):
        return F.group_norm(a, groups, *wb)

    def theirs(a, *wb):
        return torch.nn.functional.group_norm(a, groups, *wb)

    _compare(torch, ours, theirs, x, *params)
    xa = ad.tensor(x, requires_grad=True)
    wb = [ad.tensor(p, requires_grad=True) for p in params]
    assert_gradients_match(ours, xa, *wb)
    assert ad.gradgradcheck(ours, (xa, *wb))
    xt = torch.tensor(x, requires_grad=True)
    (ga,) = ad.grad((ours(xa, *wb) ** 3).sum(), xa, create_graph=True)
    (gt,) = torch.autograd.grad((theirs(xt, *map(torch.tensor, params)) ** 3).sum(), xt,
                                create_graph=True)  # fmt: skip
    (gga,) = ad.grad((ga * ga).sum(), xa)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gga.detach().numpy(), ggt.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_group_norm_module_matches_torch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(), dict(affine=False), dict(eps=1e-3, bias=False)):
        ours, theirs = nn.GroupNorm(2, 4, **kwargs), torch.nn.GroupNorm(2, 4, **kwargs)
        assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="num_channels=5 must be divisible by num_groups=2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"divisible by num_groups.*\(2, 6, 3\).*num_groups=4"):
        F.group_norm(ad.zeros(2, 6, 3), 4)


@pytest.mark.parametrize(
    "fn,shape,within",  # within: the axes of one channel, which is kept or dropped as a whole
    [(F.dropout1d, (4, 50, 3), (2,)), (F.dropout1d, (50, 3), (1,)),
     (F.dropout2d, (4, 50, 3, 2), (2, 3)), (F.dropout3d, (2, 50, 2, 2, 2), (2, 3, 4))],
)  # fmt: skip
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(fn, shape, within):
    ad.manual_seed(0)
    x = ad.tensor(np.random.default_rng(6).uniform(1, 2, shape), requires_grad=True)
    out = fn(x, p=0.3)
    kept = out.detach().numpy() != 0
    per_channel = kept.all(axis=within) | ~kept.any(axis=within)
    assert per_channel.all()  # each channel entirely kept or entirely dropped
    np.testing.assert_allclose(
        out.detach().numpy()[kept], x.detach().numpy()[kept] / 0.7, rtol=1e-12
    )
    assert 0.4 < kept.mean() < 0.95
    out.backward(ad.ones_like(out))
    np.testing.assert_allclose(x.grad.detach().numpy(), kept / 0.7, rtol=1e-12)
    assert fn(x, p=0.3, training=False) is x


def test_channel_dropout_modules_warnings_and_errors_as_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs, shape in ((nn.Dropout1d(), torch.nn.Dropout1d(), (2, 3, 4)),
                                (nn.Dropout2d(0.3), torch.nn.Dropout2d(0.3), (2, 3, 4, 4)),
                                (nn.Dropout3d(0.2, True), torch.nn.Dropout3d(0.2, True),
                                 (2, 3, 4, 4, 4))):  # fmt: skip
        assert repr(ours) == repr(theirs)
        x = ad.ones(*shape)
        assert ours.eval()(x) is x
    with pytest.raises(ValueError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(ad.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        F.dropout2d(ad.ones(2, 3, 4))
    with pytest.raises(ValueError, match="probability has to be between 0 and 1"):
        nn.Dropout2d(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ad.ones(2, 3, 4, 5)
        assert (F.dropout2d(x, p=1.0).detach().numpy() == 0).all()


def test_channel_dropout_on_other_dims_warns_torchs_words():
    """dropout2d/3d of a 2-D input: torch's whole deprecation warning (a user sees it)."""
    torch = pytest.importorskip("torch")
    for ours, theirs in ((F.dropout2d, torch.nn.functional.dropout2d),
                         (F.dropout3d, torch.nn.functional.dropout3d)):  # fmt: skip
        with pytest.warns(UserWarning) as mine:
            ours(ad.ones(2, 3), training=False)
        with pytest.warns(UserWarning) as expected:
            theirs(torch.ones(2, 3), training=False)
        assert str(mine[0].message) == str(expected[0].message)


def test_distances_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((1, 5))
    a[1] = 0  # a zero vector: the eps clamp
    cases = [
        (lambda x: F.normalize(x), lambda x: torch.nn.functional.normalize(x), (a,)),
        (lambda x: F.normalize(x, p=1, dim=0), lambda x: torch.nn.functional.normalize(x, 1, 0),
         (a,)),
        (lambda x, y: F.cosine_similarity(x, y), lambda x, y: torch.nn.functional.cosine_similarity(
            x, y), (a + 0.1, b)),
        (lambda x, y: F.cosine_similarity(x, y, dim=0), lambda x, y: torch.nn.functional
         .cosine_similarity(x, y, dim=0), (a, a[::-1].copy())),
        (lambda x, y: F.pairwise_distance(x, y), lambda x, y: torch.nn.functional.pairwise_distance(
            x, y), (a, b)),
        (lambda x, y: F.pairwise_distance(x, y, 1.0, keepdim=True), lambda x, y: torch.nn.functional
         .pairwise_distance(x, y, 1.0, keepdim=True), (a, b)),
    ]  # fmt: skip
    for ours, theirs, arrays in cases:
        _compare(torch, ours, theirs, *arrays, node=False)
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
    x, y = ad.tensor(a + 0.1), ad.tensor(b)
    np.testing.assert_array_equal(nn.CosineSimilarity(dim=1)(x, y).detach().numpy(),
                                  F.cosine_similarity(x, y).detach().numpy())  # fmt: skip
    np.testing.assert_array_equal(nn.PairwiseDistance()(x, y).detach().numpy(),
                                  F.pairwise_distance(x, y).detach().numpy())  # fmt: skip
    with pytest.raises(ValueError, match=r"cosine_similarity: x1 \(4, 5\) and x2 \(3, 5\)"):
        F.cosine_similarity(ad.zeros(4, 5), ad.zeros(3, 5))
