# An nn.Module with Sequential and an optimizer, as in PyTorch's "nn" tutorials.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return F.log_softmax(self.body(x), dim=1)


torch.manual_seed(0)
X = torch.linspace(-1, 1, 120).reshape(30, 4)
y = (X.sum(dim=1) > 0).long() + (X[:, 0] > 0.5).long()
model = Net().to("cpu").double().float()
state = {
    k: torch.full_like(v, 0.01) * (i + 1) for i, (k, v) in enumerate(model.state_dict().items())
}
model.load_state_dict(state)
optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
for epoch in range(50):
    optimizer.zero_grad()
    loss = F.nll_loss(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 9:
        print(epoch, f"{loss.item():.5f}")
with torch.no_grad():
    accuracy = (model(X).argmax(dim=1) == y).float().mean()
print(f"accuracy {accuracy:.4f}")
