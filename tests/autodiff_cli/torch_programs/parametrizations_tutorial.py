# PyTorch's "Parametrizations Tutorial" and a spectral-norm discriminator, as a learner writes
# them: torch.nn.utils.parametrize, torch.nn.utils.parametrizations and nn.utils.spectral_norm.
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils import parametrizations


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


class MatrixExponential(nn.Module):
    def forward(self, X):
        return torch.matrix_exp(X)


def fixed(layer):
    """Weights from a formula, the same in any library."""
    with torch.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(torch.linspace(-0.5, 0.6 + i, p.numel()).reshape(p.shape).sin())
    return layer


torch.manual_seed(0)
layer = fixed(nn.Linear(3, 3))
parametrize.register_parametrization(layer, "weight", Symmetric())
print(layer)
print(torch.allclose(layer.weight, layer.weight.T))
A = torch.rand(3, 3)
layer.weight = A + A.T
print(layer.weight)

orth = fixed(nn.Linear(3, 3))
parametrize.register_parametrization(orth, "weight", Skew())
parametrize.register_parametrization(orth, "weight", MatrixExponential())
X = torch.linspace(-1, 1, 12).reshape(4, 3)
optimizer = torch.optim.SGD(orth.parameters(), lr=0.1)
for step in range(5):
    optimizer.zero_grad()
    loss = (orth(X) ** 2).sum()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
Q = orth.weight
print(torch.dist(Q.T @ Q, torch.eye(3)).item() < 1e-5)
print(dict(orth.named_parameters()).keys())
with parametrize.cached():
    print(orth(X).sum().item())
parametrize.remove_parametrizations(orth, "weight")
print(orth.weight)

tall = fixed(nn.Linear(3, 5))
parametrizations.orthogonal(tall)
print((tall.weight.T @ tall.weight).detach().round(decimals=4).abs())

disc = nn.Sequential(
    parametrizations.spectral_norm(fixed(nn.Linear(3, 8))),
    nn.LeakyReLU(0.2),
    nn.utils.spectral_norm(fixed(nn.Linear(8, 1))),
)
optimizer = torch.optim.Adam(disc.parameters(), lr=0.01)
for step in range(4):
    optimizer.zero_grad()
    loss = disc(X).mean()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
disc.eval()
print(disc(X).flatten())
print(disc[0].parametrizations.weight[0]._u, disc[2].weight_u)
print(list(disc.state_dict()))
