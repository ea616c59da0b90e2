"""Execute notebooks headless, as CI does, and optionally save them with their outputs.

python notebooks/execute.py                 # run every notebook, save the executed copies
python notebooks/execute.py 01_*.ipynb      # some of them
python notebooks/execute.py --check         # run without saving (what the tests do)
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def execute(path: Path, save: bool = False, timeout: int = 600):
    """Run every cell in the notebook's folder; a failing cell raises with its traceback."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # one BLAS thread per kernel: threads fighting over shared cores run 10-40x slower
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    if save:  # temp file + rename: an interrupted run never leaves a half-written notebook
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ipynb.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: all here)")
    parser.add_argument("--check", action="store_true", help="run without saving")
    args = parser.parse_args(argv)
    paths = [Path(p).resolve() for p in args.notebooks] or sorted(HERE.glob("[0-9]*.ipynb"))
    for path in paths:
        began = time.perf_counter()
        execute(path, save=not args.check)
        print(f"{path.name}: ok in {time.perf_counter() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
