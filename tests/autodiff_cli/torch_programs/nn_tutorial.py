# "What is torch.nn really?" in brief: a logistic regression from scratch (requires_grad_,
# a manual update under no_grad), refactored step by step into nn.Module, nn.Parameter,
# nn.Linear, optim, TensorDataset, DataLoader, a CNN with Lambda layers, Sequential and
# AdaptiveAvgPool2d, and a WrappedDataLoader; on small fixed images instead of MNIST.
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

n = 96
x_train = torch.relu(torch.sin(torch.arange(n * 784.0).reshape(n, 784) / 97.0)) * 0.1
y_train = torch.tensor([(i * 7) % 10 for i in range(n)])
x_valid, y_valid = x_train[:32] * 0.9, y_train[:32]
bs, lr, epochs = 32, 0.5, 2

weights = torch.linspace(-1, 1, 7840).reshape(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    return (torch.argmax(out, dim=1) == yb).float().mean()


for _ in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs : i * bs + bs], y_train[i * bs : i * bs + bs]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print("scratch", f"{loss.item():.5f} {accuracy(model(xb), yb).item():.4f}")


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def fixed_(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(0.05 * torch.cos(torch.arange(p.numel()) * 0.3 + i).reshape(p.shape))
    return model


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        print(epoch, f"{np.sum(np.multiply(losses, nums)) / np.sum(nums):.5f}")


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl, self.func = dl, func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)


train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
train_dl = DataLoader(train_ds, batch_size=bs)
valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
model = fixed_(Mnist_Logistic())
fit(epochs, model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr), train_dl, valid_dl)

cnn = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(8, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(8, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), Lambda(lambda x: x.view(x.size(0), -1)),
)  # fmt: skip
dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
train_dl = WrappedDataLoader(train_dl, lambda x, y: (x.view(-1, 1, 28, 28).to(dev), y.to(dev)))
valid_dl = WrappedDataLoader(valid_dl, lambda x, y: (x.view(-1, 1, 28, 28).to(dev), y.to(dev)))
fixed_(cnn).to(dev)
fit(epochs, cnn, F.cross_entropy, optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9), train_dl,
    valid_dl)  # fmt: skip
