"""The benchmarks' second implementations, checked: a baseline that computed something else, or
a floor that missed some of the work, would make its ratio meaningless."""

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_cnn_epoch  # noqa: E402
import bench_speed  # noqa: E402


def test_micrograd_demo_by_hand_equals_ours():
    """The demo written out on 0-d arrays (bench_speed's NumPy column) computes the same loss
    and the same gradient for every weight as ours."""
    _, steps = bench_speed.scalar_mlp()
    loss, grads = steps["numpy"]()
    ours = steps["eager"]()
    closure = dict(zip(steps["eager"].__code__.co_freevars, steps["eager"].__closure__))
    params = closure["flat"].cell_contents
    by_hand = [g for W in grads for neuron in W for g in neuron]
    assert len(by_hand) == len(params) == 337
    assert float(loss) == ours.item()
    np.testing.assert_allclose(
        [float(g) for g in by_hand], [p.grad.item() for p in params], rtol=1e-12, atol=1e-13
    )


def test_products_alone_are_every_product_of_the_step():
    """recorded_products sees all the GEMM work of the seeds' CNN step: its FLOPs are those of
    every convolution's forward, weight-gradient and input-gradient products (the first
    layer's input needs no gradient), at the shapes the step ran."""
    step = bench_cnn_epoch.ours()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    calls = bench_cnn_epoch.recorded_products(step, x, y)
    recorded = sum(_flops(a[0], b[0]) for a, b, _ in calls)
    # (N·OH·OW, C·KH·KW, O) per convolution of FashionCNN 32-64-128 on 28x28 inputs
    layers = [(28 * 28, 1 * 9, 32), (14 * 14, 32 * 9, 64), (7 * 7, 64 * 9, 128)]
    layers += [(1, 128 * 9, 128), (1, 128, 10)]
    passes = [2] + [3] * (len(layers) - 1)
    expected = sum(p * 2 * 16 * m * k * o for p, (m, k, o) in zip(passes, layers))
    assert recorded == expected
    for a, b, out in calls:  # replayable: every layout is one our arrays can take
        for layout in (a, b) + ((out,) if out else ()):
            assert min(layout[1]) >= 0


def _flops(a: tuple, b: tuple) -> int:
    """2·m·k·n per matrix of a (..., m, k) @ (..., k, n) product (a batch broadcasts)."""
    batch = np.broadcast_shapes(a[:-2], b[:-2])
    return 2 * math.prod(batch) * a[-2] * a[-1] * b[-1]
