"""Layered network diagrams, as the seeds draw them: units in columns, every link an arrow,
weights written on the links where no two labels touch, dead units dashed, gradients flowing
back in red (matplotlib, lazily)."""

import numpy as np

from .diagnostics import _done
from .labels import fmt_number
from .words import word

INCH = 0.62  # inches per unit of the diagram's coordinates
GAP = 3.2  # units between two columns
FONT = 8.0  # points: weights on links
BEND = 0.25  # how far a backward arrow bows out beside its forward link
SPOTS = np.arange(0.12, 0.89, 0.02)  # where a label may sit along its link


def plot_network(
    units,
    weights=None,
    bias=None,
    dead=(),
    back=(),
    titles=None,
    after: str | None = None,
    title: str | None = None,
    max_units: int = 7,
    path=None,
    lang: str | None = None,
):
    """A layered network: `units` per layer, each a count or a list of labels (text may span
    lines); `weights[l]` an (n_l, n_l+1) array written on the links of gap l (or None);
    `bias[l]` how many leading units of layer l are bias units (grey, no links into them);
    `dead` (layer, unit) pairs drawn dashed with their links; `back` (layer, unit, layer,
    unit, text) arrows drawn in red, e.g. the δ's of backpropagation; `after` a box the
    outputs feed (the loss); a layer of more than `max_units` units is drawn shortened (⋮).
    Returns a matplotlib Figure, saved when given a path."""
    from matplotlib.figure import Figure

    labels = [_unit_labels(layer, i, len(units), max_units) for i, layer in enumerate(units)]
    bias = list(bias or [0] * len(units))
    size = _Measure()
    radius = max(0.3, max(np.hypot(*size(t)) / 2 + 0.05 for col in labels for t in col))
    step = 2 * radius + 0.45
    xs = _column_xs(labels, weights)
    xy = [_column(x, len(col), step) for x, col in zip(xs, labels, strict=True)]
    heads = (
        list(titles) if titles else [_layer_title(i, len(units), lang) for i in range(len(units))]
    )
    box = size(after) if after else (0.0, 0.0)
    margins = [max(radius, size(head)[0] / 2) + 0.25 for head in (heads[0], heads[-1])]
    left, right = -margins[0], xs[-1] + margins[1] + (box[0] + 1.3 if after else 0.0)
    if title:  # a long title widens the picture rather than leave it
        extra = max(0.0, size(title, 10)[0] + 0.4 - (right - left)) / 2
        left, right = left - extra, right + extra
    top, bottom = 0.75 + (0.45 if title else 0.0), -max(len(col) for col in labels) * step - 0.2
    fig = Figure(figsize=((right - left) * INCH, (top - bottom) * INCH))
    ax = fig.add_axes((0, 0, 1, 1))  # one unit is INCH inches: measured sizes hold
    dead = set(map(tuple, dead))
    # boxes labels must not touch: the units, then each label drawn (x0, y0, x1, y1)
    r = 0.9 * radius  # a circle's box, less its corners
    placed = [(x - r, y - r, x + r, y + r) for col in xy for x, y in col]
    links = [
        _links(ax, gap, labels, xy, radius, bias, dead, weights, placed, size)
        for gap in range(len(units) - 1)
    ]
    for i, col in enumerate(labels):
        for j, text in enumerate(col):
            _unit(ax, xy[i][j], text, radius, j < bias[i], (i, j) in dead)
        ax.text(xs[i], xy[i][0][1] + radius + 0.35, heads[i], ha="center", va="bottom", fontsize=9)
    lines = [ends for gap in links for ends in gap]
    for src_l, src_u, dst_l, dst_u, text in back:
        _back(ax, xy[src_l][src_u], xy[dst_l][dst_u], radius, text, placed, lines, size)
    if after:
        _after(ax, after, box, xy[-1], radius)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    if title:
        ax.text((left + right) / 2, top - 0.1, title, ha="center", va="top", fontsize=10)
    return _done(fig, path)


class _Measure:
    """Text sizes in diagram units, measured by matplotlib's own renderer (as it will draw)."""

    def __init__(self):
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.font_manager import FontProperties

        self.dpi = 100
        self.renderer = RendererAgg(10, 10, self.dpi)
        self.font = FontProperties

    def __call__(self, text: str, points: float = 9.0) -> tuple:
        lines = text.split("\n")
        font = self.font(size=points)
        widths = [self.renderer.get_text_width_height_descent(s, font, False)[0] for s in lines]
        inch = self.dpi * INCH
        return max(widths) / inch, len(lines) * points * 1.25 / 72 / INCH


def _unit_labels(layer, index, count, max_units) -> list:
    """Labels of a layer's units; a long layer keeps its first units, ⋮ and its last."""
    if isinstance(layer, (int, np.integer)):
        letter = "x" if index == 0 else "y" if index == count - 1 else "h"
        layer = [f"{letter}{_sub(j + 1)}" for j in range(int(layer))]
    layer = [str(t) for t in layer]
    if len(layer) > max_units:
        layer = layer[: max_units - 2] + ["⋮"] + layer[-1:]
    return layer


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _layer_title(index, count, lang) -> str:
    if index == 0:
        return word("input layer", lang)
    if index == count - 1:
        return word("output layer", lang)
    return word("hidden layer", lang, index=index)


def _column_xs(labels, weights) -> list:
    """Where the columns stand: a gap whose links carry weights widens with their number, so
    that every weight finds a place of its own along its link."""
    xs = [0.0]
    for gap in range(len(labels) - 1):
        links = len(labels[gap]) * len(labels[gap + 1])
        weighted = weights is not None and weights[gap] is not None
        xs.append(xs[-1] + GAP + (0.28 * max(0, links - 6) if weighted else 0.0))
    return xs


def _column(x, n, step) -> list:
    return [(x, -step * j - step / 2) for j in range(n)]


def _unit(ax, xy, text, radius, is_bias, is_dead) -> None:
    from matplotlib.patches import Circle

    fill = "#e0e0e0" if is_bias else "#fde0dc" if is_dead else "#ffffff"
    ax.add_patch(
        Circle(xy, radius, facecolor=fill, edgecolor="#37474f", ls="--" if is_dead else "-", lw=1)
    )
    if text != "⋮":
        ax.text(*xy, text, ha="center", va="center", fontsize=9, zorder=4)
    else:
        ax.patches[-1].set_visible(False)
        ax.text(*xy, "⋮", ha="center", va="center", fontsize=16)


def _links(ax, gap, labels, xy, radius, bias, dead, weights, placed, size) -> None:
    """Every link of one gap, then its weights, each where it touches no other label and
    crosses as few other links as can be."""
    table = None if weights is None or weights[gap] is None else np.asarray(weights[gap])
    links = []
    for i, src in enumerate(xy[gap]):
        for j, dst in enumerate(xy[gap + 1]):
            if j < bias[gap + 1] or "⋮" in (labels[gap][i], labels[gap + 1][j]):
                continue
            dashed = (gap, i) in dead or (gap + 1, j) in dead
            _arrow(ax, src, dst, radius, "#78909c", "--" if dashed else "-")
            links.append((i, j, _ends(src, dst, radius)))
    lines = [ends for _, _, ends in links]
    if table is None:
        return lines
    rows, cols = len(xy[gap]), len(xy[gap + 1])
    if table.shape != (rows, cols):
        raise ValueError(
            f"plot_network: weights[{gap}] has shape {table.shape}, but layers {gap} and "
            f"{gap + 1} draw {rows} and {cols} units. Pass one weight per drawn link."
        )
    for i, j, ends in sorted(links, key=lambda link: link[1]):
        others = [e for e in lines if e != ends]
        _label(ax, _straight(*ends), fmt_number(table[i, j], 3), placed, others, size)
    return lines


def _straight(start, end):
    """The point t of the way along a straight link."""
    return lambda t: (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))


def _ends(src, dst, radius):
    (x0, y0), (x1, y1) = src, dst
    length = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    return (x0 + ux * radius, y0 + uy * radius), (x1 - ux * radius, y1 - uy * radius)


def _arrow(ax, src, dst, radius, color, style, rad=0.0) -> None:
    start, end = _ends(src, dst, radius)
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "lw": 0.9,
            "ls": style,
            "shrinkA": 0,
            "shrinkB": 0,
            "mutation_scale": 9,
            "connectionstyle": f"arc3,rad={rad}",
        },
        zorder=1,
    )


def _label(ax, along, text, placed, lines, size, color="#37474f", prefer=0.5) -> None:
    """A label on its link, turned along it (`along(t)`: the point t of the way): at the spot
    nearest `prefer` that meets no placed box and the fewest other links (on a crossing it
    would read as the other link's)."""
    w0, h0 = size(text, FONT)

    def cost(box, t):
        covered = sum(_overlap(box, other) for other in placed)
        return covered * 100 + sum(_crosses(box, line) for line in lines) + abs(t - prefer)

    spots = []
    for t in SPOTS:
        (x, y), angle = along(t), _angle(along, t)
        c, s = abs(np.cos(angle)), abs(np.sin(angle))  # the box of the label turned to its link
        w, h = w0 * c + h0 * s, w0 * s + h0 * c
        box = (x - w / 2 - 0.05, y - h / 2 - 0.03, x + w / 2 + 0.05, y + h / 2 + 0.03)
        spots.append((cost(box, t), t, box, x, y, angle))
    _, _, box, x, y, angle = min(spots)
    placed.append(box)
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        rotation=np.degrees(angle),
        rotation_mode="anchor",
        fontsize=FONT,
        color=color,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9},
        zorder=3,
    )


def _angle(along, t) -> float:
    """The direction of the link at t (radians), turned to read left to right."""
    (x0, y0), (x1, y1) = along(t - 0.01), along(t + 0.01)
    angle = np.arctan2(y1 - y0, x1 - x0)
    return angle - np.pi if angle > np.pi / 2 else angle + np.pi if angle < -np.pi / 2 else angle


def _crosses(box, line, samples: int = 24) -> bool:
    """Whether a straight link passes through a box (checked at points along it)."""
    (x0, y0), (x1, y1) = line
    t = np.linspace(0, 1, samples)
    x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return bool(np.any((x > box[0]) & (x < box[2]) & (y > box[1]) & (y < box[3])))


def _overlap(a, b) -> float:
    """The area two boxes share (0 when apart)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _back(ax, src, dst, radius, text, placed, lines, size) -> None:
    """A red arrow against the forward direction, bent beside the forward link (matplotlib's
    arc3: a quadratic curve), its text placed on the curve like a weight."""
    _arrow(ax, src, dst, radius, "#c62828", "-", rad=BEND)
    start, end = _ends(src, dst, radius)
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    dx, dy = end[0] - start[0], end[1] - start[1]
    control = (mid[0] + BEND * dy, mid[1] - BEND * dx)

    def along(t):
        a, b, c = (1 - t) ** 2, 2 * t * (1 - t), t**2
        return tuple(a * p + b * q + c * r for p, q, r in zip(start, control, end, strict=True))

    # near the unit it leaves, where the backward arrows are still apart
    _label(ax, along, text, placed, lines, size, color="#c62828", prefer=0.2)


def _after(ax, text, box, outputs, radius) -> None:
    from matplotlib.patches import FancyBboxPatch

    w, h = box
    x = outputs[0][0] + radius + 1.0 + w / 2
    y = (outputs[0][1] + outputs[-1][1]) / 2
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.12", fc="#f5f5f5", ec="#37474f"
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=4)
    for xy in outputs:
        start, _ = _ends(xy, (x - w / 2, y), radius)
        ax.annotate(
            "",
            xy=(x - w / 2 - 0.14, y),
            xytext=start,
            arrowprops={"arrowstyle": "-|>", "color": "#78909c", "lw": 0.9, "mutation_scale": 9},
        )
