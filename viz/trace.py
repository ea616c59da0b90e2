"""An iterative walk of the autograd graph into plain records with deterministic ids.

Ids come from breadth-first order from the output (d0 is the output, op0 its op), never
from id(), so the same program gives the same picture text on every run.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from autodiff.engine import order
from autodiff.graph import AccumulateGrad, SavedOutput

from .labels import fmt_number, layer_titles, op_symbol, power_exponent, power_name


@dataclass
class Data:
    """A tensor in the picture: a leaf or an op's output."""

    id: str
    node: object  # the engine node: AccumulateGrad for a leaf, else the op's Node
    name: str | None
    shape: tuple
    dtype: object
    value: object  # array or None
    grad: object  # array or None (not computed)
    leaf: bool
    param: str | None = None  # module path of a parameter, e.g. "fc1.weight"
    module: str | None = None
    passed: bool = False  # backward has run through this node
    auto: str | None = None  # a default name from the op and its inputs, e.g. "ReLU(h)"

    @property
    def shown_name(self) -> str | None:
        """The name a picture shows: the tensor's own, else the default from its op."""
        return self.name or self.auto


@dataclass
class Const:
    """A constant input slot: a Python number or a tensor that does not require grad."""

    id: str
    value: object  # number or array, None when too big to keep
    shape: tuple | None
    dtype: object
    name: str | None = None  # a tensor that needs no grad: its .name, or one given by names=


@dataclass
class Edge:
    """One input slot of an op: x*x gives two edges."""

    src: str  # a Data or Const id
    dst: str  # an Op id
    slot: int
    contribution: object = None  # the gradient backward sent along this edge
    const: bool = False


@dataclass
class Saved:
    """One value an op saved for backward (or the note that they were freed): its words.py key
    ("saved input", ...) and the fields that fill it in."""

    id: str
    op: str
    key: str
    fields: dict = field(default_factory=dict)
    freed: bool = False


@dataclass
class Op:
    """A recorded op (grad_fn) and the tensor it produced."""

    id: str
    node: object
    symbol: str
    caption: str  # PyTorch's node name, e.g. MulBackward0
    out: Data
    edges: list = field(default_factory=list)
    module: str | None = None


@dataclass
class Graph:
    """The whole picture's content; lists are in id (graph) order."""

    root: Data
    datas: list
    ops: list
    consts: list
    edges: list
    saved: list
    by_node: dict  # engine node -> Data
    hidden: int = 0  # picture nodes past the trace limit
    titles: dict = field(default_factory=dict)  # module path -> "0: Linear(6->8)"


def trace(
    output,
    params=None,
    show_saved: bool = False,
    module_depth=None,
    limit: int | None = None,
    names=None,
) -> Graph:
    """Walk the graph behind `output` (iteratively) into a Graph of plain records.

    `params`: {name: parameter} or a Module (its named_parameters, clusters titled by the
    module, e.g. "0: Linear(6->8)"). `names`: {name: tensor} for any tensor of the graph.
    With `limit`, only the first `limit` nodes from the output get records; edges into the
    rest lead to the id "more" and graph.hidden counts them.
    """
    lookup = _Names(names)
    params, titles = _module_titles(params, module_depth)
    pnames = _param_names(params)
    root_node = output.grad_fn
    if root_node is None:
        data = _leaf_data("d0", output, None, pnames, module_depth)
        data.name = lookup.leaf(output) or data.name
        return Graph(data, [data], [], [], [], [], {})
    order = _bfs(root_node)
    hidden = 0
    if limit is not None and len(order) > limit:
        hidden, order = _picture_size(order[limit:]), order[:limit]
    by_node = {}
    datas, ops = [], []
    for i, node in enumerate(order):
        if isinstance(node, AccumulateGrad):
            data = _leaf_data(f"d{i}", node.variable, node, pnames, module_depth)
            data.name = data.param or lookup.leaf(node.variable) or data.name
        else:
            data = _op_data(f"d{i}", node, output if node is root_node else None)
            data.name = lookup.node(node) or data.name
            ops.append(Op(f"op{i}", node, op_symbol(node), node.name(), data))
        by_node[node] = data
        datas.append(data)
    graph = Graph(datas[0], datas, ops, [], [], [], by_node, hidden, titles)
    for op in ops:
        _connect(graph, op, lookup)
        if show_saved:
            graph.saved.extend(_saved(op, by_node))
    if pnames and not hidden:
        _assign_modules(graph)
    _default_names(graph)
    return graph


class _Names:
    """names={name: tensor} looked up by the graph's nodes (ids stay inside this lookup)."""

    def __init__(self, names):
        self.by_leaf, self.by_node, self.arrays = {}, {}, []
        for name, t in (names or {}).items():
            if not hasattr(t, "grad_fn"):
                raise TypeError(
                    f"draw_graph: names={{{name!r}: ...}} must map a name to a Tensor, "
                    f"got {type(t).__name__}."
                )
            if t.grad_fn is not None:
                self.by_node[t.grad_fn] = name
            else:
                self.by_leaf[id(t)] = name
                self.arrays.append((t.numpy(force=True), name))  # a constant input keeps its array

    def leaf(self, tensor):
        return self.by_leaf.get(id(tensor))

    def node(self, node):
        return self.by_node.get(node)

    def array(self, value):
        """The name of the tensor whose storage a constant slot holds (the same memory)."""
        if not isinstance(value, np.ndarray):
            return None
        for array, name in self.arrays:
            if value is array or (value.shape == array.shape and np.shares_memory(value, array)):
                return name
        return None


def name(tensor, text: str):
    """Name a tensor after the fact (pictures and text show it); returns the tensor."""
    tensor.name = text
    return tensor


_INFIX = {"+", "−", "×", "÷", "@", "^"}
SHORT = 16  # a default name longer than this is left out: the shape says more


def _default_names(graph) -> None:
    """Unnamed op outputs get a short name from their op and inputs: "ReLU(h)", "x × M"."""
    data = {d.id: d for d in graph.datas}
    consts = {c.id: c for c in graph.consts}
    for op in _inputs_first(graph, graph.ops):
        if op.out.name:
            continue
        args = [_operand_name(e, data, consts) for e in op.edges]
        if any(a is None for a in args):
            continue
        exponent = power_exponent(op.node)
        if exponent is not None and len(args) == 1:
            text = power_name(_wrap(args[0]), exponent)
        elif op.symbol in _INFIX and len(args) == 2:
            text = f"{_wrap(args[0])} {op.symbol} {_wrap(args[1])}"
        elif op.symbol == "−" and len(args) == 1:
            text = f"−{_wrap(args[0])}"
        else:
            text = f"{op.symbol}({', '.join(args)})"
        op.out.auto = text if len(text) <= SHORT else None


def _inputs_first(graph, ops) -> list:
    """Ops ordered so every op comes after the ops that made its inputs."""
    if not graph.ops:
        return []
    rank = {n: i for i, n in enumerate(reversed(backward_order(graph.ops[0].node)))}
    return sorted(ops, key=lambda op: rank.get(op.node, 0))


def _operand_name(edge, data, consts):
    if not edge.const:
        d = data.get(edge.src)
        return None if d is None else d.shown_name
    const = consts[edge.src]
    if const.name:
        return const.name
    value = const.value
    if value is not None and np.size(value) == 1:
        return fmt_number(np.ravel(value)[0], 3)
    return None


def _wrap(text: str) -> str:
    return f"({text})" if " " in text else text


def _data_const(op, graph) -> bool:
    """Whether a tensor (data, not a Python number) enters the op as a constant."""
    consts = {c.id: c for c in graph.consts}
    return any(e.const and consts[e.src].shape is not None for e in op.edges)


def _picture_size(nodes) -> int:
    """How many picture nodes these graph nodes would make: a tensor, its op, its constants."""
    total = 0
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            total += 1
        else:
            total += 2 + children(node).count(None)
    return total


def children(node) -> tuple:
    """The node's input slots: a node (or None for a constant) per slot."""
    kids = getattr(node, "children", None)
    return kids if kids is not None else tuple(c for c, _ in node.next_functions)


def _bfs(root) -> list:
    """Every node reachable from root, each once, in breadth-first order (no recursion)."""
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for child in children(node):
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def _module_titles(params, depth):
    """A Module as (its named parameters, {module path: "0: Linear(6->8)"}); a dict as is."""
    if not hasattr(params, "named_parameters"):
        return params, {}
    return dict(params.named_parameters()), layer_titles(params)


def _param_names(params) -> dict:
    """id(tensor) -> parameter name; ids stay inside this lookup, never in the output."""
    if params is None:
        return {}
    items = params.items() if hasattr(params, "items") else params
    return {id(t): name for name, t in items}


def _leaf_data(did, leaf, node, names, module_depth) -> Data:
    param = names.get(id(leaf))
    grad = None if leaf.grad is None else leaf.grad.numpy(force=True)
    data = Data(
        did,
        node,
        param or leaf.name,
        tuple(leaf.shape),
        leaf.dtype,
        leaf.numpy(force=True),
        grad,
        True,
        param,
    )
    data.module = _module_of(param, module_depth)
    return data


def _module_of(param, depth):
    if not param or "." not in param:
        return None
    parts = param.split(".")[:-1]
    return ".".join(parts if depth is None else parts[:depth])


def _op_data(did, node, output) -> Data:
    value = node.value
    if value is None and output is not None and output.numel() <= 16:
        value = output.numpy(force=True)
    data = Data(
        did,
        node,
        node.out_name,
        tuple(node.out_shape),
        node.out_dtype,
        value,
        node.grad_value,
        False,
    )
    data.passed = node.released  # backward ran through it, even if its gradient was not kept
    return data


def _connect(graph, op, lookup) -> None:
    node = op.node
    grads = node.input_grads or ()
    for slot, child in enumerate(children(node)):
        contribution = grads[slot] if slot < len(grads) else None
        if child is not None:
            data = graph.by_node.get(child)
            edge = Edge(data.id if data is not None else "more", op.id, slot, contribution)
        else:
            meta = node.input_meta[slot] if slot < len(node.input_meta) else None
            value = node.constants[slot] if slot < len(node.constants) else None
            own = node.constant_names[slot] if slot < len(node.constant_names) else None
            const = Const(
                f"c{op.id[2:]}_{slot}",
                value,
                None if meta is None else meta[0],
                None if meta is None else meta[1],
                lookup.array(value) or own,
            )
            graph.consts.append(const)
            edge = Edge(const.id, op.id, slot, None, const=True)
        op.edges.append(edge)
        graph.edges.append(edge)


def _saved(op, by_node) -> list:
    """The op's saved values, each its own record (never merged into an input)."""
    node = op.node
    base = f"s{op.id[2:]}"
    if node.released:
        return [Saved(f"{base}_0", op.id, "saved freed", freed=True)]
    return [
        Saved(f"{base}_{j}", op.id, *_saved_label(node, value, by_node))
        for j, value in enumerate(node.saved_values)
    ]


def _saved_label(node, value, by_node) -> tuple:
    """(words.py key, its fields) for one saved value; shapes are filled in when drawn."""
    if isinstance(value, SavedOutput):
        return "saved output", {"shape": value.array.shape}
    if hasattr(value, "grad_fn"):  # an input tensor: name the slot it came in through
        for slot, child in enumerate(children(node)):
            data = by_node.get(child)
            if data is not None and (
                value.grad_fn is child or getattr(child, "variable", None) is value
            ):
                who = f" ({data.name})" if data.name else ""
                return "saved input", {"slot": slot, "who": who, "shape": tuple(value.shape)}
        return "saved tensor", {"shape": tuple(value.shape)}
    if isinstance(value, np.ndarray):
        return "saved array", {"shape": value.shape}
    return "saved other", {"kind": type(value).__name__}


def backward_order(root) -> list:
    """Nodes in the order the engine's backward runs them (the engine's own scheduler)."""
    return order([root])


def _assign_modules(graph) -> None:
    """Ops fed by a module's parameters (or values made only from them) join that module."""
    data = {d.id: d for d in graph.datas}
    users = {}
    for op in graph.ops:
        for e in op.edges:
            if not e.const:
                users.setdefault(e.src, []).append(op)
    ops = {d.id: op for op in graph.ops for d in (op.out,)}
    topo = (
        [
            ops[graph.by_node[n].id]
            for n in reversed(backward_order(graph.ops[0].node))
            if graph.by_node[n].id in ops
        ]
        if graph.ops
        else []
    )
    derived = set()  # data computed only from one module's parameters (e.g. W.T)
    for op in topo:
        srcs = [data[e.src] for e in op.edges if not e.const]
        owners = [d.module for d in srcs if d.param is not None or d.id in derived]
        if owners and owners[0] is not None:
            op.module = owners[0]
            if len(owners) == len(srcs) and len(set(owners)) == 1 and not _data_const(op, graph):
                derived.add(op.out.id)
        op.out.module = op.module
    for op in topo:  # glue between two ops of one module (a reshape inside a layer)
        mods = {data[e.src].module for e in op.edges if not e.const}
        inner = any(u.module in mods for u in users.get(op.out.id, ()))
        if op.module is None and len(mods) == 1 and None not in mods and inner:
            op.module = op.out.module = mods.pop()
