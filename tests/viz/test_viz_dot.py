"""DOT text of the lecture's exercises and of tricky graphs, read back and checked."""

import numpy as np
import pytest
from dotparse import by_name, field, number, parse

import autodiff as ad
import viz
from autodiff_cli import exercises


def _leaf(v, name=None):
    return ad.tensor(v, dtype=ad.float64, requires_grad=True, name=name)


def test_add_mul_reads_like_the_slide():
    f, t = exercises.add_mul()
    nodes, edges = parse(viz.to_dot(f))
    named = by_name(nodes)
    for name in ("x", "y", "z", "q", "f"):
        assert number(field(named[name], "value")) == t[name].item() if name != "f" else True
        expected = 1.0 if name == "f" else t[name].grad.item()
        assert number(field(named[name], "grad")) == expected
    assert number(field(named["q"], "value")) == 3 and number(field(named["f"], "value")) == -12
    assert [number(field(named[n], "grad")) for n in "xyz"] == [-4, -4, 3]
    ops = {i: n["lines"] for i, n in nodes.items() if i.startswith("op")}
    assert sorted(lines[0] for lines in ops.values()) == ["+", "×"]
    assert sorted(lines[1] for lines in ops.values()) == ["AddBackward0", "MulBackward0"]
    labels = sorted(a["label"] for _, _, a in edges if "label" in a)
    # chain rule: local derivative × upstream = contribution, one edge per input slot
    assert labels == sorted(["−4 × 1 = −4", "3 × 1 = 3", "1 × −4 = −4", "1 × −4 = −4"])


def _ids(nodes):
    return {n["lines"][0]: i for i, n in nodes.items() if i.startswith("d")}


def test_add_mul_edges_follow_the_graph():
    f, _ = exercises.add_mul()
    nodes, edges = parse(viz.to_dot(f))
    ids = _ids(nodes)
    pairs = {(s, d) for s, d, _ in edges}
    mul = next(i for i, n in nodes.items() if n["lines"][0] == "×")
    add = next(i for i, n in nodes.items() if n["lines"][0] == "+")
    assert {
        (ids["q"], mul),
        (ids["z"], mul),
        (mul, ids["f"]),
        (ids["x"], add),
        (ids["y"], add),
        (add, ids["q"]),
    } == pairs


@pytest.mark.parametrize("fused", [True, False])
def test_sigmoid_neuron(fused):
    s, leaves = exercises.sigmoid_neuron(fused=fused)
    nodes, edges = parse(viz.to_dot(s))
    named = by_name(nodes)
    assert number(field(named["s"], "value")) == pytest.approx(s.item(), rel=1e-4)
    assert number(field(named["z"], "value")) == 1
    for name, leaf in leaves.items():
        assert number(field(named[name], "grad")) == pytest.approx(leaf.grad.item(), rel=1e-3)
    symbols = sorted(n["lines"][0] for i, n in nodes.items() if i.startswith("op"))
    if fused:
        assert "σ" in symbols and "exp" not in symbols
    else:
        assert {"exp", "÷", "−"} <= set(symbols) and "σ" not in symbols
        consts = [n for i, n in nodes.items() if i.startswith("c")]
        assert sorted(n["lines"] for n in consts) == [["const", "1"], ["const", "1"]]
    for _, _, attrs in edges:  # every chain-rule label multiplies out
        if " = " in attrs.get("label", ""):
            left, right = attrs["label"].split(" = ")
            local, up = (number(v) for v in left.split(" × "))
            assert local * up == pytest.approx(number(right), rel=1e-3, abs=1e-4)


def test_text_is_identical_across_runs():
    texts = {viz.to_dot(exercises.sigmoid_neuron(fused=False)[0]) for _ in range(3)}
    assert len(texts) == 1
    assert "0x" not in texts.pop()  # no memory addresses


def test_x_times_x_has_two_edges_and_constants_are_drawn():
    x = _leaf(3.0, "x")
    y = x * x * 2.0
    y.backward()
    nodes, edges = parse(viz.to_dot(y))
    xid = _ids(nodes)["x"]
    assert sum(1 for s, _, _ in edges if s == xid) == 2
    consts = [n["lines"] for i, n in nodes.items() if i.startswith("c")]
    assert consts == [["const", "2"]]
    labels = sorted(a.get("label") for s, _, a in edges if s == xid)
    assert labels == ["3 × 2 = 6", "3 × 2 = 6"]  # each slot's own contribution
    assert number(field(by_name(nodes)["x"], "grad")) == 12


def test_significant_digits_never_zero():
    w = _leaf(14.15, "w")
    y = ad.sigmoid(w)
    y.backward()
    named = by_name(parse(viz.to_dot(y, digits=3))[0])
    text = field(named["w"], "grad")
    assert text == "7.16e-07"  # σ'(14.15) = e^-14.15 / (1 + e^-14.15)^2, not 0.0000
    assert number(text) == pytest.approx(w.grad.item(), rel=1e-3)


def _state(node):
    return node["fillcolor"]


def test_gradient_states_are_told_apart_with_a_legend():
    a, b, c, d = _leaf(-1.0, "dead"), _leaf(30.0, "tiny"), _leaf(1.0, "unused"), _leaf(1.0, "big")
    y = ad.relu(a) + ad.sigmoid(b) + d * 1e4
    c2 = c * 2  # never reaches the output: not computed
    y.backward()
    nan = _leaf(0.0, "nan")
    z = ad.sqrt(nan)
    with np.errstate(divide="ignore"):  # d√x/dx at 0 is infinite: the state under test
        z.backward()
    named = by_name(parse(viz.to_dot(y))[0])
    fills = {n: _state(named[n]) for n in ("dead", "tiny", "big")}
    assert len(set(fills.values())) == 3
    dot = viz.to_dot(y)
    for text in ("exactly zero", "vanishing", "exploding"):
        assert text in dot
    assert "NaN / Inf" in viz.to_dot(z)
    assert "not computed" in viz.to_dot(c2)
    assert field(by_name(parse(viz.to_dot(c2))[0])["unused"], "grad") == "—"
    assert "legend" not in viz.to_dot(y, legend=False)


def test_views():
    f, _ = exercises.add_mul()
    forward, backward = viz.to_dot(f, show="forward"), viz.to_dot(f, show="backward")
    seen = [line for n in parse(forward)[0].values() for line in n["lines"]]
    assert "value −12" in seen and not [s for s in seen if "grad" in s or "Backward" in s]
    seen = [line for n in parse(backward)[0].values() for line in n["lines"]]
    assert "grad −4" in seen and not [s for s in seen if s.startswith("value")]
    assert "AccumulateGrad" in seen and "MulBackward0" in seen
    _, edges = parse(backward)
    assert all(a.get("dir") == "back" for _, _, a in edges)  # arrows along the gradient flow
    assert sorted(a["label"] for _, _, a in edges if "label" in a) == sorted(
        ["−4", "−4", "−4", "3"]
    )
    with pytest.raises(ValueError, match="show must be"):
        viz.to_dot(f, show="sideways")


def test_saved_tensors_shown_and_freed_after_backward():
    x, w = _leaf(2.0, "x"), _leaf(3.0, "w")
    y = ad.sigmoid(x * w)
    before = viz.to_dot(y, show_saved=True)
    assert "saved input 0 (x)" in before and "saved input 1 (w)" in before
    assert "saved output" in before
    nodes, _ = parse(before)
    assert len([i for i in nodes if i.startswith("s")]) == 3  # never merged into the inputs
    y.backward()
    after = viz.to_dot(y, show_saved=True)
    assert after.count("saved values freed") == 2
    assert "saved" not in viz.to_dot(y)


def test_large_tensors_show_norms_and_record_keeps_intermediates():
    x = _leaf(np.arange(40.0).reshape(4, 10) / 10, "x")
    h = ad.tanh(x)
    y = h.sum()
    y.backward()
    named = by_name(parse(viz.to_dot(y))[0])
    assert field(named["x"], "value").startswith("‖·‖")
    hid = by_name(parse(viz.to_dot(y))[0])["tanh(x)"]  # a default name from op and input
    assert field(hid, "grad") == "(not kept)"  # computed, too big to keep outside record()
    with viz.record():
        h = ad.tanh(x)
        y = h.sum()
        y.backward()
    hid = by_name(parse(viz.to_dot(y))[0])["tanh(x)"]
    assert field(hid, "grad").startswith("‖·‖")


def _chain(n):
    y = _leaf(0.5, "x")
    for _ in range(n):
        y = y * 1.0
    return y


def test_to_dot_of_a_long_chain_is_linear_work(lines_run):
    small, big = _chain(1_000), _chain(10_000)
    work_small, _ = lines_run(lambda: viz.to_dot(small, max_nodes=None, legend=False))
    work_big, full = lines_run(lambda: viz.to_dot(big, max_nodes=None, legend=False))
    assert full.count("->") == 30_000  # per op: its input, its constant 1.0, its output
    assert 9 * work_small < work_big < 12 * work_small, (work_small, work_big)  # not ~100x
    short = viz.to_dot(big)
    nodes, _ = parse(short)
    assert len([i for i in nodes if i != "legend"]) == 200 and f"{30_001 - 199} more nodes" in short


def test_output_that_is_a_leaf():
    x = _leaf(1.5, "x")
    nodes, edges = parse(viz.to_dot(x, legend=False))
    assert list(nodes) == ["d0"] and edges == []
    assert nodes["d0"]["lines"][0] == "x" and field(nodes["d0"], "grad") == "—"
