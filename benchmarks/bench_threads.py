"""BLAS threads on a shared machine: the MLP training step (784-256-128-10, batch 128, SGD)
with 1 thread, one per core, and nn.train.default_threads()'s choice, each alone and while a
competing process keeps one core busy. Wall-clock medians; each cell runs in a fresh process
(a thread pool cannot be resized cleanly in place).

    python benchmarks/bench_threads.py [--steps 150]
"""

import argparse
import os
import subprocess
import sys
import time

CHILD = """
import statistics, sys, time
import numpy as np
import autodiff as ad, nn
from nn.train import set_threads
chosen = set_threads(None if sys.argv[1] == "auto" else int(sys.argv[1]))
rng = np.random.default_rng(0)
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                      nn.Linear(128, 10))
opt, loss_fn = nn.optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss()
x = ad.from_numpy(rng.standard_normal((128, 784)).astype(np.float32))
y = ad.from_numpy(rng.integers(0, 10, 128))
times = []
for i in range(int(sys.argv[2]) + 3):
    start = time.perf_counter()
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
    times.append(time.perf_counter() - start)
print(chosen, statistics.median(times[3:]) * 1e3)
"""

BUSY = "while True: pass"


def cell(threads: str, steps: int) -> tuple:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.pop("AUTODIFF_THREADS", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, threads, str(steps)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)  # 40 can miss the collapse
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    settings = ["1", str(cores), "auto"]
    rows = []
    for competing in (False, True):
        busy = subprocess.Popen([sys.executable, "-c", BUSY]) if competing else None
        try:
            if busy:
                time.sleep(2)  # the competitor is running before the first step
            rows.append((competing, [cell(s, args.steps) for s in settings]))
        finally:
            if busy:
                busy.kill()
                busy.wait()
    print(f"| MLP step, {cores} cores | 1 thread | {cores} threads | default_threads() |")
    print("|---|---:|---:|---:|")
    for competing, cells in rows:
        label = "one core busy with another process" if competing else "machine otherwise idle"
        shown = [f"{ms:.2f} ms" for _, ms in cells[:2]]
        shown.append(f"{cells[2][1]:.2f} ms ({cells[2][0]} chosen)")
        print(f"| {label} | " + " | ".join(shown) + " |")
    print(
        f"\nload average at the end: {os.getloadavg()[0]:.2f}; wall-clock medians of {args.steps} steps"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the competing process is already stopped (main's finally)
        print("bench_threads: interrupted", file=sys.stderr)
        sys.exit(130)
