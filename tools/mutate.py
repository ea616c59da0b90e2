"""Mutation testing (not in CI: slow): plant one realistic bug at a time in the code under test
and run the tests that should catch it. A mutant the tests fail on is killed; one they pass
survives and needs a test, unless it is equivalent (the program's behaviour is the same).

    .venv/bin/python tools/mutate.py              # run what is not cached yet, print the table
    .venv/bin/python tools/mutate.py --list       # the mutants, without running them
    .venv/bin/python tools/mutate.py --only nn/checkpoint.py --fresh
    .venv/bin/python tools/mutate.py --survivors  # rerun the survivors after adding tests
    .venv/bin/python tools/mutate.py --equivalent ID "why"   # mark a survivor equivalent

The bugs: a comparison, arithmetic or boolean operator swapped, a number off by one, True
and False swapped, a guard's condition forced, a raise, a call or an early return removed.
They are planted in a copy of the repository (the worktree is never touched), on the lines
this branch changed (git diff main) and in the areas of TARGETS named by function. Results
are cached in tools/mutation-results.json by the mutant's text, so a rerun only runs what
changed.
"""

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "tools" / "mutation-results.json"
EQUIVALENT = ROOT / "tools" / "mutation-equivalent.json"  # id -> why it cannot be told apart

CLI = "tests/autodiff_cli/test_cli_errors.py::"
OPS = "tests/autodiff/test_ops_torch.py::test_matches_torch"  # the op table's rows against torch
KINK = "tests/autodiff/test_ops_torch.py::test_kink_convention_matches_torch_exactly"  # and edges
FUSED = "tests/autodiff/test_fused_kernels.py"
BITS = "tests/nn/test_optimizer_bits.py"
SPARSE = "tests/autodiff/test_sparse.py"
CASCADE = "tests/autodiff/test_cascade.py"
SPARSE_PROGRAM = "tests/autodiff_cli/test_run_torch_programs.py::test_program_runs_and_matches_torch[graph_networks]"
# file -> (the tests that should catch a bug there, the functions to mutate beyond the
# branch's own changes: the areas issue 24 names; [] for the changed lines only, None for all)
TARGETS = {
    "autodiff/serialization.py": (["tests/autodiff/test_serialization.py"], None),
    "autodiff/npyio.py": (["tests/autodiff/test_serialization.py"], None),
    "autodiff/safetensors.py": (["tests/nn/test_safetensors.py"], None),
    "autodiff/files.py": (
        ["tests/autodiff/test_weak_spots.py", "tests/nn/test_serialization_faults.py"],
        None,
    ),
    "nn/serialization.py": (
        ["tests/nn/test_safetensors.py", "tests/nn/test_serialization_faults.py"],
        None,
    ),
    "nn/module_state.py": (["tests/autodiff/test_serialization.py"], None),
    "nn/checkpoint.py": (
        ["tests/nn/test_checkpoint_fallback.py", "tests/nn/test_train.py"],
        None,
    ),
    "viz/layers.py": (["tests/viz/test_viz_steps.py"], None),
    "viz/steps.py": (["tests/viz/test_viz_steps.py", "tests/viz/test_viz_player.py"], []),
    "viz/player.py": (["tests/viz/test_viz_steps.py", "tests/viz/test_viz_player.py"], []),
    "nn/loss_regression.py": (
        ["tests/nn/test_numeric_edges.py", "tests/nn/test_torch_losses.py"],
        [],
    ),
    "nn/normalization.py": (
        ["tests/nn/test_numeric_edges.py", "tests/nn/test_layers.py"],
        [],
    ),
    "nn/rnn.py": (["tests/nn/test_numeric_edges.py", "tests/nn/test_torch_rnn.py"], ["unstack"]),
    "nn/activation.py": (["tests/nn/test_numeric_edges.py"], []),
    "autodiff/ops/activation.py": (
        [
            "tests/nn/test_numeric_edges.py",
            OPS + "[relu]",
            OPS + "[softmax]",
            OPS + "[log_softmax]",
            KINK + "[softmax at +-1000]",
            KINK + "[log_softmax at +-1000]",
        ],
        [],
    ),
    "autodiff/ops/elementwise.py": (["tests/nn/test_numeric_edges.py", OPS + "[abs]"], []),
    "autodiff/ops/reduction.py": (
        [
            "tests/nn/test_numeric_edges.py",
            OPS + "[logsumexp]",
            OPS + "[max_all]",
            KINK + "[logsumexp at -inf]",
            KINK + "[max ties (all)]",
        ],
        [],
    ),
    "autodiff/ops/shape.py": (["tests/nn/test_numeric_edges.py", OPS + "[flatten]"], []),
    "autodiff/ops/indexing.py": (
        [
            "tests/autodiff/test_weak_spots.py",
            OPS + "[getitem_basic]",
            OPS + "[getitem_advanced]",
            OPS + "[getitem_mask]",
            "tests/autodiff/test_inplace.py",
        ],
        [],
    ),
    "autodiff/function.py": (
        ["tests/nn/test_numeric_edges.py", "tests/autodiff/test_weak_spots.py"],
        ["check_finite"],
    ),
    "autodiff/saved.py": (
        ["tests/nn/test_numeric_edges.py", "tests/autodiff/test_weak_spots.py"],
        ["check_versions"],
    ),
    "autodiff/views.py": (
        ["tests/nn/test_numeric_edges.py", "tests/autodiff/test_weak_spots.py"],
        ["mark_view"],
    ),
    "autodiff/engine.py": (
        [
            "tests/autodiff/test_weak_spots.py",
            "tests/autodiff/test_semantics.py",
            "tests/compile/test_compile.py",
        ],
        ["_accumulate", "run_backward"],
    ),
    "autodiff/grad_mode.py": (
        [
            "tests/autodiff/test_grad_mode_restore.py",
            "tests/autodiff/test_thread_modes.py",
            "tests/test_hygiene.py",
            "tests/autodiff/test_weak_spots.py",
        ],
        None,
    ),  # fmt: skip
    "autodiff/tensor.py": (
        ["tests/autodiff/test_serialization.py", "tests/autodiff/test_weak_spots.py"],
        ["_check_grad_dtype"],
    ),
    # ad.compile: a planted bug must make a replay differ from eager (or refuse) where tested
    "autodiff/compile/tracer.py": (["tests/compile", "tests/autodiff/test_ops_compiled.py"], None),
    "autodiff/compile/guards.py": (["tests/compile"], None),
    "autodiff/compile/program.py": (["tests/compile"], None),
    "nn/optim/lr_scheduler/decay.py": (
        ["tests/nn/test_scheduler_boundaries.py", "tests/nn/test_torch_schedulers.py"],
        None,
    ),
    "nn/optim/lr_scheduler/lambdas.py": (
        ["tests/nn/test_scheduler_boundaries.py", "tests/nn/test_torch_schedulers.py"],
        None,
    ),
    "nn/optim/lr_scheduler/sequential.py": (
        ["tests/nn/test_scheduler_boundaries.py", "tests/nn/test_torch_schedulers.py"],
        None,
    ),
    "nn/optim/adam.py": (
        ["tests/nn/test_torch_optim.py", BITS],
        ["start_moments", "decayed", "step_moments", "_update"],
    ),  # fmt: skip
    # torch's fused kernels and the optimizers' steps built on them: torch's bits
    "autodiff/cpu_math.py": (
        [FUSED, BITS, "tests/autodiff/test_random.py"],
        [
            "fma",
            "fma32",
            "_fma32_chunk",
            "_wide",
            "fma64",
            "_fma64_chunk",
            "_chunked",
            "_flat",
            "_broadcast_shape",
            "scaled_add",
            "_add_scaled_in_place",
            "lerp",
            "addcmul",
            "addcdiv",
            "_by_number",
            "_result",
            "_rounded",
            "_axpy",
            "fused_block",
            "_blas_function",
        ],
    ),
    # sparse COO tensors: torch's kernels and refusals
    "autodiff/coo.py": ([SPARSE, SPARSE_PROGRAM], None),
    "autodiff/sparse.py": ([SPARSE, SPARSE_PROGRAM], None),
    "autodiff/ops/arithmetic.py": (
        [FUSED, OPS + "[lerp]", OPS + "[lerp_tensor]", OPS + "[addcmul]", OPS + "[addcdiv]"],
        ["Lerp", "lerp", "Addcmul", "Addcdiv"],
    ),
    **{
        f"nn/optim/{name}.py": ([BITS], ["_update"])
        for name in (
            "sgd",
            "rmsprop",
            "adagrad",
            "adamax",
            "nadam",
            "radam",
            "adadelta",
            "asgd",
            "rprop",
        )
    },
    "nn/loss.py": (
        [
            "tests/nn/test_torch_losses.py",
            "tests/nn/test_losses.py",
            "tests/nn/test_numeric_edges.py",
            CASCADE,
        ],
        ["NegativeLogLikelihood", "_reduce"],
    ),  # fmt: skip
    "autodiff/cascade.py": ([CASCADE], None),
    "nn/data/datasets.py": (  # the CIFAR unpickler
        ["tests/nn/test_cifar_unpickler.py"],
        ["_plain_dtype", "_latin1", "_CifarUnpickler", "_unpickle"],
    ),
    "autodiff_cli/run.py": (
        [
            CLI + "test_run_prints_the_message_of_sys_exit",
            CLI + "test_run_a_folder_with_main_as_python_does",
            CLI + "test_run_passes_exit_codes_and_shows_a_scripts_own_error",
            CLI + "test_run_returns_1_for_a_message_and_puts_the_scripts_folder_first",
        ],
        [],
    ),  # fmt: skip
    "autodiff_cli/options.py": (
        [
            CLI + "test_options_that_would_be_silently_wrong_are_refused_by_name",
            CLI + "test_path_and_seed_options_accept_what_they_should",
        ],
        None,
    ),  # fmt: skip
    "autodiff_cli/train.py": (
        [
            CLI + "test_options_that_would_be_silently_wrong_are_refused_by_name",
            CLI + "test_evaluate_and_resume_fall_back_to_the_previous_checkpoint_and_say_so",
            CLI + "test_path_and_seed_options_accept_what_they_should",
            CLI + "test_notes_print_checkpoint_warnings_every_time_and_leave_others_alone",
        ],
        [],
    ),  # fmt: skip
}

_COMPARE = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}  # fmt: skip
_BINARY = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd, ast.LShift: ast.RShift,
}  # fmt: skip


def _lines_changed(path: str) -> set:
    """Line numbers of path that this branch added or changed relative to main."""
    diff = subprocess.run(
        ["git", "diff", "-U0", "main", "--", path], cwd=ROOT, capture_output=True, text=True
    ).stdout
    lines = set()
    for m in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", diff, re.M):
        start, count = int(m.group(1)), int(m.group(2) or 1)
        lines.update(range(start, start + count))
    return lines


def _lines_of(tree, names) -> set:
    """Line numbers of the named functions and classes (any depth)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def _variants(node):
    """(kind, replacement node or source text) for each bug planted at node."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        yield "compare", ast.Compare(node.left, [_COMPARE[type(node.ops[0])]()], node.comparators)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        yield "arithmetic", ast.BinOp(node.left, _BINARY[type(node.op)](), node.right)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolean", ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not removed", node.operand
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "bool flipped", ast.Constant(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield "off by one", ast.Constant(node.value + 1)
        if node.value != 0:
            yield "off by one", ast.Constant(node.value - 1)
    elif isinstance(node, ast.If | ast.While):
        yield "guard forced", ("condition", "True")
        yield "guard forced", ("condition", "False")
    elif isinstance(node, ast.Raise):
        yield "raise removed", "pass"
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "call removed", "pass"
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return None", "return None"
    elif isinstance(node, ast.AugAssign) and type(node.op) in _BINARY:
        yield "arithmetic", ast.AugAssign(node.target, _BINARY[type(node.op)](), node.value)


def _segment(source_lines, node):
    """(start, end) of node in the joined source, in characters (ast counts UTF-8 bytes)."""
    offsets = [0]
    for line in source_lines:
        offsets.append(offsets[-1] + len(line))

    def at(lineno, col):
        return offsets[lineno - 1] + len(source_lines[lineno - 1].encode()[:col].decode())

    return at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)


def mutants(path: str, names) -> list:
    """Every mutant of path on the chosen lines: dicts with id, file, line, kind, text."""
    source = (ROOT / path).read_text()
    tree = ast.parse(source)
    lines = _lines_changed(path)
    if names is None:
        lines = set(range(1, source.count("\n") + 2))
    elif names:
        lines |= _lines_of(tree, set(names))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Module | ast.AsyncFunctionDef)
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }  # fmt: skip
    chars = source.splitlines(keepends=True)
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) not in lines or id(node) in docstrings:
            continue
        if isinstance(node, ast.Expr) and id(node.value) in docstrings:
            continue
        for kind, new in _variants(node):
            if isinstance(new, tuple):  # a guard: replace only its condition
                a, b = _segment(chars, node.test)
                text = new[1]
            else:
                a, b = _segment(chars, node)
                text = new if isinstance(new, str) else ast.unparse(new)
                if not isinstance(node, ast.stmt):
                    text = f"({text})"
            mutated = source[:a] + text + source[b:]
            if mutated == source:
                continue
            try:
                ast.parse(mutated)
            except SyntaxError:
                continue
            before = source[a:b].strip().splitlines()[0][:70]
            key = hashlib.sha1(f"{path}\n{mutated}".encode()).hexdigest()[:12]
            out.append(
                {"id": key, "file": path, "line": node.lineno, "kind": kind,
                 "change": f"{before} -> {text.splitlines()[0][:70]}", "source": mutated}
            )  # fmt: skip
    return out


def _copy_tree() -> Path:
    """The repository's tracked and untracked (not ignored) files in a temporary folder."""
    where = Path(tempfile.mkdtemp(prefix="mutate-"))
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dst = where / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return where


def _run(copy: Path, tests: list, timeout: float) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CI", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "killed (timeout)"
    return "survived" if done.returncode == 0 else "killed"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="files to mutate (default: all of TARGETS)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--fresh", action="store_true", help="rerun cached mutants too")
    parser.add_argument(
        "--survivors", action="store_true", help="rerun cached survivors (after adding tests)"
    )
    parser.add_argument(
        "--per-file",
        type=int,
        default=20,
        help="mutants sampled per file (the same ones every time: by their id); 0 for all",
    )
    parser.add_argument("--workers", type=int, default=2, help="copies run side by side")
    parser.add_argument("--equivalent", nargs=2, metavar=("ID", "WHY"), help="mark a survivor")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    equivalent = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    if args.equivalent:
        key, why = args.equivalent
        equivalent[key] = why
        EQUIVALENT.write_text(json.dumps(equivalent, indent=1, sort_keys=True) + "\n")
        return 0
    chosen = {f: t for f, t in TARGETS.items() if not args.only or f in args.only}
    planned = []
    for path, (tests, names) in chosen.items():
        found = sorted(mutants(path, names), key=lambda m: m["id"])
        planned += [(m, tests) for m in found[: args.per_file or None]]
    if args.list:
        for m, _ in planned:
            print(f"{m['id']}  {m['file']}:{m['line']}  {m['kind']}: {m['change']}")
        print(f"{len(planned)} mutants")
        return 0

    def due(m, tests) -> bool:
        old = results.get(m["id"])
        if old is None or args.fresh or old["tests"] != tests:  # new, or other tests now
            return True
        return args.survivors and old["outcome"] == "survived" and m["id"] not in equivalent

    todo = [(m, t) for m, t in planned if due(m, t)]
    with ThreadPoolExecutor(args.workers) as pool:
        copies = [_copy_tree() for _ in range(args.workers)]
        try:
            baseline = _baselines(copies[0], {tuple(t) for _, t in todo})
            free = list(copies)
            lock = threading.Lock()

            def job(m, tests):
                with lock:
                    copy = free.pop()
                try:
                    return m, tests, _mutant(copy, m, tests, 3 * baseline[tuple(tests)] + 30)
                finally:
                    with lock:
                        free.append(copy)

            for future in as_completed([pool.submit(job, m, t) for m, t in todo]):
                m, tests, outcome = future.result()
                results[m["id"]] = {k: v for k, v in m.items() if k != "source"} | {
                    "outcome": outcome, "tests": tests,
                }  # fmt: skip
                print(
                    f"{outcome:17} {m['file']}:{m['line']} {m['kind']}: {m['change']}", flush=True
                )
                RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        finally:
            for copy in copies:
                shutil.rmtree(copy, ignore_errors=True)
    _report(results, equivalent, {m["id"] for m, _ in planned})
    return 0


def _baselines(copy: Path, groups: set) -> dict:
    """Seconds each group of tests takes unmutated; they must pass, or nothing is measured."""
    times = {}
    for tests in sorted(groups):
        began = time.monotonic()
        if _run(copy, list(tests), 1800) != "survived":
            raise SystemExit(f"mutate: the tests fail without a mutant: {list(tests)}")
        times[tests] = time.monotonic() - began
    return times


def _mutant(copy: Path, m: dict, tests: list, timeout: float) -> str:
    target = copy / m["file"]
    original = target.read_text()
    target.write_text(m["source"])
    try:
        return _run(copy, tests, timeout)
    finally:
        target.write_text(original)


def _report(results: dict, equivalent: dict, current: set) -> None:
    rows = [r for k, r in results.items() if k in current]
    killed = sum(r["outcome"].startswith("killed") for r in rows)
    same = [r for r in rows if r["outcome"] == "survived" and r["id"] in equivalent]
    survivors = [r for r in rows if r["outcome"] == "survived" and r["id"] not in equivalent]
    counted = len(rows) - len(same)
    rate = killed / counted if counted else 1.0
    print(f"\n{len(rows)} mutants run: {killed} killed, {len(same)} equivalent, "
          f"{len(survivors)} surviving; {rate:.1%} of the non-equivalent killed")  # fmt: skip
    for r in survivors:
        print(f"  survived  {r['id']}  {r['file']}:{r['line']}  {r['kind']}: {r['change']}")


if __name__ == "__main__":
    sys.exit(main())
