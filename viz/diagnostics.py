"""Training diagnostics: curves, gradient flow, update ratios, activation statistics
(matplotlib, lazily).

Each plot returns a matplotlib Figure (no pyplot state) and saves it when given a path;
the numbers behind the plots come from gradient_norms(), update_ratios() and
activation_stats().
"""

import io
from pathlib import Path

import numpy as np

from autodiff import no_grad

from .labels import layer_titles
from .render import write_atomic
from .words import word

BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # where the bounded activations saturate
ACTIVATIONS = {
    "relu": "relu",
    "relu6": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "hardtanh": "tanh",
}


def _figure(rows: int = 1, cols: int = 1, size=(6.4, 4.0)):
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("viz.diagnostics needs matplotlib: pip install matplotlib") from e
    fig = Figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def save_figure(fig, path) -> Path:
    """Save a Figure by extension (png, svg, pdf), written atomically."""
    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip(".").lower() or "png", dpi=144)
    return write_atomic(path, buffer.getvalue())


def _done(fig, path):
    if path is not None:
        save_figure(fig, path)
    return fig


# --- the numbers ------------------------------------------------------------------------------
def gradient_norms(model) -> dict:
    """{parameter name: L2 norm of its .grad} for a Module or a {name: tensor} dict."""
    params = model.named_parameters() if hasattr(model, "named_parameters") else model.items()
    return {
        name: float(np.linalg.norm(np.ravel(p.grad.numpy(force=True))))
        for name, p in params
        if p.grad is not None
    }


def record_gradient_norms(flow: dict, model) -> dict:
    """Append this step's gradient norms to flow {name: [norms]}; call after backward."""
    for name, norm in gradient_norms(model).items():
        flow.setdefault(name, []).append(norm)
    return flow


def activation_stats(
    model, x=None, modules=None, saturation: float = 0.01, kind: str | None = None
) -> dict:
    """Per activation layer: kind, mean, std, dead and saturated fractions.

    model is a Module (its activation layers' outputs on one forward pass of x, collected with
    forward hooks) or a {name: tensor} dict of outputs you kept (the makemore lecture's
    `layer.out`), all of one `kind` ("relu", "tanh", "sigmoid"; default "other": mean and std
    only). A unit (a feature along dim 1) is dead when no example of the batch lets a gradient
    through it: a ReLU unit that outputs exactly 0 for all of them, a sigmoid or tanh unit
    saturated (within `saturation` of its bounds, where the derivative is ~0) for all of them.
    """
    if isinstance(model, dict):
        if x is not None or modules is not None:
            raise TypeError("activation_stats: give a {name: tensor} dict alone (no x, modules)")
        kind = _checked_kind(kind)
        return {name: _stats(_array(t), kind, saturation) for name, t in model.items()}
    if x is None:
        raise TypeError("activation_stats: a model needs its input x (one batch)")
    chosen = _activation_modules(model, modules)
    outputs, handles = {}, []
    for name, module in chosen:

        def hook(mod, inputs, out, name=name):
            outputs[name] = _array(out)

        handles.append(module.register_forward_hook(hook))
    try:
        with no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    kinds = {name: _kind(module) for name, module in chosen}
    return {
        name: _stats(outputs[name], kinds[name], saturation)
        for name, _ in chosen
        if name in outputs
    }


def _array(t) -> np.ndarray:
    return np.array(t.detach().numpy(force=True) if hasattr(t, "detach") else t, copy=True)


def _checked_kind(kind) -> str:
    kinds = sorted(set(ACTIVATIONS.values()) | {"other"})
    if kind is None:
        return "other"
    if kind not in kinds:
        raise ValueError(f"activation_stats: unknown kind {kind!r}. Use one of {kinds}.")
    return kind


def update_ratios(params, lr: float = 1.0) -> dict:
    """{parameter name: std(lr · grad) / std(parameter)} for a Module or a {name: tensor} dict:
    how large one SGD step is beside the values it changes (lr=1: the gradient-to-data ratio).
    The makemore lecture's rule of thumb: about 1e-3 per step. Left out: parameters without a
    gradient, and those whose values are all equal (a bias at its zero init: no spread to
    compare with)."""
    params = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
    ratios = {}
    for name, p in params:
        data = np.asarray(p.detach().numpy(force=True), np.float64)
        if p.grad is not None and data.size > 1 and np.ptp(data) > 0:
            grad = np.asarray(p.grad.numpy(force=True), np.float64)
            ratios[name] = float(np.std(lr * grad, ddof=1) / np.std(data, ddof=1))
    return ratios


def _kind(module) -> str:
    return ACTIVATIONS.get(type(module).__name__.lower(), "other")


def _activation_modules(model, modules):
    named = list(model.named_modules())
    if modules is not None:
        wanted = set(modules)
        return [(n, m) for n, m in named if n in wanted or m in wanted or type(m) in wanted]
    found = [(n, m) for n, m in named if n and _kind(m) != "other"]
    if found:
        return found
    return [(n, m) for n, m in named if n and not list(m.children())]


def _stats(out, kind, saturation) -> dict:
    out = np.asarray(out, dtype=np.float64)
    stats = {
        "kind": kind,
        "mean": float(out.mean()),
        "std": float(out.std()),
        "values": out.ravel(),
    }
    if kind == "relu":
        stats["dead_fraction"] = _dead(out <= 0)
        stats["zero_fraction"] = float(np.mean(out <= 0))
    if kind in BOUNDS:
        low, high = BOUNDS[kind]
        saturated = (out < low + saturation) | (out > high - saturation)
        stats["saturated_fraction"] = float(np.mean(saturated))
        stats["dead_fraction"] = _dead(saturated)
    return stats


def _dead(blocked: np.ndarray) -> float:
    """The fraction of units (dim 1; a channel of an image batch) blocked for every example."""
    if blocked.ndim == 1:
        blocked = blocked[:, None]
    units = np.moveaxis(blocked, 1, 0).reshape(blocked.shape[1], -1)
    return float(np.mean(np.all(units, axis=1)))


# --- the plots ------------------------------------------------------------------------------
def plot_training_curves(
    history: dict, path=None, title: str | None = None, lang: str | None = None
):
    """Loss (and accuracy, when present) per epoch, train and validation."""
    has_acc = any(k in history for k in ("train_acc", "val_acc"))
    fig, axes = _figure(1, 2 if has_acc else 1)
    panels = [("loss", axes[0][0])] + ([("acc", axes[0][1])] if has_acc else [])
    for metric, ax in panels:
        for split, style in (("train", "-"), ("val", "--")):
            series = history.get(f"{split}_{metric}")
            if series:
                epochs = np.arange(1, len(series) + 1)
                ax.plot(
                    epochs,
                    series,
                    style,
                    marker="o",
                    markersize=3,
                    label=word("train" if split == "train" else "validation", lang),
                )
        ax.set_xlabel(word("epoch", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
        ax.set_ylabel(word("loss" if metric == "loss" else "accuracy", lang))
        ax.grid(alpha=0.3)
        ax.legend()
    if has_acc and history.get("val_acc"):
        best = int(np.argmax(history["val_acc"]))
        ax = axes[0][1]  # a star on the point, its number in the legend: never on an axis
        ax.plot(
            [best + 1],
            [history["val_acc"][best]],
            "*",
            markersize=11,
            color="#c62828",
            label=word("best", lang, value=history["val_acc"][best], epoch=best + 1),
        )
        ax.legend()
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def plot_gradient_flow(
    flow: dict,
    path=None,
    title: str | None = None,
    xlabel: str | None = None,
    model=None,
    lang: str | None = None,
):
    """Per-layer gradient norms over training on a log scale.

    flow is {layer: [norm per step]}, or {run title: {layer: [norms]}} for panels side by side
    (e.g. five sigmoid layers vs ReLU + He init). One value per layer draws bars instead.
    xlabel names what one value stands for (default: step; "epoch" for nn.fit's history). With
    `model`,
    layers keyed by module path ("1", "1.weight") are named "1: Linear(784->256)".
    """
    runs = _runs(flow, title)
    titles = layer_titles(model) if model is not None else {}
    fig, axes = _figure(1, len(runs))
    for ax, (run, layers) in zip(axes[0], runs.items()):
        named = {_layer_name(k, titles): v for k, v in layers.items()}
        _flow_panel(ax, named, xlabel or word("step", lang), word("gradient norm", lang))
        if run:
            ax.set_title(run)
    _one_scale(axes[0])
    if len(runs) > 1 and title:
        fig.suptitle(title)
    return _done(fig, path)


def _runs(series: dict, title) -> dict:
    """{run title: {name: values}}, from that or from one run's {name: values}."""
    if series and all(isinstance(v, dict) for v in series.values()):
        return series
    return {title: series}


def _one_scale(axes) -> None:
    """Panels side by side share the y range, so they compare at a glance."""
    if len(axes) > 1:
        low = min(ax.get_ylim()[0] for ax in axes)
        high = max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(low, high)


def _layer_name(key: str, titles: dict) -> str:
    """ "1" -> "1: Linear(784->256)"; "1.weight" -> "1: Linear(784->256) weight"."""
    if key in titles:
        return titles[key]
    path, _, leaf = key.rpartition(".")
    return f"{titles[path]} {leaf}" if path in titles else key


def _flow_panel(ax, layers: dict, xlabel: str, ylabel: str) -> None:
    import matplotlib

    colors = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, max(len(layers), 1)))
    if layers and all(len(v) == 1 for v in layers.values()):
        names = list(layers)
        ax.bar(range(len(names)), [max(v[0], 1e-300) for v in layers.values()], color=colors)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_ylabel(ylabel)
    else:
        for color, (name, norms) in zip(colors, layers.items()):
            ax.plot(
                np.arange(1, len(norms) + 1), np.maximum(norms, 1e-300), color=color, label=name
            )
        ax.set_xlabel(xlabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")


def plot_activation_stats(
    model,
    x=None,
    path=None,
    bins: int = 50,
    title: str | None = None,
    lang: str | None = None,
    saturation: float = 0.01,
    kind: str | None = None,
):
    """A histogram of each activation layer's outputs, titled with dead/saturated fractions.
    model and x, or a {name: tensor} dict of outputs (or their gradients) and their kind, as
    activation_stats takes them; or {run title: {name: tensor}}: one row per run, to compare
    the same layers under different settings (an init's gain, BatchNorm or not)."""
    if isinstance(model, dict) and model and all(isinstance(v, dict) for v in model.values()):
        runs = {
            run: activation_stats(outputs, saturation=saturation, kind=kind)
            for run, outputs in model.items()
        }
        grid = [(run, list(stats.items())) for run, stats in runs.items()]
        titles = {}
    else:
        stats = list(activation_stats(model, x, saturation=saturation, kind=kind).items())
        titles = {} if isinstance(model, dict) else layer_titles(model)
        width = min(len(stats), 5) or 1
        grid = [(None, stats[i : i + width]) for i in range(0, len(stats), width)] or [(None, [])]
    cols = max(len(row) for _, row in grid) or 1
    fig, axes = _figure(len(grid), cols, size=(3.4, 2.7))
    for (run, row), row_axes in zip(grid, axes):
        for ax, (name, s) in zip(row_axes, row):
            ax.hist(s["values"], bins=bins, color="#3949ab", alpha=0.85)
            ax.set_title(f"{titles.get(name, name)}\n{_summary(s, lang)}", fontsize=9)
            ax.set_yscale("log")
            if s["kind"] in BOUNDS:  # the whole range, so layers and runs compare by eye
                low, high = BOUNDS[s["kind"]]
                ax.set_xlim(low - 0.05, high + 0.05)
        for ax in row_axes[len(row) :]:
            ax.set_visible(False)
        if run is not None:
            row_axes[0].set_ylabel(run, fontsize=10, fontweight="bold")
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def plot_update_ratios(
    ratios: dict,
    path=None,
    title: str | None = None,
    guide: float = 1e-3,
    lang: str | None = None,
):
    """Each parameter's update-to-data ratio, std(lr · grad) / std(parameter), on a log scale
    with a dashed guide line at `guide` (the makemore lecture's rule of thumb, 1e-3: far below,
    the layer barely learns; far above, the step is too large). ratios is {name: [ratio per
    step]} or {run title: {name: [...]}} for panels side by side; one value per name (one
    step's update_ratios) draws bars."""
    runs = _runs(ratios, title)
    fig, axes = _figure(1, len(runs))
    for ax, (run, series) in zip(axes[0], runs.items()):
        _flow_panel(ax, series, word("step", lang), word("update ratio", lang))
        ax.axhline(guide, color="k", linestyle="--", linewidth=1,
                   label=word("update guide", lang, guide=guide))  # fmt: skip
        # below the panel: the lines fill the axes from the first step to the last
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
        if run and len(runs) > 1:
            ax.set_title(run)
    _one_scale(axes[0])
    if title:
        fig.suptitle(title)
    return _done(fig, path)


def _summary(s, lang) -> str:
    if "zero_fraction" in s:
        return word("dead summary", lang, dead=s["dead_fraction"], zeros=s["zero_fraction"])
    if "saturated_fraction" in s:
        return word(
            "saturated summary", lang, saturated=s["saturated_fraction"], dead=s["dead_fraction"]
        )
    return word("mean summary", lang, mean=s["mean"], std=s["std"])
