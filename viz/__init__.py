"""viz: pictures of backpropagation (graphs, step-by-step backward) and training diagnostics."""

from autodiff.graph import recording as record

from .diagnostics import (
    activation_stats,
    gradient_norms,
    plot_activation_stats,
    plot_gradient_flow,
    plot_training_curves,
    plot_update_ratios,
    record_gradient_norms,
    save_figure,
    update_ratios,
)
from .dot import to_dot
from .network import plot_network
from .render import draw_graph, has_dot, save
from .steps import Frame, Stepper, backward_steps, save_gif, save_steps, steps, steps_html
from .text import to_text
from .trace import backward_order, name, trace
from .words import get_language, set_language

__all__ = [
    "Frame",
    "Stepper",
    "activation_stats",
    "backward_order",
    "backward_steps",
    "draw_graph",
    "get_language",
    "gradient_norms",
    "has_dot",
    "name",
    "plot_activation_stats",
    "plot_gradient_flow",
    "plot_network",
    "plot_training_curves",
    "plot_update_ratios",
    "record",
    "record_gradient_norms",
    "save",
    "save_figure",
    "save_gif",
    "save_steps",
    "set_language",
    "steps",
    "steps_html",
    "to_dot",
    "to_text",
    "trace",
    "update_ratios",
]
