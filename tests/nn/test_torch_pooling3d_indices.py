"""The 3-d pooling that works with indices, and LPPool3d, against torch: adaptive_max_pool3d
(values, flat D·H·W indices, gradients, graphs, second order; ties and NaN), max_pool3d_with
_indices, max_unpool3d (default and given output sizes), lp_pool3d for finite and infinite
powers, their Modules (reprs, return_indices) and the errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F


def _tie_free(*shape):
    return np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 7.0


@pytest.mark.parametrize("output_size", [2, (3, None, 2), (4, 5, 3), (1, 1, 1), (3, 2, 3)])
@pytest.mark.parametrize("shape", [(2, 2, 4, 5, 3), (2, 4, 5, 3)])
def test_adaptive_max_pool3d_matches_torch(output_size, shape):
    torch = pytest.importorskip("torch")
    x = _tie_free(*shape)
    tf = torch.nn.functional
    compare(
        torch,
        lambda a: F.adaptive_max_pool3d(a, output_size),
        lambda a: tf.adaptive_max_pool3d(a, output_size),
        x,
    )
    out, indices = F.adaptive_max_pool3d_with_indices(ad.tensor(x), output_size)
    out_t, indices_t = tf.adaptive_max_pool3d(torch.tensor(x), output_size, return_indices=True)
    assert indices.dtype == ad.int64
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())


def test_adaptive_max_pool3d_ties_and_nan_as_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 3, 4, 4))
    x[0, 0, 1, 1, 2] = np.nan
    x[0, 0, 2, 3, 3] = 1.0
    out, indices = F.adaptive_max_pool3d(ad.tensor(x), 2, True)
    out_t, indices_t = torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), 2, True)
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    np.testing.assert_array_equal(
        out.detach().numpy(), out_t.detach().numpy()
    )  # NaN where torch has NaN


@pytest.mark.parametrize(
    "kwargs",
    [dict(kernel_size=2), dict(kernel_size=(2, 3, 2), stride=(2, 3, 2), padding=1),
     dict(kernel_size=3, stride=2, padding=1, dilation=(1, 1, 2), ceil_mode=True)],
    ids=str,
)  # fmt: skip
def test_max_pool3d_with_indices_and_max_unpool3d_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = _tie_free(2, 2, 5, 6, 7)
    out, indices = F.max_pool3d_with_indices(ad.tensor(x), **kwargs)
    out_t, indices_t = tf.max_pool3d_with_indices(torch.tensor(x), **kwargs)
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    if "dilation" in kwargs:  # unpooling has no dilation
        return
    unpool = {k: v for k, v in kwargs.items() if k in ("kernel_size", "stride", "padding")}
    unpool["output_size"] = x.shape[2:]  # the size pooled from: where the indices point
    compare(
        torch,
        lambda a: F.max_unpool3d(a, indices, **unpool),
        lambda a: tf.max_unpool3d(a, indices_t, **unpool),
        out_t.detach().numpy(),
    )


def test_max_unpool3d_output_size_and_module_as_torch():
    torch = pytest.importorskip("torch")
    x = _tie_free(1, 2, 4, 4, 4)
    pool, pool_t = nn.MaxPool3d(2, return_indices=True), torch.nn.MaxPool3d(2, return_indices=True)
    (out, indices), (out_t, indices_t) = pool(ad.tensor(x)), pool_t(torch.tensor(x))
    unpool, unpool_t = nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)
    assert repr(unpool) == repr(unpool_t)
    for size in (None, (5, 5, 4), (1, 2, 5, 4, 5)):
        got = unpool(out, indices, output_size=size)
        want = unpool_t(out_t, indices_t, output_size=size)
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    unbatched = unpool(out[0], indices[0])
    np.testing.assert_array_equal(
        unbatched.detach().numpy(), unpool_t(out_t[0], indices_t[0]).detach().numpy()
    )


def test_adaptive_max_pool3d_module_as_torch():
    torch = pytest.importorskip("torch")
    x = _tie_free(2, 3, 4, 5, 6)
    for args in ((2,), ((3, None, 2), True)):
        ours, theirs = nn.AdaptiveMaxPool3d(*args), torch.nn.AdaptiveMaxPool3d(*args)
        assert repr(ours) == repr(theirs)
        got, want = ours(ad.tensor(x)), theirs(torch.tensor(x))
        got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("norm_type", [2, 1.5, 1, float("inf"), -float("inf")])
@pytest.mark.parametrize(
    "kwargs",
    [dict(kernel_size=2), dict(kernel_size=(2, 3, 2), stride=(1, 2, 1)),
     dict(kernel_size=2, stride=2, ceil_mode=True)],
    ids=str,
)  # fmt: skip
def test_lp_pool3d_matches_torch(norm_type, kwargs):
    torch = pytest.importorskip("torch")
    x = np.abs(_tie_free(2, 2, 5, 4, 5)) + 0.1
    compare(
        torch,
        lambda a: F.lp_pool3d(a, norm_type, **kwargs),
        lambda a: torch.nn.functional.lp_pool3d(a, norm_type, **kwargs),
        x,
        second_order=norm_type != 1,  # |x|^1 has a kink the finite differences see
    )
    ours, theirs = nn.LPPool3d(norm_type, **kwargs), torch.nn.LPPool3d(norm_type, **kwargs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(
        ours(ad.tensor(x[0])).detach().numpy(),
        theirs(torch.tensor(x[0])).detach().numpy(),
        rtol=1e-12,
    )


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = _tie_free(1, 2, 4, 4, 4)
    out_t, indices_t = tf.max_pool3d(torch.tensor(x), 2, return_indices=True)
    out, indices = ad.tensor(out_t.detach().numpy()), ad.tensor(indices_t.detach().numpy())
    calls = [
        (lambda L, o, i: L.max_unpool3d(o, i * 100, 2), RuntimeError, "invalid max index"),
        (lambda L, o, i: L.max_unpool3d(o, i, 2, output_size=(9, 9, 9)), ValueError, "size"),
        (lambda L, o, i: L.max_unpool3d(o, i[..., :1], 2), RuntimeError, "indices"),
        (lambda L, o, i: L.adaptive_max_pool3d(o[0, 0], 2), RuntimeError, "4-D"),
        (lambda L, o, i: L.adaptive_max_pool3d(o, (2, 2)), RuntimeError, "output_size"),
    ]
    for call, error, match in calls:
        with pytest.raises(error):
            call(tf, out_t, indices_t)
        with pytest.raises(error, match=match):
            call(F, out, indices)
