"""The stepper's player page: one picture, each frame the elements it changes (from
viz/layers.py), buttons, slider, arrow keys and space, the caption and the formula; no CDN.
Its words come from the catalogue (viz/words.py), in the frames' language."""

import json
import re
from html import escape

from .words import word

NOTEBOOK_WIDTH = 1000  # px: a notebook's output column, which the page's picture is fitted to


def _svg_size(svg: str) -> tuple:
    """The picture's natural (width, height) in CSS pixels (Graphviz writes points)."""
    m = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return (float(m.group(1)) * 4 / 3, float(m.group(2)) * 4 / 3) if m else (800.0, 600.0)


def shown_height(svg: str) -> int:
    """How tall the picture shows in a notebook's column (scaled down when it is wider)."""
    width, height = _svg_size(svg)
    return int(height * min(1.0, NOTEBOOK_WIDTH / width))


def _formula_lines(frames) -> int:
    return max((f.formula.count("\n") + 1 for f in frames), default=1)


def _header_em(frames) -> float:
    """The page's height above the picture: heading, buttons and the formula's lines (em)."""
    return 6.2 + 1.35 * _formula_lines(frames)


def header_px(frames) -> int:
    return int(16 * _header_em(frames)) + 24


def page(frames, layers) -> str:
    """The player page of these frames, drawn from their layers (viz/layers.py)."""
    lang = frames[0].lang if frames else "en"
    picture = layers.page_svg()
    captions = _script_json([f"{f.index + 1}/{f.total}: {f.caption}" for f in frames])
    formulas = _script_json([f.formula for f in frames])
    return _PAGE.format(
        n=len(frames),
        picture=picture,
        frames=layers.script_data(),
        captions=captions,
        formulas=formulas,
        last=len(frames) - 1,
        lang=lang,
        lines=1.35 * _formula_lines(frames),
        header=_header_em(frames),
        widest=int(1.5 * _svg_size(picture)[0]),
        **{key.replace(" ", "_"): escape(word(key, lang)) for key in _PAGE_WORDS},
        heading=escape(word("page heading", lang, count=len(frames))),
        play_js=_script_json(word("play", lang)),
        pause_js=_script_json(word("pause", lang)),
    )


_PAGE_WORDS = (
    "page title",
    "button first",
    "button back",
    "button play title",
    "button next",
    "button last",
    "play",
    "pause",
    "keys",
    "slider",
)


def _script_json(values) -> str:
    # a name cannot close the <script> early; readable UTF-8 (the page declares it)
    return json.dumps(values, ensure_ascii=False).replace("</", "<\\/")


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{page_title}</title>
<style>
body{{font-family:Helvetica,Arial,sans-serif;margin:.6em 1em}}
h2{{font-size:1.25em;margin:.2em 0 .5em}}
.frame svg{{width:100%;height:auto;max-width:{widest}px;max-height:calc(100vh - {header}em)}}
button{{font-size:1em;margin-right:.3em}} #slider{{width:40%;vertical-align:middle}}
#cap{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}}
#formula{{margin:.5em 0;min-height:{lines}em;line-height:1.35em;white-space:pre-line;
font-family:"DejaVu Sans Mono",Menlo,monospace;color:#b71c1c}}
.keys{{color:#757575;font-size:.85em}}
</style></head>
<body><h2>{heading}</h2>
<div><button id="first" onclick="go(0)" title="{button_first}">|◀</button>
<button id="prev" onclick="go(cur-1)" title="{button_back}">◀</button>
<button id="play" onclick="toggle()" title="{button_play_title}">{play}</button>
<button id="next" onclick="go(cur+1)" title="{button_next}">▶</button>
<button id="last" onclick="go({last})" title="{button_last}">▶|</button>
<input type="range" id="slider" min="0" max="{last}" value="0" oninput="go(+this.value)"
 aria-label="{slider}">
<span class="keys">{keys}</span></div>
<div id="cap" aria-live="polite"></div>
<div id="formula"></div>
<div class="frame" id="picture">{picture}</div>
<script>
const frames = {frames};
const captions = {captions};
const formulas = {formulas};
const PLAY = {play_js}, PAUSE = {pause_js};
const shown = frames.first.slice();
let cur = 0, timer = null;
function show(element, layer) {{
  if (shown[element] === layer) return;
  document.getElementById('s' + element + '-' + shown[element]).style.display = 'none';
  document.getElementById('s' + element + '-' + layer).style.display = '';
  shown[element] = layer;
}}
function go(i) {{
  i = Math.max(0, Math.min({last}, i));
  if (i < cur) {{ frames.first.forEach((layer, e) => show(e, layer)); cur = 0; }}
  for (let k = cur + 1; k <= i; k++) frames.changes[k].forEach(([e, layer]) => show(e, layer));
  cur = i; document.getElementById('slider').value = i;
  document.getElementById('steptitle').textContent = frames.titles[i];
  document.getElementById('cap').textContent = captions[i];
  document.getElementById('formula').textContent = formulas[i];
  document.body.dataset.frame = i;
}}
function stop() {{
  if (timer) clearInterval(timer);
  timer = null; document.getElementById('play').textContent = PLAY;
}}
function toggle() {{
  if (timer) {{ stop(); return; }}
  if (cur >= {last}) go(0);
  document.getElementById('play').textContent = PAUSE;
  timer = setInterval(() => {{ if (cur >= {last}) stop(); else go(cur + 1); }}, 1200);
}}
document.addEventListener('keydown', e => {{
  if (e.target && e.target.id === 'slider' && e.key.startsWith('Arrow')) return;
  if (e.key === 'ArrowRight') {{ stop(); go(cur + 1); }}
  else if (e.key === 'ArrowLeft') {{ stop(); go(cur - 1); }}
  else if (e.key === 'Home') {{ stop(); go(0); }}
  else if (e.key === 'End') {{ stop(); go({last}); }}
  else if (e.key === ' ') {{ e.preventDefault(); toggle(); }}
  else return;
}});
go(0);
</script></body></html>
"""
