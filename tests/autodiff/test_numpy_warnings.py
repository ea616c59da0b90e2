"""NumPy's floating-point warnings (overflow, invalid value, divide by zero) raised by our own
ops stay quiet, as torch's ops make inf and NaN silently; a user's own NumPy calls still warn.
Run in a fresh interpreter with RuntimeWarning as an error, set before autodiff is imported."""

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import numpy as np
    import autodiff as ad
    import nn.functional as F

    inf, nan = float("inf"), float("nan")
    values = [inf, -inf, 0.0, -1.0, 1e30, 700.0, nan, -0.0]

    def ops(x):
        yield x * 0 + (x - x)  # inf · 0, inf - inf
        yield ad.exp(x * 10) + ad.log(x) + ad.sqrt(x) + x ** 0.5 + 1 / x
        yield ad.tanh(x) * ad.sigmoid(x) + F.softplus(x) + F.relu(x) * x
        yield (x.float() * 1e30) * 1e30  # float32 overflow
        yield x.sum() + x.mean() + x.logsumexp(0) + F.softmax(x, 0).sum()
        yield x[:, None] * x  # broadcast: its gradient adds inf and -inf

    x = ad.tensor(values, dtype=ad.float64, requires_grad=True)
    for y in ops(x):
        y.sum().backward(retain_graph=True)

    @ad.compile
    def step(t):
        total = sum(y.sum() for y in ops(t))
        total.backward()
        return total

    for _ in range(3):  # traced, then replayed
        step(ad.tensor(values, dtype=ad.float64, requires_grad=True))
    print("quiet")
    try:
        np.exp(np.float64(1000.0))
    except RuntimeWarning as error:
        print("the user's own call warns:", error)
    """
)


@pytest.mark.parametrize("filter", ["error::RuntimeWarning", "error"])
def test_our_ops_raise_no_numpy_warnings_and_the_users_own_calls_still_do(filter):
    done = subprocess.run(
        [sys.executable, "-W", filter, "-c", PROGRAM], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and not done.stderr, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "quiet",
        "the user's own call warns: overflow encountered in exp",
    ]
