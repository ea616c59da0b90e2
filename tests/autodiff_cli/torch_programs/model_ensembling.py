"""torch.func's model-ensembling tutorial, small: a meta base model, vmap over models."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state

torch.manual_seed(0)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


num_models = 3
models = [SimpleMLP() for _ in range(num_models)]
minibatch = torch.randn(5, 8)
params, buffers = stack_module_state(models)
base_model = copy.deepcopy(models[0])
base_model = base_model.to("meta")
print(base_model.fc1.weight)
print(base_model.fc1.weight.device, base_model.fc1.weight.is_meta, base_model.fc1.weight.stride())


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


out = torch.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
expected = torch.stack([m(minibatch) for m in models])
print(out.shape, torch.allclose(out, expected, atol=1e-6))
print(out.sum().item() == out.sum().item(), round(out.sum().item(), 4))
try:
    base_model(minibatch)
except Exception as e:
    print(type(e).__name__)
print(base_model.to_empty(device="cpu").fc1.weight.device)
