"""The seeds' worked numbers (mlp-vanishing-dying-relu.md), recomputed with nn."""

import numpy as np

import autodiff as ad
import nn
import nn.functional as F


def test_dying_relu_example():
    # x = [1.5, 0.2]; M's first row is the (zero) bias; W_out has no bias; label 0.
    m = nn.Linear(2, 2, dtype=ad.float64)
    m.weight.data[...] = [[0.86, 0.41], [-1.04, -0.65]]  # torch layout: (out, in) = Mᵀ
    m.bias.data[...] = 0.0
    out = nn.Linear(2, 3, bias=False, dtype=ad.float64)
    out.weight.data[...] = np.array([[0.5, 0.3, -0.2], [-0.1, 0.4, 0.6]]).T
    x = ad.tensor(np.array([[1.5, 0.2]]))
    h = m(x)
    np.testing.assert_allclose(h.detach().numpy(), [[1.372, -1.69]], rtol=1e-12)
    z = out(F.relu(h))
    np.testing.assert_allclose(z.detach().numpy(), [[0.686, 0.4116, -0.2744]], rtol=1e-12)
    loss = F.cross_entropy(z, ad.tensor([0]))
    assert round(loss.item(), 4) == 0.7621  # the seed rounds p₁ first and prints 0.761
    loss.backward()
    grad_m = np.vstack(
        [m.bias.grad.detach().numpy(), m.weight.grad.detach().numpy().T]
    )  # back to the seed's 3×2 M
    assert np.all(grad_m[:, 1] == 0.0)  # the dead neuron's column is exactly zero
    np.testing.assert_allclose(grad_m[:, 0], [-0.196, -0.294, -0.039], atol=1e-3)
    p = F.softmax(z, 1).detach().numpy()
    np.testing.assert_allclose(p, [[0.467, 0.355, 0.178]], atol=1e-3)


def test_zero_initialised_mlp_has_all_zero_weight_gradients():
    mlp = nn.Sequential(nn.Linear(2, 2, dtype=ad.float64), nn.ReLU(),
                        nn.Linear(2, 3, dtype=ad.float64))  # fmt: skip
    for p in mlp.parameters():
        nn.init.zeros_(p)
    x = ad.tensor(np.array([[1.5, 0.2], [4.7, 1.6], [5.6, 2.2]]))
    loss = F.cross_entropy(mlp(x), ad.tensor([0, 1, 2]), reduction="sum")
    np.testing.assert_allclose(loss.item(), 3 * np.log(3), rtol=1e-15)
    loss.backward()
    for name in ("0.weight", "0.bias", "2.weight"):
        assert np.all(dict(mlp.named_parameters())[name].grad.detach().numpy() == 0.0), name
    # the output bias gets Σ(ŷ − y) = (1/3 + 1/3 − 2/3) per class: zero up to rounding
    np.testing.assert_allclose(mlp[2].bias.grad.detach().numpy(), 0.0, atol=1e-15)


def test_zero_initialised_linear_regression():
    model = nn.Linear(3, 1, dtype=ad.float64)
    nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
    pred = model(ad.tensor(np.array([[2.0, 3.0, 1.0]])))
    loss = 0.5 * F.mse_loss(pred, ad.tensor(np.array([[5.0]])), reduction="sum")
    loss.backward()
    grads = list(model.weight.grad.detach().numpy()[0]) + list(model.bias.grad.detach().numpy())
    assert grads == [-10.0, -15.0, -5.0, -5.0]
    opt = nn.optim.SGD(model.parameters(), lr=0.01)
    opt.step()
    np.testing.assert_allclose(model.weight.detach().numpy(), [[0.1, 0.15, 0.05]], rtol=1e-15)


def test_zero_initialised_logistic_regression():
    model = nn.Linear(2, 1, dtype=ad.float64)
    nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
    logits = model(ad.tensor(np.array([[1.5, 2.0]])))
    nn.BCEWithLogitsLoss()(logits, ad.tensor(np.array([[1.0]]))).backward()
    grads = list(model.weight.grad.detach().numpy()[0]) + list(model.bias.grad.detach().numpy())
    assert grads == [-0.75, -1.0, -0.5]
    model.zero_grad()
    prob = F.sigmoid(model(ad.tensor(np.array([[1.5, 2.0]]))))
    nn.BCELoss()(prob, ad.tensor(np.array([[1.0]]))).backward()
    np.testing.assert_allclose(model.weight.grad.detach().numpy(), [[-0.75, -1.0]], rtol=1e-15)


def test_zero_initialised_softmax_regression():
    model = nn.Linear(2, 3, dtype=ad.float64)
    nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
    F.cross_entropy(model(ad.tensor(np.array([[1.0, 2.0]]))), ad.tensor([0])).backward()
    expected = np.array([[-2 / 3, -4 / 3], [1 / 3, 2 / 3], [1 / 3, 2 / 3]])  # (ŷ − y) xᵀ
    np.testing.assert_allclose(model.weight.grad.detach().numpy(), expected, rtol=1e-15)
    np.testing.assert_allclose(model.bias.grad.detach().numpy(), [-2 / 3, 1 / 3, 1 / 3], rtol=1e-15)
