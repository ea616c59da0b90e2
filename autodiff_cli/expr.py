"""Safe arithmetic expressions for `autodiff graph`: parsed with ast, walked, never eval'd.

Allowed: numbers, the given names, + - * / ** and unary -, the math functions below, and
`name = expression` statements separated by ';' (to name intermediates, as on the slides).
"""

import ast
import contextlib
import inspect
import sys

import autodiff as ad
from nn import activation


def _one_tensor_functions() -> dict:
    """The functions of one tensor in the elementwise families (the engine's pointwise table,
    elementwise, math and activation ops, nn's activations): sin, log1p, sigmoid, gelu, ...
    In-place forms are left out, and so is a function with a second argument that has no usable default (clamp
    needs a bound, softmax a dim, atan2 a second tensor; a None default is tried)."""
    found = {n: f for n, f in vars(activation).items() if _defined_in(f, activation)}
    for family in (ad.ops.pointwise, ad.ops.elementwise, ad.ops.math, ad.ops.activation):
        found |= {name: vars(family)[name] for name in family.__all__}  # the engine's op wins
    return {n: f for n, f in sorted(found.items()) if not n.endswith("_") and _of_one_tensor(f)}


def _defined_in(fn, module) -> bool:
    return inspect.isfunction(fn) and fn.__module__ == module.__name__ and fn.__name__[0] != "_"


def _of_one_tensor(fn) -> bool:
    first, *options = inspect.signature(fn).parameters.values()
    empty = inspect.Parameter.empty
    if first.default is not empty or any(p.default is empty for p in options):
        return False
    if all(p.default is not None for p in options):
        return True
    try:  # a None default may stand for "off" (logit's eps) or need a value (clamp's bounds)
        out = fn(ad.tensor(0.5, dtype=ad.float64))
    except (TypeError, ValueError, RuntimeError):
        return False
    return isinstance(out, ad.Tensor)  # where(condition) alone gives indices


FUNCTIONS = _one_tensor_functions()
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
MAX_LENGTH = 10_000
MAX_DEPTH = 200
_HELP = (
    "Use numbers, the names you give values to, + - * / ** and functions of one value such as "
    f"exp, log, sin, sigmoid, relu ({len(FUNCTIONS)} in all: autodiff graph --help lists them)."
)


def shown(text: str, limit: int = 60) -> str:
    """repr(text) for an error message, cut to about limit characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _refuse(what: str) -> ValueError:
    return ValueError(f"expression: {what} is not allowed. {_HELP}")


@contextlib.contextmanager
def _recursion_limit(limit: int):
    """CPython builds the tree of a flat chain `x + x + ... + x` recursively, one level per
    term: room for the longest chain MAX_LENGTH allows (nesting is capped by MAX_DEPTH)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def parse(text: str) -> list:
    """Parse and check the text; returns its statements (ast nodes). Raises ValueError."""
    if not isinstance(text, str):
        raise TypeError(f"expression: expected a string, got {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression: too long ({len(text)} characters, at most {MAX_LENGTH}).")
    try:
        with _recursion_limit(MAX_LENGTH + 1000):
            tree = ast.parse(text.strip(), mode="exec")
    except (SyntaxError, RecursionError, MemoryError) as e:
        raise ValueError(f"expression: cannot parse {shown(text)}: {_reason(e)}. {_HELP}") from None
    if not tree.body:
        raise ValueError(f"expression: empty. {_HELP}")
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise _refuse("an assignment to anything but one plain name")
        elif not isinstance(statement, ast.Expr):
            kind = type(statement).__name__.lower()
            raise _refuse(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} statement")
    return tree.body


def _reason(error: Exception) -> str:
    if isinstance(error, SyntaxError):
        msg = error.msg if len(error.msg) <= 100 else error.msg[:97] + "..."
        return f"{msg} (at character {error.offset})" if error.offset else msg
    return "too deeply nested" if isinstance(error, RecursionError) else type(error).__name__


def evaluate(text: str, values: dict, dtype=ad.float64):
    """Build the graph of `text`; returns (output, {name: leaf}). Leaves require grad."""
    statements = parse(text)
    leaves = {}
    for name, value in values.items():
        if not name.isidentifier() or name in FUNCTIONS:
            raise ValueError(f"expression: {shown(name)} cannot be a variable name.")
        leaves[name] = ad.tensor(float(value), dtype=dtype, requires_grad=True, name=name)
    env = dict(leaves)
    result = None
    for statement in statements:
        result = _eval(statement.value, env, 0)
        if isinstance(statement, ast.Assign):
            target = statement.targets[0].id
            if target in FUNCTIONS:
                raise ValueError(f"expression: cannot assign to the function name {target!r}.")
            result = _named(result, target)
            env[target] = result
    if isinstance(result, ad.Tensor) and result.name is None and "f" not in env:
        result.name = "f"
    return result, leaves


def _named(value, name):
    if isinstance(value, ad.Tensor):
        if value.is_leaf:  # `a = x` aliases a leaf: keep the leaf's own name
            return value
        value.name = name
    return value


def _eval(node, env, depth):
    if depth > MAX_DEPTH:
        raise ValueError(f"expression: nested more than {MAX_DEPTH} levels deep.")
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            text = repr(node.value)
            raise _refuse(f"the constant {text if len(text) <= 40 else text[:37] + '...'}")
        try:
            return float(node.value)  # never Python ints: 9**9**9 must not hang the parser
        except OverflowError:
            raise ValueError(
                f"expression: a number of {len(_source(node))} digits is too large for a "
                "float (at most about 1.8e308). Use a smaller number."
            ) from None
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ValueError(
                f"expression: unknown name {shown(node.id, 40)}. Give it a value, e.g. "
                f"{shown(node.id, 20)[1:-1]}=1.5, or use one of {shown(', '.join(sorted(env)))}."
            )
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _binary_chain(node, env, depth)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, env, depth + 1))
    if isinstance(node, ast.Call):
        return _call(node, env, depth)
    raise _refuse(_describe(node))


def _source(node) -> str:
    """The node as text for a message (a deep chain may be too deep for ast.unparse)."""
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError):  # ValueError: an int of over 4300 digits
        return f"<{type(node).__name__}>"


def _binary_chain(node, env, depth):
    """a + b - c ... : the left spine of a flat chain is walked in a loop, so only real
    nesting (parentheses on the right, calls) counts towards MAX_DEPTH."""
    chain = []
    while isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        chain.append(node)
        node = node.left
    value = _eval(node, env, depth + 1)
    for step in reversed(chain):
        right = _eval(step.right, env, depth + 1)
        try:
            value = _BINARY[type(step.op)](value, right)
        except (OverflowError, ZeroDivisionError) as e:
            raise ValueError(f"expression: {shown(_source(step), 40)}: {e}.") from None
    return value


def _call(node, env, depth):
    if not isinstance(node.func, ast.Name):
        raise _refuse(f"calling {_describe(node.func)}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ValueError(
            f"expression: the function {name!r} is not allowed. The functions are "
            f"{', '.join(FUNCTIONS)}."
        )
    if len(node.args) != 1 or node.keywords:
        raise ValueError(f"expression: {name}() takes exactly one argument.")
    arg = _eval(node.args[0], env, depth + 1)
    if not isinstance(arg, ad.Tensor):
        arg = ad.tensor(float(arg), dtype=ad.float64)
    return FUNCTIONS[name](arg)


def _describe(node) -> str:
    kinds = {
        ast.Attribute: "attribute access",
        ast.Lambda: "a lambda",
        ast.Subscript: "indexing",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
        ast.NamedExpr: "the := operator",
    }
    if type(node) in kinds:
        text = kinds[type(node)]
        return f"{text} ({shown(_source(node), 40)})"
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    return f"{type(node).__name__} ({shown(_source(node), 40)})"
