"""Seed 004's long experiments (Fashion-MNIST, CIFAR-10 when present) on the engine, cached.

    python benchmarks/seed_experiments.py                # run every run not cached yet
    python benchmarks/seed_experiments.py --only norm    # one group (see RUNS)
    python benchmarks/seed_experiments.py --force norm_raw_1e-4   # rerun named runs

Results (configuration, per-epoch curves, final numbers) go to benchmarks/seed_results.json,
rewritten after every run, so an interrupted session resumes where it stopped; each epoch
also leaves a checkpoint in benchmarks/checkpoints/ (git-ignored) that a rerun resumes from.
Notebooks 03, 07 and 13-15 only read it. Every draw is seeded: a rerun repeats the numbers.
The cached runs other than norm_* were made before the library drew torch's numbers (issue 22:
init, dropout and shuffling changed), so rerunning them with --force now gives other numbers
of the same runs; the norm_* runs (zero init, NumPy-seeded batches) are unaffected.
"""

import argparse
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import autodiff as ad
import nn

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "seed_results.json"
CHECKPOINTS = HERE / "checkpoints"


# ---------------------------------------------------------------- data
def fashion(method: str = "none"):
    """Fashion-MNIST flattened to (N, 784) float32, scaled as the seed's section 5.1.3 does."""
    Xtr, ytr = nn.data.load_fashion_mnist("train")
    Xte, yte = nn.data.load_fashion_mnist("test")
    Xtr, Xte = Xtr.reshape(len(Xtr), -1), Xte.reshape(len(Xte), -1)
    if method == "pixel-zscore":  # per-pixel mean/std: the other reading of "z-score"
        mean, std = Xtr.mean(0), np.maximum(Xtr.std(0), 1e-8)
        Xtr, Xte = ((X - mean) / std for X in (Xtr, Xte))
        return Xtr.astype(np.float32), ytr, Xte.astype(np.float32), yte
    Xtr, Xte = nn.data.normalize(Xtr, Xte, method=method)
    return Xtr, ytr, Xte, yte


def cifar_root():
    """The cifar-10-batches-py folder under $AUTODIFF_DATA (or the folder itself), else None."""
    base = os.environ.get("AUTODIFF_DATA")
    if not base:
        return None
    for folder in (Path(base), Path(base) / "cifar-10-batches-py"):
        if (folder / "test_batch").is_file():
            return folder
    return None


# ---------------------------------------------------------------- training
def _save_atomic(path: Path, write, mode="w"):
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, mode) as f:
        write(f)
    os.replace(tmp, path)


def _batches(n: int, batch: int, seed: int, epoch: int):
    """Index batches of one epoch: the permutation depends on (seed, epoch) only, so resuming
    at epoch k draws the same batches as an uninterrupted run."""
    perm = np.random.default_rng((seed, epoch)).permutation(n)
    return [perm[i : i + batch] for i in range(0, n, batch)]


def evaluate(model, X, y, chunk: int = 2000):
    """(mean cross-entropy, accuracy) over X without a graph."""
    model.eval()
    loss_fn, total, correct = nn.CrossEntropyLoss(reduction="sum"), 0.0, 0
    with ad.no_grad():
        for i in range(0, len(X), chunk):
            out = model(ad.from_numpy(X[i : i + chunk]))
            total += float(loss_fn(out, ad.from_numpy(y[i : i + chunk])).item())
            correct += int((out.detach().numpy().argmax(1) == y[i : i + chunk]).sum())
    model.train()
    return total / len(X), correct / len(X)


def train(name, model, opt, data, epochs, batch, seed=0, scheduler=None):
    """Mini-batch training; per epoch: running train loss/accuracy (as the seed prints them),
    test loss/accuracy, learning rate. Stops early when the loss is no longer finite."""
    Xtr, ytr, Xte, yte = data
    hist = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "time")}
    ckpt, start = CHECKPOINTS / f"{name}.pkl", 0
    if ckpt.exists():
        state = pickle.loads(ckpt.read_bytes())
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if scheduler is not None:
            scheduler.load_state_dict(state["sched"])
        hist, start = state["hist"], state["epoch"]
    loss_fn = nn.CrossEntropyLoss()
    bar = tqdm(range(start, epochs), desc=name, initial=start, total=epochs, leave=False)
    for epoch in bar:
        began, total, correct = time.perf_counter(), 0.0, 0
        for idx in _batches(len(Xtr), batch, seed, epoch):
            out = model(ad.from_numpy(Xtr[idx]))
            loss = loss_fn(out, ad.from_numpy(ytr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(idx)
            correct += int((out.detach().numpy().argmax(1) == ytr[idx]).sum())
        hist["lr"].append(opt.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        hist["time"].append(time.perf_counter() - began)
        hist["train_loss"].append(total / len(Xtr))
        hist["train_acc"].append(correct / len(Xtr))
        test_loss, test_acc = evaluate(model, Xte, yte)
        hist["test_loss"].append(test_loss)
        hist["test_acc"].append(test_acc)
        bar.set_postfix(loss=f"{total / len(Xtr):.4f}", test=f"{test_acc:.4f}")
        if not np.isfinite(total):
            break
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "hist": hist}
        state.update(epoch=epoch + 1, sched=scheduler.state_dict() if scheduler else None)
        _save_atomic(ckpt, lambda f, s=state: pickle.dump(s, f), "wb")
    return hist


def _json_safe(x):
    """NaN/inf become None so the file stays valid JSON."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


# ---------------------------------------------------------------- the runs
def softmax_zero():
    """Softmax regression from zero weights, as the seed starts it."""
    model = nn.Linear(784, 10)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    return model


def mlp(sizes, seed=0):
    ad.manual_seed(seed)
    return nn.models.MLP(sizes)


def dead_units(model, X):
    """For every ReLU of the model: the share of zero activations over X and the number of
    units that are zero on every image of X (dead)."""
    out, rows = ad.from_numpy(X), []
    with ad.no_grad():
        for layer in model:
            out = layer(out)
            if isinstance(layer, nn.ReLU):
                a = out.detach().numpy()
                rows.append(
                    {
                        "units": a.shape[1],
                        "zero_share": float((a == 0).mean()),
                        "dead": int((a == 0).all(0).sum()),
                    }
                )
    return rows


NORM = {  # name: (scaling, lr, shuffle seed); the seed's table plus raw at lr 0.01 (its Hinh 35)
    "norm_raw_0.01": ("none", 0.01, 0),
    "norm_raw_1e-4": ("none", 1e-4, 0),
    "norm_raw_1e-4_shuffle1": ("none", 1e-4, 1),
    "norm_raw_1e-4_shuffle2": ("none", 1e-4, 2),
    "norm_unit": ("unit", 0.01, 0),
    "norm_symmetric": ("symmetric", 0.01, 0),
    "norm_zscore": ("zscore", 0.01, 0),
    "norm_pixel-zscore": ("pixel-zscore", 0.01, 0),
}


def run_norm(name):
    method, lr, seed = NORM[name]
    model = softmax_zero()
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    hist = train(name, model, opt, fashion(method), epochs=100, batch=5000, seed=seed)
    config = {
        "model": "softmax regression, zero init",
        "scaling": method,
        "lr": lr,
        "batch": 5000,
        "epochs": 100,
        "optimizer": "SGD",
        "shuffle_seed": seed,
    }
    return {"config": config, "history": hist}


def _mlp_run(name, sizes, method, lr, epochs=10, batch=64, opt="sgd", sched=None, seed=0):
    data = fashion(method)
    model = mlp(sizes, seed)
    make = {
        "sgd": lambda p: nn.optim.SGD(p, lr=lr),
        "adagrad": lambda p: nn.optim.Adagrad(p, lr=lr),
        "rmsprop": lambda p: nn.optim.RMSprop(p, lr=lr, alpha=0.9),
        "adam": lambda p: nn.optim.Adam(p, lr=lr),
    }
    optimizer = make[opt](model.parameters())
    scheduler = None
    if sched == "step":
        scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    elif sched == "exp":
        scheduler = nn.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.85)
    hist = train(name, model, optimizer, data, epochs, batch, seed=seed, scheduler=scheduler)
    config = {
        "sizes": list(sizes),
        "activation": "relu",
        "init": "default (PyTorch's)",
        "scaling": method,
        "optimizer": opt,
        "lr": lr,
        "scheduler": sched,
        "batch": batch,
        "epochs": epochs,
        "seed": seed,
    }
    result = {"config": config, "history": hist}
    if all(np.isfinite(hist["train_loss"])):
        result["dead_units_test"] = dead_units(model, data[2])
    return result


DEPTH = {f"depth_raw_{k}": k for k in range(1, 8)}
RUNS = {}
for _name in NORM:
    RUNS[_name] = ("norm", run_norm)
for _name, _k in DEPTH.items():  # section 5.2.1: raw 0-255 pixels, lr 0.01, 1-7 hidden layers
    RUNS[_name] = ("depth", lambda n, k=_k: _mlp_run(n, (784,) + (128,) * k + (10,), "none", 0.01))
for _k in range(1, 8):  # two more initialisations and shuffles: is the outcome robust?
    for _s in (1, 2):
        RUNS[f"depth_raw_{_k}_seed{_s}"] = (
            "depth",
            lambda n, k=_k, s=_s: _mlp_run(n, (784,) + (128,) * k + (10,), "none", 0.01, seed=s),
        )
RUNS["depth_zscore_7"] = (
    "depth",
    lambda n: _mlp_run(n, (784,) + (128,) * 7 + (10,), "zscore", 0.01),
)
for _w in (64, 256, 1024):  # section 5.2.2: one hidden layer, width 64/256/1024
    RUNS[f"width_{_w}"] = ("width", lambda n, w=_w: _mlp_run(n, (784, w, 10), "zscore", 0.01))
RUNS["arch_128-64"] = ("arch", lambda n: _mlp_run(n, (784, 128, 64, 10), "zscore", 0.01))
RUNS["arch_64-256-64"] = ("arch", lambda n: _mlp_run(n, (784, 64, 256, 64, 10), "zscore", 0.01))
RUNS["arch_512-256-128"] = ("arch", lambda n: _mlp_run(n, (784, 512, 256, 128, 10), "zscore", 0.01))
_OPT = {  # section 6.2: the 784-128-64-10 MLP under each schedule / optimizer, 15 epochs
    "opt_sgd_const": ("sgd", 0.1, None),
    "opt_sgd_step": ("sgd", 0.1, "step"),
    "opt_sgd_exp": ("sgd", 0.1, "exp"),
    "opt_adagrad": ("adagrad", 0.01, None),
    "opt_rmsprop": ("rmsprop", 1e-3, None),
}
for _name, (_o, _lr, _s) in _OPT.items():
    RUNS[_name] = (
        "opt",
        lambda n, o=_o, lr=_lr, s=_s: _mlp_run(
            n, (784, 128, 64, 10), "zscore", lr, epochs=15, opt=o, sched=s
        ),
    )


# section 7 on Fashion-MNIST (CIFAR-10 is not on this machine): MLP vs CNNs vs VGG-like
def cnn7():
    """The seed's Hinh 99: one 7x7 convolution, ReLU, 2x2 max pooling, a linear classifier."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 7), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 11 * 11, 10)
    )


def cnn3(in_ch=1, size=28):
    """Two padded 3x3 conv-ReLU-pool blocks and a linear classifier (the seed's padded CNN)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * (size // 4) ** 2, 10),
    )


def images(X, size=28):
    """(N, 784) to (N, 1, size, size), zero-padded to size (VGG wants 32x32)."""
    X = X.reshape(-1, 1, 28, 28)
    pad = (size - 28) // 2
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else X


def run_cnn(name):
    """Fashion-MNIST stand-ins for the CIFAR-10 experiments: 20k training images, 4 epochs,
    Adam 1e-3, z-score, batch 64; the full 10k test images."""
    Xtr, ytr, Xte, yte = fashion("zscore")
    Xtr, ytr = Xtr[:20000], ytr[:20000]
    ad.manual_seed(0)
    if name == "fm_mlp_256":
        model, shape = nn.models.MLP((784, 256, 10)), (None, None)
    elif name == "fm_mlp_256-256-256":
        model, shape = nn.models.MLP((784, 256, 256, 256, 10)), (None, None)
    elif name == "fm_cnn7":
        model, shape = cnn7(), 28
    elif name == "fm_cnn3":
        model, shape = cnn3(), 28
    else:
        model, shape = nn.models.VGG(in_channels=1, dropout=0.0), 32
    if shape != (None, None):
        Xtr, Xte = images(Xtr, shape), images(Xte, shape)
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    hist = train(name, model, opt, (Xtr, ytr, Xte, yte), epochs=4, batch=64)
    params = sum(p.numel() for p in model.parameters())
    config = {
        "train_images": 20000,
        "epochs": 4,
        "optimizer": "Adam",
        "lr": 1e-3,
        "batch": 64,
        "scaling": "zscore",
        "parameters": params,
    }
    return {"config": config, "history": hist}


for _name in ("fm_mlp_256", "fm_mlp_256-256-256", "fm_cnn7", "fm_cnn3", "fm_vgg"):
    RUNS[_name] = ("cnn", run_cnn)


# notebook 07's six CNN variants (section 7.6.4, 9.3-9.7): cached so the notebook stays fast
def _dropout_cnn(p=0.3):
    model = nn.models.FashionCNN(channels=(8, 16, 32))
    conv3, act, conv1x1, flatten = model.head
    model.head = nn.Sequential(conv3, act, nn.Dropout(p), conv1x1, flatten)
    return model


def _concat_cnn():
    model = nn.Sequential(
        nn.models.conv_block(1, 8),  # 28 -> 14, 8 channels
        nn.ConcatBlock(8, 8),
        nn.MaxPool2d(2),  # 16 channels, 14 -> 7
        nn.ConcatBlock(16, 16),
        nn.MaxPool2d(2),  # 32 channels, 7 -> 3
        nn.Conv2d(32, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 10, 1),
        nn.Flatten(),
    )
    return nn.models.initialize(model, "he")


NB07 = {
    "CNN (ReLU)": lambda: nn.models.FashionCNN(channels=(8, 16, 32)),
    "+ BatchNorm": lambda: nn.models.FashionCNN(channels=(8, 16, 32), batchnorm=True),
    "+ Dropout 0.3": _dropout_cnn,
    "Swish (SiLU)": lambda: nn.models.FashionCNN(channels=(8, 16, 32), activation="silu"),
    "skip, add (ResNet)": lambda: nn.models.ResNet(channels=(8, 16, 32), stem_pool=True),
    "skip, concat": _concat_cnn,
}


def run_nb07(name):
    """5 000 training and 1 000 test images (drawn with seed 0), z-score from the training subset,
    Adam 2e-3, batch 64, 3 epochs, nn.fit(seed=0): notebook 07's table."""
    train_images, train_labels = nn.data.load_fashion_mnist("train")
    test_images, test_labels = nn.data.load_fashion_mnist("test")
    rng = np.random.default_rng(0)
    tr = rng.choice(len(train_images), 5000, replace=False)
    te = rng.choice(len(test_images), 1000, replace=False)
    X_tr, X_te = nn.data.normalize(
        train_images[tr].astype(np.float32), test_images[te].astype(np.float32), method="zscore"
    )
    X_tr, X_te = X_tr.reshape(-1, 1, 28, 28), X_te.reshape(-1, 1, 28, 28)
    ad.manual_seed(0)
    model = NB07[name.removeprefix("nb07 ")]()
    train_loader = nn.data.DataLoader(X_tr, train_labels[tr], batch_size=64, shuffle=True)
    val_loader = nn.data.DataLoader(X_te, test_labels[te], batch_size=500)
    opt = nn.optim.Adam(model.parameters(), lr=2e-3)
    hist = nn.fit(model, train_loader, val_loader, epochs=3, optimizer=opt, progress=True, seed=0)
    result = {"history": {k: list(v) for k, v in hist.items()}}
    result["parameters"] = sum(p.numel() for p in model.parameters())
    if name == "nb07 CNN (ReLU)":
        result["first_layer_kernels"] = model.features[0][0].weight.detach().numpy()[:, 0].tolist()
    return result


for _name in NB07:
    RUNS[f"nb07 {_name}"] = ("nb07", run_nb07)


# notebook 03's subset runs (section 5.1.3 and 5.2): cached so the notebook stays fast
def _nb03_data():
    """The notebook's subset: 6 000 training and 2 000 test images drawn with seed 0."""
    images, labels = nn.data.load_fashion_mnist("train")
    test_images, test_labels = nn.data.load_fashion_mnist("test")
    rng = np.random.default_rng(0)
    train_pick = rng.choice(len(images), 6000, replace=False)
    test_pick = rng.choice(len(test_images), 2000, replace=False)
    X, y = images[train_pick].reshape(-1, 784), labels[train_pick]
    return X, y, test_images[test_pick].reshape(-1, 784), test_labels[test_pick]


def _nb03_train(model, X_tr, y_tr, X_te, y_te, lr, epochs=10, batch_size=64):
    """Notebook 03's train_fm: SGD, batch 64, the test accuracy after every epoch."""
    ad.manual_seed(0)
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    loader = nn.data.DataLoader(X_tr, y_tr, batch_size=batch_size, shuffle=True)
    test_acc, began = [], time.perf_counter()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with ad.no_grad():
            pred = model(ad.tensor(np.asarray(X_te, dtype=np.float32))).detach().numpy().argmax(1)
        test_acc.append(float(np.mean(pred == y_te)))
    return test_acc, time.perf_counter() - began


NB03_NORM = {  # label: (method, lr)
    "raw": ("none", 1e-4),
    "raw, lr 0.01": ("none", 0.01),
    "[0, 1]": ("unit", 0.01),
    "[-1, 1]": ("symmetric", 0.01),
    "z-score": ("zscore", 0.01),
}
NB03_SHAPES = [(), (64,), (256,), (1024,), (256, 128), (256, 128, 64), (64,) * 6]


def run_nb03(name):
    X_fm, y_fm, X_fm_test, y_fm_test = _nb03_data()
    if name.startswith("nb03 norm "):
        method, lr = NB03_NORM[name.removeprefix("nb03 norm ")]
        X_tr, X_te = nn.data.normalize(X_fm, X_fm_test, method=method)
        result = {"lr": lr}
        with np.errstate(all="ignore"):  # raw pixels with lr 0.01 blow up on purpose
            ad.manual_seed(0)
            soft = nn.models.SoftmaxRegression(784, 10, init="zeros")
            result["softmax"] = _nb03_train(soft, X_tr, y_fm, X_te, y_fm_test, lr)[0]
            ad.manual_seed(0)
            mlp = nn.models.MLP((784, 128, 10), activation="relu", init="he")
            result["mlp"] = _nb03_train(mlp, X_tr, y_fm, X_te, y_fm_test, lr)[0]
        return result
    hidden = tuple(int(h) for h in name.removeprefix("nb03 arch ").split("-") if h)
    X_tr, X_te = nn.data.normalize(X_fm, X_fm_test, method="zscore")
    ad.manual_seed(0)
    model = nn.models.MLP((784, *hidden, 10), activation="relu", init="he")
    params = sum(p.numel() for p in model.parameters())
    acc, secs = _nb03_train(model, X_tr, y_fm, X_te, y_fm_test, lr=0.05)
    return {"hidden": list(hidden), "params": params, "test_acc": acc, "secs": secs}


for _label in NB03_NORM:
    RUNS[f"nb03 norm {_label}"] = ("nb03", run_nb03)
for _hidden in NB03_SHAPES:
    RUNS["nb03 arch " + "-".join(map(str, _hidden))] = ("nb03", run_nb03)


def run_cifar(name):
    """The seed's CIFAR-10 runs (MLP 3072-256-10, the padded CNN, VGG-like), when the data is
    there; 10 epochs Adam 1e-3, channel z-score."""
    root = cifar_root()
    if root is None:
        return {
            "available": False,
            "reason": "no cifar-10-batches-py under $AUTODIFF_DATA on this machine",
        }
    Xtr, ytr = nn.data.load_cifar10(root, "train")
    Xte, yte = nn.data.load_cifar10(root, "test")
    Xtr, Xte = nn.data.normalize(Xtr, Xte, method="channel-zscore")
    ad.manual_seed(0)
    if name == "cifar_mlp_256":
        model = nn.models.MLP((3072, 256, 10))
    elif name == "cifar_cnn":
        model = cnn3(3, 32)
    else:
        model = nn.models.VGG()
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    hist = train(name, model, opt, (Xtr, ytr, Xte, yte), epochs=10, batch=64)
    return {"available": True, "config": {"epochs": 10, "optimizer": "Adam"}, "history": hist}


for _name in ("cifar_mlp_256", "cifar_cnn", "cifar_vgg"):
    RUNS[_name] = ("cifar", run_cifar)


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="groups to run (default: all)")
    parser.add_argument("--force", nargs="*", default=[], help="runs to redo even if cached")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    CHECKPOINTS.mkdir(exist_ok=True)
    results = load_results()
    todo = [n for n, (g, _) in RUNS.items() if not args.only or g in args.only]
    for name in tqdm(todo, desc="runs"):
        cached = results.get(name)
        if name in args.force:
            (CHECKPOINTS / f"{name}.pkl").unlink(missing_ok=True)
        elif cached is not None and (cached.get("available", True) or cifar_root() is None):
            continue
        began = time.perf_counter()
        result = RUNS[name][1](name)
        result["wall_s"] = round(time.perf_counter() - began, 1)
        results[name] = _json_safe(result)
        _save_atomic(RESULTS, lambda f: json.dump(results, f, indent=1, sort_keys=True))
        (CHECKPOINTS / f"{name}.pkl").unlink(missing_ok=True)
        hist = result.get("history")
        if hist:
            acc = hist.get("test_acc", hist.get("val_acc"))
            loss = hist["train_loss"][-1]
            tqdm.write(
                f"{name}: test acc {acc[-1]:.4f}, train loss {loss:.4f} in {result['wall_s']} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
