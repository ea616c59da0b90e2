"""viz.to_text on long graphs: linear time, and no crash when a picture is cut at max_nodes."""

import time

import autodiff as ad
import viz


def _chain(n):
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y * 1.0001
    return y


def _seconds(y) -> float:
    start = time.perf_counter()
    viz.to_text(y)
    return time.perf_counter() - start


def test_to_text_is_linear_in_graph_size():
    small, big = _chain(10_000), _chain(100_000)
    t_small = min(_seconds(small) for _ in range(2))
    t_big = _seconds(big)
    lines = viz.to_text(small).splitlines()
    assert len(lines) == 10_001 and lines[0].startswith("x ") and lines[-1].startswith("t9999 = ")
    # 10x the nodes: linear is ~10x the time, the old quadratic naming was ~100x
    assert t_big < 50 * t_small + 1.0, (t_small, t_big)
    assert t_big < 60, t_big


def test_draw_graph_of_a_long_chain_without_params_does_not_crash():
    y = _chain(250)  # over the default max_nodes=200
    g = viz.draw_graph(y)
    assert "more nodes" in g.source
    text = g._repr_mimebundle_()["text/plain"] if not viz.has_dot() else g._viz_text
    assert text.splitlines()[0].startswith("… ") and "more nodes" in text.splitlines()[0]
