"""nn.utils.weight_norm / remove_weight_norm (torch's deprecated API) against torch: the
parameters it makes, the state dict, outputs and gradients for every dim, and its refusals."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _run(lib, space, torch, make, dim, shape):
    """A layer with torch's initial values, weight-normed along dim: its state dict keys, one
    step's output and the gradients of g and v, and its keys after remove_weight_norm."""
    torch.manual_seed(0)
    twin = make(torch.nn)
    layer = make(space)
    if space is nn:
        layer.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    else:
        layer = twin
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        space.utils.weight_norm(layer, dim=dim)
    keys = list(layer.state_dict())
    x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    out = layer(x)
    (out * out).sum().backward()
    grads = [
        layer.weight_g.grad.detach().numpy().copy(),
        layer.weight_v.grad.detach().numpy().copy(),
    ]
    with lib.no_grad():  # a step on g: the next call recomputes the weight from it
        layer.weight_g.mul_(2.0)
    stepped = layer(x).detach().numpy()
    space.utils.remove_weight_norm(layer)
    after = layer(x).detach().numpy()
    return keys, out.detach().numpy(), grads, list(layer.state_dict()), after, stepped


LAYERS = [
    ("conv", lambda s: s.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    ("linear", lambda s: s.Linear(4, 3), (5, 4)),
]  # fmt: skip


@pytest.mark.parametrize("dim", [0, 1, -1, None])
@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_weight_norm_as_torch(name, make, shape, dim):
    torch = pytest.importorskip("torch")
    if dim == -1 and name == "conv":
        dim = 3  # torch's last-dim branch on a 4-d weight
    ours = _run(ad, nn, torch, make, dim, shape)
    theirs = _run(torch, torch.nn, torch, make, dim, shape)
    assert ours[0] == theirs[0] and ours[3] == theirs[3]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours[4], ours[5], rtol=1e-6, atol=1e-6)  # the same function


def test_weight_norm_refusals():
    layer = nn.Linear(3, 2)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(layer)
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match="Cannot register two"):
        nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        nn.utils.remove_weight_norm(layer, "bias")
