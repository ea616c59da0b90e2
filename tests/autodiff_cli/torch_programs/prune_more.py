# PyTorch's "Pruning Tutorial", again on a small MLP and conv net: global_unstructured across
# layers, a custom pruning method, prune.identity, is_pruned, remove, masks in named_buffers and
# the state_dict, pruning before and after a training step.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune


def fixed(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.linspace(-1.0, 1.3 + i, p.numel()).reshape(p.shape).sin() * (0.5 + i))
    return model


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.fc1 = nn.Linear(4 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.conv(x)).flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


class EveryOther(prune.BasePruningMethod):
    """Prune every other entry of the tensor (flattened)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def every_other(module, name):
    EveryOther.apply(module, name)
    return module


torch.manual_seed(0)
net = fixed(Net())
x = torch.linspace(-2, 2, 2 * 2 * 6 * 6).reshape(2, 2, 6, 6)
print("before", net(x).sum().item(), prune.is_pruned(net))

parameters_to_prune = [(net.conv, "weight"), (net.fc1, "weight"), (net.fc2, "weight")]
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.4)
for m, name in parameters_to_prune:
    mask = getattr(m, name + "_mask")
    print(type(m).__name__, int((mask == 0).sum()), mask.numel())
total = sum(float((m.weight == 0).sum()) for m, _ in parameters_to_prune)
print(
    "global sparsity",
    round(100.0 * total / sum(m.weight.numel() for m, _ in parameters_to_prune), 3),
)
print("after", net(x).sum().item(), prune.is_pruned(net))
print([n for n, _ in net.named_buffers()])
print(list(net.state_dict()))

every_other(net.fc2, "bias")
print(net.fc2.bias_mask, net.fc2.bias)
prune.identity(net.conv, "bias")
print(net.conv.bias_mask.tolist())

prune.random_structured(net.fc1, "weight", amount=0.25, dim=0)
hook = net.fc1._forward_pre_hooks[next(iter(net.fc1._forward_pre_hooks))]
print(type(hook).__name__, [type(h).__name__ for h in hook])

opt = torch.optim.SGD(net.parameters(), lr=0.01)
target = torch.tensor([0, 2])
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), target)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5), int((net.fc2.weight_orig.grad == 0).sum()))

for m, name in parameters_to_prune:
    prune.remove(m, name)
print([n for n, _ in net.named_parameters()])
print([n for n, _ in net.named_buffers()])
print(int((net.fc2.weight == 0).sum()), net(x).sum().item())

lin = fixed(nn.Linear(5, 4))
prune.ln_structured(lin, "weight", amount=2, n=1, dim=1)
print(lin.weight_mask)
prune.l1_unstructured(lin, "weight", amount=0.5)
print(int(lin.weight_mask.sum()), lin.weight_mask)
try:
    prune.l1_unstructured(lin, "weight", amount=1.5)
except ValueError as e:
    print("ValueError", e)
try:
    prune.l1_unstructured(fixed(nn.Linear(5, 4)), "weight", amount=30)
except ValueError as e:
    print("ValueError", e)
try:
    prune.remove(fixed(nn.Linear(2, 2)), "weight")
except ValueError as e:
    print("ValueError", e)
