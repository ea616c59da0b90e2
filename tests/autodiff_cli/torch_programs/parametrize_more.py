# PyTorch's "Parametrizations Tutorial", its later sections: a parametrization with a
# right_inverse, initialising through it, several tensors from one original (original0/1),
# caching, parametrizations.weight_norm, removing with leave_parametrized=False.
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as P
from torch.nn.utils import parametrizations


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class NoisyScale(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, X):
        return X * self.scale

    def right_inverse(self, A):
        return A / self.scale


class Split(nn.Module):
    """right_inverse returns two tensors: original0 and original1."""

    def forward(self, A, B):
        return A + B

    def right_inverse(self, X):
        return X / 2, X / 2


def fixed(layer):
    with torch.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(torch.linspace(-0.7, 0.5 + i, p.numel()).reshape(p.shape).cos())
    return layer


layer = fixed(nn.Linear(4, 4))
P.register_parametrization(layer, "weight", Symmetric())
print(
    P.is_parametrized(layer), P.is_parametrized(layer, "bias"), P.is_parametrized(layer, "weight")
)
print(type(layer).__name__, P.type_before_parametrizations(layer).__name__)
print(layer.parametrizations.weight.original)
print(layer.weight)
X = torch.arange(16.0).reshape(4, 4) / 10
layer.weight = X
print(layer.parametrizations.weight.original)
P.register_parametrization(layer, "weight", NoisyScale(3.0))
print(len(layer.parametrizations.weight), layer.parametrizations.weight[1].scale)
print(layer.weight.sum().item())

split = fixed(nn.Linear(3, 2))
P.register_parametrization(split, "weight", Split())
print(sorted(n for n, _ in split.named_parameters()))
print(split.parametrizations.weight.original0)
print(list(split.state_dict()))

inp = torch.linspace(-1, 1, 12).reshape(4, 3)
opt = torch.optim.SGD(split.parameters(), lr=0.05, momentum=0.9)
for step in range(4):
    opt.zero_grad()
    loss = (split(inp) - 0.5).pow(2).mean()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6), split.parametrizations.weight.original1.grad.norm().item())

calls = []


class Counting(nn.Module):
    def forward(self, X):
        calls.append(1)
        return X.tanh()


c = fixed(nn.Linear(3, 3))
P.register_parametrization(c, "weight", Counting())
calls.clear()
with P.cached():
    y = c.weight + c.weight + c.weight
print(len(calls), y.sum().item())
calls.clear()
y = c.weight + c.weight
print(len(calls))
P.remove_parametrizations(c, "weight", leave_parametrized=False)
print(c.weight, isinstance(c.weight, nn.Parameter), P.is_parametrized(c))

wn = parametrizations.weight_norm(fixed(nn.Linear(3, 5)), dim=0)
print(wn)
print(wn.parametrizations.weight.original0.flatten(), wn.parametrizations.weight.original1.shape)
out = wn(inp).sum()
out.backward()
print(wn.parametrizations.weight.original0.grad.flatten())
print(wn.parametrizations.weight.original1.grad)
P.remove_parametrizations(wn, "weight")
print(wn.weight.sum().item(), sorted(wn.state_dict()))

sn = parametrizations.spectral_norm(fixed(nn.Linear(5, 4)), n_power_iterations=3)
for _ in range(3):
    sn(inp.repeat(1, 2)[:, :5])
print(torch.linalg.matrix_norm(sn.weight, 2).item())
sn.eval()
print(sn.weight.abs().sum().item())
print(sorted(sn.state_dict()))
try:
    P.register_parametrization(fixed(nn.Linear(2, 2)), "weight", nn.Linear(2, 3))
except ValueError as e:
    print("ValueError", str(e).splitlines()[0][:60])
