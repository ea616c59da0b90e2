"""Number formatting, gradient states and their colours: the words and colours of every picture."""

import math
from functools import lru_cache

import numpy as np

MINUS = "\u2212"  # a typographic minus: "−12" reads like the lecture slide, "-12" like code

# Gradient states, in legend order: (fill colour, border colour, legend text).
STATES = {
    "ok": ("#e8f5e9", "#2e7d32", "gradient computed"),
    "none": ("#f5f5f5", "#9e9e9e", "not computed"),
    "unkept": ("#ffffff", "#90a4ae", "computed, not kept (draw inside viz.record())"),
    "zero": ("#e3f2fd", "#1565c0", "exactly zero (dead)"),
    "vanishing": ("#fff8e1", "#f9a825", "vanishing (|g| < {vanish:g})"),
    "exploding": ("#fce4ec", "#ad1457", "exploding (|g| > {explode:g})"),
    "nonfinite": ("#ffebee", "#c62828", "NaN / Inf"),
}
VALUE_COLOR = "#1b5e20"  # forward values: green, as on the lecture slides
GRAD_COLOR = "#c62828"  # gradients: red
VANISH = 1e-6
EXPLODE = 1e3


def fmt_number(x, digits: int = 4) -> str:
    """A number in significant digits: 7.08e-07, never 0.0000; −12 with a real minus sign."""
    return _fmt(float(x), digits)


@lru_cache(maxsize=4096)  # long graphs repeat the same few numbers
def _fmt(x: float, digits: int) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    return text.replace("-", MINUS, 1) if text.startswith("-") else text


INLINE = 6  # arrays up to this many elements are written out in pictures; bigger ones as norms


def fmt_array(a, digits: int = 4, limit: int = INLINE) -> str:
    """A small array as [1, −2, 3]; a big one as its norm."""
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 1:
        return fmt_number(a.reshape(()).item(), digits)
    if a.size > limit:
        return f"‖·‖ {fmt_number(np.linalg.norm(a.astype(np.float64).ravel()), digits)}"
    if a.ndim == 1:
        return "[" + ", ".join(fmt_number(v, digits) for v in a) + "]"
    return "[" + ", ".join(fmt_array(row, digits, limit) for row in a) + "]"


def fmt_shape(shape) -> str:
    """(3, 4) as 3×4; a scalar as 'scalar'."""
    shape = tuple(shape)
    return "×".join(str(n) for n in shape) if shape else "scalar"


@lru_cache(maxsize=64)
def fmt_dtype(dtype) -> str:
    return "" if dtype is None else np.dtype(dtype).name


def grad_state(grad, vanish: float = VANISH, explode: float = EXPLODE) -> str:
    """One of STATES' keys for a gradient array (None: not computed)."""
    if grad is None:
        return "none"
    g = np.asarray(grad)
    if g.size == 0:
        return "ok"
    if not np.isfinite(g).all():
        return "nonfinite"
    peak = float(np.max(np.abs(g)))
    if peak == 0:
        return "zero"
    if peak > explode:
        return "exploding"
    if peak < vanish:
        return "vanishing"
    return "ok"


def legend_text(state: str, vanish: float = VANISH, explode: float = EXPLODE) -> str:
    return STATES[state][2].format(vanish=vanish, explode=explode)


def op_symbol(function) -> str:
    """The op's short picture label (its `symbol`), else its class name."""
    if function is None:
        return "?"
    return getattr(function, "symbol", None) or function.__name__


def module_title(module) -> str:
    """A layer's short title: Linear(784->256), Conv2d(1->8), else its class name."""
    kind = type(module).__name__
    for a, b in (("in_features", "out_features"), ("in_channels", "out_channels")):
        if hasattr(module, a) and hasattr(module, b):
            return f"{kind}({getattr(module, a)}->{getattr(module, b)})"
    return kind


def layer_titles(model) -> dict:
    """{module path: "0: Linear(784->256)"} for every submodule of a Module."""
    return {path: f"{path}: {module_title(m)}" for path, m in model.named_modules() if path}
