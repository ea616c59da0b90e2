"""Engine benchmarks (issue 2), side by side with hand-written NumPy and PyTorch on the CPU."""

import sys

import numpy as np

import autodiff as ad

try:
    from common import best_ms, optional, print_table, row
except ImportError:  # imported as benchmarks.bench_engine
    from .common import best_ms, optional, print_table, row

torch = optional("torch")
micrograd = optional("micrograd.engine")


def small_ops(repeats):
    """1000 × (a*b + a).sum().backward() on (10,) float32: per-op overhead."""
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal(10).astype(np.float32), rng.standard_normal(10).astype(np.float32)

    def ours():
        a, b = ad.tensor(a0, requires_grad=True), ad.tensor(b0, requires_grad=True)
        for _ in range(1000):
            (a * b + a).sum().backward()

    def numpy():
        ga, gb = np.zeros(10, np.float32), np.zeros(10, np.float32)
        for _ in range(1000):
            _ = float(np.sum(a0 * b0 + a0))
            g = np.ones(10, np.float32)
            ga += g * b0 + g
            gb += g * a0

    def pytorch():
        a = torch.tensor(a0, requires_grad=True)
        b = torch.tensor(b0, requires_grad=True)
        for _ in range(1000):
            (a * b + a).sum().backward()

    return row(
        "1000 × (a*b+a).sum().backward(), (10,) f32",
        best_ms(ours, repeats),
        best_ms(numpy, repeats),
        best_ms(pytorch, repeats) if torch else None,
    )


def chain(n):
    """y = y*1.0001 + 0.0001, n times on a float64 scalar, then backward."""

    def ours():
        x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        y.backward()

    def numpy():
        y, trace = 1.0, []
        for _ in range(n):
            trace.append(y)
            y = y * 1.0001 + 0.0001
        g = 1.0
        for _ in trace:
            g = g * 1.0001

    def pytorch():
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        y.backward()

    return ours, numpy, pytorch


def chain_rows(repeats):
    ours, numpy, pytorch = chain(100_000)
    rows = [
        row(
            "chain of 100,000 scalar ops + backward",
            best_ms(ours, repeats, 0),
            best_ms(numpy, repeats, 0),
            best_ms(pytorch, repeats, 0) if torch else None,
        )
    ]
    big, _, _ = chain(1_000_000)
    rows.append(row("chain of 1,000,000 scalar ops + backward", best_ms(big, 1, 0)))
    return rows


def _moons(n=50):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    return X, y


def _micrograd_tanh(v):
    """tanh as one micrograd node, written as in micrograd's lecture version (PyPI 0.1.0 lacks it)."""
    t = float(np.tanh(v.data))
    out = micrograd.Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def scalar_mlp(repeats):
    """micrograd's demo net as scalar tensors: 2-16-16-1, tanh, 50 samples, summed squared error."""
    X, y = _moons()
    rng = np.random.default_rng(2)
    sizes = [2, 16, 16, 1]
    weights = [rng.uniform(-1, 1, (o, i + 1)) for i, o in zip(sizes, sizes[1:])]

    def forward_backward(make, tanh):
        params = [[[make(w) for w in row_] for row_ in W] for W in weights]
        loss = None
        for xi, yi in zip(X, y):
            h = [make(float(v)) for v in xi]
            for layer, W in enumerate(params):
                last = layer == len(params) - 1
                h = [sum((wi * hi for wi, hi in zip(neuron[:-1], h)), neuron[-1]) for neuron in W]
                h = h if last else [tanh(v) for v in h]
            err = (h[0] - float(yi)) * (h[0] - float(yi))
            loss = err if loss is None else loss + err
        loss.backward()

    def ours():
        forward_backward(lambda v: ad.tensor(v, dtype=ad.float64, requires_grad=True), ad.tanh)

    def pytorch():
        forward_backward(
            lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), torch.tanh
        )

    def micro():
        forward_backward(lambda v: micrograd.Value(v), _micrograd_tanh)

    return row(
        "micrograd demo MLP 2-16-16-1 as scalars, 50 samples",
        best_ms(ours, repeats),
        None,
        best_ms(pytorch, repeats) if torch else None,
        micrograd_ms=best_ms(micro, repeats) if micrograd else None,
    )


def mlp_step(repeats):
    """One SGD step of 784-256-128-10 (ReLU, softmax cross-entropy), batch 128, raw tensor ops."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    onehot = np.eye(10, dtype=np.float32)[labels]
    shapes = [(784, 256), (256, 128), (128, 10)]
    init = [
        (
            rng.standard_normal(s).astype(np.float32) * float(np.sqrt(2 / s[0])),
            np.zeros(s[1], np.float32),
        )
        for s in shapes
    ]
    params = [(ad.tensor(W, requires_grad=True), ad.tensor(b, requires_grad=True)) for W, b in init]
    x, target = ad.tensor(X), ad.tensor(onehot)

    def ours():
        h = x
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            h = h.relu() if i < 2 else h
        loss = -(h.log_softmax(1) * target).sum() / 128
        loss.backward()
        with ad.no_grad():
            for W, b in params:
                W.data -= 0.01 * W.grad.data
                b.data -= 0.01 * b.grad.data
                W.grad = b.grad = None

    np_params = [(W.copy(), b.copy()) for W, b in init]

    def numpy():
        acts, h = [X], X
        for i, (W, b) in enumerate(np_params):
            h = h @ W + b
            if i < 2:
                h = np.maximum(h, 0)
            acts.append(h)
        z = h - h.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / 128
        for i in range(2, -1, -1):
            W, b = np_params[i]
            gW, gb = acts[i].T @ g, g.sum(0)
            if i:
                g = (g @ W.T) * (acts[i] > 0)
            W -= 0.01 * gW
            b -= 0.01 * gb

    t_params = (
        [
            (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
            for W, b in init
        ]
        if torch
        else []
    )

    def pytorch():
        h = torch.from_numpy(X)
        for i, (W, b) in enumerate(t_params):
            h = h @ W + b
            h = h.relu() if i < 2 else h
        loss = torch.nn.functional.cross_entropy(h, torch.from_numpy(labels))
        loss.backward()
        with torch.no_grad():
            for W, b in t_params:
                W -= 0.01 * W.grad
                b -= 0.01 * b.grad
                W.grad = b.grad = None

    return row(
        "MLP 784-256-128-10 SGD step, batch 128, f32, raw ops",
        best_ms(ours, repeats),
        best_ms(numpy, repeats),
        best_ms(pytorch, repeats) if torch else None,
    )


def matmul_1024(repeats):
    """1024×1024 float32 matmul forward + backward."""
    rng = np.random.default_rng(4)
    A0 = rng.standard_normal((1024, 1024)).astype(np.float32)
    B0 = rng.standard_normal((1024, 1024)).astype(np.float32)
    G = rng.standard_normal((1024, 1024)).astype(np.float32)
    A, B = ad.tensor(A0, requires_grad=True), ad.tensor(B0, requires_grad=True)

    def ours():
        A.grad = B.grad = None
        (A @ B).backward(G)

    def numpy():
        _ = A0 @ B0
        _ = G @ B0.T
        _ = A0.T @ G

    tA = torch.tensor(A0, requires_grad=True) if torch else None
    tB = torch.tensor(B0, requires_grad=True) if torch else None
    tG = torch.tensor(G) if torch else None

    def pytorch():
        tA.grad = tB.grad = None
        (tA @ tB).backward(tG)

    return row(
        "1024×1024 matmul forward + backward, f32",
        best_ms(ours, repeats),
        best_ms(numpy, repeats),
        best_ms(pytorch, repeats) if torch else None,
    )


def run(repeats: int = 5) -> list:
    return [
        small_ops(repeats),
        *chain_rows(max(1, repeats // 2)),
        scalar_mlp(repeats),
        mlp_step(repeats * 4),
        matmul_1024(repeats),
    ]


if __name__ == "__main__":
    print_table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
