# pytorch/examples mnist_forward_forward: Hinton's forward-forward algorithm. Each layer is
# trained alone to give high "goodness" (mean squared activation) to positive data (image with
# its true label written into the first pixels) and low goodness to negative data (a wrong
# label); prediction picks the label with the highest total goodness. Small generated data.
import torch
import torch.nn as nn
from torch.optim import Adam

torch.manual_seed(1234)
N_CLASSES, DIM = 4, 20
centres = torch.randn(N_CLASSES, DIM)


def make(n):
    y = torch.arange(n) % N_CLASSES
    return centres[y] + 0.3 * torch.randn(n, DIM), y


def overlay_y_on_x(x, y):
    """Replace the first N_CLASSES values of x with a one-hot of y (times x.max())."""
    x_ = x.clone()
    x_[:, :N_CLASSES] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=0.03)
        self.threshold = 2.0
        self.num_epochs = 60

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log(
                1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))
            ).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if i % 20 == 0:
                print("  layer loss", i, round(loss.item(), 5))
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = [Layer(dims[d], dims[d + 1]) for d in range(len(dims) - 1)]

    def predict(self, x):
        goodness_per_label = []
        for label in range(N_CLASSES):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print("training layer", i, "...")
            h_pos, h_neg = layer.train(h_pos, h_neg)


x, y = make(64)
x_te, y_te = make(32)
net = Net([DIM, 32, 32])
x_pos = overlay_y_on_x(x, y)
rnd = torch.randperm(x.size(0))
x_neg = overlay_y_on_x(x, y[rnd])
print("same labels in negatives", int((y == y[rnd]).sum()))
net.train(x_pos, x_neg)
print("train error:", 1.0 - net.predict(x).eq(y).float().mean().item())
print("test error:", 1.0 - net.predict(x_te).eq(y_te).float().mean().item())
print(net.layers[0].weight.norm().item(), len(list(net.parameters())))
