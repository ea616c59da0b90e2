"""A lecture's PyTorch code, run twice: on this project in the notebook, with PyTorch here.

A notebook that runs a lecture's torch code through `autodiff run`'s mapping (notebook 17:
makemore part 3) tags those cells "torch" in their metadata. Some of them call
`record(name, value)` with a number, a list of numbers or text the lecture's code computed.
This script runs exactly the tagged cells again, in order, in a fresh interpreter where
`import torch` is PyTorch, and saves what they record beside the notebook (`17_torch.json`
for notebook 17); in the notebook, `record` is a `Beside`, which prints ours next to
PyTorch's saved value and asserts that they agree.

python notebooks/lecture_oracle.py notebooks/17_*.ipynb          # run with PyTorch, save
python notebooks/lecture_oracle.py --check notebooks/17_*.ipynb  # PyTorch still says that?
"""

import argparse
import json
import math
import sys
from pathlib import Path

TAG = "torch"
REL, ABS = 1e-4, 1e-6  # ours beside PyTorch: float32 kernels summing in another order


def saved_path(notebook) -> Path:
    """NN_torch.json beside notebook NN_*.ipynb."""
    notebook = Path(notebook)
    return notebook.with_name(notebook.stem.split("_")[0] + "_torch.json")


class Beside:
    """The notebook's `record`: prints ours beside PyTorch's value and checks they agree
    (numbers within rel/abs, text exactly)."""

    def __init__(self, notebook):
        self.path = saved_path(notebook)
        self.theirs = json.loads(self.path.read_text())["values"]

    def __call__(self, name: str, value, rel: float = REL, abs: float = ABS):
        if name not in self.theirs:
            raise KeyError(f"{name!r} is not in {self.path.name}: run lecture_oracle.py again")
        theirs = self.theirs[name]
        print(f"{name}\n    ours    {_show(value)}\n    PyTorch {_show(theirs)}")
        assert _agree(value, theirs, rel, abs), f"{name}: ours {value!r}, PyTorch {theirs!r}"


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _agree(ours, theirs, rel: float, abs: float) -> bool:
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(
            _agree(a, b, rel, abs) for a, b in zip(ours, theirs)
        )
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs)
    return ours == theirs


def torch_cells(notebook) -> list[str]:
    """The sources of the cells tagged "torch", IPython's % and ! lines left out."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    chosen = [c for c in cells if TAG in c.get("metadata", {}).get("tags", [])]
    return [
        "".join(line for line in _lines(c["source"]) if not line.lstrip().startswith(("%", "!")))
        for c in chosen
    ]


def _lines(source) -> list[str]:
    return source if isinstance(source, list) else source.splitlines(keepends=True)


def run_with_torch(notebook) -> dict:
    """Run the tagged cells with PyTorch in this process; {name: value} of their records."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    if "autodiff" in torch.__version__:
        raise RuntimeError("lecture_oracle: `import torch` must give PyTorch here")
    values, tolerances = {}, {}

    def record(name, value, rel=REL, abs=ABS):
        values[name] = value
        tolerances[name] = [rel, abs]

    namespace = {"__name__": "__main__", "record": record}
    for number, source in enumerate(torch_cells(notebook), 1):
        exec(compile(source, f"<torch cell {number}>", "exec"), namespace)
        plt.close("all")
    return {"torch": torch.__version__, "values": values, "tolerances": tolerances}


def differences(saved: dict, fresh: dict) -> list[str]:
    """What PyTorch computes now that the saved file does not say: within 1e-5, or the wider
    tolerance its record allows ours (another CPU's kernels round in another order, and a
    value the notebook says is chaotic moves as much between two CPUs as between engines)."""
    found = []
    if saved["torch"] != fresh["torch"]:
        found.append(f"torch {saved['torch']} -> {fresh['torch']}")
    for name in sorted(saved["values"].keys() | fresh["values"].keys()):
        a, b = saved["values"].get(name), fresh["values"].get(name)
        rel, abs_ = fresh["tolerances"].get(name, (0.0, 0.0))
        if a is None or b is None or not _agree(a, b, max(rel, 1e-5), max(abs_, 1e-7)):
            found.append(f"{name}: saved {a!r}, PyTorch now {b!r}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--check", action="store_true", help="compare, do not save")
    args = parser.parse_args(argv)
    fresh = run_with_torch(args.notebook)
    path = saved_path(args.notebook)
    if args.check:
        found = differences(json.loads(path.read_text()), fresh)
        print("\n".join(found) or f"{path.name}: PyTorch prints the saved numbers")
        return 1 if found else 0
    from autodiff.files import write_atomic

    write_atomic(path, json.dumps(fresh, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({len(fresh['values'])} values)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
