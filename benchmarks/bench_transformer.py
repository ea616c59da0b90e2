"""The small transformers learners train on a CPU, as they run them: transformer_step.py
(nanoGPT's shakespeare_char CPU recipe, makemore.py's transformer) with real torch and under
`autodiff run`, one thread each, each run a fresh process; the two take turns for `repeats`
rounds, and the ratio is of the medians.

    python benchmarks/bench_transformer.py [--rounds 3] [--steps 20]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

try:
    from common import optional, row
except ImportError:  # imported as benchmarks.bench_transformer
    from .common import optional, row

HERE = Path(__file__).parent
SCRIPT = HERE / "transformer_step.py"
BIN = Path(sys.executable).parent
NAMES = {
    "nanogpt": "nanoGPT CPU recipe step (4 layers, 128 wide, block 64, batch 12), AdamW",
    "makemore": "makemore.py transformer step (4 layers, 64 wide, block 16, batch 32), AdamW",
}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _step_ms(command: list, model: str, steps: int) -> dict:
    done = subprocess.run(
        [*command, str(SCRIPT), model, "--steps", str(steps)],
        capture_output=True, text=True, env={**os.environ, **ONE_THREAD}, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(model: str, rounds: int, steps: int) -> dict:
    """{"ours": [ms per round], "torch": [...], "losses": {...}} for one model."""
    commands = {"ours": [str(BIN / "autodiff"), "run"], "torch": [sys.executable]}
    result = {"ours": [], "torch": [], "losses": {}}
    for _ in range(rounds):
        for name, command in commands.items():
            out = _step_ms(command, model, steps)
            result[name].append(out["ms"])
            result["losses"][name] = out["loss"]
    return result


def run(repeats: int = 3, steps: int = 20) -> list:
    """make bench's rows (none without torch: the script is torch code)."""
    if optional("torch") is None:
        print("bench_transformer: torch not installed, skipped", file=sys.stderr)
        return []
    rows = []
    for model, name in NAMES.items():
        r = measure(model, repeats, steps)
        per_round = [f"{o / t:.2f}" for o, t in zip(r["ours"], r["torch"])]
        rows.append(row(name, statistics.median(r["ours"]), None, statistics.median(r["torch"]),
                        ratio_per_round="/".join(per_round),
                        loss_difference=abs(r["losses"]["ours"] - r["losses"]["torch"])))  # fmt: skip
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    for r in run(args.rounds, args.steps):
        ratio = r["ours_ms"] / r["torch_ms"]
        print(f"{r['benchmark']}: ours {r['ours_ms']:.1f} ms, torch {r['torch_ms']:.1f} ms, "
              f"{ratio:.2f}x (rounds {r['ratio_per_round']}), final losses differ by "
              f"{r['loss_difference']:.1e}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
