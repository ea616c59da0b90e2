"""How a tensor prints: PyTorch's layout, precision, scientific notation and summarisation
(`...`), so printed output compares line by line with a tutorial's. The options are
torch.set_printoptions'."""

import contextlib
import dataclasses
import math

import numpy as np

from . import dtypes


@dataclasses.dataclass
class _Options:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": _Options(),
    "short": _Options(precision=2, edgeitems=2),
    "full": _Options(threshold=math.inf),
}
OPTIONS = _Options()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """As torch.set_printoptions: digits after the point, the element count above which a
    tensor prints summarised, the items kept at each edge then, the line width, a profile
    ('default', 'short', 'full') and scientific notation forced on/off (None: chosen)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: unknown profile {profile!r}. Use one of {sorted(_PROFILES)}."
            )
        chosen = _PROFILES[profile]
        for field in ("precision", "threshold", "edgeitems", "linewidth"):
            setattr(OPTIONS, field, getattr(chosen, field))
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    for field, value in given.items():
        if value is not None:
            setattr(OPTIONS, field, value)
    OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options, as keyword arguments for set_printoptions."""
    return dataclasses.asdict(OPTIONS)


@contextlib.contextmanager
def printoptions(**options):
    """set_printoptions inside a with block, restored after it."""
    old = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """One width and one notation for every element, chosen from the values shown."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True  # floats that are all whole print as "3."
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max([len(str(v)) for v in values.tolist()], default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        magnitudes = np.abs(shown).astype(np.float64)
        smallest, largest = magnitudes.min(), magnitudes.max()
        numbers = shown.tolist()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = (
            largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            if OPTIONS.sci_mode is None
            else OPTIONS.sci_mode
        )
        if self.sci_mode:
            widths = [len(f"{v:.{OPTIONS.precision}e}") for v in numbers]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in numbers]  # the point a float keeps
        else:
            widths = [len(f"{v:.{OPTIONS.precision}f}") for v in numbers]
        self.width = max(widths)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{OPTIONS.precision}f}"
        return text.rjust(self.width)


class _ComplexFormatter:
    """torch's complex layout: the real and imaginary parts formatted apart."""

    def __init__(self, values: np.ndarray):
        self.real = _Formatter(values.real)
        self.imag = _Formatter(values.imag)
        self.width = self.real.width + self.imag.width + 1

    def format(self, value) -> str:
        imag = (self.imag.format(value.imag) + "j").lstrip()
        sign = "" if imag[0] in "+-" else "+"
        return self.real.format(value.real) + sign + imag


def _edges(array: np.ndarray) -> np.ndarray:
    """The elements a summarised tensor shows: each dim's first and last edgeitems."""
    n = OPTIONS.edgeitems
    if array.ndim == 1:  # with n = 0, array[-0:] is all of it, as in torch
        return np.concatenate((array[:n], array[-n:])) if len(array) > 2 * n else array
    if n == 0:
        return array[(slice(0, 0),) * array.ndim]
    rows = np.concatenate((array[:n], array[-n:])) if len(array) > 2 * n else array
    return np.stack([_edges(row) for row in rows])


def _vector(array: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    per_line = max(1, (OPTIONS.linewidth - indent) // (formatter.width + 2))
    n = OPTIONS.edgeitems
    values = array.tolist()
    if summarize and not n:
        items = ["..."]
    elif summarize and len(values) > 2 * n:
        items = [formatter.format(v) for v in values[:n]] + [" ..."]
        items += [formatter.format(v) for v in values[-n:]]
    else:
        items = [formatter.format(v) for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, formatter)
    n = OPTIONS.edgeitems
    rows = range(len(array))
    if summarize and len(array) > 2 * n:
        rows = [*range(n), None, *range(len(array) - n, len(array))]
    parts = [
        "..." if i is None else _nested(array[i], indent + 1, summarize, formatter) for i in rows
    ]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def array_str(array: np.ndarray, indent: int = 0) -> str:
    """The bracketed body of a tensor's repr, laid out as torch lays it out."""
    if array.size == 0:
        return "[]"
    if array.dtype == dtypes.BF16:  # its values in float32 (exact), as torch formats them
        array = array.astype(np.float32)
    summarize = array.size > OPTIONS.threshold
    shown = _edges(array) if summarize and array.ndim else array
    kind = _ComplexFormatter if array.dtype.kind == "c" else _Formatter
    return _nested(array, indent, summarize, kind(shown.reshape(-1)))


def tensor_repr(array: np.ndarray, grad_fn_name=None, requires_grad=False, tangent=None) -> str:
    """`tensor([...], dtype=..., grad_fn=<...>)` as torch prints it (a dual tensor of
    autograd.forward_ad: `tangent=...` last)."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = dtypes.get_default_dtype().dtype
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != default:
            suffixes.append(f"dtype={dtypes.of(array.dtype)!r}")
        body = "[]"
    else:
        if not OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        complex_default = np.complex128 if default == np.float64 else np.complex64
        if array.dtype not in (default, complex_default, np.int64, np.bool_):
            suffixes.append(f"dtype={dtypes.of(array.dtype)!r}")
        body = array_str(array, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")
    return _with_suffixes(prefix + body, suffixes, indent)


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    """`, suffix` after the body, on a new line where the last line would pass linewidth."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1  # torch's count (one more when no newline)
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"
