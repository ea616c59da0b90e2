"""max_pool2d/max_pool1d(return_indices=True), adaptive max pooling and max unpooling against
torch: values, indices, gradients, recorded graphs, finite differences, second order, Modules,
errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F


def _tie_free(*shape):
    return np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 5.0


@pytest.mark.parametrize("output_size", [3, (2, 4), (None, 2), (7, 6), (1, 1), (5, 4)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 7, 6)])
def test_adaptive_max_pool2d_matches_torch(output_size, shape):
    torch = pytest.importorskip("torch")
    x = _tie_free(*shape)
    tf = torch.nn.functional
    compare(
        torch,
        lambda a: F.adaptive_max_pool2d(a, output_size),
        lambda a: tf.adaptive_max_pool2d(a, output_size),
        x,
    )
    out, indices = F.adaptive_max_pool2d(ad.tensor(x), output_size, return_indices=True)
    out_t, indices_t = tf.adaptive_max_pool2d(torch.tensor(x), output_size, return_indices=True)
    assert indices.dtype == ad.int64
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())


@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 8)])
def test_adaptive_max_pool1d_matches_torch(shape):
    torch = pytest.importorskip("torch")
    x = _tie_free(*shape)
    tf = torch.nn.functional
    compare(torch, lambda a: F.adaptive_max_pool1d(a, 3), lambda a: tf.adaptive_max_pool1d(a, 3), x)
    ours, theirs = nn.AdaptiveMaxPool1d(3, True), torch.nn.AdaptiveMaxPool1d(3, True)
    assert repr(ours) == repr(theirs)
    (o, i), (ot, it) = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(i.detach().numpy(), it.detach().numpy())
    np.testing.assert_array_equal(o.detach().numpy(), ot.detach().numpy())


def test_adaptive_max_pool_ties_and_nan_as_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = np.nan
    x[0, 0, 3, 3] = 1.0
    for ours, theirs in [
        (
            F.adaptive_max_pool2d(ad.tensor(x), 2, True),
            torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), 2, True),
        ),
        (
            F.adaptive_max_pool2d(ad.tensor(-x), 3, True),
            torch.nn.functional.adaptive_max_pool2d(torch.tensor(-x), 3, True),
        ),
    ]:
        np.testing.assert_array_equal(ours[1].detach().numpy(), theirs[1].detach().numpy())
        np.testing.assert_array_equal(ours[0].detach().numpy(), theirs[0].detach().numpy())


POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, dilation=2, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", POOLS)
def test_max_pool_return_indices_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    x = _tie_free(2, 3, 7, 6)
    tf = torch.nn.functional
    (o, i), (ot, it) = (
        F.max_pool2d(ad.tensor(x), return_indices=True, **kwargs),
        tf.max_pool2d(torch.tensor(x), return_indices=True, **kwargs),
    )
    assert i.dtype == ad.int64
    np.testing.assert_array_equal(i.detach().numpy(), it.detach().numpy())
    np.testing.assert_array_equal(o.detach().numpy(), ot.detach().numpy())
    (o, i) = F.max_pool2d_with_indices(ad.tensor(x), **kwargs)
    np.testing.assert_array_equal(i.detach().numpy(), it.detach().numpy())
    (o, i), (ot, it) = (
        F.max_pool1d(ad.tensor(x[0, :, 0]), return_indices=True, **kwargs),
        tf.max_pool1d(torch.tensor(x[0, :, 0]), return_indices=True, **kwargs),
    )
    np.testing.assert_array_equal(i.detach().numpy(), it.detach().numpy())
    ours, theirs = (
        nn.MaxPool2d(return_indices=True, **kwargs),
        torch.nn.MaxPool2d(return_indices=True, **kwargs),
    )
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(
        ours(ad.tensor(x))[1].detach().numpy(), theirs(torch.tensor(x))[1].detach().numpy()
    )


def test_max_pool_module_takes_torchs_positional_order():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.MaxPool2d(2, 2, 0, 1, True, True), torch.nn.MaxPool2d(2, 2, 0, 1, True, True)
    assert (
        (ours.return_indices, ours.ceil_mode)
        == (theirs.return_indices, theirs.ceil_mode)
        == (True, True)
    )


UNPOOLS = [
    (dict(kernel_size=2), None),
    (dict(kernel_size=2, stride=2), (7, 6)),
    (dict(kernel_size=(2, 3), stride=(2, 3)), None),
]


@pytest.mark.parametrize("kwargs,output_size", UNPOOLS)
@pytest.mark.parametrize("batched", [True, False])
def test_max_unpool2d_matches_torch(kwargs, output_size, batched):
    torch = pytest.importorskip("torch")
    pooled, indices = F.max_pool2d(ad.tensor(_tie_free(2, 3, 7, 6)), return_indices=True, **kwargs)
    if not batched:
        pooled, indices = pooled[0], indices[0]
    it = torch.tensor(indices.detach().numpy())
    tf = torch.nn.functional
    compare(
        torch,
        lambda a: F.max_unpool2d(a, indices, output_size=output_size, **kwargs),
        lambda a: tf.max_unpool2d(a, it, output_size=output_size, **kwargs),
        pooled.detach().numpy(),
    )
    ours, theirs = nn.MaxUnpool2d(**kwargs), torch.nn.MaxUnpool2d(**kwargs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(
        ours(pooled, indices, output_size).detach().numpy(),
        theirs(torch.tensor(pooled.detach().numpy()), it, output_size).detach().numpy(),
    )


def test_max_unpool2d_with_overlapping_windows_matches_torch():
    torch = pytest.importorskip("torch")
    x = _tie_free(1, 2, 5, 5)
    pooled, indices = F.max_pool2d(ad.tensor(x), 3, stride=1, return_indices=True)
    a = ad.tensor(pooled.detach().numpy(), requires_grad=True)
    t = torch.tensor(pooled.detach().numpy(), requires_grad=True)
    out = F.max_unpool2d(a, indices, 3, stride=1)
    out_t = torch.nn.functional.max_unpool2d(t, torch.tensor(indices.detach().numpy()), 3, stride=1)
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.detach().numpy(), t.grad.detach().numpy())


def test_pooling_with_indices_errors():
    torch = pytest.importorskip("torch")
    pooled, indices = F.max_pool2d(ad.tensor(_tie_free(1, 1, 4, 4)), 2, return_indices=True)
    with pytest.raises(
        IndexError, match=r"Found an invalid max index: \d+ \(output volumes are of size 3x3\)"
    ):
        F.max_unpool2d(pooled, indices, 2, output_size=(3, 3))
    with pytest.raises(RuntimeError, match="invalid max index"):
        torch.nn.functional.max_unpool2d(
            torch.tensor(pooled.detach().numpy()),
            torch.tensor(indices.detach().numpy()),
            2,
            output_size=(3, 3),
        )
    with pytest.raises(
        ValueError, match=r'invalid output_size "\(2, 2\)" \(dim 0 must be between 2 and 6'
    ):
        F.max_unpool2d(pooled, indices, 2, output_size=(2, 2))
    with pytest.raises(ValueError, match="invalid output_size"):
        torch.nn.functional.max_unpool2d(
            torch.tensor(pooled.detach().numpy()),
            torch.tensor(indices.detach().numpy()),
            2,
            output_size=(2, 2),
        )
    with pytest.raises(ValueError, match="indices of its shape"):
        F.max_unpool2d(pooled, indices[..., :1], 2)
    with pytest.raises(ValueError, match="output_size must be a positive int"):
        F.adaptive_max_pool2d(ad.ones(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match="expected a 3-D"):
        F.adaptive_max_pool2d(ad.ones(4, 4), 2)
    with pytest.raises(ValueError, match="expected a 2-D"):
        F.adaptive_max_pool1d(ad.ones(4), 2)


@pytest.mark.parametrize(
    "kwargs", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), padding=(1, 0))]
)
def test_max_unpool2d_default_output_size_as_torch(kwargs):
    torch = pytest.importorskip("torch")
    values = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    indices = np.array([[[[0, 2, 4], [7, 9, 11]]]])
    ours = F.max_unpool2d(ad.tensor(values), ad.tensor(indices), **kwargs)
    theirs = torch.nn.functional.max_unpool2d(torch.tensor(values), torch.tensor(indices), **kwargs)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
