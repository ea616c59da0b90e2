"""torch.compile(model) as nanoGPT uses it: an OptimizedModule whose state_dict keys carry
the `_orig_mod.` prefix, stripped when resuming."""

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
compiled = torch.compile(model)
print(type(compiled).__name__, compiled._orig_mod is model, len(compiled))
print(compiled)
state = compiled.state_dict()
print(list(state))
unwanted_prefix = "_orig_mod."
for k in list(state):
    if k.startswith(unwanted_prefix):
        state[k[len(unwanted_prefix) :]] = state.pop(k)
fresh = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
print(fresh.load_state_dict(state))
x = torch.randn(3, 4)
with torch.no_grad():
    print(torch.allclose(compiled(x), fresh(x)), round(compiled(x).sum().item(), 4))
print([n for n, _ in compiled.named_parameters()][:2])
