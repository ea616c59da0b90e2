"""Graph semantics: reuse, diamonds, long chains, hooks, retain_grad, detach, grad modes,
NumPy interop, ad.grad, custom Functions, anomaly detection, the picture attributes."""

import sys
import threading
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.testing
from autodiff.graph import recording


def f64(values, requires_grad=True):
    return ad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# --- accumulation ---------------------------------------------------------------------
def test_leaf_used_many_times_accumulates_every_edge():
    x = f64([1.5, -2.0])
    y = x * x
    node = y.grad_fn
    (a, _), (b, _) = node.next_functions
    assert a is b and a.name() == "torch::autograd::AccumulateGrad" and a.variable is x
    assert repr(a).startswith("<AccumulateGrad object at 0x")  # torch: the short name
    (y * x + x).sum().backward()  # 3x² + 1
    np.testing.assert_array_equal(x.grad.detach().numpy(), 3 * x.detach().numpy() ** 2 + 1)


def test_diamond_sums_both_paths():
    x = f64([0.3, -0.7])
    a = x * 2.0
    out = (a.exp() * a + a.tanh()).sum()  # both branches read a
    out.backward()
    ea, t = np.exp(2 * x.detach().numpy()), np.tanh(2 * x.detach().numpy())
    np.testing.assert_allclose(
        x.grad.detach().numpy(), 2 * (ea * 2 * x.detach().numpy() + ea + 1 - t * t), rtol=1e-14
    )


def test_gradients_accumulate_across_backward_calls_and_reset_to_none():
    x = f64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * 4.0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [7.0, 7.0])
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 2.0])


class Pass(ad.Function):
    """Identity: the cheapest op, so a 1,000,000-node chain tests the scheduler alone."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_million_node_chain_backward_without_recursion():
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = Pass.apply(y)
    y.backward(ad.tensor(2.0, dtype=ad.float64))
    assert x.grad.item() == 2.0
    del y  # freeing the chain must not recurse either


def test_real_op_chain_under_a_tiny_recursion_limit():
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion over the chain would fail at once
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert np.isclose(x.grad.item(), 1.0001**20_000, rtol=1e-10)


# --- hooks, retain_grad, detach ---------------------------------------------------------
def test_leaf_hook_sees_the_total_gradient_and_can_replace_it():
    x = f64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.detach().numpy(), [20.0, 40.0])


def test_non_leaf_hook_replacement_flows_upstream():
    x = f64([1.0, 2.0])
    h = x * 3.0
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()  # d/dh = 2h, halved, times 3
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * 0.5 * 2 * h.detach().numpy())
    with pytest.warns(UserWarning, match="not a leaf"):
        assert h.grad is None  # not retained


def test_hook_on_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ad.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_gradient():
    x = f64([1.0, -1.0])
    h = x.exp()
    h.retain_grad()
    assert h.retains_grad
    (h * 2.0).sum().backward()
    np.testing.assert_array_equal(h.grad.detach().numpy(), [2.0, 2.0])
    assert h.grad.grad_fn is None


def _grad_warnings(lib, case: str) -> list:
    """The UserWarnings that reading .grad gives in one situation, for ad or torch."""
    x = lib.ones(2, requires_grad=True)
    tensors = {
        "leaf": x,
        "non-leaf": x * 2,
        "after backward": x * 3,
        "retained": x * 4,
        "no grad": lib.ones(2) * 2,
    }
    tensors["retained"].retain_grad()
    tensors["after backward"].sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tensors[case].grad is None or case in ("leaf", "retained")
    return [str(w.message)[:60] for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("case", ["leaf", "non-leaf", "after backward", "retained", "no grad"])
def test_reading_grad_of_a_non_leaf_warns_as_torch(case):
    torch = pytest.importorskip("torch")
    ours, theirs = _grad_warnings(ad, case), _grad_warnings(torch, case)
    assert ours == theirs
    assert bool(ours) == (case in ("non-leaf", "after backward"))


def test_detach_shares_memory_and_stops_gradients():
    x = f64([1.0, 2.0])
    d = (x * 2.0).detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    y = x * 2.0
    dy = y.detach()
    assert np.shares_memory(dy.detach().numpy(), y.detach().numpy())
    (x * dy).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), dy.detach().numpy())  # dy was a constant


def test_requires_grad_rules():
    with pytest.raises(TypeError, match="int64"):
        ad.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError):
        ad.arange(3).requires_grad_()
    y = f64([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    x = ad.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    assert not (ad.tensor([1.0]) * 2.0).requires_grad  # constants only: no graph


def test_comparisons_do_not_require_grad():
    x = f64([1.0, 2.0])
    for result in (x > 1, x < 1, x >= 1, x <= 1, x == 1, x != 1):
        assert result.dtype == np.bool_ and not result.requires_grad


# --- grad modes -------------------------------------------------------------------------
def test_no_grad_enable_grad_set_grad_enabled_nest_and_decorate():
    x = f64([1.0])
    with ad.no_grad():
        assert not ad.is_grad_enabled() and (x * 2).grad_fn is None
        with ad.enable_grad():
            assert (x * 2).grad_fn is not None
        with ad.set_grad_enabled(True):
            assert ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    @ad.no_grad()
    def quiet(t):
        return t * 2

    assert quiet(x).grad_fn is None and ad.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with ad.no_grad():
        thread = threading.Thread(target=lambda: seen.append(ad.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


# --- NumPy interop ------------------------------------------------------------------------
def test_numpy_interop_both_ways():
    x = f64([1.0, 2.0])
    assert np.asarray(x) is x.numpy() is x.detach().numpy()  # API.md: reads any tensor
    a = np.array([3.0, 4.0])
    for result in (a * x, a + x, a - x, a / x, x * a):
        assert isinstance(result, ad.Tensor) and result.requires_grad
    (a * x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), a)
    m = ad.tensor(np.eye(2), requires_grad=True)
    assert isinstance(np.ones((3, 2)) @ m, ad.Tensor)
    assert x.detach().numpy() is x.detach().numpy()


def test_numpy_functions_of_a_tensor_give_a_tensor_as_torchs():
    """np.sin(t), np.transpose(t, axes) (a DCGAN tutorial's picture), np.clip(t, ...): NumPy
    computes on the array and torch's __array_wrap__ hands back a tensor sharing its memory
    (a bool result as uint8); a tensor that requires grad is refused, as torch refuses it."""
    t = ad.arange(6, dtype=ad.float32).reshape(2, 3)
    for result, expected in [
        (np.sin(t), np.sin(t.numpy())),
        (np.transpose(t, (1, 0)), t.numpy().T),
        (np.clip(t, 1, 3), np.clip(t.numpy(), 1, 3)),
        (np.maximum(t, 2), np.maximum(t.numpy(), 2)),
        (np.exp(t[0, 1]), np.exp(np.float32(1.0))),
    ]:
        assert type(result) is ad.Tensor and not result.requires_grad
        assert result.dtype == ad.float32 and result.shape == np.shape(expected)
        np.testing.assert_array_equal(result.numpy(), expected)
    wrapped = np.transpose(t, (1, 0))
    wrapped[0, 1] = 100.0  # shares t's memory, as torch.from_numpy
    assert t[1, 0].item() == 100.0
    greater = np.greater(t, 2)
    assert greater.dtype == ad.uint8 and greater.tolist() == [[0, 0, 0], [1, 1, 1]]
    w = ad.ones(2, 3, requires_grad=True)
    for call in (lambda: np.sin(w), lambda: np.add(np.ones(3), w), lambda: np.transpose(w)):
        with pytest.raises(RuntimeError, match="requires grad: NumPy computes on the array"):
            call()
    assert type(np.sin(w.detach())) is ad.Tensor


# --- ad.grad ------------------------------------------------------------------------------
def test_grad_returns_without_accumulating_and_checks_unused():
    x, z = f64([1.0, 2.0]), f64([5.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ad.grad(y, [x, z], retain_graph=True)
    gx, gz = ad.grad(y, [x, z], allow_unused=True)
    np.testing.assert_array_equal(gx.detach().numpy(), [2.0, 4.0])
    assert gz is None and x.grad is None and z.grad is None


def test_grad_with_grad_outputs_and_create_graph():
    x = f64([1.0, 2.0])
    y = x**3
    (g,) = ad.grad(y, x, grad_outputs=ad.tensor(np.array([1.0, 0.5])), create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [3.0, 0.5 * 12.0])
    assert g.requires_grad
    (h,) = ad.grad(g.sum(), x)
    np.testing.assert_array_equal(h.detach().numpy(), [6.0, 0.5 * 12.0])


def test_grad_of_several_outputs_sums_them():
    x = f64([2.0])
    (g,) = ad.grad([x * 3.0, x * x], x, grad_outputs=[ad.ones(1, dtype=ad.float64)] * 2)
    np.testing.assert_array_equal(g.detach().numpy(), [3.0 + 4.0])


# --- custom Function --------------------------------------------------------------------
class MyFn(ad.Function):
    """x · exp(y), saving both."""

    @staticmethod
    def forward(ctx, x, y):
        e = np.exp(y)
        ctx.save_for_backward(x, e)
        return x * e

    @staticmethod
    def backward(ctx, grad):
        x, e = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad * e if need[0] else None), (grad * x * e if need[1] else None)


def test_custom_function_saves_names_and_differentiates():
    x, y = f64([1.0, 2.0]), f64([0.5, -0.5])
    out = MyFn.apply(x, y)
    assert out.grad_fn.name() == "MyFnBackward"
    assert [n.name() for n, _ in out.grad_fn.next_functions] == [
        "torch::autograd::AccumulateGrad"
    ] * 2
    ad.gradcheck(MyFn.apply, (x, y))
    autodiff.testing.assert_gradients_match(MyFn.apply, f64([0.3]), f64([0.1]))


def test_custom_function_needs_input_grad():
    seen = []

    class Spy(ad.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.needs_input_grad)
            return grad, None

    Spy.apply(f64([1.0]), ad.tensor(np.array([2.0]))).sum().backward()
    assert seen == [(True, False)]


# --- anomaly detection ----------------------------------------------------------------------
def test_detect_anomaly_names_the_forward_op():
    x = f64([-1.0, 1.0])
    with ad.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(RuntimeError, match="log"):
            x.log()
    assert np.isnan(x.log().detach().numpy()[0])  # outside: nan as torch, no error


def test_detect_anomaly_names_the_backward_node():
    x = f64([0.0, 1.0])
    with ad.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt().sum()  # finite forward, infinite gradient at 0
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            y.backward()


# --- what the pictures read ----------------------------------------------------------------
def test_small_nodes_keep_value_gradient_and_metadata():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    h = x * 3.0
    h.name = "h"
    y = h.sum()
    y.backward()
    node = h.grad_fn
    assert node.out_shape == (2,) and node.out_dtype == np.float64 and node.out_name == "h"
    np.testing.assert_array_equal(node.value, h.detach().numpy())
    np.testing.assert_array_equal(node.grad_value, [1.0, 1.0])
    assert node.input_meta[0] == ((2,), np.float64)
    assert node.constants[1] == 3.0
    assert x.grad_fn is None and x.name == "x"


def test_large_nodes_keep_nothing_unless_recording():
    x = ad.tensor(np.ones(1000), requires_grad=True)
    h = x * 2.0
    h.sum().backward()
    assert h.grad_fn.value is None and h.grad_fn.grad_value is None
    with recording():
        h2 = x * 2.0
        h2.sum().backward()
    assert h2.grad_fn.value is not None and h2.grad_fn.grad_value is not None
    h3 = x * 2.0
    h3.retain_grad()
    assert h3.grad_fn.value is not None


class ScalarExp(ad.Function):
    """A user's op written the natural NumPy way: np.exp of a 0-d array is a NumPy scalar."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


def test_custom_function_saving_a_numpy_scalar_output_has_second_order():
    x = ad.tensor(np.array(0.5), requires_grad=True)
    (g,) = ad.grad(ScalarExp.apply(x), x, create_graph=True)
    assert g.requires_grad
    (h,) = ad.grad(g, x)
    assert np.isclose(h.item(), np.exp(0.5))
