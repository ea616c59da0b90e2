"""torchvision's datasets.MNIST/FashionMNIST and its first transforms, for `autodiff run` only.

The PyTorch tutorials' first pages (Quickstart, Datasets & DataLoaders, Transforms) import
torchvision. `autodiff run` maps `torchvision`, `torchvision.datasets`, `torchvision.transforms`
and `torchvision.transforms.functional` here (autodiff_cli/run.py MODULES); every other
torchvision module is refused. The folder is named `torchvision_shim`, inside autodiff_cli, so
that `import torchvision` outside `autodiff run` never finds it (a real torchvision stays theirs).
"""

from . import datasets, transforms

__version__ = "0.28.0+autodiff"
__all__ = ["datasets", "transforms"]
