"""The stepper page as a person uses it: Debian's chromium, driven by playwright, presses the
keys and the buttons, and the frame, caption and formula change; the picture never moves."""

import os
import shutil
from pathlib import Path

import pytest

import viz
from autodiff_cli import exercises
from viz.layers import Layers

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed (pip install playwright; the browser is Debian's "
    "chromium: apt-get install chromium)",
)
BROWSER = next(
    (p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.path.exists(p)), None
)
pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="no chromium browser: apt-get install chromium"),
    pytest.mark.skipif(not viz.has_dot(), reason="Graphviz `dot` not installed"),
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # playwright's own browser download is not reachable here: Debian's chromium instead
        b = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        yield b
        b.close()


def _state(page) -> dict:
    """The frame, what the picture shows (its title and which version of each element), the
    texts and where the one picture is."""
    return page.evaluate(
        """() => {
        const shown = [...document.querySelectorAll('g[id^="s"]')]
            .filter(g => /^s\\d+-/.test(g.id) && g.style.display !== 'none').map(g => g.id);
        const box = document.querySelector('#picture svg').getBoundingClientRect();
        return {frame: +document.body.dataset.frame, shown: shown,
                title: document.getElementById('steptitle').textContent,
                cap: document.getElementById('cap').textContent,
                formula: document.getElementById('formula').textContent,
                slider: +document.getElementById('slider').value,
                play: document.getElementById('play').textContent,
                box: box && [box.x, box.y, box.width, box.height]};
    }"""
    )


def _expected(frames) -> list:
    """Per frame, the version of each element the page must show (from the Python side)."""
    plan = frames[0].plan
    layers = Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)
    state, out = list(layers.first), []
    for step in layers.changes:
        for element, key in step:
            state[element] = key
        out.append(sorted(f"s{e}-{key}" for e, key in enumerate(state)))
    return out


def _page(browser, tmp_path, requests):
    f, _ = exercises.add_mul()
    viz.save_steps(f, tmp_path)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    # offline: every request that is not a local file is recorded (and refused)
    page.on("request", lambda r: None if r.url.startswith("file:") else requests.append(r.url))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto((tmp_path / "steps.html").as_uri())
    return page


def test_keys_slider_and_play_step_through_the_frames(browser, tmp_path):
    requests = []
    page = _page(browser, tmp_path, requests)
    expected = _expected(list(viz.backward_steps(exercises.add_mul()[0])))
    start = _state(page)
    assert start["frame"] == 0 and sorted(start["shown"]) == expected[0] and start["slider"] == 0
    assert (
        start["title"]
        == "backward step 1/5: MulBackward0 (f): gradient arrives, sent on to its inputs"
    )
    assert start["cap"].startswith("1/5: MulBackward0 (f)")
    assert start["formula"].startswith("∂f/∂f = 1")
    page.screenshot(path=str(tmp_path / "step1.png"))
    page.keyboard.press("ArrowRight")
    second = _state(page)
    assert second["frame"] == 1 and sorted(second["shown"]) == expected[1]
    assert second["slider"] == 1 and second["title"].startswith("backward step 2/5")
    assert second["cap"].startswith("2/5: AccumulateGrad (z)") and second["cap"] != start["cap"]
    assert second["formula"] == "z.grad = ∂f/∂z = 3"
    assert second["box"] == start["box"]  # the same place and size: the picture holds still
    page.keyboard.press("End")
    assert _state(page)["frame"] == 4 and sorted(_state(page)["shown"]) == expected[4]
    page.keyboard.press("ArrowLeft")  # a step back: every element back in frame 3's state
    assert _state(page)["frame"] == 3 and sorted(_state(page)["shown"]) == expected[3]
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")  # past the end: stays on the last frame
    assert _state(page)["frame"] == 4
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")  # before the start: stays on the first
    assert _state(page)["frame"] == 0
    page.eval_on_selector("#slider", "s => { s.value = 2; s.dispatchEvent(new Event('input')); }")
    third = _state(page)
    assert third["frame"] == 2 and third["cap"].startswith("3/5: AddBackward0 (q)")
    assert sorted(third["shown"]) == expected[2]
    assert "∂f/∂x = ∂q/∂x · ∂f/∂q = 1 × −4 = −4" in third["formula"]
    page.screenshot(path=str(tmp_path / "step3.png"))
    page.keyboard.press(" ")  # space: play
    assert _state(page)["play"] == "⏸ pause"
    page.wait_for_function("document.body.dataset.frame === '3'", timeout=5000)
    page.keyboard.press(" ")  # space: pause
    paused = _state(page)
    assert paused["play"] == "▶ play"
    page.wait_for_timeout(1500)  # longer than one tick of play
    assert _state(page)["frame"] == paused["frame"]
    page.click("#next")
    assert _state(page)["frame"] == paused["frame"] + 1
    shot = tmp_path / "step5.png"
    page.screenshot(path=str(shot))
    _check_screenshot(shot)
    assert requests == []  # no CDN, no fonts from the web: the page works offline
    page.close()


def _check_screenshot(path: Path) -> None:
    """A real picture: the viewport's size and more than one colour in it."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG")
    image = pytest.importorskip("PIL.Image")
    with image.open(path) as im:
        assert im.size == (1200, 800)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 10  # None: more colours than counted


def test_the_jupyter_player_runs_inside_its_iframe(browser):
    f, _ = exercises.add_mul()
    stepper = viz.steps(f)
    page = browser.new_page()
    page.set_content(stepper._repr_html_())
    frame = page.frame_locator("iframe")
    cap = frame.locator("#cap")
    sync_api.expect(cap).to_have_text(
        "1/5: MulBackward0 (f): gradient arrives, sent on to its inputs"
    )
    frame.locator("#next").click()
    sync_api.expect(cap).to_contain_text("2/5: AccumulateGrad (z)")
    page.close()


def test_the_vietnamese_page_shows_its_caption_once_and_fills_the_window(browser, tmp_path):
    f, _ = exercises.add_mul()
    viz.save_steps(f, tmp_path, lang="vi")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto((tmp_path / "steps.html").as_uri())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    state = _state(page)
    assert state["cap"].startswith("3/5: AddBackward0 (q): gradient về đủ")
    visible = page.evaluate("() => document.body.innerText")
    # the caption is read out from a 1-pixel live region and seen once, in the picture
    cap = page.evaluate("() => document.getElementById('cap').getBoundingClientRect().width")
    assert cap <= 1 and visible.count("gradient về đủ, truyền tiếp về các đầu vào") == 2
    shown = page.evaluate("() => document.querySelector('#picture svg').textContent")
    assert shown.count("lan truyền ngược, bước 3/5") == 1
    assert "Lan truyền ngược từng bước (5 bước)" in visible and "▶ chạy" in visible
    assert state["formula"].splitlines() == [
        "∂f/∂q = −4",
        "∂f/∂x = ∂q/∂x · ∂f/∂q = 1 × −4 = −4",
        "∂f/∂y = ∂q/∂y · ∂f/∂q = 1 × −4 = −4",
    ]
    x, y, width, height = state["box"]
    assert width > 0.9 * 1200 - 40  # the picture takes the window's width
    page.keyboard.press(" ")
    assert _state(page)["play"] == "⏸ dừng"
    page.close()
