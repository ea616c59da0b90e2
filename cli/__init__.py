"""The `autodiff` command: demo (the main job), train, evaluate, graph.

The application on top of the library: the only package that imports autodiff, nn and viz.
"""

import argparse
import sys
from pathlib import Path

from . import exercises, graph, train


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodiff", description="Autograd engine, nn library and pictures of backprop."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the main job: exercises, graphs, a trained model")
    p.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    p.add_argument("--quick", action="store_true", help="a shorter training run")
    p.set_defaults(run=demo)
    train.register(sub)
    graph.register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as e:
        print(f"autodiff {args.command}: error: {e}", file=sys.stderr)
        return 2
