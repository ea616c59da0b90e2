"""Layout choices made before Graphviz runs: the rank direction that fits a page, a straight
main chain, parameters beside their op. Sizes are estimated from the label text (points)."""

import re
from collections import defaultdict

BIG = 2000  # picture nodes; past this no layout estimate is made
PAGE = 1100  # points: a notebook column / a slide at 100% zoom
CHAR = 0.56  # Helvetica's mean advance per point of font size
NODESEP, RANKSEP = 25.0, 32.0  # the graph's nodesep/ranksep (0.35in, 0.45in) in points
_TAG = re.compile(r"<[^>]+>")
_SIZE = re.compile(r'point-size="(\d+(?:\.\d+)?)"')
_WIDTH = re.compile(r'<td[^>]*\bwidth="(\d+)"')
_ROW = re.compile(r"<br/>|</tr>")


def label_size(label: str, fontsize: float = 11.0, ellipse: bool = False) -> tuple:
    """(width, height) in points of an HTML-like label, roughly as `dot` will size it."""
    width, height = 0.0, 0.0
    for row in _ROW.split(label):
        sizes = [float(s) for s in _SIZE.findall(row)]
        size = sizes[-1] if sizes else fontsize
        cells = sum(int(w) + 1 for w in _WIDTH.findall(row))  # heatmap cells: fixed widths
        text = _TAG.sub("", row).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        w = len(text.strip()) * size * CHAR + cells
        if w or cells:
            width = max(width, w)
            height += max(size * 1.25, 11.0 if cells else 0.0)
    width, height = width + 18, height + 9  # the node margin 0.12in × 0.06in, both sides
    return (width * 1.35, height * 1.4) if ellipse else (width, height)


def depths(nodes, edges) -> dict:
    """Rank of each node counted from the output (0), as late as possible like `dot` puts them."""
    users, inputs = defaultdict(list), defaultdict(list)
    for e in edges:
        users[e.src].append(e.dst)
        inputs[e.dst].append(e.src)
    waiting = {n.id: len(users.get(n.id, ())) for n in nodes}
    depth = {}
    ready = [nid for nid, k in waiting.items() if k == 0]
    while ready:  # Kahn's order from the sinks: a node after all of its users
        nid = ready.pop()
        depth[nid] = max((depth[u] + 1 for u in users.get(nid, ()) if u in depth), default=0)
        for src in inputs.get(nid, ()):
            if src in waiting:
                waiting[src] -= 1
                if waiting[src] == 0:
                    ready.append(src)
    for n in nodes:  # merged module nodes can close a cycle: those keep rank 0
        depth.setdefault(n.id, 0)
    return depth


def estimate(nodes, edges) -> dict:
    """Estimated picture size in points: LR and TB widths, TB_height, and TB_label (the widest
    edge label, which sits beside a top-down edge)."""
    sizes = {n.id: label_size(n.label, ellipse=n.attrs.get("shape") == "ellipse") for n in nodes}
    depth = depths(nodes, edges)
    rank_w, rank_sum, rank_n = defaultdict(float), defaultdict(float), defaultdict(int)
    rank_h = defaultdict(float)
    for n in nodes:
        w, h = sizes[n.id]
        r = depth[n.id]
        rank_w[r], rank_sum[r], rank_n[r] = max(rank_w[r], w), rank_sum[r] + w, rank_n[r] + 1
        rank_h[r] = max(rank_h[r], h)
    gap_w, gap_sum = defaultdict(float), defaultdict(float)  # edge labels sit between ranks
    gap_h = defaultdict(float)
    for e in edges:
        if "label" in e.attrs:
            w, h = label_size(e.attrs["label"], 10.0)
            r = depth.get(e.dst, 0)
            gap_w[r], gap_sum[r] = max(gap_w[r], w), gap_sum[r] + w + NODESEP
            gap_h[r] = max(gap_h[r], h)
    ranks = sorted(rank_w)
    lr = sum(rank_w[r] for r in ranks) + sum(max(gap_w[r], RANKSEP) for r in ranks[1:])
    tb_rows = [rank_sum[r] + NODESEP * (rank_n[r] - 1) for r in ranks]
    tb = max(tb_rows + [gap_sum[r] for r in ranks])
    height = sum(rank_h[r] for r in ranks) + sum(max(gap_h[r], RANKSEP) for r in ranks[1:])
    label = max(gap_w.values(), default=0.0)  # beside a top-down edge: adds to the width
    return {"LR": lr + 16, "TB": tb + 16, "TB_height": height + 16, "TB_label": label}


def choose_rankdir(nodes, edges) -> str:
    """LR (the slides' direction) when it fits PAGE, else the narrower of LR and TB."""
    widths = estimate(nodes, edges)
    if widths["LR"] <= PAGE:
        return "LR"
    return "TB" if widths["TB"] < widths["LR"] else "LR"


def spine(nodes, edges) -> set:
    """The main chain: from the output, always into the input with the deepest history."""
    inputs = defaultdict(list)
    for e in edges:
        inputs[e.dst].append(e.src)
    depth = depths(nodes, edges)
    height = {}  # longest path from a source: inputs first, i.e. deepest rank first
    for nid in sorted(depth, key=depth.get, reverse=True):
        height[nid] = 1 + max((height.get(s, 0) for s in inputs.get(nid, ())), default=-1)
    if not nodes:
        return set()
    chain, current = set(), nodes[0].id
    while current is not None and current not in chain:
        chain.add(current)
        srcs = [s for s in inputs.get(current, ()) if s in height]
        current = max(srcs, key=lambda s: height[s]) if srcs else None
    return chain


def beside(nodes, edges, chain) -> list:
    """(parameter, op) pairs to put on one rank: a leaf used once, by an op on the main chain."""
    uses = defaultdict(list)
    for e in edges:
        uses[e.src].append(e.dst)
    has_inputs = {e.dst for e in edges}
    pairs = []
    for n in nodes:
        users = uses.get(n.id, ())
        if n.params and n.id not in has_inputs and len(users) == 1 and users[0] in chain:
            pairs.append((n.id, users[0]))
    return pairs


def folds(nodes, edges, chain, columns: int) -> tuple:
    """Fold a tall top-down picture into `columns` side by side: the main chain is cut at
    even depths (those edges get constraint=false, so the part above starts at the top
    again). Returns (indices of the cut edges, {chain node id: its column's group})."""
    depth = depths(nodes, edges)
    deepest = max((depth[n] for n in chain), default=0)
    cuts, groups = [], {}
    for j in range(1, columns):
        target = deepest * j / columns
        best = min(
            (
                (abs(depth[e.dst] - target), i)
                for i, e in enumerate(edges)
                if e.src in chain
                and e.dst in chain
                and e.src.startswith("d")
                and depth[e.src] == depth[e.dst] + 1
            ),
            default=None,
        )
        if best is not None and best[1] not in cuts:
            cuts.append(best[1])
    bounds = sorted(depth[edges[i].dst] for i in cuts)
    for nid in chain:
        groups[nid] = f"main{sum(depth[nid] > b for b in bounds)}"
    return set(cuts), groups


def column_tops(chain, groups, nodes, edges) -> list:
    """The first chain node of each folded column, the inputs' column first (left)."""
    depth = depths(nodes, edges)
    tops = {}
    for nid in chain:
        g = groups[nid]
        if g not in tops or depth[nid] > depth[tops[g]]:
            tops[g] = nid
    return [tops[g] for g in sorted(tops, key=lambda g: -int(g[4:]))]


def columns_for(widths: dict) -> int:
    """How many columns a tall top-down picture folds into (1: no fold) to stay on the page."""
    tall = widths["TB_height"] / PAGE
    if tall <= 1.3:
        return 1
    fit = int(PAGE // (widths["TB"] + widths["TB_label"] + 40))
    return max(1, min(fit, int(tall + 0.99)))
