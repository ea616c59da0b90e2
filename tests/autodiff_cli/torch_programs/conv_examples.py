# Convolutional programs in the style of pytorch/examples: DCGAN's generator and discriminator
# (ConvTranspose2d, BatchNorm2d, LeakyReLU, BCELoss), mnist's net (Conv2d, Dropout, max_pool2d,
# Adadelta, StepLR), a VAE's loss, a 1-d signal classifier (Conv1d, MaxPool1d, AvgPool1d), an
# upsampling decoder (Upsample, F.interpolate, GroupNorm) and a siamese head (cosine
# similarity, normalize, pairwise distance).
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


def deterministic_(model, scale=0.2):
    """Fixed weights, so the printed numbers do not depend on the random stream."""
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(scale * torch.sin(torch.arange(p.numel()) * 0.7 + i).reshape(p.shape))


nz, ngf, ndf, nc = 4, 4, 4, 1
netG = nn.Sequential(
    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
    nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
)  # fmt: skip
netD = nn.Sequential(
    nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
    nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
)  # fmt: skip
deterministic_(netG)
deterministic_(netD)
criterion = nn.BCELoss()
optD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
noise = torch.cos(torch.arange(3 * nz * 1.0)).reshape(3, nz, 1, 1)
real = torch.sin(torch.arange(3 * 16 * 16.0) / 5).reshape(3, 1, 16, 16)
for step in range(2):
    netD.zero_grad()
    errD_real = criterion(netD(real).view(-1), torch.full((3,), 1.0))
    errD_real.backward()
    fake = netG(noise)
    errD_fake = criterion(netD(fake.detach()).view(-1), torch.full((3,), 0.0))
    errD_fake.backward()
    optD.step()
    netG.zero_grad()
    errG = criterion(netD(fake).view(-1), torch.full((3,), 1.0))
    errG.backward()
    optG.step()
    print("dcgan", step, tuple(fake.shape), f"{errD_real.item():.5f} {errD_fake.item():.5f}",
          f"{errG.item():.5f}")  # fmt: skip


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(8 * 5 * 5, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout2(self.dropout1(x))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return F.log_softmax(self.fc2(x), dim=1)


model = Net()
deterministic_(model)
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
images = torch.sin(torch.arange(6 * 14 * 14.0) / 7).reshape(6, 1, 14, 14)
labels = torch.tensor([0, 3, 5, 7, 9, 1])
for epoch in range(2):
    model.eval()  # eval: dropout off, so the numbers do not depend on the random stream
    optimizer.zero_grad()
    loss = F.nll_loss(model(images), labels)
    loss.backward()
    optimizer.step()
    scheduler.step()
    with torch.no_grad():
        correct = model(images).argmax(dim=1, keepdim=True).eq(labels.view(-1, 1)).sum().item()
    print("mnist", epoch, f"{loss.item():.5f}", correct, f"{scheduler.get_last_lr()[0]:.4f}")

recon_x = torch.sigmoid(torch.arange(12.0).reshape(3, 4) - 6)
x = torch.linspace(0.05, 0.95, 12).reshape(3, 4)
mu, logvar = torch.linspace(-1, 1, 6).reshape(3, 2), torch.linspace(-0.5, 0.5, 6).reshape(3, 2)
BCE = F.binary_cross_entropy(recon_x, x, reduction="sum")
KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
print("vae", f"{BCE.item():.5f} {KLD.item():.5f}")

signal = nn.Sequential(
    nn.Conv1d(2, 6, 5, padding=2), nn.BatchNorm1d(6), nn.Hardswish(), nn.MaxPool1d(2),
    nn.Conv1d(6, 6, 3, dilation=2), nn.Mish(), nn.AvgPool1d(3, stride=2, padding=1),
    nn.Dropout1d(0.3), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(6, 3),
)  # fmt: skip
deterministic_(signal)
waves = torch.sin(torch.arange(4 * 2 * 20.0).reshape(4, 2, 20) / 3)
targets = torch.tensor([0, 1, 2, 1])
opt = optim.SGD(signal.parameters(), lr=0.1, momentum=0.9)
for _ in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(signal.eval()(waves), targets)
    loss.backward()
    torch.nn.utils.clip_grad_value_(signal.parameters(), 0.05)
    opt.step()
vector = torch.nn.utils.parameters_to_vector(signal.parameters())
print("conv1d", f"{loss.item():.5f}", vector.numel(), f"{vector.abs().sum().item():.5f}")

decoder = nn.Sequential(
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), nn.Conv2d(2, 4, 3, padding=1),
    nn.GroupNorm(2, 4), nn.ReLU6(), nn.Upsample(scale_factor=2), nn.Conv2d(4, 1, 3, padding=1),
    nn.Hardtanh(-0.5, 0.5),
)  # fmt: skip
deterministic_(decoder)
z = torch.cos(torch.arange(2 * 2 * 3 * 3.0)).reshape(2, 2, 3, 3)
out = decoder(z)
small = F.interpolate(out, size=(5, 5), mode="bilinear")
(small.pow(2).sum() + out.mean()).backward()
grad = decoder[1].weight.grad
print("decoder", tuple(out.shape), f"{small.sum().item():.5f} {grad.abs().sum().item():.5f}")

embed = nn.Sequential(nn.Linear(4, 6), nn.SiLU(), nn.Linear(6, 3))
deterministic_(embed)
left, right = torch.linspace(-1, 1, 12).reshape(3, 4), torch.linspace(1, -0.5, 12).reshape(3, 4)
a, b = F.normalize(embed(left), dim=1), F.normalize(embed(right), dim=1)
similarity = F.cosine_similarity(embed(left), embed(right))
distance = F.pairwise_distance(a, b)
(similarity.sum() - distance.sum()).backward()
print("siamese", [round(v, 5) for v in similarity.tolist()], f"{distance.sum().item():.5f}",
      f"{embed[0].weight.grad.abs().sum().item():.5f}")  # fmt: skip
