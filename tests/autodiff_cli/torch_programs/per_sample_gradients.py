# PyTorch's "Per-sample-gradients" tutorial (torch.func), small: a CNN's gradient for each
# sample with functional_call + vmap(grad(...)), checked against a loop of backward calls;
# then its companions: Jacobians, a Hessian, an hvp and model ensembling.
import copy
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

torch.manual_seed(0)


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.fc1 = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc1(x), dim=1)


model = SimpleCNN()
data = torch.randn(8, 1, 8, 8)
targets = torch.randint(5, (8,))


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


def compute_grad(sample, target):
    prediction = model(sample.unsqueeze(0))
    loss = loss_fn(prediction, target.unsqueeze(0))
    return torch.autograd.grad(loss, list(model.parameters()))


per_sample_grads = [compute_grad(data[i], targets[i]) for i in range(8)]
per_sample_grads = [torch.stack(shards) for shards in zip(*per_sample_grads)]

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    predictions = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
    return loss_fn(predictions, target.unsqueeze(0))


ft_compute_sample_grad = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
for per_sample_grad, (name, ft_grad) in zip(per_sample_grads, ft_per_sample_grads.items()):
    same = torch.allclose(per_sample_grad, ft_grad, atol=3e-3, rtol=1e-5)
    print(name, tuple(ft_grad.shape), same, ft_grad.requires_grad)
    print(ft_grad.flatten()[:3].tolist(), ft_grad.abs().sum().item())

# Jacobians, a Hessian and a Hessian-vector product of a small function
weight, bias, x = torch.randn(3, 4), torch.randn(3), torch.randn(4)


def predict(weight, bias, x):
    return torch.tanh(F.linear(x, weight, bias))


print(jacrev(predict, argnums=2)(weight, bias, x))
print(jacfwd(predict, argnums=2)(weight, bias, x))
jw, jb = jacrev(predict, argnums=(0, 1))(weight, bias, x)
print(jw.shape, jb.shape, jw.sum().item(), jb.sum().item())
print(hessian(lambda x: predict(weight, bias, x).sum())(x))


def hvp(f, primals, tangents):
    return jvp(grad(f), primals, tangents)[1]


print(hvp(lambda x: x.sin().sum(), (x,), (torch.ones(4),)))


def hvp_revrev(f, primals, tangents):
    _, vjp_fn = vjp(grad(f), *primals)
    return vjp_fn(*tangents)


print(hvp_revrev(lambda x: x.sin().sum(), (x,), (torch.ones(4),)))
(ft_jacobian,) = vmap(vjp(partial(predict, weight, bias), x)[1])(torch.eye(3))
print(torch.allclose(ft_jacobian, jacrev(predict, argnums=2)(weight, bias, x)))
batch = torch.randn(5, 4)
batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, batch)
summed = jacrev(lambda w, b, x: predict(w, b, x).sum(0), argnums=2)(weight, bias, batch)
print(batch_jacobian.shape, torch.allclose(batch_jacobian, summed.movedim(1, 0)))
batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, batch)
print(batch_hessian.shape, batch_hessian[2, 1])

# model ensembling: stack_module_state + vmap over functional_call
models = [nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)) for _ in range(3)]
minibatch = torch.randn(5, 4)
ensemble_params, ensemble_buffers = torch.func.stack_module_state(models)
base = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


predictions = vmap(fmodel, in_dims=(0, 0, None))(ensemble_params, ensemble_buffers, minibatch)
print(predictions.shape)
print(torch.allclose(predictions, torch.stack([m(minibatch) for m in models]), atol=1e-6))
print(predictions[1])
minibatches = torch.randn(3, 5, 4)  # a different minibatch for each model
loop = torch.stack([m(mb) for m, mb in zip(models, minibatches)])
print(torch.allclose(vmap(fmodel)(ensemble_params, ensemble_buffers, minibatches), loop))

# torch.vmap is torch.func.vmap; it maps any function, a built-in one too
print(torch.vmap(torch.dot)(batch, batch.flip(0)))
print(torch.vmap(torch.outer, in_dims=(0, None), out_dims=1)(batch[:2], x).shape)
