"""Graphs of nn models: parameters named by module path, collapse per module under max_nodes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dotparse import field, parse

import autodiff as ad
import viz
from nn.models import MLP, FashionCNN

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = re.compile(r'^\t\tgraph \[label="((?:[^"\\]|\\.)*)"')


def _mlp(sizes=(8, 6, 5, 3), seed=0):
    ad.manual_seed(seed)
    model = MLP(sizes)
    x = ad.tensor(np.random.default_rng(seed).normal(size=(4, sizes[0])).astype(np.float32))
    y = model(x).sum()
    y.backward()
    return model, y


def _cnn(seed=0):
    ad.manual_seed(seed)
    model = FashionCNN(channels=(2, 3, 4))
    x = ad.tensor(np.random.default_rng(seed).normal(size=(2, 1, 28, 28)).astype(np.float32))
    y = model(x).sum()
    y.backward()
    return model, y


def _clusters(dot: str) -> dict:
    """{node id: label of the cluster it is drawn in} (the legend's cluster left out)."""
    where, current = {}, None
    for line in dot.splitlines():
        if line.startswith("\tsubgraph cluster_"):
            current = "" if "legend" in line else None
        elif line == "\t}":
            current = None
        elif (m := CLUSTER.match(line)) and current is None:
            current = m.group(1)
        elif current and (m := re.match(r"^\t\t(\w+) \[", line)):
            where[m.group(1)] = current
    return where


def _drawn(dot):
    nodes, edges = parse(dot)
    nodes.pop("legend", None)
    return nodes, edges


def _modules(nodes) -> dict:
    """{module path: its summary node} for the collapsed module nodes."""
    return {n["lines"][1]: n for i, n in nodes.items() if n["lines"][0] == "module"}


def _param_grad_norm(model, prefix) -> float:
    sq = sum(float(np.sum(np.square(p.grad.detach().numpy()))) for name, p in model.named_parameters()
             if name.startswith(prefix + "."))  # fmt: skip
    return sq**0.5


def test_parameters_are_labelled_by_module_path_inside_their_cluster():
    model, y = _mlp()
    params = dict(model.named_parameters())
    dot = viz.to_dot(y, params=params, max_nodes=None)
    nodes, _ = _drawn(dot)
    named = {n["lines"][0]: i for i, n in nodes.items() if i.startswith("d")}
    assert set(params) == {"1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"}
    assert set(params) <= set(named)
    where = _clusters(dot)
    for name in params:
        assert where[named[name]] == name.split(".")[0]
    linear_ops = [i for i, n in nodes.items() if n["lines"][0] == "linear"]
    assert sorted(where[i] for i in linear_ops) == ["1", "3", "5"]  # each op in its layer
    grads = {name: field(nodes[named[name]], "grad") for name in ("5.bias",)}
    assert grads["5.bias"] == "[4, 4, 4]"  # d sum / d bias = batch size


def test_collapse_gives_one_node_per_module_with_its_numbers():
    model, y = _mlp()
    params = dict(model.named_parameters())
    full, _ = _drawn(viz.to_dot(y, params=params, max_nodes=None))
    limit = len(full) - 1  # one too many: collapse
    nodes, edges = _drawn(viz.to_dot(y, params=params, max_nodes=limit))
    assert len(nodes) <= limit and "more" not in nodes
    mods = _modules(nodes)
    assert sorted(mods) == ["1", "3", "5"]
    for path, node in mods.items():
        assert node["lines"][2] == "1 ops · 2 params"
        norm = float(node["lines"][3].split()[-1])
        assert norm == pytest.approx(_param_grad_norm(model, path), rel=1e-3)
    assert not [n for n in nodes.values() if n["lines"][0].endswith(("weight", "bias"))]
    ids = set(nodes)
    assert all(s in ids and d in ids for s, d, _ in edges)  # no edge into a vanished node
    chain = {(s, d) for s, d, _ in edges}
    assert len(chain) == len(edges)  # merged edges drawn once


def test_truncated_graph_has_a_summary_node_that_counts_the_rest():
    model, y = _mlp()
    params = dict(model.named_parameters())
    full, _ = _drawn(viz.to_dot(y, params=params, max_nodes=None))
    collapsed, _ = _drawn(viz.to_dot(y, params=params, max_nodes=len(full) - 1))
    for limit in range(2, len(collapsed)):
        nodes, edges = _drawn(viz.to_dot(y, params=params, max_nodes=limit))
        assert len(nodes) == limit, limit
        more = nodes["more"]["lines"]
        hidden = int(re.match(r"… (\d+) more nodes", more[0]).group(1))
        assert hidden + limit - 1 == len(collapsed)
        assert f"max_nodes={limit}" in more[1]
        assert all(s in nodes and d in nodes for s, d, _ in edges)


def test_deep_mlp_collapses_under_the_default_limit():
    model, y = _mlp(sizes=(4,) + (3,) * 40 + (2,))
    params = dict(model.named_parameters())
    full, _ = _drawn(viz.to_dot(y, params=params, max_nodes=None))
    assert len(full) > 200
    dot = viz.to_dot(y, params=params)  # max_nodes=200 by default
    nodes, _ = _drawn(dot)
    assert len(nodes) <= 200 and "more" not in nodes
    linears = sorted({name.split(".")[0] for name in params}, key=int)
    assert list(reversed(list(_modules(nodes)))) == linears  # output side first
    assert "cluster_0" not in dot  # collapsed modules are nodes, not clusters


def test_draw_graph_collapses_the_same_way():
    model, y = _mlp()
    params = dict(model.named_parameters())
    for limit in (None, 12, 6):
        expected = viz.to_dot(y, params=params, max_nodes=limit)
        assert viz.draw_graph(y, params=params, max_nodes=limit).source == expected


def test_fashion_cnn_modules_and_depth():
    model, y = _cnn()
    params = dict(model.named_parameters())
    full_dot = viz.to_dot(y, params=params, max_nodes=None)
    full, _ = _drawn(full_dot)
    where = _clusters(full_dot)
    named = {n["lines"][0]: i for i, n in full.items() if i.startswith("d")}
    for name in params:  # e.g. features.0.0.weight in the cluster features.0.0
        assert where[named[name]] == name.rsplit(".", 1)[0]
    nodes, _ = _drawn(viz.to_dot(y, params=params, max_nodes=len(full) - 1))
    layers = ["head.2", "head.0", "features.2.0", "features.1.0", "features.0.0"]
    assert list(_modules(nodes)) == layers and len(nodes) < len(full)
    for path in layers:
        norm = float(_modules(nodes)[path]["lines"][3].split()[-1])
        assert norm == pytest.approx(_param_grad_norm(model, path), rel=1e-3)
    nodes, _ = _drawn(viz.to_dot(y, params=params, max_nodes=len(full) - 1, module_depth=1))
    mods = _modules(nodes)
    assert list(mods) == ["head", "features"]
    assert mods["head"]["lines"][2].endswith("4 params")
    assert mods["features"]["lines"][2].endswith("6 params")
    assert float(mods["features"]["lines"][3].split()[-1]) == pytest.approx(
        _param_grad_norm(model, "features"), rel=1e-3
    )
    nodes, _ = _drawn(viz.to_dot(y, params=params, max_nodes=8))
    assert len(nodes) == 8 and "more" in nodes


def test_identical_across_runs_in_process():
    texts = set()
    for _ in range(2):
        model, y = _cnn()
        params = dict(model.named_parameters())
        texts.add(viz.to_dot(y, params=params, max_nodes=20) + viz.to_dot(y, params=params))
    assert len(texts) == 1
    assert "0x" not in texts.pop()


SCRIPT = """
import numpy as np, autodiff as ad, viz
from nn.models import MLP, FashionCNN
for make, shape in ((lambda: MLP((8, 6, 5, 3)), (4, 8)),
                    (lambda: FashionCNN(channels=(2, 3, 4)), (2, 1, 28, 28))):
    ad.manual_seed(0)
    model = make()
    y = model(ad.tensor(np.random.default_rng(0).normal(size=shape).astype(np.float32))).sum()
    y.backward()
    params = dict(model.named_parameters())
    for limit in (None, 12):
        print(viz.to_dot(y, params=params, max_nodes=limit, module_depth=None))
"""


def test_identical_across_processes():
    outs = []
    for seed in ("1", "2"):  # different hash seeds: set/dict order must not leak into the text
        env = dict(os.environ, PYTHONHASHSEED=seed, OPENBLAS_NUM_THREADS="1")
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1] and outs[0].count("digraph {") == 4
