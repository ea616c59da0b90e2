"""torchvision's datasets.MNIST/FashionMNIST and first transforms under `autodiff run`
(autodiff_cli/torchvision_shim), compared with torchvision 0.28 where it is installed."""

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from autodiff_cli.torchvision_shim import datasets, functional, transforms
from nn.data import idx

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).parent / "vision_programs" / "fashion_mnist_tutorials.py"
ENV_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")
# torchvision's CUDA wheel on a CPU torch fails only at its operator registrations (nms, ...),
# which these pages never use: the oracle runs with them turned off
ORACLE = (
    "import runpy, sys, torch.library\n"
    "torch.library.register_fake = lambda *a, **k: (lambda f: f)\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def _torchvision():
    """torchvision, importable on this torch (see ORACLE), or a skip."""
    torch = pytest.importorskip("torch")
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: lambda f: f
    try:
        return pytest.importorskip("torchvision")
    finally:
        torch.library.register_fake = register_fake


def _run(*argv) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV_THREADS}
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env
    )


def _same_output(ours: str, theirs: str) -> None:
    """Line by line: the same words, the same numbers within the program tests' tolerance."""
    assert len(ours.splitlines()) == len(theirs.splitlines()), (ours, theirs)
    for a, b in zip(ours.splitlines(), theirs.splitlines()):
        assert NUMBER.sub("#", a) == NUMBER.sub("#", b), (a, b)
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert float(x) == pytest.approx(float(y), rel=2e-3, abs=2e-4), (a, b)


def _ours(program: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """program under `autodiff run`, writing into tmp_path/ours; it must succeed."""
    ours = _run("-m", "autodiff_cli", "run", str(program), str(tmp_path / "ours"))
    assert ours.returncode == 0, ours.stderr
    return ours


def _same_as_torchvision(program: Path, tmp_path: Path, ours) -> None:
    """program on torch and torchvision (into tmp_path/theirs) prints what ours printed, or
    the test skips where torchvision is not installed."""
    _torchvision()
    theirs = _run("-c", ORACLE, str(program), str(tmp_path / "theirs"))
    assert theirs.returncode == 0, theirs.stderr
    _same_output(ours.stdout, theirs.stdout)


def test_tutorial_program_runs_and_matches_torchvision(tmp_path):
    ours = _ours(PROGRAM, tmp_path)
    # what torchvision prints, checked by hand where torchvision is not installed
    assert (
        "Dataset FashionMNIST\n    Number of datapoints: 320\n    Root location: data\n"
        "    Split: Train\n    StandardTransform\nTransform: ToTensor()\nTarget transform: Lambda()"
    ) in ours.stdout
    assert (
        "Compose(\n    RandomHorizontalFlip(p=0.5)\n    ToTensor()\n"
        "    Normalize(mean=(0.5,), std=(0.5,))\n)"
    ) in ours.stdout
    assert "Shape of X [N, C, H, W]: torch.Size([64, 1, 28, 28]) torch.float32" in ours.stdout
    assert "Image L (28, 28)" in ours.stdout
    assert "tensor([1., 0., 0., 0., 0., 0., 0., 0., 0., 0.]) Lambda()" in ours.stdout  # label 0
    _same_as_torchvision(PROGRAM, tmp_path, ours)


def test_sample_grids_match_torchvision(tmp_path):
    """make_grid / save_image as a VAE's and a DCGAN's tutorials call them: the same grids and
    the same image files as torchvision's."""
    program = PROGRAM.parent / "sample_grids.py"
    ours = _ours(program, tmp_path)
    assert (
        "grid (3, 8, 27)" in ours.stdout and "shapes (3, 4, 3) (3, 4, 3) (3, 8, 12)" in ours.stdout
    )
    assert (
        "imshow torch.Size([8, 27, 3])" in ours.stdout
        and "reconstruction.png (18, 26, 3)" in ours.stdout
    )
    _same_as_torchvision(program, tmp_path, ours)
    for name in ("reconstruction.png", "samples.png"):
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "theirs" / name).read_bytes()


def test_dcgan_inputs_match_torchvision(tmp_path):
    """FakeData, ImageFolder, Resize, CenterCrop, ToPILImage and their functional forms on
    PIL images and tensors, as pytorch/examples' DCGAN feeds them: the same values."""
    program = PROGRAM.parent / "dcgan_inputs.py"
    ours = _ours(program, tmp_path)
    assert "8 ['cats', 'dogs'] {'cats': 0, 'dogs': 1} [0, 0, 0, 0, 1, 1, 1, 1]" in ours.stdout
    assert "images/cats/inner/grey.PNG" in ours.stdout and "notes.txt" not in ours.stdout
    assert "caller's generator untouched True" in ours.stdout
    assert "refused IndexError FakeData index out of range" in ours.stdout
    _same_as_torchvision(program, tmp_path, ours)


def test_resnets_match_torchvision(tmp_path):
    """torchvision.models.resnet18/50(weights=None): names, seeded initialisation, forward and
    backward in float64 equal torchvision's; pretrained weights are refused by name."""
    program = PROGRAM.parent / "resnets.py"
    ours = _ours(program, tmp_path)
    assert "resnet18 11689512 122" in ours.stdout and "features (2, 512, 1, 1) 512" in ours.stdout
    _same_as_torchvision(program, tmp_path, ours)


def test_pretrained_weights_are_refused():
    from autodiff_cli.torchvision_shim import models

    with pytest.raises(NotImplementedError, match=r"resnet18\(weights='DEFAULT'\).*downloaded"):
        models.resnet18(weights="DEFAULT")
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        with pytest.raises(NotImplementedError, match="weights='DEFAULT'"):
            models.resnet50(pretrained=True)


def test_cifar_tutorial_matches_torchvision(tmp_path):
    """The 60 Minute Blitz's CIFAR10 classifier on files in the real format: the same data,
    batches, grid and losses as torchvision's (whose MD5 check the program turns off)."""
    program = PROGRAM.parent / "cifar_tutorial.py"
    ours = _ours(program, tmp_path)
    assert (
        "15 3 (15, 32, 32, 3) uint8" in ours.stdout and "Split: Test [5, 99, 0, 42]" in ours.stdout
    )
    _same_as_torchvision(program, tmp_path, ours)


def _cifar_files(root: Path, batch: dict) -> None:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": ["a", "b"]}, protocol=2))


def test_cifar_files_that_are_not_batches_are_refused_by_name(tmp_path):
    good = {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1]}
    _cifar_files(tmp_path / "ok", good)
    assert len(datasets.CIFAR10(str(tmp_path / "ok"))) == 10
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted.*missing data_batch_1"):
        datasets.CIFAR10(str(tmp_path))
    with pytest.raises(NotImplementedError, match="downloading is not supported.*cifar-10-python"):
        datasets.CIFAR10(str(tmp_path), download=True)
    for name, batch, message in [
        ("code", {"data": os.system}, "names posix.system, which is not allowed"),
        ("labels", {**good, "labels": [0, 1, 2]}, "'labels' is not a list of 2 classes"),
        ("dtype", {**good, "data": np.zeros((2, 3072))}, "'data' is not a .N, 3072. uint8"),
        ("list", [good], "holds a list, not a CIFAR batch's dict"),
    ]:
        _cifar_files(tmp_path / name, batch)
        with pytest.raises(ValueError, match=f"{name}/cifar-10-batches-py/data_batch_1.*{message}"):
            datasets.CIFAR10(str(tmp_path / name))


def test_cifar_extracts_a_local_archive(tmp_path):
    import tarfile

    _cifar_files(tmp_path / "src", {"data": np.ones((1, 3072), np.uint8), "labels": [1]})
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    ds = datasets.CIFAR10(str(tmp_path), train=False, download=True)
    assert len(ds) == 1 and ds.targets == [1] and ds.classes == ["a", "b"]


def test_seeded_augmentations_match_torchvision(tmp_path):
    """RandomCrop(padding), RandomResizedCrop, RandomHorizontalFlip and F.pad's four modes on
    PIL images and tensors draw and crop as torchvision's under the same seed."""
    program = PROGRAM.parent / "augmentations.py"
    ours = _ours(program, tmp_path)
    assert "RandomCrop(size=(32, 32), padding=4)" in ours.stdout
    assert "refused ValueError Required crop size (50, 50) is larger" in ours.stdout
    _same_as_torchvision(program, tmp_path, ours)


def test_image_folder_refusals(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(str(tmp_path))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("")
    with pytest.raises(FileNotFoundError, match="no valid file for the classes a. Supported ext"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 0
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(str(tmp_path), loader=open)


def _write_split(folder: Path, images: np.ndarray, labels: np.ndarray, gz=False) -> None:
    """Both splits' IDX files in folder (the same images for train and t10k)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for prefix in ("train", "t10k"):
        idx.write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
        idx.write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


def _digits(n=5):
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), np.arange(n, dtype=np.uint8) % 10


def test_mnist_reads_root_name_raw_as_torchvision(tmp_path):
    images, labels = _digits()
    _write_split(tmp_path / "MNIST" / "raw", images, labels)
    _write_split(tmp_path / "MNIST" / "raw", images[::-1].copy(), labels[:4], gz=True)
    ds = datasets.MNIST(str(tmp_path), train=False, download=True)  # files there: no download
    assert len(ds) == 5 and ds.train is False  # the plain files, as torchvision extracts them
    assert ds.data.dtype == ad.uint8 and ds.data.shape == (5, 28, 28)
    assert ds.targets.dtype == ad.int64 and ds.targets.tolist() == [0, 1, 2, 3, 4]
    img, label = ds[-2]
    assert (img.mode, img.size, label) == ("L", (28, 28), 3)
    assert np.array_equal(np.asarray(img), images[3])
    assert ds.class_to_idx["7 - seven"] == 7 and ds.raw_folder == str(tmp_path / "MNIST" / "raw")
    assert repr(ds).splitlines()[-1] == "    Split: Test"


def test_mnist_missing_or_download_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        datasets.MNIST(tmp_path)
    with pytest.raises(NotImplementedError, match="no mirror is known.*MNIST/raw"):
        datasets.MNIST(tmp_path, download=True)
    images, labels = _digits()
    _write_split(tmp_path / "MNIST" / "raw", images, labels[:3])
    with pytest.raises(ValueError, match="5 images but 3 labels"):
        datasets.MNIST(tmp_path)


def test_fashion_mnist_also_searches_the_projects_folders(tmp_path):
    images, labels = _digits(4)
    _write_split(tmp_path / "fashion-mnist", images, labels)
    ds = datasets.FashionMNIST(tmp_path, train=True, target_transform=lambda y: y + 10)
    assert len(ds) == 4 and ds[1][1] == 11 and ds.classes[9] == "Ankle boot"
    _write_split(tmp_path / "FashionMNIST" / "raw", images[:2], labels[:2])
    assert len(datasets.FashionMNIST(tmp_path)) == 2  # torchvision's folder comes first


def test_fashion_mnist_downloads_into_its_raw_folder(tmp_path, monkeypatch):
    images, labels = _digits(3)
    calls = []

    def fake_download(root=None):
        calls.append(root)
        _write_split(Path(root), images, labels, gz=True)

    monkeypatch.setattr(idx, "download_fashion_mnist", fake_download)
    monkeypatch.setattr(idx, "search_dirs", lambda root=None: [] if root is None else [Path(root)])
    ds = datasets.FashionMNIST(tmp_path, train=False, download=True)
    assert calls == [str(tmp_path / "FashionMNIST" / "raw")] and len(ds) == 3
    datasets.FashionMNIST(tmp_path, download=True)
    assert len(calls) == 1  # found: not downloaded again


def test_dataset_transforms_and_repr(tmp_path):
    images, labels = _digits(3)
    _write_split(tmp_path / "MNIST" / "raw", images, labels)
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))])
    ds = datasets.MNIST(tmp_path, transform=t, target_transform=transforms.Lambda(str))
    x, y = ds[2]
    assert y == "2" and x.shape == (1, 28, 28) and x.dtype == ad.float32
    expected = (images[2].astype(np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(x.numpy()[0], expected, rtol=1e-6)
    assert repr(ds) == (
        f"Dataset MNIST\n    Number of datapoints: 3\n    Root location: {tmp_path}\n"
        "    Split: Train\n    StandardTransform\nTransform: Compose(\n"
        "               ToTensor()\n               Normalize(mean=(0.5,), std=(0.25,))\n"
        "           )\nTarget transform: Lambda()"
    )
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        datasets.VisionDataset(tmp_path, transforms=t, transform=t)
    assert datasets.VisionDataset("~/x").root == str(Path.home() / "x")


def test_datasets_without_pillow_say_how_to_install_it(tmp_path, monkeypatch):
    images, labels = _digits(2)
    _write_split(tmp_path / "MNIST" / "raw", images, labels)
    ds = datasets.MNIST(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        ds[0]


def _pil(array):
    from PIL import Image

    return Image.fromarray(array)


def test_to_tensor_as_torchvision():
    rng = np.random.default_rng(2)
    gray, rgb = rng.integers(0, 256, (3, 5), np.uint8), rng.integers(0, 256, (3, 5, 3), np.uint8)
    inputs = [_pil(gray), _pil(rgb), gray, rgb, rng.random((2, 4)), _pil(gray > 128)]
    ours = [functional.to_tensor(x) for x in inputs]
    assert [t.shape for t in ours] == [(1, 3, 5), (3, 3, 5), (1, 3, 5), (3, 3, 5), (1, 2, 4)] + [
        (1, 3, 5)
    ]
    np.testing.assert_array_equal(ours[1].numpy(), rgb.transpose(2, 0, 1) / np.float32(255))
    assert ours[4].dtype == ad.float64 and ours[5].numpy().max() == 1.0
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        functional.to_tensor([[1]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        functional.to_tensor(np.zeros((1, 1, 1, 1), np.uint8))
    with pytest.raises(NotImplementedError, match="mode 'F'"):
        functional.to_tensor(_pil(np.zeros((2, 2), np.float32)))
    tv = _torchvision()
    for x, mine in zip(inputs, ours):
        theirs = tv.transforms.functional.to_tensor(x)
        assert str(theirs.dtype) == str(mine.dtype)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_normalize_as_torchvision():
    x = ad.rand(2, 3, 4, 5, generator=ad.Generator().manual_seed(0))
    mean, std = [0.1, 0.5, 0.9], (0.2, 0.3, 4)
    out = transforms.Normalize(mean, std)(x)
    expected = (x.numpy() - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert not np.array_equal(out.numpy(), x.numpy())  # a copy: x itself unchanged
    assert repr(transforms.Normalize(mean, std)) == (
        "Normalize(mean=[0.1, 0.5, 0.9], std=(0.2, 0.3, 4))"
    )
    y = x.clone()
    assert functional.normalize(y, 0.5, 2.0, inplace=True) is y
    np.testing.assert_allclose(y.numpy(), (x.numpy() - 0.5) / 2, rtol=1e-6)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.int64"):
        functional.normalize(ad.zeros(1, 2, 2, dtype=ad.int64), [0], [1])
    with pytest.raises(ValueError, match=r"size \(..., C, H, W\)"):
        functional.normalize(ad.zeros(2, 2), [0], [1])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        functional.normalize(ad.zeros(2, 2, 2), [0, 0], [1, 0])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        functional.normalize(np.zeros((1, 2, 2)), [0], [1])
    torch = pytest.importorskip("torch")
    tv = _torchvision()
    theirs = tv.transforms.Normalize(mean, std)(torch.from_numpy(x.numpy()))
    np.testing.assert_array_equal(out.numpy(), theirs.numpy())


def test_random_horizontal_flip_draws_as_torchvision():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (4, 6), np.uint8)
    flip = transforms.RandomHorizontalFlip(p=0.3)
    assert repr(flip) == "RandomHorizontalFlip(p=0.3)"
    ad.manual_seed(5)
    ours = [np.asarray(flip(_pil(image))) for _ in range(20)]
    flipped = [bool(np.array_equal(o, image[:, ::-1])) for o in ours]
    assert 0 < sum(flipped) < 20
    assert all(f or np.array_equal(o, image) for o, f in zip(ours, flipped))
    t = ad.arange(6.0).view(1, 2, 3)
    assert functional.hflip(t).tolist() == [[[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]]
    with pytest.raises(TypeError, match="img should be PIL Image. Got <class 'list'>"):
        functional.hflip([1])
    torch = pytest.importorskip("torch")
    tv = _torchvision()
    torch.manual_seed(5)
    theirs_flip = tv.transforms.RandomHorizontalFlip(p=0.3)
    theirs = [np.asarray(theirs_flip(_pil(image))) for _ in range(20)]
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))


def test_compose_and_lambda_as_torchvision():
    t = transforms.Compose([transforms.Lambda(lambda x: x * 2), transforms.Lambda(abs)])
    assert t(-3) == 6
    assert repr(t) == "Compose(\n    Lambda()\n    Lambda()\n)"
    assert repr(transforms.ToTensor()) == "ToTensor()"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)


def test_torchvision_modules_under_autodiff_run(tmp_path):
    script = tmp_path / "vision.py"
    script.write_text(
        "import torchvision\n"
        "import torchvision.transforms.functional as F\n"
        "from torchvision import datasets, transforms\n"
        "from torchvision.utils import make_grid, save_image\n"
        "print(torchvision.__version__, transforms.ToTensor(), F.hflip.__name__)\n"
        "from torchvision import models\n"  # pytorch/examples imagenet's --arch choices
        "print(sorted(n for n in models.__dict__ if n.islower() and not n.startswith('__')\n"
        "             and callable(models.__dict__[n])))\n"
        "for name in ('models.vgg', 'io', 'ops', 'transforms.v2'):\n"
        "    try:\n"
        "        __import__('torchvision.' + name)\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
        "datasets.LSUN\n"
    )
    result = _run("-m", "autodiff_cli", "run", str(script))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "0.28.0+autodiff ToTensor() hflip"
    assert lines[1] == "['resnet101', 'resnet152', 'resnet18', 'resnet34', 'resnet50']"
    for line, name in zip(lines[2:], ("models.vgg", "io", "ops", "transforms.v2")):
        assert line.startswith(f"torchvision.{name} is not supported by autodiff yet")
    assert "torchvision.datasets.LSUN is not supported by autodiff yet" in result.stderr
