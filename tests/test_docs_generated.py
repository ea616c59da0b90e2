"""Pages generated from the code equal what their generator writes today."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_torch_names_page_is_what_its_generator_writes():
    # a fresh interpreter: which submodules a package shows depends on what was imported
    page = subprocess.run(
        [sys.executable, "-c", "import torch_names; print(torch_names.page(), end='')"],
        cwd=ROOT / "docs",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    written = (ROOT / "docs" / "torch-names.md").read_text()
    assert page == written, (
        "docs/torch-names.md is out of date with the code: regenerate it with "
        "`.venv/bin/python docs/torch_names.py` and commit the result"
    )
