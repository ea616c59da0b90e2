# torchvision.utils as a VAE's and a DCGAN's tutorials use it: make_grid of generated samples
# (normalized, each image scaled alone, with padding) and save_image of a comparison grid.
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid, save_image

folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
samples = torch.rand(5, 1, 4, 3) * 3 - 1  # values outside [0, 1], as a generator's tanh-free output
weights = torch.arange(1000, dtype=torch.float32)
for options in [
    {},
    {"nrow": 2, "padding": 1, "pad_value": 0.25},
    {"normalize": True},
    {"normalize": True, "scale_each": True, "nrow": 3},
    {"normalize": True, "value_range": (0.2, 0.7)},
]:
    grid = make_grid(samples, **options)
    weighted = (grid.flatten() * weights[: grid.numel()]).sum()
    print("grid", tuple(grid.shape), f"{grid.sum().item():.4f}", f"{weighted.item():.2f}")
single, plane, pair = (
    make_grid(samples[0]),
    make_grid(samples[0, 0]),
    make_grid([samples[0], samples[1]]),
)
print("shapes", tuple(single.shape), tuple(plane.shape), tuple(pair.shape))
print("two channels", tuple(make_grid(torch.rand(3, 2, 5, 5)).shape))
# DCGAN's picture: channels last for plt.imshow
print("imshow", np.transpose(make_grid(samples, padding=2, normalize=True), (1, 2, 0)).shape)

# the VAE's comparison: originals above their reconstructions, n per row
data, recon = torch.rand(4, 1, 6, 6), torch.rand(4, 36)
n = 3
comparison = torch.cat([data[:n], recon.view(4, 1, 6, 6)[:n]])
save_image(comparison.cpu(), folder / "reconstruction.png", nrow=n)
save_image(samples, folder / "samples.png", normalize=True)
for name in ("reconstruction.png", "samples.png"):
    pixels = np.asarray(Image.open(folder / name)).astype(np.int64)
    digest = (pixels * (np.arange(pixels.size).reshape(pixels.shape) % 97)).sum()
    print(name, pixels.shape, pixels.sum(), digest)
try:
    make_grid([samples[0], 3])
except TypeError as e:
    print("refused:", e)
