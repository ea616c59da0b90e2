"""The project as a user installs it: the wheel in a fresh virtual environment, README's
snippet run from another folder, the names the install puts on the path, and the check that a
user's own nn.py or viz.py does not silently hide the library."""

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import autodiff as ad

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autodiff", "autodiff_cli", "nn", "viz")


def _python(*args, cwd, python=sys.executable, timeout=120):
    return subprocess.run(
        [str(python), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


def readme_snippet() -> str:
    """The first Python block of README's "Using the library in your own code"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Using the library in your own code", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


# --- a module of the user's named nn or viz ---------------------------------------------
@pytest.mark.parametrize("name", ["nn", "viz"])
def test_a_users_module_that_hides_a_package_is_named(tmp_path, name):
    mine = tmp_path / f"{name}.py"
    mine.write_text("class Value: ...\n")
    run = _python("-c", "import autodiff", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ShadowedPackageWarning" in run.stderr and str(mine) in run.stderr
    assert f"to my{name}" in run.stderr  # what to do


def test_a_users_package_that_hides_nn_is_named_and_the_warning_can_be_silenced(tmp_path):
    (tmp_path / "nn").mkdir()
    (tmp_path / "nn" / "__init__.py").write_text("")
    run = _python("-c", "import autodiff", cwd=tmp_path)
    assert str(tmp_path / "nn") in run.stderr
    quiet = (
        "import warnings; warnings.filterwarnings('ignore', message='`import nn`'); import autodiff"
    )
    assert _python("-c", quiet, cwd=tmp_path).stderr == ""


def test_no_warning_in_a_plain_folder(tmp_path):
    run = _python("-c", "import autodiff, nn, viz", cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == ""


def test_a_folder_named_viz_warns_exactly_when_it_hides_the_library(tmp_path):
    """A folder without __init__.py (pictures saved to viz/) hides the library only under an
    editable install, whose finder Python asks after the current folder; a wheel's package
    on sys.path wins. Either way the warning says what `import viz` gets."""
    (tmp_path / "viz").mkdir()
    run = _python("-c", "import autodiff, viz; print(viz.__file__)", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    hidden = run.stdout.strip() == "None"  # the namespace package of the empty folder
    assert ("ShadowedPackageWarning" in run.stderr) == hidden
    assert (str(tmp_path / "viz") in run.stderr) == hidden


def test_torch_nn_on_autodiff_says_where_it_is():
    with pytest.raises(AttributeError, match="torch.nn is the package nn here.*autodiff run"):
        ad.nn  # noqa: B018
    with pytest.raises(AttributeError, match="nn.optim"):
        ad.optim  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'foo'$"):
        ad.foo  # noqa: B018
    assert not hasattr(ad, "nn")


def test_the_torch_api_version_is_the_one_the_tests_compare_with():
    pin = re.search(r"torch==(\d+\.\d+)", (ROOT / "Makefile").read_text()).group(1)
    assert ad.torch_api_version == pin
    torch = pytest.importorskip("torch")
    assert torch.__version__.startswith(ad.torch_api_version + ".")


# --- the wheel in a fresh virtual environment ------------------------------------------
def _build_wheel(tmp_path) -> Path:
    """Build the wheel from a copy of the sources with this environment's setuptools (no
    download, nothing written into the checkout); skip where that cannot run."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    build = _python("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", dist, src, cwd=tmp_path, timeout=300)  # fmt: skip
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = dist.glob("autodiff-*.whl")
    return wheel


def _fresh_install(tmp_path) -> tuple:
    """The wheel installed into a new venv with no pip; NumPy and the other dependencies come
    from this environment through a .pth file (no network needed)."""
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    made = _python("-m", "venv", "--without-pip", venv, cwd=tmp_path)
    if made.returncode != 0:
        pytest.skip(f"cannot make a venv here: {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    installed = _python("-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                        "-q", wheel, cwd=tmp_path, timeout=300)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    site = Path(_python("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        python=python, cwd=tmp_path).stdout.strip())  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, site


def test_the_wheel_in_a_fresh_venv(tmp_path):
    """One test (the build is the slow part): the names installed, README's snippet from
    another folder, the autodiff command and python -m autodiff_cli."""
    venv, site = _fresh_install(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _check_the_installed_names(site)
    _check_readme_snippet(venv / "bin" / "python", site, elsewhere)
    _check_the_command(venv, elsewhere)


def _check_the_installed_names(site):
    (record,) = site.glob("autodiff-*.dist-info/RECORD")
    top = {line.split("/")[0].split(",")[0] for line in record.read_text().splitlines()}
    top = {name for name in top if not name.endswith(".dist-info") and name != ".."}
    assert top == set(PACKAGES)
    assert (site / "nn" / "data" / "iris.csv").is_file()  # package data travels too


def _check_readme_snippet(python, site, cwd):
    where = "import autodiff, nn, viz; print(autodiff.__file__, nn.__file__, viz.__file__)"
    run = _python("-c", readme_snippet() + "\n" + where, python=python, cwd=cwd)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[0] == "[-0.25, 0.5]"  # as README's comment says
    assert "SigmoidBackward0" in run.stdout and "w × [1, −2]" in run.stdout
    assert run.stdout.split()[-3:] == [
        str(site / name / "__init__.py") for name in ("autodiff", "nn", "viz")
    ]


def _check_the_command(venv, cwd):
    run = subprocess.run([str(venv / "bin" / "autodiff"), "graph", "sin(x) * y", "x=1", "y=2",
                          "--text"], capture_output=True, text=True, cwd=cwd, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "SinBackward0" in run.stdout and run.stderr == ""
    module = _python("-m", "autodiff_cli", "--help", python=venv / "bin" / "python", cwd=cwd)
    assert module.returncode == 0 and "usage: autodiff" in module.stdout
