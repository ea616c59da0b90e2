"""Fashion-MNIST from its IDX files: reading, validating, finding and downloading them."""

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# The checksums published with the dataset, for the .gz files on the mirror.
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, un-gzipped when its name ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise ValueError(f"read_idx: cannot read {path}: {e}. Re-download the file.") from e


def _header(raw: bytes, path: Path, magic: int, ndim: int) -> tuple:
    """Check the magic number and return the dimensions that follow it."""
    size = 4 * (1 + ndim)
    found = struct.unpack(">I", raw[:4])[0] if len(raw) >= 4 else None
    if found is not None and found != magic:
        raise ValueError(
            f"read_idx: {path} has magic number {found}, expected {magic} "
            f"({'images' if magic == IMAGES_MAGIC else 'labels'} file). "
            "Check that images and labels files are not swapped."
        )
    if len(raw) < size:
        raise ValueError(
            f"read_idx: {path} is truncated: {len(raw)} bytes, shorter than its "
            f"{size}-byte header. Re-download the file."
        )
    return struct.unpack(f">{ndim}I", raw[4:size]), size


def _body(raw: bytes, path: Path, dims: tuple, offset: int) -> np.ndarray:
    """The unsigned bytes after the header, checked against the header's count."""
    expected = math.prod(dims)  # Python ints: four 32-bit dims cannot overflow
    if len(raw) - offset < expected:
        raise ValueError(
            f"read_idx: {path} is truncated: header promises {expected} bytes of "
            f"data {dims}, file holds {len(raw) - offset}. Re-download the file."
        )
    if len(raw) - offset > expected:
        raise ValueError(
            f"read_idx: {path} has {len(raw) - offset - expected} bytes after the {expected} "
            f"bytes of data {dims} its header promises. Re-download the file."
        )
    try:
        return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=offset).reshape(dims)
    except ValueError as error:  # e.g. dims (0, 3e9, 3e9): no data, yet too big a shape
        raise ValueError(
            f"read_idx: {path} has header dims {dims}, which make no array ({error}). "
            "Re-download the file."
        ) from None


def read_images(path) -> np.ndarray:
    """An IDX3 image file (magic 2051) as a uint8 array (N, rows, cols)."""
    path = Path(path)
    raw = _read_bytes(path)
    dims, offset = _header(raw, path, IMAGES_MAGIC, 3)
    return _body(raw, path, dims, offset)


def read_labels(path) -> np.ndarray:
    """An IDX1 label file (magic 2049) as an int64 array (N,)."""
    path = Path(path)
    raw = _read_bytes(path)
    dims, offset = _header(raw, path, LABELS_MAGIC, 1)
    return _body(raw, path, dims, offset).astype(np.int64)


def write_idx(path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (images 3-d, labels 1-d); gzip when the name ends .gz."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim not in (1, 3):
        raise ValueError(
            f"write_idx: expected a 1-d (labels) or 3-d (images) array, got shape "
            f"{tuple(array.shape)}. Reshape it first."
        )
    magic = LABELS_MAGIC if array.ndim == 1 else IMAGES_MAGIC
    raw = struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def cache_dir() -> Path:
    """The user cache folder: $XDG_CACHE_HOME/autodiff or ~/.cache/autodiff."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autodiff"


def search_dirs(root=None) -> list:
    """Where Fashion-MNIST is looked for, in order (each also with a fashion-mnist subfolder):
    only root when one is given, else $AUTODIFF_DATA, the user cache, Debian's folder."""
    if root is not None:
        bases = [Path(root)]
    else:
        bases = [Path(os.environ["AUTODIFF_DATA"])] if os.environ.get("AUTODIFF_DATA") else []
        bases += [cache_dir(), DEBIAN_DIR]
    return [d for base in bases for d in (base, base / "fashion-mnist")]


def _find(name: str, folder: Path):
    """The file NAME or NAME.gz in folder, or None."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_fashion_mnist(root=None):
    """The first folder in the search order that holds all four files, or None."""
    names = FILES["train"] + FILES["test"]
    for folder in search_dirs(root):
        if all(_find(n, folder) for n in names):
            return folder
    return None


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(path.read_bytes())
    return digest.hexdigest()


def _urlopen_fetch(url: str, dest: Path) -> None:
    """Fetch url to dest with the standard library (the only network code of the library)."""
    from urllib.request import urlopen

    with urlopen(url, timeout=30) as response:
        dest.write_bytes(response.read())


def download_fashion_mnist(root=None, fetch=None, mirror: str = MIRROR) -> Path:
    """Download the four .gz files from the official mirror into root (or the cache), MD5-checked."""
    folder = Path(root) if root is not None else cache_dir() / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    fetch = fetch or _urlopen_fetch
    for name, md5 in MD5.items():
        dest = folder / name
        if dest.is_file() and _md5(dest) == md5:
            continue
        partial = dest.with_name(dest.name + ".part")
        try:
            fetch(mirror + name, partial)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise RuntimeError(
                f"download_fashion_mnist: cannot fetch {mirror + name}: {e}. "
                f"Copy the four IDX files into {folder} or set $AUTODIFF_DATA "
                "(Debian: apt install dataset-fashion-mnist)."
            ) from e
        if _md5(partial) != md5:
            partial.unlink(missing_ok=True)
            raise RuntimeError(
                f"download_fashion_mnist: {name} failed its MD5 check "
                f"(expected {md5}). Try again or fetch it by hand."
            )
        partial.replace(dest)
    return folder


def load_fashion_mnist(split: str = "train", root=None, download: bool = False) -> tuple:
    """Fashion-MNIST images (N, 28, 28) uint8 and labels (N,) int64 for split 'train' or 'test'."""
    if split not in FILES:
        raise ValueError(f"load_fashion_mnist: unknown split {split!r}. Use 'train' or 'test'.")
    folder = find_fashion_mnist(root)
    if folder is None:
        if not download:
            raise FileNotFoundError(_not_found(root))
        folder = download_fashion_mnist(root)
    image_name, label_name = FILES[split]
    image_path, label_path = _find(image_name, folder), _find(label_name, folder)
    images, labels = read_images(image_path), read_labels(label_path)
    if images.shape[1:] != (28, 28):
        raise ValueError(
            f"load_fashion_mnist: {image_path} holds images of {images.shape[1]}x"
            f"{images.shape[2]} pixels; Fashion-MNIST's are 28x28. Use the original files."
        )
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(CLASSES):
        bad = int(labels[(labels < 0) | (labels >= len(CLASSES))][0])
        raise ValueError(
            f"load_fashion_mnist: {label_path} holds label {bad}; Fashion-MNIST's are 0-9. "
            "Use the original files."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"load_fashion_mnist: {image_path} holds {len(images)} images but "
            f"{label_path} holds {len(labels)} labels. "
            "Use files of the same split."
        )
    return images, labels


def _not_found(root) -> str:
    """Why no folder was found: the given root and what it lacks, or the search order."""
    if root is None:
        looked = ", ".join(str(d) for d in search_dirs())
        return (
            f"load_fashion_mnist: the IDX files were not found (looked in {looked}). Pass "
            "root=, set $AUTODIFF_DATA, install Debian's dataset-fashion-mnist, or use "
            "download=True."
        )
    names = FILES["train"] + FILES["test"]
    if not Path(root).is_dir():
        what = "is not a folder" if Path(root).exists() else "does not exist"
    else:
        missing = ([n for n in names if not _find(n, d)] for d in search_dirs(root))
        lacking = min(missing, key=len)
        what = f"lacks {', '.join(lacking)} (or .gz)"
    return (
        f"load_fashion_mnist: the data root {root} {what}. Put the four IDX files there (or "
        "in its fashion-mnist subfolder), use download=True, or leave root out to search "
        "$AUTODIFF_DATA, the cache and Debian's folder."
    )
