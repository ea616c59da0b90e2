"""An iterative walk of the autograd graph into plain records with deterministic ids.

Ids come from breadth-first order from the output (d0 is the output, op0 its op), never
from id(), so the same program gives the same picture text on every run.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from autodiff.engine import order
from autodiff.graph import AccumulateGrad, SavedOutput

from .labels import op_symbol


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


@dataclass
class Const:
    """A constant input slot: a Python number or a tensor that does not require grad."""

    id: str
    value: object  # number or array, None when too big to keep
    shape: tuple | None
    dtype: object


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
    """One value an op saved for backward (or the note that they were freed)."""

    id: str
    op: str
    label: str
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


def trace(
    output, params=None, show_saved: bool = False, module_depth=None, limit: int | None = None
) -> Graph:
    """Walk the graph behind `output` (iteratively) into a Graph of plain records.

    With `limit`, only the first `limit` nodes from the output get records; edges into the
    rest lead to the id "more" and graph.hidden counts them.
    """
    names = _param_names(params)
    root_node = output.grad_fn
    if root_node is None:
        data = _leaf_data("d0", output, None, names, module_depth)
        return Graph(data, [data], [], [], [], [], {})
    order = _bfs(root_node)
    hidden = 0
    if limit is not None and len(order) > limit:
        hidden, order = _picture_size(order[limit:]), order[:limit]
    by_node = {}
    datas, ops = [], []
    for i, node in enumerate(order):
        if isinstance(node, AccumulateGrad):
            data = _leaf_data(f"d{i}", node.variable, node, names, module_depth)
        else:
            data = _op_data(f"d{i}", node, output if node is root_node else None)
            ops.append(Op(f"op{i}", node, op_symbol(node.function), node.name(), data))
        by_node[node] = data
        datas.append(data)
    graph = Graph(datas[0], datas, ops, [], [], [], by_node, hidden)
    for op in ops:
        _connect(graph, op)
        if show_saved:
            graph.saved.extend(_saved(op, by_node))
    if names and not hidden:
        _assign_modules(graph)
    return graph


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


def _param_names(params) -> dict:
    """id(tensor) -> parameter name; ids stay inside this lookup, never in the output."""
    if params is None:
        return {}
    items = params.items() if hasattr(params, "items") else params
    return {id(t): name for name, t in items}


def _leaf_data(did, leaf, node, names, module_depth) -> Data:
    param = names.get(id(leaf))
    grad = None if leaf.grad is None else leaf.grad.numpy()
    data = Data(
        did,
        node,
        param or leaf.name,
        tuple(leaf.shape),
        leaf.dtype,
        leaf.numpy(),
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
        value = output.numpy()
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


def _connect(graph, op) -> None:
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
            const = Const(
                f"c{op.id[2:]}_{slot}",
                value,
                None if meta is None else meta[0],
                None if meta is None else meta[1],
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
        return [Saved(f"{base}_0", op.id, "saved values freed", freed=True)]
    records = []
    for j, value in enumerate(node.saved_values):
        records.append(Saved(f"{base}_{j}", op.id, _saved_label(node, value, by_node)))
    return records


def _saved_label(node, value, by_node) -> str:
    from .labels import fmt_shape

    if isinstance(value, SavedOutput):
        return f"saved output {fmt_shape(value.array.shape)}"
    if hasattr(value, "grad_fn"):  # an input tensor: name the slot it came in through
        for slot, child in enumerate(children(node)):
            data = by_node.get(child)
            if data is not None and (
                value.grad_fn is child or getattr(child, "variable", None) is value
            ):
                who = f" ({data.name})" if data.name else ""
                return f"saved input {slot}{who} {fmt_shape(value.shape)}"
        return f"saved tensor {fmt_shape(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"saved array {fmt_shape(value.shape)}"
    return f"saved {type(value).__name__}"


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
