# PyTorch's "Introduction to TorchScript" tutorial, shortened: a scripted helper function and a
# traced cell, then a few training steps through the traced module.
import torch


@torch.jit.script
def scaled_tanh(x, scale: float):
    if bool(x.sum() > 0):
        return torch.tanh(x) * scale
    return torch.tanh(x)


class MyCell(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x, h):
        calls.append((torch.jit.is_tracing(), torch.jit.is_scripting(), torch.is_grad_enabled()))
        new_h = scaled_tanh(self.linear(x) + h, 2.0)
        return new_h, new_h


calls = []  # what trace's runs of forward saw: torch runs it 3 times
torch.manual_seed(0)
x, h = torch.rand(3, 4), torch.rand(3, 4)
traced_cell = torch.jit.trace(MyCell(), (x, h))
print("runs while tracing (tracing, scripting, grad):", [tuple(map(int, c)) for c in calls])
print([round(v, 4) for v in traced_cell(x, h)[0].sum(1).tolist()])
print("scripted:", [round(v, 4) for v in scaled_tanh(-x, 3.0).sum(1).tolist()])

optimizer = torch.optim.SGD(traced_cell.parameters(), lr=0.1)
target = torch.zeros(3, 4)
for step in range(3):
    out, _ = traced_cell(x, h)
    loss = torch.nn.functional.mse_loss(out, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, f"{loss.item():.5f}")
print(torch.jit.annotate(int, 7))
