# torchvision.models' ResNets built with weights=None, as pytorch/examples' siamese network and
# transfer-learning tutorials build them: parameter names, seeded initialisation, forward and
# backward (float64, so the comparison with torchvision holds to many digits).
import warnings

import torch
import torchvision
from torchvision.models import resnet18, resnet50

torch.manual_seed(0)
model = resnet18(weights=None)
print("resnet18", sum(p.numel() for p in model.parameters()), len(model.state_dict()))
print(list(model.state_dict())[:8])
print([f"{p.double().sum().item():.4f}" for p in list(model.parameters())[:3]])
print(
    "fc",
    f"{model.fc.weight.double().sum().item():.6f}",
    f"{model.layer4[1].conv2.weight.double().std().item():.6f}",
)
print(model.layer2[0])
model.double()
x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
out = model(x)
out.sum().backward()
print(
    "train",
    tuple(out.shape),
    f"{out.sum().item():.8f}",
    f"{model.conv1.weight.grad.norm().item():.8f}",
)
model.eval()
print("eval", f"{model(x).sum().item():.8f}")
# the siamese network's surgery: one input channel, the classifier dropped
model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
features = torch.nn.Sequential(*(list(model.children())[:-1])).float()
print("features", tuple(features(torch.rand(2, 1, 28, 28)).shape), model.fc.in_features)

wide = resnet50(num_classes=10, zero_init_residual=True).double().eval()
print(
    "resnet50",
    sum(p.numel() for p in wide.parameters()),
    f"{wide(x[:, :, :32, :32]).sum().item():.8f}",
)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torchvision.models.resnet34(pretrained=False)
print("warned", [str(w.message) for w in caught])
