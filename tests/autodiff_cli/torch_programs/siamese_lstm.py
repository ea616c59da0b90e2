# pytorch/examples siamese_network (pairs of images, shared tower, BCE on a similarity head)
# and mnist_rnn (an LSTM reading image rows, StepLR), on small generated "digits".
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(7)
N_CLASSES, SIDE = 4, 8
prototypes = torch.rand(N_CLASSES, 1, SIDE, SIDE)


def digits(n):
    labels = torch.arange(n) % N_CLASSES
    return (prototypes[labels] + 0.25 * torch.randn(n, 1, SIDE, SIDE)).clamp(0, 1), labels


class PairDataset(Dataset):
    """Item i: a pair of images, target 1 when they show the same class (every other pair)."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels
        self.by_class = [torch.nonzero(labels == c).flatten() for c in range(N_CLASSES)]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image_1, c = self.images[index], int(self.labels[index])
        if index % 2 == 0:
            others = self.by_class[c]
            target = torch.tensor(1, dtype=torch.float)
        else:
            others = self.by_class[(c + 1 + index % (N_CLASSES - 1)) % N_CLASSES]
            target = torch.tensor(0, dtype=torch.float)
        image_2 = self.images[others[torch.randint(0, len(others), (1,)).item()]]
        return image_1, image_2, target


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 16),
        )
        self.fc = nn.Sequential(nn.Linear(32, 16), nn.ReLU(inplace=True), nn.Linear(16, 1))
        self.sigmoid = nn.Sigmoid()
        self.tower.apply(self.init_weights)
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward(self, input1, input2):
        output = torch.cat((self.tower(input1), self.tower(input2)), 1)
        return self.sigmoid(self.fc(output))


images, labels = digits(48)
loader = DataLoader(PairDataset(images, labels), batch_size=12, shuffle=True)
model = SiameseNetwork()
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
criterion = nn.BCELoss()
for epoch in range(1, 4):
    model.train()
    for images_1, images_2, targets in loader:
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        correct = 0
        for images_1, images_2, targets in DataLoader(PairDataset(images, labels), batch_size=24):
            pred = torch.where(model(images_1, images_2).squeeze() > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
    print(epoch, round(loss.item(), 5), correct, scheduler.get_last_lr())


class RNNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=SIDE, hidden_size=24, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(24)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(24, 16)
        self.fc2 = nn.Linear(16, N_CLASSES)

    def forward(self, input):
        input = input.reshape(-1, SIDE, SIDE)  # rows are the time steps
        output, hidden = self.rnn(input)
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = F.relu(self.fc1(output))
        output = self.dropout2(output)
        return F.log_softmax(self.fc2(output), dim=1)


torch.manual_seed(1)
model = RNNNet()
optimizer = optim.Adam(model.parameters(), lr=0.01)
scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
train = DataLoader(list(zip(*digits(64))), batch_size=16, shuffle=True)
test_x, test_y = digits(32)
for epoch in range(1, 6):
    model.train()
    for data, target in train:
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        output = model(test_x)
        test_loss = F.nll_loss(output, test_y, reduction="sum").item() / len(test_y)
        correct = (
            output.argmax(dim=1, keepdim=True)
            .eq(test_y.view_as(output.argmax(1, keepdim=True)))
            .sum()
            .item()
        )
    print(f"epoch {epoch} train {loss.item():.5f} test {test_loss:.5f} acc {correct}/32")
print([k for k in model.state_dict() if k.startswith("rnn")])
