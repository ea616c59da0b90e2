"""Step-by-step backward: one frame per node, in the engine's own order, as SVGs, HTML or GIF.
The page and the SVG files are put together from a few whole layers (viz/layers.py), so a
frame costs what its step changes; a backward longer than max_steps is refused, saying so."""

import io
import shutil
import warnings
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

import numpy as np

from autodiff.graph import AccumulateGrad, recording

from . import layout, pin
from .dot import graph_dot
from .labels import fmt_array, spaced
from .layers import Layers
from .picture import Style, operand_names, product_text, users_of
from .player import header_px, page, shown_height
from .render import INSTALL, dot_to, write_atomic
from .trace import backward_order, trace
from .words import resolve, word

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
    formula: str = ""  # the chain rule this step applies, in text (a line per input)
    lang: str = "en"  # the language of its words (and of the player page around it)
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
    """What every frame of one backward shares: the traced graph, the engine's order, the
    titles, the common style and (with Graphviz) the one layout."""

    graph: object
    order: list
    users: dict
    style: Style
    titles: list
    pins: object


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
    style = Style(show, rankdir, max_nodes, True, digits, known=set(), heatmaps=heatmaps,
                  header_width=width, lang=lang)  # fmt: skip
    pins = None
    if shutil.which("dot") and shutil.which("neato"):  # one layout: the last frame, widest title
        pins = pin.layout(graph_dot(graph, replace(style, known=set(order), title=widest)))
    plan = _Plan(graph, order, users_of(graph), style, titles, pins)
    for i, node in enumerate(order):
        formula = _formula(node, graph, plan.users, lang)
        yield Frame(i, len(order), node, captions[i], formula, lang, plan)


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
        paths.append(write_atomic(out_dir / "steps.html", page(frames, layers)))
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
        html = self.html()
        height = header_px(self.frames) + shown_height(html)
        return (
            f'<iframe srcdoc="{escape(html, quote=True)}" style="width:100%;'
            f'height:{min(height, 1400)}px;border:1px solid #ddd" sandbox="allow-scripts">'
            "</iframe>"
        )

    def __len__(self):
        return len(self.frames)

    def __repr__(self) -> str:
        return "\n".join(
            f"{f.index + 1}/{f.total}: {f.caption}\n    " + f.formula.replace("\n", "\n    ")
            for f in self.frames
        )


def steps(output, max_steps: int = MAX_STEPS, **options) -> Stepper:
    """The step-by-step backward of `output` as a player (inline in Jupyter); backward_steps'
    options. A backward of more than max_steps steps is refused, saying so."""
    frames = list(backward_steps(output, **options))
    _check_size(len(frames), max_steps, "steps")
    return Stepper(frames)


def steps_html(frames) -> str:
    """A self-contained page that plays the frames of one backward: the picture once, each
    frame the elements it changes; buttons, slider, arrows, space, no CDN.

    The caption is in the picture (and, for screen readers, in a hidden live region); the
    picture is fitted to the window, at most 1.5 times its own size, the same in every frame.
    """
    return page(frames, _layers(frames))


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
