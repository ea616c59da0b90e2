"""Saved-tensor hooks (the tutorial's), activation checkpointing, torch.testing, torch.special
and data_ptr: what a learner's program prints, on torch and on autodiff."""

import torch
import torch.utils.checkpoint
from torch import nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)


def pack_hook(x):
    print("packing", tuple(x.shape))
    return x


def unpack_hook(x):
    print("unpacking", tuple(x.shape))
    return x


a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
y.sum().backward()
print("a.grad", a.grad.tolist())

with torch.autograd.graph.save_on_cpu():
    z = (a.exp() * b.detach()).sum()
z.backward()
print("a.grad after save_on_cpu", a.grad.tolist())

model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.25), nn.Linear(8, 2))
x = torch.randn(3, 4, requires_grad=True)
torch.manual_seed(1)
out = checkpoint(model, x, use_reentrant=False)
out.square().sum().backward()
print("checkpoint grad", round(x.grad.abs().sum().item(), 5))
x.grad = None
model.zero_grad()
torch.manual_seed(1)
out = checkpoint_sequential(model, 2, x, use_reentrant=False)
out.square().sum().backward()
print("checkpoint_sequential grad", round(x.grad.abs().sum().item(), 5))

torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
try:
    torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
except AssertionError as e:
    print("assert_close:", str(e).splitlines()[0], str(e).splitlines()[2])

p = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
print("ndtri", [round(v, 6) for v in torch.special.ndtri(p).tolist()])
print("expit", [round(v, 6) for v in torch.special.expit(p).tolist()])
print("entr", [round(v, 6) for v in torch.special.entr(p).tolist()])

t = torch.arange(10.0)
print("data_ptr step", t[3:].data_ptr() - t.data_ptr(), t[3:].untyped_storage().nbytes())
