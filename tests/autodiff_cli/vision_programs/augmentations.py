# The random augmentations of CIFAR and ImageNet training scripts, seeded: RandomCrop with
# padding, RandomResizedCrop, RandomHorizontalFlip, on PIL images and tensors; and F.pad's
# modes.
import numpy as np
import torch
import torchvision.transforms as transforms
import torchvision.transforms.functional as TF
from PIL import Image

rng = np.random.default_rng(0)
pil = Image.fromarray(rng.integers(0, 256, (32, 40, 3), dtype=np.uint8))
tensor = TF.to_tensor(pil)


def digest(img):
    a = np.asarray(img if not isinstance(img, torch.Tensor) else img.numpy(), dtype=np.float64)
    return f"{a.shape} {a.sum():.4f} {(a * (np.arange(a.size).reshape(a.shape) % 13)).sum():.4f}"


cifar = transforms.Compose(
    [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
)
imagenet = transforms.RandomResizedCrop(24)
print(cifar, imagenet, transforms.Pad((1, 2), fill=3, padding_mode="edge"), sep="\n")
torch.manual_seed(0)
for step in range(4):
    print("cifar pil", step, digest(cifar(pil)))
    print("cifar tensor", step, digest(cifar(tensor)))
    print("imagenet pil", step, digest(imagenet(pil)))
    print("imagenet tensor", step, digest(imagenet(tensor)))
narrow = transforms.RandomResizedCrop((8, 6), scale=(0.9, 1.0), ratio=(3.0, 4.0))
print("fallback", digest(narrow(pil)), digest(narrow(tensor)))
print("padded", digest(transforms.RandomCrop(44, pad_if_needed=True, fill=(1, 2, 3))(pil)))
for mode in ("constant", "edge", "reflect", "symmetric"):
    for padding in (3, (1, 2), (2, -3, 0, 4)):
        print(
            "pad",
            mode,
            padding,
            digest(TF.pad(pil, padding, 7, mode)),
            digest(TF.pad(tensor, padding, 7, mode)),
        )
grey = Image.fromarray(rng.integers(0, 256, (5, 6), dtype=np.uint8))
print("pad grey", digest(TF.pad(grey, 2, 9)), digest(TF.pad(grey, [1], 0, "reflect")))
for bad in (lambda: TF.pad(pil, (1, 2, 3)), lambda: TF.pad(pil, 1, padding_mode="wrap"),
            lambda: transforms.Pad((1, 2, 3)), lambda: transforms.Pad(1, padding_mode="wrap"),
            lambda: transforms.RandomCrop(50)(pil)):  # fmt: skip
    try:
        bad()
    except Exception as e:
        print("refused", type(e).__name__, e)
