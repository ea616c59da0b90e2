# PyTorch's "Stochastic Weight Averaging" pages (torch.optim.swa_utils: AveragedModel with the
# default average and get_ema_multi_avg_fn, SWALR, update_bn) and torch.utils.checkpoint's
# (checkpoint with use_reentrant=False, checkpoint_sequential), on generated regression data.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(3)
X = torch.randn(64, 4)
y = (X @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(64)).unsqueeze(1)
loader = [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU()
        )
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        h = checkpoint(self.body, x, use_reentrant=False)
        return self.head(h)


model = Net()
swa_model = AveragedModel(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
swa_start = 5
swa_scheduler = SWALR(optimizer, swa_lr=0.02, anneal_epochs=3, anneal_strategy="linear")
for epoch in range(10):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        ema_model.update_parameters(model)
    if epoch > swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    else:
        scheduler.step()
    print(epoch, round(loss.item(), 5), round(optimizer.param_groups[0]["lr"], 6))

print("bn before", swa_model.module.body[1].running_mean[:3])
update_bn(loader, swa_model)
print(
    "bn after",
    swa_model.module.body[1].running_mean[:3],
    swa_model.module.body[1].num_batches_tracked,
)
swa_model.eval()
ema_model.eval()
with torch.no_grad():
    for name, m in (("swa", swa_model), ("ema", ema_model), ("last", model.eval())):
        print(name, round(F.mse_loss(m(X), y).item(), 5))
print(swa_model.n_averaged, ema_model.n_averaged)
print(list(swa_model.state_dict())[:3], len(ema_model.state_dict()))
print(swa_model.module.head.weight.flatten()[:4])

# checkpoint_sequential through a deeper stack, and checkpoint with kwargs and two outputs
torch.manual_seed(0)
stack = nn.Sequential(*[nn.Sequential(nn.Linear(8, 8), nn.GELU()) for _ in range(6)])
inp = torch.randn(5, 8, requires_grad=True)
out = checkpoint_sequential(stack, 3, inp, use_reentrant=False)
out.pow(2).sum().backward()
grads_ckpt = [p.grad.clone() for p in stack.parameters()]
g_inp = inp.grad.clone()
stack.zero_grad()
inp.grad = None
stack(inp).pow(2).sum().backward()
print(
    "same grads",
    all(torch.allclose(a, p.grad, atol=1e-6) for a, p in zip(grads_ckpt, stack.parameters())),
)
print("inp grad", torch.allclose(g_inp, inp.grad, atol=1e-6), g_inp.abs().sum().item())


def two_outputs(a, b, scale=1.0):
    return (a * b).sin() * scale, a.exp()


a = torch.linspace(-1, 1, 6, requires_grad=True)
b = torch.linspace(0, 2, 6, requires_grad=True)
s, e = checkpoint(two_outputs, a, b, use_reentrant=False, scale=2.0)
(s.sum() + e.sum()).backward()
print(a.grad, b.grad)
calls = []


def counted(t):
    calls.append(1)
    return t.tanh()


c = torch.ones(3, requires_grad=True)
checkpoint(counted, c, use_reentrant=False).sum().backward()
print("forward ran", len(calls), c.grad)
