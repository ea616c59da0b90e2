"""torchvision.datasets.CIFAR10 and CIFAR100 from the "python version" files, read without
running code.

The batches are Python pickles of a dict holding a uint8 array and label lists. torchvision
unpickles them; here an unpickler allows exactly the globals a NumPy array needs
(numpy's _reconstruct, ndarray and dtype, and _codecs.encode, which Python 3's protocol 2
writes bytes with), so a crafted file can name nothing else, and every value is checked
(shapes, dtype, label range) before use. NumPy refuses raw data whose size disagrees with the
shape it declares, so an array is never larger than the file. torchvision also compares each
file's MD5 with the published one; here the files' structure is checked instead (a damaged
file is refused by name), so a subset or a re-packed copy loads too.
"""

import io
import os
import pickle
import tarfile

import numpy as np

from .vision_dataset import VisionDataset, _pil_image

# the globals a pickled NumPy array names (numpy.core before NumPy 2, numpy._core after)
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}
MAX_BATCH_BYTES = 1 << 30  # the largest CIFAR file is 155 MB


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"it names {module}.{name}, which is not allowed")
        return super().find_class(module, name)


def read_batch(path) -> dict:
    """The dict pickled in a CIFAR file, through the allow-list; a ValueError naming the file
    when it is not one."""
    size = os.path.getsize(path)
    if size > MAX_BATCH_BYTES:
        raise ValueError(f"{path}: {size} bytes, larger than any CIFAR file; not a CIFAR batch")
    with open(path, "rb") as f:
        data = f.read()
    try:
        entry = _ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, MemoryError, OverflowError, RecursionError) as e:  # fmt: skip
        raise ValueError(
            f"{path} is not a readable CIFAR batch ({e}); it is damaged or crafted"
        ) from None
    if not isinstance(entry, dict):
        raise ValueError(f"{path} holds a {type(entry).__name__}, not a CIFAR batch's dict")
    return entry


class CIFAR10(VisionDataset):
    """The 32x32 colour images of root/cifar-10-batches-py (data_batch_1..5 to train,
    test_batch to test, batches.meta for the class names); .data is (N, 32, 32, 3) uint8,
    .targets a list of ints, an item a PIL image (RGB) and its class, as torchvision's."""

    base_folder = "cifar-10-batches-py"
    filename = "cifar-10-python.tar.gz"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = self._missing()
        if missing:
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it "
                f"(missing {', '.join(missing)} in {self._folder()})"
            )
        images, self.targets = [], []
        for name in self.train_list if self.train else self.test_list:
            data, labels = self._batch(name)
            images.append(data)
            self.targets.extend(labels)
        self.data = np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # HWC
        self._load_meta()

    def _folder(self) -> str:
        return os.path.join(self.root, self.base_folder)

    def _missing(self) -> list:
        names = [*self.train_list, *self.test_list, self.meta["filename"]]
        return [n for n in names if not os.path.isfile(os.path.join(self._folder(), n))]

    def _batch(self, name: str) -> tuple:
        path = os.path.join(self._folder(), name)
        entry = read_batch(path)
        data, labels = entry.get("data"), entry.get(self.labels_key)
        if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
                and data.shape[1] == 3 * 32 * 32):  # fmt: skip
            raise ValueError(f"{path}: 'data' is not a (N, 3072) uint8 array")
        if not (isinstance(labels, list) and len(labels) == len(data)
                and all(type(v) is int and 0 <= v < 1000 for v in labels)):  # fmt: skip
            raise ValueError(f"{path}: '{self.labels_key}' is not a list of {len(data)} classes")
        return data, labels

    def _load_meta(self) -> None:
        path = os.path.join(self._folder(), self.meta["filename"])
        names = read_batch(path).get(self.meta["key"])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError(f"{path}: '{self.meta['key']}' is not a list of class names")
        self.classes = names
        self.class_to_idx = {name: i for i, name in enumerate(names)}

    def download(self) -> None:
        """Extract root/<filename> where it is there (torchvision's download leaves it so);
        nothing is downloaded."""
        if not self._missing():
            return
        archive = os.path.join(self.root, self.filename)
        if not os.path.isfile(archive):
            raise NotImplementedError(
                f"{self.__class__.__name__}(download=True): downloading is not supported by "
                f"autodiff. Put {self.filename} into {self.root}, or its files into "
                f"{self._folder()}."
            )
        wanted = {f"{self.base_folder}/{n}" for n in self._missing()}
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
            tar.extractall(self.root, members=members, filter="data")

    def __getitem__(self, index):
        img, target = _pil_image().fromarray(self.data[index]), self.targets[index]
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR10's format with 100 classes: root/cifar-100-python/{train,test,meta}; targets
    are the fine labels."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    labels_key = "fine_labels"
