"""torch.autograd.forward_ad on the engine (tangents by the double-vjp trick): tangents against
torch's forward mode on the same inputs, the tutorial's two examples, reverse mode through a
tangent, what duals print, torch's errors, and the refusals (no_grad inside a level, an op
without double backward)."""

import inspect

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.autograd import forward_ad as fwAD


def _ours(t):
    return ad.tensor(t.detach().numpy().copy())


def _close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol, atol)


# --- the API --------------------------------------------------------------------------------


def test_module_names_and_signatures_are_torchs():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    import autodiff.autograd.forward_ad as by_path

    assert by_path is fwAD and ad.autograd.forward_ad is fwAD
    assert sorted(fwAD.__all__) == sorted(theirs.__all__)
    for name in fwAD.__all__:
        if callable(getattr(theirs, name)) and name != "UnpackedDualTensor":
            mine, torchs = getattr(fwAD, name), getattr(theirs, name)
            mine, torchs = inspect.signature(mine), inspect.signature(torchs)
            assert list(mine.parameters.values()) == list(torchs.parameters.values()), name
    assert fwAD.UnpackedDualTensor._fields == theirs.UnpackedDualTensor._fields
    del torch


# --- tangents against torch ------------------------------------------------------------------

OPS = {
    "sin": lambda T, x, y: x.sin(),
    "exp_mul": lambda T, x, y: x.exp() * y,
    "div": lambda T, x, y: x / (y * y + 1),
    "pow": lambda T, x, y: x**3 - 2 * x,
    "matmul": lambda T, x, y: x @ y.T,
    "sum_dim": lambda T, x, y: (x * y).sum(1),
    "mean": lambda T, x, y: x.mean(),
    "softmax": lambda T, x, y: T.softmax(x * y, dim=-1),
    "log_softmax": lambda T, x, y: T.log_softmax(x, dim=0),
    "tanh_relu": lambda T, x, y: T.relu(T.tanh(x) + y),
    "index_transpose": lambda T, x, y: x[1:].T * y[1:].T + x[0, 1],
    "cat_where": lambda T, x, y: T.where(x > 0, T.cat([x, y])[:3], y),
    "max_norm": lambda T, x, y: x.max(dim=1).values + x.norm(),
    "floor": lambda T, x, y: x.floor() + y,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_tangents_equal_torchs(name):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    g = torch.Generator().manual_seed(len(name))
    x, y, tx, ty = (torch.randn(3, 4, generator=g, dtype=torch.float64) for _ in range(4))
    results = []
    for T, fw, convert in ((torch, theirs, lambda t: t), (ad, fwAD, _ours)):
        with fw.dual_level():
            dx = fw.make_dual(convert(x), convert(tx))
            dy = fw.make_dual(convert(y), convert(ty))
            results.append(fw.unpack_dual(OPS[name](T, dx, dy)))
    theirs_, ours = results
    _close(ours.primal, theirs_.primal)
    _close(ours.tangent, theirs_.tangent)


def test_tutorial_function_tangent():
    """fn(x, y) = x**2 + y**2, x dual, y plain: the tangent is 2·x·tangent; a plain result
    has none; after the level every tangent is None."""
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    primal, tangent, plain = (torch.randn(5, 5, dtype=torch.float64) for _ in range(3))
    found = []
    for fw, convert in ((theirs, lambda t: t), (fwAD, _ours)):
        with fw.dual_level():
            dual = fw.make_dual(convert(primal), convert(tangent))
            out = dual**2 + convert(plain) ** 2
            found.append(fw.unpack_dual(out).tangent)
            assert fw.unpack_dual(convert(plain) * 2).tangent is None
        assert fw.unpack_dual(out).tangent is None
    _close(found[1], found[0])
    _close(found[1], _ours(2 * primal * tangent))


def _linear_jvp(T, fw, weight, bias, tangents, x):
    model = T.nn.Linear(4, 3).double()
    with T.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    params = dict(model.named_parameters())
    with fw.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fw.make_dual(p, tangents[name]))
        out = model(x)
        return fw.unpack_dual(out).tangent


def test_tutorial_module_with_dual_parameters():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    T = type("T", (), {"nn": nn})  # the module pattern needs only T.nn and T.no_grad
    T.no_grad = ad.no_grad
    w, b, tw, tb, x = (
        torch.randn(*shape, dtype=torch.float64) for shape in ((3, 4), (3,), (3, 4), (3,), (6, 4))
    )
    theirs_ = _linear_jvp(torch, theirs, w, b, {"weight": tw, "bias": tb}, x)
    ours = _linear_jvp(
        T, fwAD, _ours(w), _ours(b), {"weight": _ours(tw), "bias": _ours(tb)}, _ours(x)
    )
    _close(ours, theirs_)
    _close(ours, _ours(x @ tw.T + tb))


def test_tangent_agrees_with_func_jvp_and_gradcheck_directions():
    """Without torch: the tangent equals func.jvp's and a central difference (float64)."""
    x = ad.randn(4, dtype=ad.float64)
    v = ad.randn(4, dtype=ad.float64)

    def f(t):
        return (t.sin() * t).cumsum(0) / (1 + t**2)

    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(fwAD.make_dual(x, v))).tangent
    _close(tangent, ad.func.jvp(f, (x,), (v,))[1])
    eps = 1e-6
    _close(tangent, (f(x + eps * v) - f(x - eps * v)) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_several_outputs_and_a_dual_used_twice_share_one_level():
    x, v = ad.randn(3, dtype=ad.float64), ad.randn(3, dtype=ad.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        a, b = d * d, d.exp()
        _close(fwAD.unpack_dual(a).tangent, 2 * x * v)
        _close(fwAD.unpack_dual(b).tangent, x.exp() * v)
        assert fwAD.unpack_dual(a).tangent is fwAD.unpack_dual(a).tangent  # memoised
        _close(fwAD.unpack_dual(d[1:]).tangent, v[1:])


def test_tangent_follows_an_in_place_change():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    x, v = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    found = []
    for fw, convert in ((theirs, lambda t: t), (fwAD, _ours)):
        with fw.dual_level():
            out = fw.make_dual(convert(x), convert(v)) * 2
            before = fw.unpack_dual(out).tangent.clone()
            out.mul_(convert(x)).sin_()  # (out.mul_(out): torch reads the new out)
            found.append((before, fw.unpack_dual(out).tangent))
    _close(found[1][0], found[0][0])
    _close(found[1][1], found[0][1])


# --- identity, layout, levels ---------------------------------------------------------------


def test_tangent_kept_as_given_or_copied_for_another_layout():
    primal, tangent = ad.randn(3, 3), ad.randn(3, 3)
    with fwAD.dual_level():
        assert fwAD.unpack_dual(fwAD.make_dual(primal, tangent)).tangent is tangent
        other = fwAD.unpack_dual(fwAD.make_dual(primal, tangent.T)).tangent
        assert other is not tangent
        _close(other, tangent.T)


def test_levels_enter_exit_and_forget():
    assert fwAD.enter_dual_level() == 0
    d = fwAD.make_dual(ad.ones(2), ad.ones(2))
    out = d * 3
    fwAD.exit_dual_level(level=0)
    assert fwAD.unpack_dual(out).tangent is None
    assert fwAD.unpack_dual(out).primal is out
    with fwAD.dual_level() as level:
        assert level == 0
        assert fwAD.unpack_dual(out).tangent is None  # a tangent of another level

    @fwAD.dual_level()
    def decorated():
        return fwAD.unpack_dual(fwAD.make_dual(ad.ones(2), ad.zeros(2)) * 2).tangent

    _close(decorated(), ad.zeros(2))


def _errors(fw, T, call) -> tuple:
    try:
        call(fw, T)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e), str(e)
    return None


def _nested(fw, T):
    with fw.dual_level():
        with fw.dual_level():
            pass


def _redual(fw, T):
    with fw.dual_level():
        fw.make_dual(fw.make_dual(T.ones(2), T.ones(2)) * 2, T.ones(2))


def _exit_other(fw, T):
    fw.enter_dual_level()
    try:
        fw.exit_dual_level(level=3)
    finally:
        fw.exit_dual_level()


def _in_level(call):
    def run(fw, T):
        with fw.dual_level():
            call(fw, T)

    return run


ERRORS = {
    "outside": lambda fw, T: fw.make_dual(T.ones(2), T.ones(2)),
    "size": _in_level(lambda fw, T: fw.make_dual(T.ones(3), T.ones(4))),
    "integer": _in_level(lambda fw, T: fw.make_dual(T.arange(3), T.arange(3))),
    "nested": _nested,
    "exit_none": lambda fw, T: fw.exit_dual_level(),
    "exit_other": _exit_other,
    "redual": _redual,
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_are_torchs(name):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    assert _errors(fwAD, ad, ERRORS[name]) == _errors(theirs, torch, ERRORS[name])
    assert ad.autograd.forward_ad.unpack_dual(ad.ones(1)).tangent is None  # no level left


def test_wrong_level_non_tensor_dtype_and_complex_refused():
    with fwAD.dual_level() as level:
        d = fwAD.make_dual(ad.ones(2), ad.ones(2), level=level)
        assert fwAD.unpack_dual(d * 2, level=level).tangent is not None
        with pytest.raises(RuntimeError, match="Invalid level given to make_dual"):
            fwAD.make_dual(ad.ones(2), ad.ones(2), level=5)
        with pytest.raises(RuntimeError, match="Invalid level given to unpack_dual"):
            fwAD.unpack_dual(d, level=1)
        with pytest.raises(TypeError, match="make_dual: expected tangent to be a Tensor"):
            fwAD.make_dual(ad.ones(2), 3.0)
        with pytest.raises(TypeError, match="unpack_dual.*must be Tensor, not <class 'float'>"):
            fwAD.unpack_dual(3.0)
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            fwAD.make_dual(ad.ones(3), ad.arange(3))
        with pytest.raises(NotImplementedError, match="tangent of dtype torch.float64"):
            fwAD.make_dual(ad.ones(2), ad.ones(2, dtype=ad.float64))
        with pytest.raises(NotImplementedError, match="complex tensor"):
            fwAD.make_dual(ad.ones(2, dtype=ad.complex64), ad.ones(2, dtype=ad.complex64))
    assert fwAD.unpack_dual(3.0) == (3.0, None)  # no level: as torch, anything passes through


# --- reverse mode with forward mode -----------------------------------------------------------


def test_backward_through_a_tangent_equals_torchs():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    w0, v0 = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    grads = []
    for T, fw, convert in ((torch, theirs, lambda t: t), (ad, fwAD, _ours)):
        w = convert(w0).requires_grad_(True)
        with fw.dual_level():
            out = (T.tanh(fw.make_dual(w, convert(v0))) ** 2).sum()
            primal, tangent = fw.unpack_dual(out)
            assert tangent.requires_grad and primal.requires_grad
            # unpack_dual's parts are no duals of the level: they print no tangent
            assert "tangent=" not in repr(tangent) + repr(primal)
            (tangent + primal).backward()
        grads.append(w.grad)
    _close(grads[1], grads[0])


def test_dual_of_a_parameter_trains_it_by_backward():
    w = ad.randn(3, dtype=ad.float64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(w, ad.ones(3, dtype=ad.float64))
        (d * d).sum().backward()
    _close(w.grad, 2 * w)


# --- printing -----------------------------------------------------------------------------


def _printed(T, fw, requires_grad):
    gen = T.Generator().manual_seed(3)
    p, t = T.randn(2, 3, generator=gen), T.randn(2, 3, generator=gen)
    p.requires_grad_(requires_grad)
    with fw.dual_level():
        d = fw.make_dual(p, t)
        out = d * 2 + 1
        text = [repr(d), repr(out), repr(fw.unpack_dual(out)), repr((out * 0).sum())]
    return text + [repr(out)]


@pytest.mark.parametrize("requires_grad", [False, True])
def test_duals_print_as_torchs(requires_grad):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as theirs

    ours, torchs = _printed(ad, fwAD, requires_grad), _printed(torch, theirs, requires_grad)
    if requires_grad:  # torch's primal is an Identity node; ours a view of the output
        ours[2], torchs[2] = (s.replace("ViewBackward0", "Identity") for s in (ours[2], torchs[2]))
        # torch's tangent of out records its forward formula (mul's) although it depends on
        # no tensor that requires grad; ours has a graph only where it does
        torchs = [s.replace("]], grad_fn=<AddBackward0>))", "]]))") for s in torchs]
    assert ours == torchs


def test_plain_tensors_print_as_before_inside_a_level():
    w = ad.ones(2, requires_grad=True)
    with fwAD.dual_level():
        fwAD.make_dual(ad.ones(2), ad.ones(2))
        assert repr(w * 2) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
        assert repr(ad.ones(2)) == "tensor([1., 1.])"


# --- refusals ---------------------------------------------------------------------------------


def test_no_grad_inside_a_level_is_refused():
    """torch computes forward gradients under no_grad; the graph this design needs is off."""
    with fwAD.dual_level():
        with ad.no_grad():  # no dual yet: nothing to lose
            pass
        d = fwAD.make_dual(ad.ones(2), ad.ones(2))
        for mode in (ad.no_grad, lambda: ad.set_grad_enabled(False), ad.inference_mode):
            with pytest.raises(NotImplementedError, match="no_grad .* inside a forward-AD"):
                with mode():
                    d * 2
        assert ad.is_grad_enabled()
    with ad.no_grad():  # outside the level: as always
        pass
    with ad.no_grad(), fwAD.dual_level():
        with pytest.raises(NotImplementedError, match="make_dual under torch.no_grad"):
            fwAD.make_dual(ad.ones(2), ad.ones(2))


class _ArrayBackward(ad.autograd.Function):
    """Square with a backward that leaves the graph (no double backward)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return (2 * ctx.x * grad).detach()


class _JvpOnly(ad.autograd.Function):
    """The tutorial's Fn: a forward and a jvp, no backward."""

    @staticmethod
    def forward(ctx, x):
        result = np.exp(x)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, g):
        return g * ctx.result


@pytest.mark.parametrize("fn", [_ArrayBackward, _JvpOnly], ids=lambda f: f.__name__)
def test_op_without_double_backward_raises_not_zeros(fn):
    x = ad.randn(3, dtype=ad.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, ad.randn(3, dtype=ad.float64))
        out = fn.apply(d) + d.sin()
        with pytest.raises(NotImplementedError, match="double backward"):
            fwAD.unpack_dual(out)
