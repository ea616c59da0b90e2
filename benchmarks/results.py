"""Train the seeds' models on real data and write the results table (benchmarks/results.md).

    python benchmarks/results.py                      # everything (the CNNs take ~15 min each)
    python benchmarks/results.py --only mlp softmax   # some rows
    python benchmarks/results.py --cnn-budget 300     # seconds of CNN training per model
    python benchmarks/results.py --only cnn --resume  # go on from benchmarks/checkpoints/
    python benchmarks/results.py --merge other.json   # add rows measured elsewhere
    python benchmarks/results.py --table-only --readme  # results.md and README from results.json

Rows are measured here, never typed in: model, data, epochs, training time, test accuracy and
the issue's target. Each run adds its rows to results.json beside the table, so rows measured
in separate runs (the long CNN trainings run alone, pinned to 2 cores) end up in one table.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import write_into_readme  # noqa: E402

import autodiff as ad  # noqa: E402
import nn  # noqa: E402
from nn import data, models  # noqa: E402

HERE = Path(__file__).resolve().parent
CKPT = HERE / "checkpoints"  # git-ignored


def _fashion(flat: bool):
    X, y = data.load_fashion_mnist("train")
    Xt, yt = data.load_fashion_mnist("test")
    shape = (-1, 784) if flat else (-1, 1, 28, 28)
    X, Xt = data.normalize(X.reshape(shape), Xt.reshape(shape), method="zscore")
    return X, y, Xt, yt


def _train(
    key,
    model,
    X,
    y,
    Xt,
    yt,
    epochs,
    optimizer,
    batch_size=128,
    budget=None,
    scheduler=None,
    transform=None,
):
    """fit one epoch at a time from the checkpoint in checkpoints/KEY (so a run can be resumed
    with --resume), stopping once the next epoch would exceed the time budget; test accuracy.
    Time is training time (the sum of epoch times), not evaluation."""
    loader = data.DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=0, transform=transform)
    test = data.DataLoader(Xt, yt, batch_size=1000)
    done = 0
    while done < epochs:
        h = nn.fit(
            model,
            loader,
            epochs=done + 1,
            optimizer=optimizer,
            scheduler=scheduler,
            checkpoint_dir=CKPT / key,
            resume=True,
            progress=sys.stderr.isatty(),
            record_grad_norms=False,
        )
        done, seconds = len(h["train_loss"]), sum(h["epoch_time"])
        acc = nn.evaluate(model, test)[1]
        print(
            f"  {key} epoch {done}: train loss {h['train_loss'][-1]:.4f}, test acc {acc:.4f}, "
            f"{seconds:.0f}s",
            flush=True,
        )
        if budget is not None and seconds * (done + 1) / done > budget:
            break
    return {"epochs": done, "seconds": seconds, "test_acc": acc, "epoch_seconds": h["epoch_time"]}


def softmax():
    X, y, Xt, yt = _fashion(flat=True)
    ad.manual_seed(0)
    model = models.SoftmaxRegression(784, 10)
    r = _train("softmax", model, X, y, Xt, yt, 10, nn.optim.Adam(model.parameters(), lr=1e-3))
    return {
        "model": "Softmax regression (z-score, Adam 1e-3)",
        "data": "Fashion-MNIST",
        "target": 0.84,
        **r,
    }


def _adam_cosine(model, lr: float, epochs: int):
    """Adam with the learning rate annealed to 0 over the planned epochs (stepped per epoch)."""
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    return optimizer, nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


def mlp():
    X, y, Xt, yt = _fashion(flat=True)
    ad.manual_seed(0)
    model = models.MLP((784, 256, 128, 10), activation="relu", init="he")
    optimizer, scheduler = _adam_cosine(model, 1e-3, 10)
    r = _train("mlp", model, X, y, Xt, yt, 10, optimizer, scheduler=scheduler)
    note = f"slowest epoch {max(r['epoch_seconds']):.1f} s (target < 5 s)"
    return {
        "model": "MLP 784-256-128-10 ReLU, He, Adam 1e-3 cosine",
        "data": "Fashion-MNIST",
        "target": 0.89,
        "note": note,
        **r,
    }


def cnn(budget):
    X, y, Xt, yt = _fashion(flat=False)
    ad.manual_seed(0)
    model = models.FashionCNN(channels=(32, 64, 128))
    optimizer, scheduler = _adam_cosine(model, 1e-3, 10)
    r = _train("cnn", model, X, y, Xt, yt, 10, optimizer, budget=budget, scheduler=scheduler)
    return {
        "model": "Seeds' CNN 32-64-128 (3x conv3x3-pad + pool, 1x1-conv head), Adam cosine",
        "data": "Fashion-MNIST",
        "target": 0.91,
        **r,
    }


def resnet(budget):
    X, y, Xt, yt = _fashion(flat=False)
    ad.manual_seed(0)
    model = models.ResNet(channels=(16, 32, 64), stem_pool=True)
    optimizer, scheduler = _adam_cosine(model, 2e-3, 10)
    flip_shift = data.augment.compose(data.augment.random_flip(), data.augment.random_shift(2))
    r = _train(
        "resnet",
        model,
        X,
        y,
        Xt,
        yt,
        10,
        optimizer,
        budget=budget,
        scheduler=scheduler,
        transform=flip_shift,
    )
    return {
        "model": "Residual CNN with BatchNorm 16-32-64 (pooled stem), Adam cosine, "
        "flips and 2-pixel shifts",
        "data": "Fashion-MNIST",
        "target": 0.92,
        **r,
    }


def _stratified_folds(y, k: int, seed: int = 0) -> np.ndarray:
    """Fold number of each sample; every class spread evenly over the k folds."""
    rng, fold = np.random.default_rng(seed), np.empty(len(y), dtype=int)
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        fold[members] = np.arange(len(members)) % k
    return fold


def iris(k: int = 10):
    """Softmax regression on Iris, stratified k-fold cross-validation: each flower is tested
    once, by the model that did not see it (150 samples make one 80/20 split too noisy)."""
    X, y = data.load_iris()
    fold, correct, began = _stratified_folds(y, k), 0, time.perf_counter()
    for i in range(k):
        train, test = fold != i, fold == i
        Xtr, Xte = data.normalize(X[train], X[test], method="channel-zscore")
        ad.manual_seed(0)
        model = models.SoftmaxRegression(4, 3)
        loader = data.DataLoader(Xtr, y[train], batch_size=16, shuffle=True, seed=0)
        nn.fit(
            model,
            loader,
            epochs=300,
            optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
            progress=False,
            record_grad_norms=False,
        )
        correct += int((model(ad.tensor(Xte)).detach().numpy().argmax(1) == y[test]).sum())
    return {
        "model": "Softmax regression (per-feature z-score, Adam 0.05)",
        "target": 0.96,
        "data": f"Iris, stratified {k}-fold cross-validation",
        "epochs": 300,
        "seconds": time.perf_counter() - began,
        "test_acc": correct / len(y),
        "note": f"{correct}/{len(y)} flowers right when held out",
    }


def xor():
    X, y = data.xor()
    ad.manual_seed(0)
    model = models.MLP((2, 8, 2), activation="tanh", init="xavier")
    began, loader = time.perf_counter(), data.DataLoader(X, y, batch_size=4)
    nn.fit(
        model,
        loader,
        epochs=300,
        optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
        progress=False,
        record_grad_norms=False,
    )
    return {
        "model": "MLP 2-8-2 tanh, Xavier, Adam",
        "data": "XOR (4 points)",
        "epochs": 300,
        "seconds": time.perf_counter() - began,
        "test_acc": nn.evaluate(model, loader)[1],
        "target": 1.0,
    }


def donut():
    X, y = data.donut(200, seed=0)
    Xt, yt = data.donut(200, seed=1)
    ad.manual_seed(0)
    model = models.MLP((2, 32, 32, 3), init="he")
    r = _train(
        "donut", model, X, y, Xt, yt, 60, nn.optim.Adam(model.parameters(), lr=1e-2), batch_size=32
    )
    return {
        "model": "MLP 2-32-32-3 ReLU, He, Adam",
        "target": 1.0,
        "data": "donut (3 rings; 600 train, 600 fresh test)",
        **r,
    }


FAST = {"softmax": softmax, "mlp": mlp, "iris": iris, "xor": xor, "donut": donut}
SLOW = {"cnn": cnn, "resnet": resnet}


def _machine() -> str:
    """CPU model and the cores this process may use (a run pinned with taskset says 2)."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        model = names[0] if names else model
    return f"{model}, {len(os.sched_getaffinity(0))} cores, NumPy {np.__version__}"


def _table(rows: dict) -> str:
    lines = [
        "# Results",
        "",
        "Made by `python benchmarks/results.py` (do not edit by hand). Test accuracy on the",
        "held-out test split; time is training time (evaluation excluded).",
        "",
        "| model | data | epochs | time | test accuracy | target | met | machine | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in list(FAST) + list(SLOW):
        if key not in rows:
            continue
        r = rows[key]
        met = "yes" if r["test_acc"] >= r["target"] else "no"
        lines.append(
            f"| {r['model']} | {r['data']} | {r['epochs']} | {r['seconds']:.0f} s | "
            f"{r['test_acc']:.2%} | {r['target']:.0%} | {met} | {r['machine']} | "
            f"{r.get('note', '')} |"
        )
    return "\n".join(lines + [""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(FAST) + list(SLOW), help="rows to run")
    parser.add_argument("--cnn-budget", type=float, default=900, help="CNN seconds (default 900)")
    parser.add_argument("--resume", action="store_true", help="continue from checkpoints/")
    parser.add_argument("--merge", nargs="+", default=[], help="add rows from other JSON files")
    parser.add_argument("--out", default=str(HERE / "results.md"), help="markdown file")
    parser.add_argument("--readme", action="store_true", help="also write the table into README")
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="train nothing: rewrite the tables from the rows in results.json",
    )
    args = parser.parse_args(argv)
    store = Path(args.out).with_suffix(".json")
    rows = json.loads(store.read_text()) if store.is_file() else {}
    for other in args.merge:
        rows.update(json.loads(Path(other).read_text()))
    keys = args.only or ([] if args.merge or args.table_only else list(FAST) + list(SLOW))
    if keys and data.find_fashion_mnist() is None:
        print("Fashion-MNIST not found: set $AUTODIFF_DATA or install dataset-fashion-mnist.")
        return 1
    for key in keys:
        if not args.resume:
            shutil.rmtree(CKPT / key, ignore_errors=True)
        print(f"{key} ...", flush=True)
        rows[key] = SLOW[key](args.cnn_budget) if key in SLOW else FAST[key]()
        rows[key]["machine"] = _machine()
        print(f"{key}: {rows[key]['test_acc']:.4f} in {rows[key]['seconds']:.0f}s", flush=True)
        store.write_text(json.dumps(rows, indent=1))
    Path(args.out).write_text(_table(rows))
    if args.readme:
        write_into_readme("results", _table(rows).split("\n", 4)[4])  # the table, no title
    return 0


if __name__ == "__main__":
    sys.exit(main())
