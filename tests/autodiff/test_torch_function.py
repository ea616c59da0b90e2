"""autodiff.autograd.function.Function: torch.autograd.Function's contract (what `autodiff run`
gives PyTorch programs), compared with torch on the same classes."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd import function as fn


def _classes(lib, Function, once_differentiable):
    """The same user Functions over ad's or torch's names."""

    class Linear(Function):  # setup_context style
        @staticmethod
        def forward(x, w, bias=None):
            out = x.mm(w.t())
            return out if bias is None else out + bias

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, w, bias = ctx.saved_tensors
            needs = ctx.needs_input_grad
            return (
                g.mm(w) if needs[0] else None,
                g.t().mm(x) if needs[1] else None,
                g.sum(0) if bias is not None and needs[2] else None,
            )

    class Exp(Function):  # saves its output: double backward goes through it
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, g):
            (result,) = ctx.saved_tensors
            return g * result

    class SortIdx(Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            return lib.zeros_like(g).index_add_(0, idx, g)

    class Halves(Function):  # two differentiable outputs; notes which grads were None
        seen = []

        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            return x[:2] * 2, x[2:].exp()

        @staticmethod
        def backward(ctx, ga, gb):
            (x,) = ctx.saved_tensors
            Halves.seen.append((ga is None, gb is None))
            ga = lib.zeros(2, dtype=lib.float64) if ga is None else ga
            gb = lib.zeros(2, dtype=lib.float64) if gb is None else gb
            return lib.cat([ga * 2, gb * x[2:].exp()]), None

    class Once(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class Same(Function):  # returns its input as is
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    return Linear, Exp, SortIdx, Halves, Once, Same


def _both():
    torch = pytest.importorskip("torch")
    ours = _classes(ad, fn.Function, fn.once_differentiable)
    theirs = _classes(torch, torch.autograd.Function, torch.autograd.function.once_differentiable)
    return torch, ours, theirs


X = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]])
W = np.array([[0.5, -0.1, 0.2], [-0.8, 0.9, 1.1]])
V = np.array([0.5, -1.5, 2.0, 0.25])


def _pair(torch, value, requires_grad=True):
    return (
        ad.tensor(value, dtype=ad.float64, requires_grad=requires_grad),
        torch.tensor(value, dtype=torch.float64, requires_grad=requires_grad),
    )


def test_setup_context_style_values_grads_and_needs_input_grad():
    torch, (Linear, *_), (TLinear, *_) = _both()
    (x, tx), (w, tw), (b, tb) = _pair(torch, X), _pair(torch, W), _pair(torch, [0.1, -0.2])
    out, tout = Linear.apply(x, w, b), TLinear.apply(tx, tw, tb)
    assert out.grad_fn.name() == tout.grad_fn.name() == "LinearBackward"
    (out**2).sum().backward()
    (tout**2).sum().backward()
    for a, t in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    # an input that needs no gradient gets None: needs_input_grad says so
    w.grad = None
    Linear.apply(x.detach(), w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((2, 2)) @ X, rtol=1e-12)
    assert ad.gradcheck(Linear.apply, (x, w, b))


def test_saved_output_gives_second_derivatives():
    torch, (_, Exp, *_), (_, TExp, *_) = _both()
    x, tx = _pair(torch, V)
    (g,) = ad.grad(Exp.apply(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(TExp.apply(tx).sum(), tx, create_graph=True)
    (gg,) = ad.grad((g**2).sum(), x)
    (tgg,) = torch.autograd.grad((tg**2).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)
    assert ad.gradgradcheck(Exp.apply, (x,))


def test_mark_non_differentiable_output():
    torch, (_, _, SortIdx, *_), (_, _, TSortIdx, *_) = _both()
    x, tx = _pair(torch, V)
    (v, idx), (tv, tidx) = SortIdx.apply(x), TSortIdx.apply(tx)
    assert (v.requires_grad, idx.requires_grad) == (tv.requires_grad, tidx.requires_grad)
    assert idx.tolist() == tidx.tolist()
    weights = [1.0, 2.0, 3.0, 4.0]
    (v * ad.tensor(weights, dtype=ad.float64)).sum().backward()
    (tv * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("materialize", [True, False])
def test_several_outputs_and_materialize_grads(materialize):
    torch, (*_, Halves, _, _), (*_, THalves, _, _) = _both()
    for loss in (lambda a, b: (b * 3).sum(), lambda a, b: (a * 2).sum() + (b**2).sum()):
        x, tx = _pair(torch, V)
        Halves.seen.clear(), THalves.seen.clear()
        loss(*Halves.apply(x, materialize)).backward()
        loss(*THalves.apply(tx, materialize)).backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
        assert Halves.seen == THalves.seen
    assert THalves.seen == [(False, False)]
    x = ad.tensor(V, dtype=ad.float64, requires_grad=True)
    (_, b) = Halves.apply(x, materialize)
    Halves.seen.clear()
    b.sum().backward()
    assert Halves.seen == [(not materialize, False)]
    assert ad.gradcheck(lambda t: Halves.apply(t, materialize), (x,))


def test_once_differentiable_first_order_works_second_raises():
    torch, (*_, Once, _), (*_, TOnce, _) = _both()
    x, tx = _pair(torch, V)
    Once.apply(x).sum().backward()
    TOnce.apply(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    for lib, inp, F in ((ad, x, Once), (torch, tx, TOnce)):
        (g,) = lib.autograd.grad((F.apply(inp) ** 2).sum(), inp, create_graph=True)
        with pytest.raises(RuntimeError, match="differentiate twice a function that was marked"):
            g.sum().backward()


def test_an_input_returned_as_is_is_a_new_output():
    torch, (*_, Same), (*_, TSame) = _both()
    x, tx = _pair(torch, V)
    y, ty = Same.apply(x), TSame.apply(tx)
    assert (y is x, y.grad_fn is not None) == (ty is tx, ty.grad_fn is not None) == (False, True)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_grad_off_or_no_input_needing_grad_records_nothing():
    torch, (*_, Same), (*_, TSame) = _both()
    for lib, F in ((ad, Same), (torch, TSame)):
        x = lib.tensor(V, requires_grad=True)
        with lib.no_grad():
            y = F.apply(x)
        assert (y is x, y.requires_grad, y.grad_fn) == (False, False, None)
        y = F.apply(lib.tensor(V))
        assert (y.requires_grad, y.grad_fn) == (False, None)


def test_wrong_gradient_count_is_torchs_error():
    torch = pytest.importorskip("torch")
    messages = []
    for Base, lib in ((fn.Function, ad), (torch.autograd.Function, torch)):

        class Pair(Base):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g

        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            Pair.apply(x, x).sum().backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_unsupported_parts_say_so():
    class Dirty(fn.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

    with pytest.raises(NotImplementedError, match="mark_dirty"):
        Dirty.apply(ad.ones(2, requires_grad=True))
    with pytest.raises(NotImplementedError, match="keyword arguments"):
        Dirty.apply(ad.ones(2), scale=2)


def test_saved_tensors_are_freed_by_backward_as_torch():
    """A second backward without retain_graph: torch's error where backward reads what forward
    saved; retain_graph=True keeps them."""
    torch, (_, Exp, *_), (_, TExp, *_) = _both()
    messages = []
    for lib, F in ((ad, Exp), (torch, TExp)):
        x = lib.tensor(V, requires_grad=True)
        y = F.apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(V), rtol=1e-6)
        with pytest.raises(RuntimeError) as info:
            y.backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def _two_input_classes(lib, Function, once_differentiable):
    class Scaled(Function):  # two inputs: once_differentiable's tuple of gradients
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, g * x

    class WithFloor(Function):  # a float output marked non-differentiable
        @staticmethod
        def forward(ctx, x):
            floor = x.floor()
            ctx.mark_non_differentiable(floor)
            return x * 2, floor

        @staticmethod
        def backward(ctx, g, g_floor):
            return g * 2

    return Scaled, WithFloor


def test_once_differentiable_with_several_gradients_and_a_float_non_differentiable_output():
    torch = pytest.importorskip("torch")
    for lib, Function, once in (
        (ad, fn.Function, fn.once_differentiable),
        (torch, torch.autograd.Function, torch.autograd.function.once_differentiable),
    ):
        Scaled, WithFloor = _two_input_classes(lib, Function, once)
        x = lib.tensor(V, requires_grad=True)
        w = lib.tensor(V[::-1].copy(), requires_grad=True)
        gx, gw = lib.autograd.grad((Scaled.apply(x, w) ** 2).sum(), (x, w), create_graph=True)
        np.testing.assert_allclose(gx.detach().numpy(), 2 * V * V[::-1] ** 2, rtol=1e-6)
        for g in (gx, gw):
            with pytest.raises(RuntimeError, match="differentiate twice"):
                g.sum().backward(retain_graph=True)
        doubled, floor = WithFloor.apply(x)
        assert (doubled.requires_grad, floor.requires_grad) == (True, False)
        assert floor.grad_fn is None


def test_outputs_of_different_dtypes_get_gradients_of_their_own_dtype():
    torch = pytest.importorskip("torch")
    for lib, Function in ((ad, fn.Function), (torch, torch.autograd.Function)):

        class Widths(Function):
            @staticmethod
            def forward(ctx, x, expected):
                ctx.expected = expected
                return x.float() * 3, x * 2

            @staticmethod
            def backward(ctx, g32, g64):
                assert (g32.dtype, g64.dtype) == ctx.expected
                return g32.double() * 3 + g64 * 2, None

        x = lib.tensor(V, dtype=lib.float64, requires_grad=True)
        narrow, wide = Widths.apply(x, (lib.float32, lib.float64))
        (narrow.sum() * 2 + wide.sum()).backward()
        np.testing.assert_allclose(x.grad.numpy(), np.full(4, 8.0))


def test_a_saved_tensor_changed_in_place_is_refused_as_torch():
    torch = pytest.importorskip("torch")
    errors = []
    for lib in (ad, torch):
        function = ad.autograd.function.Function if lib is ad else torch.autograd.Function

        class Square(function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        x = lib.ones(3, requires_grad=True)
        h = x * 1
        y = Square.apply(h)
        h.mul_(3)  # after forward saved it: backward would use the new values
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
            y.sum().backward()
        errors.append(str(error.value))
        untouched = Square.apply(x * 1)
        untouched.sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad.tolist()), [2.0, 2.0, 2.0])
    assert "is at version 1; expected version 0 instead" in errors[0]
