"""nn.models: shapes, PyTorch-like reprs, initialisation, and state dicts that load into torch."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import models


def test_linear_models_shapes_and_zero_start():
    lin = models.LinearRegression(3)
    assert lin(ad.randn(5, 3)).shape == (5,)
    assert models.LinearRegression(3, 2)(ad.randn(5, 3)).shape == (5, 2)
    logit = models.LogisticRegression(4)
    assert logit(ad.randn(6, 4)).shape == (6,)
    soft = models.SoftmaxRegression(784, 10)
    assert soft(ad.randn(2, 1, 28, 28)).shape == (2, 10)
    # the seeds start these convex models at zero (no symmetry to break)
    assert all(np.all(p.detach().numpy() == 0) for p in soft.parameters())


def test_reprs_read_like_pytorch():
    assert repr(models.LogisticRegression(4)) == (
        "LogisticRegression(\n  (linear): Linear(in_features=4, out_features=1, bias=True)\n)"
    )
    text = repr(models.MLP((784, 256, 10), batchnorm=True, dropout=0.5))
    assert text.splitlines() == [
        "MLP(",
        "  (0): Flatten(start_dim=1, end_dim=-1)",
        "  (1): Linear(in_features=784, out_features=256, bias=True)",
        f"  (2): {nn.BatchNorm1d(256)!r}",
        "  (3): ReLU()",
        "  (4): Dropout(p=0.5, inplace=False)",
        "  (5): Linear(in_features=256, out_features=10, bias=True)",
        ")",
    ]
    torch = pytest.importorskip("torch")
    twin = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.BatchNorm1d(256), torch.nn.ReLU(),
        torch.nn.Dropout(0.5), torch.nn.Linear(256, 10),
    )  # fmt: skip
    assert text.splitlines()[1:] == repr(twin).splitlines()[1:]
    cnn = repr(models.FashionCNN())
    assert "Conv2d(128, 10, kernel_size=(1, 1), stride=(1, 1))" in cnn
    assert "Linear" not in cnn


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "silu", "gelu", "leaky_relu"])
def test_mlp_activations(name):
    m = models.MLP((4, 8, 3), activation=name)
    assert m(ad.randn(2, 4)).shape == (2, 3)
    assert len(list(m.parameters())) == 4


def test_mlp_init_schemes():
    ad.manual_seed(0)
    he = models.MLP((1000, 500, 10), init="he")
    w = he[1].weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2 / 1000)) < 0.05 * np.sqrt(2 / 1000)
    assert np.all(he[1].bias.detach().numpy() == 0)
    xavier = models.MLP((1000, 500, 10), activation="tanh", init="xavier")
    bound = nn.init.calculate_gain("tanh") * np.sqrt(6 / 1500)
    assert np.abs(xavier[1].weight.detach().numpy()).max() <= bound
    zeros = models.MLP((4, 3, 2), init="zeros")
    assert all(np.all(p.detach().numpy() == 0) for p in zeros.parameters())
    default = models.MLP((4, 3, 2))
    assert np.any(default[1].bias.detach().numpy() != 0)  # PyTorch's default keeps a uniform bias


def test_model_argument_errors():
    with pytest.raises(ValueError, match="sizes"):
        models.MLP((10,))
    with pytest.raises(ValueError, match="unknown name"):
        models.MLP((4, 3, 2), activation="sine")
    with pytest.raises(ValueError, match="unknown init"):
        models.MLP((4, 2), init="orthogonal")
    with pytest.raises(ValueError, match="dropout"):
        models.MLP((4, 2), dropout=1.0)


def test_fashion_cnn_is_all_convolutional():
    model = models.FashionCNN(channels=(4, 8, 8))
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert convs[-1].kernel_size == (1, 1)  # the 1x1 classifier head
    assert all(c.padding == (1, 1) for c in convs[:3])
    assert model(ad.randn(2, 1, 28, 28)).shape == (2, 10)
    assert model(ad.randn(2, 28, 28)).shape == (2, 10)  # channel axis added
    bn = models.FashionCNN(channels=(4, 8, 8), batchnorm=True)
    assert any(isinstance(m, nn.BatchNorm2d) for m in bn.modules())


def test_vgg_for_32x32():
    model = models.VGG(arch=((1, 4), (1, 8), (2, 8), (2, 8), (2, 8)), hidden=16)
    assert model(ad.randn(2, 3, 32, 32)).shape == (2, 10)
    assert len(model.features) == 5
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 8
    with pytest.raises(ValueError, match="32, 32"):
        model(ad.randn(1, 3, 28, 28))  # the seeds: 28 -> 14 -> 7 -> 3 -> 1 -> 0


NO_BLOCKS = not hasattr(nn, "ResidualBlock")


@pytest.mark.skipif(NO_BLOCKS, reason="nn.ResidualBlock not available")
def test_residual_cnn():
    model = models.ResNet(channels=(4, 8), blocks_per_stage=1)
    assert sum(isinstance(m, nn.ResidualBlock) for m in model.modules()) == 2
    assert model(ad.randn(2, 1, 28, 28)).shape == (2, 10)
    model.eval()
    assert model(ad.randn(3, 28, 28)).shape == (3, 10)


def test_models_backpropagate_to_every_parameter():
    chosen = [models.FashionCNN(channels=(2, 4, 4)), models.MLP((784, 8, 10), batchnorm=True)]
    if not NO_BLOCKS:
        chosen.append(models.ResNet(channels=(2, 4)))
    for model in chosen:
        out = model(ad.randn(2, 1, 28, 28))
        out.sum().backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, f"{type(model).__name__}: no gradient for {missing}"


def test_state_dict_loads_into_the_same_torch_model():
    torch = pytest.importorskip("torch")
    ours = models.MLP((6, 5, 3), batchnorm=True)
    theirs = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
        torch.nn.Linear(5, 3),
    )  # fmt: skip
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_fashion_cnn_dropout_and_resnet_pooled_stem():
    cnn = models.FashionCNN(channels=(2, 4, 4), dropout=0.5)
    assert sum(isinstance(m, nn.Dropout) for m in cnn.modules()) == 1
    cnn.eval()  # dropout is the identity in eval mode: two passes agree
    x = ad.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(cnn(x).detach().numpy(), cnn(x).detach().numpy())
    pooled = models.ResNet(channels=(2, 4), stem_pool=True)
    assert isinstance(pooled.stem[-1], nn.MaxPool2d) and pooled(x).shape == (2, 10)
