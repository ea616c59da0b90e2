"""Run every benchmark side by side and print (or write into README) one markdown table.

python benchmarks/run.py [--repeats N] [--readme]
"""

import argparse
import importlib
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import optional, write_into_readme  # noqa: E402

FAMILIES = ("bench_engine", "bench_nn", "bench_cnn", "bench_cnn_epoch", "bench_transformer")


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.1f}" if value >= 100 else f"{value:.2f}"


def _ratio(ours, other) -> str:
    return "–" if ours is None or not other else f"{ours / other:.2f}×"


def table(rows) -> str:
    lines = [
        "| benchmark | ours (ms) | NumPy by hand (ms) | PyTorch CPU (ms) | ours / NumPy "
        "| ours / PyTorch | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        notes = ", ".join(
            f"{k.removesuffix('_ms')} {_ms(v)} ms"
            if k.endswith("_ms")
            else f"{k} {v:.1f}"
            if isinstance(v, float)
            else f"{k} {v}"
            for k, v in r.items()
            if k not in ("benchmark", "ours_ms", "numpy_ms", "torch_ms") and v is not None
        )
        lines.append(
            f"| {r['benchmark']} | {_ms(r['ours_ms'])} | {_ms(r.get('numpy_ms'))} | "
            f"{_ms(r.get('torch_ms'))} | {_ratio(r['ours_ms'], r.get('numpy_ms'))} | "
            f"{_ratio(r['ours_ms'], r.get('torch_ms'))} | {notes} |"
        )
    return "\n".join(lines)


def environment() -> str:
    torch = optional("torch")
    peers = f"NumPy {np.__version__}" + (f", PyTorch {torch.__version__}" if torch else "")
    return f"Python {platform.python_version()}, {peers}; times are the best of several runs."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per benchmark")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument(
        "--only",
        nargs="*",
        default=FAMILIES + ("bench_speed", "bench_threads"),
        help="benchmark modules to run",
    )
    args = parser.parse_args(argv)
    rows = []
    for name in args.only:
        if name in ("bench_speed", "bench_threads"):
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            print(f"skipping {name}: {e}", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run(args.repeats))
    text = table(rows) + "\n\n" + environment()
    print(text)
    if args.readme:
        write_into_readme("bench", text)
    if "bench_speed" in args.only:  # issue 14's side-by-side table (its own columns)
        import bench_speed

        bench_speed.main(["--readme"] if args.readme else [])
    if "bench_threads" in args.only:  # BLAS threads alone and next to a competing process
        import bench_threads

        bench_threads.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
