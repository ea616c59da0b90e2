"""Execute notebooks headless, as CI does, and optionally save them with their outputs.

python notebooks/execute.py                 # run every notebook, save the executed copies
python notebooks/execute.py 01_*.ipynb      # some of them
python notebooks/execute.py --check         # run without saving, compare with the saved outputs

The comparison (what the tests do): every code cell's text outputs (stdout, and the text/plain
of results and displays) must equal the committed ones, after masking what may change between
runs of the same code: a line holding a duration (a number followed by a time unit, see
DURATION, e.g. "0.8 s", "12 ms", "3.1e-05 s") is replaced as a whole by "<timing>" (a speed-up
printed beside the time changes too), and object addresses "0x7f..." become "0x?". Stderr
(progress bars, warnings) and images are not compared.

Numbers compare as numbers, within 0.1 % (or both below 1e-5, the size of round-off): BLAS
and NumPy pick kernels by the CPU's instruction set (AVX2, AVX-512), which round in another
order, so a float printed in full (1.69 or 1.6900000000000002), a round-off measured
(4.9e-17) or the last digit of an accuracy after 100 epochs differs between machines while
every word and every other character must stay the same. A cell tagged "cpu-dependent" (a
chaotic run whose values two CPUs take apart, as its own asserts allow) compares its words
only.
"""

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DURATION = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|us|µs|ms|s|sec|seconds|min)(?![\w])"
)
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
REL, ROUND_OFF = 1e-3, 1e-5  # how far a number may move between machines (module docstring)


def execute(path: Path, save: bool = False, timeout: int = 600):
    """Run every cell in the notebook's folder; a failing cell raises with its traceback."""
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    nb = nbformat.read(path, as_version=4)
    # one BLAS thread per kernel: threads fighting over shared cores run 10-40x slower
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    resources = {"metadata": {"path": str(path.parent)}}
    # the kernel talks to us over local sockets (IPC) in a private folder, not TCP: nothing
    # is exposed, and ipykernel has no reason to warn that plain TCP could be overheard
    with tempfile.TemporaryDirectory(prefix="nb-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")  # absolute: two cwds
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources=resources, config=config
        )
        client.execute()
    if save:  # temp file + rename: an interrupted run never leaves a half-written notebook
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ipynb.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return nb


def _mask(text: str) -> str:
    lines = [("<timing>" if DURATION.search(line) else line) for line in text.splitlines()]
    return ADDRESS.sub("0x?", "\n".join(lines))


CPU_DEPENDENT = "cpu-dependent"  # the tag of a cell whose numbers are not compared


def text_outputs(nb) -> list:
    """Per code cell, its compared text (see the module docstring), masked; a cell tagged
    CPU_DEPENDENT with its numbers replaced by "#"."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        words_only = CPU_DEPENDENT in cell.get("metadata", {}).get("tags", [])
        parts = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
        text = _mask("".join(p if isinstance(p, str) else "".join(p) for p in parts))
        cells.append(NUMBER.sub("#", text) if words_only else text)
    return cells


def differences(committed, executed) -> list:
    """Readable lines for every code cell whose compared text differs between the two."""
    import difflib

    old, new = text_outputs(committed), text_outputs(executed)
    if len(old) != len(new):
        return [f"the notebook has {len(new)} code cells, its saved copy {len(old)}"]
    found = []
    for i, (a, b) in enumerate(zip(old, new, strict=True)):
        if not same_text(a, b):
            diff = difflib.unified_diff(
                a.splitlines(), b.splitlines(), "saved", "rerun", lineterm=""
            )
            found.append(f"code cell {i}:\n" + "\n".join(list(diff)[2:40]))
    return found


def same_text(a: str, b: str) -> bool:
    """The same words and characters, and numbers within REL (or both below ROUND_OFF)."""
    if a == b:
        return True
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    return all(_close(float(x), float(y)) for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def _close(x: float, y: float) -> bool:
    largest = max(abs(x), abs(y))
    return largest < ROUND_OFF or abs(x - y) <= REL * largest


def check(path: Path) -> list:
    """Execute path without saving; the differences of its text outputs from the saved ones."""
    import nbformat

    committed = nbformat.read(path, as_version=4)
    return differences(committed, execute(path, save=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: all here)")
    parser.add_argument("--check", action="store_true", help="run without saving and compare")
    args = parser.parse_args(argv)
    paths = [Path(p).resolve() for p in args.notebooks] or sorted(HERE.glob("[0-9]*.ipynb"))
    failed = 0
    for path in paths:
        began = time.perf_counter()
        diffs = check(path) if args.check else execute(path, save=True) and []
        took = time.perf_counter() - began
        print(f"{path.name}: {'differs' if diffs else 'ok'} in {took:.0f} s", flush=True)
        for d in diffs:
            print(d)
        failed += bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
