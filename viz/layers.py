"""A step-by-step backward drawn at the cost of what changes: the graph is laid out once and
drawn a few times as whole layers at those positions (every tensor pending, done, running, or
k of its n gradient parts arrived; every edge with its gradient or without), and each frame
is a list of the elements whose look changes, each shown from the layer of its new state.

A frame of n steps costs the few elements that step touches, not the whole graph: the page
holds one picture, and the numbered SVG files are put together from the layers without
running Graphviz again.
"""

import json
import re
from dataclasses import replace
from html import escape, unescape

from . import pin
from .dot import graph_dot
from .picture import step_status

MAX_PARTIAL = 8  # "k of n parts" layers drawn; a node past the 8th part shows as pending
TITLE = "STEPTITLEMARK"  # drawn in every layer where each frame's title goes
_GROUP = re.compile(r'<g id="(?:node|edge)\d+" class="(node|edge)">\n<title>(.*?)</title>')


class Layers:
    """The layers of one backward, each element's layer per frame, and the frames' titles."""

    def __init__(self, graph, order, users, style, pins, titles):
        self.titles = titles
        initial, frames, keys = _plan(graph, order, users, style)
        svgs = {key: _draw(graph, style, pins, key, order) for key in keys}
        self.skeleton, groups = _split(svgs["pending"])
        self.groups = {key: _split(svg)[1] for key, svg in svgs.items()}
        for key, drawn in self.groups.items():
            if [name for name, _ in drawn] != [name for name, _ in groups]:
                raise RuntimeError(f"steps: the {key!r} layer drew other elements than the first")
        where = {}
        for i, (name, _) in enumerate(groups):
            where.setdefault(name, []).append(i)
        self.first = ["pending"] * len(groups)
        for name, key in initial.items():
            for i in where.get(name, ()):
                self.first[i] = key
        self.changes = [
            [(i, key) for name, key in frame for i in where.get(name, ())] for frame in frames
        ]

    def frame_svg(self, i: int) -> str:
        """Frame i as a standalone SVG, put together from the layers."""
        layers = list(self.first)
        for step in self.changes[1 : i + 1]:
            for element, key in step:
                layers[element] = key
        parts = [self.skeleton[0]]
        for element, key in enumerate(layers):
            parts.append(self.groups[key][element][1])
            parts.append(self.skeleton[element + 1])
        return "".join(parts).replace(TITLE, escape(self.titles[i]))

    def page_svg(self) -> str:
        """One picture for the player: each element's versions side by side, the first
        frame's shown; ids s<element>-<layer> for the player's script."""
        head = self.skeleton[0].replace(f">{TITLE}<", f' id="steptitle">{TITLE}<')
        parts = [head[head.find("<svg") :]]
        used = [{key} for key in self.first]
        for step in self.changes:
            for element, key in step:
                used[element].add(key)
        for element, keys in enumerate(used):
            for key in sorted(keys, key=str):
                shown = "" if key == self.first[element] else ' style="display:none"'
                body = re.sub(r' id="[^"]*"', "", self.groups[key][element][1])
                parts.append(f'<g id="s{element}-{key}"{shown}>{body}</g>')
            parts.append(self.skeleton[element + 1])
        return "".join(parts).replace(TITLE, escape(self.titles[0]))

    def script_data(self) -> str:
        """The frames for the player: each element's first layer, each step's changes, titles."""
        data = {"first": self.first, "changes": self.changes, "titles": self.titles}
        return json.dumps(data).replace("</", "<\\/")  # a name cannot close <script> early


def _plan(graph, order, users, style):
    """({element: layer} of the first frame, [[(element, layer)] changed by each frame], the
    layers used), found from the few elements each step touches."""
    ops = {op.node: op for op in graph.ops}
    datas = {d.id: d for d in graph.datas}
    sends = {}
    for data_id, senders in users.items():
        for node in senders:
            sends.setdefault(node, []).append(data_id)
    state, frames, keys, known = {}, [], {"pending"}, set()
    for i, node in enumerate(order):
        known.add(node)
        now = replace(style, known=known, current=node)
        before = order[i - 1] if i else None
        touched = [graph.by_node[node].id, *sends.get(node, ())]
        touched += [graph.by_node[before].id] if i else []
        change = {d: _layer(step_status(datas[d], users, now)) for d in touched}
        for n in (node, before):
            if n in ops:
                change[ops[n].id] = "running" if n is node else "pending"
        if node in ops:  # the edges into this op show their gradients from now on
            for e in ops[node].edges:
                change[f"{e.src}->{ops[node].id}"] = "done"
        frames.append([(k, v) for k, v in change.items() if state.get(k, "pending") != v])
        state.update(change)
        keys.update(change.values())
    initial = dict(frames[0]) if frames else {}
    frames[:1] = [[]]
    return initial, frames, keys


def _draw(graph, style, pins, key, order) -> str:
    """One whole layer at the pinned positions."""
    known = set(order) if key == "done" else set()
    layer = replace(style, known=known, current=None, layer=key, title=TITLE)
    return pin.render(graph_dot(graph, layer, pins), "svg").decode("utf-8")


def _layer(status: str):
    """The layer a data node of this step status is drawn from."""
    if status.startswith("partial"):
        k = int(status.split()[1].split("/")[0])
        return k if k <= MAX_PARTIAL else "pending"
    return status


def _split(svg: str):
    """(the text between the node and edge groups, [(name, group)] in order); a node's name
    is its id, an edge's "src->dst" (two edges of x * x share one, and always a layer)."""
    pieces, groups, at = [], [], 0
    for match in _GROUP.finditer(svg):
        start = match.start()
        end = _group_end(svg, start)
        pieces.append(svg[at:start])
        groups.append((unescape(match.group(2)), svg[start:end]))
        at = end
    pieces.append(svg[at:])
    return pieces, groups


def _group_end(svg: str, start: int) -> int:
    """The index after the </g> that closes the <g> at start (groups nest: tooltips)."""
    depth, i = 0, start
    while True:
        opening, closing = svg.find("<g", i), svg.find("</g>", i)
        if 0 <= opening < closing:
            depth, i = depth + 1, opening + 2
        else:
            depth, i = depth - 1, closing + 4
            if depth == 0:
                return i
