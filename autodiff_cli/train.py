"""`autodiff train`, `autodiff evaluate` and the training part of `autodiff demo`: the command
line, the run config's checks, the run folder. What is trained comes from recipes.py, the
pictures from plots.py."""

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
from autodiff.files import write_atomic
from nn import data, models
from nn.checkpoint import CheckpointWarning, checkpoint_exists, load_checkpoint, read_checkpoint
from nn.train import evaluate, fit, set_threads

from . import options
from .plots import save_plots
from .recipes import (
    CLASSES,
    DATASETS,
    MODELS,
    OPTIMIZERS,
    SCHEDULERS,
    build_model,
    loss_for,
    make_optimizer,
    make_scheduler,
    model_spec,
    pad_to_32,
    prepare,
    raw_splits,
)

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
    X, y, Xt, yt = raw_splits(
        config["dataset"], config.get("data_root"), config.get("csv"), config["seed"]
    )
    X, y = (X, y) if args.split == "train" else (Xt, yt)
    if config["model"] == "vgg":
        X = pad_to_32(X)
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


# --- the demo ------------------------------------------------------------------------------


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
