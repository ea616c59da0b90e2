"""A plain-text rendering of a graph for terminals and logs: one line per tensor, inputs first."""

import itertools

from .labels import MINUS, fmt_array, fmt_number, fmt_shape, grad_state, power_exponent
from .trace import backward_order, trace
from .words import resolve, word

_INFIX = {
    "Add": "+",
    "Sub": MINUS,
    "Mul": "×",
    "Div": "÷",
    "PowTensor": "**",
    "Matmul": "@",
}
_NOTES = ("none", "zero", "vanishing", "exploding", "nonfinite")  # words.py's "note <state>"


def to_text(output, params=None, digits: int = 4, lang: str | None = None) -> str:
    """The graph behind `output` as text: `q = x + y  value 3  grad −4  AddBackward0`."""
    return graph_text(trace(output, params), digits, lang)


def graph_text(graph, digits: int = 4, lang: str | None = None) -> str:
    """A traced graph as text lines in forward (topological) order."""
    lang = resolve(lang)
    if not graph.ops:
        return _line(_name(graph.root, {}, itertools.count()), graph.root, "", digits, lang)
    # a trace cut at max_nodes has no records past the limit: those lines are left out
    traced = [graph.by_node.get(n) for n in reversed(backward_order(graph.ops[0].node))]
    ops = {op.out.id: op for op in graph.ops}
    consts = {c.id: c for c in graph.consts}
    names, rows, unnamed = {}, [], itertools.count()
    for data in traced:
        if data is None:
            continue
        name = _name(data, names, unnamed)
        op = ops.get(data.id)
        if op is None:
            rows.append((name, data, word("leaf" if data.param is None else "parameter", lang)))
            continue
        args = [_operand(e, names, consts, digits, lang) for e in op.edges]
        rows.append((f"{name} = {_expression(op, args)}", data, op.caption))
    width = max(len(r[0]) for r in rows)
    lines = [_line(lhs.ljust(width), data, caption, digits, lang) for lhs, data, caption in rows]
    if graph.hidden:
        lines.insert(0, word("hidden lines", lang, count=graph.hidden))
    return "\n".join(lines)


def _name(data, names, unnamed) -> str:
    """The tensor's name, else t0, t1, ... in order of first use (a counter: linear time)."""
    if data.id not in names:
        names[data.id] = data.name or f"t{next(unnamed)}"
    return names[data.id]


def _operand(edge, names, consts, digits, lang) -> str:
    if not edge.const:
        return names.get(edge.src, edge.src)
    const = consts[edge.src]
    if const.value is not None:
        return fmt_array(const.value, digits)
    return f"<{word('const', lang)} {fmt_shape(const.shape or (), lang)}>"


def _expression(op, args) -> str:
    kind = op.node.function.__name__
    if kind == "Rsub":  # number − tensor is recorded with the tensor in slot 0
        return f"{args[1]} {MINUS} {args[0]}"
    if kind == "Neg":
        return f"{MINUS}{args[0]}"
    exponent = power_exponent(op.node)
    if exponent is not None and len(args) == 1:
        return f"{args[0]} ** {fmt_number(exponent)}"
    if kind in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[kind]} {args[1]}"
    options = ", ".join(
        f"{k}={v}"
        for k, v in sorted(op.node.options.items())
        if v is None or isinstance(v, (bool, int, float, str, tuple))
    )
    return f"{op.symbol}({', '.join(args + ([options] if options else []))})"


def _line(lhs, data, caption, digits, lang) -> str:
    value = "—" if data.value is None else fmt_array(data.value, digits)
    state = grad_state(data.grad)
    grad = "—" if data.grad is None else fmt_array(data.grad, digits)
    note = f" ({word('note ' + state, lang)})" if state in _NOTES and state != "none" else ""
    shape = "" if not data.shape else f"  [{fmt_shape(data.shape, lang)}]"
    v, g = word("value", lang), word("grad", lang)
    return f"{lhs}  {v} {value:<10} {g} {grad + note:<12} {caption}{shape}".rstrip()


__all__ = ["graph_text", "to_text"]
