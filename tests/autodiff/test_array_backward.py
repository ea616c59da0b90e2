"""First-order backward on NumPy arrays (Function.array_backward) and on Tensors otherwise."""

import contextlib
from unittest import mock

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from optable import ROWS, case, leaves, upstream

import autodiff as ad
from autodiff.errors import DtypeError
from autodiff.function import Function

SEEN = []


def _scaled(array_backward: bool):
    class Scale(Function):
        """3x, recording what its backward was handed."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input * 3.0

        @staticmethod
        def backward(ctx, grad):
            (input,) = ctx.saved_tensors
            SEEN.append((type(grad), type(input)))
            return grad * 3.0

    Scale.array_backward = array_backward
    return Scale


@pytest.mark.parametrize("array_backward", [False, True])
def test_first_order_hands_arrays_only_to_functions_that_ask(array_backward):
    SEEN.clear()
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    _scaled(array_backward).apply(x).sum().backward()
    kind = np.ndarray if array_backward else ad.Tensor
    assert SEEN == [(kind, kind)]
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 3.0])
    assert type(x.grad) is ad.Tensor and x.grad.grad_fn is None


def test_create_graph_runs_an_array_formula_on_tensors_and_differentiates_it():
    SEEN.clear()
    Cube = _cube()
    x = ad.tensor([2.0], dtype=ad.float64, requires_grad=True)
    (g,) = ad.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert SEEN == [(ad.Tensor, ad.Tensor)]
    (gg,) = ad.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [12.0])  # 3x²
    np.testing.assert_allclose(gg.detach().numpy(), [12.0])  # 6x


def _cube():
    class Cube(Function):
        array_backward = True

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input**3

        @staticmethod
        def backward(ctx, grad):
            (input,) = ctx.saved_tensors
            SEEN.append((type(grad), type(input)))
            return grad * 3.0 * input * input

    return Cube


def test_ad_grad_and_hooks_see_tensors_while_the_formulas_see_arrays():
    seen = []
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.register_hook(lambda g: seen.append(type(g)) or g * 2.0)
    (g,) = ad.grad(y.sum(), x)
    assert seen == [ad.Tensor] and type(g) is ad.Tensor
    np.testing.assert_array_equal(g.detach().numpy(), [4.0, 8.0])  # 2 · 2x


def test_a_broadcast_gradient_reduced_in_array_form_keeps_dtype_and_shape():
    b = ad.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1) against (2, 3)
    (ad.ones(2, 3) * b).sum().backward()
    assert b.grad.shape == (2, 1) and b.grad.dtype == np.float32
    np.testing.assert_array_equal(b.grad.detach().numpy(), [[3.0], [3.0]])


def test_gradients_of_two_leaves_never_share_memory():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = ad.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands the same gradient array to both edges
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.detach().numpy(), [1.0, 1.0])


def test_tensor_sum_and_mean_take_numpys_keepdims_and_swapaxes_swaps():
    t = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.sum(axis=1, keepdims=True).shape == (2, 1)
    assert t.mean(1, keepdims=True).shape == (2, 1)
    assert t.swapaxes(0, 1).shape == (3, 2) and t.swapdims(0, 1).shape == (3, 2)


def test_numpy_names_match_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(6.0).reshape(2, 3)
    ours, theirs = ad.tensor(data), torch.tensor(data)
    np.testing.assert_array_equal(
        ours.sum(axis=1, keepdims=True).detach().numpy(),
        theirs.sum(axis=1, keepdims=True).detach().numpy(),
    )
    np.testing.assert_array_equal(
        ours.swapaxes(0, 1).detach().numpy(), theirs.swapaxes(0, 1).detach().numpy()
    )
    np.testing.assert_array_equal(
        ours.swapdims(1, 0).detach().numpy(), theirs.swapdims(1, 0).detach().numpy()
    )


def test_retained_gradients_are_copies_even_where_a_formula_passes_its_gradient_on():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y.clone()  # CloneBackward hands its gradient on as it is
    y.retain_grad()
    z.retain_grad()
    z.sum().backward()
    assert not np.shares_memory(y.grad.detach().numpy(), z.grad.detach().numpy())
    z.grad.add_(5.0)
    np.testing.assert_array_equal(y.grad.detach().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 2.0])


@pytest.mark.parametrize("op", [row for row in ROWS if row.second_order], ids=str)
@settings(max_examples=max(3, settings.default.max_examples // 8))
@given(data=st.data())
def test_first_order_on_arrays_equals_the_formula_on_tensors(op, data):
    """The two ways an op's formula runs, on arrays (first order, the fast path) and on Tensors
    (create_graph=True, recorded, as ad.compile's trace runs it): the same gradients, bitwise."""
    arrays, kwargs = data.draw(case(op), label="inputs")
    for dtype in (np.float64, np.float32):
        runs = []
        for create_graph in (False, True):
            ts = leaves(arrays, dtype)
            try:
                out = op.fn(*ts, **kwargs)
            except DtypeError:  # float32: a row whose call adds float64 operands of its own
                assert dtype == np.float32
                return
            grad = ad.tensor(upstream(out.shape, 3, out.dtype))
            grads = ad.grad(out, ts, grad, create_graph=create_graph, allow_unused=True)
            runs.append([None if g is None else g.detach().numpy() for g in grads])
        scalars = all(np.ndim(a) == 0 for a in arrays)
        for on_arrays, on_tensors in zip(*runs):
            assert (on_arrays is None) == (on_tensors is None)
            if on_arrays is None:
                continue
            if scalars:  # on 0-d values a formula on arrays meets NumPy scalars, whose ** is
                # libm's pow, the recorded op np.power's vectorised one: 1 ulp apart at times
                # (logaddexp2; ad.compile replays such formulas as eager runs them)
                np.testing.assert_array_max_ulp(on_arrays, on_tensors, maxulp=1)
            else:
                assert on_arrays.tobytes() == on_tensors.tobytes(), dtype


SPECIAL = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1.5, -2.25, 1e-45, 3e38]


@settings(max_examples=80, deadline=None)
@given(
    dtype=st.sampled_from([np.float16, np.float32, np.float64, np.int32]),
    values=st.lists(st.sampled_from(SPECIAL) | st.floats(-1e6, 1e6), min_size=1, max_size=24),
    taken=st.lists(st.booleans(), min_size=24, max_size=24),
    zero=st.sampled_from([0, 0.0, 1.0]),
    zero_first=st.booleans(),
    layout=st.sampled_from(["contiguous", "reversed", "broadcast", "int condition"]),
    split=st.booleans(),
)
@example(  # a mask that differs from its mirror image, in chunks between threads
    dtype=np.float32,
    values=[1.0, -2.0, 3.0, 4.5, 0.0, 6.0],
    taken=[True, False] * 3 + [False] * 18,
    zero=0,
    zero_first=True,
    layout="contiguous",
    split=True,
)
def test_where_kernel_gives_np_where_bits(dtype, values, taken, zero, zero_first, layout, split):
    """Where's kernel (a masked gradient's bits ANDed with the mask, eager and compiled) is
    np.where, bit for bit: NaN, inf and -0 kept where taken, +0 elsewhere; other dtypes,
    other numbers, a broadcasting or non-bool condition go to np.where itself; the same
    in chunks between threads (split)."""
    from autodiff.ops.elementwise import _where_array

    with np.errstate(all="ignore"):
        array = np.array(values, dtype=np.float64).astype(dtype)
    condition = np.array(taken[: array.size])
    if layout == "reversed":  # a strided view
        array = array[::-1]
    elif layout == "broadcast":
        condition = condition[:1]
    elif layout == "int condition":  # np.where takes any nonzero as true
        condition = condition.astype(np.uint8) * 2
    args = (condition, zero, array) if zero_first else (condition, array, zero)
    with split_between_threads(split) as chunks:
        got = _where_array(*args)
    want = np.where(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    kernel = dtype != np.int32 and zero == 0 and layout in ("contiguous", "reversed")
    assert (len(chunks) > 1) == (split and kernel and layout == "contiguous" and array.size > 1)


@contextlib.contextmanager
def split_between_threads(split: bool):
    """Inside: passes of any size split between 3 threads in chunks of at most 3 values (if
    split); yields the list of chunks over_batch ran."""
    from autodiff import threads

    chunks, over_batch = [], threads.over_batch

    def spying(work, n, values):
        over_batch(lambda a, b: (chunks.append((a, b)), work(a, b)), n, values)

    if not split:
        yield chunks
        return
    with (
        mock.patch.dict(threads._state, chosen=3),
        mock.patch.multiple(threads, WORTH_SPLITTING=0, CHUNK=3, over_batch=spying),
    ):
        yield chunks


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.float16, np.float32, np.float64, np.int64]),
    values=st.lists(st.sampled_from(SPECIAL) | st.floats(-1e6, 1e6), min_size=1, max_size=24),
    reverse=st.booleans(),
    split=st.booleans(),
)
@example(dtype=np.float32, values=[1.0, -2.0, 3.0, -4.0, 5.0, 0.5, -0.0], reverse=False, split=True)
def test_relu_forward_in_chunks_gives_np_maximum_bits(dtype, values, reverse, split):
    """relu's forward (split_unary of np.maximum) is np.maximum(x, 0) bit for bit (NaN kept,
    -0 as NumPy gives it), in chunks between threads or not; a strided view or an integer
    array is one call."""
    from autodiff.ops.elementwise import split_unary

    with np.errstate(all="ignore"):
        array = np.array(values, dtype=np.float64).astype(dtype)
    array = array[::-1] if reverse else array
    with split_between_threads(split) as chunks:
        got = split_unary(np.maximum, array, 0)
    want = np.maximum(array, 0)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    chunked = split and dtype != np.int64 and not reverse and array.size > 1
    assert (len(chunks) > 1) == chunked
    if chunked:  # each value in one chunk
        assert sorted(i for a, b in chunks for i in range(a, b)) == list(range(array.size))
