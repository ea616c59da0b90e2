# The 60 Minute Blitz's "Training a Classifier" on CIFAR10 (a few made-up images in the real
# files' format), and CIFAR100's fine labels: dataset, transforms, a shuffled DataLoader, the
# grid of a batch and two SGD steps of the tutorial's Net.
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms

Path(sys.argv[1]).mkdir(parents=True, exist_ok=True)
os.chdir(sys.argv[1])  # the datasets print their root: "data" for ours and torchvision's alike
root = Path("data")
rng = np.random.default_rng(0)
classes = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write(path, entry):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(entry, protocol=2))


for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
    images = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    write(
        root / "cifar-10-batches-py" / name,
        {"data": images, "labels": [int(v) for v in rng.integers(0, 10, 3)]},
    )
write(root / "cifar-10-batches-py" / "batches.meta", {"label_names": classes, "num_vis": 3072})
for name in ("train", "test"):
    images = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    write(
        root / "cifar-100-python" / name,
        {"data": images, "fine_labels": [5, 99, 0, 42], "coarse_labels": [1, 2, 3, 4]},
    )
write(root / "cifar-100-python" / "meta", {"fine_label_names": [f"class{i}" for i in range(100)]})
# these files are made up: torchvision's check of the real files' MD5 sums is turned off
if hasattr(torchvision.datasets, "cifar"):
    torchvision.datasets.cifar.check_integrity = lambda *args, **kwargs: True

transform = transforms.Compose(
    [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
)
trainset = torchvision.datasets.CIFAR10(
    root=str(root), train=True, download=True, transform=transform
)
testset = torchvision.datasets.CIFAR10(
    root=str(root), train=False, download=False, transform=transform
)
print(trainset)
print(len(trainset), len(testset), trainset.data.shape, trainset.data.dtype, trainset.targets[:6])
print(trainset.classes == classes, trainset.class_to_idx["truck"])
image, label = torchvision.datasets.CIFAR10(root=str(root))[4]
print("item", type(image).__name__, image.mode, image.size, label, np.asarray(image).sum())

torch.manual_seed(0)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True, num_workers=0)
images, labels = next(iter(trainloader))
grid = torchvision.utils.make_grid(images)
npimg = (grid / 2 + 0.5).numpy()
print("grid", grid.shape, f"{np.transpose(npimg, (1, 2, 0)).sum():.4f}")
print(" ".join(f"{classes[labels[j]]:5s}" for j in range(4)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
for i, (inputs, labels) in enumerate(trainloader):
    optimizer.zero_grad()
    loss = criterion(net(inputs), labels)
    loss.backward()
    optimizer.step()
    print(f"[1, {i + 1:5d}] loss: {loss.item():.6f}")

fine = torchvision.datasets.CIFAR100(root=str(root), train=False)
print(fine, fine.targets, fine.classes[99], len(fine.classes))
