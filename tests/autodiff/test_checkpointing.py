"""torch.utils.checkpoint (autodiff.checkpointing): gradients bitwise those without
checkpointing (dropout's masks drawn again alike), fewer arrays alive after forward, torch's
rules for use_reentrant, and the same gradients as torch on the same model and seed."""

import tracemalloc
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.checkpointing import CheckpointError, checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")


def mlp(lib_nn):
    return lib_nn.Sequential(
        lib_nn.Linear(6, 12),
        lib_nn.Tanh(),
        lib_nn.Dropout(0.3),
        lib_nn.Linear(12, 12),
        lib_nn.ReLU(),
        lib_nn.Dropout(0.2),
        lib_nn.Linear(12, 3),
    )


def ours_and_torch_models():
    """The same MLP on both (torch's initial parameters copied)."""
    torch.manual_seed(0)
    theirs = mlp(torch.nn)
    ours = mlp(nn)
    ours.load_state_dict({k: ad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def gradients(model, x, run, seed=3):
    """run(model, x) then backward of a weighted sum; the output, the input's gradient and
    every parameter's, as arrays."""
    model.zero_grad()
    x.grad = None
    ad.manual_seed(seed)
    y = run(model, x)
    (y * ad.tensor(np.linspace(-1, 2, y.numel()).reshape(y.shape), dtype=y.dtype)).sum().backward()
    return [y.detach().numpy(), x.grad.detach().numpy()] + [
        p.grad.detach().numpy() for p in model.parameters()
    ]


def plain(model, x):
    return model(x)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_bitwise_those_without_checkpointing(use_reentrant):
    model, _ = ours_and_torch_models()
    x = ad.randn(5, 6, requires_grad=True)
    expected = gradients(model, x, plain)
    got = gradients(model, x, lambda m, x: checkpoint(m, x, use_reentrant=use_reentrant))
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)
    got = gradients(
        model, x, lambda m, x: checkpoint_sequential(m, 3, x, use_reentrant=use_reentrant)
    )
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)


def test_without_preserve_rng_state_the_rerun_draws_other_masks():
    model, _ = ours_and_torch_models()
    x = ad.randn(5, 6, requires_grad=True)
    expected = gradients(model, x, plain)
    got = gradients(
        model, x, lambda m, x: checkpoint(m, x, use_reentrant=False, preserve_rng_state=False)
    )
    assert np.array_equal(got[0], expected[0])  # forward is the same
    assert not np.array_equal(got[1], expected[1])  # backward used the rerun's masks


def test_the_generator_goes_on_as_without_checkpointing():
    model, _ = ours_and_torch_models()
    x = ad.randn(5, 6, requires_grad=True)
    gradients(model, x, plain)
    after_plain = ad.rand(3).detach().numpy()
    gradients(model, x, lambda m, x: checkpoint(m, x, use_reentrant=False))
    assert np.array_equal(ad.rand(3).detach().numpy(), after_plain)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_same_gradients_as_torch(use_reentrant):
    """Same parameters, same seed: torch's dropout masks are ours, so the checkpointed
    gradients agree with torch's checkpointed ones."""
    ours, theirs = ours_and_torch_models()
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    results = []
    for lib, model in ((ad, ours), (torch, theirs)):
        t = lib.tensor(x, requires_grad=True)
        lib.manual_seed(7)
        y = (
            lib.utils.checkpoint.checkpoint(model, t, use_reentrant=use_reentrant)
            if lib is torch
            else checkpoint(model, t, use_reentrant=use_reentrant)
        )
        y.square().sum().backward()
        results.append(
            [t.grad.detach().numpy()] + [p.grad.detach().numpy() for p in model.parameters()]
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def held_after_forward(run, n=12, size=50_000):
    """Bytes NumPy still holds after forward (the graph's saved values)."""
    x = ad.tensor(np.linspace(-2, 2, size, dtype=np.float32), requires_grad=True)

    def chain(x):
        for _ in range(n):
            x = (x * 1.01).tanh()
        return x

    tracemalloc.start()
    try:
        y = run(chain, x)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    y.sum().backward()
    return held, x.grad.detach().numpy()


def test_fewer_arrays_alive_after_forward():
    plain_bytes, plain_grad = held_after_forward(lambda f, x: f(x))
    kept_bytes, grad = held_after_forward(lambda f, x: checkpoint(f, x, use_reentrant=False))
    one = 50_000 * 4
    assert plain_bytes > 12 * one  # every tanh saved its output
    assert kept_bytes < 3 * one  # the output (and the input it holds)
    assert np.array_equal(grad, plain_grad)


def test_second_order_through_a_checkpoint_as_torch():
    results = []
    for lib in (torch, ad):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)

        def f(x):
            return (x.sin() * x).exp()

        fn = lib.utils.checkpoint.checkpoint if lib is torch else checkpoint
        y = fn(f, x, use_reentrant=False).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.square().sum().backward()
        results.append((g.detach().numpy(), x.grad.detach().numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_retained_graph_reruns_on_each_backward():
    calls = []
    x = ad.tensor([0.5, 1.5], requires_grad=True)

    def f(x):
        calls.append(1)
        return x.exp() * x

    y = checkpoint(f, x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    first = x.grad.detach().numpy().copy()
    y.backward()
    assert len(calls) == 3  # forward, then one rerun per backward
    assert np.array_equal(x.grad.detach().numpy(), 2 * first)


def scaled(x, layer, scale):
    return layer(x) * scale


def test_reentrant_rules_as_torch():
    """use_reentrant missing: a warning and True; keyword arguments refused; no input
    requiring grad: a warning and no gradients (the parameters' included)."""
    for lib, fn in ((torch, torch.utils.checkpoint.checkpoint), (ad, checkpoint)):
        lin = (torch.nn if lib is torch else nn).Linear(3, 2)
        x = lib.ones(4, 3)
        with pytest.warns(UserWarning):
            fn(lin, x.requires_grad_())
        with pytest.raises(ValueError) as e:
            fn(lambda x, scale: x * scale, x, scale=2.0, use_reentrant=True)
        assert str(e.value) == "Unexpected keyword arguments: scale"
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = fn(lin, lib.ones(4, 3), use_reentrant=True)
        assert not y.requires_grad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = fn(scaled, lib.ones(4, 3), lin, scale=2.0, use_reentrant=False)
        y.sum().backward()
        assert lin.weight.grad is not None  # non-reentrant: the parameters get theirs


def test_missing_use_reentrant_warns_torchs_words():
    x = ad.ones(2, requires_grad=True)
    tx = torch.ones(2, requires_grad=True)
    for ours, theirs in (
        (lambda: checkpoint(ad.sin, x), lambda: torch.utils.checkpoint.checkpoint(torch.sin, tx)),
        (
            lambda: checkpoint_sequential([nn.Identity()], 1, x),
            lambda: torch.utils.checkpoint.checkpoint_sequential([torch.nn.Identity()], 1, tx),
        ),
    ):
        with pytest.warns(UserWarning) as mine:
            ours()
        with pytest.warns(UserWarning) as expected:
            theirs()
        assert str(mine[0].message) == str(expected[0].message)


def test_a_rerun_that_saves_other_tensors_is_refused():
    state = {"n": 3}

    def f(x):
        return x[: state["n"]].exp()

    x = ad.ones(5, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False).sum()
    state["n"] = 2
    with pytest.raises(CheckpointError, match="different metadata"):
        y.backward()


def test_compile_refuses_a_checkpoint():
    from autodiff.compile import CompileError

    x = ad.tensor([0.5, 1.5], requires_grad=True)

    @ad.compile
    def step(x):
        y = checkpoint(lambda t: t.exp() * t, x, use_reentrant=False).sum()
        y.backward()
        return y

    with pytest.raises(CompileError, match="torch.utils.checkpoint"):
        step(x)
