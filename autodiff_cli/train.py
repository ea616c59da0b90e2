"""`autodiff train`, `autodiff evaluate` and the training part of `autodiff demo`."""

import argparse
import contextlib
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import autodiff as ad
import nn
from autodiff.files import write_atomic
from nn import data, models
from nn.checkpoint import CheckpointWarning, checkpoint_exists, load_checkpoint, read_checkpoint
from nn.train import evaluate, fit, set_threads

from . import options

MODELS = ("softmax", "mlp", "cnn", "vgg", "resnet", "logistic", "linear")
DATASETS = (
    "fashion-mnist",
    "iris",
    "iris2",
    "xor",
    "donut",
    "regression",
    "advertising",
    "cifar10",
)
# every optimizer of nn.optim, by its lower-cased name, but LBFGS, whose step(closure) evaluates
# the loss itself, which an epoch of mini-batches does not do
OPTIMIZERS = {
    name.lower(): getattr(nn.optim, name)
    for name in nn.optim.__all__
    if isinstance(getattr(nn.optim, name), type)
    and issubclass(getattr(nn.optim, name), nn.optim.Optimizer)
    and name not in ("Optimizer", "LBFGS")
}
SCHEDULERS = ("none", "step", "exp", "cosine")


# the run config's numbers: (type, what is allowed, check); argparse and run_training use them
RULES = {
    "epochs": (int, "an int >= 1", lambda v: v >= 1),
    "batch_size": (int, "an int >= 1", lambda v: v >= 1),
    "subset": (int, "an int >= 1", lambda v: v >= 1),
    "early_stopping": (int, "an int >= 1", lambda v: v >= 1),
    "seed": (int, "an int from 0 to 2**64 - 1", lambda v: 0 <= v < 2**64),
    "lr": (float, "a finite number > 0", lambda v: 0 < v < math.inf),
    "clip_grad_norm": (float, "a finite number > 0", lambda v: 0 < v < math.inf),
    "momentum": (float, "a finite number >= 0", lambda v: 0 <= v < math.inf),
    "weight_decay": (float, "a finite number >= 0", lambda v: 0 <= v < math.inf),
    "dropout": (float, "a number in [0, 1)", lambda v: 0 <= v < 1),
    "val_fraction": (float, "a number in [0, 1)", lambda v: 0 <= v < 1),
    "threads": (int, "an int >= 1", lambda v: v >= 1),
}
OPTIONAL = ("subset", "early_stopping", "clip_grad_norm", "threads")


def _is(kind, value) -> bool:
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, int | np.integer)
    return isinstance(value, int | float | np.integer | np.floating)


def check_config(config: dict) -> None:
    """Every number of a run config of the right type and range, else one ValueError."""
    for key, (kind, allowed, ok) in RULES.items():
        value = config.get(key)
        if value is None and key in OPTIONAL:
            continue
        if not _is(kind, value) or not ok(value):
            raise ValueError(
                f"train: {key} (--{key.replace('_', '-')}) must be {allowed}, got {value!r} "
                f"({type(value).__name__})."
            )


def _option(key):
    """The argparse type of option --key: parsed by RULES[key], one line when refused."""
    kind, allowed, ok = RULES[key]

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _sizes(text):
    try:
        sizes = [int(s) for s in text.split(",")]  # an empty entry (1,,2) is refused too
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes like 256,128, got {text!r}")
    return sizes


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a model and save checkpoint, history and plots",
        description="Train a model of the seeds on a dataset; writes checkpoint, "
        "history.json and (with matplotlib) curves.png and gradient_flow.png "
        "into --out.",
    )
    a = p.add_argument
    a("--model", choices=MODELS, default="mlp", help="model to train (default: mlp)")
    a(
        "--dataset",
        choices=DATASETS,
        default="fashion-mnist",
        help="dataset (default: fashion-mnist)",
    )
    a("--data-root", help="folder with the dataset files (Fashion-MNIST IDX, cifar-10-batches-py)")
    a("--csv", help="the Advertising.csv file for --dataset advertising")
    a("--epochs", type=_option("epochs"), default=10, help="training epochs (default: 10)")
    a("--optimizer", choices=list(OPTIMIZERS), default="adam", help="optimizer (default: adam)")
    a("--lr", type=_option("lr"), default=1e-3, help="learning rate (default: 1e-3)")
    a("--momentum", type=_option("momentum"), default=0.0, help="SGD momentum (default: 0)")
    a(
        "--weight-decay",
        type=_option("weight_decay"),
        default=0.0,
        help="L2 weight decay (default: 0)",
    )
    a("--scheduler", choices=SCHEDULERS, default="none", help="learning-rate schedule per epoch")
    a("--init", choices=models.INITS, default="he", help="weight initialisation (default: he)")
    a("--activation", choices=models.ACTIVATIONS, default="relu", help="hidden activation")
    a("--hidden", type=_sizes, default=[256, 128], help="MLP hidden sizes (default: 256,128)")
    a("--batchnorm", action="store_true", help="add BatchNorm after hidden layers (mlp, cnn)")
    a(
        "--dropout",
        type=_option("dropout"),
        default=0.0,
        help="MLP dropout probability (default: 0)",
    )
    a(
        "--normalize",
        choices=data.NORMALIZE_METHODS,
        default="zscore",
        help="input normalisation fitted on the training split (default: zscore)",
    )
    a(
        "--batch-size",
        type=_option("batch_size"),
        default=128,
        help="mini-batch size (default: 128)",
    )
    a(
        "--val-fraction",
        type=_option("val_fraction"),
        default=0.1,
        help="share of training data held out for validation (default: 0.1; 0 uses none)",
    )
    a("--subset", type=_option("subset"), help="train on the first N training samples only")
    a(
        "--clip-grad-norm",
        type=_option("clip_grad_norm"),
        help="clip the gradient norm to this value",
    )
    a(
        "--early-stopping",
        type=_option("early_stopping"),
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without a better validation loss",
    )
    a("--seed", type=_option("seed"), default=0, help="random seed (default: 0)")
    a("--out", type=options.path, default="runs/run", help="output folder (default: runs/run)")
    a("--resume", action="store_true", help="continue from the checkpoint in --out")
    a("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    a(
        "--threads",
        type=_option("threads"),
        help="BLAS threads (default: $AUTODIFF_THREADS, else the cores the load leaves free)",
    )
    p.set_defaults(run=train_command)


def _add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate a saved checkpoint on its test split",
        description="Rebuild the model of a run folder written by `autodiff "
        "train`, load its checkpoint and report loss and accuracy.",
    )
    p.add_argument("checkpoint", type=options.path, help="run folder (or its checkpoint.json)")
    p.add_argument("--data-root", help="folder with the dataset files, if not the training one")
    p.add_argument(
        "--split",
        choices=("test", "train"),
        default="test",
        help="which split to evaluate (default: test)",
    )
    p.add_argument("--batch-size", type=_option("batch_size"), default=1000, help="batch size")
    p.set_defaults(run=evaluate_command)


def register(subparsers) -> None:
    """Add `train` and `evaluate` to the autodiff command line."""
    _add_train(subparsers)
    _add_evaluate(subparsers)


# --- data -------------------------------------------------------------------------------------


def _raw_splits(dataset: str, root=None, csv=None, seed: int = 0) -> tuple:
    """(X_train, y_train, X_test, y_test) as loaded, before any normalisation."""
    if dataset == "fashion-mnist":
        X, y = data.load_fashion_mnist("train", root)
        Xt, yt = data.load_fashion_mnist("test", root)
        return X[:, None], y, Xt[:, None], yt  # (N, 1, 28, 28): one channel
    if dataset == "cifar10":
        if root is None:
            raise ValueError("train: --dataset cifar10 needs --data-root (cifar-10-batches-py).")
        return (*data.load_cifar10(root, "train"), *data.load_cifar10(root, "test"))
    if dataset == "xor":
        X, y = data.xor()
        return X, y, X, y
    if dataset == "donut":
        return (*data.donut(200, seed=seed), *data.donut(100, seed=seed + 1))
    if dataset in ("iris", "iris2", "regression", "advertising"):
        X, y = _small_table(dataset, csv, seed)
        Xtr, ytr, Xte, yte = data.train_val_split(X, y, 0.2, seed=seed)
        return Xtr, ytr, Xte, yte
    raise ValueError(f"train: unknown dataset {dataset!r}. Use one of {DATASETS}.")


# classes of each dataset (None: a regression target), from the dataset, not from the labels a
# run happens to train on: --subset must not build a smaller model
CLASSES = {
    "fashion-mnist": len(data.FASHION_MNIST_CLASSES),
    "cifar10": len(data.CIFAR10_CLASSES),
    "iris": len(data.IRIS_CLASSES),
    "iris2": 2,
    "xor": 2,
    "donut": 3,
    "regression": None,
    "advertising": None,
}


def _small_table(dataset: str, csv, seed: int) -> tuple:
    if dataset == "iris":
        return data.load_iris(3)
    if dataset == "iris2":
        return data.load_iris(2)
    if dataset == "regression":
        return data.make_advertising(seed=seed)
    if csv is None:
        raise ValueError(
            "train: --dataset advertising needs --csv PATH (columns TV, Radio, "
            "Newspaper, Sales); --dataset regression uses generated data."
        )
    return data.load_advertising(csv)


def _pad_to_32(X):
    pad = (32 - X.shape[-1]) // 2
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad > 0 else X


def prepare(config: dict) -> dict:
    """Load, subset, split and normalise the data a run config names (fit on training only)."""
    X, y, Xt, yt = _raw_splits(
        config["dataset"], config.get("data_root"), config.get("csv"), config["seed"]
    )
    if config["model"] == "vgg":
        if X.ndim != 4:
            raise ValueError(f"train: vgg needs images, not the {config['dataset']} table.")
        X, Xt = _pad_to_32(X), _pad_to_32(Xt)
    if config.get("subset"):
        X, y = X[: config["subset"]], y[: config["subset"]]
    Xv = yv = None
    if config.get("val_fraction") and len(X) >= 20:
        X, y, Xv, yv = data.train_val_split(X, y, config["val_fraction"], seed=config["seed"])
    norm = data.Normalizer(config["normalize"]).fit(X)
    out = {
        "X": norm.transform(X),
        "y": y,
        "X_test": norm.transform(Xt),
        "y_test": yt,
        "normalizer": norm.state_dict(),
    }
    if Xv is not None:
        out.update(X_val=norm.transform(Xv), y_val=yv)
    return out


# --- models and optimizers -------------------------------------------------------------------


def _check_task(name: str, dataset: str, classes) -> None:
    """Refuse a model that cannot fit the dataset's task (binary, multi-class, regression)."""
    if classes is None and name != "linear":
        raise ValueError(
            f"train: --dataset {dataset} has real-valued targets (regression); --model {name} "
            "is a classifier. Use --model linear."
        )
    if name == "logistic" and classes != 2:
        raise ValueError(
            f"train: --model logistic is a binary classifier, --dataset {dataset} has {classes} "
            "classes. Use --model softmax or mlp (or a two-class dataset: iris2, xor)."
        )


def model_spec(config: dict, X: np.ndarray, classes=None) -> dict:
    """The model's class name and keyword arguments (saved so `evaluate` can rebuild it)."""
    name, features = config["model"], int(np.prod(X.shape[1:]))
    _check_task(name, config["dataset"], classes)
    classes = classes or 1
    channels = X.shape[1] if X.ndim == 4 else 1
    common = {"init": config["init"]}
    specs = {
        "linear": ("LinearRegression", {"in_features": features}),
        "logistic": ("LogisticRegression", {"in_features": features}),
        "softmax": ("SoftmaxRegression", {"in_features": features, "num_classes": classes}),
        "mlp": (
            "MLP",
            {
                "sizes": [features, *config["hidden"], classes],
                "activation": config["activation"],
                "batchnorm": config["batchnorm"],
                "dropout": config["dropout"],
                **common,
            },
        ),
        "cnn": (
            "FashionCNN",
            {
                "in_channels": channels,
                "num_classes": classes,
                "activation": config["activation"],
                "batchnorm": config["batchnorm"],
                **common,
            },
        ),
        "vgg": ("VGG", {"in_channels": channels, "num_classes": classes, **common}),
        "resnet": ("ResNet", {"in_channels": channels, "num_classes": classes, **common}),
    }
    if name in ("cnn", "vgg", "resnet") and X.ndim != 4:
        raise ValueError(
            f"train: --model {name} needs image data, --dataset "
            f"{config['dataset']} is a table. Use mlp or softmax."
        )
    cls, kwargs = specs[name]
    return {"class": cls, "kwargs": kwargs}


def build_model(spec: dict):
    """A fresh model from model_spec's record."""
    return getattr(models, spec["class"])(**spec["kwargs"])


def loss_for(model_name: str):
    """Cross-entropy for classifiers, BCE-with-logits for logistic, MSE for linear regression."""
    if model_name == "linear":
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if model_name == "logistic" else nn.CrossEntropyLoss()


def make_optimizer(config: dict, params):
    """The optimizer a config names, with its learning rate and weight decay."""
    params, opt = list(params), config["optimizer"]
    lr, wd = config["lr"], config["weight_decay"]
    if opt == "sgd":
        return nn.optim.SGD(params, lr=lr, momentum=config["momentum"], weight_decay=wd)
    return OPTIMIZERS[opt](params, lr=lr, weight_decay=wd)


def make_scheduler(config: dict, optimizer):
    """The per-epoch learning-rate schedule a config names, or None."""
    name, sched = config["scheduler"], nn.optim.lr_scheduler
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, config["epochs"] // 3), gamma=0.1)
    if name == "exp":
        return sched.ExponentialLR(optimizer, gamma=0.9)
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=config["epochs"])
    return None


# --- the commands ----------------------------------------------------------------------------

CONFIG_KEYS = (
    "model",
    "dataset",
    "data_root",
    "csv",
    "epochs",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "scheduler",
    "init",
    "activation",
    "hidden",
    "batchnorm",
    "dropout",
    "normalize",
    "batch_size",
    "val_fraction",
    "subset",
    "clip_grad_norm",
    "early_stopping",
    "seed",
)


def run_training(config: dict, out, progress: bool = True, resume: bool = False) -> dict:
    """Train what config describes into folder out; returns history and test metrics."""
    out = Path(out)
    ad.manual_seed(config["seed"])
    check_config(config)
    if config["dataset"] not in CLASSES:
        raise ValueError(f"train: unknown dataset {config['dataset']!r}. Use one of {DATASETS}.")
    d = prepare(config)
    spec = model_spec(config, d["X"], CLASSES[config["dataset"]])
    model = build_model(spec)
    optimizer = make_optimizer(config, model.parameters())
    bs, seed = config["batch_size"], config["seed"]
    train = data.DataLoader(d["X"], d["y"], batch_size=bs, shuffle=True, seed=seed)
    val = data.DataLoader(d["X_val"], d["y_val"], batch_size=1000) if "X_val" in d else None
    out.mkdir(parents=True, exist_ok=True)
    record = {"config": config, "model": spec, "normalizer": d["normalizer"]}
    write_atomic(out / "config.json", json.dumps(record, indent=1))
    began = time.perf_counter()
    history = fit(
        model,
        train,
        val,
        epochs=config["epochs"],
        optimizer=optimizer,
        loss_fn=loss_for(config["model"]),
        scheduler=make_scheduler(config, optimizer),
        clip_grad_norm=config.get("clip_grad_norm"),
        early_stopping=config.get("early_stopping"),
        checkpoint_dir=out,
        resume=resume,
        progress=progress,
    )
    seconds = time.perf_counter() - began
    test = data.DataLoader(d["X_test"], d["y_test"], batch_size=1000)
    test_loss, test_acc = evaluate(model, test, loss_for(config["model"]))
    result = {"test_loss": test_loss, "test_acc": test_acc, "train_seconds": seconds}
    write_atomic(out / "history.json", json.dumps({**history, **result}, indent=1))
    save_plots(history, out, model)
    return {"history": history, "model": model, **result}


def train_command(args) -> int:
    """autodiff train: train, then print the test metrics and where the files are."""
    config = {key: getattr(args, key) for key in CONFIG_KEYS}
    threads = set_threads(args.threads)
    if threads is not None and not args.quiet:
        print(f"BLAS threads: {threads}")
    try:
        with notes("train"):
            result = run_training(config, args.out, progress=not args.quiet, resume=args.resume)
    except KeyboardInterrupt:
        print(_interrupted(Path(args.out)), file=sys.stderr)
        return 130
    print(_metrics_line("test", result["test_loss"], result["test_acc"]))
    print(
        f"trained in {result['train_seconds']:.1f}s; checkpoint, history.json and plots in "
        f"{Path(args.out).resolve()}"
    )
    return 0


def _interrupted(out: Path) -> str:
    """What Ctrl-C left: the last complete checkpoint (fit writes one per epoch) or none."""
    if not checkpoint_exists(out):
        return "autodiff train: interrupted before the first epoch ended; no checkpoint written."
    epoch = read_checkpoint(out)["epoch"]
    return (
        f"autodiff train: interrupted; the checkpoint of epoch {epoch} is kept in "
        f"{out.resolve()} (continue with the same options and --resume)."
    )


def _metrics_line(split: str, loss: float, acc: float) -> str:
    line = f"{split} loss {loss:.4f}"
    return line if math.isnan(acc) else f"{line}  {split} accuracy {acc:.4f} ({acc:.2%})"


def load_run(folder):
    """(model, record) for a run folder: the model rebuilt and its checkpoint loaded (the
    checkpoint's own record under record["checkpoint"])."""
    folder = Path(folder)
    folder = folder.parent if folder.name == "checkpoint.json" else folder
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"evaluate: {config_path} not found. Give a folder written by "
            "`autodiff train --out FOLDER`."
        )
    try:
        record = json.loads(config_path.read_text())
    except ValueError as e:  # JSONDecodeError, or bytes that are not UTF-8
        raise ValueError(f"evaluate: {config_path} is not valid JSON ({e}).") from None
    _check_record(record, config_path)
    model = build_model(record["model"])
    record["checkpoint"] = load_checkpoint(folder, model)
    return model, record


def _check_record(record, path) -> None:
    """A config.json as `autodiff train` writes it, else a ValueError naming what is wrong."""

    def wrong(what):
        return ValueError(
            f"evaluate: {path} {what}; it is not a config.json written by `autodiff train` "
            "(or was edited). Train the run again."
        )

    if not isinstance(record, dict):
        raise wrong("holds no JSON object")
    for key, kind in (("config", dict), ("model", dict), ("normalizer", dict)):
        if not isinstance(record.get(key), kind):
            raise wrong(f"lacks the {key!r} record")
    config, spec = record["config"], record["model"]
    for key, allowed in (("dataset", DATASETS), ("model", MODELS)):
        if config.get(key) not in allowed:
            raise wrong(f"names {key} {config.get(key)!r}, not one of {allowed}")
    if "seed" not in config:
        raise wrong("lacks config.seed")
    if spec.get("class") not in models.__all__ or not isinstance(spec.get("kwargs"), dict):
        raise wrong(f"names an unknown model class {spec.get('class')!r}")


@contextlib.contextmanager
def notes(command: str):
    """Inside, a CheckpointWarning (the previous checkpoint used) is one line on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", CheckpointWarning)
        show = warnings.showwarning

        def note(message, category, *args, **kwargs):
            if not issubclass(category, CheckpointWarning):
                return show(message, category, *args, **kwargs)
            print(f"autodiff {command}: note: {message}", file=sys.stderr, flush=True)

        warnings.showwarning = note  # catch_warnings puts the original back
        yield


def evaluate_command(args) -> int:
    """autodiff evaluate: loss and accuracy of a saved run on its test split."""
    with notes("evaluate"):
        model, record = load_run(args.checkpoint)
    config = dict(record["config"])
    if args.data_root:
        config["data_root"] = args.data_root
    X, y, Xt, yt = _raw_splits(
        config["dataset"], config.get("data_root"), config.get("csv"), config["seed"]
    )
    X, y = (X, y) if args.split == "train" else (Xt, yt)
    if config["model"] == "vgg":
        X = _pad_to_32(X)
    norm = data.Normalizer().load_state_dict(record["normalizer"])
    loader = data.DataLoader(norm.transform(X), y, batch_size=args.batch_size)
    loss, acc = evaluate(model, loader, loss_for(config["model"]))
    epoch = record["checkpoint"]["epoch"]
    print(
        f"{record['model']['class']} after {epoch} epochs on {config['dataset']} "
        f"({args.split}, {len(y)} samples)"
    )
    print(_metrics_line(args.split, loss, acc))
    return 0


# --- plots and the demo ----------------------------------------------------------------------


def save_plots(history: dict, out, model=None) -> list:
    """curves.png and gradient_flow.png in out, drawn by viz (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install matplotlib)")
        return []
    from viz import diagnostics

    out = Path(out)
    written = [out / "curves.png", out / "gradient_flow.png"]
    diagnostics.plot_training_curves(history, path=written[0])
    flow = history["grad_norms"]
    diagnostics.plot_gradient_flow(flow, path=written[1], xlabel="epoch", model=model)
    plt.close("all")
    return written


def demo_config(quick: bool = False) -> dict:
    """The demo's run: MLP 784-256-128-10, ReLU, He, Adam, z-score on Fashion-MNIST."""
    config = dict.fromkeys(CONFIG_KEYS)
    config.update(
        model="mlp",
        dataset="fashion-mnist",
        epochs=1 if quick else 2,
        optimizer="adam",
        lr=1e-3,
        momentum=0.0,
        weight_decay=0.0,
        scheduler="none",
        init="he",
        activation="relu",
        hidden=[256, 128],
        batchnorm=False,
        dropout=0.0,
        normalize="zscore",
        batch_size=128,
        val_fraction=0.1,
        subset=10000 if quick else None,
        seed=0,
    )
    return config


def demo(out_dir, quick: bool = False) -> dict:
    """Train the demo MLP on real Fashion-MNIST; writes checkpoint, history and plots."""
    out = Path(out_dir) / "mlp-fashion-mnist"
    config = demo_config(quick)
    if data.find_fashion_mnist() is None:
        print(
            "Fashion-MNIST not found (set $AUTODIFF_DATA or install dataset-fashion-mnist); "
            "the demo trains on the three-ring donut data instead."
        )
        config.update(dataset="donut", hidden=[32, 32], epochs=30, batch_size=32)
    print(
        f"training MLP {config['hidden']} on {config['dataset']} "
        f"({config['epochs']} epochs{', subset 10000' if config['subset'] else ''})"
    )
    result = run_training(config, out, progress=False)
    print(_metrics_line("test", result["test_loss"], result["test_acc"]))
    print(f"training took {result['train_seconds']:.1f}s; files in {out}")
    return result
