"""Shared benchmark helpers: timing by the minimum over repeats, optional peers.

Importing it makes the process's heap keep freed memory for the next step, as nn.train.fit,
`autodiff run` and `autodiff train` do (nn.heap), so ours is measured as it trains there;
torch, in the same process, is measured under the same setting.
"""

import gc
import importlib
import os
import subprocess
import time

from nn.heap import keep_freed_memory

keep_freed_memory()


def best_ms(fn, repeats: int, warmup: int = 1) -> float:
    """The fastest of `repeats` runs in milliseconds (after warm-up): least disturbed by noise."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def training_step(model, loss_fn, optimizer, inputs, target):
    """One training step as a closure returning the loss; ours and torch share the API."""

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def best_each_ms(steps, repeats: int) -> list:
    """Best time of each step (a None step stays None), each timed in its own block: taking
    turns would let torch's OpenMP threads, still spinning after its step, slow the next one."""
    return [None if s is None else best_ms(s, repeats) for s in steps]


def optional(name: str):
    """A peer library if installed (torch, micrograd), else None. In a process that times one
    column (bench_speed sets BENCH_COLUMN), only that column's library loads, and what was
    loaded before it (ours, which the harness imports) is frozen out of the cyclic collector's
    sight: the peer runs as in a process of its own."""
    column = os.environ.get("BENCH_COLUMN")
    if column is not None:
        if column != name.split(".")[0]:
            return None
        gc.collect()
        gc.freeze()
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class ColumnProcess:
    """One column of a benchmark, timed in a process of its own that loads only its own library
    (BENCH_COLUMN, see optional): another library's threads (torch's OpenMP pool, OpenBLAS's)
    spin on for a while after their own work, and in a shared process they took a core from
    the next column. The process answers one line per line it is sent."""

    def __init__(self, command: list, column: str, **env):
        env = dict(os.environ, BENCH_COLUMN=column, **env)
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def first_line(self):
        """The first line it prints (once it is built and warm), None if it died first (its
        traceback is on stderr)."""
        line = self.process.stdout.readline()
        return line.rstrip("\n") if line else None

    def ask(self, request: str) -> str:
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def row(benchmark: str, ours_ms, numpy_ms=None, torch_ms=None, **extra) -> dict:
    return {
        "benchmark": benchmark,
        "ours_ms": ours_ms,
        "numpy_ms": numpy_ms,
        "torch_ms": torch_ms,
        **extra,
    }


def print_table(rows) -> None:
    for r in rows:
        cells = [f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()]
        print("  ".join(cells))


def write_into_readme(name: str, text: str) -> None:
    """Replace what lies between README.md's <!-- NAME:start --> and <!-- NAME:end --> markers
    (written to a temp file, then renamed: never a half-written README)."""
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = readme.read_text()
    if start not in content or end not in content:
        raise SystemExit(f"README.md has no {start} ... {end} markers")
    before, rest = content.split(start, 1)
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(f"{before}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")
    tmp.replace(readme)
