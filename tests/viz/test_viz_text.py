"""viz.to_text on long graphs: linear work, and no crash when a picture is cut at max_nodes."""

import autodiff as ad
import viz


def _chain(n):
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y * 1.0001
    return y


def test_to_text_is_linear_in_graph_size(lines_run):
    (work_small, text), (work_big, _) = (
        lines_run(viz.to_text, _chain(1_000)),
        lines_run(viz.to_text, _chain(10_000)),
    )
    lines = text.splitlines()
    assert len(lines) == 1_001 and lines[0].startswith("x ") and lines[-1].startswith("t999 = ")
    # 10x the nodes: linear is ~10x the lines run, the old quadratic naming was ~100x
    assert 9 * work_small < work_big < 12 * work_small, (work_small, work_big)


def test_draw_graph_of_a_long_chain_without_params_does_not_crash():
    y = _chain(250)  # over the default max_nodes=200
    g = viz.draw_graph(y)
    assert "more nodes" in g.source
    text = g._repr_mimebundle_()["text/plain"] if not viz.has_dot() else g._viz_text
    assert text.splitlines()[0].startswith("… ") and "more nodes" in text.splitlines()[0]
