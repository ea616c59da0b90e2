"""backward_steps follows the engine's real backward order; frames save as SVG/HTML/GIF."""

import importlib
import re

import numpy as np
import pytest
from dotparse import by_name, field, parse

import autodiff as ad
import viz
from autodiff.graph import AccumulateGrad
from autodiff_cli import exercises
from viz.layers import Layers
from viz.trace import children


def _all_nodes(root):
    seen, stack = {root}, [root]
    while stack:
        for child in children(stack.pop()):
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _real_order(output):
    """The order the engine actually runs nodes: prehooks on ops, tensor hooks on leaves."""
    order = []
    for node in _all_nodes(output.grad_fn):
        if isinstance(node, AccumulateGrad):
            node.variable.register_hook(lambda g, n=node: order.append(n))
        else:
            node.register_prehook(lambda g, n=node: order.append(n))
    output.backward()
    return order


def _graphs():
    a = ad.tensor([0.5, -1.0, 2.0], dtype=ad.float64, requires_grad=True, name="a")
    b = ad.tensor(1.5, dtype=ad.float64, requires_grad=True, name="b")
    diamond = ad.tanh(a * b) * ad.sigmoid(a + b) + a * a  # shared leaves, fan-out, diamonds
    yield diamond.sum()
    s = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)
    yield exercises_like_gates(s)
    x = ad.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=ad.float64, requires_grad=True)
    w = ad.tensor(np.ones((3, 2)), dtype=ad.float64, requires_grad=True)
    h = ad.relu(x @ w)
    yield (ad.exp(-h) + h * 0.5).mean() + (x * x).sum()


def exercises_like_gates(w):
    z = w * 2.0 + w
    return 1 / (1 + ad.exp(-z))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_order_equals_the_engines_real_order(index):
    output = list(_graphs())[index]
    predicted = viz.backward_order(output.grad_fn)
    assert _real_order(output) == predicted
    assert len(predicted) == len(_all_nodes(output.grad_fn))


def test_frames_follow_the_order_and_reveal_gradients():
    x, y, z = (
        ad.tensor(v, dtype=ad.float64, requires_grad=True, name=n)
        for v, n in ((-2.0, "x"), (5.0, "y"), (-4.0, "z"))
    )
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    expected = viz.backward_order(f.grad_fn)
    frames = list(viz.backward_steps(f))  # runs backward itself
    assert [fr.node for fr in frames] == expected
    assert x.grad.item() == -4 and z.grad.item() == 3
    assert frames[0].caption.startswith("MulBackward0 (f)")
    first, last = parse(frames[0].dot)[0], parse(frames[-1].dot)[0]
    named = by_name(first)
    # step 1 runs f's node: q and z receive their parts, x and y wait
    assert [field(named[n], "grad") for n in "fqzxy"] == ["1", "−4", "3", "…", "…"]
    assert all(field(n, "grad") != "…" for n in by_name(last).values())
    assert named["f"]["penwidth"] == "3" and named["q"].get("penwidth") is None
    assert "?" not in "".join(fr.dot for fr in frames)


def test_no_edge_carries_a_number_into_a_node_still_waiting():
    a = ad.tensor(2.0, dtype=ad.float64, requires_grad=True, name="a")
    b = a * 3.0
    b.name = "b"
    c = b * b + ad.exp(b)  # b feeds three slots: its gradient comes in parts
    c.name = "c"
    partial_seen = False
    for frame in viz.backward_steps(c):
        nodes, edges = parse(frame.dot)
        for src, _, attrs in edges:
            if "label" in attrs and src in nodes and src.startswith("d"):
                assert field(nodes[src], "grad") != "…", (frame.caption, src)
        b_grad = field(by_name(nodes)["b"], "grad")
        partial_seen |= bool(re.fullmatch(r"[12]/3 …", b_grad))
    assert partial_seen  # b showed "k/3 …" while its three parts were arriving


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_every_frame_has_the_same_size_and_positions():
    s, _ = exercises.sigmoid_neuron(fused=False)
    frames = list(viz.backward_steps(s))
    sizes = {re.search(r'<svg width="(\w+)" height="(\w+)"', f.svg()).groups() for f in frames}
    assert len(sizes) == 1, sizes
    node = re.compile(r"^\t+(\w+) \[label=<.* pos=\"([^\"]+)\"", re.M)
    pos = [sorted(node.findall(f.pinned)) for f in frames]
    assert pos[0] and all(p == pos[0] for p in pos)
    assert frames[0].formula.startswith("∂s/∂s = 1")
    leaf = next(f for f in frames if f.caption.startswith("AccumulateGrad (w0)"))
    assert leaf.formula == "w0.grad = ∂s/∂w0 = −0.1966"


def test_steps_of_a_leaf_raise():
    with pytest.raises(ValueError, match="leaf"):
        list(viz.backward_steps(ad.tensor(1.0, requires_grad=True)))


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_save_steps_writes_numbered_svgs_and_a_page(tmp_path):
    f, _ = exercises.add_mul()
    paths = viz.save_steps(f, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == [
        "step_001.svg",
        "step_002.svg",
        "step_003.svg",
        "step_004.svg",
        "step_005.svg",
        "steps.html",
    ]
    page = (tmp_path / "steps.html").read_text()
    assert page.count("<svg") == 1 and "AccumulateGrad (x)" in page  # one picture
    frames = list(viz.backward_steps(f))
    for i, frame in enumerate(frames):  # put together from layers, as Graphviz draws each frame
        assert (tmp_path / f"step_{i + 1:03d}.svg").read_text() == frame.svg()


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_frames_put_together_from_layers_equal_graphviz_frames_with_partial_states():
    a = ad.tensor(2.0, dtype=ad.float64, requires_grad=True, name="a")
    b = a * 3.0
    b.name = "b"
    c = b * b + ad.exp(b)  # b's gradient comes in three parts: "1/3 …", "2/3 …"
    c.name = "c"
    frames = list(viz.backward_steps(c))
    plan = frames[0].plan
    layers = Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
    assert any(isinstance(key, int) for step in layers.changes for _, key in step)  # k of n
    for i, frame in enumerate(frames):
        assert layers.frame_svg(i) == frame.svg(), frame.caption
    # a frame costs what changes: a step touches a handful of elements, not the whole graph
    assert max(len(step) for step in layers.changes) <= 7 < len(layers.first)


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_a_long_backward_is_bounded_and_says_so(tmp_path):
    def chain():  # 40 mul-tanh pairs, a sum and the leaf: 82 backward steps
        y = ad.randn(3, requires_grad=True)
        for _ in range(40):
            y = (y * 1.01).tanh()
        return y.sum()

    with pytest.raises(ValueError, match=r"this backward has 82 steps, more than max_steps=50"):
        viz.save_steps(chain(), tmp_path, max_steps=50)
    with pytest.raises(ValueError, match="max_steps=82 to draw it anyway"):
        viz.steps(chain(), max_steps=50)
    assert list(tmp_path.iterdir()) == []
    with pytest.warns(UserWarning, match="82 steps: the numbered SVG files are written for up"):
        paths = viz.save_steps(chain(), tmp_path)
    assert [p.name for p in paths] == ["steps.html"]
    page = paths[0].read_text()
    assert page.count("<svg") == 1 and len(page) < 1_000_000  # one picture, not 82


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_gif_when_pillow_is_there(tmp_path):
    image = pytest.importorskip("PIL.Image")
    f, _ = exercises.add_mul()
    frames = list(viz.backward_steps(f))
    path = viz.save_gif(frames, tmp_path / "steps.gif")
    with image.open(path) as gif:
        assert gif.n_frames == len(frames)


def test_formulas_name_tensors_as_the_picture_does():
    import seeds

    loss, params, names = seeds.dying_relu()
    frames = list(viz.backward_steps(loss, params=params, names=names))
    formulas = [f.formula for f in frames]
    assert (
        formulas[0] == "∂L/∂L = 1 (the start)\n∂L/∂log_softmax(·) = [[−1, 0, 0]] × 1 = [[−1, 0, 0]]"
    )
    # M's dead column, as backward computes it (and as the seed writes it: xᵀ × ∇_h L)
    expected = (
        "∂L/∂M = ∂L/∂(x @ M) · ∂(x @ M)/∂M = xᵀ @ [[−0.196, 0]] = "
        "[[−0.196, 0], [−0.294, 0], [−0.03919, 0]]"
    )
    assert expected in "\n".join(formulas).splitlines()
    # the upstream 0.3024 of the dead unit goes in, 0 comes out: ReLU's Jacobian
    assert "= [[−0.196, 0.3024]] · J = [[−0.196, 0]]" in "\n".join(formulas)
    # a matrix product names the other matrix, as the seed's ∇_ReLU L = W_outᵀ ∇_z L
    assert "[[−0.5333, 0.3547, 0.1786]] @ W_outᵀ = [[−0.196, 0.3024]]" in "\n".join(formulas)
    assert formulas[-1].startswith("M.grad = ∂L/∂M = ")


def test_stepper_without_graphviz_shows_its_steps_as_text(tmp_path, monkeypatch):
    f, _ = exercises.add_mul()
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, no neato
    stepper = viz.steps(f)
    assert len(stepper) == 5 and stepper._repr_html_() is None
    assert repr(stepper).splitlines()[:3] == [
        "1/5: MulBackward0 (f): gradient arrives, sent on to its inputs",
        "    ∂f/∂f = 1 (the start)",
        "    ∂f/∂q = −4 × 1 = −4",
    ]
    with pytest.raises(RuntimeError, match="Graphviz"):
        stepper.html()


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_the_page_keeps_every_piece_between_groups_and_each_group_is_whole():
    import nn

    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    loss = model(ad.ones(1, 2)).sum()
    frames = list(viz.backward_steps(loss, params=model))
    plan = frames[0].plan
    layers = Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
    page = viz.steps_html(frames)
    assert 'class="cluster"' in page  # the modules' boxes live between the groups
    for piece in layers.skeleton[1:]:
        assert piece.strip() in page
    for drawn in layers.groups.values():
        for _, group in drawn:  # a node's tooltip nests a group: the whole of it is taken
            assert group.count("<g") == group.count("</g>") and group.endswith("</g>")


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_partial_layers_stop_at_max_partial_and_past_it_a_node_shows_pending():
    from viz import layers as layers_module

    x = ad.tensor(1.5, dtype=ad.float64, requires_grad=True, name="x")
    y = x * 1.0
    for k in range(2, 11):  # x's gradient arrives in 10 parts
        y = y + x * float(k)
    frames = list(viz.backward_steps(y))
    plan = frames[0].plan
    layers = Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
    partial = {key for key in layers.groups if isinstance(key, int)}
    assert layers_module.MAX_PARTIAL == 8 and partial == set(range(1, 9))
    eighth = next(i for i, f in enumerate(frames) if "8/10 …" in f.dot)
    assert layers.frame_svg(eighth) == frames[eighth].svg()  # k = 8: drawn as it is
    ninth = next(i for i, f in enumerate(frames) if "9/10 …" in f.dot)
    assert layers.frame_svg(ninth) != frames[ninth].svg()  # k = 9: drawn as pending


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_the_stated_bounds_and_their_edges(tmp_path, monkeypatch):
    steps_module = importlib.import_module("viz.steps")
    assert steps_module.MAX_STEPS == 500 and steps_module.SVG_FILES == 60  # as README says
    f, _ = exercises.add_mul()  # 5 steps
    monkeypatch.setattr(steps_module, "SVG_FILES", 5)
    assert len(viz.save_steps(f, tmp_path / "five", max_steps=5)) == 6  # 5 SVGs and the page
    monkeypatch.setattr(steps_module, "SVG_FILES", 4)
    with pytest.warns(UserWarning, match="5 steps") as caught:
        f, _ = exercises.add_mul()
        assert len(viz.save_steps(f, tmp_path / "four")) == 1
    assert caught[0].filename == __file__  # the note points at the caller's line
    with pytest.raises(ValueError, match="more than max_steps=4"):
        viz.save_steps(exercises.add_mul()[0], tmp_path / "none", max_steps=4)


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_frames_without_a_shared_layout_and_saved_by_suffix(tmp_path, monkeypatch):
    steps_module = importlib.import_module("viz.steps")
    f, _ = exercises.add_mul()
    with monkeypatch.context() as m:
        m.setattr(steps_module.shutil, "which", lambda name: None)
        frames = list(viz.backward_steps(f))
    assert frames[0].pinned is None and frames[0].svg().lstrip().startswith("<?xml")
    frames[0].save(tmp_path / "alone.dot")
    assert (tmp_path / "alone.dot").read_text().startswith("digraph")
    pinned = list(viz.backward_steps(exercises.add_mul()[0]))[1]
    pinned.save(tmp_path / "frame.svg")
    pinned.save(tmp_path / "frame.dot")
    assert (tmp_path / "frame.svg").read_text() == pinned.svg()
    assert (tmp_path / "frame.dot").read_text() == pinned.dot


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_the_jupyter_frame_is_as_tall_as_the_header_and_the_picture():
    from viz import player

    stepper = viz.steps(exercises.add_mul()[0])
    html = stepper.html()
    expected = min(player.header_px(stepper.frames) + player.shown_height(html), 1400)
    assert f"height:{expected}px" in stepper._repr_html_()


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_the_page_holds_each_elements_versions_and_layers_must_agree(monkeypatch):
    frames = list(viz.backward_steps(exercises.add_mul()[0]))
    plan = frames[0].plan
    layers = Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
    page = layers.page_svg()
    for element, key in enumerate(layers.first):
        assert f'<g id="s{element}-{key}">' in page  # shown in the first frame
    for step in layers.changes:
        for element, key in step:
            assert f'<g id="s{element}-{key}"' in page
    layers_module = importlib.import_module("viz.layers")
    real = layers_module._draw

    def one_layer_short(graph, style, pins, key, order):
        svg = real(graph, style, pins, key, order)
        return svg.replace('class="node">', 'class="ignored">', 1) if key == "done" else svg

    monkeypatch.setattr(layers_module, "_draw", one_layer_short)
    with pytest.raises(RuntimeError, match="the 'done' layer drew other elements"):
        Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
