"""What learners print while they train, in the style of the "Learn the Basics" and "Saving and
loading" pages: a model, its optimizer with two parameter groups, losses, a scheduler's state,
the optimizer's state dict, tensors of several dtypes and sizes, a tensor's facts."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Dropout(0.25),
    nn.Linear(4 * 2 * 2, 3),
)
print(model)
adam = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
print(adam)
groups = [{"params": model[0].parameters()}, {"params": model[6].parameters(), "lr": 0.1}]
print(torch.optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True))
print(torch.optim.AdamW(model.parameters()))
print(torch.optim.RMSprop(model.parameters(), alpha=0.9))
scheduler = torch.optim.lr_scheduler.StepLR(adam, 3)
print(type(scheduler).__name__, scheduler.state_dict())
one_cycle = torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD(model.parameters()), 0.1, 10)
print(sorted(one_cycle.state_dict()))
print(nn.CrossEntropyLoss(label_smoothing=0.1), nn.MSELoss(reduction="sum"), nn.L1Loss())
x = torch.randn(2, 1, 4, 4)
y = model(x)
print(y.grad_fn.name(), y.sum().grad_fn.name(), y.sum(0).grad_fn.name())
print(list(model.state_dict().keys()))
print(model[1].running_mean, model[1].num_batches_tracked)
print(adam.state_dict()["param_groups"])
print(torch.randn(3, 3).to(torch.float16))
print(torch.arange(10).view(2, 5).float().mean(dim=1))
print(torch.tensor([1.5, float("nan"), float("inf")]), torch.tensor([1e-8, 1.0, 1e8]))
print(torch.tensor([[1e-3, 2.0], [3.0, 4e5]]))
print(torch.zeros(2, 3, dtype=torch.int32), torch.ones(2, dtype=torch.bool))
print(torch.tensor(3.0, requires_grad=True) * 2)
print(torch.randn(20, 20)[:2])
print(torch.linspace(0, 1, 5), torch.finfo(torch.float32), torch.iinfo(torch.int64))
print(F.one_hot(torch.tensor([0, 2]), 3), torch.tensor([0.1, 0.2], dtype=torch.float64))
print(torch.empty(0), torch.empty(2, 0))
print(x.shape, x.size(), x.dtype, x.device, x.layout, x.t if False else x.mT.shape)
print(torch.nn.Parameter(torch.ones(2)), torch.get_default_dtype(), torch.float32 == torch.float)
print(torch.ones(2, 3, requires_grad=True).t().grad_fn.name())
