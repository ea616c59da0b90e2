# torch.save / torch.load of a state_dict with BatchNorm (its 0-d num_batches_tracked), a 0-d
# loss, and a whole model (rebuilt with weights_only=False, as PyTorch's tutorial does).
import sys
from pathlib import Path

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 1)
        self.scale = 0.5

    def forward(self, x):
        return self.out(torch.relu(self.bn(self.fc(x)))) * self.scale


def deterministic(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))


folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
model = Net()
deterministic(model)
x = torch.linspace(-1, 1, 24).reshape(8, 3)
loss = model(x).pow(2).mean()
loss.backward()
torch.save({"state": model.state_dict(), "loss": loss.detach()}, folder / "ckpt.pt")
torch.save(model, folder / "model.pt")

saved = torch.load(folder / "ckpt.pt")
fresh = Net()
fresh.load_state_dict(saved["state"])
print(
    "num_batches_tracked",
    tuple(saved["state"]["bn.num_batches_tracked"].shape),
    int(fresh.bn.num_batches_tracked),
)
print("loss", tuple(saved["loss"].shape), f"{saved['loss'].item():.6f}")
whole = torch.load(folder / "model.pt", weights_only=False)
whole.eval(), fresh.eval(), model.eval()
print("whole", type(whole).__name__, whole.scale, f"{whole(x).sum().item():.6f}")
print("fresh", f"{fresh(x).sum().item():.6f}", f"{model(x).sum().item():.6f}")
