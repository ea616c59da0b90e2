"""`autodiff graph ...` and the demo's graphs."""

import sys
import warnings
from pathlib import Path

import numpy as np

from autodiff.files import write_atomic
from viz.dot import to_dot
from viz.render import INSTALL, has_dot, save
from viz.steps import save_steps
from viz.text import to_text
from viz.words import LANGUAGES

from . import exercises, expr, options


def register(subparsers) -> None:
    """Add the `graph` subcommand to the autodiff CLI."""
    p = subparsers.add_parser(
        "graph",
        help="draw the forward/backward graph of an arithmetic expression",
        description="Build EXPR from the given values, run backward and draw the graph. "
        f"Allowed: numbers, your names, + - * / ** and {', '.join(sorted(expr.FUNCTIONS))}; "
        "'q = x + y; f = q * z' names the intermediates. Nothing is eval'd.",
    )
    p.add_argument("expression", help='e.g. "(x+y)*z" or "q = x + y; f = q * z"')
    p.add_argument("values", nargs="*", metavar="NAME=VALUE", help="e.g. x=-2 y=5 z=-4")
    p.add_argument(
        "-o", "--output", type=options.path, help="picture file: .svg, .png, .pdf or .dot"
    )
    p.add_argument(
        "--show",
        choices=("forward", "backward", "both"),
        default="both",
        help="values, gradients or both with the chain rule on edges (default)",
    )
    p.add_argument(
        "--rankdir",
        choices=("LR", "TB", "RL", "BT"),
        default=None,
        help="layout direction (default: left to right when that fits a page, else top down)",
    )
    p.add_argument("--text", action="store_true", help="also print the graph as text")
    p.add_argument("--no-legend", action="store_true", help="leave out the colour key")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="the words of the picture, the text and the steps: en (English) or vi "
        "(Vietnamese, the seeds' terms)",
    )
    p.add_argument(
        "--steps",
        metavar="DIR",
        help="also write the backward pass step by step (SVGs + steps.html) to DIR",
    )
    p.set_defaults(run=run_graph)
    return p


def protect_expression(argv: list, parser) -> list:
    """argv with an expression that starts with '-' ("-x*y") kept from being read as an option.

    argparse takes any word starting with '-' for an option; a leading space, which parse
    strips, makes it a positional. Words after '--', option values and real options stay.
    """
    if not argv or argv[0] != "graph":
        return argv
    options = {s: a.nargs != 0 for a in parser._actions for s in a.option_strings}
    out, takes_value = [argv[0]], False
    for i, word in enumerate(argv[1:], 1):
        if word == "--":
            return out + argv[i:]
        is_option = word.startswith("--") or word.split("=")[0] in options or word[:2] in options
        if word.startswith("-") and not takes_value and not is_option and len(word) > 1:
            word = " " + word
        takes_value = options.get(word, False)
        out.append(word)
    return out


def parse_values(pairs) -> dict:
    """['x=-2', 'y=5'] -> {'x': -2.0, 'y': 5.0} with a clear error for a bad pair."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"graph: expected NAME=VALUE, got {expr.shown(pair)} (e.g. x=-2).")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise ValueError(
                f"graph: the value of {expr.shown(name)} is not a number: {expr.shown(text)}."
            ) from None
    return values


def run_graph(args) -> int:
    # x/0 is ∞ and 0/0 NaN, as in torch, which is silent: the table and picture mark them
    # (NaN/Inf), so NumPy's RuntimeWarnings with file paths would only repeat that
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        output, _ = expr.evaluate(args.expression, parse_values(args.values))
        if not hasattr(output, "grad_fn") or not output.requires_grad:
            raise ValueError("graph: the expression does not depend on any NAME=VALUE you gave.")
        output.backward()
    options = {"show": args.show, "rankdir": args.rankdir, "legend": not args.no_legend}
    options["lang"] = args.lang
    if args.text or not args.output:
        print(to_text(output, lang=args.lang))
    if args.output:
        path = save(output, args.output, **options)
        print(f"graph written to {path}")
    if args.steps:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            paths = save_steps(output, args.steps, rankdir=args.rankdir, lang=args.lang)
        for note in notes:
            print(f"autodiff graph: note: {note.message}", file=sys.stderr)
        frames = f" and {len(paths) - 1} SVG frames" if len(paths) > 1 else ""
        print(f"backward steps written to {Path(args.steps) / 'steps.html'}{frames}")
    return 0


def demo(out_dir, quick: bool = False) -> list:
    """Render the lecture's exercise graphs into out_dir/graphs and say where."""
    folder = Path(out_dir) / "graphs"
    folder.mkdir(parents=True, exist_ok=True)
    pictures = [
        ("add_mul", exercises.add_mul()[0], "f = (x + y)·z at x=−2, y=5, z=−4"),
        (
            "sigmoid_neuron_fused",
            exercises.sigmoid_neuron(fused=True)[0],
            "s = σ(w0·x0 + w1·x1 + w2): one fused σ node",
        ),
        (
            "sigmoid_neuron_gates",
            exercises.sigmoid_neuron(fused=False)[0],
            "s = 1 / (1 + exp(−z)): the same neuron as a chain of gates",
        ),
    ]
    written = []
    for name, output, title in pictures:
        written.append(write_atomic(folder / f"{name}.txt", to_text(output) + "\n"))
        source = to_dot(output, title=title)
        formats = ("svg", "png") if has_dot() else ("dot",)
        written.extend(save(source, folder / f"{name}.{fmt}") for fmt in formats)
    if has_dot() and not quick:
        written.extend(save_steps(exercises.add_mul()[0], folder / "add_mul_steps"))
    print(f"graphs written to {folder.resolve()} ({len(written)} files)")
    if not has_dot():
        print(f"(the .dot and .txt files were written; SVG/PNG need Graphviz. {INSTALL}.)")
    return written


__all__ = ["demo", "parse_values", "register", "run_graph"]
