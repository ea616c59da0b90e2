"""Seeded draws give torch's numbers bit for bit: pinned values (no torch needed), then every
draw against torch 2.13 on the CPU for many seeds, both float types and sizes on both sides of
torch's thresholds (16 elements for normal_, 2**28 for randint's 64-bit words)."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import autodiff.random as random_module
import nn
import nn.functional as F
from nn import data

SEEDS = (0, 1, 42, 2147483647, 2**32 + 7, 2**64 - 1)
SIZES = (0, 1, 2, 3, 15, 16, 17, 31, 33, 270, 1000)  # normal_ switches algorithm at 16
DTYPES = ("float32", "float64")


def _torch():
    return pytest.importorskip("torch")


def _same(ours, theirs) -> None:
    """Bit-equal arrays (values, shape and dtype)."""
    a = ours.detach().numpy() if isinstance(ours, ad.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if not np.array_equal(a, b, equal_nan=True):
        where = np.flatnonzero(a.reshape(-1) != b.reshape(-1))[:5]
        pytest.fail(f"differ at {where}: ours {a.reshape(-1)[where]}, torch {b.reshape(-1)[where]}")


# --- pinned: the property holds without torch installed -----------------------------------


def test_pinned_values_are_torchs():
    ad.manual_seed(0)
    assert ad.rand(3).tolist() == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372]
    ad.manual_seed(0)
    assert ad.randn(3).tolist() == [1.5409960746765137, -0.293428897857666, -2.1787893772125244]
    assert ad.randn(16)[:3].tolist() == [
        -0.35612836480140686,
        0.4372227191925049,
        0.4913049638271332,
    ]
    ad.manual_seed(42)
    assert ad.randint(0, 10, (6,)).tolist() == [2, 7, 6, 4, 6, 5]
    assert ad.randperm(8).tolist() == [4, 6, 1, 2, 3, 0, 5, 7]
    ad.manual_seed(0)
    layer = nn.Linear(3, 2)
    assert layer.weight.tolist() == [
        [-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
        [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971],
    ]
    assert layer.bias.tolist() == [-0.011439144611358643, 0.45777493715286255]


def test_makemore_lecture_prints_its_numbers():
    """The numbers Karpathy's makemore lectures print, from the same calls."""
    g = ad.Generator().manual_seed(2147483647)
    p = ad.rand(3, generator=g)
    p = p / p.sum()
    assert [round(v, 4) for v in p.tolist()] == [0.6064, 0.3033, 0.0903]
    samples = ad.multinomial(p, num_samples=20, replacement=True, generator=g)
    assert samples.tolist() == [1, 1, 2, 0, 0, 2, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]
    g = ad.Generator().manual_seed(2147483647)
    C = ad.randn((27, 10), generator=g)
    assert C[0, :4].tolist() == [
        1.5673619508743286,
        -0.2372923195362091,
        -0.027384605258703232,
        -1.100779414176941,
    ]
    p = ad.softmax(C[:, 0], 0)
    assert ad.multinomial(p, num_samples=1, replacement=True, generator=g).item() == 22
    assert ad.multinomial(p, 5, replacement=True, generator=g).tolist() == [14, 5, 17, 20, 5]


def test_generators_are_independent_and_reseeding_repeats():
    g = ad.Generator().manual_seed(5)
    ad.manual_seed(5)
    first = ad.randn(20, generator=g)
    ad.rand(7)  # the default generator moves; g does not care
    assert ad.Generator().initial_seed() == 67280421310721  # torch's default
    assert g.initial_seed() == 5 and ad.initial_seed() == 5
    again = ad.randn(20, generator=g.manual_seed(5))
    np.testing.assert_array_equal(first.detach().numpy(), again.detach().numpy())
    assert ad.manual_seed(-1).initial_seed() == 2**64 - 1  # torch wraps negative seeds


def test_state_round_trips_with_the_cached_normal():
    ad.manual_seed(3)
    ad.randn(3)  # leaves the second value of a Box-Muller pair cached
    state = ad.get_rng_state()
    assert state.dtype == np.uint8 and state.shape == (5056,)
    expected = ad.randn(5).tolist() + ad.rand(4).tolist()
    ad.manual_seed(99)
    ad.set_rng_state(state)
    assert ad.randn(5).tolist() + ad.rand(4).tolist() == expected
    with ad.random.fork_rng():
        ad.randn(100)
    ad.set_rng_state(state)
    with ad.random.fork_rng():
        ad.rand(10)
    assert ad.randn(5).tolist() + ad.rand(4).tolist() == expected


def test_copies_and_pickles_keep_the_generator():
    g = ad.Generator().manual_seed(8)
    ad.randn(3, generator=g)  # a cached normal travels too
    for twin in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert type(twin) is ad.Generator and twin.initial_seed() == 8
        assert (
            ad.randn(5, generator=twin).tolist() == ad.randn(5, generator=copy.deepcopy(g)).tolist()
        )
    twin.set_state(g.get_state())
    assert ad.randn(5, generator=g).tolist() == ad.randn(5, generator=twin).tolist()


def test_bad_seeds_states_and_parameters_are_refused_clearly():
    with pytest.raises(ValueError, match=r"manual_seed: seed .* out of range"):
        ad.manual_seed(2**64)
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        ad.manual_seed("0")
    with pytest.raises(RuntimeError, match="set_state: expected a uint8 tensor of 5056 bytes"):
        ad.set_rng_state(ad.zeros(3))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        ad.set_rng_state(np.zeros(5056, np.uint8))
    x = ad.zeros(4)
    with pytest.raises(RuntimeError, match=r"uniform_ expects .* from=1 > to=0"):
        x.uniform_(1, 0)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        x.normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        x.bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
        x.exponential_(-1)
    with pytest.raises(RuntimeError, match="cauchy_ expects sigma > 0.0, but found sigma=0"):
        x.cauchy_(0, 0)
    with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0, but found std=-1"):
        x.log_normal_(0, -1)
    for p in (0, 1, 1.5):
        with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\)"):
            x.geometric_(p)
    for fill in ("uniform_", "normal_", "exponential_", "cauchy_", "log_normal_"):
        for dtype in (ad.int64, ad.uint8, ad.bool):  # torch refuses; ours filled truncations
            with pytest.raises(RuntimeError, match=f"{fill}: a continuous distribution .* {dtype}"):
                getattr(ad.zeros(2, dtype=dtype), fill)()
    assert ad.zeros(3, dtype=ad.int64).geometric_(0.5).dtype == ad.int64  # as torch's
    with pytest.raises(RuntimeError, match="without replacement"):
        ad.multinomial(ad.ones(2), 3)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        ad.multinomial(ad.zeros(2), 1)
    with pytest.raises(TypeError, match="rand: draws are floating point"):
        ad.rand(2, dtype=ad.int64)


def test_fills_are_ops_refused_on_leaves_and_zero_gradient_in_graphs():
    w = ad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.normal_()
    y = w * 2
    y.uniform_()
    assert y.grad_fn.name() == "UniformBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), np.zeros(3, np.float32))
    for fill, node in [("cauchy_", "CauchyBackward0"), ("log_normal_", "LogNormalBackward0")]:
        y = w * 2
        getattr(y, fill)()
        assert y.grad_fn.name() == node
    y = (w * 2).geometric_(0.3)
    assert y.grad_fn.name() == "GeometricBackward0"
    w.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), np.zeros(3, np.float32))
    p = ad.full((3,), 0.5, requires_grad=True)
    b = ad.bernoulli(p)
    assert b.grad_fn.name() == "BernoulliBackward0"
    b.sum().backward()
    np.testing.assert_array_equal(p.grad.detach().numpy(), np.zeros(3, np.float32))


# --- against torch ---------------------------------------------------------------------------


def _pair(seed):
    """(our generator, torch's), both seeded with seed."""
    torch = _torch()
    return ad.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dtype", DTYPES + ("float16",))
def test_rand_randn_and_fills_match_torch(dtype):
    torch = _torch()
    tdt = getattr(torch, dtype)
    for seed in SEEDS:
        g, tg = _pair(seed)
        for n in SIZES:
            _same(ad.rand(n, generator=g, dtype=dtype), torch.rand(n, generator=tg, dtype=tdt))
            _same(ad.randn(n, generator=g, dtype=dtype), torch.randn(n, generator=tg, dtype=tdt))
            ours = ad.empty(n, dtype=dtype)
            theirs = torch.empty(n, dtype=tdt)
            _same(ours.normal_(0.3, 1.7, generator=g), theirs.normal_(0.3, 1.7, generator=tg))
            _same(ours.uniform_(-0.3, 0.7, generator=g), theirs.uniform_(-0.3, 0.7, generator=tg))
            _same(ours.exponential_(1.5, generator=g), theirs.exponential_(1.5, generator=tg))
            _same(ours.cauchy_(0.3, 1.7, generator=g), theirs.cauchy_(0.3, 1.7, generator=tg))
            _same(ours.log_normal_(generator=g), theirs.log_normal_(generator=tg))
            _same(ours.geometric_(0.3, generator=g), theirs.geometric_(0.3, generator=tg))
            # a small p: log1p(-p), where log(1 - p) would move about 1 % of the draws
            _same(ours.geometric_(1e-7, generator=g), theirs.geometric_(1e-7, generator=tg))
            # a cached normal of the double pairs goes on in step: normal_ below 16 values,
            # then log_normal_
            _same(ours.normal_(generator=g), theirs.normal_(generator=tg))
            _same(
                ours.log_normal_(0.2, 0.5, generator=g), theirs.log_normal_(0.2, 0.5, generator=tg)
            )
        # a 2-D draw, then the stream goes on in step
        _same(
            ad.randn((27, 10), generator=g, dtype=dtype),
            torch.randn((27, 10), generator=tg, dtype=tdt),
        )
        _same(ad.rand(5, generator=g), torch.rand(5, generator=tg))


@given(
    seed=st.integers(0, 2**64 - 1),
    n=st.integers(0, 400),
    dtype=st.sampled_from(DTYPES),
    mean=st.floats(-3, 3),
    std=st.floats(0, 4),
)
def test_normal_matches_torch_for_any_seed_size_and_parameters(seed, n, dtype, mean, std):
    torch = _torch()
    g, tg = _pair(seed)
    theirs = torch.empty(n, dtype=getattr(torch, dtype)).normal_(mean, std, generator=tg)
    _same(ad.empty(n, dtype=dtype).normal_(mean, std, generator=g), theirs)
    low, high = sorted((mean, mean + std))
    theirs = torch.empty(n, dtype=getattr(torch, dtype)).uniform_(low, high, generator=tg)
    _same(ad.empty(n, dtype=dtype).uniform_(low, high, generator=g), theirs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_with_tensor_parameters_matches_torch(dtype):
    torch = _torch()
    mean = np.linspace(-1, 1, 20).astype(dtype)
    std = np.linspace(0.1, 2, 20).astype(dtype)
    g, tg = _pair(4)
    m, s, tm, ts = ad.tensor(mean), ad.tensor(std), torch.from_numpy(mean), torch.from_numpy(std)
    _same(ad.normal(m, s, generator=g), torch.normal(tm, ts, generator=tg))
    _same(ad.normal(m, 0.5, generator=g), torch.normal(tm, 0.5, generator=tg))
    _same(ad.normal(0.3, s, generator=g), torch.normal(0.3, ts, generator=tg))
    _same(ad.normal(m[:5], s[:5], generator=g), torch.normal(tm[:5], ts[:5], generator=tg))
    _same(ad.normal(0.3, 2.0, (5, 7), generator=g), torch.normal(0.3, 2.0, (5, 7), generator=tg))


def test_large_normal_and_uniform_match_torch():
    torch = _torch()
    g, tg = _pair(12345)
    _same(ad.randn(784, 256, generator=g), torch.randn(784, 256, generator=tg))
    n = 3 * random_module._CACHED_BLOCKS + 37  # chunks of the Box-Muller pass and a tail
    _same(ad.randn(n, generator=g), torch.randn(n, generator=tg))
    _same(
        ad.randn(n, generator=g, dtype="float16"), torch.randn(n, generator=tg, dtype=torch.float16)
    )
    _same(ad.rand(100003, generator=g), torch.rand(100003, generator=tg))
    _same(
        ad.randn(4099, generator=g, dtype="float64"),
        torch.randn(4099, generator=tg, dtype=torch.float64),
    )


def test_the_cached_normal_carries_across_calls_as_torch():
    torch = _torch()
    g, tg = _pair(7)
    for n in (3, 1, 1, 5, 20, 2, 7):  # odd small draws leave a value cached for the next
        _same(ad.randn(n, generator=g), torch.randn(n, generator=tg))
        _same(
            ad.randn(n, generator=g, dtype="float64"),
            torch.randn(n, generator=tg, dtype=torch.float64),
        )
    _same(g.get_state(), tg.get_state())


def test_non_contiguous_fills_match_torch():
    torch = _torch()
    g, tg = _pair(11)
    for method, args in (
        ("normal_", (0.0, 1.0)),
        ("uniform_", (-1.0, 1.0)),
        ("bernoulli_", (0.3,)),
    ):
        ours, theirs = ad.empty(6, 5).t(), torch.empty(6, 5).t()
        _same(
            getattr(ours, method)(*args, generator=g), getattr(theirs, method)(*args, generator=tg)
        )


@pytest.mark.parametrize(
    "low, high",
    [(0, 10), (-5, 5), (0, 2**28 - 1), (0, 2**28), (-(2**40), 2**40), (3, 4)],
)
def test_randint_and_random_match_torch_on_both_sides_of_the_64_bit_range(low, high):
    torch = _torch()
    for seed in SEEDS:
        g, tg = _pair(seed)
        for n in (1, 7, 100):
            _same(
                ad.randint(low, high, (n,), generator=g),
                torch.randint(low, high, (n,), generator=tg),
            )
        if high - low < 2**24:
            _same(
                ad.randint(low, high, (9,), generator=g, dtype=ad.float32),
                torch.randint(low, high, (9,), generator=tg, dtype=torch.float32),
            )
        _same(
            ad.empty(5, dtype=ad.int64).random_(low, high, generator=g),
            torch.empty(5, dtype=torch.int64).random_(low, high, generator=tg),
        )
    for name in ("int64", "int32", "int16", "uint8", "float32", "float64", "bool"):
        ours, theirs = ad.empty(40, dtype=name), torch.empty(40, dtype=getattr(torch, name))
        _same(ours.random_(generator=g), theirs.random_(generator=tg))
    _same(
        ad.empty(8, dtype=ad.int64).random_(17, generator=g),
        torch.empty(8, dtype=torch.int64).random_(17, generator=tg),
    )


def test_randperm_matches_torch():
    torch = _torch()
    for seed in SEEDS:
        g, tg = _pair(seed)
        for n in (0, 1, 2, 3, 10, 1000):
            _same(ad.randperm(n, generator=g), torch.randperm(n, generator=tg))


@pytest.mark.parametrize("dtype", DTYPES)
def test_multinomial_matches_torch(dtype):
    torch = _torch()
    for seed in SEEDS:
        g, tg = _pair(seed)
        probs = np.random.default_rng(seed % 2**32).random((4, 27)).astype(dtype)
        probs[:, 3] = 0  # a category that must never come out
        for rows in (probs[0], probs):
            for n, replacement in (
                (1, True),
                (1, False),
                (5, True),
                (5, False),
                (27, False),
                (40, True),
            ):
                ours = ad.multinomial(ad.tensor(rows), n, replacement, generator=g)
                theirs = torch.multinomial(torch.from_numpy(rows), n, replacement, generator=tg)
                if n == 27:  # the zero-probability category ties at the end: compare the rest
                    ours, theirs = ours[..., :26], theirs[..., :26]
                _same(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_matches_torch(dtype):
    torch = _torch()
    tdt = getattr(torch, dtype)
    for seed in SEEDS:
        g, tg = _pair(seed)
        p = np.random.default_rng(seed % 2**32).random((5, 7)).astype(dtype)
        _same(
            ad.bernoulli(ad.tensor(p), generator=g),
            torch.bernoulli(torch.from_numpy(p), generator=tg),
        )
        _same(
            ad.bernoulli(ad.tensor(p), 0.25, generator=g),
            torch.bernoulli(torch.from_numpy(p), 0.25, generator=tg),
        )
        _same(
            ad.empty(30, dtype=dtype).bernoulli_(0.6, generator=g),
            torch.empty(30, dtype=tdt).bernoulli_(0.6, generator=tg),
        )
        _same(
            ad.empty(5, 7).bernoulli_(ad.tensor(p), generator=g),
            torch.empty(5, 7).bernoulli_(torch.from_numpy(p), generator=tg),
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_masks_match_torch(dtype):
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((8, 33)).astype(dtype)
    for seed in SEEDS[:4]:
        for p in (0.1, 0.04, 0.5, 0.9, 1.0):  # 1/(1 - 0.04) rounds differently in float32
            torch.manual_seed(seed)
            theirs = torch.nn.functional.dropout(torch.from_numpy(x), p)
            theirs_module = torch.nn.Dropout(p)(torch.from_numpy(x))
            ad.manual_seed(seed)
            _same(F.dropout(ad.tensor(x), p), theirs)
            _same(nn.Dropout(p)(ad.tensor(x)), theirs_module)
            _same(ad.rand(3), torch.rand(3))


@pytest.mark.parametrize("name,shape", [("dropout1d", (4, 40, 3)), ("dropout2d", (2, 70, 5, 5)),
                                        ("dropout3d", (2, 33, 2, 2, 2))])  # fmt: skip
def test_channel_dropout_masks_match_torch(name, shape):
    """Whole channels dropped as torch drops them: one draw per (sample, channel)."""
    torch = _torch()
    x = np.random.default_rng(1).uniform(1, 2, shape).astype(np.float32)
    for seed in SEEDS[:3]:
        torch.manual_seed(seed)
        theirs = getattr(torch.nn.functional, name)(torch.from_numpy(x), 0.3)
        ad.manual_seed(seed)
        _same(getattr(F, name)(ad.tensor(x), 0.3), theirs)
        _same(ad.rand(3), torch.rand(3))  # the stream goes on where torch's does


def _untemper(word: int) -> int:
    """The mt19937 state word whose output is word (the tempering undone)."""
    word ^= word >> 18
    word ^= (word << 15) & 0xEFC60000
    t = word
    for _ in range(5):
        t = word ^ ((t << 7) & 0x9D2C5680)
    word, t = t & 0xFFFFFFFF, t & 0xFFFFFFFF
    for _ in range(3):
        t = word ^ (t >> 11)
    return t


def _emitting(words) -> ad.Generator:
    """A generator whose next 32-bit words are the given ones: draws that land exactly on a
    boundary, where < against <= or a rounding decides."""
    g = ad.Generator()
    key = g.bit_generator.state["state"]["key"].copy()
    key[624 - len(words) :] = [_untemper(w) for w in words]
    g._set_words(key, 624 - len(words))
    assert g.bit_generator.random_raw(len(words)).tolist() == list(words)
    g._set_words(key, 624 - len(words))
    return g


HALF = [2**20, 0]  # random64() = 2**52: the float64 unit draw 0.5 exactly
JUST_ABOVE_HALF = [2**20, 1]  # 0.5 + 2**-53


def test_exact_ties_are_broken_as_torch_breaks_them():
    """u == p is not a success; u == the cumulative value picks that category; a uniform draw
    that rounds up to its upper bound becomes the lower bound; two exponentials equal in float32
    tie, and the first category wins."""
    assert ad.empty(2, dtype=ad.float64).bernoulli_(
        0.5, generator=_emitting(HALF + HALF)
    ).tolist() == [0, 0]
    assert ad.multinomial(
        ad.tensor([0.5, 0.5]), 2, True, generator=_emitting(HALF + HALF)
    ).tolist() == [0, 0]
    assert ad.empty(1).uniform_(1.0, 1.0000001, generator=_emitting([0xFFFFFF])).item() == 1.0
    race = _emitting(JUST_ABOVE_HALF + HALF)
    assert ad.multinomial(ad.tensor([1.0, 1.0]), 1, generator=race).item() == 0
    torch = pytest.importorskip("torch")

    def torchs(words):
        tg = torch.Generator()
        tg.set_state(torch.from_numpy(_emitting(words).get_state().detach().numpy()))
        return tg

    theirs = torch.empty(2, dtype=torch.float64).bernoulli_(0.5, generator=torchs(HALF + HALF))
    assert theirs.tolist() == [0, 0]
    theirs = torch.multinomial(torch.tensor([0.5, 0.5]), 2, True, generator=torchs(HALF + HALF))
    assert theirs.tolist() == [0, 0]
    assert torch.empty(1).uniform_(1.0, 1.0000001, generator=torchs([0xFFFFFF])).item() == 1.0
    theirs = torch.multinomial(
        torch.tensor([1.0, 1.0]), 1, generator=torchs(JUST_ABOVE_HALF + HALF)
    )
    assert theirs.item() == 0


def _state(module) -> dict:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


LAYERS = {
    "linear": lambda m: m.Sequential(m.Linear(784, 256), m.ReLU(), m.Linear(256, 10)),
    "linear_no_bias": lambda m: m.Linear(20, 7, bias=False),
    "conv2d": lambda m: m.Conv2d(3, 6, 3, padding=1),
    "conv2d_groups": lambda m: m.Conv2d(4, 8, (3, 2), groups=2),
    "embedding": lambda m: m.Embedding(27, 10, padding_idx=2),
    "rnn": lambda m: m.RNN(4, 6, num_layers=2),
    "lstm": lambda m: m.LSTM(4, 6, num_layers=2, bidirectional=True),
    "gru": lambda m: m.GRU(4, 6),
    "cells": lambda m: m.ModuleList([m.RNNCell(4, 6), m.LSTMCell(4, 6), m.GRUCell(4, 6)]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_default_initialisation_matches_torch(name):
    torch = _torch()
    for seed in SEEDS[:3]:
        torch.manual_seed(seed)
        theirs = _state(LAYERS[name](torch.nn))
        ad.manual_seed(seed)
        ours = _state(LAYERS[name](nn))
        assert ours.keys() == theirs.keys()
        for key in ours:
            _same(ours[key], theirs[key])
        _same(ad.rand(2), torch.rand(2))  # and the stream goes on in step


@pytest.mark.parametrize(
    "fn, kwargs",
    [
        ("uniform_", {"a": -0.2, "b": 0.3}),
        ("normal_", {"mean": 0.1, "std": 0.02}),
        ("xavier_uniform_", {"gain": 1.5}),
        ("xavier_normal_", {}),
        ("kaiming_uniform_", {"a": 0.1, "mode": "fan_out"}),
        ("kaiming_normal_", {"nonlinearity": "relu"}),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_init_functions_match_torch(fn, kwargs, dtype):
    torch = _torch()
    for seed in SEEDS[:3]:
        g, tg = _pair(seed)
        for shape in ((3, 5), (64, 32, 3, 3)):
            theirs = getattr(torch.nn.init, fn)(
                torch.empty(shape, dtype=getattr(torch, dtype)), generator=tg, **kwargs
            )
            ours = getattr(nn.init, fn)(ad.empty(shape, dtype=dtype), generator=g, **kwargs)
            _same(ours, theirs)


def test_state_bytes_are_torchs_and_load_both_ways():
    torch = _torch()
    g, tg = _pair(2024)
    _same(g.get_state(), tg.get_state())
    ad.randn(5, generator=g), torch.randn(5, generator=tg)
    ad.rand(700, generator=g), torch.rand(700, generator=tg)  # past a regeneration of the state
    _same(g.get_state(), tg.get_state())
    mine = ad.Generator().set_state(tg.get_state().detach().numpy())
    _same(ad.randn(9, generator=mine), torch.randn(9, generator=tg))
    theirs = torch.Generator()
    theirs.set_state(torch.from_numpy(mine.get_state().detach().numpy()))
    _same(ad.randn(40, generator=mine), torch.randn(40, generator=theirs))


def test_data_loading_order_matches_torch():
    torch = _torch()
    X = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25)
    for seed in SEEDS[:3]:
        for shuffle in (False, True):
            for own in (False, True):
                torch.manual_seed(seed)
                tg = torch.Generator().manual_seed(seed + 1) if own else None
                tds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
                loader = torch.utils.data.DataLoader(
                    tds, batch_size=4, shuffle=shuffle, generator=tg
                )
                theirs = [[b[1].tolist() for b in loader] for _ in range(2)] + [
                    torch.randn(3).tolist()
                ]
                for arrays in (False, True):
                    ad.manual_seed(seed)
                    g = ad.Generator().manual_seed(seed + 1) if own else None
                    if arrays:
                        ours_loader = data.DataLoader(
                            X, y, batch_size=4, shuffle=shuffle, generator=g
                        )
                    else:
                        ds = data.TensorDataset(ad.tensor(X), ad.tensor(y))
                        ours_loader = data.DataLoader(
                            ds, batch_size=4, shuffle=shuffle, generator=g
                        )
                    ours = [[b[1].tolist() for b in ours_loader] for _ in range(2)] + [
                        ad.randn(3).tolist()
                    ]
                    assert ours == theirs, (seed, shuffle, own, arrays)


def test_samplers_and_random_split_match_torch():
    torch = _torch()
    tdata = torch.utils.data
    for seed in SEEDS[:3]:
        torch.manual_seed(seed)
        ad.manual_seed(seed)
        assert list(data.RandomSampler(range(10), replacement=True, num_samples=70)) == list(
            tdata.RandomSampler(range(10), replacement=True, num_samples=70)
        )
        assert list(data.RandomSampler(range(10), num_samples=25)) == list(
            tdata.RandomSampler(range(10), num_samples=25)
        )
        assert list(data.SubsetRandomSampler([5, 6, 7, 8])) == list(
            tdata.SubsetRandomSampler([5, 6, 7, 8])
        )
        weights = [0.1, 0.5, 0.2, 0.2]
        assert list(data.WeightedRandomSampler(weights, 30)) == list(
            tdata.WeightedRandomSampler(weights, 30)
        )
        assert list(data.WeightedRandomSampler(weights, 3, replacement=False)) == list(
            tdata.WeightedRandomSampler(weights, 3, replacement=False)
        )
        ours = [list(s.indices) for s in data.random_split(range(20), [0.3, 0.7])]
        assert ours == [s.indices for s in tdata.random_split(range(20), [0.3, 0.7])]
        _same(ad.randn(3), torch.randn(3))


# --- the exact arithmetic under the draws ------------------------------------------------------


def _hard_fma_cases(rng, n):
    """Products cancelling against c, sums landing near halfway, wide exponents."""
    a = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    b = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    c = np.concatenate(
        [
            -(a * b)[: n // 3] * (1 + rng.integers(-3, 4, n // 3) * 2.0**-52),
            (a * b * 2.0**-54 * rng.choice([-1, 1, 3], n))[n // 3 : 2 * n // 3],
            rng.standard_normal(n - 2 * (n // 3)) * 2.0 ** rng.integers(-80, 80, n - 2 * (n // 3)),
        ]
    )
    return a, b, c


def test_fused_multiply_add_rounds_once():
    from fractions import Fraction

    from autodiff import cpu_math

    rng = np.random.default_rng(0)
    a, b, c = _hard_fma_cases(rng, 3000)
    exact = [Fraction(x) * Fraction(y) + Fraction(z) for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(cpu_math.fma64(a, b, c), [float(e) for e in exact])
    assert (a * b + c != [float(e) for e in exact]).any()  # the cases do need the fusion
    a32, b32, c32 = (x.astype(np.float32) for x in (a, b, c))
    exact32 = [
        Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        for x, y, z in zip(a32, b32, c32)
    ]
    np.testing.assert_array_equal(cpu_math.fma32(a32, b32, c32), _round32(exact32))
    # a·b exactly halfway between two floats, c too small for the float64 sum to keep: the
    # tie must break towards c's side; and results below the normal float32 range
    near, low, high = 1 + 2.0**-12, 2.0**-75 * (1 - 2.0**-15), 2.0**-75 * (1 + 2.0**-15)
    subnormal_tie = 2.0**-127 + 2.0**-149  # + low·high lands on a tie of subnormal floats
    a32 = np.array([near, near, near, low, -low, 2.0**-70], np.float32)
    b32 = np.array([near, near, near, high, high, 2.0**-70], np.float32)
    c32 = np.array([2.0**-80, -(2.0**-80), 0, subnormal_tie, -subnormal_tie, 2.0**-149], np.float32)
    exact32 = [
        Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        for x, y, z in zip(a32, b32, c32)
    ]
    naive = (a32.astype(np.float64) * b32 + c32).astype(np.float32)
    assert naive[0] != _round32(exact32)[0] and naive[3] != _round32(exact32)[3]
    np.testing.assert_array_equal(cpu_math.fma32(a32, b32, c32), _round32(exact32))
    assert (
        cpu_math.fma64(2.2e-309, 0.5, 0.0) == 1.1e-309 and cpu_math.fma64(1e300, 1e10, 1) == np.inf
    )


def _round32(values):
    """Fractions rounded once to float32 (nearest, ties to even)."""
    from fractions import Fraction

    out = []
    for v in values:
        near = np.float32(float(v))  # may be double-rounded: fix by checking the neighbours
        candidates = [
            np.nextafter(near, np.float32(-np.inf)),
            near,
            np.nextafter(near, np.float32(np.inf)),
        ]
        best = min(
            candidates,
            key=lambda f: (abs(Fraction(float(f)) - v), int(np.float32(f).view(np.int32)) & 1),
        )
        out.append(best)
    return np.array(out, np.float32)


def test_round_to_odd_keeps_an_odd_sum_and_nudges_an_even_one():
    from autodiff import cpu_math

    odd, even = 1 + 2.0**-52, 1.0
    tiny = np.array([2.0**-60])
    assert cpu_math._round_to_odd_sum(np.array([odd]), tiny)[0] == odd
    assert cpu_math._round_to_odd_sum(np.array([even]), tiny)[0] == odd
    assert cpu_math._round_to_odd_sum(np.array([even]), -tiny)[0] == np.nextafter(1.0, 0.0)
    assert cpu_math._round_to_odd_sum(np.array([even]), np.array([0.0]))[0] == even


def test_cephes_log_and_sincos_are_accurate_float32():
    from autodiff import cpu_math

    def ulps(ours, exact):  # error in units of the float32 result's last place
        return (np.abs(ours - exact) / np.spacing(np.abs(exact).astype(np.float32))).max()

    x = np.random.default_rng(1).random(10000).astype(np.float32)
    u = np.float32(1) - x
    assert ulps(cpu_math.cephes_log(u), np.log(u.astype(np.float64))) < 2
    theta = np.float32(cpu_math.TWO_PI) * x
    sin, cos = cpu_math.cephes_sincos(theta)
    assert ulps(sin, np.sin(theta.astype(np.float64))) < 2
    assert ulps(cos, np.cos(theta.astype(np.float64))) < 2


def test_a_compiled_function_draws_as_eager_calls_do():
    """Every draw is a step of the compiled program: replays draw afresh, in eager's order."""

    def step(x):
        noise = ad.randn(3, 4)
        y = F.dropout(x, 0.3) + noise + ad.zeros(3, 4).normal_(0, 2)
        return y.sum(), ad.randint(0, 4, (3,)), ad.randperm(5), ad.normal(x, 0.5)

    x = ad.ones(3, 4)
    ad.manual_seed(0)
    eager = [[t.detach().numpy().copy() for t in step(x)] for _ in range(3)]
    compiled = ad.compile(step)
    ad.manual_seed(0)
    replays = [[t.detach().numpy().copy() for t in compiled(x)] for _ in range(3)]
    for ours, theirs in zip(replays, eager, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(replays[1][0], replays[2][0])  # a fresh draw per call


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_c_library_functions_and_their_numpy_fallback(dtype, monkeypatch):
    """cpu_math.c_function: the C library's acos(f)/pow(f) element by element, in the inputs'
    dtype, nan outside the domain and inf at a pole as C gives; where no C library loads,
    NumPy's ufuncs give the same values within an ulp."""
    from autodiff import cpu_math

    x = np.array([-1.0, -0.3, 0.0, 0.7, 1.0, 1.5, np.nan], dtype)
    q = np.array([2.0, 0.5, 0.0, 3.0, 1.0, -2.0, 1.0], dtype)
    with np.errstate(all="ignore"):
        expected_acos, expected_pow = np.arccos(x), np.power(q, -x)
    for expected, got in [
        (expected_acos, cpu_math.c_function("acos", x)),
        (expected_pow, cpu_math.c_function("pow", q, -x)),
    ]:
        assert got.dtype == dtype and got.shape == x.shape
        np.testing.assert_allclose(got, expected, rtol=2 * np.finfo(dtype).eps)
    assert cpu_math.c_function("acos", x[:0]).shape == (0,)
    monkeypatch.setattr(cpu_math.ctypes, "CDLL", lambda path: (_ for _ in ()).throw(OSError()))
    cpu_math._c_library.cache_clear()
    try:
        with np.errstate(all="ignore"):
            fallback = cpu_math.c_function("pow", q, -x)
        np.testing.assert_allclose(fallback, expected_pow, rtol=2 * np.finfo(dtype).eps)
        assert fallback.dtype == dtype
    finally:
        cpu_math._c_library.cache_clear()
