"""Step-by-step backward: one frame per node, in the engine's own order, as SVGs, HTML or GIF."""

import io
import json
from dataclasses import dataclass
from pathlib import Path

from autodiff.graph import AccumulateGrad, recording

from .dot import graph_dot
from .picture import Style
from .render import dot_to, write_atomic
from .trace import backward_order, trace


@dataclass
class Frame:
    """The moment a node's whole gradient has arrived and it sends gradients to its inputs."""

    index: int
    total: int
    node: object  # the engine node (a grad_fn or AccumulateGrad)
    caption: str
    dot: str

    def svg(self) -> str:
        return dot_to(self.dot, "svg").decode("utf-8")

    def save(self, path) -> Path:
        from .render import save

        return save(self.dot, path)


def backward_steps(
    output,
    params=None,
    show: str = "both",
    rankdir: str = "LR",
    max_nodes: int | None = None,
    digits: int = 4,
):
    """Yield one Frame per node in the order the engine's backward runs them.

    If backward has not run yet on `output`, it runs once here (recording every value and
    gradient, and accumulating into the leaves' .grad like a normal backward).
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
    graph = trace(output, params)
    order = backward_order(root)
    known = set()
    for i, node in enumerate(order):
        known.add(node)
        caption = _caption(node, graph)
        title = f"backward step {i + 1}/{len(order)}: {caption}"
        style = Style(
            show, rankdir, max_nodes, True, digits, known=set(known), current=node, title=title
        )
        yield Frame(i, len(order), node, caption, graph_dot(graph, style))


def _caption(node, graph) -> str:
    data = graph.by_node[node]
    who = f" ({data.name})" if data.name else ""
    if isinstance(node, AccumulateGrad):
        return f"AccumulateGrad{who}: gradient stored in .grad"
    return f"{node.name()}{who}: gradient arrives, sent on to its inputs"


def save_steps(output, out_dir, html_page: bool = True, gif: bool = False, **options) -> list:
    """Numbered SVG frames (step_001.svg, ...), an animated HTML page, and a GIF if asked."""
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


def steps_html(frames, svgs=None) -> str:
    """A self-contained page that plays the frames (buttons, slider, keyboard arrows)."""
    svgs = svgs if svgs is not None else [f.svg() for f in frames]
    slides = "\n".join(
        f'<div class="frame" id="f{i}" style="display:{"block" if i == 0 else "none"}">'
        f"{_strip_xml_header(svg)}</div>"
        for i, svg in enumerate(svgs)
    )
    captions = json.dumps([f"{f.index + 1}/{f.total}: {f.caption}" for f in frames])
    captions = captions.replace("</", "<\\/")  # a name cannot close the <script> early
    return _PAGE.format(n=len(frames), slides=slides, captions=captions, last=len(frames) - 1)


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
    images = [Image.open(io.BytesIO(dot_to(f.dot, "png"))).convert("RGB") for f in frames]
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
<html><head><meta charset="utf-8"><title>Backpropagation, step by step</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:1.5em}} .frame svg{{max-width:100%;height:auto}}
button{{font-size:1em;margin-right:.4em}} #cap{{margin:.6em 0;font-weight:bold}}</style></head>
<body><h2>Backpropagation, step by step ({n} steps)</h2>
<div><button onclick="go(0)">⏮</button><button onclick="go(cur-1)">◀</button>
<button id="play" onclick="toggle()">▶ play</button><button onclick="go(cur+1)">▶</button>
<button onclick="go({last})">⏭</button>
<input type="range" id="slider" min="0" max="{last}" value="0" oninput="go(+this.value)"></div>
<div id="cap"></div>
{slides}
<script>
const captions = {captions};
let cur = 0, timer = null;
function go(i) {{
  i = Math.max(0, Math.min({last}, i));
  document.getElementById('f' + cur).style.display = 'none';
  document.getElementById('f' + i).style.display = 'block';
  cur = i; document.getElementById('slider').value = i;
  document.getElementById('cap').textContent = captions[i];
}}
function toggle() {{
  if (timer) {{ clearInterval(timer); timer = null; return; }}
  timer = setInterval(() => {{ if (cur >= {last}) {{ clearInterval(timer); timer = null; }}
                              else go(cur + 1); }}, 1200);
}}
document.addEventListener('keydown', e => {{ if (e.key === 'ArrowRight') go(cur + 1);
                                             if (e.key === 'ArrowLeft') go(cur - 1); }});
go(0);
</script></body></html>
"""
