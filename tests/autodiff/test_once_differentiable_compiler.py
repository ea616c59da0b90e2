"""torch.autograd.function.once_differentiable and torch.compiler (disable, is_compiling,
reset) against torch."""

import numpy as np
import pytest

import autodiff as ad


def _cube(lib, once_differentiable):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    return Cube


def _run(lib, once_differentiable):
    Cube = _cube(lib, once_differentiable)
    x = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
    (Cube.apply(x) * 2).sum().backward()
    first = x.grad.numpy().copy()
    (g,) = lib.autograd.grad((Cube.apply(x) * x).sum(), x, create_graph=True)
    try:
        g.sum().backward()
        error = None
    except RuntimeError as e:
        error = str(e)
    return first, g.detach().numpy(), g.requires_grad, error


def test_once_differentiable_as_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd.function import once_differentiable as theirs

    ours = _run(ad, ad.autograd.function.once_differentiable)
    expected = _run(torch, theirs)
    np.testing.assert_allclose(ours[0], expected[0])
    np.testing.assert_allclose(ours[1], expected[1])
    assert ours[2:] == expected[2:]
    assert "differentiate twice a function that was marked with @once_differentiable" in ours[3]


def test_once_differentiable_first_order_gradcheck_and_no_graph():
    Cube = _cube(ad, ad.autograd.function.once_differentiable)
    x = ad.tensor([0.3, -1.2], dtype=ad.float64, requires_grad=True)
    assert ad.autograd.gradcheck(Cube.apply, (x,))
    (g,) = ad.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert g.grad_fn is None and not g.requires_grad  # the incoming gradient needs none


def test_compiler_disable_leaves_a_function_uncompiled():
    calls = []

    @ad.compiler.disable
    def f(t):
        calls.append(ad.compiler.is_compiling())
        return t * 2 + 1

    compiled = ad.compile(f)
    assert compiled is f
    assert compiled(ad.ones(2)).tolist() == [3.0, 3.0] and calls == [False]
    assert ad.compiler.disable(reason="why")(f) is not f  # the decorator with arguments
    with pytest.raises(NotImplementedError, match="recursive=False"):
        ad.compiler.disable(f, recursive=False)


def test_compiler_is_compiling_and_reset():
    seen = []
    ad.compile(lambda t: seen.append(ad.compiler.is_compiling()) or t + 1)(ad.ones(2))
    assert seen == [True] and not ad.compiler.is_compiling()
    g = ad.compile(lambda t: t + 1)
    g(ad.ones(2))
    g(ad.ones(2))
    assert g.traces == 1
    ad.compiler.reset()
    assert g(ad.ones(2)).tolist() == [2.0, 2.0] and g.traces == 2


def test_compiler_names_exist_in_torch():
    torch = pytest.importorskip("torch")
    for name in ad.compiler.__all__:
        assert hasattr(torch.compiler, name), name
