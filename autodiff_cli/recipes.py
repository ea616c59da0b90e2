"""What `autodiff train` trains, by name: the datasets (loaded, split and normalised), the
models, the optimizers and the learning-rate schedules."""

import inspect

import numpy as np

import nn
from nn import data, models

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
# the loss itself, which an epoch of mini-batches does not do, and Muon, which takes only 2-D
# parameters (every model here has biases)
OPTIMIZERS = {
    name.lower(): getattr(nn.optim, name)
    for name in nn.optim.__all__
    if isinstance(getattr(nn.optim, name), type)
    and issubclass(getattr(nn.optim, name), nn.optim.Optimizer)
    and name not in ("Optimizer", "LBFGS", "Muon")
}


SCHEDULERS = ("none", "step", "exp", "cosine")


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


def raw_splits(dataset: str, root=None, csv=None, seed: int = 0) -> tuple:
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


def pad_to_32(X):
    pad = (32 - X.shape[-1]) // 2
    return np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad > 0 else X


def prepare(config: dict) -> dict:
    """Load, subset, split and normalise the data a run config names (fit on training only)."""
    X, y, Xt, yt = raw_splits(
        config["dataset"], config.get("data_root"), config.get("csv"), config["seed"]
    )
    if config["model"] == "vgg":
        if X.ndim != 4:
            raise ValueError(f"train: vgg needs images, not the {config['dataset']} table.")
        X, Xt = pad_to_32(X), pad_to_32(Xt)
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
    """The optimizer a config names, with its learning rate, SGD's momentum, and the weight
    decay where the optimizer has one."""
    cls, options = OPTIMIZERS[config["optimizer"]], {"lr": config["lr"]}
    if cls is nn.optim.SGD:
        options["momentum"] = config["momentum"]
    if "weight_decay" in inspect.signature(cls).parameters:
        options["weight_decay"] = config["weight_decay"]
    elif config["weight_decay"]:
        raise ValueError(
            f"--weight-decay: the {config['optimizer']} optimizer has no weight decay; leave "
            "--weight-decay at 0 or choose another optimizer."
        )
    return cls(list(params), **options)


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
