"""A plain-text rendering of a graph for terminals and logs: one line per tensor, inputs first."""

import itertools

from .labels import MINUS, fmt_array, fmt_shape, grad_state
from .trace import backward_order, trace

_INFIX = {
    "Add": "+",
    "Sub": MINUS,
    "Mul": "×",
    "Div": "÷",
    "Pow": "^",
    "PowTensor": "^",
    "Matmul": "@",
}
_NOTES = {
    "none": "not computed",
    "zero": "zero",
    "vanishing": "vanishing",
    "exploding": "exploding",
    "nonfinite": "NaN/Inf",
}


def to_text(output, params=None, digits: int = 4) -> str:
    """The graph behind `output` as text: `q = x + y  value 3  grad −4  AddBackward0`."""
    return graph_text(trace(output, params), digits)


def graph_text(graph, digits: int = 4) -> str:
    """A traced graph as text lines in forward (topological) order."""
    if not graph.ops:
        return _line(_name(graph.root, {}, itertools.count()), graph.root, "", digits)
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
            rows.append((name, data, "leaf" if data.param is None else "parameter"))
            continue
        args = [_operand(e, names, consts, digits) for e in op.edges]
        rows.append((f"{name} = {_expression(op, args)}", data, op.caption))
    width = max(len(r[0]) for r in rows)
    lines = [_line(lhs.ljust(width), data, caption, digits) for lhs, data, caption in rows]
    if graph.hidden:
        lines.insert(0, f"… {graph.hidden} more nodes (earlier in the graph) not shown")
    return "\n".join(lines)


def _name(data, names, unnamed) -> str:
    """The tensor's name, else t0, t1, ... in order of first use (a counter: linear time)."""
    if data.id not in names:
        names[data.id] = data.name or f"t{next(unnamed)}"
    return names[data.id]


def _operand(edge, names, consts, digits) -> str:
    if not edge.const:
        return names.get(edge.src, edge.src)
    const = consts[edge.src]
    if const.value is not None:
        return fmt_array(const.value, digits)
    return f"<const {fmt_shape(const.shape or ())}>"


def _expression(op, args) -> str:
    kind = op.node.function.__name__
    if kind == "Rsub":  # number − tensor is recorded with the tensor in slot 0
        return f"{args[1]} {MINUS} {args[0]}"
    if kind == "Neg":
        return f"{MINUS}{args[0]}"
    if kind in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[kind]} {args[1]}"
    options = ", ".join(
        f"{k}={v}"
        for k, v in sorted(op.node.options.items())
        if v is None or isinstance(v, (bool, int, float, str, tuple))
    )
    return f"{op.symbol}({', '.join(args + ([options] if options else []))})"


def _line(lhs, data, caption, digits) -> str:
    value = "—" if data.value is None else fmt_array(data.value, digits)
    state = grad_state(data.grad)
    grad = "—" if data.grad is None else fmt_array(data.grad, digits)
    note = f" ({_NOTES[state]})" if state in _NOTES and state != "none" else ""
    shape = "" if not data.shape else f"  [{fmt_shape(data.shape)}]"
    return f"{lhs}  value {value:<10} grad {grad + note:<12} {caption}{shape}".rstrip()


__all__ = ["graph_text", "to_text"]
