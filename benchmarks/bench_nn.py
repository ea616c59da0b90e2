"""MLP training step (issue 3): ours (nn modules), a hand-written NumPy step, PyTorch on the CPU.

The net: 784-256-128-10 with ReLU, softmax cross-entropy, batch 128, float32. All three start
from the same weights and data. The SGD row times a whole step; the Adam row times a whole step
with Adam and reports the optimizer's share (the time of opt.step() alone over the step).
Times are the minimum over repeats after a warm-up, each implementation in its own block.

    python benchmarks/bench_nn.py [repeats]
"""

import sys
import time

import numpy as np

import autodiff as ad
import nn

try:
    from common import best_each_ms, best_ms, optional, print_table, row, training_step
except ImportError:  # imported as benchmarks.bench_nn
    from .common import best_each_ms, best_ms, optional, print_table, row, training_step

torch = optional("torch")
BATCH, SIZES, LR = 128, (784, 256, 128, 10), 0.01


def _setup(seed=0):
    """Data and initial weights (torch's default init ranges), as float32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return x, labels, params


def _ours_model(params):
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    for p, value in zip(model.parameters(), params):
        with ad.no_grad():
            p.copy_(value)
    return model


def ours_step(x, labels, params, optimizer="SGD"):
    """A closure running one training step with nn.Linear, nn.ReLU, nn.CrossEntropyLoss."""
    model = _ours_model(params)
    loss_fn = nn.CrossEntropyLoss()
    opt = (
        nn.optim.SGD(model.parameters(), lr=LR)
        if optimizer == "SGD"
        else nn.optim.Adam(model.parameters(), lr=1e-3)
    )
    inputs, target = ad.tensor(x), ad.tensor(labels)
    return training_step(model, loss_fn, opt, inputs, target), model, opt


def numpy_step(x, labels, params):
    """One training step in plain NumPy: forward, hand-derived backward, SGD."""
    w1, b1, w2, b2, w3, b3 = params = [p.copy() for p in params]
    onehot = np.eye(10, dtype=np.float32)[labels]

    def step():
        z1 = x @ w1.T + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2.T + b2
        a2 = np.maximum(z2, 0)
        logits = a2 @ w3.T + b3
        shifted = logits - logits.max(1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        loss = -(logp * onehot).sum() / BATCH
        g3 = (np.exp(logp) - onehot) / BATCH
        g2 = (g3 @ w3) * (z2 > 0)
        g1 = (g2 @ w2) * (z1 > 0)
        grads = (g1.T @ x, g1.sum(0), g2.T @ a1, g2.sum(0), g3.T @ a2, g3.sum(0))
        for p, d in zip(params, grads):
            p -= LR * d
        return float(loss)

    return step, params


def torch_step(x, labels, params, optimizer="SGD"):
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10)
    )
    with torch.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(value))
    loss_fn = tnn.CrossEntropyLoss()
    opt = (
        torch.optim.SGD(model.parameters(), lr=LR)
        if optimizer == "SGD"
        else torch.optim.Adam(model.parameters(), lr=1e-3)
    )
    inputs, target = torch.from_numpy(x), torch.from_numpy(labels)
    return training_step(model, loss_fn, opt, inputs, target)


def _adam_share(x, labels, params, repeats: int) -> tuple:
    """(best step ms, best opt.step() ms) of our Adam training step."""
    step, _, opt = ours_step(x, labels, params, "Adam")
    step()
    best_step = best_opt = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best_step = min(best_step, (time.perf_counter() - start) * 1e3)
        # the gradients are still there: time one more update on its own
        best_opt = min(best_opt, best_ms(opt.step, 1, warmup=0))
    return best_step, best_opt


def run(repeats: int = 20) -> list:
    """Time one training step of each implementation; check they agree on the losses first."""
    x, labels, params = _setup()
    ours = ours_step(x, labels, params)[0]
    reference = numpy_step(x, labels, params)[0]
    losses = [(ours(), reference()) for _ in range(3)]
    if not np.allclose(*zip(*losses), rtol=1e-4):
        raise RuntimeError(f"bench_nn: ours and the NumPy reference disagree: {losses}")
    ours, reference = ours_step(x, labels, params)[0], numpy_step(x, labels, params)[0]
    pytorch = torch_step(x, labels, params) if torch else None
    sgd = best_each_ms([ours, reference, pytorch], repeats)
    adam_ours = ours_step(x, labels, params, "Adam")[0]
    adam_torch = torch_step(x, labels, params, "Adam") if torch else None
    adam = best_each_ms([adam_ours, None, adam_torch], repeats)
    step_ms, opt_ms = _adam_share(x, labels, params, repeats)
    return [
        row("MLP step 784-256-128-10 SGD, batch 128, f32", *sgd),
        row(
            "MLP step 784-256-128-10 Adam, batch 128, f32",
            *adam,
            adam_update_ms=opt_ms,
            adam_share_pct=100 * opt_ms / step_ms,
        ),
    ]


if __name__ == "__main__":
    print_table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
