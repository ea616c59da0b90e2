"""Tensors as pictures inside a node: small ones as heatmaps of coloured cells (zeros and
NaN/Inf marked), larger ones as summary statistics with a histogram sparkline."""

import numpy as np

from .labels import fmt_number
from .words import word

HEAT = 16  # a tensor whose (rows, columns) both fit this is drawn cell by cell
POSITIVE, NEGATIVE = (178, 24, 43), (33, 102, 172)  # diverging red / blue (ColorBrewer RdBu)
ZERO_MARK = "0"  # written in every exactly-zero cell: a dead unit reads at a glance
NONFINITE = "#212121"
BARS = "▁▂▃▄▅▆▇█"


def as_grid(array):
    """The array as rows × columns when it fits HEAT × HEAT (a vector is one row), else None."""
    a = np.asarray(array)
    if a.size < 2 or a.dtype.kind not in "fiub":
        return None
    a = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
    return a if a.shape[0] <= HEAT and a.shape[1] <= HEAT else None


def colour(value: float, scale: float) -> str:
    """White at 0, red for positive, blue for negative, full colour at |value| = scale."""
    t = 0.0 if scale == 0 else max(-1.0, min(1.0, value / scale))
    end = POSITIVE if t > 0 else NEGATIVE
    r, g, b = (round(255 + (c - 255) * abs(t)) for c in end)
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_table(grid, caption: str, digits: int = 3) -> str:
    """An HTML-like table: a caption with the colour scale, then one coloured cell per entry."""
    finite = grid[np.isfinite(grid)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    side = 14 if grid.shape[1] <= 8 else 9
    rows = []
    for i, row in enumerate(grid):
        cells = "".join(_cell(i, j, float(v), scale, side, digits) for j, v in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    head = f'<font point-size="7" color="#616161">{caption} ±{fmt_number(scale, 2)}</font>'
    width, height = grid.shape[1] * (side + 1) + 1, grid.shape[0] * (side + 1) + 1
    table = (
        f'<table border="0" cellborder="1" cellspacing="0" cellpadding="0" color="#bdbdbd" '
        f'fixedsize="true" width="{width}" height="{height}">' + "".join(rows) + "</table>"
    )  # its own table: a wide caption must not spread the cells apart
    return (
        '<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
        f"<tr><td>{head}</td></tr><tr><td>{table}</td></tr></table>"
    )


def _cell(i, j, v, scale, side, digits) -> str:
    size = f'width="{side}" height="{side}" fixedsize="true"'
    tip = f'title="[{i},{j}] {fmt_number(v, digits)}"'
    if not np.isfinite(v):
        mark = "N" if np.isnan(v) else "∞"
        return (
            f'<td {size} {tip} bgcolor="{NONFINITE}">'
            f'<font face="Helvetica" point-size="8" color="#ffffff">{mark}</font></td>'
        )
    if v == 0:
        return (
            f'<td {size} {tip} bgcolor="#ffffff">'
            f'<font face="Helvetica" point-size="8" color="#1565c0">{ZERO_MARK}</font></td>'
        )
    return f'<td {size} {tip} bgcolor="{colour(v, scale)}"></td>'


def stats_lines(array, digits: int = 3, lang: str | None = None) -> list:
    """Mean, std, min/max, the fraction of exact zeros and NaN/Inf, and a histogram."""
    a = np.asarray(array, dtype=np.float64).ravel()
    finite = a[np.isfinite(a)]
    bad = a.size - finite.size
    if not finite.size:
        return [word("stats all bad", lang, count=a.size)]
    f = lambda x: fmt_number(x, digits)
    zeros = word("stats zeros", lang, percent=f"{100 * np.mean(a == 0):.0f}")
    lines = [
        word("stats mean", lang, mean=f(finite.mean()), std=f(finite.std())),
        word("stats range", lang, min=f(finite.min()), max=f(finite.max())),
        zeros + ("  " + word("stats bad", lang, count=bad) if bad else ""),
    ]
    return lines + [sparkline(finite)]


def sparkline(values, bins: int = 16) -> str:
    """A histogram as block characters (an empty bin is the lowest bar)."""
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return BARS[-1]
    counts, _ = np.histogram(values, bins=bins, range=(lo, hi))
    peak = counts.max()
    return "".join(BARS[int(round((len(BARS) - 1) * c / peak))] for c in counts)
