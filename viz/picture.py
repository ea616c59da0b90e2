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
    fmt_number,
    fmt_shape,
    grad_state,
)

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

    def __post_init__(self):
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


def build(graph, style: Style):
    """Picture nodes and edges, in graph order (the output's side first)."""
    nodes, edges = [], []
    ops = {op.out.id: op for op in graph.ops}
    consts = {c.id: c for c in graph.consts}
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
            edges.append(_edge(e.src, op.id, style, _edge_label(e, op, style)))
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
    label = (
        f"<b>… {count} more nodes</b><br/>"
        f'<font point-size="9">max_nodes={style.max_nodes}; pass max_nodes=None for all</font>'
    )
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


# Step frames: where a tensor's gradient is, the same words and colours in every frame.
STEP_STATES = {
    "running": "running now: its gradient is complete and goes on to its inputs",
    "done": "gradient complete (fill colour: its state)",
    "partial": "some of its gradient has arrived (k of n parts)",
    "pending": "no gradient has arrived yet",
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
    meta = fmt_shape(data.shape) + " · " + fmt_dtype(data.dtype)
    lines.append(f'<font point-size="9" color="#757575">{escape(meta)}</font>')
    if style.values:
        value = "—" if data.value is None else fmt_array(data.value, style.digits)
        lines.append(f'<font color="{VALUE_COLOR}">value {escape(value)}</font>')
    if style.grads:
        shown = _grad_text(grad, data, style, status)
        lines.append(f'<font color="{GRAD_COLOR}">grad {escape(shown)}</font>')
        if data.leaf and style.show == "backward":
            lines.append('<font point-size="8" color="#616161">AccumulateGrad</font>')
    fill, border, _ = (
        STATES[state] if state else ("#eceff1" if data.leaf else "#ffffff", "#455a64", "")
    )
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
        attrs.update(style="rounded,filled,dotted", fillcolor="#fafafa", color="#9e9e9e")
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
        pictures.append(_tensor_picture(data.value, "value", style))
    if style.heatmaps and style.grads and grad is not None:
        pictures.append(_tensor_picture(grad, "grad", style))
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


def _tensor_picture(array, what, style) -> str | None:
    """A heatmap table for a small tensor, statistics for a larger one, None for a number."""
    if np.size(array) < 2:
        return None
    grid = cells.as_grid(array)
    if grid is not None:
        return cells.heat_table(grid, what, style.digits)
    color = VALUE_COLOR if what == "value" else GRAD_COLOR
    text = "<br/>".join(escape(line) for line in cells.stats_lines(array, 3))
    return f'<font point-size="8" color="{color}">{what}: {text}</font>'


def _grad_text(grad, data, style, status=None) -> str:
    if grad is not None:
        return fmt_array(grad, style.digits)
    if status == "pending":
        return "…"  # short: the box was sized for the final number
    if status and status.startswith("partial"):
        return f"{status.split()[1]} …"  # k/n parts have arrived
    return "(not kept)" if data.passed and style.known is None else "—"


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
        text = f"{fmt_shape(const.shape)} · {fmt_dtype(const.dtype)}"
    else:
        text = "constant"
    head = f"<b>{escape(const.name)}</b> " if const.name else ""
    label = (
        f'{head}<font point-size="8" color="#757575">const</font><br/>'
        f'<font color="#424242">{escape(text)}</font>'
    )
    attrs = {"shape": "box", "style": "dashed,rounded", "color": "#9e9e9e"}
    return PNode(const.id, label, attrs, module)


def _saved_node(saved, ops, style) -> PNode:
    color = "#9e9e9e" if saved.freed else "#ef6c00"
    text = escape(saved.label)
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


def _edge_label(edge, op, style) -> str | None:
    """'local × upstream = contribution' in both views; the contribution in backward."""
    if edge.const or not style.grads:
        return None
    if style.known is not None and op.node not in style.known:
        return None
    g = edge.contribution
    if g is None:
        return None
    text = fmt_array(g, style.digits)
    up = op.out.grad
    if style.show == "both" and up is not None and np.size(up) == 1 and np.size(g) == 1:
        u = float(np.ravel(up)[0])
        local = fmt_number(float(np.ravel(g)[0]) / u, style.digits) if u != 0 else "∂"
        text = f"{local} × {fmt_number(u, style.digits)} = {text}"
    return text
