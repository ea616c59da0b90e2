"""viz speaks English or Vietnamese: one catalogue (viz/words.py), one option, every word."""

import re
import string

import numpy as np
import pytest
import seeds
from dotparse import by_name, field, parse

import autodiff as ad
import viz
from autodiff_cli import exercises
from viz import words

# English words a Vietnamese picture must not show (numbers, op names and node names stay)
ENGLISH = re.compile(
    r"\b(value|grad|scalar|const|gradient computed|not computed|exactly zero|vanishing|"
    r"exploding|edge|local derivative|upstream|running now|arrived|backward step|arrives|"
    r"stored|module|ops|params|saved|more nodes|epoch loss|accuracy|train|validation|"
    r"dead units|saturated|step)\b"
)


@pytest.fixture(autouse=True)
def english_again():
    yield
    viz.set_language("en")


def _fields(text) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_word_with_the_same_blanks():
    en, vi = words.WORDS["en"], words.WORDS["vi"]
    assert en.keys() == vi.keys()
    for key in en:
        assert _fields(en[key]) == _fields(vi[key]), key
        assert vi[key].strip(), key


def test_the_seeds_terms_are_the_vietnamese_words():
    vi = words.WORDS["vi"]
    assert vi["value"] == "giá trị" and vi["grad"] == "gradient"
    assert "đạo hàm cục bộ" in vi["edge key"] and "lan truyền ngược" in vi["step title"]
    assert "bão hòa" in vi["saturated summary"] and "chết" in vi["state zero"]


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown language 'fr'.*'en', 'vi'"):
        viz.set_language("fr")
    with pytest.raises(ValueError, match="unknown language"):
        viz.to_dot(exercises.add_mul()[0], lang="de")
    assert viz.get_language() == "en"


def _text_of(dot: str) -> str:
    """The words a DOT picture shows: its labels without tags and entities."""
    labels = re.findall(r"label=<(.*?)>\s*(?:\w+=|\]|$)", dot, flags=re.M | re.S)
    labels += re.findall(r'label="([^"]*)"', dot)
    return re.sub(r"<[^>]+>", " ", " ".join(labels))


@pytest.mark.parametrize("name", sorted(seeds.ALL))
def test_a_vietnamese_picture_has_no_english_word(name):
    out, params, names = seeds.ALL[name]()
    dot_vi = viz.to_dot(out, params=params, names=names, lang="vi", max_nodes=12)
    dot_en = viz.to_dot(out, params=params, names=names, lang="en", max_nodes=12)
    assert ENGLISH.search(_text_of(dot_en))  # the check can fail: English is found
    assert not ENGLISH.search(_text_of(dot_vi)), ENGLISH.search(_text_of(dot_vi))
    assert "giá trị" in dot_vi or "gradient" in dot_vi


def test_set_language_is_the_default_and_lang_overrides_it():
    f, _ = exercises.add_mul()
    viz.set_language("vi")
    assert "giá trị −12" in viz.to_dot(f) and "value −12" in viz.to_dot(f, lang="en")
    assert "giá trị" in viz.to_text(f) and "leaf tensor" in viz.to_text(f)
    frames = list(viz.backward_steps(f))
    assert frames[0].caption == "MulBackward0 (f): gradient về đủ, truyền tiếp về các đầu vào"
    assert frames[0].formula.startswith("∂f/∂f = 1 (điểm bắt đầu)")
    assert "lan truyền ngược, bước 1/5" in frames[0].dot
    assert all(s in frames[0].dot for s in ("đang chạy", "chưa nhận gradient nào"))
    viz.set_language("en")
    assert "value −12" in viz.to_dot(f)


@pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")
def test_the_stepper_page_in_vietnamese():
    f, _ = exercises.add_mul()
    frames = list(viz.backward_steps(f, lang="vi"))
    page = viz.steps_html(frames)
    assert '<html lang="vi">' in page and "Lan truyền ngược từng bước (5 bước)" in page
    assert "▶ chạy" in page and '"⏸ dừng"' in page and "phím cách" in page
    assert not re.search(r">\s*▶ play|space play|Backpropagation, step", page)


def test_plots_speak_the_language():
    history = {"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_acc": [0.5, 0.8]}
    fig = viz.plot_training_curves(history, lang="vi")
    labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
    assert "hàm mất mát (loss)" in labels and "độ chính xác (accuracy)" in labels
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "tập kiểm tra" in legend and any(t.startswith("tốt nhất 0.800") for t in legend)
    flow = viz.plot_gradient_flow({"w": [1.0, 0.5, 0.2]}, lang="vi")
    assert flow.axes[0].get_ylabel() == "độ lớn gradient (chuẩn L2)"
    assert flow.axes[0].get_xlabel() == "bước"


def test_the_power_node_shows_its_exponent():
    x = ad.tensor(3.0, requires_grad=True, name="x")
    y = x**2 + x**-1 + x**0.5
    y.backward()
    named = by_name(parse(viz.to_dot(y))[0])
    assert {"x²", "x⁻¹", "x ** 0.5"} <= set(named)
    symbols = re.findall(r'point-size="16">([^<]+)<', viz.to_dot(y))
    assert {"**2", "**−1", "**0.5"} <= set(symbols) and "^" not in symbols
    assert "x ** 2" in viz.to_text(y)


def test_tensor_edges_carry_the_whole_chain_rule():
    out, params, names = seeds.dying_relu()
    dot = viz.to_dot(out, params=params, names=names)
    labels = [a.get("label", "") for _, _, a in parse(dot)[1]]
    # the seed's ∇_ReLU L = W_outᵀ ∇_z L and ∇_M L = xᵀ ∇_h L, and ReLU's Jacobian
    assert "[[−0.5333, 0.3547, 0.1786]] @ W_outᵀ = [[−0.196, 0.3024]]" in labels
    assert "xᵀ @ [[−0.196, 0]] = [[−0.196, 0], [−0.294, 0], [−0.03919, 0]]" in labels
    assert "[[−0.196, 0.3024]] · J = [[−0.196, 0]]" in labels
    assert all(" = " in label for label in labels if label)  # every label is a × b = c
    assert "g @ Wᵀ" in dot  # and the key explains the tensor forms
    scalar = viz.to_dot(exercises.add_mul()[0])
    assert "g @ Wᵀ" not in scalar and "a × b = c" in scalar


def test_step_swatches_look_like_the_nodes_they_stand_for():
    a = ad.tensor(2.0, dtype=ad.float64, requires_grad=True, name="a")
    b = a * 3.0
    b.name = "b"
    c = b * b + ad.exp(b)  # b's gradient arrives in three parts
    c.name = "c"
    looks = {}
    for frame in viz.backward_steps(c):
        node = by_name(parse(frame.dot)[0])["b"]
        grad = field(node, "grad")
        state = "partial" if "/3" in grad else "pending" if grad == "…" else None
        if state:
            looks[state] = (node["fillcolor"], node["color"], node["style"].split(",")[-1])
        swatches = re.findall(
            r'<td border="1"(?: style="(\w+)")? bgcolor="([^"]+)" color="([^"]+)"', frame.dot
        )
    keys = {s: (fill, border, line or "solid") for line, fill, border in swatches for s in [fill]}
    assert looks["partial"] != looks["pending"]
    for fill, border, line in looks.values():
        assert keys[fill] == (fill, border, line)


def test_network_weights_never_touch_each_other():
    M = np.array([[0.0, 0.0], [0.86, -1.04], [0.41, -0.65]])
    W = np.array([[0.5, 0.3, -0.2], [-0.1, 0.4, 0.6]])
    fig = viz.plot_network([3, 2, 3], weights=[M, W], bias=[1, 0, 0], dead=[(1, 1)], lang="vi")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    weights = [t for t in ax.texts if t.get_fontsize() == 8.0]
    assert len(weights) == 12  # 3·2 + 2·3 links, one label each
    boxes = [t.get_window_extent(renderer) for t in weights]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    heads = {t.get_text() for t in ax.texts}
    assert {"lớp đầu vào", "lớp ẩn 1", "lớp đầu ra"} <= heads


def test_network_weights_must_match_the_drawn_links():
    with pytest.raises(ValueError, match=r"weights\[0\] has shape \(2, 2\).*3 and 2 units"):
        viz.plot_network([3, 2], weights=[np.ones((2, 2))])
