# A Dataset/DataLoader training loop that saves and reloads the model and the optimizer.
import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Lines(Dataset):
    def __init__(self, n):
        self.x = torch.linspace(-1, 1, n).reshape(-1, 1)
        self.y = 3 * self.x - 0.5

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
model = nn.Linear(1, 1)
with torch.no_grad():
    model.weight.fill_(0.1)
    model.bias.zero_()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
loader = DataLoader(Lines(64), batch_size=16, shuffle=False)
loss_fn = nn.MSELoss()


def epoch():
    total = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    return total / len(loader.dataset)


for e in range(5):
    print(e, f"{epoch():.5f}")
torch.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, folder / "ckpt.pt")

model = nn.Linear(1, 1)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
state = torch.load(folder / "ckpt.pt")
model.load_state_dict(state["model"])
optimizer.load_state_dict(state["optim"])
for e in range(5, 10):
    print(e, f"{epoch():.5f}")
print(f"w {model.weight.item():.4f} b {model.bias.item():.4f}")
