# The torch.func tutorials in their style (our own code, seeded): model ensembling with
# stack_module_state, functional_call and vmap (base model kept on the CPU: no 'meta' device
# here), Jacobians by jacrev/jacfwd, a Hessian, grad.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, stack_module_state, vmap

torch.manual_seed(0)


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


num_models = 4
data = torch.randn(10, 64, 1, 28, 28)
targets = torch.randint(10, (6400,))
models = [SimpleMLP() for _ in range(num_models)]
minibatches = data[:num_models]
predictions_diff_minibatch_loop = [
    model(minibatch) for model, minibatch in zip(models, minibatches)
]
params, buffers = stack_module_state(models)
base_model = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


predictions2_vmap = vmap(fmodel)(params, buffers, minibatches)
print(
    torch.allclose(
        predictions2_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5
    )
)
minibatch = data[0]
predictions1_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
print(predictions1_vmap.shape)


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


D = 16
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)
jacobian = jacrev(predict, argnums=2)(weight, bias, x)
print(jacobian.shape, jacobian.sum())
ft_jacobian, ft_jac_weight = jacrev(predict, argnums=(2, 0))(weight, bias, x)
print(ft_jac_weight.shape)
print(torch.allclose(jacfwd(predict, argnums=2)(weight, bias, x), jacobian, atol=1e-6))
hess = hessian(predict, argnums=2)(weight, bias, x)
print(hess.shape)
print(grad(lambda x: torch.sin(x).sum())(torch.tensor([0.0, 1.0])))
