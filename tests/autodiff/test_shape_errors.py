"""The engine's commonest mistakes get messages naming the op, the shapes as tuples and what to
do: binary ops that do not broadcast (one shared check), ragged lists, argmax of nothing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad

torch = pytest.importorskip("torch")

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": ad.maximum,
    "minimum": ad.minimum,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


@pytest.mark.parametrize("name", list(BINARY))
def test_every_binary_op_names_itself_and_both_shapes(name):
    a, b = ad.ones(2, 3, requires_grad=True), ad.ones(4, 5)
    with pytest.raises(ValueError) as info:
        BINARY[name](a, b)
    message = str(info.value)
    assert message.startswith(f"{name}: shapes (2, 3) and (4, 5) do not broadcast"), message
    assert "sizes 3 vs 5 at dim -1" in message and "unsqueeze" in message


def test_where_names_all_three_shapes():
    with pytest.raises(ValueError, match=r"^where: shapes \(2, 3\) and \(4, 1\) and \(3,\)"):
        ad.where(ad.ones(3) > 0, ad.ones(2, 3), ad.ones(4, 1))


def test_the_first_mismatching_dim_is_named():
    with pytest.raises(ValueError, match=r"shapes \(3, 1, 2\) and \(4, 3\).*2 vs 3 at dim -1"):
        ad.ones(3, 1, 2) + ad.ones(4, 3)


@settings(max_examples=60, deadline=None)
@given(
    shapes=st.lists(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), min_size=2, max_size=2)
)
def test_the_check_agrees_with_torch_on_which_shapes_broadcast(shapes):
    a, b = (np.ones(s) for s in shapes)
    try:
        expected = tuple((torch.tensor(a) + torch.tensor(b)).shape)
    except RuntimeError:
        expected = None
    try:
        got = (ad.tensor(a) * ad.tensor(b)).shape
    except ValueError as e:
        assert expected is None and str(e).startswith("mul: shapes"), str(e)
        return
    assert tuple(got) == expected


@pytest.mark.parametrize(
    "data, where",
    [
        ([[1, 2], [3]], "at dim 1, length 2 and length 1"),
        ([[1.0, 2.0], 3.0], "at dim 1, length 2 and a number"),
        ([[[1, 2], [3, 4]], [[1, 2], [3]]], "at dim 2, length 2 and length 1"),
    ],
)
@pytest.mark.parametrize("dtype", [None, ad.float64])
def test_a_ragged_list_says_where(data, where, dtype):
    with pytest.raises(ValueError, match=r"^tensor: the nested list is ragged: ") as info:
        ad.tensor(data, dtype=dtype)
    assert where in str(info.value) and "same length" in str(info.value)
    with pytest.raises((ValueError, TypeError)):  # torch refuses them too
        torch.tensor(data)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_of_an_empty_tensor_as_torch(op):
    for call in (
        lambda m: getattr(m, op)(m.zeros(0)),
        lambda m: getattr(m, op)(m.zeros(0, 3), dim=0),
    ):
        with pytest.raises(IndexError) as ours:
            call(ad)
        with pytest.raises(IndexError) as theirs:
            call(torch)
        phrase = str(theirs.value).split(": ", 1)[1].rstrip(".")
        assert str(ours.value).startswith(f"{op}: {phrase}"), (str(ours.value), phrase)
    for kwargs in ({"dim": 1}, {"dim": -1, "keepdim": True}):
        ours = getattr(ad, op)(ad.zeros(0, 3), **kwargs)
        theirs = getattr(torch, op)(torch.zeros(0, 3), **kwargs)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == np.int64
    assert getattr(ad, op)(ad.tensor(3.0), dim=0).item() == 0
    assert getattr(ad, op)(ad.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=-1).tolist() == (
        getattr(torch, op)(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=-1).tolist()
    )


def test_the_clash_is_found_at_any_dim():
    with pytest.raises(ValueError, match=r"^sub: shapes \(2, 3\) and \(4, 3\) .*2 vs 4 at dim -2"):
        ad.ones(2, 3) - ad.ones(4, 3)
    with pytest.raises(ValueError, match=r"^maximum: shapes \(5, 2, 1\) and \(3, 1, 1\)"):
        ad.maximum(ad.ones(5, 2, 1), ad.ones(3, 1, 1))


def test_other_value_errors_of_a_forward_pass_through_unchanged():
    class Fake(ad.Function):
        broadcasts = "fake"

        @staticmethod
        def forward(ctx, input, other):
            raise ValueError("something else")

    with pytest.raises(ValueError, match="^something else$"):
        Fake.apply(ad.ones(2, 1), ad.ones(3, requires_grad=True))
    with pytest.raises(ValueError, match=r"^fake: shapes \(2,\) and \(3,\)"):
        Fake.apply(ad.ones(2), ad.ones(3))
