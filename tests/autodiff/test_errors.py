"""Bad input gets a clear error of the right type whose message names shapes or dtypes."""

import numpy as np
import pytest

import autodiff as ad


def f64(shape, requires_grad=True):
    return ad.tensor(np.ones(shape), requires_grad=requires_grad)


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: f64((2, 3)) @ f64((4, 5)), ValueError, r"matmul.*\(2, 3\).*\(4, 5\)"),
        (lambda: f64((3,)) @ f64((4,)), ValueError, r"matmul.*\(3,\).*\(4,\)"),
        (lambda: f64((2, 2, 3)) @ f64((3, 3, 2)), ValueError, r"matmul.*batch.*\(2, 2, 3\)"),
        (lambda: f64(()) @ f64((2,)), ValueError, r"matmul.*\(\)"),
        (lambda: f64((2, 3)).reshape(4, 2), ValueError, r"reshape.*\(4, 2\).*size 6"),
        (lambda: f64((2, 3)).view(-1, 4), ValueError, r"view.*size 6"),
        (lambda: f64((2, 3)).reshape(-1, -1), ValueError, r"reshape.*-1"),
        (lambda: ad.cat([f64((2, 3)), f64((2, 4))]), ValueError, r"cat.*\(2, 3\).*\(2, 4\)"),
        (lambda: ad.cat([]), ValueError, r"cat.*non-empty"),
        (lambda: ad.stack([f64((2,)), f64((3,))]), ValueError, r"stack.*\(2,\).*\(3,\)"),
        (lambda: f64((2, 3)).expand(4, 3), ValueError, r"expand.*\(2, 3\)"),
        (lambda: f64((2, 3)).permute(0, 0), ValueError, r"permute.*\(2, 3\)"),
        (lambda: f64((2, 3)).sum(dim=2), IndexError, r"sum.*dim 2"),
        (lambda: f64((2, 3)).softmax(dim=-3), IndexError, r"softmax.*dim -3.*\(2, 3\)"),
        (lambda: f64((2, 3)).transpose(0, 5), IndexError, r"transpose.*dim 5"),
        (lambda: f64((0, 3)).max(), RuntimeError, r"max.*\(0, 3\)"),
        (lambda: f64((3, 0)).max(1), RuntimeError, r"max.*\(3, 0\)"),
        (lambda: f64((2,)).clamp(), ValueError, r"clamp"),
        (lambda: ad.where(f64((2,)), f64((2,)), f64((2,))), TypeError, r"where.*float64"),
        (lambda: f64((2,))[ad.tensor([0.5])], IndexError, r"float"),
        (lambda: f64((2,))[5], IndexError, r"\(2,\)"),
        (lambda: f64((2,)).item(), ValueError, r"item.*\(2,\)"),
        (lambda: ad.tensor([1, 2], requires_grad=True), TypeError, r"int64"),
        (lambda: ad.tensor(["a"]), TypeError, r"tensor"),
        (lambda: ad.set_default_dtype(np.int32), TypeError, r"int32"),
        (lambda: ad.mean(ad.tensor([1, 2])), TypeError, r"mean.*int64"),
    ],
    ids=lambda v: None if callable(v) or isinstance(v, type) else v,
)
def test_bad_input_is_refused_with_a_message_naming_it(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_backward_of_a_non_scalar_needs_a_gradient():
    y = f64((2, 3)) * 2.0
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\).*gradient"):
        y.backward()


def test_gradient_of_the_wrong_shape_is_refused():
    y = f64((2, 3)) * 2.0
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(ad.ones(3))


def test_backward_through_nothing_that_requires_grad():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (f64((2,), requires_grad=False) * 2).sum().backward()


def test_second_backward_names_retain_graph():
    y = (f64((2,)).exp()).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*retain_graph=True"):
        y.backward()


def test_in_place_update_of_a_tensor_that_requires_grad():
    x = f64((2,))
    with pytest.raises(RuntimeError, match="add_.*no_grad"):
        x.add_(1.0)
    with ad.no_grad():
        x.add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0])


def test_grad_of_an_input_that_does_not_require_grad():
    x = f64((2,), requires_grad=False)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        ad.grad((f64((2,)) * x).sum(), [x])


def test_gradcheck_needs_float64():
    with pytest.raises(TypeError, match="float32"):
        ad.gradcheck(lambda t: t * 2, (ad.tensor([1.0], requires_grad=True),))


def test_gradcheck_perturbs_a_non_contiguous_input():
    # a transposed input: a flat view of it would be a copy the function never sees
    base = np.arange(1.0, 7.0).reshape(2, 3)
    x = ad.tensor(base, requires_grad=True)
    x = x.detach().T.requires_grad_()  # a leaf over a transposed (non-contiguous) array
    assert not x.detach().numpy().flags.c_contiguous
    weights = ad.tensor(np.arange(6.0).reshape(3, 2) + 1.0)
    assert ad.gradcheck(lambda t: (t * t * weights).sum(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), base.T)  # restored after each perturbation


def test_custom_function_returning_the_wrong_number_of_gradients():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    out = Bad.apply(f64((2,)), f64((2,))).sum()
    with pytest.raises(RuntimeError, match=r"BadBackward.*1 gradients, expected 2"):
        out.backward()


def test_custom_function_returning_a_wrongly_shaped_gradient():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return ad.ones(5, dtype=ad.float64)

    with pytest.raises(RuntimeError, match=r"\(5,\).*\(2, 3\)"):
        Bad.apply(f64((2, 3))).sum().backward()


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda lib: lib.arange(12.0).reshape(3, 4).t(), (12,)),
        (lambda lib: lib.arange(12.0).reshape(3, 4)[:, 1:3], (6,)),
        (lambda lib: lib.arange(24.0).reshape(2, 3, 4).permute(0, 2, 1), (2, 12)),
    ],
)
def test_view_never_copies_and_refuses_as_torch(make, shape):
    """view shares storage or raises torch's error (a copy would not see later writes);
    reshape copies there; where the strides allow it, view shares (writes go through)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        make(torch).view(shape)
    with pytest.raises(RuntimeError, match="view size is not compatible.*Use .reshape"):
        make(ad).view(shape)
    assert make(ad).reshape(shape).tolist() == make(torch).reshape(shape).tolist()
    base = ad.arange(12.0).reshape(3, 4)[:, 1:3]
    split = base.view(3, 2, 1)  # a view these strides allow
    split[0, 0, 0] = 100.0
    assert base[0, 0].item() == 100.0
