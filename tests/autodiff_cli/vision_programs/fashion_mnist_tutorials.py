# The PyTorch "Learn the Basics" Quickstart, Datasets & DataLoaders and Transforms pages, in their
# style (our own code, seeded), on a small made-up Fashion-MNIST written as IDX files into
# data/FashionMNIST/raw/ under the folder given as the first argument.
import os
import struct
import sys

import numpy as np
import torch
import torchvision.transforms.functional as TF
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import Compose, Lambda, Normalize, RandomHorizontalFlip, ToTensor

os.makedirs(sys.argv[1], exist_ok=True)
os.chdir(sys.argv[1])


def write_idx(path, array):
    """IDX as the dataset ships it: magic (2051 images, 2049 labels), the sizes, the bytes."""
    magic = 2051 if array.ndim == 3 else 2049
    with open(path, "wb") as f:
        f.write(struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes())


rng = np.random.default_rng(0)
os.makedirs("data/FashionMNIST/raw", exist_ok=True)
for prefix, n in (("train", 320), ("t10k", 96)):
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 64, (n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):  # each class a bright band at its own rows, left half
        images[i, 2 * label + 3 : 2 * label + 6, 2:14] += 180
    write_idx(f"data/FashionMNIST/raw/{prefix}-images-idx3-ubyte", images)
    write_idx(f"data/FashionMNIST/raw/{prefix}-labels-idx1-ubyte", labels)

# Quickstart
training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())
print(training_data)
print(test_data)
print(len(training_data), len(test_data), training_data.classes)
print(training_data.class_to_idx)
print(training_data.data.shape, training_data.data.dtype, training_data.data[7, 5, :8])
print(training_data.targets[:12], training_data.targets.dtype)

batch_size = 64
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)
for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape} {X.dtype}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

torch.manual_seed(0)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


model = NeuralNetwork()
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5e-2)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size, num_batches = len(dataloader.dataset), len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


for t in range(3):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)

# Datasets & DataLoaders: items, a random sample, a shuffled loader
labels_map = dict(enumerate(training_data.classes))
sample_idx = torch.randint(len(training_data), size=(1,)).item()
img, label = training_data[sample_idx]
print(sample_idx, label, labels_map[label], img.squeeze().shape, img.sum().item(), img.max().item())
pil, label = datasets.FashionMNIST("data", train=False)[-1]
print(type(pil).__name__, pil.mode, pil.size, pil.getpixel((3, 2 * label + 4)), label)
train_features, train_labels = next(iter(DataLoader(training_data, batch_size=16, shuffle=True)))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}", train_labels)

# Transforms: one-hot targets, and a composed pipeline with a seeded random flip
ds = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor(),
    target_transform=Lambda(
        lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
    ),
)
print(ds)
print(ds[5][1], ds.target_transform, ds.transforms)
transform = Compose([RandomHorizontalFlip(p=0.5), ToTensor(), Normalize((0.5,), (0.5,))])
print(transform)
augmented = datasets.FashionMNIST("data", train=False, transform=transform)
torch.manual_seed(1)
X = torch.stack([augmented[i][0] for i in range(12)])
print(X.shape, X.mean().item(), X.std().item())
print("unflipped:", (X[:, 0, :, :14].sum((1, 2)) > X[:, 0, :, 14:].sum((1, 2))).int())
print(TF.to_tensor(np.arange(12, dtype=np.uint8).reshape(2, 3, 2)))
print(TF.to_tensor(np.ones((2, 2))).dtype, TF.hflip(torch.arange(6.0).view(1, 2, 3)))
print(Normalize([0.1, 0.2], [2.0, 4.0], inplace=True)(torch.ones(2, 1, 2)))
