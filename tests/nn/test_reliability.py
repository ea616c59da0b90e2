"""Layer arguments checked where they are given (Linear, Conv2d), conv2d on an empty batch and
on one unbatched image as torch, mse/l1's warning on a target of another size as torch, and
load_state_dict all or nothing."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Linear(-1, 3), ValueError, "Linear: in_features must be at least 1, got -1"),
        (lambda: nn.Linear(4, 0), ValueError, "Linear: out_features must be at least 1, got 0"),
        (lambda: nn.Linear(4.5, 3), TypeError, "Linear: in_features must be an int, got 4.5"),
        (lambda: nn.Linear(True, 3), TypeError, "in_features must be an int, got True (bool)"),
        (lambda: nn.Linear("4", 3), TypeError, "in_features must be an int, got '4' (str)"),
        (lambda: nn.Conv2d(0, 3, 3), ValueError, "Conv2d: in_channels must be at least 1, got 0"),
        (lambda: nn.Conv2d(3, 2.0, 3), TypeError, "Conv2d: out_channels must be an int"),
        (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be at least 1, got 0"),
    ],
)
def test_layer_sizes_are_checked_with_a_clear_error(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert message in str(info.value)


def test_numpy_ints_are_sizes_too():
    layer = nn.Linear(np.int64(3), np.int32(2))
    assert layer.weight.shape == (2, 3) and type(layer.in_features) is int


def _pair(in_channels=2, out_channels=4, **kw):
    ad.manual_seed(0)
    ours = nn.Conv2d(in_channels, out_channels, 3, dtype=ad.float64, **kw)
    theirs = torch.nn.Conv2d(in_channels, out_channels, 3, dtype=torch.float64, **kw)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    return ours, theirs


@pytest.mark.parametrize("kw", [{}, {"padding": 1, "stride": 2}, {"groups": 2}])
def test_conv2d_on_one_unbatched_image_matches_torch(kw):
    ours, theirs = _pair(**kw)
    x = np.random.default_rng(0).normal(size=(2, 6, 7))
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    assert tuple(ya.shape) == tuple(yt.shape) and ya.ndim == 3
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        ours.weight.grad.detach().numpy(), theirs.weight.grad.detach().numpy(), rtol=1e-10
    )
    w = ad.tensor(ours.weight.detach().numpy(), requires_grad=True)
    x = ad.tensor(np.random.default_rng(1).normal(size=(2, 5, 5)), requires_grad=True)
    assert ad.gradcheck(lambda x, w: F.conv2d(x, w, None, **kw), (x, w))


def test_conv2d_on_an_empty_batch_matches_torch():
    ours, theirs = _pair()
    xa = ad.zeros(0, 2, 6, 7, dtype=ad.float64, requires_grad=True)
    xt = torch.zeros(0, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    assert tuple(ya.shape) == tuple(yt.shape) == (0, 4, 4, 5)
    ya.sum().backward()
    yt.sum().backward()
    assert tuple(xa.grad.shape) == (0, 2, 6, 7)
    np.testing.assert_array_equal(
        ours.weight.grad.detach().numpy(), theirs.weight.grad.detach().numpy()
    )
    np.testing.assert_array_equal(ours.bias.grad.detach().numpy(), np.zeros(4))
    # second order through the empty batch: the gradient functions take it too
    x = ad.zeros(0, 2, 5, 5, dtype=ad.float64, requires_grad=True)
    (gx,) = ad.grad(ours(x).sum(), [x], create_graph=True)
    assert gx.shape == (0, 2, 5, 5)


def test_conv2d_of_other_ranks_says_which_layouts_it_takes():
    with pytest.raises(ValueError, match=r"expected a 3-D \(C, H, W\) or 4-D .*\(5, 5\)"):
        nn.Conv2d(1, 1, 3)(ad.zeros(5, 5))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_a_target_of_another_size_warns_as_torch(name):
    x, t = np.ones((4, 1)), np.zeros(4)
    with pytest.warns(UserWarning) as theirs:
        expected = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(t))
    with pytest.warns(UserWarning, match=r"Using a target size \(\(4,\)\) that is different to "
                      r"the input size \(\(4, 1\)\)") as ours:  # fmt: skip
        got = getattr(F, name)(ad.tensor(x), ad.tensor(t))
    assert "likely lead to incorrect results due to broadcasting" in str(ours[0].message)
    assert str(theirs[0].message).split("(")[0] == str(ours[0].message).split("(")[0]
    assert ours[0].filename == __file__  # the warning points at the caller's line
    assert got.item() == pytest.approx(expected.item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(F, name)(ad.tensor(x), ad.tensor(np.zeros((4, 1))))  # same size: silent


@pytest.mark.parametrize(
    "call",
    [
        lambda: F.mse_loss(ad.ones(4, 1), ad.zeros(4)),
        lambda: F.kl_div(ad.zeros(2, 3), ad.ones(2, 3) / 3),
        lambda: F.affine_grid(ad.zeros(1, 2, 3), [1, 1, 2, 2]),
        lambda: nn.MSELoss(size_average=True)(ad.ones(2), ad.zeros(2)),
    ],
)
@pytest.mark.parametrize("autocast", [False, True])
def test_a_warning_about_the_users_call_points_at_the_users_line(call, autocast):
    """However many of the library's frames lie between (autocast's wrapper of torch's listed
    ops, a module's forward), the warning names the line that called the library."""
    with ad.autocast("cpu", enabled=autocast), pytest.warns(Warning) as seen:
        call()
    assert seen[0].filename == __file__


def test_load_state_dict_changes_nothing_when_it_fails():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: np.array(v) for k, v in model.state_dict().items()}
    state = {k: np.full(v.shape, 7.0) for k, v in before.items()}
    state["2.bias"] = np.array(["a", "b"])  # the last entry cannot be copied
    with pytest.raises(RuntimeError, match=r"dtype mismatch for 2.bias: the checkpoint holds <U1"):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value), before[key])
    state["2.bias"] = np.full(3, 7.0)  # a wrong shape: also nothing copied
    with pytest.raises(RuntimeError, match=r"size mismatch for 2.bias"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before["0.weight"])
    state["2.bias"] = np.full(2, 7.0)
    model.load_state_dict(state)
    assert all((np.asarray(v) == 7.0).all() for v in model.state_dict().values())
    assert model[0].weight.dtype == np.float32  # copied into the parameter's own dtype
