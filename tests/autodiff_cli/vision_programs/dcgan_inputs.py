# The inputs of pytorch/examples' DCGAN: FakeData (--dataset fake), ImageFolder (--dataset
# folder) through Resize + CenterCrop + ToTensor + Normalize, MNIST resized to 64 pixels; and
# the transforms on tensors and PIL images alike.
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.transforms.functional as TF
from PIL import Image

folder = Path(sys.argv[1])
rng = np.random.default_rng(0)
for name in ("cats", "dogs"):
    (folder / "images" / name / "inner").mkdir(parents=True, exist_ok=True)
    for i in range(3):
        h, w = rng.integers(20, 45, 2)
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "images" / name / f"{i}.{'png' if i % 2 else 'bmp'}")
    Image.fromarray(pixels[:, :, 0]).save(folder / "images" / name / "inner" / "grey.PNG")
(folder / "images" / "cats" / "notes.txt").write_text("not an image")


def summary(t):
    t = t.double()
    weights = torch.arange(t.numel(), dtype=torch.float64).reshape(t.shape) % 7
    return f"{tuple(t.shape)} {t.sum().item():.4f} {(t * weights).sum().item():.4f}"


size = 32
preprocess = transforms.Compose([
    transforms.Resize(size),
    transforms.CenterCrop(size),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])  # fmt: skip
print(preprocess)
images = dset.ImageFolder(root=str(folder / "images"), transform=preprocess)
print(len(images), images.classes, images.class_to_idx, images.targets)
print([Path(p).relative_to(folder).as_posix() for p, _ in images.imgs])
for i in (0, 3, 7):
    x, label = images[i]
    print("folder", i, label, summary(x))
loader = torch.utils.data.DataLoader(
    images, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1)
)
batch, labels = next(iter(loader))
print("batch", summary(batch), labels.tolist())

fake = dset.FakeData(size=6, image_size=(3, 9, 7), num_classes=4, transform=transforms.ToTensor())
torch.manual_seed(5)
before = torch.rand(1).item()
print(fake)
for i in (0, 5):
    x, label = fake[i]
    print("fake", i, label, summary(x))
torch.manual_seed(5)
print("caller's generator untouched", torch.rand(1).item() == before)
picture, label = dset.FakeData(size=2, image_size=(1, 5, 4), random_offset=3)[1]
print("fake picture", picture.mode, picture.size, label, np.asarray(picture).sum())

square = torch.linspace(0, 1, 3 * 10 * 14).reshape(3, 10, 14)
for options in ({"size": 6}, {"size": [7, 5]}, {"size": 6, "max_size": 8}, {"size": 20}):
    print("resize tensor", options, summary(TF.resize(square, **options)))
as_bytes = (square * 255).to(torch.uint8)
print("resize uint8", summary(TF.resize(as_bytes, [6, 9])), TF.resize(as_bytes, [6, 9]).dtype)
print(
    "resize nearest",
    summary(TF.resize(square, 5, interpolation=transforms.InterpolationMode.NEAREST)),
)
pil = TF.to_pil_image(square)
print("to_pil", pil.mode, pil.size, np.asarray(pil).sum())
for size in (4, (5, 3), 13, (12, 16), [9]):
    print("center_crop", size, summary(TF.center_crop(square, size)),
          np.asarray(TF.center_crop(pil, size)).astype(np.int64).sum())  # fmt: skip
for interpolation in (
    transforms.InterpolationMode.BICUBIC,
    0,
    transforms.InterpolationMode.LANCZOS,
):
    print(
        "resize pil",
        interpolation,
        np.asarray(TF.resize(pil, 7, interpolation=interpolation)).sum(),
    )
print(
    transforms.Resize(64),
    transforms.CenterCrop(64),
    transforms.ToPILImage(),
    transforms.Resize((3, 4), 3),
)
grey = TF.to_pil_image(torch.rand(1, 4, 4))
print(
    "modes",
    grey.mode,
    TF.to_pil_image(torch.rand(4, 3, 3)).mode,
    TF.to_pil_image(np.ones((3, 3), np.float32)).mode,
)
for bad in (
    lambda: transforms.Resize((1, 2, 3)),
    lambda: TF.to_pil_image([1]),
    lambda: TF.resize(pil, 4, interpolation="bilinear"),
    lambda: dset.FakeData(size=2)[2],
):
    try:
        bad()
    except Exception as e:
        print("refused", type(e).__name__, e)
