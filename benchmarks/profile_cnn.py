"""Where the seeds' CNN step's milliseconds go, and its peak memory.

The profile: one training step of FashionCNN 32-64-128 (Adam, batch 128, real Fashion-MNIST
batches) on 1 thread, each pass (forward, backward, optimizer) split into the convolutions'
GEMMs, im2col, col2im, layout changes (NCHW <-> channels last), the convolutions' bias sums
and setup, pooling, activations, the loss, and the rest (the engine, freeing arrays, Python);
CPU milliseconds per step, medians over steps (with --threads N above 1, wall-clock
milliseconds, since CPU time sums the threads; a chunk another thread runs counts where the
calling thread waits for it).
Times are exclusive: a GEMM inside col2im counts as GEMM. The kernels' `np.matmul` is seen
through a stand-in for their module's `np` (this script's only intrusion; nothing else changes).

The memory: the peak of a step, ours and torch's, each in a fresh process: ru_maxrss (the
resident peak) above the resident size before the first step, and for ours also tracemalloc's
peak (NumPy reports its buffers to it).

python benchmarks/profile_cnn.py [--steps 10] [--threads 1] [--memory]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np

import autodiff as ad

sys.path.insert(0, str(Path(__file__).parent))
import bench_cnn_epoch  # noqa: E402

PASSES = ("forward", "backward", "optimizer")
CATEGORIES = {  # Function (or helper) -> category; any other Function counts as "other ops"
    "im2col": "im2col",
    "im2col_per_sample": "im2col",
    "col2im": "col2im",
    "_channels_first": "layout",
    "channels_last": "layout",
    "MaxPoolingWithIndices": "pooling",
    "MaxPoolScatter": "pooling",
    "Relu": "activations",
    "LogSoftmax": "loss",
    "NegativeLogLikelihood": "loss",
    "Convolution": "conv: bias sums, setup",
    "ConvInputGrad": "conv: bias sums, setup",
    "ConvWeightGrad": "conv: bias sums, setup",
}
ORDER = (
    "GEMM",
    "im2col",
    "col2im",
    "layout",
    "conv: bias sums, setup",
    "pooling",
    "activations",
    "loss",
    "optimizer",
)


CLOCK = {"now": time.process_time}  # --threads N > 1: time.perf_counter


class Profile:
    """Exclusive time per (pass, category) of one step."""

    def __init__(self):
        self.current, self.times, self.stack = "forward", defaultdict(float), []

    def timed(self, category, fn):
        def wrapper(*args, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return fn(*args, **kwargs)  # a kernel's part on another thread: counted where
            self.stack.append(0.0)  # the main thread waits for it
            began = CLOCK["now"]()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = CLOCK["now"]() - began
                inner = self.stack.pop()
                self.times[self.current, category] += spent - inner
                if self.stack:
                    self.stack[-1] += spent

        return wrapper


class _NumPy:
    """A stand-in for a kernel module's `np`: matmul timed as GEMM, everything else NumPy's."""

    def __init__(self, matmul):
        self.matmul = matmul

    def __getattr__(self, name):
        return getattr(np, name)


def instrument(profile: Profile) -> None:
    """Time the kernels' GEMMs, helpers and every Function's forward and backward."""
    from nn import conv, sliding

    gemm = profile.timed("GEMM", np.matmul)
    conv.np = sliding.np = _NumPy(gemm)
    for name in ("im2col", "im2col_per_sample", "col2im", "_channels_first", "channels_last"):
        if hasattr(conv, name):  # an older tree (a before/after comparison) may lack some
            setattr(conv, name, profile.timed(CATEGORIES[name], getattr(conv, name)))
    for cls in _functions(ad.Function):
        for method in ("forward", "backward"):
            fn = cls.__dict__.get(method)
            if isinstance(fn, staticmethod):
                category = CATEGORIES.get(cls.__name__, "other ops")
                setattr(cls, method, staticmethod(profile.timed(category, fn.__func__)))


def _functions(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _functions(sub)


def profile_steps(steps: int, threads: int = 1) -> tuple:
    """({(pass, category): median ms}, {pass: median ms}, median ms per step)."""
    bench_cnn_epoch.set_threads(threads)
    CLOCK["now"] = time.process_time if threads == 1 else time.perf_counter
    data = bench_cnn_epoch.batches(steps + 2)
    ad.manual_seed(0)
    model = bench_cnn_epoch.models.FashionCNN()
    opt = bench_cnn_epoch.nn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = bench_cnn_epoch.nn.CrossEntropyLoss()
    profile = Profile()
    passes = {}

    def step(x, y):
        for name in PASSES:
            began = CLOCK["now"]()
            profile.current = name
            if name == "forward":
                loss = loss_fn(model(ad.from_numpy(x)), ad.from_numpy(y))
            elif name == "backward":
                loss.backward()
            else:  # after the step, so that the next backward starts from no gradients
                opt.step()
                opt.zero_grad()
            passes[name] = CLOCK["now"]() - began

    for xb, yb in data[:2]:
        step(xb, yb)
    instrument(profile)
    per_category, per_pass = defaultdict(list), defaultdict(list)
    for xb, yb in data[2:]:
        profile.times.clear()
        step(xb, yb)
        for name in PASSES:
            per_pass[name].append(passes[name])
            if name == "optimizer":  # the whole pass, whatever ops it runs
                per_category[name, "optimizer"].append(passes[name])
                continue
            known = 0.0
            for category in ORDER[:-1] + ("other ops",):
                spent = profile.times.get((name, category), 0.0)
                per_category[name, category].append(spent)
                known += spent
            per_category[name, "rest"].append(passes[name] - known)
    med = {key: statistics.median(v) * 1e3 for key, v in per_category.items()}
    return med, {k: statistics.median(v) * 1e3 for k, v in per_pass.items()}


def profile_table(steps: int, threads: int = 1) -> str:
    med, per_pass = profile_steps(steps, threads)
    clock = "CPU, 1 thread" if threads == 1 else f"wall-clock, {threads} threads"
    lines = [
        f"| ms per step ({clock}) | forward | backward | optimizer | step |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = ORDER + ("other ops", "rest (engine, freeing, Python)")
    for category in rows:
        key = "rest" if category.startswith("rest") else category
        cells = [med.get((p, key), 0.0) for p in PASSES]
        if category == "loss" or max(cells) > 0.005:
            lines.append(f"| {category} | " + " | ".join(f"{c:.1f}" for c in cells) +
                         f" | {sum(cells):.1f} |")  # fmt: skip
    totals = [per_pass[p] for p in PASSES]
    lines.append("| **pass (median)** | " + " | ".join(f"**{t:.1f}**" for t in totals) +
                 f" | **{sum(totals):.1f}** |")  # fmt: skip
    return "\n".join(lines)


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def memory_child(who: str, steps: int = 3) -> dict:
    """Peak memory of a training step (in this fresh process): MiB above the resident size
    before the first step."""
    bench_cnn_epoch.set_threads(1)
    data = bench_cnn_epoch.batches(steps)
    step = bench_cnn_epoch.ours() if who == "ours" else bench_cnn_epoch.theirs()
    before = _resident_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = None
    for k, (xb, yb) in enumerate(data):
        if who == "ours" and k == steps - 1:  # the last step's allocations, steady state
            tracemalloc.start()
        step(xb, yb)
    if tracemalloc.is_tracing():
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "maxrss_above_start_mib": peak - before,
        "maxrss_moved": peak > peak_before,
        "tracemalloc_peak_mib": traced,
    }


def memory_table() -> str:
    lines = [
        "| peak memory of a step (batch 128) | ru_maxrss above the start | tracemalloc peak |",
        "|---|---:|---:|",
    ]
    for who in ("ours", "torch"):
        if who == "torch" and bench_cnn_epoch.torch is None:
            continue
        done = subprocess.run(
            [sys.executable, __file__, "--memory-child", who], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"profile_cnn: the {who} memory run failed:\n{done.stderr}")
        m = json.loads(done.stdout)
        traced = (
            "–" if m["tracemalloc_peak_mib"] is None else f"{m['tracemalloc_peak_mib']:.0f} MiB"
        )
        lines.append(f"| {who} | {m['maxrss_above_start_mib']:.0f} MiB | {traced} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="steps profiled (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    parser.add_argument("--memory", action="store_true", help="also the peak memory table")
    parser.add_argument("--memory-child", choices=("ours", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if bench_cnn_epoch.data.find_fashion_mnist() is None:
        print("Fashion-MNIST not found (apt-get install dataset-fashion-mnist or AUTODIFF_DATA)")
        return 0
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return 0
    if args.memory:
        print(memory_table() + "\n")
    print(profile_table(args.steps, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
