"""Step-by-step backward: one frame per node, in the engine's own order, as SVGs, HTML or GIF."""

import io
import json
import re
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from autodiff.graph import AccumulateGrad, recording

from . import layout, pin
from .dot import graph_dot
from .labels import fmt_array, spaced
from .picture import Style, operand_names, product_text, users_of
from .render import dot_to, write_atomic
from .trace import backward_order, trace
from .words import resolve, word


@dataclass
class Frame:
    """The moment a node's whole gradient has arrived and it sends gradients to its inputs."""

    index: int
    total: int
    node: object  # the engine node (a grad_fn or AccumulateGrad)
    caption: str
    dot: str  # this frame alone (dot lays it out on its own)
    formula: str = ""  # the chain rule this step applies, in text (a line per input)
    pinned: str | None = None  # the same picture at the positions shared by every frame
    lang: str = "en"  # the language of its words (and of the player page around it)

    def svg(self) -> str:
        if self.pinned is not None:
            return pin.render(self.pinned, "svg").decode("utf-8")
        return dot_to(self.dot, "svg").decode("utf-8")

    def png(self) -> bytes:
        return pin.render(self.pinned, "png") if self.pinned else dot_to(self.dot, "png")

    def save(self, path) -> Path:
        from .render import save

        path = Path(path)
        if self.pinned is None or path.suffix.lower() in (".dot", ".gv"):
            return save(self.dot, path)
        return write_atomic(path, pin.render(self.pinned, path.suffix.lower().lstrip(".")))


def backward_steps(
    output,
    params=None,
    show: str = "both",
    rankdir: str | None = None,
    max_nodes: int | None = None,
    digits: int = 4,
    names: dict | None = None,
    heatmaps: bool = True,
    lang: str | None = None,
):
    """Yield one Frame per node in the order the engine's backward runs them.

    Every frame has the same layout (computed once with `dot`, drawn with `neato -n2`)
    when Graphviz is installed. If backward has not run yet on `output`, it runs once
    here (recording every value and gradient, accumulating into the leaves' .grad).
    """
    root = output.grad_fn
    if root is None:
        raise ValueError(
            "backward_steps: the output has no graph (it is a leaf). "
            "Compute it from tensors with requires_grad=True."
        )
    if root.grad_value is None:
        with recording():
            output.backward()
    lang = resolve(lang)
    graph = trace(output, params, names=names)
    order = backward_order(root)
    captions = [_caption(node, graph, lang) for node in order]
    titles = [
        word("step title", lang, index=i + 1, total=len(order), caption=c)
        for i, c in enumerate(captions)
    ]

    widest = max(titles, key=len)
    width = int(1.15 * layout.label_size(escape(widest), 14)[0])  # room for any frame's title

    def style(known, current, title):
        return Style(
            show,
            rankdir,
            max_nodes,
            True,
            digits,
            known=known,
            current=current,
            title=title,
            heatmaps=heatmaps,
            header_width=width,
            lang=lang,
        )

    pins = None
    if shutil.which("dot") and shutil.which("neato"):  # one layout: the last frame, widest title
        pins = pin.layout(graph_dot(graph, style(set(order), None, widest)))
    users, known = users_of(graph), set()
    for i, node in enumerate(order):
        known.add(node)  # each frame's text is made right here, so one growing set serves all
        frame_style = style(known, node, titles[i])
        yield Frame(
            i,
            len(order),
            node,
            captions[i],
            graph_dot(graph, frame_style),
            _formula(node, graph, users, lang),
            None if pins is None else graph_dot(graph, style(known, node, titles[i]), pins),
            lang,
        )


def _caption(node, graph, lang) -> str:
    data = graph.by_node[node]
    who = f" ({data.shown_name})" if data.shown_name else ""
    if isinstance(node, AccumulateGrad):
        return word("caption stored", lang, node="AccumulateGrad", who=who)
    return word("caption sent", lang, node=node.name(), who=who)


def _formula(node, graph, users, lang) -> str:
    """The chain rule of this step, one line per input: what arrives and what each gets."""
    data = graph.by_node[node]
    ops = {o.out.id: o for o in graph.ops}
    out = _symbol(graph.root, graph, ops)
    me = _symbol(data, graph, ops)
    grad = "—" if data.grad is None else fmt_array(data.grad, 4)
    if isinstance(node, AccumulateGrad):
        return f"{me}.grad = ∂{out}/∂{me} = {grad}"
    start = f" {word('the start', lang)}" if data is graph.root else ""
    lines = [f"∂{out}/∂{me} = {grad}{start}"]
    datas = {d.id: d for d in graph.datas}
    names = operand_names(graph)
    for e in ops[data.id].edges:
        if e.const or e.contribution is None:
            continue
        name = _symbol(datas[e.src], graph, ops) if e.src in datas else e.src
        acc = "+=" if len(users.get(e.src, ())) > 1 else "="  # a sum of parts: 2+ slots
        scalar = np.size(data.grad) == 1
        rule = (
            ""
            if me == out
            else f" ∂{me}/∂{name} · ∂{out}/∂{me} ="
            if scalar
            else f" ∂{out}/∂{me} · ∂{me}/∂{name} ="  # tensors: upstream first, as backward
        )
        product = product_text(e, ops[data.id], names, 4) or fmt_array(e.contribution, 4)
        lines.append(f"∂{out}/∂{name} {acc}{rule} {product}")
    return "\n".join(lines)


def _symbol(data, graph, ops) -> str:
    """How a formula writes a tensor: its name, (a + b) for a spaced one, else its op: NLL(·)."""
    name = data.shown_name
    if name:
        return f"({name})" if spaced(name) else name
    if data is graph.root:
        return "L"
    op = ops.get(data.id)
    return f"{op.symbol}(·)" if op is not None else "leaf"


def save_steps(output, out_dir, html_page: bool = True, gif: bool = False, **options) -> list:
    """Numbered SVG frames (step_001.svg, ...), a player page (steps.html), a GIF if asked."""
    out_dir = Path(out_dir)
    frames = list(backward_steps(output, **options))
    svgs = [f.svg() for f in frames]
    paths = [
        write_atomic(out_dir / f"step_{f.index + 1:03d}.svg", svg) for f, svg in zip(frames, svgs)
    ]
    if html_page:
        paths.append(write_atomic(out_dir / "steps.html", steps_html(frames, svgs)))
    if gif:
        paths.append(save_gif(frames, out_dir / "steps.gif"))
    return paths


class Stepper:
    """The frames of one backward with a player; shows inline in Jupyter (_repr_html_)."""

    def __init__(self, frames):
        self.frames = frames
        self._svgs = None

    def svgs(self) -> list:
        if self._svgs is None:
            self._svgs = [f.svg() for f in self.frames]
        return self._svgs

    def html(self) -> str:
        """The standalone page (what save_steps writes as steps.html)."""
        return steps_html(self.frames, self.svgs())

    def _repr_html_(self) -> str | None:
        if not (shutil.which("dot") and shutil.which("neato")):
            return None  # Jupyter then shows __repr__: the steps as text
        # an iframe keeps the player's script and ids apart from the notebook's
        page = escape(self.html(), quote=True)
        height = _header_px(self.frames) + max(_shown_height(s) for s in self.svgs())
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:{min(height, 1400)}px;'
            'border:1px solid #ddd" sandbox="allow-scripts"></iframe>'
        )

    def __len__(self):
        return len(self.frames)

    def __repr__(self) -> str:
        return "\n".join(
            f"{f.index + 1}/{f.total}: {f.caption}\n    " + f.formula.replace("\n", "\n    ")
            for f in self.frames
        )


def steps(output, **options) -> Stepper:
    """The step-by-step backward of `output` as a player (inline in Jupyter); backward_steps'
    options."""
    return Stepper(list(backward_steps(output, **options)))


NOTEBOOK_WIDTH = 1000  # px: a notebook's output column, which the page's picture is fitted to


def _svg_size(svg: str) -> tuple:
    """The picture's natural (width, height) in CSS pixels (Graphviz writes points)."""
    m = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return (float(m.group(1)) * 4 / 3, float(m.group(2)) * 4 / 3) if m else (800.0, 600.0)


def _shown_height(svg: str) -> int:
    """How tall the picture shows in a notebook's column (scaled down when it is wider)."""
    width, height = _svg_size(svg)
    return int(height * min(1.0, NOTEBOOK_WIDTH / width))


def _formula_lines(frames) -> int:
    return max((f.formula.count("\n") + 1 for f in frames), default=1)


def _header_em(frames) -> float:
    """The page's height above the picture: heading, buttons and the formula's lines (em)."""
    return 6.2 + 1.35 * _formula_lines(frames)


def _header_px(frames) -> int:
    return int(16 * _header_em(frames)) + 24


def steps_html(frames, svgs=None) -> str:
    """A self-contained page that plays the frames: buttons, slider, arrows, space, no CDN.

    The caption is in each picture (and, for screen readers, in a hidden live region); the
    picture is fitted to the window, at most 1.5 times its own size, the same in every frame.
    """
    svgs = svgs if svgs is not None else [f.svg() for f in frames]
    lang = frames[0].lang if frames else "en"
    widest = max((_svg_size(svg)[0] for svg in svgs), default=800.0)
    slides = "\n".join(
        f'<div class="frame" id="f{i}" style="display:{"block" if i == 0 else "none"}">'
        f"{_strip_xml_header(svg)}</div>"
        for i, svg in enumerate(svgs)
    )
    captions = _script_json([f"{f.index + 1}/{f.total}: {f.caption}" for f in frames])
    formulas = _script_json([f.formula for f in frames])
    return _PAGE.format(
        n=len(frames),
        slides=slides,
        captions=captions,
        formulas=formulas,
        last=len(frames) - 1,
        lang=lang,
        lines=1.35 * _formula_lines(frames),
        header=_header_em(frames),
        widest=int(1.5 * widest),
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


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def save_gif(frames, path, duration_ms: int = 1200) -> Path:
    """An animated GIF of the frames (needs Pillow: pip install pillow)."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "save_gif: needs Pillow: pip install pillow. "
            "The SVG frames and the HTML page need no extra package."
        ) from e
    images = [Image.open(io.BytesIO(f.png())).convert("RGB") for f in frames]
    width, height = max(i.width for i in images), max(i.height for i in images)
    padded = []
    for image in images:  # same canvas for every frame so the picture does not jump
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, (0, 0))
        padded.append(canvas)
    buffer = io.BytesIO()
    padded[0].save(
        buffer, format="GIF", save_all=True, append_images=padded[1:], duration=duration_ms, loop=0
    )
    return write_atomic(path, buffer.getvalue())


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
{slides}
<script>
const captions = {captions};
const formulas = {formulas};
const PLAY = {play_js}, PAUSE = {pause_js};
let cur = 0, timer = null;
function go(i) {{
  i = Math.max(0, Math.min({last}, i));
  document.getElementById('f' + cur).style.display = 'none';
  document.getElementById('f' + i).style.display = 'block';
  cur = i; document.getElementById('slider').value = i;
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
