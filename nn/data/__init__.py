"""Datasets, normalisation and the DataLoader (pure NumPy in, autodiff tensors out)."""

from .datasets import (
    ADVERTISING_COLUMNS,
    CIFAR10_CLASSES,
    IRIS_CLASSES,
    IRIS_FEATURES,
    TRUE_COEF,
    TRUE_INTERCEPT,
    donut,
    load_advertising,
    load_cifar10,
    load_cifar10_batch,
    load_iris,
    make_advertising,
    xor,
)
from .idx import CLASSES as FASHION_MNIST_CLASSES
from .idx import (
    download_fashion_mnist,
    find_fashion_mnist,
    load_fashion_mnist,
    read_images,
    read_labels,
    search_dirs,
    write_idx,
)
from . import augment
from .loader import DataLoader, train_val_split
from .transforms import METHODS as NORMALIZE_METHODS
from .transforms import Normalizer, normalize

__all__ = [
    "ADVERTISING_COLUMNS",
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "IRIS_CLASSES",
    "IRIS_FEATURES",
    "NORMALIZE_METHODS",
    "TRUE_COEF",
    "TRUE_INTERCEPT",
    "DataLoader",
    "Normalizer",
    "donut",
    "download_fashion_mnist",
    "find_fashion_mnist",
    "load_advertising",
    "load_cifar10",
    "load_cifar10_batch",
    "load_fashion_mnist",
    "load_iris",
    "make_advertising",
    "normalize",
    "read_images",
    "read_labels",
    "search_dirs",
    "train_val_split",
    "write_idx",
    "xor",
]
