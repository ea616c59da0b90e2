"""The 1-d and 3-d companions of nn's layers and their F forms, against torch (values, float64
gradients, recorded nodes, warnings and errors) and float64 finite differences: max_unpool1d,
the *_with_indices forms, 3-d padding, lp_pool1d/2d, channel_shuffle, feature_alpha_dropout,
multilabel_margin_loss, triplet_margin_with_distance_loss, upsample*, NLLLoss2d,
InstanceNorm3d. test_torch_modules.py compares each Module's state_dict, output and gradients."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng


def _x(*shape, seed=0):
    return rng(seed).standard_normal(shape)


def _names(out) -> list:
    """Every node behind out, depth first, with torch's AccumulateGrad spelled as ours."""
    names, stack = [], [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None:
            names.append(node.name().replace("torch::autograd::", ""))
            stack.extend(child for child, _ in node.next_functions)
    return names


def _against_torch(ours_fn, torch_fn, *arrays, same_graph=True):
    """Value, gradients of the float inputs under a random upstream, and the recorded nodes."""
    floats = [a.dtype.kind == "f" for a in arrays]
    ours = [ad.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
    theirs = [torch.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
    out, want = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-10,
                               atol=1e-12)  # fmt: skip
    assert out.dtype == want.detach().numpy().dtype
    upstream = _x(*want.shape, seed=9)
    (out * ad.tensor(upstream)).sum().backward()
    (want * torch.tensor(upstream)).sum().backward()
    for a, t, f in zip(ours, theirs, floats):
        if f:
            np.testing.assert_allclose(
                a.grad.detach().numpy(), t.grad.detach().numpy(), rtol=1e-9, atol=1e-12
            )
    if same_graph:
        assert _names(out) == _names(want)


def _raises_as_torch(call, kind, match):
    """Ours raises kind with a message naming the op; torch raises too."""
    with pytest.raises(kind, match=match):
        call(F, ad)
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)):
        call(TF, torch)


# max_unpool1d and the *_with_indices forms


@pytest.mark.parametrize("shape,kernel,stride,padding", [
    ((2, 3, 8), 2, None, 0), ((3, 9), 3, 2, 1), ((1, 2, 7), 2, 1, 0), ((2, 1, 0 + 4), 4, 4, 0),
])  # fmt: skip
def test_max_pool1d_with_indices_and_max_unpool1d_match_torch(shape, kernel, stride, padding):
    def pool_unpool(L):
        def run(x):
            values, indices = L.max_pool1d_with_indices(x, kernel, stride, padding)
            assert indices.dtype in (np.int64, torch.int64)
            return L.max_unpool1d(values, indices, kernel, stride, padding, output_size=shape[-1:])

        return run

    # unbatched, our max_pool1d adds a batch dim around torch's nodes
    _against_torch(pool_unpool(F), pool_unpool(TF), _x(*shape), same_graph=len(shape) == 3)


@pytest.mark.parametrize("change", [None, 1, "full", -1])
@pytest.mark.parametrize("kernel,stride,padding,length", [(2, None, 0, 8), (3, 2, 1, 7),
                                                          (4, 3, 2, 6)])  # fmt: skip
def test_max_unpool1d_output_size_forms(change, kernel, stride, padding, length):
    """The default size (max pooling's input size), one more or less, and the (N, C, L) form."""
    v, i = TF.max_pool1d(torch.tensor(_x(2, 3, length)), kernel, stride, padding,
                         return_indices=True)  # fmt: skip
    args = (kernel, stride, padding)
    size = {None: None, 1: (length + 1,), "full": [2, 3, length], -1: (length - 1,)}[change]
    ours = lambda: F.max_unpool1d(
        ad.tensor(v.detach().numpy()), ad.tensor(i.detach().numpy()), *args, size
    )  # noqa: E731
    try:
        want = TF.max_unpool1d(v, i, *args, output_size=size)
    except (ValueError, RuntimeError) as error:  # a size or an index torch refuses: so do we
        with pytest.raises(type(error), match="max_unpool1d: .*(invalid output_size|invalid max)"):
            ours()
        return
    np.testing.assert_array_equal(ours().detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("fn,shape,size", [
    ("adaptive_max_pool1d_with_indices", (2, 3, 7), 3),
    ("adaptive_max_pool1d_with_indices", (3, 5), 5),
    ("adaptive_max_pool2d_with_indices", (2, 3, 5, 7), (2, 3)),
    ("adaptive_max_pool2d_with_indices", (3, 4, 4), (None, 2)),
])  # fmt: skip
def test_with_indices_forms_always_return_the_pair(fn, shape, size):
    x = _x(*shape)
    (values, indices), (want, want_indices) = (
        getattr(F, fn)(ad.tensor(x), size),
        getattr(TF, fn)(torch.tensor(x), size),
    )
    np.testing.assert_array_equal(values.detach().numpy(), want.detach().numpy())
    np.testing.assert_array_equal(indices.detach().numpy(), want_indices.detach().numpy())
    assert indices.dtype == np.int64


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.max_unpool1d(t.ones(2, 3, 4), t.zeros(2, 3, 4, dtype=t.int64), 2,
                                 output_size=(5,)), ValueError, "max_unpool1d: invalid output_size"),
    (lambda L, t: L.max_unpool1d(t.ones(2, 3, 4), t.zeros(2, 3, 4, dtype=t.int64), 2,
                                 output_size=(3, 8)), ValueError, "1 or 3 elements"),
    (lambda L, t: L.max_unpool2d(t.ones(2, 3, 4, 4), t.zeros(2, 3, 4, 4, dtype=t.int64), 2,
                                 output_size=(3, 8, 8)), ValueError, "2 or 4 elements"),
    (lambda L, t: L.max_unpool1d(t.ones(3, 4, 1, 1), t.zeros(3, 4, 1, 1, dtype=t.int64), 2),
     ValueError, "max_unpool1d: expected a 2-D or 3-D input"),
    (lambda L, t: L.max_unpool1d(t.ones(2, 4), t.zeros(2, 3, dtype=t.int64), 2),
     ValueError, "indices of its shape"),
    (lambda L, t: L.max_unpool1d(t.ones(2, 4), t.zeros(2, 4), 2), RuntimeError, "int64"),
    (lambda L, t: L.max_unpool1d(t.ones(2, 4), t.full((2, 4), 9, dtype=t.int64), 2),
     IndexError, "invalid max index: 9"),
])  # fmt: skip
def test_max_unpool_errors(call, kind, match):
    _raises_as_torch(call, kind, match)


# 3-d padding and InstanceNorm3d


@pytest.mark.parametrize("name,args", [("ZeroPad3d", ((1, 0, 2, 1, 0, 2),)),
                                       ("ConstantPad3d", (1, -0.5)),
                                       ("ReflectionPad3d", ((1, 2, 0, 3, 2, 1),)),
                                       ("ReflectionPad3d", (1,)), ("CircularPad3d", (2,)),
                                       ("ReplicationPad3d", (2,)),
                                       ("CircularPad3d", ((1, 2, 1, 0, 2, 1),))])  # fmt: skip
@pytest.mark.parametrize("shape", [(2, 3, 3, 4, 5), (3, 3, 4, 5)])
def test_3d_padding_matches_torch_batched_and_not(name, args, shape):
    _against_torch(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), _x(*shape))


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.pad(t.ones(1, 2, 3, 3, 3), (3, 0, 0, 0, 0, 0), mode="reflect"), ValueError,
     "less than the corresponding input dimension"),
    (lambda L, t: L.pad(t.ones(2, 3, 4), (1,) * 6, mode="replicate"), ValueError,
     "Padding size 6 is not supported for 3D input"),
    (lambda L, t: (nn if L is F else torch.nn).CircularPad3d(1)(t.ones(2, 3)), ValueError,
     "CircularPad3d: expected 4D or 5D input"),
])  # fmt: skip
def test_3d_padding_errors(call, kind, match):
    _raises_as_torch(call, kind, match)


def test_batch_norm_3d_refuses_what_torch_refuses():
    _raises_as_torch(lambda L, t: (nn if L is F else torch.nn).BatchNorm3d(3)(t.ones(2, 3, 4, 4)),
                     ValueError, r"BatchNorm3d: expected 5D input \(got 4D")  # fmt: skip


def test_instance_norm_3d_unbatched_and_errors():
    x = _x(3, 2, 3, 4)
    theirs = torch.nn.InstanceNorm3d(3, affine=True).double()
    _against_torch(nn.InstanceNorm3d(3, affine=True, dtype=ad.float64), theirs, x)
    with pytest.raises(ValueError, match=r"InstanceNorm3d: expected 4D or 5D input \(got 3D"):
        nn.InstanceNorm3d(3)(ad.ones(3, 4, 5))


# LP pooling


@pytest.mark.parametrize("norm_type", [1, 1.5, 2, 3, math.inf, -math.inf])
@pytest.mark.parametrize("fn,shape,kernel,stride,ceil", [
    ("lp_pool1d", (2, 3, 7), 3, None, False), ("lp_pool1d", (3, 8), 2, 1, True),
    ("lp_pool2d", (2, 2, 5, 6), 2, None, False), ("lp_pool2d", (2, 5, 7), (2, 3), (1, 2), True),
])  # fmt: skip
def test_lp_pool_matches_torch(fn, shape, kernel, stride, ceil, norm_type):
    x = np.abs(_x(*shape)) + 0.1  # a window's sum of powers stays positive: no root of zero
    batched = len(shape) == (3 if fn == "lp_pool1d" else 4)  # see max_pool1d's test above
    _against_torch(lambda t: getattr(F, fn)(t, norm_type, kernel, stride, ceil),
                   lambda t: getattr(TF, fn)(t, norm_type, kernel, stride, ceil), x,
                   same_graph=batched)  # fmt: skip


def test_lp_pool_of_signed_input_is_torchs_and_passes_finite_differences():
    x = _x(2, 3, 6)  # a window's negative sum of cubes has no real cube root: NaN, as torch
    with np.errstate(invalid="ignore"):
        _against_torch(lambda t: F.lp_pool1d(t, 3, 2), lambda t: TF.lp_pool1d(t, 3, 2), x)
    assert ad.gradcheck(lambda t: F.lp_pool2d(t, 2, 2), ad.tensor(np.abs(_x(1, 2, 4, 4)) + 0.5,
                                                                  requires_grad=True))  # fmt: skip


# channel shuffle


@pytest.mark.parametrize("shape,groups", [((2, 6, 2, 3), 3), ((2, 6, 5), 2), ((1, 4, 2), 4),
                                          ((3, 5, 2, 2, 2), 1), ((0, 6, 3), 3)])  # fmt: skip
def test_channel_shuffle_matches_torch(shape, groups):
    x = _x(*shape)
    _against_torch(
        lambda t: F.channel_shuffle(t, groups), lambda t: TF.channel_shuffle(t, groups), x
    )


def test_channel_shuffle_finite_differences_both_orders():
    x = ad.tensor(_x(2, 6, 2), requires_grad=True)
    assert ad.gradcheck(lambda t: F.channel_shuffle(t, 3), x)
    assert ad.gradgradcheck(lambda t: F.channel_shuffle(t, 3) ** 2, x)


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.channel_shuffle(t.ones(2, 6, 3), 4), ValueError, "divisible by groups"),
    (lambda L, t: L.channel_shuffle(t.ones(2, 6), 2), ValueError, "at least 3-D"),
    (lambda L, t: L.channel_shuffle(t.ones(2, 6, 3), 0), ValueError, "must be positive"),
])  # fmt: skip
def test_channel_shuffle_errors(call, kind, match):
    _raises_as_torch(call, kind, match)


# feature alpha dropout


@pytest.mark.parametrize("shape,p", [((4, 5, 3, 2), 0.4), ((3, 6), 0.5), ((2, 3, 4), 0.9)])
@pytest.mark.parametrize("inplace", [False, True])
def test_feature_alpha_dropout_draws_torchs_mask(shape, p, inplace):
    x = _x(*shape)
    ad.manual_seed(3)
    torch.manual_seed(3)
    ours = F.feature_alpha_dropout(ad.tensor(x.copy()), p, True, inplace).detach().numpy()
    want = TF.feature_alpha_dropout(torch.tensor(x.copy()), p, True, inplace).detach().numpy()
    np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-15)


def test_feature_alpha_dropout_identity_cases_and_errors():
    x = ad.tensor(_x(2, 3, 4))
    assert F.feature_alpha_dropout(x, 0.5, training=False) is x
    assert F.feature_alpha_dropout(x, 0.0, training=True) is x
    np.testing.assert_array_equal(F.feature_alpha_dropout(x, 1.0, True).detach().numpy(), 0)
    _raises_as_torch(lambda L, t: L.feature_alpha_dropout(t.ones(6), 0.5, True), ValueError,
                     "Feature dropout requires at least 2 dimensions")  # fmt: skip
    _raises_as_torch(lambda L, t: L.feature_alpha_dropout(t.ones(2, 3), 1.5, True), ValueError,
                     "between 0 and 1")  # fmt: skip


# multilabel margin loss

TARGETS = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [1, 1, -1, 2, 0], [-1, 0, 1, 2, 3]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(reduction):
    _against_torch(lambda x, y: F.multilabel_margin_loss(x, y, reduction=reduction),
                   lambda x, y: TF.multilabel_margin_loss(x, y, reduction=reduction),
                   _x(4, 5) * 0.5, TARGETS)  # fmt: skip


def test_multilabel_margin_loss_unbatched_0d_and_finite_differences():
    _against_torch(F.multilabel_margin_loss, TF.multilabel_margin_loss, _x(5), TARGETS[2])
    zero_d = F.multilabel_margin_loss(ad.tensor(0.3), ad.tensor(0))
    assert zero_d.shape == () and zero_d.item() == TF.multilabel_margin_loss(
        torch.tensor(0.3), torch.tensor(0)).item()  # fmt: skip
    x = ad.tensor(_x(4, 5) * 0.3, requires_grad=True)
    target = ad.tensor(TARGETS)
    assert ad.gradcheck(lambda t: F.multilabel_margin_loss(t, target, reduction="none"), x)


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.multilabel_margin_loss(t.ones(2, 3), t.tensor([[0, 5, -1], [0, 1, 2]])),
     IndexError, "out of range"),
    (lambda L, t: L.multilabel_margin_loss(t.ones(2, 3), t.tensor([[0, 1], [0, 1]])),
     ValueError, "target of its shape"),
    (lambda L, t: L.multilabel_margin_loss(t.ones(2, 3), t.ones(2, 3)), TypeError, "int64"),
])  # fmt: skip
def test_multilabel_margin_loss_errors(call, kind, match):
    _raises_as_torch(call, kind, match)


# triplet margin with a distance function


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_margin_with_distance_loss_matches_torch(swap, reduction):
    def loss(L):
        cosine = lambda a, b: 1 - L.cosine_similarity(a, b)  # noqa: E731
        return lambda a, p, n: L.triplet_margin_with_distance_loss(
            a, p, n, distance_function=cosine, margin=0.5, swap=swap, reduction=reduction)  # fmt: skip

    arrays = (_x(4, 3), _x(4, 3, seed=3), _x(4, 3, seed=4))
    # the distances' own graphs differ from torch's (our cosine_similarity records
    # ExpandBackward0s, our pairwise_distance LinalgVectorNormBackward0 for torch's
    # NormBackward1): values and gradients only
    _against_torch(loss(F), loss(TF), *arrays, same_graph=False)
    default = lambda L: lambda a, p, n: L.triplet_margin_with_distance_loss(a, p, n, swap=swap)  # noqa: E731
    _against_torch(default(F), default(TF), *arrays, same_graph=False)


@pytest.mark.parametrize("call,kind,match", [
    (lambda L, t: L.triplet_margin_with_distance_loss(t.ones(2, 3), t.ones(2, 3), t.ones(3)),
     ValueError, "same number of dimensions"),
    (lambda L, t: L.triplet_margin_with_distance_loss(t.ones(2), t.ones(2), t.ones(2), margin=0),
     ValueError, "margin must be greater than 0"),
    (lambda L, t: L.triplet_margin_with_distance_loss(t.ones(2), t.ones(2), t.ones(2),
                                                      reduction="max"), ValueError, "max"),
])  # fmt: skip
def test_triplet_margin_with_distance_loss_errors(call, kind, match):
    _raises_as_torch(call, kind, match)


# deprecated names


@pytest.mark.parametrize("fn,kwargs", [("upsample", {"mode": "bilinear", "align_corners": False}),
                                       ("upsample", {}), ("upsample_nearest", {}),
                                       ("upsample_bilinear", {})])  # fmt: skip
def test_upsample_aliases_warn_and_interpolate_as_torch(fn, kwargs):
    x = _x(1, 2, 3, 4)
    with pytest.warns(UserWarning, match=rf"`nn.functional.{fn}` is deprecated. Use "
                      r"`nn.functional.interpolate` instead."):  # fmt: skip
        ours = getattr(F, fn)(ad.tensor(x), scale_factor=2, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(TF, fn)(torch.tensor(x), scale_factor=2, **kwargs)
    np.testing.assert_allclose(ours.detach().numpy(), want.detach().numpy(), rtol=1e-12)


def test_nll_loss_2d_warns_and_is_nll_loss():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        loss = nn.NLLLoss2d(ignore_index=1)
    assert isinstance(loss, nn.NLLLoss) and loss.ignore_index == 1


# 3-d adaptive average pooling


@pytest.mark.parametrize("shape,size", [((2, 3, 4, 5, 6), (2, 3, 4)), ((3, 5, 4, 7), (3, 2, None)),
                                        ((2, 3, 4, 5, 6), 1), ((1, 2, 3, 3, 3), (5, 4, 3))])  # fmt: skip
def test_adaptive_avg_pool3d_matches_torch(shape, size):
    _against_torch(lambda t: F.adaptive_avg_pool3d(t, size),
                   lambda t: TF.adaptive_avg_pool3d(t, size), _x(*shape))  # fmt: skip


def test_adaptive_avg_pool3d_finite_differences_both_orders_and_errors():
    x = ad.tensor(_x(1, 2, 3, 4, 5), requires_grad=True)
    assert ad.gradcheck(lambda t: F.adaptive_avg_pool3d(t, (2, 3, 2)), x)
    assert ad.gradgradcheck(lambda t: F.adaptive_avg_pool3d(t, (2, 3, 2)) ** 2, x)
    _raises_as_torch(lambda L, t: L.adaptive_avg_pool3d(t.ones(2, 3, 4), 2), ValueError,
                     "adaptive_avg_pool3d: expected a 4-D")  # fmt: skip


# 3-d average pooling

AVG_POOL_3D = [
    ((2, 3, 4, 5, 6), dict(kernel_size=2)),
    ((2, 3, 5, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((3, 5, 6, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=True)),
    ((2, 3, 5, 5, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False,
                           ceil_mode=True)),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, divisor_override=3)),
    ((1, 1, 7, 7, 7), dict(kernel_size=3, stride=3, ceil_mode=True)),
    # ceil_mode's last window would start in the right padding (3 · 2 = 5 + 1): dropped
    ((1, 2, 5, 5, 4), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
]  # fmt: skip


@pytest.mark.parametrize("shape,options", AVG_POOL_3D)
def test_avg_pool3d_matches_torch(shape, options):
    _against_torch(lambda t: F.avg_pool3d(t, **options), lambda t: TF.avg_pool3d(t, **options),
                   _x(*shape))  # fmt: skip


def test_avg_pool3d_finite_differences_both_orders_and_errors():
    x = ad.tensor(_x(1, 2, 4, 4, 5), requires_grad=True)
    pool = lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False)  # noqa: E731
    assert ad.gradcheck(pool, x)
    assert ad.gradgradcheck(lambda t: pool(t) ** 2, x)
    _raises_as_torch(lambda L, t: L.avg_pool3d(t.ones(2, 3, 4), 2), ValueError,
                     "avg_pool3d: expected a 4-D")  # fmt: skip
    _raises_as_torch(lambda L, t: L.avg_pool3d(t.ones(1, 1, 4, 4, 4), 2, padding=2), ValueError,
                     "at most half")  # fmt: skip
    _raises_as_torch(lambda L, t: L.avg_pool3d(t.ones(1, 1, 2, 4, 4), 3), ValueError,
                     "output size")  # fmt: skip


# 3-d max pooling

MAX_POOL_3D = [
    ((2, 3, 4, 5, 6), dict(kernel_size=2)),
    ((2, 3, 5, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((3, 5, 6, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=True)),
    ((2, 3, 7, 6, 7), dict(kernel_size=2, dilation=2, stride=1)),
    ((2, 3, 7, 6, 7), dict(kernel_size=3, dilation=(1, 2, 2), stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 5, 5, 4), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
]  # fmt: skip


@pytest.mark.parametrize("shape,options", MAX_POOL_3D)
def test_max_pool3d_matches_torch_values_indices_gradients(shape, options):
    x = _x(*shape)
    _against_torch(lambda t: F.max_pool3d(t, **options), lambda t: TF.max_pool3d(t, **options), x)
    (_, indices), (_, want) = (F.max_pool3d(ad.tensor(x), return_indices=True, **options),
                               TF.max_pool3d(torch.tensor(x), return_indices=True, **options))  # fmt: skip
    np.testing.assert_array_equal(indices.detach().numpy(), want.detach().numpy())
    assert indices.dtype == np.int64


def test_max_pool3d_nan_wins_finite_differences_both_orders_and_errors():
    x = np.array([[[[[1.0, np.nan], [3.0, 2.0]]]]])
    out, indices = F.max_pool3d(ad.tensor(x), (1, 2, 2), return_indices=True)
    assert np.isnan(out.item()) and indices.item() == 1  # torch's: a NaN is the maximum
    t = ad.tensor(_x(1, 2, 4, 4, 5), requires_grad=True)
    pool = lambda a: F.max_pool3d(a, 3, 2, 1, ceil_mode=True)  # noqa: E731
    assert ad.gradcheck(pool, t)
    assert ad.gradgradcheck(lambda a: pool(a) ** 2, t)
    _raises_as_torch(lambda L, t: L.max_pool3d(t.ones(2, 3, 4), 2), ValueError,
                     "max_pool3d: expected a 4-D")  # fmt: skip
    _raises_as_torch(lambda L, t: L.max_pool3d(t.ones(1, 1, 4, 4, 4), 2, padding=2), ValueError,
                     "at most half")  # fmt: skip


# 3-d convolution

CONV_3D = [
    ((2, 4, 4, 5, 6), (6, 2, 2, 3, 2), dict(groups=2)),
    ((2, 3, 5, 5, 6), (4, 3, 3, 3, 3), dict(stride=2, padding=1)),
    ((3, 5, 6, 7), (2, 3, 2, 2, 3), dict(dilation=(1, 2, 1), padding=(1, 0, 2))),
    ((1, 2, 5, 4, 5), (3, 2, 3, 2, 2), dict(padding="same", dilation=2)),
    # an even kernel: 'same' pads one cell more after than before (torch: F.pad first, warned)
    ((1, 2, 5, 4, 5), (3, 2, 3, 2, 4), dict(padding="same")),
    ((1, 2, 5, 4, 5), (3, 2, 3, 2, 2), dict(padding="valid", stride=(2, 1, 3))),
]  # fmt: skip


@pytest.mark.parametrize("x_shape,w_shape,options", CONV_3D)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
def test_conv3d_matches_torch(x_shape, w_shape, options):
    arrays = _x(*x_shape), _x(*w_shape, seed=1), _x(w_shape[0], seed=2)
    _against_torch(lambda x, w, b: F.conv3d(x, w, b, **options),
                   lambda x, w, b: TF.conv3d(x, w, b, **options), *arrays)  # fmt: skip


def test_conv3d_finite_differences_both_orders_and_errors():
    x = ad.tensor(_x(1, 4, 3, 4, 3), requires_grad=True)
    w = ad.tensor(_x(2, 2, 2, 2, 2, seed=1), requires_grad=True)
    conv = lambda a, b: F.conv3d(a, b, stride=(1, 2, 1), padding=1, groups=2)  # noqa: E731
    assert ad.gradcheck(conv, (x, w))
    assert ad.gradgradcheck(lambda a, b: conv(a, b) ** 2, (x, w))
    _raises_as_torch(lambda L, t: L.conv3d(t.ones(1, 3, 4, 4, 4), t.ones(2, 2, 2, 2, 2)),
                     ValueError, "expected input with 2 channels")  # fmt: skip
    _raises_as_torch(lambda L, t: L.conv3d(t.ones(1, 2, 1, 4, 4), t.ones(2, 2, 2, 2, 2)),
                     ValueError, "output size")  # fmt: skip
    _raises_as_torch(lambda L, t: L.conv3d(t.ones(2, 3, 4), t.ones(2, 2, 2, 2, 2)),
                     ValueError, "conv3d: expected a 4-D")  # fmt: skip
    _raises_as_torch(lambda L, t: L.conv3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2),
                                           stride=2, padding="same"), ValueError, "strided")  # fmt: skip
