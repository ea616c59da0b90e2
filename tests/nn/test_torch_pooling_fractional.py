"""Fractional max pooling against torch: the windows torch's generate_intervals picks for given
samples (float32 and float64, 2-d and 3-d, many shapes), the same draws under the same seed
(FractionalMaxPool2d/3d without samples), gradients, graphs, second order, NaN, the Modules
(repr, buffer, return_indices) and the errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F


def _case(seed):
    """A random valid configuration: (dims, dtype, x, samples, kernel, output_size)."""
    rng = np.random.default_rng(seed)
    dims = 2 if seed % 2 else 3
    dtype = np.float32 if seed % 3 else np.float64
    spatial = tuple(int(n) for n in rng.integers(3, 12, dims))
    strict = dims == 3  # torch's 3-d check leaves a cell past the last window
    kernel = tuple(int(rng.integers(1, min(4, n - strict) + 1)) for n in spatial)
    out = tuple(int(rng.integers(1, n - k + 2 - strict)) for n, k in zip(spatial, kernel))
    x = rng.standard_normal((2, 3) + spatial).astype(dtype)
    return dims, dtype, x, rng.random((2, 3, dims)).astype(dtype), kernel, out


@pytest.mark.parametrize("seed", range(40))
def test_windows_follow_torch_for_given_samples(seed):
    torch = pytest.importorskip("torch")
    dims, _, x, samples, kernel, out = _case(seed)
    name = f"fractional_max_pool{dims}d"
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    got, indices = ours(ad.tensor(x), kernel, out, return_indices=True,
                        _random_samples=ad.tensor(samples))  # fmt: skip
    want, indices_t = theirs(torch.tensor(x), kernel, out, return_indices=True,
                             _random_samples=torch.tensor(samples))  # fmt: skip
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert indices.dtype == ad.int64 and got.dtype == want.detach().numpy().dtype


@pytest.mark.parametrize("dims", [2, 3])
def test_same_seed_same_windows_as_torch(dims):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4) + (9,) * dims).astype(np.float32)
    cls = f"FractionalMaxPool{dims}d"
    for kwargs in (dict(output_size=4), dict(output_ratio=0.6), dict(output_ratio=[0.5] * dims)):
        ours = getattr(nn, cls)(2, return_indices=True, **kwargs)
        theirs = getattr(torch.nn, cls)(2, return_indices=True, **kwargs)
        assert repr(ours) == repr(theirs)
        torch.manual_seed(11)
        ad.manual_seed(11)
        for _ in range(2):  # fresh samples on every call, the same in both
            (got, indices), (want, indices_t) = ours(ad.tensor(x)), theirs(torch.tensor(x))
            np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        torch.manual_seed(12)
        ad.manual_seed(12)
        got, want = ours(ad.tensor(x[0]))[0], theirs(torch.tensor(x[0]))[0]  # unbatched
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("dims", [2, 3])
def test_gradients_graph_and_second_order_as_torch(dims):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 2 * 7**dims).reshape((2, 2) + (7,) * dims) / 9.0  # no ties
    samples = rng.random((2, 2, dims))
    name = f"fractional_max_pool{dims}d"
    compare(
        torch,
        lambda a: getattr(F, name)(a, 2, 3, _random_samples=ad.tensor(samples)),
        lambda a: getattr(torch.nn.functional, name)(
            a, 2, 3, _random_samples=torch.tensor(samples)
        ),
        x,
    )


def test_nan_wins_the_last_one_as_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = x[0, 0, 2, 3] = np.nan  # two in some windows
    x[0, 0, 4, 4] = 2.0
    samples = np.full((1, 1, 2), 0.3)
    got = F.fractional_max_pool2d(
        ad.tensor(x), 3, 2, return_indices=True, _random_samples=ad.tensor(samples)
    )
    want = torch.nn.functional.fractional_max_pool2d(
        torch.tensor(x), 3, 2, return_indices=True, _random_samples=torch.tensor(samples)
    )
    np.testing.assert_array_equal(got[1].detach().numpy(), want[1].detach().numpy())
    np.testing.assert_array_equal(got[0].detach().numpy(), want[0].detach().numpy())


def test_module_buffer_and_fixed_samples_as_torch():
    torch = pytest.importorskip("torch")
    samples = np.random.default_rng(2).random((1, 2, 2)).astype(np.float32)
    ours = nn.FractionalMaxPool2d((2, 3), output_size=(3, 2), _random_samples=ad.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(
        (2, 3), output_size=(3, 2), _random_samples=torch.tensor(samples)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    assert list(nn.FractionalMaxPool3d(2, output_size=2).state_dict()) == []
    assert ours.kernel_size == theirs.kernel_size and ours.output_size == theirs.output_size
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 7)).astype(np.float32)
    for _ in range(2):  # the same windows every call
        np.testing.assert_array_equal(
            ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy()
        )


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(), dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)):
        with pytest.raises(ValueError):
            torch.nn.FractionalMaxPool2d(2, **kwargs)
        with pytest.raises(ValueError, match="output"):
            nn.FractionalMaxPool2d(2, **kwargs)
    tf = torch.nn.functional
    x2, x3 = np.zeros((1, 2, 5, 5)), np.zeros((1, 2, 3, 3, 3))
    calls = [
        (lambda L, lib: L.fractional_max_pool2d(lib.tensor(x2), 3, 4), "too large"),
        (lambda L, lib: L.fractional_max_pool3d(lib.tensor(x3), 1, 3), "too large"),
        (lambda L, lib: L.fractional_max_pool2d(lib.tensor(x2), 2, 3,
                                                _random_samples=lib.zeros(1, 2, 3)), "samples"),
    ]  # fmt: skip
    for call, match in calls:
        with pytest.raises(RuntimeError):
            call(tf, torch)
        with pytest.raises(RuntimeError, match=match):
            call(F, ad)
    with pytest.raises(IndexError):  # a plane without its channel dim
        tf.fractional_max_pool2d(torch.tensor(x2[0, 0]), 2, 3)
    with pytest.raises(IndexError, match="fractional_max_pool2d: expected"):
        F.fractional_max_pool2d(ad.tensor(x2[0, 0]), 2, 3)
    with pytest.raises(ValueError, match="requires specifying"):
        F.fractional_max_pool2d(ad.tensor(x2), 2)
