"""The `autodiff` command: demo (the main job), train, evaluate, graph, run.

The application on top of the library: the only package that imports autodiff, nn and viz.
"""

import argparse
import os
import sys
import zlib
from pathlib import Path

from . import exercises, graph, options, run, train


def _print_exercises() -> None:
    f, t = exercises.add_mul()
    print("f = (x + y)·z at x=-2, y=5, z=-4")
    print(f"  q = {t['q'].item():g}, f = {f.item():g}")
    print("  " + ", ".join(f"df/d{n} = {t[n].grad.item():g}" for n in ("x", "y", "z", "q")))
    s, leaves = exercises.sigmoid_neuron()
    print("s = σ(w0·x0 + w1·x1 + w2) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3")
    print(f"  s = {s.item():.6f}")
    print("  " + ", ".join(f"ds/d{n} = {v.grad.item():.6f}" for n, v in leaves.items()))


def demo(args) -> int:
    """The main job: the exercises, their graphs, and a model trained with diagnostics."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _print_exercises()
    graph.demo(out, quick=args.quick)
    train.demo(out, quick=args.quick)
    print(f"demo output written to {out.resolve()}")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): 'autodiff train: error: ...'."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="autodiff", description="Autograd engine, nn library and pictures of backprop."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the main job: exercises, graphs, a trained model")
    p.add_argument(
        "--out",
        type=options.path,
        default="demo-output",
        help="output folder (default: demo-output)",
    )
    p.add_argument("--quick", action="store_true", help="a shorter training run")
    p.set_defaults(run=demo)
    train.register(sub)
    run.register(sub)
    parser.graph_parser = graph.register(sub)
    return parser


MAX_MESSAGE = 400  # one line of a terminal or two: longer messages are cut
_HINTS = {
    PermissionError: "Check its permissions or choose another path.",
    NotADirectoryError: "A part of that path is a file, not a folder; choose another path.",
    FileExistsError: "A file is in the way of a folder there; choose another path.",
    IsADirectoryError: "That is a folder; give a file name.",
    FileNotFoundError: "Check the path.",
}
# what bad input raises; anything else is a bug, still reported in one line
EXPECTED = (ValueError, TypeError, LookupError, RuntimeError, OSError, OverflowError, zlib.error)


def describe(error: BaseException) -> str:
    """One line for an error: OSErrors as 'path: reason. hint', others by their message."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        hint = next((h for kind, h in _HINTS.items() if isinstance(error, kind)), "")
        text = f"{error.filename}: {error.strerror}. {hint}".strip()
    elif isinstance(error, KeyError):
        text = f"missing key {error.args[0]!r}" if error.args else "missing key"
    else:
        text = str(error) or type(error).__name__
    text = " ".join(text.split())  # multi-line messages (load_state_dict's) become one line
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def main(argv=None) -> int:
    """Run the autodiff command: 0 on success, 2 for bad input, 1 for a bug, 130 for Ctrl-C."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(graph.protect_expression(argv, parser.graph_parser))
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print(f"autodiff {args.command}: interrupted.", file=sys.stderr)
        return 130
    except EXPECTED as e:
        print(f"autodiff {args.command}: error: {describe(e)}", file=sys.stderr)
        return 2
    except Exception as e:
        if os.environ.get("AUTODIFF_DEBUG"):
            raise
        print(
            f"autodiff {args.command}: internal error: {type(e).__name__}: {describe(e)} "
            "(a bug; AUTODIFF_DEBUG=1 shows the traceback).",
            file=sys.stderr,
        )
        return 1
