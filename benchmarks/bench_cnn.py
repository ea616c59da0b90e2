"""CNN training step (issue 4): ours (nn modules), a hand-written NumPy im2col/col2im, PyTorch.

The net: conv 1→8 3×3 pad 1, ReLU, maxpool 2, conv 8→16 3×3 pad 1, ReLU, maxpool 2, flatten,
linear 784→10, softmax cross-entropy, SGD; batch 64, float32, 1×28×28 input. All three start
from the same weights and data. Time is the minimum over repeats (the machine is shared);
peak memory is tracemalloc's peak during one step (NumPy arrays report their buffers to it).

    python benchmarks/bench_cnn.py [repeats]
"""

import sys
import tracemalloc

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autodiff as ad
import nn

try:
    from common import best_each_ms, optional, print_table, row, training_step
except ImportError:  # imported as benchmarks.bench_cnn
    from .common import best_each_ms, optional, print_table, row, training_step

torch = optional("torch")
BATCH, LR = 64, 0.01


def _setup(seed=0):
    """Data and initial weights (torch's default init ranges), as float32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, BATCH)

    def uniform(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    params = [
        uniform((8, 1, 3, 3), 9),
        uniform(8, 9),
        uniform((16, 8, 3, 3), 72),
        uniform(16, 72),
        uniform((10, 784), 784),
        uniform(10, 784),
    ]
    return x, labels, params


# --- ours: nn modules, nn.CrossEntropyLoss, nn.optim.SGD ---------------------------------


def ours_step(x, labels, params):
    """A closure running one training step with our nn modules."""
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(784, 10),
    )
    for p, value in zip(model.parameters(), params):
        with ad.no_grad():
            p.copy_(value)
    loss_fn, opt = nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=LR)
    inputs, target = ad.tensor(x), ad.tensor(labels)
    return training_step(model, loss_fn, opt, inputs, target), model


# --- hand-written NumPy: the straightforward im2col / col2im step ---------------------------


def _conv_forward(x, w, b):
    """3×3 pad-1 convolution: windows → (N·H·W, C·9) columns, one matmul."""
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = sliding_window_view(xp, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, -1)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def _conv_backward(grad, cols, w, x_shape, need_input=True):
    n, c, h, wd = x_shape
    g = grad.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
    dw, db = (g.T @ cols).reshape(w.shape), g.sum(0)
    if not need_input:
        return None, dw, db
    dcols = (g @ w.reshape(w.shape[0], -1)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2), dtype=grad.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i : i + h, j : j + wd] += dcols[..., i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dw, db


def _pool_forward(x):
    """2×2 max pool: arg-max over each window's 4 values."""
    n, c, h, w = x.shape
    win = (
        x.reshape(n, c, h // 2, 2, w // 2, 2)
        .transpose(0, 1, 2, 4, 3, 5)
        .reshape(n, c, h // 2, w // 2, 4)
    )
    idx = win.argmax(-1)[..., None]
    return np.take_along_axis(win, idx, -1)[..., 0], idx


def _pool_backward(grad, idx):
    n, c, oh, ow = grad.shape
    dwin = np.zeros((n, c, oh, ow, 4), dtype=grad.dtype)
    np.put_along_axis(dwin, idx, grad[..., None], -1)
    return (
        dwin.reshape(n, c, oh, ow, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * oh, 2 * ow)
    )


def numpy_step(x, labels, params):
    """A closure running one training step in plain NumPy (same math, hand-derived backward)."""
    w1, b1, w2, b2, w3, b3 = params = [p.copy() for p in params]
    onehot = np.eye(10, dtype=np.float32)[labels]

    def step():
        z1, cols1 = _conv_forward(x, w1, b1)
        a1 = np.maximum(z1, 0)
        p1, idx1 = _pool_forward(a1)
        z2, cols2 = _conv_forward(p1, w2, b2)
        a2 = np.maximum(z2, 0)
        p2, idx2 = _pool_forward(a2)
        flat = p2.reshape(BATCH, -1)
        logits = flat @ w3.T + b3
        shifted = logits - logits.max(1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        loss = -(logp * onehot).sum() / BATCH
        g = (np.exp(logp) - onehot) / BATCH
        dw3, db3 = g.T @ flat, g.sum(0)
        g = _pool_backward((g @ w3).reshape(p2.shape), idx2) * (z2 > 0)
        g, dw2, db2 = _conv_backward(g, cols2, w2, p1.shape)
        g = _pool_backward(g, idx1) * (z1 > 0)
        _, dw1, db1 = _conv_backward(g, cols1, w1, x.shape, need_input=False)
        for p, d in zip(params, (dw1, db1, dw2, db2, dw3, db3)):
            p -= LR * d
        return float(loss)

    return step, params


# --- PyTorch on the CPU -------------------------------------------------------------------


def torch_step(x, labels, params):
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(784, 10),
    )
    with torch.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(value))
    loss_fn, opt = tnn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR)
    inputs, target = torch.from_numpy(x), torch.from_numpy(labels)
    return training_step(model, loss_fn, opt, inputs, target), model


def peak_mb(step) -> float:
    """tracemalloc's peak over one step (after a warm-up step), in MB."""
    step()
    tracemalloc.start()
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(repeats: int = 20) -> list:
    """Time one training step of each implementation; check they agree on the losses."""
    x, labels, params = _setup()
    ours, _ = ours_step(x, labels, params)
    reference, _ = numpy_step(x, labels, params)
    losses = [(ours(), reference()) for _ in range(3)]
    if not np.allclose(*zip(*losses), rtol=1e-4):
        raise RuntimeError(f"bench_cnn: ours and the NumPy reference disagree: {losses}")
    pytorch = torch_step(x, labels, params)[0] if torch else None
    times = best_each_ms([ours, reference, pytorch], repeats)
    return [
        row(
            "CNN step conv8-pool-conv16-pool-linear, batch 64, f32",
            *times,
            ours_peak_mb=peak_mb(ours),
            numpy_peak_mb=peak_mb(reference),
        )
    ]


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    print_table(result)
    r = result[0]
    if r["torch_ms"]:
        print(
            f"ours / torch = {r['ours_ms'] / r['torch_ms']:.2f}x, numpy / torch = "
            f"{r['numpy_ms'] / r['torch_ms']:.2f}x, ours / numpy peak memory = "
            f"{r['ours_peak_mb'] / r['numpy_peak_mb']:.2f}x"
        )
