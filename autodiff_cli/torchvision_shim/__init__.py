"""The part of torchvision learners' first programs use, for `autodiff run` only: datasets
(MNIST, FashionMNIST, FakeData, ImageFolder), transforms (ToTensor, ToPILImage, Normalize,
Resize, CenterCrop, ...), utils.make_grid / save_image and models' ResNets (weights=None).

The PyTorch tutorials' first pages (Quickstart, Datasets & DataLoaders, Transforms) import
torchvision; pytorch/examples' VAE saves its samples with torchvision.utils.save_image, and its
DCGAN reads FakeData, an ImageFolder or MNIST resized to 64 pixels.
`autodiff run` maps `torchvision`, `torchvision.datasets`, `torchvision.transforms`,
`torchvision.transforms.functional`, `torchvision.utils` and `torchvision.models` here
(autodiff_cli/run.py MODULES); every other torchvision module is refused. The folder is
named `torchvision_shim`, inside autodiff_cli, so that `import torchvision` outside `autodiff
run` never finds it (a real torchvision stays theirs).
"""

from . import datasets, models, transforms, utils

__version__ = "0.28.0+autodiff"
__all__ = ["datasets", "models", "transforms", "utils"]
