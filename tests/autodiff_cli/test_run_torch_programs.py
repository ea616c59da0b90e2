"""`autodiff run`: PyTorch programs, unmodified, on this engine; their printed numbers equal
real torch's where torch is installed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "torch_programs").glob("*.py"))
ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def _run(*argv) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def _numbers(text: str) -> list:
    return [float(n) for n in NUMBER.findall(text)]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_program_runs_and_matches_torch(program, tmp_path):
    ours = _run("-m", "autodiff_cli", "run", str(program), str(tmp_path / "ours"))
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.strip()
    pytest.importorskip("torch")
    theirs = _run(str(program), str(tmp_path / "theirs"))
    assert theirs.returncode == 0, theirs.stderr
    a, b = _numbers(ours.stdout), _numbers(theirs.stdout)
    assert len(a) == len(b), (ours.stdout, theirs.stdout)
    for x, y in zip(a, b):
        assert x == pytest.approx(y, rel=2e-3, abs=2e-4), (ours.stdout, theirs.stdout)


def test_unknown_torch_names_say_they_are_not_supported(tmp_path):
    script = tmp_path / "uses_jit.py"
    script.write_text("import torch\ntorch.jit.script(lambda x: x)\n")
    result = _run("-m", "autodiff_cli", "run", str(script))
    assert result.returncode == 1
    assert "torch.jit is not supported by autodiff yet" in result.stderr


def test_torchvision_is_refused_clearly(tmp_path):
    script = tmp_path / "vision.py"
    script.write_text("import torchvision\n")
    result = _run("-m", "autodiff_cli", "run", str(script))
    assert "torchvision is not supported by autodiff yet" in result.stderr


def test_script_arguments_and_exit_code_pass_through(tmp_path):
    script = tmp_path / "args.py"
    script.write_text(
        "import sys, torch\nprint(sys.argv[1:], torch.ones(2).sum().item())\nsys.exit(3)\n"
    )
    result = _run("-m", "autodiff_cli", "run", str(script), "--lr", "0.1")
    assert result.returncode == 3
    assert result.stdout.strip() == "['--lr', '0.1'] 2.0"


def test_a_missing_script_is_one_line():
    result = _run("-m", "autodiff_cli", "run", "no/such/script.py")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no/such/script.py" in result.stderr
