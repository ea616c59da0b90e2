"""Issue 14's table: each workload as users write it, side by side.

Columns: NumPy by hand, PyTorch CPU, micrograd, ours eager, ours compiled (`ad.compile`).
Each column runs in a process of its own that holds only its own library: importing torch
adds about 145,000 objects that every full collection of the cyclic collector rescans (84 ms
each here), so in one shared process the scalar rows' collections paid for a library they do
not use (ours and micrograd's alike), and by chance (20-30 % between runs). The columns still
take turns, one burst each per round. Times are medians over rounds; the machine may be
shared, so compare the ratios of one run. torch and our BLAS both run on one thread (each
column's process gets OPENBLAS_NUM_THREADS=1).

    python benchmarks/bench_speed.py [--cpu] [workload ...]
"""

import argparse
import gc
import math
import platform
import statistics
import sys
import time

import numpy as np

import autodiff as ad
import nn

try:
    from bench_cnn import _setup as cnn_setup
    from bench_cnn import numpy_step as cnn_numpy
    from bench_cnn import ours_step as cnn_ours
    from bench_cnn import torch_step as cnn_torch
    from common import ColumnProcess, optional, write_into_readme
except ImportError:  # imported as benchmarks.bench_speed
    from .bench_cnn import _setup as cnn_setup
    from .bench_cnn import numpy_step as cnn_numpy
    from .bench_cnn import ours_step as cnn_ours
    from .bench_cnn import torch_step as cnn_torch
    from .common import ColumnProcess, optional, write_into_readme

torch = optional("torch")
if torch:  # one thread each, as our BLAS in a shared machine: spinning OpenMP threads collapse
    torch.set_num_threads(1)
micrograd = optional("micrograd.engine")
COLUMNS = ("numpy", "torch", "micrograd", "eager", "compiled")


TIMER = {"clock": time.perf_counter}  # --cpu: time.process_time, steadier on a shared machine


def _compiled(step):
    """ad.compile(step) where this branch has it, else None (the column shows –)."""
    return ad.compile(step) if hasattr(ad, "compile") else None


# --- micrograd's demo: weights are tensors, inputs and constants Python floats -------------


def _moons(n=50):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    return X.tolist(), y.tolist()


def _micrograd_tanh(v):
    """tanh as one micrograd node (PyPI's micrograd 0.1.0 has relu only), as in its lecture."""
    t = math.tanh(v.data)
    out = micrograd.Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def scalar_mlp():
    """2-16-16-1 tanh MLP over 50 samples, summed squared error, forward + backward."""
    X, Y = _moons()
    rng = np.random.default_rng(2)
    sizes = [2, 16, 16, 1]
    init = [rng.uniform(-1, 1, (o, i + 1)).tolist() for i, o in zip(sizes, sizes[1:])]

    def build(make):
        return [[[make(w) for w in neuron] for neuron in W] for W in init]

    def loss_of(params, tanh):
        loss = 0.0
        for xi, yi in zip(X, Y):
            h = xi
            for layer, W in enumerate(params):
                h = [sum((w * v for w, v in zip(neuron[:-1], h)), neuron[-1]) for neuron in W]
                if layer < len(params) - 1:
                    h = [tanh(v) for v in h]
            err = h[0] - yi
            loss = loss + err * err
        return loss

    ours_params = build(lambda w: ad.tensor(w, dtype=ad.float64, requires_grad=True))
    flat = [p for W in ours_params for n in W for p in n]

    def eager():
        for p in flat:
            p.grad = None
        loss = loss_of(ours_params, ad.tanh)
        loss.backward()
        return loss

    arrays = build(np.array)  # a tensor's value is a NumPy array: 0-d here

    def numpy():  # by hand on those 0-d arrays: the NumPy calls any such engine makes
        grads = [[[None] * len(neuron) for neuron in W] for W in arrays]
        loss = 0.0
        for xi, yi in zip(X, Y):
            inputs, h = [], xi
            for layer, W in enumerate(arrays):
                inputs.append(h)
                h = [_dot(neuron, h) for neuron in W]
                if layer < len(arrays) - 1:
                    h = [np.tanh(v) for v in h]
            err = np.subtract(h[0], yi)
            loss = np.add(loss, np.multiply(err, err))
            g = [np.add(np.multiply(err, 1.0), np.multiply(err, 1.0))]  # d(err·err), as autograd
            for layer in reversed(range(len(arrays))):
                g = _dot_backward(g, arrays[layer], inputs[layer], grads[layer], layer > 0)
                if layer > 0:  # through the tanh that made this layer's inputs
                    g = [np.multiply(gi, np.subtract(1.0, np.multiply(t, t)))
                         for gi, t in zip(g, inputs[layer])]  # fmt: skip
        return loss, grads

    steps = {"eager": eager, "numpy": numpy, "compiled": _compiled(eager)}
    if torch:
        t_params = build(lambda w: torch.tensor(w, dtype=torch.float64, requires_grad=True))
        t_flat = [p for W in t_params for n in W for p in n]

        def pytorch():
            for p in t_flat:
                p.grad = None
            loss_of(t_params, torch.tanh).backward()

        steps["torch"] = pytorch
    if micrograd:
        m_params = build(micrograd.Value)
        m_flat = [p for W in m_params for n in W for p in n]

        def micro():
            for p in m_flat:
                p.grad = 0.0
            loss_of(m_params, _micrograd_tanh).backward()

        steps["micrograd"] = micro
    return "micrograd's demo MLP 2-16-16-1 tanh, 50 samples, float inputs, fwd+bwd", steps


def _dot(neuron, h):
    """bias + Σ w·v over one neuron's 0-d weights, one np.multiply and np.add per term."""
    total = neuron[-1]
    for w, v in zip(neuron[:-1], h):
        total = np.add(total, np.multiply(w, v))
    return total


def _dot_backward(g, W, h, grads, inputs_need_grad):
    """_dot's backward for a layer: each weight's gradient accumulated into grads (None until
    its first term), and the gradients of the inputs h when they need them."""
    g_h = [None] * len(h)
    for gi, neuron, g_neuron in zip(g, W, grads):
        for k, (w, v) in enumerate(zip(neuron[:-1], h)):
            g_neuron[k] = _accumulate(g_neuron[k], np.multiply(gi, v))
            if inputs_need_grad:
                g_h[k] = _accumulate(g_h[k], np.multiply(gi, w))
        g_neuron[-1] = _accumulate(g_neuron[-1], gi)
    return g_h


def _accumulate(total, value):
    return value if total is None else np.add(total, value)


# --- the 100k chain with Python-float operands --------------------------------------------


def chain(n=100_000):
    """y = y*1.0001 + 0.0001, n times from one float64 scalar leaf, then backward."""
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)

    def eager():
        x.grad = None
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        y.backward()
        return y

    def numpy():
        y, trace = 1.0, []
        for _ in range(n):
            trace.append(y)
            y = y * 1.0001 + 0.0001
        g = 1.0
        for _ in trace:
            g = g * 1.0001

    steps = {"eager": eager, "numpy": numpy, "compiled": _compiled(eager)}
    if torch:
        tx = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)

        def pytorch():
            tx.grad = None
            y = tx
            for _ in range(n):
                y = y * 1.0001 + 0.0001
            y.backward()

        steps["torch"] = pytorch
    if micrograd:

        def micro():  # micrograd's topological sort recurses: deep graphs fail
            y = micrograd.Value(1.0)
            for _ in range(n):
                y = y * 1.0001 + 0.0001
            y.backward()

        steps["micrograd"] = micro
    return f"chain y = y*1.0001 + 0.0001, {n:,} times, fwd+bwd (float operands)", steps


# --- small ops ----------------------------------------------------------------------------


def small_ops():
    """1000 × (a*b + a).sum().backward() on (10,) float32: per-op overhead."""
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal(10).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    a, b = ad.tensor(a0, requires_grad=True), ad.tensor(b0, requires_grad=True)

    def once():
        (a * b + a).sum().backward()

    compiled = _compiled(once)

    def eager():
        a.grad = b.grad = None
        for _ in range(1000):
            once()

    def replayed():
        a.grad = b.grad = None
        for _ in range(1000):
            compiled()

    def numpy():
        ga, gb = np.zeros(10, np.float32), np.zeros(10, np.float32)
        for _ in range(1000):
            _ = np.sum(a0 * b0 + a0)
            g = np.ones(10, np.float32)
            ga += g * b0 + g
            gb += g * a0

    steps = {"eager": eager, "numpy": numpy, "compiled": replayed if compiled else None}
    if torch:
        ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)

        def pytorch():
            ta.grad = tb.grad = None
            for _ in range(1000):
                (ta * tb + ta).sum().backward()

        steps["torch"] = pytorch
    if micrograd:
        ma = [micrograd.Value(float(v)) for v in a0]
        mb = [micrograd.Value(float(v)) for v in b0]

        def micro():
            for _ in range(1000):
                sum(x * y + x for x, y in zip(ma, mb)).backward()

        steps["micrograd"] = micro
    return "1000 × (a*b + a).sum().backward(), shape (10,) f32", steps


# --- MLP and CNN training steps with nn modules and nn.optim.SGD --------------------------


def mlp_step():
    """One SGD step of 784-256-128-10 ReLU, softmax cross-entropy, batch 128, float32."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    onehot = np.eye(10, dtype=np.float32)[labels]
    sizes = [784, 256, 128, 10]
    init = [
        (
            rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.float32(np.sqrt(i)),
            np.zeros(o, np.float32),
        )
        for i, o in zip(sizes, sizes[1:])
    ]
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())
    model.append(nn.Linear(128, 10))
    with ad.no_grad():
        for p, v in zip(model.parameters(), [a for pair in init for a in pair]):
            p.copy_(v)
    loss_fn, opt = nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.01)
    x, target = ad.from_numpy(X), ad.from_numpy(labels)

    def eager():
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        return loss

    params = [(W.copy(), b.copy()) for W, b in init]

    def numpy():
        acts, h = [X], X
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < 2:
                h = np.maximum(h, 0)
            acts.append(h)
        z = h - h.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / 128
        for i in range(2, -1, -1):
            W, b = params[i]
            gW, gb = g.T @ acts[i], g.sum(0)
            if i:
                g = (g @ W) * (acts[i] > 0)
            W -= 0.01 * gW
            b -= 0.01 * gb

    steps = {"eager": eager, "numpy": numpy, "compiled": _compiled(eager)}
    if torch:
        tnn = torch.nn
        tmodel = tnn.Sequential(
            tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10)
        )
        with torch.no_grad():
            for p, v in zip(tmodel.parameters(), [a for pair in init for a in pair]):
                p.copy_(torch.from_numpy(v))
        tloss, topt = tnn.CrossEntropyLoss(), torch.optim.SGD(tmodel.parameters(), lr=0.01)
        tx, tt = torch.from_numpy(X), torch.from_numpy(labels)

        def pytorch():
            topt.zero_grad()
            tloss(tmodel(tx), tt).backward()
            topt.step()

        steps["torch"] = pytorch
    return "MLP 784-256-128-10 SGD step, batch 128, f32 (nn modules)", steps


def cnn_step():
    """conv8-pool-conv16-pool-linear SGD step, batch 64 (benchmarks/bench_cnn.py's net)."""
    x, labels, params = cnn_setup()
    step, model = cnn_ours(x, labels, params)
    opt = nn.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    inputs, target = ad.from_numpy(x), ad.from_numpy(labels)

    def eager():
        opt.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        opt.step()
        return loss

    steps = {"eager": eager, "numpy": cnn_numpy(x, labels, params)[0]}
    steps["compiled"] = _compiled(eager)
    if torch:
        steps["torch"] = cnn_torch(x, labels, params)[0]
    return "CNN conv8-pool-conv16-pool-linear SGD step, batch 64, f32", steps


def matmul():
    """(A @ B).sum() forward + backward, 1024×1024 float32."""
    rng = np.random.default_rng(4)
    A0 = rng.standard_normal((1024, 1024)).astype(np.float32)
    B0 = rng.standard_normal((1024, 1024)).astype(np.float32)
    A, B = ad.tensor(A0, requires_grad=True), ad.tensor(B0, requires_grad=True)

    def eager():
        A.grad = B.grad = None
        (A @ B).sum().backward()

    def numpy():
        _ = (A0 @ B0).sum()
        g = np.ones((1024, 1024), np.float32)
        _ = g @ B0.T
        _ = A0.T @ g

    steps = {"eager": eager, "numpy": numpy, "compiled": _compiled(eager)}
    if torch:
        tA, tB = torch.tensor(A0, requires_grad=True), torch.tensor(B0, requires_grad=True)

        def pytorch():
            tA.grad = tB.grad = None
            (tA @ tB).sum().backward()

        steps["torch"] = pytorch
    return "(A @ B).sum() fwd+bwd, 1024×1024 f32", steps


def _citation_graph(nodes=2708, features=1433, classes=7, cites=5429):
    """A Cora-sized graph: binary features whose frequencies fall off as in a text corpus (the
    most common held by about two thirds of the nodes), each row scaled to sum 1; citations
    at random, self-loops added, the adjacency normalised as D^-1/2 (A + I) D^-1/2."""
    rng = np.random.default_rng(5)
    frequency = 0.66 * np.arange(1, features + 1) ** -0.75
    x = (rng.random((nodes, features)) < frequency).astype(np.float32)
    x /= np.maximum(x.sum(1, keepdims=True), 1)
    edges = rng.integers(0, nodes, (2, cites))
    a = np.eye(nodes, dtype=np.float32)
    np.add.at(a, tuple(edges), 1.0)
    scale = 1 / np.sqrt(a.sum(1))
    a = scale[:, None] * a * scale[None, :]
    return x, a, rng.integers(0, classes, nodes), rng.choice(nodes, 140, replace=False)


def gcn_epoch():
    """pytorch/examples' gcn on a Cora-sized graph: a two-layer GCN on sparse features and a
    sparse adjacency (torch.mm, torch.spmm), dropout, NLL on 140 labelled nodes, Adam with
    weight decay: one training epoch."""
    x0, a0, labels0, train0 = _citation_graph()

    def build(t, tnn, F, optim):  # t: torch or autodiff; tnn, F, optim: its nn modules
        t.manual_seed(0)
        x, adj = t.from_numpy(x0).to_sparse(), t.from_numpy(a0).to_sparse()
        labels, train = t.from_numpy(labels0), t.from_numpy(train0)
        weights = [tnn.Linear(1433, 16).weight.T, tnn.Linear(16, 7).weight.T]
        weights = [w.detach().clone().requires_grad_(True) for w in weights]
        opt = optim.Adam(weights, lr=0.01, weight_decay=5e-4)
        dropout = tnn.Dropout(0.5)

        def epoch():
            opt.zero_grad()
            h = F.relu(t.spmm(adj, t.mm(x, weights[0])))
            h = t.spmm(adj, t.mm(dropout(h), weights[1]))
            loss = F.nll_loss(F.log_softmax(h, 1)[train], labels[train])
            loss.backward()
            opt.step()
            return loss

        return epoch

    steps = {"eager": build(ad, nn, nn.functional, nn.optim), "compiled": None}  # sparse: refused
    if torch:
        steps["torch"] = build(torch, torch.nn, torch.nn.functional, torch.optim)
    return "pytorch/examples' gcn epoch, Cora-sized sparse graph, f32", steps


WORKLOADS = (mlp_step, cnn_step, scalar_mlp, chain, small_ops, matmul, gcn_epoch)
BURST = 3  # consecutive timed runs of one column within a round
# untimed runs first, for every column: ad.compile traces a loop's step up to twice (its
# .grad is None on the first call only), then replays; the table compares steady states
WARMUP = 3
REPEATS = {"chain": 6, "scalar_mlp": 9, "cnn_step": 15, "mlp_step": 30, "small_ops": 9}


def measure(workload, repeats=None) -> dict:
    """ms per run of every column for one workload (None where a peer is missing, "fails"
    where it cannot run it): the median over rounds of a burst of BURST consecutive runs,
    timed as a whole, each column in its own process (see the module's docstring).

    The columns take turns, one burst each per round, so a slow spell of a shared machine
    falls on all of them alike and their ratios stay comparable. Within a burst nothing is
    collected by hand and the burst is timed whole: the cyclic collector's passes, which
    come every few runs of a scalar graph (micrograd's closures make cycles; any large live
    graph is traversed), are paid by the column that caused them, as in a training loop. A
    median of single runs would leave them out."""
    n = repeats or REPEATS.get(workload.__name__, 7)
    result = {"peer": TARGET_PEER[workload.__name__]}
    columns = {c: _Column(workload.__name__, c) for c in COLUMNS}
    running = {}
    for column, process in columns.items():
        title, state = process.start()
        result["benchmark"] = title or result.get("benchmark", workload.__name__)
        result[column] = "fails" if state == "fails" else None
        if state == "ready":
            running[column] = process
    times = {c: [] for c in running}
    for _ in range(-(-n // BURST)):
        for column, process in running.items():
            times[column].append(process.burst())
    for process in columns.values():
        process.close()
    for column, runs in times.items():
        result[column] = statistics.median(runs) * 1e3
    return result


class _Column(ColumnProcess):
    """One column of one workload, timed in a process of its own (`--serve`)."""

    def __init__(self, workload: str, column: str):
        command = [sys.executable, __file__, "--serve", workload, column]
        command += ["--cpu"] if TIMER["clock"] is time.process_time else []
        # one BLAS thread each, as the table says: an idle column's OpenBLAS threads spin on
        # after its burst and would slow the next column's process
        super().__init__(command, column, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")

    def start(self) -> tuple:
        """(the workload's title, "ready", "missing" or "fails") once it is built and warm; a
        process that died first is "fails", without a title."""
        line = self.first_line()
        return (None, "fails") if line is None else tuple(line.split("\t"))

    def burst(self) -> float:
        return float(self.ask("burst"))


def serve(workload_name: str, column: str) -> None:
    """The column's process: build the workload, run it WARMUP times, then time one burst per
    line read."""
    workload = next(w for w in WORKLOADS if w.__name__ == workload_name)
    title, steps = workload()
    step = steps.get(column)
    state = "ready" if step is not None else "missing"
    if step is not None:
        try:
            for _ in range(WARMUP):
                step()
        except RecursionError:
            state = "fails"
    print(f"{title}\t{state}", flush=True)
    clock = TIMER["clock"]
    for _ in sys.stdin:
        gc.collect()  # each burst starts from a collected heap
        start = clock()
        for _ in range(BURST):
            step()
        print((clock() - start) / BURST, flush=True)


def _cell(v) -> str:
    if v is None or isinstance(v, str):
        return v or "–"
    return f"{v / 1e3:.2f} s" if v >= 1000 else f"{v:.1f} ms" if v >= 10 else f"{v:.2f} ms"


# the peer each workload's targets are stated against (issue 14)
TARGET_PEER = {
    "mlp_step": "numpy",
    "cnn_step": "torch",
    "scalar_mlp": "micrograd",
    "chain": "torch",
    "small_ops": "torch",
    "matmul": "numpy",
    "gcn_epoch": "torch",
}
PEER_NAMES = {"numpy": "NumPy", "torch": "torch", "micrograd": "micrograd"}


def _ratio(ours, peer, name) -> str:
    if not isinstance(ours, float) or not isinstance(peer, float):
        return "–"
    return f"{ours / peer:.2f}x {PEER_NAMES[name]}"


def table(rows) -> str:
    """Markdown: the five columns, then eager and compiled over the workload's target peer."""
    lines = [
        "| workload | NumPy by hand | torch CPU | micrograd | ours eager | ours compiled "
        "| eager / peer | compiled / peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        peer = r["peer"]
        cells = " | ".join(_cell(r[c]) for c in COLUMNS)
        lines.append(
            f"| {r['benchmark']} | {cells} | {_ratio(r['eager'], r[peer], peer)} | "
            f"{_ratio(r['compiled'], r[peer], peer)} |"
        )
    return "\n".join(lines)


def run(repeats=None) -> list:
    return [measure(w, repeats) for w in WORKLOADS]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU time of this process, not wall-clock time"
    )
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)  # one column's process
    args = parser.parse_args(argv)
    if args.cpu:
        TIMER["clock"] = time.process_time
    if args.serve:
        serve(*args.serve)
        return 0
    chosen = [w for w in WORKLOADS if not args.only or w.__name__ in args.only]
    text = table([measure(w) for w in chosen]) + "\n\n" + environment(args.cpu)
    print(text)
    if args.readme:
        write_into_readme("speed", text)
    return 0


def environment(cpu: bool = False) -> str:
    peers = [f"NumPy {np.__version__}"]
    peers += [f"PyTorch {torch.__version__} (1 thread)"] if torch else []
    peers += ["micrograd 0.1.0"] if micrograd else []
    return (
        f"Python {platform.python_version()}, {', '.join(peers)}; medians of "
        f"{'CPU' if cpu else 'wall-clock'} time, each column in a process of its own, "
        "OPENBLAS_NUM_THREADS=1, on a machine other jobs share (compare ratios, not times)."
    )


if __name__ == "__main__":
    sys.exit(main())
