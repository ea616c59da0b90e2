"""A small reader for viz's DOT text, so tests check what the picture says."""

import html
import re

NODE = re.compile(r"^\t+(\w+) \[label=<(.*)>(?: (.*))?\]$")
EDGE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$")
ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def text_of(label: str) -> list:
    """An HTML-like label as its visible lines."""
    label = re.sub(r"<br/>|</tr>|</td>", "\n", label)
    label = re.sub(r"<[^>]+>", "", label)
    return [html.unescape(line).strip() for line in label.split("\n") if line.strip()]


def parse(dot: str):
    """(nodes {id: {"lines": [...], **attrs}}, edges [(src, dst, attrs)])."""
    nodes, edges = {}, []
    for line in dot.splitlines():
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), dict(ATTR.findall(m.group(3) or ""))))
            continue
        m = NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):  # defaults, the title and key
            nodes[m.group(1)] = {
                "lines": text_of(m.group(2)),
                **dict(ATTR.findall(m.group(3) or "")),
            }
    return nodes, edges


def field(node, key):
    """The text after `key ` in a node's lines (e.g. 'value', 'grad'), or None."""
    for line in node["lines"]:
        if line.startswith(key + " "):
            return line[len(key) + 1 :]
    return None


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def by_name(nodes):
    """{tensor name: node} for data nodes whose first line is a name."""
    return {n["lines"][0]: n for i, n in nodes.items() if i.startswith("d")}
