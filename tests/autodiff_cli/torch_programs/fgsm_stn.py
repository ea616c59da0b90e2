# PyTorch's "Adversarial Example Generation" (FGSM on a small LeNet: data_grad.sign(), clamp)
# and "Spatial Transformer Networks" (a localisation net, affine_grid + grid_sample, trained a
# few steps) tutorials, on small generated images.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1)


def make_data(n):
    """Two classes of 12x12 images: a bright vertical or horizontal bar, plus noise."""
    images = torch.rand(n, 1, 12, 12) * 0.3
    labels = torch.arange(n) % 2
    for i in range(n):
        pos = 3 + i % 6
        if labels[i] == 0:
            images[i, 0, :, pos] += 0.7
        else:
            images[i, 0, pos, :] += 0.7
    return images.clamp(0, 1), labels


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 8)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    return torch.clamp(perturbed_image, 0, 1)


images, labels = make_data(32)
model = LeNet()
opt = optim.Adam(model.parameters(), lr=0.02)
for _epoch in range(40):
    opt.zero_grad()
    loss = F.nll_loss(model(images), labels)
    loss.backward()
    opt.step()
print("train loss", round(loss.item(), 5))
model.eval()

for epsilon in [0, 0.1, 0.2, 0.25, 0.3]:
    correct, adv_examples = 0, []
    for i in range(8):
        data, target = images[i : i + 1].clone(), labels[i : i + 1]
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        perturbed = fgsm_attack(data, epsilon, data_grad)
        final_pred = model(perturbed).max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
        elif len(adv_examples) < 2:
            adv_ex = perturbed.squeeze().detach().cpu().numpy()
            adv_examples.append((init_pred.item(), final_pred.item(), float(adv_ex.sum())))
    print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / 8 = {correct / 8}", adv_examples)


class STNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.localization = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=3),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(4, 6, kernel_size=3),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
        )
        self.fc_loc = nn.Sequential(nn.Linear(6 * 1 * 1, 8), nn.ReLU(True), nn.Linear(8, 3 * 2))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))
        self.head = nn.Linear(12 * 12, 2)

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 6 * 1 * 1)
        theta = self.fc_loc(xs).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False), theta

    def forward(self, x):
        x, theta = self.stn(x)
        return F.log_softmax(self.head(x.flatten(1)), dim=1), theta


stn = STNet()
opt = optim.SGD(stn.parameters(), lr=0.05)
for step in range(6):
    opt.zero_grad()
    out, theta = stn(images)
    loss = F.nll_loss(out, labels)
    loss.backward()
    opt.step()
    print("stn", step, round(loss.item(), 5), theta[0].flatten().tolist())
with torch.no_grad():
    warped, _ = stn.stn(images[:2])
    print("warped", warped.sum().item(), warped.shape)
    theta = torch.tensor([[[0.8, -0.2, 0.1], [0.3, 1.1, -0.2]]])
    grid = F.affine_grid(theta, (1, 1, 5, 4), align_corners=True)
    print(
        grid[0, 0],
        F.grid_sample(
            images[:1, :, :5, :4], grid, mode="nearest", padding_mode="border", align_corners=True
        )
        .sum()
        .item(),
    )
    print(
        F.grid_sample(images[:1], grid, padding_mode="reflection", align_corners=True).flatten()[:6]
    )
