"""The seeds' exercise graphs, built once for picture tests (sizes, names, heatmaps)."""

import numpy as np

import autodiff as ad
import nn
import nn.functional as F
from autodiff_cli import exercises


def add_mul():
    """f = (x + y)·z of seed ch. 4; each builder returns (output, params, names)."""
    return exercises.add_mul()[0], None, None


def sigmoid_fused():
    return exercises.sigmoid_neuron(fused=True)[0], None, None


def sigmoid_gates():
    return exercises.sigmoid_neuron(fused=False)[0], None, None


def dying_relu():
    """The dying-ReLU network of the MLP seed §2: x=[1, 1.5, 0.2] (bias first), 2 ReLU, 3 outputs."""
    x = ad.tensor(np.array([[1.0, 1.5, 0.2]]), name="x")
    M = ad.tensor(
        np.array([[0.0, 0.0], [0.86, -1.04], [0.41, -0.65]]), requires_grad=True, name="M"
    )
    W_out = ad.tensor(
        np.array([[0.5, 0.3, -0.2], [-0.1, 0.4, 0.6]]), requires_grad=True, name="W_out"
    )
    h = x @ M
    a = ad.relu(h)
    z = a @ W_out
    loss = F.cross_entropy(z, ad.tensor([0]))
    loss.backward()
    return loss, {"M": M, "W_out": W_out}, {"x": x}  # x needs no grad: named through names=


def mlp5():
    """A 5-layer MLP (Linear+ReLU ×4, Linear) on a batch of 8, its parameters named by module."""
    ad.manual_seed(0)
    layers = []
    for i in range(4):
        layers += [nn.Linear(6 if i == 0 else 8, 8), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(8, 3))
    x = ad.tensor(ad.random.generator().normal(size=(8, 6)).astype(np.float32))
    loss = F.cross_entropy(model(x), ad.tensor(np.arange(8) % 3))
    loss.backward()
    return loss, model, None


ALL = {
    "add_mul": add_mul,
    "sigmoid_fused": sigmoid_fused,
    "sigmoid_gates": sigmoid_gates,
    "dying_relu": dying_relu,
    "mlp5": mlp5,
}
