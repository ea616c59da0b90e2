"""The lazy layers (LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d,
LazyInstanceNorm1d/2d/3d) against torch's: repr and state_dict keys before the first call; after
it, the class they become, their seeded initialisation (bit for bit for the convolutions),
outputs, gradients, the Parameter objects an optimizer holds, and torch's errors."""

import numpy as np
import pytest

import autodiff as ad
import nn

torch = pytest.importorskip("torch")

CASES = {
    "LazyConv1d": (lambda L: L.LazyConv1d(4, 3, padding=1), (2, 3, 7)),
    "LazyConv1d unbatched": (lambda L: L.LazyConv1d(4, 3, dilation=2), (3, 9)),
    "LazyConv2d": (lambda L: L.LazyConv2d(4, 3, stride=2), (2, 3, 6, 5)),
    "LazyConv2d groups": (lambda L: L.LazyConv2d(4, (3, 2), groups=2, bias=False), (3, 4, 6, 5)),
    "LazyConvTranspose1d": (lambda L: L.LazyConvTranspose1d(2, 3, stride=2), (2, 3, 5)),
    "LazyConvTranspose2d": (
        lambda L: L.LazyConvTranspose2d(2, 3, stride=2, padding=1, output_padding=1),
        (2, 3, 3, 4),
    ),
    "LazyBatchNorm1d": (lambda L: L.LazyBatchNorm1d(), (5, 3)),
    "LazyBatchNorm1d 3-d": (lambda L: L.LazyBatchNorm1d(affine=False), (5, 3, 4)),
    "LazyBatchNorm2d": (lambda L: L.LazyBatchNorm2d(momentum=0.3), (4, 3, 2, 2)),
    "LazyInstanceNorm1d": (
        lambda L: L.LazyInstanceNorm1d(affine=True, track_running_stats=True),
        (2, 3, 5),
    ),
    "LazyInstanceNorm2d": (lambda L: L.LazyInstanceNorm2d(), (2, 3, 4, 4)),
    "LazyConv3d": (lambda L: L.LazyConv3d(4, (2, 3, 2), padding=1, groups=2), (2, 4, 3, 4, 3)),
    "LazyConv3d unbatched": (lambda L: L.LazyConv3d(2, 2, stride=2), (3, 4, 4, 5)),
    "LazyConvTranspose3d": (
        lambda L: L.LazyConvTranspose3d(2, 3, stride=2, padding=1, output_padding=1),
        (2, 3, 2, 3, 2),
    ),
    "LazyBatchNorm3d": (lambda L: L.LazyBatchNorm3d(eps=1e-3), (3, 2, 2, 3, 2)),
    "LazyInstanceNorm3d": (lambda L: L.LazyInstanceNorm3d(), (2, 3, 3, 2, 4)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lazy_layer_becomes_torchs_layer(case):
    make, shape = CASES[case]
    ad.manual_seed(4)
    torch.manual_seed(4)
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    params = list(ours.parameters())
    optimizer = nn.optim.SGD(params, lr=0.1) if params else None  # before the shapes exist
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    inputs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = ours(inputs[0]), theirs(inputs[1])
    assert type(ours).__name__ == type(theirs).__name__ == case.split()[0][4:]
    assert repr(ours) == repr(theirs) and list(ours.parameters()) == params
    for key, value in theirs.state_dict().items():  # the convolutions' draws: torch's numbers
        exact = "Conv" in case
        got = np.asarray(ours.state_dict()[key])
        assert got.shape == tuple(value.shape) and got.dtype == value.detach().numpy().dtype, key
        np.testing.assert_allclose(
            got, value.detach().numpy(), rtol=0 if exact else 1e-6, err_msg=key
        )
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                               atol=1e-5)  # fmt: skip
    upstream = np.random.default_rng(6).standard_normal(tuple(want.shape)).astype(np.float32)
    (out * ad.tensor(upstream)).sum().backward()
    (want * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(inputs[0].grad.detach().numpy(), inputs[1].grad.detach().numpy(), rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.detach().numpy(), q.grad.detach().numpy(), rtol=1e-4, atol=1e-5
        )
    if optimizer:
        optimizer.step()  # its Parameters are the layer's, now shaped


def test_lazy_reset_parameters_before_the_first_call_draws_nothing():
    ad.manual_seed(0)
    layer = nn.LazyConv2d(3, 2)
    layer.reset_parameters()
    drawn = ad.rand(2).detach().numpy()
    ad.manual_seed(0)
    np.testing.assert_array_equal(drawn, ad.rand(2).detach().numpy())
    assert layer.weight.numel() == 0 and layer.in_channels == 0


@pytest.mark.parametrize("make,shape,kind,match", [
    (lambda L: L.LazyConv2d(4, 3, groups=2), (1, 3, 5, 5), ValueError,
     "in_channels must be divisible by groups"),
    (lambda L: L.LazyConv2d(4, 3), (5, 5), ValueError, "Expected 3D or 4D input"),
    (lambda L: L.LazyConv1d(4, 3), (1, 2, 5, 5), ValueError, "Expected 2D or 3D input"),
    (lambda L: L.LazyBatchNorm2d(), (3, 5, 5), ValueError, "expected 4D input"),
])  # fmt: skip
def test_lazy_layer_errors_are_torchs(make, shape, kind, match):
    with pytest.raises(kind, match=match):
        make(nn)(ad.ones(*shape))
    with pytest.raises((ValueError, RuntimeError)):
        make(torch.nn)(torch.ones(*shape))
