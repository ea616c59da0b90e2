"""torchvision's datasets.MNIST/FashionMNIST, its first transforms and utils.make_grid /
save_image, for `autodiff run` only.

The PyTorch tutorials' first pages (Quickstart, Datasets & DataLoaders, Transforms) import
torchvision, and pytorch/examples' VAE saves its samples with torchvision.utils.save_image.
`autodiff run` maps `torchvision`, `torchvision.datasets`, `torchvision.transforms`,
`torchvision.transforms.functional` and `torchvision.utils` here (autodiff_cli/run.py
MODULES); every other torchvision module is refused. The folder is named `torchvision_shim`,
inside autodiff_cli, so that `import torchvision` outside `autodiff run` never finds it (a real
torchvision stays theirs).
"""

from . import datasets, transforms, utils

__version__ = "0.28.0+autodiff"
__all__ = ["datasets", "transforms", "utils"]
