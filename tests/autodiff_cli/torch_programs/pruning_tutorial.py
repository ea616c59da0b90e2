# PyTorch's "Pruning Tutorial": LeNet; random, L1 and Ln-structured pruning of one conv,
# iterative pruning in a PruningContainer, remove, pruning a whole model, global pruning, a
# custom method, then a training step through the pruned model.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        # 1 input image channel, 6 output channels, 5x5 square conv kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5x5 image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


torch.manual_seed(0)
model = LeNet().to(device=device)
module = model.conv1
print([name for name, _ in module.named_parameters()])
print(list(module.named_buffers()))

prune.random_unstructured(module, name="weight", amount=0.3)
print([name for name, _ in module.named_parameters()])
print([name for name, _ in module.named_buffers()])
print("weight_mask", module.weight_mask.sum().item(), module.weight_mask[0, 0])
print("weight", module.weight[0, 0])
print("hooks", len(module._forward_pre_hooks))

prune.l1_unstructured(module, name="bias", amount=3)
print("bias_mask", module.bias_mask)
print("bias", module.bias)

prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print("filters kept", module.weight.abs().sum(dim=(1, 2, 3)) != 0)
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":  # select out the correct hook
        break
print([type(method).__name__ for method in hook])
print(list(model.state_dict().keys()))

prune.remove(module, "weight")
print([name for name, _ in module.named_parameters()])
print([name for name, _ in module.named_buffers()])
print("weight zeros", int((module.weight == 0).sum()))

new_model = LeNet()
for _, module in new_model.named_modules():
    # prune 20% of connections in all 2D-conv layers
    if isinstance(module, torch.nn.Conv2d):
        prune.l1_unstructured(module, name="weight", amount=0.2)
    # prune 40% of connections in all linear layers
    elif isinstance(module, torch.nn.Linear):
        prune.l1_unstructured(module, name="weight", amount=0.4)
print(dict(new_model.named_buffers()).keys())

model = LeNet()
parameters_to_prune = (
    (model.conv1, "weight"),
    (model.conv2, "weight"),
    (model.fc1, "weight"),
    (model.fc2, "weight"),
    (model.fc3, "weight"),
)
prune.global_unstructured(
    parameters_to_prune,
    pruning_method=prune.L1Unstructured,
    amount=0.2,
)
total_zeros, total = 0, 0
for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
    weight = getattr(model, name).weight
    zeros = float(torch.sum(weight == 0))
    total_zeros, total = total_zeros + zeros, total + weight.nelement()
    print(f"Sparsity in {name}.weight: {100.0 * zeros / float(weight.nelement()):.2f}%")
print(f"Global sparsity: {100.0 * total_zeros / total:.2f}%")


class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor"""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module


model = LeNet()
foobar_unstructured(model.fc3, name="bias")
print(model.fc3.bias_mask)
print("pruned", prune.is_pruned(model), prune.is_pruned(LeNet()))

# a training step through the pruned model: the masked entries of weight_orig get no gradient
torch.manual_seed(1)
prune.random_unstructured(model.fc2, name="weight", amount=0.5)
prune.ln_structured(model.conv2, name="weight", amount=4, n=1, dim=0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(4, 1, 32, 32)
target = torch.tensor([1, 2, 3, 4])
for step in range(3):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    print("step", step, f"loss {loss.item():.5f}")
masked_grad = model.fc2.weight_orig.grad[model.fc2.weight_mask == 0]
print("masked gradient", masked_grad.abs().sum().item())
print(
    "fc2 zeros",
    int((model.fc2.weight == 0).sum()),
    "conv2 grad",
    model.conv2.weight_orig.grad.abs().sum().item(),
)
