"""The seeds' pictures as `dot` draws them: they fit a page, names show, zeros are marked."""

import re

import numpy as np
import pytest
import seeds
from dotparse import by_name, parse

import autodiff as ad
import viz
from viz import cells, layout, render

needs_dot = pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
SVG_SIZE = re.compile(r'<svg width="(\d+)pt" height="(\d+)pt"')


def _svg(name, **options) -> str:
    out, params, names = seeds.ALL[name]()
    return render.dot_to(viz.to_dot(out, params=params, names=names, **options), "svg").decode()


def _size(svg) -> tuple:
    w, h = SVG_SIZE.search(svg).groups()
    return int(w), int(h)


@needs_dot
@pytest.mark.parametrize("name", sorted(seeds.ALL))
def test_every_seed_picture_fits_a_page_at_normal_label_size(name):
    svg = _svg(name)
    width, _ = _size(svg)
    assert width <= layout.PAGE, (name, width)
    assert 'viewBox="0.00 0.00' in svg and "scale(1 1)" in svg  # drawn at 100%, not shrunk
    sizes = {float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)}
    assert max(sizes) >= 14 and min(sizes) >= 6  # labels at their normal sizes


@needs_dot
def test_options_override_the_fitted_layout():
    fitted = _size(_svg("sigmoid_gates"))
    wide = _size(_svg("sigmoid_gates", rankdir="LR"))
    assert fitted[0] <= layout.PAGE < wide[0]  # LR is what did not fit
    assert 'rankdir="LR"' in viz.to_dot(seeds.add_mul()[0])  # the slide's direction fits


@needs_dot
def test_names_show_and_a_dead_relu_column_is_marked_in_the_svg():
    svg = _svg("dying_relu")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for name in ("x", "M", "W_out", "x @ M", "ReLU(x @ M)"):
        assert name.replace("@", "@") in [t.replace("&#64;", "@") for t in texts], name
    # M's gradient: the dead unit's column is exactly zero, each cell written "0"
    out, params, names = seeds.dying_relu()
    dot = viz.to_dot(out, params=params, names=names)
    m_label = next(
        line for line in dot.splitlines() if line.startswith("\td") and "<b>M</b>" in line
    )
    grad_table = m_label[m_label.index("grad ±") :]
    assert grad_table.count(f">{cells.ZERO_MARK}</font>") == 3  # 3 rows of the dead column
    assert svg.count(f">{cells.ZERO_MARK}</text>") >= 3 + 2 + 3  # M, its value row, W_out


def test_a_named_constant_and_default_names():
    x = ad.tensor([[1.0, 2.0]], dtype=ad.float64, name="x")  # needs no grad
    w = ad.tensor([[0.5], [-1.0]], dtype=ad.float64, requires_grad=True, name="w")
    h = x @ w
    y = ad.relu(h).sum()
    y.backward()
    named = by_name(parse(viz.to_dot(y, names={"x": x}))[0])
    assert {"w", "x @ w", "ReLU(x @ w)"} <= set(named)
    consts = [n for i, n in parse(viz.to_dot(y, names={"x": x}))[0].items() if i.startswith("c")]
    assert consts[0]["lines"][0] == "x const"
    viz.name(h, "h")
    assert "ReLU(h)" in by_name(parse(viz.to_dot(y))[0])
    with pytest.raises(TypeError, match="names="):
        viz.to_dot(y, names={"h": 3.0})


def test_heatmap_marks_zero_nan_and_inf():
    grid = cells.as_grid(np.array([[0.0, np.nan], [np.inf, -2.0]]))
    table = cells.heat_table(grid, "grad")
    assert table.count(f">{cells.ZERO_MARK}</font>") == 1
    assert ">N</font>" in table and ">∞</font>" in table
    assert cells.colour(-2.0, 2.0) == "#2166ac" and cells.colour(0.0, 2.0) == "#ffffff"
    assert cells.colour(1.0, 2.0) == "#d88c95"  # halfway to red
    assert cells.as_grid(np.zeros((17, 2))) is None and cells.as_grid(np.zeros(3)).shape == (1, 3)


def test_large_tensors_show_statistics_and_a_sparkline():
    w = ad.tensor(np.linspace(-1, 1, 400).reshape(20, 20), dtype=ad.float64, requires_grad=True)
    w.name = "W"
    y = (ad.relu(w) * 2.0).sum()
    y.backward()
    lines = by_name(parse(viz.to_dot(y))[0])["W"]["lines"]
    text = " ".join(lines)
    assert "mean 0" in text and "min −1  max 1" in text
    grad_stats = next(line for line in lines if line.startswith("grad: "))
    assert "mean 1" in grad_stats  # the relu passes half: grad 2 on half of the entries
    assert "zeros 50%" in text
    assert any(set(line) <= set(cells.BARS) and len(line) == 16 for line in lines)


@needs_dot
def test_a_long_chain_folds_into_columns_that_fit_the_page():
    x = ad.tensor(0.5, dtype=ad.float64, requires_grad=True, name="x")
    y = x
    for _ in range(12):
        y = ad.tanh(y * 1.5)
    y.backward()
    folded = viz.to_dot(y)
    assert 'constraint="false"' in folded and "[style=invis]" in folded
    width, height = _size(render.dot_to(folded, "svg").decode())
    _, straight = _size(render.dot_to(viz.to_dot(y, rankdir="TB"), "svg").decode())
    assert width <= layout.PAGE and height < 0.7 * straight
    assert 'constraint="false"' not in viz.to_dot(y, rankdir="TB")  # an option overrides


@needs_dot
def test_mlp_collapsed_into_modules_fits_and_names_its_layers():
    svg = _svg("mlp5", max_nodes=20)  # one summary node per module
    assert _size(svg)[0] <= layout.PAGE
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    titles = [t.replace("&#45;&gt;", "->").replace("-&gt;", "->") for t in texts]
    for title in ("0: Linear(6->8)", "2: Linear(8->8)", "8: Linear(8->3)"):
        assert title in titles, title
