"""RMSNorm, InstanceNorm1d/2d and LocalResponseNorm (and their F forms) against torch: values,
gradients, recorded graphs, finite differences, second order, running statistics, state dicts,
reprs, warnings and errors."""

import warnings

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

RMS = [((2, 3, 5), (5,), True, None), ((2, 3, 4), (3, 4), True, 1e-3), ((4, 6), (6,), False, None)]


@pytest.mark.parametrize("shape,normalized,weighted,eps", RMS)
def test_rms_norm_matches_torch(shape, normalized, weighted, eps):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    w = [rng.standard_normal(normalized)] if weighted else []
    compare(
        torch,
        lambda a, *w: F.rms_norm(a, normalized, *w, eps=eps),
        lambda a, *w: torch.nn.functional.rms_norm(a, normalized, *w, eps=eps),
        x,
        *w,
    )


def test_rms_norm_refuses_an_int_shape_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="normalized_shape' must be a tuple of ints, not int"):
        F.rms_norm(ad.zeros(2, 3), 3)
    with pytest.raises(TypeError):
        torch.nn.functional.rms_norm(torch.zeros(2, 3), 3)


def test_rms_norm_module_matches_torch():
    torch = pytest.importorskip("torch")
    for args, kwargs in [((4,), {}), (([3, 4],), dict(eps=1e-6, elementwise_affine=False))]:
        ours, theirs = nn.RMSNorm(*args, **kwargs), torch.nn.RMSNorm(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    ours, theirs = nn.RMSNorm(4), torch.nn.RMSNorm(4, dtype=torch.float64)
    ours.load_state_dict({"weight": ad.tensor([1.0, 2.0, 3.0, 4.0])})
    theirs.load_state_dict({"weight": torch.tensor([1.0, 2.0, 3.0, 4.0])})
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    out = ours(ad.tensor(x))
    assert out.dtype == ad.float32
    np.testing.assert_allclose(
        out.detach().numpy(), theirs(torch.tensor(x, dtype=torch.float64)).detach(), rtol=1e-6
    )
    with pytest.raises(
        ValueError, match=r"expected input with shape \[\*, 4\], but got input of size \(2, 3\)"
    ):
        ours(ad.zeros(2, 3))


INSTANCE = [((2, 3, 5), True), ((3, 2, 4, 3), False), ((1, 2, 3, 2), True)]


@pytest.mark.parametrize("shape,affine", INSTANCE)
def test_instance_norm_matches_torch(shape, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape) * 2 + 1
    wb = [rng.standard_normal(shape[1]) for _ in range(2)] if affine else []
    compare(
        torch,
        lambda a, *wb: F.instance_norm(a, None, None, *wb),
        lambda a, *wb: torch.nn.functional.instance_norm(a, None, None, *wb),
        x,
        *wb,
        rtol=1e-9,
    )


@pytest.mark.parametrize(
    "name,shape", [("InstanceNorm1d", (4, 3, 6)), ("InstanceNorm2d", (2, 3, 4, 5))]
)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_instance_norm_modules_track_running_stats_as_torch(name, shape, momentum):
    torch = pytest.importorskip("torch")
    kwargs = dict(affine=True, track_running_stats=True, momentum=momentum)
    ours, theirs = (
        getattr(nn, name)(3, **kwargs),
        getattr(torch.nn, name)(3, **kwargs, dtype=torch.float64),
    )
    ours.double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(9)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        np.testing.assert_allclose(
            ours(ad.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach(),
            rtol=1e-9,
            atol=1e-12,
        )
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[key].detach().numpy(), value.detach().numpy(), rtol=1e-9
        )
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape[1:])  # unbatched, with the running statistics
    compare(torch, ours, theirs, x, rtol=1e-9)


def test_instance_norm_module_defaults_errors_and_warnings_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.InstanceNorm2d(4), torch.nn.InstanceNorm2d(4)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        ours(ad.ones(2, 3, 2, 2))
    with pytest.raises(ValueError, match="expected input's size at dim=0 to match num_features"):
        nn.InstanceNorm1d(4, affine=True)(ad.ones(3, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected 2D or 3D input \(got 4D"):
        nn.InstanceNorm1d(4)(ad.ones(1, 4, 2, 2))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ad.ones(2, 3, 1))
    with pytest.raises(ValueError):
        torch.nn.functional.instance_norm(torch.ones(2, 3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(3)(ad.ones(2, 3, 4))


LRN = [
    ((2, 5, 4), 3, {}),
    ((2, 6, 3, 2), 4, dict(alpha=0.5, beta=0.6, k=2.0)),
    ((1, 4, 2, 2, 3), 2, {}),
]


@pytest.mark.parametrize("shape,size,kwargs", LRN)
def test_local_response_norm_matches_torch(shape, size, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(10).standard_normal(shape)
    compare(
        torch,
        lambda a: F.local_response_norm(a, size, **kwargs),
        lambda a: torch.nn.functional.local_response_norm(a, size, **kwargs),
        x,
    )
    ours, theirs = nn.LocalResponseNorm(size, **kwargs), torch.nn.LocalResponseNorm(size, **kwargs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(
        ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_local_response_norm_errors_and_empty_input():
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        F.local_response_norm(ad.ones(2, 3), 2)
    assert F.local_response_norm(ad.ones(0, 3, 2), 2).shape == (0, 3, 2)
