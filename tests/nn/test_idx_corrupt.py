"""Corrupt Fashion-MNIST IDX files and data roots: every fault is a clear error naming the file
(or the root), never a NumPy/zlib error or a silent fallback to another copy."""

import gzip
import math
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import data
from nn.data import idx


def _write_split(folder: Path, images: np.ndarray, labels: np.ndarray, prefix: str) -> None:
    names = idx.FILES[prefix]
    data.write_idx(folder / names[0], images)
    data.write_idx(folder / names[1], labels)


def _dataset(folder: Path, images=None, labels=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8) if images is None else images
    labels = rng.integers(0, 10, len(images)).astype(np.uint8) if labels is None else labels
    _write_split(folder, images, labels, "train")
    _write_split(folder, images, labels, "test")
    return folder


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Another copy is visible through $AUTODIFF_DATA: a given root must still not fall back."""
    monkeypatch.setenv("AUTODIFF_DATA", str(_dataset(tmp_path / "elsewhere")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_a_given_root_that_does_not_exist_is_an_error_naming_it(isolated):
    with pytest.raises(FileNotFoundError, match=r"data root .*not-there does not exist"):
        data.load_fashion_mnist("test", root=isolated / "not-there")


def test_a_given_root_without_all_files_says_what_it_lacks(isolated):
    partial = isolated / "partial"
    _dataset(partial)
    (partial / idx.FILES["test"][1]).unlink()
    with pytest.raises(FileNotFoundError, match=r"partial lacks t10k-labels-idx1-ubyte \(or .gz\)"):
        data.load_fashion_mnist("test", root=partial)
    assert data.find_fashion_mnist(root=partial) is None


def test_without_a_root_the_search_order_applies(isolated):
    assert data.find_fashion_mnist() == isolated / "elsewhere"
    assert data.load_fashion_mnist("test")[0].shape == (6, 28, 28)


def test_labels_outside_0_to_9_name_the_file(tmp_path):
    _dataset(tmp_path, labels=np.array([0, 1, 2, 3, 4, 12], np.uint8))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte holds label 12.*0-9"):
        data.load_fashion_mnist("train", root=tmp_path)


def test_odd_image_sizes_name_the_file(tmp_path):
    _dataset(tmp_path, images=np.zeros((6, 28, 27), np.uint8))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte holds images of 28x27"):
        data.load_fashion_mnist("train", root=tmp_path)


def test_trailing_bytes_name_the_file(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(struct.pack(">II", 2049, 3) + bytes(3) + b"junk")
    with pytest.raises(ValueError, match=r"labels has 4 bytes after the 3 bytes of data"):
        data.read_labels(path)


def test_a_corrupt_gzip_body_names_the_file(tmp_path):
    body = bytearray(gzip.compress(struct.pack(">II", 2049, 1000) + bytes(1000)))
    body[15:25] = b"\xff" * 10  # inside the deflate stream: zlib.error, not BadGzipFile
    path = tmp_path / "bad-labels.gz"
    path.write_bytes(bytes(body))
    with pytest.raises(ValueError, match=r"cannot read .*bad-labels.gz"):
        data.read_labels(path)


def test_dims_whose_product_overflows_int64_name_the_file(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(struct.pack(">IIII", 2051, 2**32 - 1, 2**32 - 1, 2**32 - 1) + bytes(8))
    with pytest.raises(ValueError, match=r"huge is truncated: header promises \d{28,} bytes"):
        data.read_images(path)


def test_an_empty_array_of_too_big_a_shape_names_the_file(tmp_path):
    path = tmp_path / "empty"  # 0 images of 3e9 x 3e9 pixels: no data, yet no array either
    path.write_bytes(struct.pack(">IIII", 2051, 0, 3036988439, 3037012561))
    with pytest.raises(ValueError, match=r"empty has header dims \(0, 3036988439, 3037012561\)"):
        data.read_images(path)


def _check_read(raw: bytes, reader, suffix: str = "") -> None:
    """Either a correct array or a ValueError naming the file: nothing else may happen."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(raw)
        try:
            array = reader(path)
        except ValueError as e:
            assert str(path) in str(e)
            return
    body = gzip.decompress(raw) if suffix else raw
    ndim = 3 if reader is data.read_images else 1
    dims = struct.unpack(f">{ndim}I", body[4 : 4 * (1 + ndim)])
    assert array.shape == dims and array.size == len(body) - 4 * (1 + ndim)
    np.testing.assert_array_equal(array.ravel(), np.frombuffer(body, np.uint8, offset=4 + 4 * ndim))


_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_dim = st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1))


@_settings
@given(
    magic=st.sampled_from([2051, 2049, 0, 2**32 - 1]),
    dims=st.lists(_dim, min_size=0, max_size=3),
    body=st.binary(max_size=300),
    gz=st.booleans(),
    exact=st.booleans(),
)
def test_fuzzed_image_headers_and_bodies(magic, dims, body, gz, exact):
    if exact and math.prod(dims) <= 300:  # often a well-formed file, to check what is read
        body = body[: math.prod(dims)].ljust(math.prod(dims), b"\x07")
    raw = struct.pack(f">I{len(dims)}I", magic, *dims) + body
    _check_read(gzip.compress(raw) if gz else raw, data.read_images, ".gz" if gz else "")


@_settings
@given(
    magic=st.sampled_from([2049, 2051]),
    count=_dim,
    body=st.binary(max_size=50),
    cut=st.integers(0, 80),
    flips=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 255)), max_size=3),
)
def test_fuzzed_gzip_label_files(magic, count, body, cut, flips):
    raw = bytearray(gzip.compress(struct.pack(">II", magic, count) + body))
    for at, mask in flips:
        if at < len(raw):
            raw[at] ^= mask
    raw = raw[: len(raw) - cut] if cut < len(raw) else raw
    _check_read(bytes(raw), data.read_labels, ".gz")
