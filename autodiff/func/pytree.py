"""The pytrees torch.func's transforms take and return: tuples, lists, dicts and namedtuples
are nodes, anything else a leaf (torch.utils._pytree's rules for them), flattened in order."""

from collections import OrderedDict

_LEAF = None  # the spec of a leaf


def _is_node(tree) -> bool:
    kind = type(tree)
    return kind in (tuple, list, dict, OrderedDict) or (
        isinstance(tree, tuple) and hasattr(kind, "_fields")
    )


def _spec(tree, leaves: list):
    if not _is_node(tree):
        leaves.append(tree)
        return _LEAF
    keys = tuple(tree) if isinstance(tree, dict) else None
    values = tree.values() if isinstance(tree, dict) else tree
    return (type(tree), keys, tuple(_spec(v, leaves) for v in values))


def tree_flatten(tree) -> tuple:
    """(leaves, spec) of a pytree, leaves in torch's order (dicts in insertion order)."""
    leaves = []
    return leaves, _spec(tree, leaves)


def tree_unflatten(leaves, spec):
    """The pytree of spec with these leaves."""
    return _build(spec, iter(leaves))


def _build(spec, leaves):
    if spec is _LEAF:
        return next(leaves)
    kind, keys, children = spec
    values = [_build(child, leaves) for child in children]
    if keys is not None:
        return kind(zip(keys, values))
    return kind(*values) if hasattr(kind, "_fields") else kind(values)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def describe(spec) -> str:
    """A spec as torch prints a TreeSpec: TreeSpec(tuple, None, [*, *])."""
    if spec is _LEAF:
        return "*"
    kind, keys, children = spec
    context = "None" if keys is None else repr(list(keys))
    return f"TreeSpec({kind.__name__}, {context}, [{', '.join(map(describe, children))}])"


def pprint(spec) -> str:
    """A spec as torch's treespec_pprint writes it: (*, [*, *], {'a': *})."""
    if spec is _LEAF:
        return "*"
    kind, keys, children = spec
    inner = [pprint(c) for c in children]
    if keys is not None:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, inner)) + "}"
    if kind is list:
        return "[" + ", ".join(inner) + "]"
    return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


def broadcast(prefix, tree) -> list | None:
    """prefix's value for each leaf of tree (an int or None covers a whole subtree), or None
    where prefix is not a prefix of tree's structure."""
    if not _is_node(prefix):
        return [prefix] * len(tree_flatten(tree)[0])
    if type(prefix) is not type(tree) or len(prefix) != len(tree):
        return None
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            return None
        pairs = [(prefix[k], tree[k]) for k in tree]
    else:
        pairs = list(zip(prefix, tree))
    per_leaf = []
    for p, t in pairs:
        part = broadcast(p, t)
        if part is None:
            return None
        per_leaf += part
    return per_leaf
