"""Picture nodes and edges to DOT text: pure strings, no Graphviz needed, same text every run."""

from html import escape

from . import layout
from .labels import EXPLODE, STATES, VANISH, fmt_number, legend_text
from .picture import STEP_LOOKS, PEdge, PNode, Style, build, more_node
from .trace import trace
from .words import word

DEFAULT_MAX_NODES = 200
_STATE_ORDER = list(STATES)


def to_dot(
    output,
    params=None,
    show: str = "both",
    rankdir: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    show_saved: bool = False,
    module_depth: int | None = None,
    digits: int = 4,
    vanish: float = VANISH,
    explode: float = EXPLODE,
    title: str | None = None,
    names: dict | None = None,
    heatmaps: bool = True,
    lang: str | None = None,
) -> str:
    """The DOT text of the graph behind `output` (deterministic; needs no Graphviz).

    `params`: {name: parameter} or a Module; `names`: {name: tensor} names any tensor;
    rankdir=None chooses LR or TB to fit the page; heatmaps draws small tensors' cells;
    lang "en" or "vi" (default: viz.set_language's choice) for every word of the picture.
    """
    style = Style(
        show,
        rankdir,
        max_nodes,
        legend,
        digits,
        vanish,
        explode,
        title=title,
        heatmaps=heatmaps,
        lang=lang,
    )
    return graph_dot(prepare(output, params, show_saved, module_depth, names, style), style)


def prepare(output, params, show_saved, module_depth, names, style):
    """The traced Graph for one picture (cut at max_nodes when no modules can summarise it)."""
    return trace(output, params, show_saved, module_depth, trace_limit(style, params), names)


def trace_limit(style: Style, params) -> int | None:
    """Without modules to group by, nodes past max_nodes are never drawn: skip their labels."""
    return style.max_nodes if params is None else None


def graph_dot(graph, style: Style, pins=None) -> str:
    """A traced graph as DOT text for one style (with pins: at fixed positions, for neato -n2)."""
    return "digraph {\n" + "".join(body_lines(graph, style, pins)) + "}\n"


def body_lines(graph, style: Style, pins=None) -> list:
    """The lines between `digraph {` and `}` (also a graphviz.Digraph's body)."""
    nodes, edges = build(graph, style)
    nodes, edges = collapse(nodes, edges, style, graph.titles)
    return _emit(nodes, edges, style, graph.titles, pins)


# --- collapsing big graphs ------------------------------------------------------------------
def collapse(nodes, edges, style: Style, titles=None):
    """Over max_nodes: one summary node per module, then one for everything past the limit."""
    limit = style.max_nodes
    if limit is None or len(nodes) <= limit:
        return nodes, edges
    if any(n.group is not None for n in nodes):
        nodes, mapping = _by_module(nodes, style, titles or {})
        edges = _remap(edges, mapping)
    if len(nodes) > limit:
        hidden = sum(n.hidden for n in nodes if n.id == "more")
        nodes = [n for n in nodes if n.id != "more"]
        keep, rest = nodes[: limit - 1], nodes[limit - 1 :]
        edges = _remap(edges, {n.id: "more" for n in rest})
        nodes = keep + [more_node(hidden + len(rest), style)]
    return nodes, edges


def _by_module(nodes, style: Style, titles):
    stats, order, kept, mapping = {}, [], [], {}
    for n in nodes:
        if n.group is None:
            kept.append(n)
            continue
        if n.group not in stats:
            stats[n.group] = {
                "id": f"m{len(stats)}",
                "ops": 0,
                "params": 0,
                "sq": 0.0,
                "states": set(),
            }
            order.append(n.group)
            kept.append(n.group)  # placeholder, replaced by the summary below
        s = stats[n.group]
        s["ops"] += n.id.startswith("op")
        s["params"] += n.params
        if n.params:
            s["sq"] += n.grad_norm**2
            s["states"].add(n.state)
        mapping[n.id] = s["id"]
    summaries = {g: _module_node(titles.get(g, g), stats[g], style) for g in order}
    return [summaries[n] if isinstance(n, str) else n for n in kept], mapping


def _module_node(group, s, style: Style) -> PNode:
    lines = [
        f'<font point-size="8" color="#5c6bc0">{escape(word("module", style.lang))}</font>',
        f"<b>{escape(group)}</b>",
        escape(word("module size", style.lang, ops=s["ops"], params=s["params"])),
    ]
    states = [st for st in _STATE_ORDER if st in s["states"]]
    worst = next((st for st in reversed(_STATE_ORDER) if st in s["states"]), None)
    if style.grads and s["params"]:
        norm = fmt_number(s["sq"] ** 0.5, style.digits)
        lines.append(f"{escape(word('param grad norm', style.lang))} {norm}")
    fill, border = STATES[worst] if style.grads and states else ("#e8eaf6", "#3949ab")
    attrs = {"shape": "box3d", "style": "filled", "fillcolor": fill, "color": border}
    return PNode(s["id"], "<br/>".join(lines), attrs, None, worst if style.grads else None)


def _remap(edges, mapping):
    out, seen = [], {}
    for e in edges:
        src, dst = mapping.get(e.src, e.src), mapping.get(e.dst, e.dst)
        if src == dst:
            continue
        key = (src, dst)
        if key in seen:  # merged edges: one arrow, no single gradient to print on it
            seen[key].attrs.pop("label", None)
            continue
        moved = src != e.src or dst != e.dst
        attrs = {k: v for k, v in e.attrs.items() if not (moved and k == "label")}
        seen[key] = PEdge(src, dst, attrs, e.tensor and "label" in attrs)
        out.append(seen[key])
    return out


# --- emitting DOT ---------------------------------------------------------------------------
def _emit(nodes, edges, style: Style, titles=None, pins=None) -> list:
    big = len(nodes) > layout.BIG  # never fits a page: skip the estimates, stack top-down
    rankdir = style.rankdir or ("TB" if big else layout.choose_rankdir(nodes, edges))
    chain = set() if big else layout.spine(nodes, edges)
    cuts, groups = set(), dict.fromkeys(chain, "main")
    if style.rankdir is None and rankdir == "TB" and not big and pins is None:
        columns = layout.columns_for(layout.estimate(nodes, edges))
        if columns > 1:  # a long chain folds into columns, each read top to bottom
            cuts, groups = layout.folds(nodes, edges, chain, columns)
    for i in cuts:
        edges[i].attrs["constraint"] = "false"
    order = []  # folded columns left to right: an invisible chain across their first nodes
    if cuts:
        tops = layout.column_tops(chain, groups, nodes, edges)
        order = [f"\t{{rank=same {' -> '.join(tops)} [style=invis]}}\n"]
    graph = {
        "rankdir": rankdir,
        "fontname": "Helvetica",
        "nodesep": "0.35",
        "ranksep": "0.45",
        "bgcolor": "white",
    }
    key = _legend(nodes, edges, style) if style.legend else []
    if style.title or key:
        graph.update(labelloc="t", labeljust="l")
    if pins is not None:
        graph.update(pins.graph)
        for n in nodes:
            n.attrs.update(pins.node(n.id))
        for i, e in enumerate(edges):
            e.attrs.update(pins.edge(i, e.src, e.dst))
    lines = [
        f"\tgraph [{_attrs(graph)}]\n",
        *(
            [f"\tgraph [label=<{_header(style.title, key, style.header_width)}>]\n"]
            if style.title or key
            else []
        ),
        '\tnode [fontname=Helvetica fontsize=11 margin="0.12,0.06"]\n',
        '\tedge [fontname=Helvetica fontsize=10 color="#546e7a" arrowsize=0.7]\n',
    ]
    for n in nodes:
        if n.id in groups:
            n.attrs["group"] = groups[n.id]  # dot keeps one group's edges straight: no drift
    group_of = {n.id: n.group for n in nodes}
    same = {}  # a rank=same pair goes inside its cluster, or dot pulls it out of the cluster
    for a, b in [] if big else layout.beside(nodes, edges, chain):
        if group_of[a] == group_of[b]:
            same.setdefault(group_of[a], []).append(f"{{rank=same {a} {b}}}\n")
    lines.extend("\t" + line for line in same.pop(None, []))
    lines.extend(order)
    clusters = {}
    for n in nodes:
        if n.group is None:
            lines.append(_node_line(n, "\t"))
        else:
            clusters.setdefault(n.group, []).append(n)
    for i, (group, members) in enumerate(clusters.items()):
        lines.append(f"\tsubgraph cluster_{i} {{\n")
        fixed = "" if pins is None else " " + _attrs(pins.clusters.get(f"cluster_{i}", {}))
        lines.append(
            f'\t\tgraph [label="{_q((titles or {}).get(group, group))}" '
            'style="rounded,dashed" color="#7986cb" '
            f'fontcolor="#3949ab"{fixed}]\n'
        )
        lines.extend(_node_line(n, "\t\t") for n in members)
        lines.extend("\t\t" + line for line in same.get(group, []))
        lines.append("\t}\n")
    lines.extend(
        f"\t{e.src} -> {e.dst}" + (f" [{_attrs(e.attrs)}]" if e.attrs else "") + "\n" for e in edges
    )
    return lines


def _header(title, key, width=None) -> str:
    """The title and the colour key in one table above the picture (never beside it).

    Flat, not nested: a nested key table would be stretched to the title's width.
    """
    rows = []
    width = width or (int(layout.label_size(escape(title), 14)[0]) if title else 0)
    if title:
        rows.append(
            f'<tr><td colspan="2" align="left" width="{width}">'
            f'<font point-size="14">{escape(title)}</font></td></tr>'
        )
    text_width = 0
    if title and key:  # the text column takes the width the title adds, not the swatches
        text_width = max(0, width - 90)
    for swatch, text in key:
        width = f' width="{text_width}"' if text_width else ""
        rows.append(
            f'<tr>{swatch}<td align="left"{width}><font point-size="9">{text}</font></td></tr>'
        )
    return (
        '<table border="0" cellborder="0" cellspacing="2" cellpadding="2" color="#bdbdbd">'
        + "".join(rows)
        + "</table>"
    )


def _swatch(fill, border, line="solid") -> str:
    look = "" if line == "solid" else f' style="{line}"'
    return (
        f'<td border="1"{look} bgcolor="{fill}" color="{border}" width="22" height="12" '
        'fixedsize="true"></td>'
    )


def _node_line(n: PNode, indent: str) -> str:
    return f"{indent}{n.id} [label=<{n.label}> {_attrs(n.attrs)}]\n"


def _attrs(attrs: dict) -> str:
    return " ".join(f'{k}="{_q(v)}"' for k, v in attrs.items())


def _q(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _step_legend(style: Style) -> list:
    """The same key in every frame of a stepper (so the frames never change size); each
    swatch is drawn in its nodes' colours and border style."""
    return [
        (_swatch(*look), escape(word(f"step {state}", style.lang)))
        for state, look in STEP_LOOKS.items()
    ]


def _legend(nodes, edges, style: Style) -> list:
    """A key for the gradient states that occur (and the chain rule on edges): (swatch, text)."""
    if style.known is not None:
        return _step_legend(style)
    present = {n.state for n in nodes if n.state is not None}
    if not style.grads or not present:
        return []
    rows = [
        (
            _swatch(*STATES[state]),
            escape(legend_text(state, style.vanish, style.explode, style.lang)),
        )
        for state in _STATE_ORDER
        if state in present
    ]
    if style.show == "both":
        rows.append((_product_key("a × b = c"), escape(word("edge key", style.lang))))
        if any(e.tensor and "label" in e.attrs for e in edges):
            rows.append((_product_key("g @ Wᵀ"), escape(word("tensor edge key", style.lang))))
    return rows


def _product_key(text) -> str:
    return f'<td><font point-size="9" color="#c62828">{escape(text)}</font></td>'
