"""torchvision's datasets.MNIST/FashionMNIST and first transforms under `autodiff run`
(autodiff_cli/torchvision_shim), compared with torchvision 0.28 where it is installed."""

import gzip
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
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    try:
        return pytest.importorskip("torchvision")
    finally:
        torch.library.register_fake = register_fake


def _run(*argv) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, **ENV_THREADS}
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


def test_tutorial_program_runs_and_matches_torchvision(tmp_path):
    ours = _run("-m", "autodiff_cli", "run", str(PROGRAM), str(tmp_path / "ours"))
    assert ours.returncode == 0, ours.stderr
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
    _torchvision()
    theirs = _run("-c", ORACLE, str(PROGRAM), str(tmp_path / "theirs"))
    assert theirs.returncode == 0, theirs.stderr
    _same_output(ours.stdout, theirs.stdout)
