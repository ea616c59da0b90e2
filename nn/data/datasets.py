"""The seeds' small datasets (Iris, XOR, donut, regression) and a CIFAR-10 batch loader.

Iris: R. A. Fisher (1936), "The use of multiple measurements in taxonomic problems", Annals of
Eugenics 7(2), 179-188; the UCI Machine Learning Repository version (public domain), shipped as
nn/data/iris.csv with this attribution in its header.
"""

import csv
import pickle
from pathlib import Path

import numpy as np

IRIS_CSV = Path(__file__).with_name("iris.csv")
IRIS_FEATURES = ("SepalLengthCm", "SepalWidthCm", "PetalLengthCm", "PetalWidthCm")
IRIS_CLASSES = ("Iris-setosa", "Iris-versicolor", "Iris-virginica")
ADVERTISING_COLUMNS = ("TV", "Radio", "Newspaper", "Sales")
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def load_iris(num_classes: int = 3, features=None) -> tuple:
    """Iris as float64 X (n, 4) and int64 y: 3 classes (150 rows) or the seeds' 2-class first 100."""
    if num_classes not in (2, 3):
        raise ValueError(
            f"load_iris: num_classes must be 2 or 3, got {num_classes}. "
            "2 keeps setosa and versicolor (the seeds' iris_2class)."
        )
    lines = [ln for ln in IRIS_CSV.read_text().splitlines() if ln and not ln.startswith("#")]
    table = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    X, y = table[:, :4], table[:, 4].astype(np.int64)
    if num_classes == 2:
        X, y = X[y < 2], y[y < 2]
    if features is not None:
        names = [f if isinstance(f, str) else IRIS_FEATURES[f] for f in features]
        unknown = [n for n in names if n not in IRIS_FEATURES]
        if unknown:
            raise ValueError(f"load_iris: unknown features {unknown}. Use {IRIS_FEATURES}.")
        X = X[:, [IRIS_FEATURES.index(n) for n in names]]
    return X, y


def xor(n_per_corner: int = 1, noise: float = 0.0, seed=None) -> tuple:
    """XOR's truth table as float64 X (4n, 2) and int64 y; noise > 0 jitters n points per corner."""
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    X = np.repeat(corners, n_per_corner, axis=0)
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    if noise > 0:
        X = X + np.random.default_rng(seed).normal(0.0, noise, X.shape)
    return X, y


def donut(n_per_class: int = 200, radii=(1.0, 2.0, 3.0), width: float = 0.25, seed=None) -> tuple:
    """Three concentric rings, one class each: float64 X (3n, 2), int64 y."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(radii), dtype=np.int64), n_per_class)
    r = np.asarray(radii, dtype=np.float64)[y] + rng.uniform(-width, width, y.shape)
    theta = rng.uniform(0.0, 2 * np.pi, y.shape)
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1), y


def make_advertising(n: int = 200, noise: float = 1.5, seed=0) -> tuple:
    """Generated advertising-style data: X (n, 3) budgets TV, Radio, Newspaper; y (n,) sales.

    Synthetic and license-clean: Sales = 2.9 + 0.046 TV + 0.19 Radio + 0 Newspaper + noise, the
    budgets uniform on the ranges of the textbook data; the true coefficients are returned in
    TRUE_COEF so a fit can be checked.
    """
    rng = np.random.default_rng(seed)
    X = np.stack(
        [rng.uniform(0.7, 296.4, n), rng.uniform(0.0, 49.6, n), rng.uniform(0.3, 114.0, n)], axis=1
    )
    y = TRUE_INTERCEPT + X @ np.asarray(TRUE_COEF) + rng.normal(0.0, noise, n)
    return X, y


TRUE_INTERCEPT = 2.9
TRUE_COEF = (0.046, 0.19, 0.0)


def load_advertising(path) -> tuple:
    """A user's Advertising.csv (columns TV, Radio, Newspaper, Sales) as float64 X (n, 3), y (n,)."""
    path = Path(path)
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"load_advertising: {path} has no data rows. Give the Advertising CSV.")
    missing = [c for c in ADVERTISING_COLUMNS if c not in rows[0]]
    if missing:
        raise ValueError(
            f"load_advertising: {path} lacks columns {missing} (has "
            f"{list(rows[0])}). Expected {ADVERTISING_COLUMNS}."
        )
    try:
        table = np.array([[float(r[c]) for c in ADVERTISING_COLUMNS] for r in rows])
    except ValueError as e:
        raise ValueError(f"load_advertising: {path} holds a non-number: {e}.") from e
    return table[:, :3], table[:, 3]


class _Refused(pickle.UnpicklingError):
    """A crafted or foreign pickle asked for something a CIFAR batch never holds."""


def _plain_dtype(*args):
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise _Refused(f"an array of Python objects (dtype {dtype})")
    return dtype


def _latin1(text, encoding="latin1"):
    """Python 3's protocol-2 spelling of bytes: _codecs.encode(str, 'latin1'), nothing else."""
    if not isinstance(text, str) or encoding != "latin1":
        raise _Refused(f"_codecs.encode with {encoding!r}")
    return text.encode("latin1")


_ARRAY = np.zeros(1)
_NUMPY = {  # what NumPy's own pickles of plain arrays call, under NumPy 1's and 2's module names
    "_reconstruct": _ARRAY.__reduce__()[0],
    "_frombuffer": _ARRAY.__reduce_ex__(5)[0],
}
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _plain_dtype,
    ("_codecs", "encode"): _latin1,
    **{
        (f"numpy.{core}.multiarray", "_reconstruct"): _NUMPY["_reconstruct"]
        for core in ("core", "_core")
    },
    **{
        (f"numpy.{core}.numeric", "_frombuffer"): _NUMPY["_frombuffer"]
        for core in ("core", "_core")
    },
}


class _CifarUnpickler(pickle.Unpickler):
    """Admits dicts, lists, tuples, bytes, str, numbers and NumPy arrays of plain dtypes: no
    other class or function is ever looked up, so a crafted file cannot run code."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[module, name]
        raise _Refused(f"{module}.{name}")


def _unpickle(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            batch = _CifarUnpickler(f, encoding="bytes").load()
    except _Refused as e:
        raise ValueError(
            f"load_cifar10_batch: {path} asks to load {e}, which a CIFAR-10 batch never "
            "holds; refused (only dicts, lists, bytes, str, numbers and plain NumPy arrays are "
            "read). Use the files of the official cifar-10-python.tar.gz."
        ) from None
    except (pickle.UnpicklingError, OSError, EOFError, ValueError, TypeError, LookupError) as e:
        raise ValueError(f"load_cifar10_batch: cannot read {path}: {e}.") from e
    if not isinstance(batch, dict):
        raise TypeError(f"load_cifar10_batch: {path} is not a CIFAR-10 batch (no dict inside).")
    odd = [v.dtype for v in batch.values() if isinstance(v, np.ndarray) and v.dtype.hasobject]
    if odd:
        raise ValueError(f"load_cifar10_batch: {path} holds an array of dtype {odd[0]}; refused.")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


def load_cifar10_batch(path) -> tuple:
    """One CIFAR-10 python-pickle batch as uint8 images (N, 3, 32, 32) and int64 labels (N,)."""
    path = Path(path)
    batch = _unpickle(path)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"load_cifar10_batch: {path} lacks 'data' or 'labels' (has "
            f"{sorted(batch)}). Use a file from cifar-10-batches-py."
        )
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise ValueError(
            f"load_cifar10_batch: {path} has data {tuple(data.shape)} and "
            f"{len(labels)} labels; expected (N, 3072) and N."
        )
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(root, split: str = "train") -> tuple:
    """CIFAR-10 from a cifar-10-batches-py folder: data_batch_1..5 (train) or test_batch."""
    root = Path(root)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    if split not in ("train", "test"):
        raise ValueError(f"load_cifar10: unknown split {split!r}. Use 'train' or 'test'.")
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"load_cifar10: {root} lacks {missing}. Point root at the "
            "extracted cifar-10-batches-py folder."
        )
    parts = [load_cifar10_batch(root / n) for n in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
