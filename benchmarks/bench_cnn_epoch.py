"""The seeds' CNN (FashionCNN 32-64-128) on real Fashion-MNIST batches, side by side with the
same model in PyTorch: seconds per batch of 128 with Adam, eager and compiled, and the epoch
(469 batches) that implies.

python benchmarks/bench_cnn_epoch.py [--batches 30]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import autodiff as ad
import nn
from nn import data, models

sys.path.insert(0, str(Path(__file__).parent))
from common import optional  # noqa: E402

torch = optional("torch")
BATCH = 128
EPOCH_BATCHES = 60000 // BATCH + 1


def _batches(count):
    X, y = data.load_fashion_mnist("train")
    X = ((X.astype(np.float32) / 255.0 - 0.286) / 0.353)[:, None]
    return [(X[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]) for i in range(count)]


def _time(step, batches) -> float:
    """Median seconds per batch after two warm-up batches."""
    for xb, yb in batches[:2]:
        step(xb, yb)
    times = []
    for xb, yb in batches[2:]:
        began = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - began)
    return float(np.median(times))


def ours(batches, compiled: bool) -> float:
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

    if compiled:
        run = ad.compile(step)
        return _time(lambda xb, yb: run(ad.from_numpy(xb), ad.from_numpy(yb)), batches)
    return _time(lambda xb, yb: step(ad.from_numpy(xb), ad.from_numpy(yb)), batches)


def theirs(batches) -> float:
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

    return _time(step, batches)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="batches timed (default 30)")
    args = parser.parse_args(argv)
    if data.find_fashion_mnist() is None:
        print("Fashion-MNIST not found (apt-get install dataset-fashion-mnist or AUTODIFF_DATA)")
        return 0
    if torch is not None:
        torch.set_num_threads(1)
    batches = _batches(args.batches + 2)
    rows = [("ours eager", ours(batches, False)), ("ours compiled", ours(batches, True))]
    if torch is not None:
        rows.append(("torch CPU (1 thread)", theirs(batches)))
    best = rows[-1][1]
    print("| FashionCNN 32-64-128, Adam, batch 128 | s / batch | epoch (469 batches) | / torch |")
    print("|---|---:|---:|---:|")
    for name, seconds in rows:
        ratio = f"{seconds / best:.2f}x" if torch is not None else "–"
        print(f"| {name} | {seconds:.3f} | {seconds * EPOCH_BATCHES:.0f} s | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
