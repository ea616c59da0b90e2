# torch.save / torch.load of a state_dict with BatchNorm (its 0-d num_batches_tracked), a 0-d
# loss, and a whole model (rebuilt with weights_only=False, as PyTorch's tutorial does).
import pickle
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

# word_language_model's TransformerModel: its layers hold activation=F.relu, a function that
# torch.save stores by name and torch.load allows behind safe_globals
encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 1)
deterministic(encoder)
torch.save(encoder, folder / "encoder.pt")
allowed = [
    torch.nn.functional.relu,
    torch.nn.modules.activation.MultiheadAttention,
    torch.nn.modules.container.ModuleList,
    torch.nn.modules.dropout.Dropout,
    torch.nn.modules.linear.Linear,
    torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
    torch.nn.modules.normalization.LayerNorm,
    torch.nn.modules.transformer.TransformerEncoder,
    torch.nn.modules.transformer.TransformerEncoderLayer,
]
with torch.serialization.safe_globals(allowed):
    back = torch.load(folder / "encoder.pt")
tokens = torch.linspace(-1, 1, 24).reshape(3, 2, 4)
encoder.eval(), back.eval()
print("activation is F.relu", int(back.layers[0].activation is torch.nn.functional.relu))
print("outputs", f"{back(tokens).sum().item():.6f}", f"{encoder(tokens).sum().item():.6f}")
try:
    with torch.serialization.safe_globals(allowed[1:]):  # without F.relu
        torch.load(folder / "encoder.pt")
except Exception as e:
    print("refused without F.relu, an UnpicklingError", int(isinstance(e, pickle.UnpicklingError)))
