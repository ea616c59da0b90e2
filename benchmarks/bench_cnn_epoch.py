"""The seeds' CNN (FashionCNN 32-64-128) on real Fashion-MNIST batches, side by side with the
same model in PyTorch: milliseconds per training step (batch 128, Adam), eager and compiled,
with 1 thread each and with every core each, and the epoch (469 batches) that implies.

The columns take turns: each round times every column on the same batches, one after the
other, so a slow spell of a shared machine falls on all of them. A ratio is taken per round
(medians of its steps) and reported as the median over rounds with its range (the spread).
Each column runs in a process of its own holding only its own library, and a column starts
its turn a second after the last one ended: idle OpenMP and OpenBLAS threads spin on for a
while and took a core from the next column (with 2 threads each, ours measured 96-110 ms a
step and torch 55-62 ms when they took turns in one process; 81 and 48 ms this way).

With --products, one more column: our step's matrix products alone, replayed at the shapes and
layouts one step of ours calls them with (products_alone): what BLAS alone needs for the step,
so a target below it cannot be met by anything done between the products.

python benchmarks/bench_cnn_epoch.py [--batches 8] [--rounds 3] [--threads 1 2] [--no-compiled]
                                     [--products] [--cpu]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import autodiff as ad
import nn
from nn import data, models
from nn.train import set_threads as set_our_threads

sys.path.insert(0, str(Path(__file__).parent))
from common import ColumnProcess, optional, row  # noqa: E402

torch = optional("torch")
TIMER = {"clock": time.perf_counter}  # --cpu: this process's CPU time (steadier when shared)
BATCH = 128
EPOCH_BATCHES = 60000 // BATCH + 1


def batches(count: int) -> list:
    """The first `count` training batches, normalised as the seeds do, as float32 NCHW."""
    X, y = data.load_fashion_mnist("train")
    X, y = X[: count * BATCH], y[: count * BATCH]
    X = ((X.astype(np.float32) / 255.0 - 0.286) / 0.353)[:, None]
    return [(X[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]) for i in range(count)]


def ours(compiled: bool = False):
    """One training step of our FashionCNN with Adam, taking NumPy batches."""
    ad.manual_seed(0)
    model = models.FashionCNN()
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = ad.compile(step) if compiled else step
    return lambda xb, yb: run(ad.from_numpy(xb), ad.from_numpy(yb))


def theirs():
    """The same model and step in PyTorch."""
    torch.manual_seed(0)
    tnn = torch.nn

    def block(i, o):
        return [tnn.Conv2d(i, o, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)]

    model = tnn.Sequential(
        *block(1, 32), *block(32, 64), *block(64, 128),
        tnn.Conv2d(128, 128, 3), tnn.ReLU(), tnn.Conv2d(128, 10, 1), tnn.Flatten(),
    )  # fmt: skip
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = tnn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        opt.step()

    return step


def products_alone():
    """Our step's matrix products alone: every np.matmul one step of ours calls (the
    convolutions' forward, input-gradient and weight-gradient products), replayed on arrays of
    the same shapes, dtypes and memory layouts. What BLAS alone takes for the step: the floor
    under any step built on these products, whatever is done between them."""
    rng = np.random.default_rng(0)
    products = [
        [None if x is None else _like(x, rng) for x in call]
        for call in recorded_products(ours(), *batches(1)[0])
    ]

    def replay(xb, yb):
        for a, b, out in products:
            np.matmul(a, b, out=out)

    return replay


def recorded_products(step, x, y) -> list:
    """[a, b, out] per np.matmul the convolution kernels call in a steady step(x, y) (after a
    first one, which allocates Adam's state), each as (shape, strides, dtype), out None where
    NumPy allocates the result. Seen through the kernels' module `np`."""
    from nn import conv, sliding

    calls = []

    def record(a, b, out=None):
        calls.append([_layout(a), _layout(b), None if out is None else _layout(out)])
        return np.matmul(a, b, out=out)

    step(x, y)
    kernels = conv.np, sliding.np
    conv.np = sliding.np = _Matmul(record)
    try:
        step(x, y)
    finally:
        conv.np, sliding.np = kernels
    return calls


class _Matmul:
    """A stand-in for a kernel module's `np`: its matmul is `matmul`, the rest NumPy's."""

    def __init__(self, matmul):
        self.matmul = matmul

    def __getattr__(self, name):
        return getattr(np, name)


def _layout(array) -> tuple:
    return array.shape, array.strides, array.dtype


def _like(layout, rng) -> np.ndarray:
    """A fresh array of that shape, dtype and strides (standard normal values, no denormals)."""
    shape, strides, dtype = layout
    assert min(strides, default=0) >= 0, "a product on a reversed view: not seen in our kernels"
    extent = sum((n - 1) * s for n, s in zip(shape, strides)) // dtype.itemsize + 1
    base = rng.standard_normal(extent).astype(dtype)
    return np.lib.stride_tricks.as_strided(base, shape, strides)


def set_threads(n: int) -> None:
    """n threads each: our BLAS and kernel chunks (nn.train.set_threads), torch's intra-op pool."""
    set_our_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


COLUMNS = {  # column -> (its library, how its step is built)
    "ours eager": ("ours", ours),
    "ours compiled": ("ours", lambda: ours(compiled=True)),
    "torch": ("torch", theirs),
    "our products alone": ("ours", products_alone),
}
SETTLE_S = 1.0  # between turns, so that the last column's idle threads have gone to sleep


def ratios(result: dict, name: str, peer: str = "torch") -> list:
    """The ratio of name to peer in every round."""
    return [a / b for a, b in zip(result[name], result[peer])]


def _spread(values: list) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f}x)"


def run_all(thread_counts, n_batches: int, rounds: int, compiled: bool, products=False) -> list:
    """[(threads, {column: [ms per step, one median per round]})] for every thread count."""
    left_out = {"ours compiled"} if not compiled else set()
    left_out |= {"our products alone"} if not products else set()
    left_out |= {"torch"} if torch is None else set()
    names = [c for c in COLUMNS if c not in left_out]
    results = []
    for n in thread_counts:
        processes = {name: _column(name, n, n_batches) for name in names}
        ready = {name: p for name, p in processes.items() if p.first_line() == "ready"}
        result = {name: [] for name in ready}
        for _ in range(rounds):
            for name, process in ready.items():
                time.sleep(SETTLE_S)
                result[name].append(float(process.ask("round")))
        for process in processes.values():
            process.close()
        results.append((n, result))
    return results


def _column(name: str, threads: int, n_batches: int) -> ColumnProcess:
    command = [sys.executable, __file__, "--serve", name, str(threads), str(n_batches)]
    command += ["--cpu"] if TIMER["clock"] is time.process_time else []
    return ColumnProcess(command, COLUMNS[name][0])


def serve(name: str, threads: int, n_batches: int) -> None:
    """A column's process: build the step, warm it up on 2 batches (ad.compile's trace), print
    "ready", then time the other batches once per line read and print the median ms."""
    set_threads(threads)
    data_ = batches(n_batches + 2)
    step = COLUMNS[name][1]()
    for xb, yb in data_[:2]:
        step(xb, yb)
    print("ready", flush=True)
    clock = TIMER["clock"]
    for _ in sys.stdin:
        times = []
        for xb, yb in data_[2:]:
            began = clock()
            step(xb, yb)
            times.append(clock() - began)
        print(statistics.median(times) * 1e3, flush=True)


def run(repeats: int = 3) -> list:
    """make bench's rows: the eager step with 1 thread each and with every core each."""
    if data.find_fashion_mnist() is None:
        print("bench_cnn_epoch: Fashion-MNIST not found, skipped", file=sys.stderr)
        return []
    rows = []
    for n, result in run_all(sorted({1, _cores()}), 6, repeats, compiled=False):
        name = f"seeds' CNN 32-64-128 Adam step, batch 128, eager, {n} thread(s) each"
        torch_ms = statistics.median(result["torch"]) if "torch" in result else None
        spread = _spread(ratios(result, "ours eager")) if torch_ms else None
        rows.append(row(name, statistics.median(result["ours eager"]), None, torch_ms,
                        ratio_over_rounds=spread))  # fmt: skip
    return rows


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="batches timed per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the spread is over them)")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, _cores()], help="thread counts to run"
    )
    parser.add_argument("--no-compiled", action="store_true", help="skip ad.compile's column")
    parser.add_argument(
        "--products", action="store_true", help="also our step's matrix products alone (a floor)"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU time (sums the threads: for 1 thread only)"
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)  # one column's process
    args = parser.parse_args(argv)
    if args.cpu:
        TIMER["clock"] = time.process_time
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return 0
    if data.find_fashion_mnist() is None:
        print("Fashion-MNIST not found (apt-get install dataset-fashion-mnist or AUTODIFF_DATA)")
        return 0
    results = run_all(args.threads, args.batches, args.rounds, not args.no_compiled, args.products)
    print(
        "| FashionCNN 32-64-128, Adam, batch 128 | threads each | ms / step | epoch "
        f"({EPOCH_BATCHES} batches) | / torch, median of {args.rounds} rounds (range) |"
    )
    print("|---|---:|---:|---:|---:|")
    for n, result in results:
        for name, times in result.items():
            ms = statistics.median(times)
            ratio = _spread(ratios(result, name)) if "torch" in result else "–"
            print(f"| {name} | {n} | {ms:.1f} | {ms * EPOCH_BATCHES / 1e3:.0f} s | {ratio} |")
    clock = "CPU-time" if args.cpu else "wall-clock"
    print(f"\n{args.batches} batches per round after 2 warm-up batches; {clock} medians.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
