"""DOT to files (svg/png/pdf by extension, written atomically) and to Jupyter; a clear error
when Graphviz's `dot` is missing."""

import shutil
import subprocess
from pathlib import Path

from autodiff.files import write_atomic as _write_atomic

from .dot import DEFAULT_MAX_NODES, body_lines, graph_dot, prepare
from .labels import EXPLODE, VANISH
from .picture import Style

FORMATS = ("svg", "png", "pdf")
INSTALL = (
    "Install Graphviz: apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS), conda install graphviz, or see "
    "https://graphviz.org/download/"
)


def has_dot() -> bool:
    """Whether Graphviz's `dot` program is on PATH."""
    return shutil.which("dot") is not None


def dot_to(source: str, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on DOT text."""
    if fmt not in FORMATS:
        raise ValueError(f"render: unsupported format {fmt!r}. Use one of {FORMATS} (or .dot).")
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            f"render: Graphviz's `dot` program was not found on PATH. {INSTALL}. "
            "viz.to_dot() and viz.to_text() work without it."
        )
    args = [exe, f"-T{fmt}"] + (["-Gdpi=144"] if fmt == "png" else [])  # sharp on slides
    done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"render: dot failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout


def write_atomic(path, data) -> Path:
    """The engine's atomic writer, making missing folders (pictures go into new folders)."""
    return _write_atomic(path, data, parents=True)


def save(graph, path, **options) -> Path:
    """Write a picture: a Tensor, a Digraph or DOT text, to .svg/.png/.pdf/.dot by extension."""
    path = Path(path)
    source = source_of(graph, **options)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        return write_atomic(path, source)
    if fmt not in FORMATS:
        raise ValueError(
            f"save: cannot tell the format from {path.name!r}. "
            "Use a .svg, .png, .pdf or .dot file name."
        )
    return write_atomic(path, dot_to(source, fmt))


def source_of(graph, **options) -> str:
    """DOT text from a Tensor (drawn with options), a Digraph or a DOT string."""
    if isinstance(graph, str):
        return graph
    if hasattr(graph, "source") and not hasattr(graph, "grad_fn"):
        return graph.source
    from .dot import to_dot

    return to_dot(graph, **options)


def draw_graph(
    output,
    params=None,
    show: str = "both",
    rankdir: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    show_saved: bool = False,
    module_depth: int | None = None,
    digits: int = 4,
    vanish: float = VANISH,
    explode: float = EXPLODE,
    title: str | None = None,
    names: dict | None = None,
    heatmaps: bool = True,
    lang: str | None = None,
):
    """A graphviz.Digraph of the graph behind `output` (to_dot's options); shows in Jupyter."""
    style = Style(
        show,
        rankdir,
        max_nodes,
        legend,
        digits,
        vanish,
        explode,
        title=title,
        heatmaps=heatmaps,
        lang=lang,
    )
    graph = prepare(output, params, show_saved, module_depth, names, style)
    digraph = _digraph_class()()
    digraph.body = body_lines(graph, style)
    digraph._viz_text = _text_fallback(graph, style)
    return digraph


def _text_fallback(graph, style) -> str:
    from .text import graph_text

    return graph_text(graph, digits=style.digits, lang=style.lang)


_CLASS = []


def _digraph_class():
    """graphviz.Digraph with Jupyter display that falls back to text when `dot` is missing."""
    if _CLASS:
        return _CLASS[0]
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            "draw_graph: needs the graphviz Python package: pip install graphviz (autodiff's "
            "`all` extra brings it: pip install -e '.[all]' in the clone). Rendering also needs "
            f"Graphviz's `dot` program. {INSTALL}. viz.to_dot() and viz.to_text() need neither."
        ) from e

    class BackpropGraph(graphviz.Digraph):
        """A Digraph that also saves atomically by extension and shows text without `dot`."""

        _viz_text = ""

        def save_as(self, path) -> Path:
            return save(self.source, path)

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            if not has_dot():
                return {"text/plain": self._viz_text + "\n(" + INSTALL + ")"}
            return {
                "image/svg+xml": dot_to(self.source, "svg").decode("utf-8"),
                "text/plain": self._viz_text,
            }

        def _repr_svg_(self):
            return dot_to(self.source, "svg").decode("utf-8") if has_dot() else None

    _CLASS.append(BackpropGraph)
    return BackpropGraph


__all__ = ["dot_to", "draw_graph", "graph_dot", "has_dot", "save", "write_atomic"]
