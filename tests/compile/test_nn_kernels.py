"""The nn kernels under ad.compile: for every subset of inputs that require grad (frozen
weights, a frozen input), the traced call and its replays equal eager bitwise, output and
every gradient. The trace runs backward formulas on Tensors where it records them op by op,
eager on arrays: the two must add in the same order."""

import itertools
import sys

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
import nn.torch_functions as T

source = sys.modules["autodiff.compile.source"]

ad.manual_seed(0)
_LSTM = nn.LSTM(3, 4)  # made once: parameters made inside fn are refused


def _lstm(x):
    return _LSTM(x)[0]


# name -> (function of tensors, input shapes)
KERNELS = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv2d_strided_groups": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2, groups=2),
        [(2, 4, 7, 7), (6, 2, 3, 3), (6,)],
    ),
    "conv2d_many_taps": (lambda x, w, b: F.conv2d(x, w, b), [(2, 16, 5, 5), (8, 16, 3, 3), (8,)]),
    "conv1d": (F.conv1d, [(2, 3, 9), (4, 3, 3), (4,)]),
    "conv_transpose2d": (
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2),
        [(2, 3, 4, 4), (3, 5, 3, 3), (5,)],
    ),
    "linear": (F.linear, [(5, 4), (3, 4), (3,)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(2, 3, 6, 6)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1), [(2, 3, 6, 6)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, 3), [(2, 3, 7, 7)]),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(4, 3, 5, 5), (3,), (3,)],
    ),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (6,), w, b), [(4, 5, 6), (6,), (6,)]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [(4, 4, 5), (4,), (4,)]),
    "scaled_dot_product_attention": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        [(2, 4, 5, 8)] * 3,
    ),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(4, 5)]),
    "interpolate_bilinear": (
        lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
        [(2, 3, 4, 4)],
    ),
    "cross_entropy_smoothing": (
        lambda x: F.cross_entropy(x, ad.tensor([0, 2, 1, 1]), label_smoothing=0.1),
        [(4, 3)],
    ),
    "lstm": (_lstm, [(5, 2, 3)]),
    "torch.gru": (  # torch's whole-sequence function over flat weights
        lambda x, w_ih, w_hh: T.gru(
            x, ad.zeros(1, 2, 4), [w_ih, w_hh], False, 1, 0.0, True, False, False
        )[0],
        [(5, 2, 3), (12, 3), (12, 4)],
    ),
    "torch.embedding_bag": (
        lambda w: T.embedding_bag(w, ad.tensor([0, 4, 2, 2]), ad.tensor([0, 1]), False, 1)[0],
        [(5, 3)],
    ),
    "grid_sample": (
        lambda x, g: F.grid_sample(x, g.tanh(), padding_mode="reflection", align_corners=False),
        [(2, 3, 4, 5), (2, 3, 2, 2)],
    ),
    "grid_sample_bicubic": (
        lambda x, g: F.grid_sample(x, g.tanh() * 1.3, "bicubic", "reflection", align_corners=True),
        [(2, 3, 4, 5), (2, 3, 2, 2)],
    ),
    "interpolate_antialias": (
        lambda x: F.interpolate(x, size=(3, 7), mode="bicubic", antialias=True),
        [(2, 3, 7, 5)],
    ),
    "affine_grid": (lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=True), [(2, 2, 3)]),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 3, 2, 1, count_include_pad=False), [(2, 2, 4, 5, 5)]),
    "conv3d": (
        lambda x, w, b: F.conv3d(x, w, b, padding=1, groups=2),
        [(2, 4, 3, 4, 3), (4, 2, 2, 2, 2), (4,)],
    ),
    "max_pool3d": (lambda x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True), [(2, 2, 4, 5, 5)]),
    "adaptive_avg_pool3d": (lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)), [(2, 2, 4, 5, 5)]),
    "channel_shuffle": (lambda x: F.channel_shuffle(x, 2), [(2, 4, 3)]),
    "multilabel_margin_loss": (
        lambda x: F.multilabel_margin_loss(x, ad.tensor([[2, 0, -1], [1, -1, 0]])),
        [(2, 3)],
    ),
}


def _cases():
    for name, (_, shapes) in KERNELS.items():
        for frozen in itertools.product([False, True], repeat=len(shapes)):
            if not all(frozen):
                yield pytest.param(
                    name, frozen, id=f"{name}-{''.join('f' if f else 'g' for f in frozen)}"
                )


@pytest.mark.parametrize("long", [False, True], ids=["steps", "source"])
@pytest.mark.parametrize(("name", "frozen"), list(_cases()))
def test_compiled_kernel_equals_eager(name, frozen, long, monkeypatch):
    monkeypatch.setattr(source, "LONG", 0 if long else source.LONG)  # both runners
    fn, shapes = KERNELS[name]
    rng = np.random.default_rng(0)
    values = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(2)]

    def step(*ts):
        out = fn(*ts)
        out.backward(ad.ones_like(out) * 0.5 + out.detach())
        return out.detach()

    def run(f, arrays):
        _LSTM.zero_grad()  # its parameters' .grad None on every call, as traced
        ts = [ad.tensor(a, requires_grad=not off) for a, off in zip(arrays, frozen)]
        out = f(*ts)
        return [out.detach().numpy()] + [t.grad.detach().numpy() for t in ts if t.requires_grad]

    compiled = ad.compile(step)
    for arrays in (values[0], values[0], values[1]):  # trace, replay, replay on new values
        for got, want in zip(run(compiled, arrays), run(step, arrays)):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    assert compiled.traces == 1
