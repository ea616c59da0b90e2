"""nn.heap.keep_freed_memory: a step's freed arrays are reused, not faulted in again."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autodiff.errors import ArgumentError
from nn.heap import keep_freed_memory

STEPS = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    if sys.argv[1] == "keep":
        from nn.heap import keep_freed_memory
        assert keep_freed_memory()
    def step():  # 32 MiB in use, then free: more than glibc's default keeps
        arrays = [np.ones(1 << 20) for _ in range(4)]
        del arrays
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _page_faults(mode: str) -> int:
    run = subprocess.run([sys.executable, "-c", STEPS, mode], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return int(run.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_memory_is_reused_by_the_next_step():
    default, kept = _page_faults("default"), _page_faults("keep")
    assert default > 10_000  # by default the steps fault much of their memory in again
    assert kept < default / 20


@pytest.mark.parametrize("limit", [-1, 2**31, 1.5, True, "256M"])
def test_a_bad_limit_is_refused_naming_the_function(limit):
    with pytest.raises(ArgumentError, match=r"keep_freed_memory: limit must be a number of bytes"):
        keep_freed_memory(limit)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_autodiff_run_keeps_freed_memory_for_the_script(tmp_path):
    script = tmp_path / "steps.py"
    script.write_text(STEPS.replace('sys.argv[1] == "keep"', "False"))  # the command sets it
    autodiff = Path(sys.executable).parent / "autodiff"
    run = subprocess.run([str(autodiff), "run", str(script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) < _page_faults("default") / 20
