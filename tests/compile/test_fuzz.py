"""The differential fuzzer: hypothesis builds small training programs and changes between
calls; every compiled call must equal the eager one bitwise, or be refused by a CompileError.

A program: an MLP or a small CNN (dropout, BatchNorm), a loss (class indices of several
integer dtypes, class probabilities, regression, logits), an optimizer and maybe a scheduler,
maybe gradient clipping, gradient accumulation, and its data passed positionally, in a list,
in a dict, by keyword or read from globals. Between calls: new batches, train/eval, a frozen
or unfrozen parameter, a replaced parameter or buffer, a changed module attribute, a changed
global or closure value, reseeding, another thread running eagerly. `make fuzz` runs the long
profile; the suite runs a bounded one.
"""

import contextlib
import os
import sys
import threading
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twins import Twins

import autodiff as ad
import nn

source_module = sys.modules["autodiff.compile.source"]

OUTCOMES = Counter()  # traced / replayed / refused over the session, for the report
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or 100  # ~5 s; make fuzz runs 2000

ACTIVATIONS = ["nn.Tanh()", "nn.ReLU()", "nn.Sigmoid()", "nn.GELU()", "nn.LeakyReLU(0.1)"]
ACTIVATIONS += ["nn.ReLU(inplace=True)", "nn.ELU(inplace=True)"]  # replayed as two steps
OPTIMIZERS = [
    "nn.optim.SGD(params, lr=0.05)",
    "nn.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True)",
    "nn.optim.Adam(params, lr=0.01)",
    "nn.optim.AdamW(params, lr=0.01, weight_decay=0.1)",
    "nn.optim.RMSprop(params, lr=0.01)",
    "nn.optim.Rprop(params, lr=0.01)",
    "nn.optim.ASGD(params, lr=0.01, t0=2)",
    "nn.optim.Adafactor(params, lr=0.01)",
]
SCHEDULERS = [None, "nn.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)"]
SCHEDULERS += ["nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)"]
LOSSES = ["index", "index32", "uint8", "probability", "mse", "logits", "smoothing"]
PASSING = ["positional", "list", "dict", "keyword", "globals"]
CHANGES = ["batch", "eval", "train", "freeze", "unfreeze", "replace_param", "replace_buffer"]
CHANGES += ["dropout_p", "momentum", "scale", "closure", "thread", "zero_grad"]


@st.composite
def programs(draw):
    return {
        "cnn": draw(st.booleans()),
        "act": draw(st.sampled_from(ACTIVATIONS)),
        "dropout": draw(st.sampled_from([0.0, 0.3])),
        "batchnorm": draw(st.booleans()),
        "loss": draw(st.sampled_from(LOSSES)),
        "opt": draw(st.sampled_from(OPTIMIZERS)),
        "sched": draw(st.sampled_from(SCHEDULERS)),
        "clip": draw(st.sampled_from([None, 0.5, float("inf")])),
        "accumulate": draw(st.booleans()),
        "passing": draw(st.sampled_from(PASSING)),
        "changes": draw(st.lists(st.sampled_from(CHANGES), min_size=3, max_size=7)),
        "seed": draw(st.integers(0, 2**16)),
        # a long program runs through the loop instead of its generated source: the two
        # runners of the same steps, told apart by their threshold
        "interpreted": draw(st.booleans()),
    }


def build(p):
    def world():
        ad.manual_seed(p["seed"])
        if p["cnn"]:
            layers = [nn.Conv2d(1, 3, 3, padding=1)]
            layers += [nn.BatchNorm2d(3)] if p["batchnorm"] else []
            layers += [eval(p["act"]), nn.MaxPool2d(2), nn.Conv2d(3, 3, 3, padding=1)]
            layers += [nn.Flatten(), nn.Dropout(p["dropout"])]  # two convolutions: one's input grad
            layers += [nn.Linear(3 * 3 * 3, 3)]
        else:
            layers = [nn.Linear(4, 6)]
            layers += [nn.BatchNorm1d(6)] if p["batchnorm"] else []
            layers += [eval(p["act"]), nn.Dropout(p["dropout"]), nn.Linear(6, 3)]
        model = nn.Sequential(*layers)
        params = model.parameters()  # noqa: F841 (the optimizer's source names it)
        opt = eval(p["opt"])
        sched = eval(p["sched"]) if p["sched"] else None
        x, y = batch(p, p["seed"])
        return {"model": model, "opt": opt, "sched": sched, "X": x, "Y": y, "SCALE": 1.0}

    return world


def batch(p, seed):
    rng = np.random.default_rng(seed)
    shape = (5, 1, 6, 6) if p["cnn"] else (5, 4)
    x = ad.tensor(rng.standard_normal(shape).astype(np.float32))
    loss = p["loss"]
    if loss in ("probability", "mse", "logits"):
        y = rng.random((5, 3)).astype(np.float32)
        y = y / y.sum(1, keepdims=True) if loss == "probability" else y
    else:
        dtype = {"index32": np.int32, "uint8": np.uint8}.get(loss, np.int64)
        y = rng.integers(0, 3, 5).astype(dtype)
    return x, ad.tensor(y)


LOSS_LINES = {
    "mse": "F.mse_loss(out, y)",
    "logits": "F.binary_cross_entropy_with_logits(out, y)",
    "smoothing": "F.cross_entropy(out, y, label_smoothing=0.1)",
}


def source(p) -> str:
    loss = LOSS_LINES.get(p["loss"], "F.cross_entropy(out, y)")
    head = {
        "positional": "def step(x, y):",
        "list": "def step(data):\n    x, y = data",
        "dict": "def step(data):\n    x, y = data['x'], data['y']",
        "keyword": "def step(*, x, y):",
        "globals": "def step():\n    x, y = X, Y",
    }[p["passing"]]
    zero = "" if p["accumulate"] else "    opt.zero_grad()\n"
    clip = (
        f"    norm = nn.utils.clip_grad_norm_(model.parameters(), {p['clip']!r})\n"
        if p["clip"]
        else "    norm = None\n"
    )
    sched = "    if sched is not None:\n        sched.step()\n"
    return (
        "def make():\n"
        "    settings = {'shift': 0.0}\n"
        f"{_indent(head)}\n"
        f"{_indent(zero)}"
        "        out = model(x) * SCALE + settings['shift']\n"
        f"        loss = {loss}\n"
        "        loss.backward()\n"
        f"{_indent(clip)}"
        "        opt.step()\n"
        f"{_indent(sched)}"
        "        return loss, norm, out.argmax(1)\n"
        "    return step, settings\n"
        "step, settings = make()\n"
    )


def _indent(text: str) -> str:
    return "".join("    " + line + "\n" for line in text.splitlines())


def arguments(p, world):
    x, y = world["X"], world["Y"]
    passing = p["passing"]
    if passing == "positional":
        return (x, y), {}
    if passing == "list":
        return ([x, y],), {}
    if passing == "dict":
        return ({"x": x, "y": y},), {}
    if passing == "keyword":
        return (), {"x": x, "y": y}
    return (), {}


def change(p, world, what: str, k: int):
    model = world["model"]
    linear = model[0] if not p["cnn"] else model[len(model) - 1]
    if what == "batch":
        world["X"], world["Y"] = batch(p, p["seed"] + 1000 + k)
    elif what == "eval":
        model.eval()
    elif what == "train":
        model.train()
    elif what == "freeze":
        linear.weight.requires_grad_(False)
    elif what == "unfreeze":
        linear.weight.requires_grad_(True)
    elif what == "replace_param":
        linear.bias = nn.Parameter(ad.ones(*linear.bias.shape) * 0.1)
    elif what == "replace_buffer" and p["batchnorm"]:
        model[1].running_var = ad.ones(*model[1].running_var.shape) * 2.0
    elif what == "dropout_p":
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.5 if m.p != 0.5 else 0.1
    elif what == "momentum" and p["batchnorm"]:
        model[1].momentum = 0.5
    elif what == "scale":
        world["SCALE"] = world["SCALE"] * 0.5
    elif what == "closure":
        world["settings"]["shift"] += 0.25
    elif what == "zero_grad":
        model.zero_grad()


class Busy:
    """Another thread running eager ops on its own tensors while a call runs."""

    def __enter__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.work)
        self.thread.start()
        return self

    def work(self):
        a = ad.tensor(np.ones(8), requires_grad=True)
        while not self.stop.is_set():
            (a * 2.0).tanh().sum().backward()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        return False


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(p=programs())
# found by the fuzzer: a frozen weight's stale .grad, then zero_grad outside; clip_grad_norm_
# skips a None .grad, so every leaf's .grad being None or not is part of the guard
@example(
    p={
        **{"cnn": False, "act": "nn.Tanh()", "dropout": 0.0, "batchnorm": False},
        **{"loss": "index", "opt": "nn.optim.SGD(params, lr=0.05)", "sched": None},
        **{"clip": 0.5, "accumulate": True, "passing": "positional", "seed": 0},
        **{"changes": ["freeze", "zero_grad", "batch"], "interpreted": False},
    }
)
def test_compiled_equals_eager_or_refuses(p):
    with _runner(p["interpreted"]):
        _run(p)


@contextlib.contextmanager
def _runner(interpreted: bool):
    saved = source_module.LONG
    source_module.LONG = 0 if interpreted else saved
    try:
        yield
    finally:
        source_module.LONG = saved


def _run(p):
    twins = Twins(build(p), source(p))
    calls = ["batch"] + p["changes"]
    for k, what in enumerate(calls):
        twins.change(lambda w, what=what, k=k: change(p, w, what, k))
        args = arguments(p, twins.worlds[0])
        pairs = [arguments(p, w) for w in twins.worlds]
        per_world = [lambda w, i=i: arguments(p, w)[0][i] for i in range(len(args[0]))]
        keywords = {key: (lambda w, key=key: arguments(p, w)[1][key]) for key in pairs[0][1]}
        if what == "thread":
            with Busy():
                twins.call(*per_world, **keywords)
        else:
            twins.call(*per_world, **keywords)
    OUTCOMES.update(twins.outcomes)
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "a") as report:
            report.write(" ".join(twins.outcomes) + "\n")
