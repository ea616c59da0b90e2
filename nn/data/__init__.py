"""Datasets, normalisation and the DataLoader (pure NumPy in, autodiff tensors out), with
torch.utils.data's Dataset, TensorDataset, Subset, random_split, samplers and collation."""

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
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
)
from .loader import ArrayLoader, DataLoader, get_worker_info
from .split import random_split, train_val_split
from .sampler import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .transforms import METHODS as NORMALIZE_METHODS
from .transforms import Normalizer, normalize

__all__ = [
    "ArrayLoader",
    "BatchSampler",
    "DistributedSampler",
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "get_worker_info",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "random_split",
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
