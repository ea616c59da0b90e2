"""A traced Graph as picture nodes and edges with their labels, in one style (forward, ...)."""

from dataclasses import dataclass, field
from html import escape

import numpy as np

from . import cells
from .labels import (
    EXPLODE,
    GRAD_COLOR,
    STATES,
    VALUE_COLOR,
    VANISH,
    fmt_array,
    fmt_dtype,
    fmt_shape,
    grad_state,
    spaced,
)
from .words import resolve, word

SHOWS = ("forward", "backward", "both")
CURRENT = "#ff6f00"  # the node a backward step is at


@dataclass
class Style:
    """What to draw and how: the options of draw_graph/to_dot in one place."""

    show: str = "both"
    rankdir: str | None = None  # None: LR if it fits the page, else TB
    max_nodes: int | None = 200
    legend: bool = True
    digits: int = 4
    vanish: float = VANISH
    explode: float = EXPLODE
    known: set | None = None  # step frames: engine nodes backward has run (current included)
    current: object = None  # step frames: the node being processed
    title: str | None = None
    heatmaps: bool = True  # small tensors as coloured cells, larger ones as statistics
    header_width: int | None = None  # step frames: one title width for all (points)
    layer: object = None  # a stepper layer: every tensor in one state (viz/layers.py)
    lang: str | None = None  # "en" or "vi"; None: viz.set_language's choice, fixed here

    def __post_init__(self):
        self.lang = resolve(self.lang)
        if self.show not in SHOWS:
            raise ValueError(f"draw_graph: show must be one of {SHOWS}, got {self.show!r}.")
        if self.rankdir not in (None, "LR", "RL", "TB", "BT"):
            raise ValueError(
                f"draw_graph: rankdir must be LR, RL, TB, BT or None (fit the page), "
                f"got {self.rankdir!r}."
            )
        if self.max_nodes is not None and self.max_nodes < 2:
            raise ValueError(f"draw_graph: max_nodes must be >= 2 or None, got {self.max_nodes}.")

    @property
    def grads(self) -> bool:
        return self.show != "forward"

    @property
    def values(self) -> bool:
        return self.show != "backward"


@dataclass
class PNode:
    id: str
    label: str  # the inside of an HTML-like label <...>
    attrs: dict
    group: str | None = None  # module path: a cluster, or one summary node when collapsed
    state: str | None = None  # gradient state of a data node
    params: int = 0
    grad_norm: float = 0.0
    hidden: int = 0  # the summary node: how many nodes it stands for


@dataclass
class PEdge:
    src: str
    dst: str
    attrs: dict = field(default_factory=dict)
    tensor: bool = False  # its label is a tensor product (g @ Wᵀ, g · J): the key says so


def build(graph, style: Style):
    """Picture nodes and edges, in graph order (the output's side first)."""
    nodes, edges = [], []
    ops = {op.out.id: op for op in graph.ops}
    consts = {c.id: c for c in graph.consts}
    names = operand_names(graph)
    users = users_of(graph) if style.known is not None else {}
    for data in graph.datas:
        nodes.append(_data_node(data, style, step_status(data, users, style)))
        op = ops.get(data.id)
        if op is None:
            continue
        nodes.append(_op_node(op, style))
        edges.append(_edge(op.id, data.id, style, None))
        for e in op.edges:
            if e.const:
                nodes.append(_const_node(consts[e.src], op.module, style))
            edges.append(_input_edge(e, op, style, names))
    if graph.hidden:
        nodes.append(more_node(graph.hidden, style))
        edges = _dedupe_more(edges)
    for s in graph.saved:
        nodes.append(_saved_node(s, ops, style))
        edges.append(
            PEdge(s.id, s.op, {"style": "dashed", "color": "#ef6c00", "arrowhead": "odot"})
        )
    return nodes, edges


def more_node(count: int, style: Style) -> PNode:
    """The one node that stands for everything past max_nodes."""
    more = escape(word("more nodes", style.lang, count=count))
    hint = escape(word("more hint", style.lang, limit=style.max_nodes))
    label = f'<b>{more}</b><br/><font point-size="9">{hint}</font>'
    attrs = {"shape": "box", "style": "dashed,rounded", "color": "#757575"}
    return PNode("more", label, attrs, hidden=count)


def _dedupe_more(edges) -> list:
    seen, out = set(), []
    for e in edges:
        if e.src == "more":
            if e.dst in seen:
                continue
            seen.add(e.dst)
            e.attrs.pop("label", None)
        out.append(e)
    return out


def users_of(graph) -> dict:
    """Data id -> the engine nodes of the ops that use it (one per input slot)."""
    users = {}
    for op in graph.ops:
        for e in op.edges:
            if not e.const:
                users.setdefault(e.src, []).append(op.node)
    return users


# Step frames: where a tensor's gradient is, the same colours in every frame (fill, border,
# border style); the key's swatches are drawn from this table too, so they match the nodes.
STEP_LOOKS = {
    "running": ("#e8f5e9", CURRENT, "solid"),
    "done": ("#e8f5e9", "#2e7d32", "solid"),
    "partial": ("#f3e5f5", "#8e24aa", "dashed"),
    "pending": ("#fafafa", "#757575", "dotted"),
}


def step_status(data, users, style):
    """running, done (complete: ran, or every user has sent its part), partial k/n, pending."""
    if style.known is None:
        return None
    if style.layer is not None:
        return _layer_status(data, users, style.layer)
    if data.node is style.current:
        return "running"
    senders = users.get(data.id, ())
    arrived = sum(1 for u in senders if u in style.known)
    if data.node in style.known or (senders and arrived == len(senders)):
        return "done"
    return f"partial {arrived}/{len(senders)}" if arrived else "pending"


def _layer_status(data, users, layer) -> str:
    """A layer's status for every tensor: its name, or for layer k "partial k/n" where a
    tensor has more than k parts (else pending)."""
    if not isinstance(layer, int):
        return layer
    n = len(users.get(data.id, ()))
    return f"partial {layer}/{n}" if layer < n else "pending"


def _grad_known(status) -> bool:
    return status in (None, "running", "done")


def _data_node(data, style: Style, status=None) -> PNode:
    grad = data.grad if _grad_known(status) else None
    state = grad_state(grad, style.vanish, style.explode) if style.grads else None
    if state == "none" and data.passed and style.known is None:
        state = "unkept"
    if state == "none" and not _grad_known(status):
        state = None  # waiting, not "not computed": drawn grey below
    lines = []
    if data.name:
        lines.append(f"<b>{escape(data.name)}</b>")
    elif data.auto:  # a default name, set apart from the names the program gave
        lines.append(f"<i>{escape(data.auto)}</i>")
    meta = fmt_shape(data.shape, style.lang) + " · " + fmt_dtype(data.dtype)
    lines.append(f'<font point-size="9" color="#757575">{escape(meta)}</font>')
    if style.values:
        value = "—" if data.value is None else fmt_array(data.value, style.digits)
        lines.append(f'<font color="{VALUE_COLOR}">{_word("value", style)} {escape(value)}</font>')
    if style.grads:
        shown = _grad_text(grad, data, style, status)
        lines.append(f'<font color="{GRAD_COLOR}">{_word("grad", style)} {escape(shown)}</font>')
        if data.leaf and style.show == "backward":
            lines.append('<font point-size="8" color="#616161">AccumulateGrad</font>')
    fill, border = STATES[state] if state else ("#eceff1" if data.leaf else "#ffffff", "#455a64")
    if data.param is not None and not style.grads:
        fill = "#fff9c4"
    attrs = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": fill,
        "color": border,
        "tooltip": _tooltip(data, style, status),
    }
    if state == "none":
        attrs["style"] = "rounded,filled,dashed"
    if not _grad_known(status):
        fill, border, line = STEP_LOOKS[status.split()[0]]
        attrs.update(style=f"rounded,filled,{line}", fillcolor=fill, color=border)
    _mark_current(attrs, data.node, style)
    norm = float(np.linalg.norm(np.ravel(grad))) if grad is not None else 0.0
    return PNode(
        data.id,
        _label(lines, data, grad, style),
        attrs,
        data.module,
        state,
        int(data.param is not None),
        norm,
    )


def _label(lines, data, grad, style) -> str:
    """Text lines, then (with heatmaps) the value and gradient as cells or as statistics."""
    pictures = []
    if style.heatmaps and style.values and data.value is not None:
        pictures.append(_tensor_picture(data.value, VALUE_COLOR, "value", style))
    if style.heatmaps and style.grads and grad is not None:
        pictures.append(_tensor_picture(grad, GRAD_COLOR, "grad", style))
    pictures = [p for p in pictures if p]
    if not pictures:
        return "<br/>".join(lines)
    span = f' colspan="{len(pictures)}"' if len(pictures) > 1 else ""
    rows = "".join(f"<tr><td{span}>{line}</td></tr>" for line in lines)
    cells = "".join(f'<td valign="top">{p}</td>' for p in pictures)
    return (
        '<table border="0" cellborder="0" cellspacing="2" cellpadding="0">'
        f"{rows}<tr>{cells}</tr></table>"
    )


def _tensor_picture(array, color, what, style) -> str | None:
    """A heatmap table for a small tensor, statistics for a larger one, None for a number."""
    if np.size(array) < 2:
        return None
    caption = _word(what, style)
    grid = cells.as_grid(array)
    if grid is not None:
        return cells.heat_table(grid, caption, style.digits)
    text = "<br/>".join(escape(line) for line in cells.stats_lines(array, 3, style.lang))
    return f'<font point-size="8" color="{color}">{caption}: {text}</font>'


def _word(key, style, **fields) -> str:
    """A catalogue word in the style's language, escaped for an HTML-like label."""
    return escape(word(key, style.lang, **fields))


def _grad_text(grad, data, style, status=None) -> str:
    if grad is not None:
        return fmt_array(grad, style.digits)
    if status == "pending":
        return "…"  # short: the box was sized for the final number
    if status and status.startswith("partial"):
        return f"{status.split()[1]} …"  # k/n parts have arrived
    return word("not kept", style.lang) if data.passed and style.known is None else "—"


def _tooltip(data, style, status=None) -> str:
    """Full precision on hover (SVG): the label rounds to significant digits."""
    parts = [data.shown_name or data.id]
    if style.values and data.value is not None and np.size(data.value) <= 16:
        parts.append(f"value={np.asarray(data.value).tolist()!r}")
    if style.grads and _grad_known(status) and data.grad is not None and np.size(data.grad) <= 16:
        parts.append(f"grad={np.asarray(data.grad).tolist()!r}")
    return ", ".join(parts)


def _mark_current(attrs, node, style) -> None:
    if style.layer == "running" or (style.current is not None and node is style.current):
        attrs["penwidth"] = "3"
        attrs["color"] = CURRENT


def _op_node(op, style: Style) -> PNode:
    symbol = f'<font point-size="16">{escape(op.symbol)}</font>'
    label = symbol
    if style.grads:
        label += f'<br/><font point-size="8" color="#616161">{escape(op.caption)}</font>'
    attrs = {
        "shape": "ellipse" if style.grads or len(op.symbol) > 2 else "circle",
        "style": "filled",
        "fillcolor": "#fafafa",
        "color": "#37474f",
        "tooltip": op.caption if style.grads else op.symbol,
    }
    _mark_current(attrs, op.node, style)
    return PNode(op.id, label, attrs, op.module)


def _const_node(const, module, style) -> PNode:
    if const.value is not None:
        text = fmt_array(const.value, style.digits)
    elif const.shape is not None:
        text = f"{fmt_shape(const.shape, style.lang)} · {fmt_dtype(const.dtype)}"
    else:
        text = word("constant", style.lang)
    head = f"<b>{escape(const.name)}</b> " if const.name else ""
    label = (
        f'{head}<font point-size="8" color="#757575">{_word("const", style)}</font><br/>'
        f'<font color="#424242">{escape(text)}</font>'
    )
    attrs = {"shape": "box", "style": "dashed,rounded", "color": "#9e9e9e"}
    return PNode(const.id, label, attrs, module)


def _saved_node(saved, ops, style) -> PNode:
    color = "#9e9e9e" if saved.freed else "#ef6c00"
    fields = dict(saved.fields)
    if "shape" in fields:
        fields["shape"] = fmt_shape(fields["shape"], style.lang)
    text = _word(saved.key, style, **fields)
    label = f'<font point-size="9" color="{color}">{"<s>" + text + "</s>" if saved.freed else text}</font>'
    owner = next((op for op in ops.values() if op.id == saved.op), None)
    attrs = {"shape": "note", "style": "dashed", "color": color}
    return PNode(saved.id, label, attrs, owner.module if owner else None)


def _edge(src, dst, style, label) -> PEdge:
    attrs = {"dir": "back"} if style.show == "backward" else {}
    if label:
        attrs["label"] = label
        attrs["fontcolor"] = GRAD_COLOR
    return PEdge(src, dst, attrs)


def _input_edge(edge, op, style, names) -> PEdge:
    """An input's edge into its op, labelled with the gradient it carries back (once known):
    the whole chain rule 'a × b = c' in the both view, the contribution in the backward view."""
    known = style.known is None or op.node in style.known
    if edge.const or not style.grads or not known or edge.contribution is None:
        return _edge(edge.src, op.id, style, None)
    product = product_text(edge, op, names, style.digits) if style.show == "both" else None
    label = product or fmt_array(edge.contribution, style.digits)
    picture = _edge(edge.src, op.id, style, label)
    picture.tensor = product is not None and np.size(op.out.grad) > 1
    return picture


def operand_names(graph) -> dict:
    """Data and constant ids -> the names pictures and formulas write for them."""
    names = {c.id: c.name for c in graph.consts if c.name}
    names.update((d.id, d.shown_name) for d in graph.datas if d.shown_name)
    return names


def product_text(edge, op, names, digits: int = 4) -> str | None:
    """The chain rule on one edge, 'a × b = c': what the op sends to this input.

    A scalar upstream gradient u gives the local derivative as numbers (c / u: 6 × 1 = 6); a
    matrix product writes the other matrix, as the seeds do (g @ W_outᵀ, xᵀ @ g); any other op
    the vector-Jacobian product g · J that backward computes.
    """
    sent, up = edge.contribution, op.out.grad
    if sent is None or up is None:
        return None
    c, g = fmt_array(sent, digits), fmt_array(up, digits)
    if np.size(up) == 1:
        u = float(np.ravel(up)[0])
        local = fmt_array(np.asarray(sent, dtype=np.float64) / u, digits) if u != 0 else "∂"
        return f"{local} × {g} = {c}"
    if op.symbol == "@" and len(op.edges) == 2:
        other = names.get(op.edges[1 - edge.slot].src) or ("W" if edge.slot == 0 else "x")
        other = f"({other})" if spaced(other) else other
        return f"{g} @ {other}ᵀ = {c}" if edge.slot == 0 else f"{other}ᵀ @ {g} = {c}"
    return f"{g} · J = {c}"
