# Stochastic weight averaging as PyTorch's SWA recipe (torch.optim.swa_utils docs): a cosine
# schedule, then SWALR and AveragedModel.update_parameters each epoch after swa_start, an EMA
# model of weights and buffers alongside, and update_bn over the loader at the end.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader, TensorDataset

model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
with torch.no_grad():  # fixed weights, so the numbers do not depend on the random stream
    for i, p in enumerate(model.parameters()):
        p.copy_(0.3 * torch.sin(torch.arange(p.numel()) * 0.9 + i).reshape(p.shape))
X = torch.sin(torch.arange(48 * 4.0) / 3).reshape(48, 4)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
loader = DataLoader(TensorDataset(X, y), batch_size=12, shuffle=False)

optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
swa_model = AveragedModel(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.8), use_buffers=True)
scheduler = CosineAnnealingLR(optimizer, T_max=10)
swa_start = 4
swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
for epoch in range(10):
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        ema_model.update_parameters(model)
    if epoch > swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    else:
        scheduler.step()
    print("epoch", epoch, f"{loss.item():.5f}", f"{optimizer.param_groups[0]['lr']:.5f}")

update_bn(loader, swa_model)
swa_model.eval()
ema_model.eval()
with torch.no_grad():
    for name, net in (("swa", swa_model), ("ema", ema_model)):
        logits = net(X)
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
        print(name, f"{F.cross_entropy(logits, y).item():.5f}", f"{accuracy:.4f}")
print("n_averaged", swa_model.n_averaged.item(), ema_model.n_averaged.item())
bn = swa_model.module[1]
print("bn", f"{bn.running_mean.sum().item():.5f}", f"{bn.running_var.sum().item():.5f}")
print("keys", len(swa_model.state_dict()), list(swa_model.state_dict())[:2])
