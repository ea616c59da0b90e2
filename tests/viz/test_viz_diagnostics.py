"""Training diagnostics: gradient flow, dead and saturated units, and the plots (Agg)."""

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
import viz
from nn.models import MLP

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _data(seed, n=64, features=32, classes=10):
    rng = np.random.default_rng(seed)
    x = ad.tensor(rng.normal(size=(n, features)).astype(np.float32))
    return x, ad.tensor(rng.integers(0, classes, n))


def _deep(act, seed, std=None):
    """Five hidden layers of 32; std: small normal init (biases zero), else He for ReLU."""
    ad.manual_seed(seed)
    model = MLP((32,) + (32,) * 5 + (10,), activation=act, init="default" if std else "he")
    if std:
        for name, p in model.named_parameters():
            nn.init.normal_(p, 0.0, std) if name.endswith("weight") else nn.init.zeros_(p)
    return model


def _first_last_ratio(model, seed, steps=1):
    flow = {}
    x, t = _data(seed)
    for _ in range(steps):
        model.zero_grad()
        F.cross_entropy(model(x), t).backward()
        viz.record_gradient_norms(flow, model)
    weights = [name for name in flow if name.endswith("weight")]
    return flow, flow[weights[-1]][-1] / flow[weights[0]][-1]


def test_gradient_norms_are_the_l2_norms_of_grad():
    model = _deep("relu", 0)
    x, t = _data(0)
    F.cross_entropy(model(x), t).backward()
    norms = viz.gradient_norms(model)
    params = dict(model.named_parameters())
    assert list(norms) == list(params)
    for name, p in params.items():
        assert norms[name] == pytest.approx(np.sqrt(np.sum(p.grad.detach().numpy().astype(np.float64) ** 2)),
                                            rel=1e-5)  # fmt: skip
    assert viz.gradient_norms(params) == norms  # a {name: tensor} dict works too
    fresh = _deep("relu", 0)
    assert viz.gradient_norms(fresh) == {}  # no backward yet: nothing to report


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_stack_vanishes_relu_he_does_not(seed):
    _, vanishing = _first_last_ratio(_deep("sigmoid", seed, std=0.1), seed)
    _, healthy = _first_last_ratio(_deep("relu", seed), seed)
    assert vanishing > 100  # first layer's gradient orders of magnitude below the last's
    assert 0.1 < healthy < 10
    assert vanishing > 30 * healthy


def test_record_gradient_norms_appends_per_step():
    model = _deep("relu", 3)
    flow, _ = _first_last_ratio(model, 3, steps=3)
    assert set(flow) == {name for name, _ in model.named_parameters()}
    assert all(len(v) == 3 for v in flow.values())
    last = viz.gradient_norms(model)
    assert {k: v[-1] for k, v in flow.items()} == last


def test_dead_fraction_matches_zero_gradient_rows():
    ad.manual_seed(4)
    model = MLP((16, 40, 5), activation="relu", init="he")
    dead = [0, 3, 7, 8, 20, 39]
    bias = model[1].bias.detach().numpy()
    bias[dead] = -1e3  # never positive on this batch: these units are dead
    x, t = _data(4, n=50, features=16, classes=5)
    stats = viz.activation_stats(model, x)
    assert list(stats) == ["2"] and stats["2"]["kind"] == "relu"
    F.cross_entropy(model(x), t).backward()
    rows = model[1].weight.grad.detach().numpy()  # (40, 16): one row per hidden unit
    zero_rows = int(np.sum(np.all(rows == 0, axis=1)))
    assert zero_rows >= len(dead)
    assert stats["2"]["dead_fraction"] == zero_rows / rows.shape[0]
    assert 0 < stats["2"]["zero_fraction"] < 1 and stats["2"]["zero_fraction"] >= zero_rows / 40


def test_dead_units_in_conv_channels():
    ad.manual_seed(5)
    conv = nn.Conv2d(1, 6, 3, padding=1)
    conv.bias.detach().numpy()[[1, 4]] = -1e3
    model = nn.Sequential(conv, nn.ReLU())
    x = ad.tensor(np.random.default_rng(5).normal(size=(3, 1, 8, 8)).astype(np.float32))
    model(x).sum().backward()
    channels = conv.weight.grad.detach().numpy().reshape(6, -1)
    zero = int(np.sum(np.all(channels == 0, axis=1)))
    assert zero == 2
    assert viz.activation_stats(model, x)["1"]["dead_fraction"] == zero / 6  # units = channels


def test_sigmoid_saturation():
    ad.manual_seed(6)
    x, _ = _data(6, n=64, features=32)
    model = nn.Sequential(nn.Linear(32, 20), nn.Sigmoid())
    nn.init.normal_(model[0].weight, 0.0, 100.0)
    nn.init.zeros_(model[0].bias)
    huge = viz.activation_stats(model, x)["1"]
    assert huge["kind"] == "sigmoid" and huge["saturated_fraction"] > 0.95
    nn.init.normal_(model[0].weight, 0.0, 0.01)
    small = viz.activation_stats(model, x)["1"]
    assert small["saturated_fraction"] == 0.0 and small["mean"] == pytest.approx(0.5, abs=0.01)
    tanh = nn.Sequential(nn.Linear(32, 20), nn.Tanh())
    nn.init.normal_(tanh[0].weight, 0.0, 100.0)
    assert viz.activation_stats(tanh, x)["1"]["saturated_fraction"] > 0.95


def test_activation_stats_leaves_no_hooks_and_no_graph():
    model = _deep("relu", 7)
    x, _ = _data(7)
    before = model(x).detach().numpy().copy()
    stats = viz.activation_stats(model, x)
    assert list(stats) == ["2", "4", "6", "8", "10"]
    for s in stats.values():
        assert s["values"].size == 64 * 32 and s["std"] > 0
    assert np.array_equal(model(x).detach().numpy(), before)
    assert all(p.grad is None for p in model.parameters())
    again = viz.activation_stats(model, x)
    assert all(np.array_equal(stats[k]["values"], again[k]["values"]) for k in stats)
    calls = []
    model[2].register_forward_hook(lambda *a: calls.append(1))
    viz.activation_stats(model, x)
    assert calls == [1]  # its own hooks were removed, the user's stays


def _png(path):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 1000
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # written atomically


def test_plot_training_curves(tmp_path):
    history = {"train_loss": [2.0, 1.2, 0.8], "val_loss": [2.1, 1.4, 1.1],
               "train_acc": [0.3, 0.6, 0.7], "val_acc": [0.28, 0.55, 0.52]}  # fmt: skip
    fig = viz.plot_training_curves(history, title="run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax = fig.axes[0]
    assert [list(line.get_ydata()) for line in loss_ax.lines] == [[2.0, 1.2, 0.8], [2.1, 1.4, 1.1]]
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "best 0.550 (epoch 2)" in legend  # in the legend, never over an axis
    _labels_inside_axes(fig)
    rising = {"train_loss": [1.0, 0.6, 0.4], "train_acc": [0.6, 0.8, 0.9],
              "val_loss": [1.1, 0.7, 0.5], "val_acc": [0.5, 0.7, 0.862]}  # fmt: skip
    _labels_inside_axes(viz.plot_training_curves(rising))  # best at the last epoch, the top
    assert len(viz.plot_training_curves({"train_loss": [1.0, 0.5]}).axes) == 1
    out = tmp_path / "curves.png"
    assert isinstance(viz.plot_training_curves(history, path=out), Figure)
    _png(out)


def _labels_inside_axes(fig):
    """Every legend and annotation lies inside its axes' box (off the axis lines)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        for item in [ax.get_legend(), *ax.texts]:
            if item is not None:
                b = item.get_window_extent(renderer)
                assert box.x0 < b.x0 and b.x1 < box.x1 and box.y0 < b.y0 and b.y1 < box.y1


def test_gradient_flow_names_layers_by_module():
    from nn.models import MLP

    model = MLP((784, 256, 128, 10))
    flow = {"1": [1e-2, 2e-2], "3": [3e-2, 1e-2], "5": [0.1, 0.2]}  # nn.fit's grad_norms keys
    fig = viz.plot_gradient_flow(flow, xlabel="epoch", model=model)
    names = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert names == ["1: Linear(784->256)", "3: Linear(256->128)", "5: Linear(128->10)"]
    fig = viz.plot_gradient_flow({"1.weight": [0.1]}, model=model)  # bars, by parameter
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1: Linear(784->256) weight"]
    assert viz.plot_gradient_flow(flow).axes[0].get_legend().get_texts()[0].get_text() == "1"


def test_plot_gradient_flow(tmp_path):
    runs = {}
    for title, model in (
        ("sigmoid", _deep("sigmoid", 8, std=0.1)),
        ("relu + He", _deep("relu", 8)),
    ):
        runs[title], _ = _first_last_ratio(model, 8, steps=3)
    fig = viz.plot_gradient_flow(runs, title="gradient flow")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["sigmoid", "relu + He"]
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()  # one scale to compare
    first = fig.axes[0].lines[0].get_ydata()
    assert np.allclose(first, runs["sigmoid"]["1.weight"])
    out = tmp_path / "flow.png"
    single = viz.plot_gradient_flow({k: v[:1] for k, v in runs["relu + He"].items()}, path=out)
    assert len(single.axes[0].patches) == len(runs["relu + He"])  # one bar per parameter
    _png(out)


def test_plot_activation_stats(tmp_path):
    model = _deep("relu", 9)
    x, _ = _data(9)
    out = tmp_path / "acts.png"
    fig = viz.plot_activation_stats(model, x, path=out)
    assert isinstance(fig, Figure)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5
    stats = viz.activation_stats(model, x)
    assert f"dead units {stats['2']['dead_fraction']:.0%}" in visible[0].get_title()
    _png(out)


def test_activation_stats_of_kept_outputs_count_saturated_and_dead_units():
    """The makemore lecture keeps each layer's output (layer.out): a dict of them works, and a
    tanh unit saturated for every example is dead (its column of h.abs() > 0.99 all white)."""
    h = np.full((4, 5), 0.5, np.float32)
    h[:, 0] = 0.995  # saturated on every example: dead
    h[:2, 1] = -0.999  # saturated on half of them: alive
    out = ad.tensor(h, requires_grad=True) * 1.0  # a graph's output: read without its graph
    stats = viz.activation_stats({"layer 2 (Tanh)": out}, kind="tanh")["layer 2 (Tanh)"]
    assert stats["saturated_fraction"] == 6 / 20 and stats["dead_fraction"] == 1 / 5
    loose = viz.activation_stats({"h": out}, kind="tanh", saturation=0.6)["h"]
    assert loose["saturated_fraction"] == 1.0 and loose["dead_fraction"] == 1.0
    relu = viz.activation_stats({"r": ad.tensor([[0.0, 1.0], [0.0, 0.0]])}, kind="relu")["r"]
    assert relu["dead_fraction"] == 0.5 and relu["zero_fraction"] == 0.75
    other = viz.activation_stats({"g": ad.tensor([1.0, 3.0])})["g"]
    assert other["kind"] == "other" and other["mean"] == 2.0 and "dead_fraction" not in other
    with pytest.raises(ValueError, match="unknown kind 'gelu'"):
        viz.activation_stats({"g": out}, kind="gelu")
    with pytest.raises(TypeError, match="a model needs its input x"):
        viz.activation_stats(_deep("relu", 0))
    fig = viz.plot_activation_stats({"layer 2 (Tanh)": out}, kind="tanh", lang="vi")
    assert fig.axes[0].get_title() == "layer 2 (Tanh)\nbão hòa 30.0%, node chết 20%"


def test_update_ratios_are_std_of_the_step_over_std_of_the_values():
    model = _deep("relu", 10)
    x, t = _data(10)
    F.cross_entropy(model(x), t).backward()
    ratios = viz.update_ratios(model, lr=0.1)
    assert list(ratios) == [name for name, _ in model.named_parameters() if "bias" not in name]
    w = model[1].weight  # the biases start at 0 (std 0): no ratio for them
    expected = np.std(0.1 * w.grad.detach().numpy(), ddof=1) / np.std(w.detach().numpy(), ddof=1)
    assert ratios["1.weight"] == pytest.approx(expected, rel=1e-6)
    assert viz.update_ratios({"w": w})["w"] == pytest.approx(10 * expected, rel=1e-6)


def test_plot_update_ratios(tmp_path):
    series = {"W1": [1e-2, 3e-3, 1e-3], "W2": [1e-4, 2e-4, 3e-4]}
    out = tmp_path / "ud.png"
    fig = viz.plot_update_ratios(series, path=out, lang="vi")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and np.allclose(ax.lines[0].get_ydata(), series["W1"])
    guide = ax.lines[-1]
    assert list(guide.get_ydata()) == [1e-3, 1e-3]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["W1", "W2", "0.001: mức gợi ý (bài giảng makemore)"]
    assert ax.get_ylabel().startswith("cập nhật / trọng số")
    _png(out)
    both = viz.plot_update_ratios({"BatchNorm": series, "no BatchNorm": {"W1": [1e-1, 1e-1]}})
    assert [a.get_title() for a in both.axes] == ["BatchNorm", "no BatchNorm"]
    assert both.axes[0].get_ylim() == both.axes[1].get_ylim()
    bars = viz.plot_update_ratios({"W1": [0.02], "W2": [0.05]})  # one step: a bar each
    assert len(bars.axes[0].patches) == 2


def test_plot_activation_stats_puts_runs_in_rows():
    rng = np.random.default_rng(11)
    runs = {
        f"gain {gain}": {
            f"layer {i}": ad.tensor(np.tanh(gain * rng.normal(size=(32, 8)))) for i in range(3)
        }
        for gain in (1, 5)
    }
    fig = viz.plot_activation_stats(runs, kind="tanh")
    rows = [fig.axes[0:3], fig.axes[3:6]]
    assert [row[0].get_ylabel() for row in rows] == ["gain 1", "gain 5"]
    assert rows[1][2].get_title().startswith("layer 2\nsaturated")
    few = viz.activation_stats(runs["gain 1"], kind="tanh")["layer 0"]["saturated_fraction"]
    many = viz.activation_stats(runs["gain 5"], kind="tanh")["layer 0"]["saturated_fraction"]
    assert few < many
