"""The stepper's player page (viz/player.py): the picture's size in a notebook, the slider's
range, the captions' numbering, the room kept for the formula, the frame's repr."""

import importlib
import json
import re

import pytest

import viz
from autodiff_cli import exercises
from viz import player

steps = importlib.import_module("viz.steps")  # the module (viz.steps is the function)

needs_dot = pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed")


def _svg(width_pt, height_pt) -> str:
    return f'<svg width="{width_pt}pt" height="{height_pt}pt" viewBox="0 0 1 1"></svg>'


@pytest.mark.parametrize(
    "svg, shown",
    [
        (_svg(600, 300), 400),  # 800 x 400 px: narrower than the column, shown as drawn
        (_svg(1500, 600), 400),  # 2000 x 800 px: halved to fit the 1000 px column
        (_svg(300, 750), 1000),  # 400 x 1000 px: a tall narrow picture keeps its height
        ("<svg></svg>", 600),  # no size written: 800 x 600 px assumed
    ],
)
def test_the_shown_height_is_graphviz_points_in_css_pixels_fitted_to_the_column(svg, shown):
    assert player.shown_height(svg) == shown


@needs_dot
def test_the_page_numbers_its_frames_and_its_slider_reaches_exactly_the_last():
    frames = viz.steps(exercises.add_mul()[0]).frames
    html = player.page(frames, steps._layers(frames))
    n = len(frames)
    assert re.search(rf'id="slider" min="0" max="{n - 1}"', html)
    assert f'id="last" onclick="go({n - 1})"' in html
    captions = json.loads(re.search(r"const captions = (\[.*?\]);", html).group(1))
    assert [c.split(":")[0] for c in captions] == [f"{i}/{n}" for i in range(1, n + 1)]


@needs_dot
def test_the_formula_box_keeps_room_for_the_longest_formula_and_the_header_counts_it():
    frames = viz.steps(exercises.add_mul()[0]).frames
    longest = max(len(f.formula.split("\n")) for f in frames)
    assert longest == 3  # the add_mul exercise: a product's step names three gradients
    html = player.page(frames, steps._layers(frames))
    room = float(re.search(r"#formula\{[^}]*min-height:([\d.]+)em", html).group(1))
    assert room == pytest.approx(1.35 * longest)  # the CSS line-height is 1.35em
    # the iframe's header: the formula's room and the heading's and buttons' rows in CSS px
    # (16 px per em), plus the body's margins (2 x .6em) and the iframe's border (2 x 1 px)
    header = float(re.search(r"max-height:calc\(100vh - ([\d.]+)em\)", html).group(1))
    assert header > room
    assert 16 * header + 2 * 0.6 * 16 + 2 <= player.header_px(frames) <= 16 * header + 32


@needs_dot
def test_a_tall_picture_is_shown_in_a_frame_at_most_1400_px_high(monkeypatch):
    stepper = viz.steps(exercises.add_mul()[0])
    monkeypatch.setattr(steps, "shown_height", lambda svg: 5000)
    assert "height:1400px;" in stepper._repr_html_()
    monkeypatch.setattr(steps, "shown_height", lambda svg: 1400 - player.header_px(stepper.frames))
    assert "height:1400px;" in stepper._repr_html_()


def test_a_frames_repr_leaves_out_the_plan_it_shares_with_every_frame():
    frame = steps.Frame(0, 1, None, "caption", plan=["the whole graph"])
    assert "plan" not in repr(frame) and "the whole graph" not in repr(frame)
