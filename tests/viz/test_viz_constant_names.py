"""A tensor's name always shows, also on a tensor that needs no grad (no names= needed)."""

import autodiff as ad
import viz


def test_a_named_constant_tensor_shows_its_name():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    x = ad.tensor([3.0, 4.0], name="x")
    y = (w * x).sum()
    y.backward()
    dot = viz.to_dot(y)
    const = [line for line in dot.splitlines() if "const" in line]
    assert len(const) == 1 and "<b>x</b>" in const[0]


def test_an_unnamed_constant_stays_a_plain_const():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    y = (w * ad.tensor([3.0, 4.0])).sum()
    const = [line for line in viz.to_dot(y).splitlines() if "const" in line]
    assert len(const) == 1 and "<b>" not in const[0]
