# The PyTorch "Learn the Basics" model, optimization and save/load pages, in their style
# (our own code, seeded; random images in place of FashionMNIST).
import os
import sys
import tempfile

import torch
from torch import nn

torch.manual_seed(0)
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)
X = torch.rand(1, 28, 28, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
input_image = torch.rand(3, 28, 28)
print(input_image.size())
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28 * 28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
print(f"Before ReLU: {hidden1}\n\n")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1}")
seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
input_image = torch.rand(3, 28, 28)
logits = seq_modules(input_image)
softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)
print(pred_probab)
print(f"Model structure: {model}\n\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
X = torch.rand(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))
model.train()
for batch in range(3):
    pred = model(X)
    loss = loss_fn(pred, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    loss, current = loss.item(), (batch + 1) * len(X)
    print(f"loss: {loss:>7f}  [{current:>5d}/{192:>5d}]")
model.eval()
with torch.no_grad():
    pred = model(X)
    correct = (pred.argmax(1) == y).type(torch.float).sum().item()
    print(
        f"Test Error: \n Accuracy: {(100 * correct / 64):>0.1f}%, Avg loss: {loss_fn(pred, y).item():>8f} \n"
    )
d = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
os.makedirs(d, exist_ok=True)
torch.save(model.state_dict(), os.path.join(d, "model_weights.pth"))
model2 = NeuralNetwork()
print(model2.load_state_dict(torch.load(os.path.join(d, "model_weights.pth"), weights_only=True)))
model2.eval()
torch.save(model, os.path.join(d, "model.pth"))
model3 = torch.load(os.path.join(d, "model.pth"), weights_only=False)
print(type(model3).__name__, (model3(X) == model(X)).all().item())
