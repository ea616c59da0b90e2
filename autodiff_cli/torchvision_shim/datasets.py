"""torchvision.datasets: MNIST and FashionMNIST on the project's IDX reader (nn.data.idx),
FakeData (seeded random images, as a DCGAN tutorial's --dataset fake) and ImageFolder /
DatasetFolder (one folder of images per class).

As torchvision 0.28: the files are looked for in root/<ClassName>/raw/ (plain or .gz); an item is
(PIL image of mode "L", int label) with the transforms applied; .data is a uint8 tensor
(N, 28, 28), .targets an int64 tensor. FashionMNIST is also looked for where the project's
loaders look (root, root/fashion-mnist, $AUTODIFF_DATA, the user cache, Debian's folder), and
download=True fetches it with the project's downloader; MNIST has no mirror here.
"""

import os
from pathlib import Path

import autodiff as ad
from nn.data import idx

from . import functional
from .cifar import CIFAR10, CIFAR100
from .vision_dataset import StandardTransform, VisionDataset, _pil_image

_NAMES = idx.FILES["train"] + idx.FILES["test"]


class MNIST(VisionDataset):
    """The MNIST digits from root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]."""

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        folder = self._folder()
        if folder is None:
            raise RuntimeError(
                f"Dataset not found. You can use download=True to download it (looked for "
                f"{', '.join(_NAMES)} (or .gz) in {', '.join(map(str, self._search_dirs()))})"
            )
        self.data, self.targets = self._load_data(folder)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict:
        return {name: i for i, name in enumerate(self.classes)}

    def _search_dirs(self) -> list:
        """Where the four files are looked for, in order: torchvision's folder only."""
        return [Path(self.raw_folder)]

    def _folder(self):
        """The first folder that holds all four files, or None."""
        for folder in self._search_dirs():
            if all(idx._find(name, folder) for name in _NAMES):
                return folder
        return None

    def _load_data(self, folder: Path) -> tuple:
        image_name, label_name = idx.FILES["train" if self.train else "test"]
        images = idx.read_images(idx._find(image_name, folder))
        labels = idx.read_labels(idx._find(label_name, folder))
        if len(images) != len(labels):
            raise ValueError(
                f"{self.__class__.__name__}: {folder} holds {len(images)} images but "
                f"{len(labels)} labels in its {'train' if self.train else 't10k'} files. "
                "Use files of the same split."
            )
        return ad.from_numpy(images), ad.from_numpy(labels)

    def download(self) -> None:
        if self._folder() is not None:
            return
        raise NotImplementedError(
            f"{self.__class__.__name__}(download=True): downloading is not supported by "
            f"autodiff (no mirror is known). Put the four IDX files ({', '.join(_NAMES)}, plain "
            f"or .gz) into {self.raw_folder}."
        )

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = _pil_image().fromarray(img.numpy())  # a 2-d uint8 array: mode "L"
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: root/FashionMNIST/raw first, then the project's search order."""

    classes = list(idx.CLASSES)

    def _search_dirs(self) -> list:
        return [Path(self.raw_folder), *idx.search_dirs(self.root), *idx.search_dirs()]

    def download(self) -> None:
        if self._folder() is None:
            idx.download_fashion_mnist(self.raw_folder)


class FakeData(VisionDataset):
    """size random images: item i is torch.randn(*image_size) drawn after
    manual_seed(i + random_offset) (the caller's generator state kept), as a PIL image, and a
    random class below num_classes; the same images and classes as torchvision's."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):  # fmt: skip
        super().__init__(transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = image_size, random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        state = ad.get_rng_state()
        ad.manual_seed(index + self.random_offset)
        img = ad.randn(*self.image_size)
        target = ad.randint(0, self.num_classes, size=(1,), dtype=ad.int64)[0]
        ad.set_rng_state(state)
        img, target = self._transformed(functional.to_pil_image(img), target)
        return img, target.item()

    def __len__(self) -> int:
        return self.size


IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions) -> bool:
    """Whether filename ends with one of extensions, in any case."""
    return (
        str(filename)
        .lower()
        .endswith(extensions if isinstance(extensions, str) else tuple(extensions))
    )


def find_classes(directory) -> tuple:
    """The class folders of directory, sorted, and each one's index."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False) -> list:  # fmt: skip
    """(path, class index) of every file under each class folder that extensions (or
    is_valid_file) accepts, in sorted order; a class folder without one is an error unless
    allow_empty."""
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError(
            "Both extensions and is_valid_file cannot be None or not None at the same time"
        )
    if extensions is not None:

        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    samples, found = [], set()
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        for root, _, files in sorted(os.walk(folder, followlinks=True)):
            for file in sorted(files):
                path = os.path.join(root, file)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[name]))
                    found.add(name)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"Supported extensions are: {listed}"
        raise FileNotFoundError(message)
    return samples


def pil_loader(path):
    """The image file at path as an RGB PIL image (Pillow's own limits bound its size)."""
    with open(path, "rb") as f:
        return _pil_image().open(f).convert("RGB")


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """root/<class>/.../<file>: each file a sample loaded by loader, labelled by its class
    folder's index among the sorted class folders."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):  # fmt: skip
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(
            self.root, self.class_to_idx, extensions, is_valid_file, allow_empty=allow_empty
        )
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False) -> list:  # fmt: skip
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory) -> tuple:
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        return self._transformed(sample, target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """DatasetFolder of images (IMG_EXTENSIONS) read as RGB PIL images; .imgs is .samples."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):  # fmt: skip
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples


__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "MNIST",
    "StandardTransform",
    "VisionDataset",
]
