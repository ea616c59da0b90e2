"""Step-by-step backward: one frame per node, in the engine's own order, as SVGs, HTML or GIF."""

import io
import json
import re
import shutil
import warnings
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

import numpy as np

from autodiff.graph import AccumulateGrad, recording

from . import layout, pin
from .dot import graph_dot
from .labels import fmt_array, fmt_number
from .layers import Layers
from .picture import Style, users_of
from .render import INSTALL, dot_to, write_atomic
from .trace import backward_order, trace

MAX_STEPS = 500  # save_steps and steps refuse longer backwards unless max_steps says more
SVG_FILES = 60  # numbered SVG files written by default up to this many steps


@dataclass
class Frame:
    """The moment a node's whole gradient has arrived and it sends gradients to its inputs.
    Its DOT text is made when asked for (a long backward's frames cost nothing until drawn)."""

    index: int
    total: int
    node: object  # the engine node (a grad_fn or AccumulateGrad)
    caption: str
    formula: str = ""  # the chain rule this step applies, in text
    plan: object = field(default=None, repr=False)  # what all frames of the backward share

    def _dot(self, pins) -> str:
        plan = self.plan
        known = set(plan.order[: self.index + 1])
        style = replace(plan.style, known=known, current=self.node, title=plan.titles[self.index])
        return graph_dot(plan.graph, style, pins)

    @property
    def dot(self) -> str:
        """This frame alone (dot lays it out on its own)."""
        return self._dot(None)

    @property
    def pinned(self) -> str | None:
        """The same picture at the positions shared by every frame (None without Graphviz)."""
        return None if self.plan.pins is None else self._dot(self.plan.pins)

    def svg(self) -> str:
        if self.plan.pins is not None:
            return pin.render(self.pinned, "svg").decode("utf-8")
        return dot_to(self.dot, "svg").decode("utf-8")

    def png(self) -> bytes:
        return pin.render(self.pinned, "png") if self.plan.pins else dot_to(self.dot, "png")

    def save(self, path) -> Path:
        from .render import save

        path = Path(path)
        if self.plan.pins is None or path.suffix.lower() in (".dot", ".gv"):
            return save(self.dot, path)
        return write_atomic(path, pin.render(self.pinned, path.suffix.lower().lstrip(".")))


@dataclass
class _Plan:
    """What every frame of one backward shares: the traced graph, the engine's order, texts,
    the common style and (with Graphviz) the one layout."""

    graph: object
    order: list
    users: dict
    style: Style
    titles: list
    pins: object


def _plan(output, params, show, rankdir, max_nodes, digits, names, heatmaps) -> _Plan:
    root = output.grad_fn
    if root is None:
        raise ValueError(
            "backward_steps: the output has no graph (it is a leaf). "
            "Compute it from tensors with requires_grad=True."
        )
    if root.grad_value is None:
        with recording():
            output.backward()
    graph = trace(output, params, names=names)
    order = backward_order(root)
    titles = [
        f"backward step {i + 1}/{len(order)}: {_caption(node, graph)}"
        for i, node in enumerate(order)
    ]
    widest = max(titles, key=len)
    width = int(1.15 * layout.label_size(escape(widest), 14)[0])  # room for any frame's title
    style = Style(show, rankdir, max_nodes, True, digits, known=set(), heatmaps=heatmaps)
    style.header_width = width
    pins = None
    if shutil.which("dot") and shutil.which("neato"):  # one layout: the last frame, widest title
        pins = pin.layout(graph_dot(graph, replace(style, known=set(order), title=widest)))
    return _Plan(graph, order, users_of(graph), style, titles, pins)


def backward_steps(
    output,
    params=None,
    show: str = "both",
    rankdir: str | None = None,
    max_nodes: int | None = None,
    digits: int = 4,
    names: dict | None = None,
    heatmaps: bool = True,
):
    """Yield one Frame per node in the order the engine's backward runs them.

    Every frame has the same layout (computed once with `dot`, drawn with `neato -n2`)
    when Graphviz is installed. If backward has not run yet on `output`, it runs once
    here (recording every value and gradient, accumulating into the leaves' .grad).
    """
    plan = _plan(output, params, show, rankdir, max_nodes, digits, names, heatmaps)
    yield from _frames(plan)


def _frames(plan: _Plan) -> list:
    graph, order, users = plan.graph, plan.order, plan.users
    return [
        Frame(i, len(order), node, _caption(node, graph), _formula(node, graph, users), plan)
        for i, node in enumerate(order)
    ]


def _caption(node, graph) -> str:
    data = graph.by_node[node]
    who = f" ({data.shown_name})" if data.shown_name else ""
    if isinstance(node, AccumulateGrad):
        return f"AccumulateGrad{who}: gradient stored in .grad"
    return f"{node.name()}{who}: gradient arrives, sent on to its inputs"


def _formula(node, graph, users) -> str:
    """The chain rule of this step: what arrives here and what is sent to each input."""
    data = graph.by_node[node]
    ops = {o.out.id: o for o in graph.ops}
    out = _symbol(graph.root, graph, ops)
    me = _symbol(data, graph, ops)
    grad = "—" if data.grad is None else fmt_array(data.grad, 4)
    if isinstance(node, AccumulateGrad):
        return f"{me}.grad = ∂{out}/∂{me} = {grad}"
    parts = [f"∂{out}/∂{me} = {grad}" + (" (the start)" if data is graph.root else "")]
    datas = {d.id: d for d in graph.datas}
    g = data.grad
    up = float(np.ravel(g)[0]) if g is not None and np.size(g) == 1 else 0.0
    for e in ops[data.id].edges:
        if e.const or e.contribution is None:
            continue
        name = _symbol(datas[e.src], graph, ops) if e.src in datas else e.src
        sent = fmt_array(e.contribution, 4)
        acc = (
            "+=" if len(users.get(e.src, ())) > 1 else "="
        )  # a sum of parts when it feeds 2+ slots
        rule = "" if me == out else f" ∂{me}/∂{name} · ∂{out}/∂{me} ="
        if up != 0 and np.size(e.contribution) == 1:
            local = fmt_number(float(np.ravel(e.contribution)[0]) / up, 4)
            parts.append(f"∂{out}/∂{name} {acc}{rule} {local} × {grad} = {sent}")
        else:
            # tensors: the vector-Jacobian product, upstream first (what backward computes)
            rule = f" ∂{out}/∂{me} · ∂{me}/∂{name} =" if me != out else ""
            parts.append(f"∂{out}/∂{name} {acc}{rule} {sent}")
    return ";  ".join(parts)


def _spaced(name: str) -> bool:
    """Whether a name has a space outside parentheses (x @ M does, ReLU(x @ M) does not)."""
    depth = 0
    for ch in name:
        depth += (ch == "(") - (ch == ")")
        if ch == " " and depth == 0:
            return True
    return False


def _symbol(data, graph, ops) -> str:
    """How a formula writes a tensor: its name, (a + b) for a spaced one, else its op: NLL(·)."""
    name = data.shown_name
    if name:
        return f"({name})" if _spaced(name) else name
    if data is graph.root:
        return "L"
    op = ops.get(data.id)
    return f"{op.symbol}(·)" if op is not None else "leaf"


def save_steps(
    output,
    out_dir,
    html_page: bool = True,
    gif: bool = False,
    svgs: bool | None = None,
    max_steps: int = MAX_STEPS,
    **options,
) -> list:
    """A player page (steps.html), numbered SVG frames (step_001.svg, ...; by default up to
    SVG_FILES steps, svgs=True for all) and a GIF if asked; backward_steps' options. The
    graph is laid out and drawn once (viz/layers.py); a backward of more than max_steps steps
    is refused, saying so."""
    out_dir = Path(out_dir)
    frames = list(backward_steps(output, **options))
    _check_size(len(frames), max_steps, "save_steps")
    layers = _layers(frames)
    if svgs is None:
        svgs = len(frames) <= SVG_FILES
        if not svgs:
            warnings.warn(
                f"save_steps: {len(frames)} steps: the numbered SVG files are written for up "
                f"to {SVG_FILES} steps; steps.html has them all (svgs=True writes the files).",
                stacklevel=2,
            )
    paths = []
    if svgs:
        paths = [
            write_atomic(out_dir / f"step_{i + 1:03d}.svg", layers.frame_svg(i))
            for i in range(len(frames))
        ]
    if html_page:
        paths.append(write_atomic(out_dir / "steps.html", _page(frames, layers)))
    if gif:
        paths.append(save_gif(frames, out_dir / "steps.gif"))
    return paths


def _check_size(steps: int, max_steps: int, op: str) -> None:
    if steps > max_steps:
        raise ValueError(
            f"{op}: this backward has {steps} steps, more than max_steps={max_steps}; a page "
            f"that long is slow to draw and to step through. Pass max_steps={steps} to draw it "
            "anyway, or step through a smaller part of the model."
        )


def _layers(frames) -> Layers:
    plan = frames[0].plan
    if plan.pins is None:
        raise RuntimeError(
            f"steps: Graphviz's `dot` and `neato` were not found on PATH. {INSTALL}."
        )
    return Layers(plan.graph, plan.order, plan.users, plan.style, plan.pins, plan.titles)


class Stepper:
    """The frames of one backward with a player; shows inline in Jupyter (_repr_html_)."""

    def __init__(self, frames):
        self.frames = frames
        self._page = None

    def html(self) -> str:
        """The standalone page (what save_steps writes as steps.html)."""
        if self._page is None:
            self._page = steps_html(self.frames)
        return self._page

    def _repr_html_(self) -> str | None:
        if not (shutil.which("dot") and shutil.which("neato")):
            return None  # Jupyter then shows __repr__: the steps as text
        # an iframe keeps the player's script and ids apart from the notebook's
        page = self.html()
        height = 160 + _svg_height(page)
        return (
            f'<iframe srcdoc="{escape(page, quote=True)}" style="width:100%;'
            f'height:{min(height, 1400)}px;border:1px solid #ddd" sandbox="allow-scripts">'
            "</iframe>"
        )

    def __len__(self):
        return len(self.frames)

    def __repr__(self) -> str:
        return "\n".join(
            f"{f.index + 1}/{f.total}: {f.caption}\n    {f.formula}" for f in self.frames
        )


def steps(output, max_steps: int = MAX_STEPS, **options) -> Stepper:
    """The step-by-step backward of `output` as a player (inline in Jupyter); backward_steps'
    options. A backward of more than max_steps steps is refused, saying so."""
    frames = list(backward_steps(output, **options))
    _check_size(len(frames), max_steps, "steps")
    return Stepper(frames)


def _svg_height(svg: str) -> int:
    m = re.search(r'<svg[^>]*height="([\d.]+)pt"', svg)
    return int(float(m.group(1)) * 4 / 3) if m else 600


def steps_html(frames) -> str:
    """A self-contained page that plays the frames of one backward: the picture once, each
    frame the elements it changes; buttons, slider, arrows, space, no CDN."""
    return _page(frames, _layers(frames))


def _page(frames, layers: Layers) -> str:
    captions = _script_json([f"{f.index + 1}/{f.total}: {f.caption}" for f in frames])
    formulas = _script_json([f.formula for f in frames])
    return _PAGE.format(
        n=len(frames),
        picture=layers.page_svg(),
        frames=layers.script_data(),
        captions=captions,
        formulas=formulas,
        last=len(frames) - 1,
    )


def _script_json(values) -> str:
    return json.dumps(values).replace("</", "<\\/")  # a name cannot close the <script> early


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
<html lang="en"><head><meta charset="utf-8"><title>Backpropagation, step by step</title>
<style>
body{{font-family:Helvetica,Arial,sans-serif;margin:1em}}
.frame svg{{max-width:100%;height:auto}}
button{{font-size:1em;margin-right:.3em}} #slider{{width:40%;vertical-align:middle}}
#cap{{margin:.5em 0 .2em;font-weight:bold}}
#formula{{margin:0 0 .6em;font-family:"DejaVu Sans Mono",Menlo,monospace;color:#b71c1c}}
.keys{{color:#757575;font-size:.85em}}
</style></head>
<body><h2>Backpropagation, step by step ({n} steps)</h2>
<div><button id="first" onclick="go(0)" title="first (Home)">|◀</button>
<button id="prev" onclick="go(cur-1)" title="back (←)">◀</button>
<button id="play" onclick="toggle()" title="play / pause (space)">▶ play</button>
<button id="next" onclick="go(cur+1)" title="next (→)">▶</button>
<button id="last" onclick="go({last})" title="last (End)">▶|</button>
<input type="range" id="slider" min="0" max="{last}" value="0" oninput="go(+this.value)"
 aria-label="step">
<span class="keys">← → step · space play/pause · Home/End</span></div>
<div id="cap" aria-live="polite"></div>
<div id="formula"></div>
<div class="frame" id="picture">{picture}</div>
<script>
const frames = {frames};
const captions = {captions};
const formulas = {formulas};
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
  timer = null; document.getElementById('play').textContent = '▶ play';
}}
function toggle() {{
  if (timer) {{ stop(); return; }}
  if (cur >= {last}) go(0);
  document.getElementById('play').textContent = '⏸ pause';
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
