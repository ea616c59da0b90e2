"""nn.data: IDX reading and validation, dataset search and download, datasets, normalisation,
DataLoader."""

import gzip
import pickle
import struct

import numpy as np
import pytest

import autodiff as ad
from nn import data
from nn.data import idx

REAL = idx.find_fashion_mnist() is not None


def _fake_split(folder, n=12, rows=28, cols=28, seed=0, gz=True, prefix="train"):
    """Write a small IDX images/labels pair and return the arrays written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, rows, cols), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    names = idx.FILES["train" if prefix == "train" else "test"]
    ext = ".gz" if gz else ""
    data.write_idx(folder / (names[0] + ext), images)
    data.write_idx(folder / (names[1] + ext), labels)
    return images, labels


def _fake_dataset(folder, **kw):
    folder.mkdir(parents=True, exist_ok=True)
    train = _fake_split(folder, prefix="train", **kw)
    test = _fake_split(folder, prefix="test", n=5, **kw)
    return train, test


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data is visible: empty cache, no $AUTODIFF_DATA, no Debian folder."""
    monkeypatch.delenv("AUTODIFF_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(idx, "DEBIAN_DIR", tmp_path / "no-debian")
    return tmp_path


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    (images, labels), _ = _fake_dataset(tmp_path, gz=gz)
    X, y = data.load_fashion_mnist("train", root=tmp_path)
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)
    assert X.dtype == np.uint8 and y.dtype == np.int64


def test_header_fields_are_read_big_endian(tmp_path):
    raw = struct.pack(">IIII", 2051, 2, 3, 4) + bytes(range(24))
    (tmp_path / "imgs").write_bytes(raw)
    X = data.read_images(tmp_path / "imgs")
    assert X.shape == (2, 3, 4)
    assert X[1, 2, 3] == 23


def test_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "labels-as-images"
    data.write_idx(path, np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="labels-as-images.*magic number 2049, expected 2051"):
        data.read_images(path)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "short.gz"
    raw = struct.pack(">IIII", 2051, 10, 28, 28) + bytes(100)
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(ValueError, match="short.gz is truncated"):
        data.read_images(path)
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="tiny is truncated"):
        data.read_labels(tmp_path / "tiny")


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(ValueError, match="broken.gz"):
        data.read_images(path)


def test_count_mismatch_names_both_files(tmp_path):
    _fake_dataset(tmp_path)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(7, np.uint8))
    with pytest.raises(ValueError, match="12 images.*train-labels-idx1-ubyte.gz holds 7 labels"):
        data.load_fashion_mnist("train", root=tmp_path)


def test_search_order(isolated, monkeypatch):
    env, cache = isolated / "env", isolated / "cache" / "autodiff" / "fashion-mnist"
    _fake_dataset(env, seed=1)
    _fake_dataset(cache, seed=2)
    monkeypatch.setenv("AUTODIFF_DATA", str(env))
    assert data.find_fashion_mnist() == env
    explicit = isolated / "explicit"
    _fake_dataset(explicit, seed=3)
    assert data.find_fashion_mnist(root=explicit) == explicit
    monkeypatch.delenv("AUTODIFF_DATA")
    assert data.find_fashion_mnist() == cache
    assert data.search_dirs(root=explicit) == [explicit, explicit / "fashion-mnist"]
    assert data.search_dirs()[-1] == idx.DEBIAN_DIR / "fashion-mnist"


def test_missing_data_says_where_it_looked(isolated):
    with pytest.raises(FileNotFoundError, match="AUTODIFF_DATA.*download=True"):
        data.load_fashion_mnist("train")
    with pytest.raises(ValueError, match="unknown split"):
        data.load_fashion_mnist("valid")


def _served_gz(tmp_path):
    """Small gzip IDX files standing in for the mirror, with their MD5s."""
    served = tmp_path / "served"
    _fake_dataset(served)
    return served, {p.name: idx._md5(p) for p in served.iterdir()}


def test_download_with_fetch_and_md5(isolated, monkeypatch):
    served, md5 = _served_gz(isolated)
    monkeypatch.setattr(idx, "MD5", md5)
    calls = []

    def fetch(url, dest):
        calls.append(url)
        dest.write_bytes((served / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(idx, "_urlopen_fetch", fetch)
    X, _ = data.load_fashion_mnist("test", download=True)
    assert X.shape == (5, 28, 28) and len(calls) == 4
    assert all(url.startswith(idx.MIRROR) for url in calls)
    data.load_fashion_mnist("test", download=True)  # found locally now: nothing fetched
    assert len(calls) == 4


def test_download_rejects_bad_checksum(isolated, monkeypatch):
    served, md5 = _served_gz(isolated)
    monkeypatch.setattr(idx, "MD5", {k: "0" * 32 for k in md5})

    def fetch(url, dest):
        dest.write_bytes((served / url.rsplit("/", 1)[1]).read_bytes())

    with pytest.raises(RuntimeError, match="MD5"):
        data.download_fashion_mnist(isolated / "dl", fetch=fetch)
    assert not list((isolated / "dl").iterdir())


def test_download_without_network_is_a_clear_error(isolated):
    def offline(url, dest):
        raise OSError("Network is unreachable")

    with pytest.raises(RuntimeError, match="cannot fetch .*AUTODIFF_DATA"):
        data.download_fashion_mnist(isolated / "dl", fetch=offline)


def test_published_checksums_are_the_official_ones():
    assert idx.MD5["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert set(idx.MD5) == {n + ".gz" for pair in idx.FILES.values() for n in pair}


@pytest.mark.skipif(not REAL, reason="real Fashion-MNIST IDX files not installed")
def test_real_fashion_mnist():
    X, y = data.load_fashion_mnist("train")
    Xt, yt = data.load_fashion_mnist("test")
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28)
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(yt), [1000] * 10)
    assert y[:3].tolist() == [9, 0, 0] and X.max() == 255


def test_iris_variants():
    X, y = data.load_iris()
    assert X.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    np.testing.assert_allclose(X[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_allclose(X[99], [5.7, 2.8, 4.1, 1.3])  # the seeds' Figure 10, row 99
    np.testing.assert_allclose(X[100], [6.3, 3.3, 6.0, 2.5])
    X2, y2 = data.load_iris(num_classes=2)
    assert X2.shape == (100, 4) and set(y2.tolist()) == {0, 1}
    Xf, _ = data.load_iris(features=["PetalLengthCm", 1])
    np.testing.assert_allclose(Xf, X[:, [2, 1]])
    with pytest.raises(ValueError, match="num_classes"):
        data.load_iris(num_classes=4)


def test_iris_csv_carries_its_attribution():
    head = data.datasets.IRIS_CSV.read_text().splitlines()[:4]
    assert any("Fisher (1936)" in line for line in head)
    assert any("Public domain" in line for line in head)


def test_xor_and_donut():
    X, y = data.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    Xn, yn = data.xor(n_per_corner=5, noise=0.05, seed=0)
    assert Xn.shape == (20, 2) and yn.sum() == 10
    X, y = data.donut(n_per_class=50, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert X.shape == (150, 2) and np.bincount(y).tolist() == [50, 50, 50]
    for k in range(3):  # rings do not overlap: each class's radii lie in its own band
        assert r[y == k].min() > k + 0.7 and r[y == k].max() < k + 1.3
    np.testing.assert_array_equal(data.donut(seed=3)[0], data.donut(seed=3)[0])


def test_generated_regression_recovers_its_coefficients():
    X, y = data.make_advertising(n=2000, seed=0)
    A = np.column_stack([np.ones(len(X)), X])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(coef[1:], data.TRUE_COEF, atol=0.01)
    assert abs(coef[0] - data.TRUE_INTERCEPT) < 0.3


def test_load_advertising(tmp_path):
    path = tmp_path / "Advertising.csv"
    path.write_text(",TV,Radio,Newspaper,Sales\n1,230.1,37.8,69.2,22.1\n2,44.5,39.3,45.1,10.4\n")
    X, y = data.load_advertising(path)
    np.testing.assert_allclose(X, [[230.1, 37.8, 69.2], [44.5, 39.3, 45.1]])
    np.testing.assert_allclose(y, [22.1, 10.4])
    (tmp_path / "bad.csv").write_text("TV,Radio\n1,2\n")
    with pytest.raises(ValueError, match="lacks columns"):
        data.load_advertising(tmp_path / "bad.csv")


def _write_cifar_batch(path, n, seed):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, n).tolist()
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"x", b"labels": labels, b"data": raw}, f)
    return raw, labels


def test_cifar10_batches(tmp_path):
    raws = [_write_cifar_batch(tmp_path / f"data_batch_{i}", 4, i) for i in range(1, 6)]
    _write_cifar_batch(tmp_path / "test_batch", 3, 9)
    X, y = data.load_cifar10(tmp_path, "train")
    assert X.shape == (20, 3, 32, 32) and X.dtype == np.uint8 and y.dtype == np.int64
    raw, labels = raws[0]
    # channel-major rows: the first 1024 bytes are the red plane, row by row
    np.testing.assert_array_equal(X[0, 0].ravel(), raw[0, :1024])
    np.testing.assert_array_equal(X[1, 2, 31], raw[1, 3072 - 32 :])
    assert y[:4].tolist() == labels
    assert data.load_cifar10(tmp_path, "test")[0].shape == (3, 3, 32, 32)
    with open(tmp_path / "bad", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(ValueError, match="bad has data"):
        data.load_cifar10_batch(tmp_path / "bad")
    with pytest.raises(FileNotFoundError, match="lacks"):
        data.load_cifar10(tmp_path / "nowhere")


@pytest.mark.parametrize("method", data.NORMALIZE_METHODS)
def test_normalizer_fits_on_train_only(method):
    rng = np.random.default_rng(0)
    train = rng.uniform(10, 200, (50, 3, 4, 4))
    test = rng.uniform(0, 255, (20, 3, 4, 4))
    norm = data.Normalizer(method).fit(train)
    out_train, out_test = norm.transform(train), norm.transform(test)
    assert out_train.dtype == np.float32 and out_test.shape == test.shape
    if method == "unit":
        assert out_train.min() == 0 and np.isclose(out_train.max(), 1)
    elif method == "symmetric":
        assert np.isclose(out_train.min(), -1) and np.isclose(out_train.max(), 1)
    elif method == "zscore":
        assert abs(out_train.mean()) < 1e-5 and np.isclose(out_train.std(), 1, atol=1e-5)
    elif method == "channel-zscore":
        np.testing.assert_allclose(out_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(out_train.std(axis=(0, 2, 3)), 1, atol=1e-5)
    # the test split is mapped with the training statistics, not its own
    expected = (test - norm.shift) / norm.scale
    np.testing.assert_allclose(out_test, expected, rtol=1e-5, atol=1e-5)
    again = data.Normalizer().load_state_dict(norm.state_dict())
    np.testing.assert_array_equal(again.transform(test), out_test)


def test_normalizer_errors():
    with pytest.raises(ValueError, match="unknown method"):
        data.Normalizer("l2")
    with pytest.raises(RuntimeError, match="before fit"):
        data.Normalizer().transform(np.zeros(3))
    with pytest.raises(ValueError, match="channel-zscore"):
        data.Normalizer("channel-zscore").fit(np.zeros(3))


def test_dataloader_batches_and_dtypes():
    X = np.arange(20, dtype=np.uint8).reshape(10, 2)
    y = np.arange(10, dtype=np.int32)
    batches = list(data.DataLoader(X, y, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    xb, yb = batches[0]
    assert isinstance(xb, ad.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert not xb.requires_grad
    assert len(data.DataLoader(X, y, batch_size=4, drop_last=True)) == 2
    assert [b[0].shape[0] for b in data.DataLoader(X, y, batch_size=4, drop_last=True)] == [4, 4]
    regression = next(iter(data.DataLoader(X, y.astype(np.float64), batch_size=3)))[1]
    assert regression.dtype == np.float32


def test_dataloader_shuffle_is_a_permutation_and_reproducible():
    X = np.arange(100, dtype=np.float32)[:, None]
    y = np.arange(100)
    loader = data.DataLoader(X, y, batch_size=32, shuffle=True, seed=7)
    epoch1 = np.concatenate([b[1].detach().numpy() for b in loader])
    epoch2 = np.concatenate([b[1].detach().numpy() for b in loader])
    assert sorted(epoch1.tolist()) == list(range(100))
    assert not np.array_equal(epoch1, epoch2)  # a new order each epoch
    again = data.DataLoader(X, y, batch_size=32, shuffle=True, seed=7)
    np.testing.assert_array_equal(np.concatenate([b[1].detach().numpy() for b in again]), epoch1)
    for xb, yb in loader:  # X and y stay paired
        np.testing.assert_array_equal(xb.detach().numpy()[:, 0], yb.detach().numpy())


def test_dataloader_state_resumes_the_order():
    X = np.arange(50, dtype=np.float32)[:, None]
    loader = data.DataLoader(X, batch_size=10, shuffle=True, seed=1)
    list(loader)
    state = loader.state_dict()
    expected = np.concatenate([b.detach().numpy() for b in loader])
    other = data.DataLoader(X, batch_size=10, shuffle=True, seed=99)
    other.load_state_dict(state)
    np.testing.assert_array_equal(np.concatenate([b.detach().numpy() for b in other]), expected)


def test_dataloader_uses_the_library_seed_without_its_own():
    X = np.arange(30, dtype=np.float32)[:, None]

    def order():
        ad.manual_seed(5)
        return np.concatenate(
            [b.detach().numpy() for b in data.DataLoader(X, batch_size=8, shuffle=True)]
        )

    np.testing.assert_array_equal(order(), order())


def test_dataloader_errors():
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match="differ in length"):
        data.DataLoader(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="numbers"):
        data.DataLoader(np.array(["a", "b"]))


def test_train_val_split():
    X, y = np.arange(20)[:, None], np.arange(20)
    Xtr, ytr, Xv, yv = data.train_val_split(X, y, 0.25, seed=0, stratify=False)
    assert len(Xv) == 5 and len(Xtr) == 15
    assert sorted(np.concatenate([ytr, yv]).tolist()) == list(range(20))
    np.testing.assert_array_equal(Xtr[:, 0], ytr)


def test_train_val_split_stratifies_labels():
    X, y = data.load_iris()
    _, ytr, _, yv = data.train_val_split(X, y, 0.2, seed=3)
    assert np.bincount(yv).tolist() == [10, 10, 10]
    assert np.bincount(ytr).tolist() == [40, 40, 40]
    _, _, _, yr = data.train_val_split(X, y.astype(float), 0.2, seed=3)  # targets: no strata
    assert len(yr) == 30
    with pytest.raises(ValueError, match="no validation sample"):
        data.train_val_split(X[:3], y[:3], 0.1)


def test_augment_flip_and_shift_move_pixels_exactly_and_repeat_with_the_seed():
    from nn.data import augment

    X = np.arange(2 * 1 * 4 * 5, dtype=np.float32).reshape(2, 1, 4, 5)
    flipped = augment.random_flip(p=1.0)(X, np.random.default_rng(0))
    np.testing.assert_array_equal(flipped, X[..., ::-1])
    np.testing.assert_array_equal(augment.random_flip(p=0.0)(X, np.random.default_rng(0)), X)
    shifted = augment.random_shift(2)(X, np.random.default_rng(1))
    assert shifted.shape == X.shape
    for img, out in zip(X[:, 0], shifted[:, 0]):  # each output is the padded image, cropped
        padded = np.pad(img, 2)
        assert any(np.array_equal(out, padded[dy:dy + 4, dx:dx + 5])
                   for dy in range(5) for dx in range(5))  # fmt: skip
    both = augment.compose(augment.random_flip(), augment.random_shift(1))
    runs = [[b.detach().numpy() for b, _ in data.DataLoader(X, [0, 1], 1, shuffle=True, seed=3,
                                                   transform=both)] for _ in range(2)]  # fmt: skip
    np.testing.assert_array_equal(runs[0], runs[1])
    with pytest.raises(ValueError, match=r"random_shift: expected image batches.*\(2, 20\)"):
        augment.random_shift()(X.reshape(2, 20), np.random.default_rng(0))
