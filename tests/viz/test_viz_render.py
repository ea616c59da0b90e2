"""viz.save / draw_graph with the real Graphviz `dot`, atomic writes, and life without `dot`."""

import os
import shutil
import sys

import pytest

import autodiff as ad
import autodiff.files
import viz
from autodiff_cli import exercises
from viz import render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def _graph():
    f, _ = exercises.add_mul()
    return f


def _is_format(data: bytes, fmt: str) -> bool:
    if fmt == "svg":
        text = data.decode("utf-8")
        return "<svg" in text and text.rstrip().endswith("</svg>")
    return data.startswith(MAGIC[fmt])


def _no_dot(monkeypatch, tmp_path):
    """Simulate a machine without Graphviz: an empty PATH."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None and not viz.has_dot()


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_save_tensor_writes_a_valid_file_and_nothing_else(tmp_path, fmt):
    out = tmp_path / "pics" / f"graph.{fmt}"  # parent folder does not exist yet
    returned = viz.save(_graph(), out)
    assert returned == out
    data = out.read_bytes()
    assert _is_format(data, fmt), data[:40]
    assert sorted(p.name for p in out.parent.iterdir()) == [f"graph.{fmt}"]  # no temp file


@needs_dot
def test_svg_shows_the_slide_numbers():
    svg = render.dot_to(viz.to_dot(_graph()), "svg").decode("utf-8")
    for text in ("AddBackward0", "MulBackward0", "−12"):
        assert text in svg


@needs_dot
def test_save_accepts_a_digraph_and_dot_text(tmp_path):
    g = viz.draw_graph(_graph())
    a = viz.save(g, tmp_path / "a.svg").read_text()
    b = viz.save(viz.to_dot(_graph()), tmp_path / "b.svg").read_text()
    c = g.save_as(tmp_path / "c.svg").read_text()
    assert "<svg" in a and a == b == c


def test_dot_extension_needs_no_graphviz(tmp_path, monkeypatch):
    _no_dot(monkeypatch, tmp_path)
    out = viz.save(_graph(), tmp_path / "g.dot")
    assert out.read_text() == viz.to_dot(_graph())


@pytest.mark.parametrize("name", ["g.jpg", "g.txt", "g", "g.svgz"])
def test_unknown_extension_is_a_clear_value_error(tmp_path, name):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf") as info:
        viz.save(_graph(), tmp_path / name)
    assert repr(name) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_dot_to_refuses_unknown_format():
    with pytest.raises(ValueError, match="unsupported format 'bmp'"):
        render.dot_to("digraph { a }", "bmp")


@needs_dot
def test_failing_render_keeps_the_previous_file(tmp_path):
    out = tmp_path / "g.svg"
    viz.save(_graph(), out)
    before = out.read_bytes()
    with pytest.raises(RuntimeError, match="dot failed"):
        viz.save("digraph { a -> }", out)  # a DOT syntax error
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_failed_write_leaves_no_temp_file_and_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "g.dot"
    out.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(autodiff.files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        render.write_atomic(out, "new text")
    monkeypatch.undo()
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


def test_missing_dot_names_the_install_command(tmp_path, monkeypatch):
    out = tmp_path / "g.svg"
    out.write_text("previous")
    _no_dot(monkeypatch, tmp_path)
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(RuntimeError) as info:
            viz.save(_graph(), tmp_path / f"g.{fmt}")
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "to_dot" in message  # says what still works
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-bin", "g.svg"]


def test_to_dot_and_to_text_work_without_graphviz(tmp_path, monkeypatch):
    with_dot = viz.to_dot(_graph())
    _no_dot(monkeypatch, tmp_path)
    assert viz.to_dot(_graph()) == with_dot
    assert "f = q × z" in viz.to_text(_graph())


def test_jupyter_display_falls_back_to_text_without_dot(tmp_path, monkeypatch):
    g = viz.draw_graph(_graph())
    _no_dot(monkeypatch, tmp_path)
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    text = bundle["text/plain"]
    assert "f = q × z" in text and "grad −4" in text and "apt-get install graphviz" in text
    assert g._repr_svg_() is None


def test_ipython_formatter_shows_text_without_dot(tmp_path, monkeypatch):
    formatters = pytest.importorskip("IPython.core.formatters")
    g = viz.draw_graph(_graph())
    _no_dot(monkeypatch, tmp_path)
    data, _ = formatters.DisplayFormatter().format(g)  # what a notebook cell does
    assert "image/svg+xml" not in data and "q = x + y" in data["text/plain"]


@needs_dot
def test_jupyter_display_is_svg_with_dot():
    g = viz.draw_graph(_graph())
    bundle = g._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "MulBackward0" in bundle["image/svg+xml"]
    assert "f = q × z" in bundle["text/plain"]
    assert "<svg" in g._repr_svg_()


def test_draw_graph_without_the_graphviz_package_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # the import fails
    monkeypatch.setattr(render, "_CLASS", [])
    with pytest.raises(ImportError) as caught:
        viz.draw_graph(_graph())
    text = str(caught.value)
    assert "pip install graphviz" in text and "'.[all]'" in text and "viz.to_text()" in text
    assert text.count("Install Graphviz") == 1 and "apt-get install graphviz" in text


def test_draw_graph_source_is_to_dot():
    f = _graph()
    for options in ({}, {"show": "backward", "rankdir": "TB"}, {"legend": False}):
        assert viz.draw_graph(f, **options).source == viz.to_dot(f, **options)


@needs_dot
def test_large_graph_renders_truncated(tmp_path):
    x = ad.tensor(0.5, dtype=ad.float64, requires_grad=True, name="x")
    y = x
    for _ in range(2000):
        y = ad.tanh(y)
    y.backward()
    out = viz.save(y, tmp_path / "big.svg", max_nodes=40)
    svg = out.read_text()
    assert "more nodes" in svg and svg.count('class="node"') <= 41  # 40 + the legend
    assert os.path.getsize(out) < 200_000
