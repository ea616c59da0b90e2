"""The import arrows of docs/architecture.md: autodiff_cli -> viz, nn -> autodiff, never back."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "autodiff": set(),
    "nn": {"autodiff"},
    "viz": {"autodiff"},
    "autodiff_cli": {"autodiff", "nn", "viz"},
}


def _imports(path: Path) -> set:
    """Top-level packages a file imports, by statement or by an 'nn.x'-style string."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"(autodiff|nn|viz|autodiff_cli)(\.\w+)+", node.value):
                found.add(node.value.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = _imports(path) - ALLOWED[package] - {package}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_nn_imports_its_own_modules_relatively():
    """Inside nn, `from .linear import Linear`, never `import nn`: the package's __init__ is
    half-built while its files load, and a relative import says which file a name comes from."""
    for path in sorted((ROOT / "nn").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            wrong = [n for n in names if n.split(".")[0] == "nn"]
            assert not wrong, f"{path.relative_to(ROOT)}:{node.lineno} imports {wrong[0]}"


def _engine_graph() -> dict:
    """module -> engine modules it imports (relative imports), skipping tensor.py's late one."""
    engine = ROOT / "autodiff"
    graph = {}
    for path in engine.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text())
        late = name == "autodiff.tensor"
        targets = set()
        for node in tree.body if late else ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                if late and node.lineno > _first_def(tree):
                    continue  # the one documented late import (tensor.py -> engine, ops)
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                targets |= {module} if node.module else set()
                targets |= {f"{module}.{a.name}" for a in node.names}
        graph[name] = targets
    return {m: {t for t in ts if t in graph and t != m} for m, ts in graph.items()}


def _first_def(tree) -> int:
    return next(n.lineno for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef))


def test_engine_has_no_import_cycle():
    graph = _engine_graph()
    graph.pop("autodiff")  # the package's __init__ re-exports everything
    state = {}

    def visit(module, path):
        state[module] = "open"
        for child in graph.get(module, ()):
            assert state.get(child) != "open", f"import cycle: {' -> '.join(path + [child])}"
            if child not in state:
                visit(child, path + [child])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_graph_module_imports_nothing_of_the_engine():
    assert _engine_graph()["autodiff.graph"] == set()


def _engine_table() -> list:
    """docs/architecture.md's engine table: (the row's modules, the names in its import column
    before any ';' remark) per row. `ops/` is the package and every family without a row of its
    own; a row of several modules lists what any of them imports from outside the row (a
    package's __init__ gathering its own files is not an import of the row)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## The engine", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `")]
    graph = _engine_graph()
    parsed = []
    for first, _, imports in rows:
        modules = set()
        for name in re.findall(r"`([\w/.]+)`", first):
            if name.endswith("/"):  # a package: itself and its files
                package = "autodiff." + name.rstrip("/").replace("/", ".")
                modules |= {m for m in graph if m == package or m.startswith(package + ".")}
            else:
                modules.add("autodiff." + name.removesuffix(".py").replace("/", "."))
        named = imports.strip(" |").split(";")[0]
        listed = set() if named == "nothing" else set(re.findall(r"`([\w.]+)`", named))
        parsed.append((modules, listed))
    # a file with a row of its own leaves its package's row
    singles = {next(iter(m)) for m, _ in parsed if len(m) == 1}
    return [(m if len(m) == 1 else m - singles, listed) for m, listed in parsed]


def _shown_as(module: str, rows) -> str:
    """How the table names an import: a package's file by the package (`ops`), unless the file
    has a row of its own."""
    for modules, _ in rows:
        if module in modules:
            packages = {m for m in modules if any(o.startswith(m + ".") for o in modules)}
            outer = min(packages, key=len) if packages else None
            name = outer if outer and module.startswith(outer + ".") else module
            return name.removeprefix("autodiff.")
    return module.removeprefix("autodiff.")


def test_every_engine_module_has_a_row_in_the_architecture_table():
    rows = _engine_table()
    documented = set().union(*(m for m, _ in rows))
    missing = set(_engine_graph()) - documented - {"autodiff"}
    assert not missing, f"docs/architecture.md's engine table has no row for {sorted(missing)}"
    stale = documented - set(_engine_graph())
    assert not stale, f"docs/architecture.md's engine table names missing modules {sorted(stale)}"


def test_architecture_import_column_matches_the_import_graph():
    graph, rows = _engine_graph(), _engine_table()
    for modules, listed in rows:
        imported = set().union(*(graph[m] for m in modules)) - modules
        imported = {t for t in imported if not any(t.startswith(m + ".") for m in modules)}
        actual = {_shown_as(m, rows) for m in imported}
        row = sorted(m.removeprefix("autodiff.") for m in modules)
        assert listed == actual, (
            f"docs/architecture.md, the row of {row}: its import column says {sorted(listed)}, "
            f"the code imports {sorted(actual)}"
        )
