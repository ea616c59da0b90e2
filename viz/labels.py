"""Number formatting, gradient states and their colours (their words are in words.py)."""

import math
import numbers
from functools import lru_cache

import numpy as np

from .words import word

MINUS = "\u2212"  # a typographic minus: "−12" reads like the lecture slide, "-12" like code

# Gradient states, in legend order: (fill colour, border colour); their legend text is
# words.py's "state <name>".
STATES = {
    "ok": ("#e8f5e9", "#2e7d32"),
    "none": ("#f5f5f5", "#9e9e9e"),
    "unkept": ("#ffffff", "#90a4ae"),
    "zero": ("#e3f2fd", "#1565c0"),
    "vanishing": ("#fff8e1", "#f9a825"),
    "exploding": ("#fce4ec", "#ad1457"),
    "nonfinite": ("#ffebee", "#c62828"),
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


def spaced(name: str) -> bool:
    """Whether a name has a space outside parentheses (x @ M does, ReLU(x @ M) does not): such a
    name is written in parentheses inside a formula."""
    depth = 0
    for ch in name:
        depth += (ch == "(") - (ch == ")")
        if ch == " " and depth == 0:
            return True
    return False


def fmt_shape(shape, lang: str | None = None) -> str:
    """(3, 4) as 3×4; a scalar as 'scalar' (in the pictures' language)."""
    shape = tuple(shape)
    return "×".join(str(n) for n in shape) if shape else word("scalar", lang)


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


def legend_text(
    state: str, vanish: float = VANISH, explode: float = EXPLODE, lang: str | None = None
) -> str:
    """The key's text for a gradient state, e.g. "gradient vanishing (|g| < 1e-06)"."""
    return word(f"state {state}", lang, vanish=vanish, explode=explode)


def op_symbol(node) -> str:
    """The op's short picture label (its `symbol`, else its class name); a power by a number
    shows its exponent, as Python writes it: **2."""
    function = node.function
    if function is None:
        return "?"
    exponent = power_exponent(node)
    if exponent is not None:
        return f"**{fmt_number(exponent)}"
    return getattr(function, "symbol", None) or function.__name__


def power_exponent(node):
    """The number exponent of a tensor ** number node (PowBackward0), else None."""
    exponent = node.options.get("exponent") if node.options else None
    if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
        return exponent
    return None


_SUPERSCRIPT = str.maketrans("0123456789" + MINUS, "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def power_name(base: str, exponent) -> str:
    """x², x⁻¹ for a whole exponent of up to two digits, else x ** 0.5."""
    if float(exponent).is_integer() and abs(exponent) < 100:
        return base + fmt_number(exponent).translate(_SUPERSCRIPT)
    return f"{base} ** {fmt_number(exponent)}"


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
