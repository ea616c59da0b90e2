"""Every optimizer's step is torch's bit for bit: given the same gradients, six steps leave the
same parameters and state in float32 and float64. torch's kernels round as the x86 builds
compile them (add with alpha, lerp and addcmul are fused multiply-adds: cpu_math), so two
roundings where torch has one would show here in 10-20 % of the values (test_kernels_are_
needed). torch's own float32 sqrt is not correctly rounded on some CPUs (MKL's on AMD: one unit
in the last place off in ~20 % of values); ours is (NumPy's, IEEE), so the comparison gives
torch a correctly rounded sqrt and tests everything else. Adafactor and Muon are compared within
tolerances in test_torch_optim.py: Adafactor's row and column norms are reductions that torch
sums in another order, Muon's Newton-Schulz iteration is matrix products (a BLAS's order)."""

import numpy as np
import pytest
from test_optim import OPTIMIZERS as VARIANTS
from test_torch_optim import ONLY, OPTIMIZERS

import autodiff as ad
import nn

torch = pytest.importorskip("torch")

REDUCING = ("Adafactor", "Muon")  # their steps sum in a library's order (above)
COMPARED = [(n, kwargs) for n, kwargs in OPTIMIZERS + VARIANTS if n not in REDUCING]
# a matrix (Muon takes only these) and a vector, each with a tail past the vector width; float16
# and bfloat16 without one: there torch's add with alpha (SGD's step) rounds each element of a
# tail twice in its scalar loop, and which elements its vector loop leaves depends on the CPU
# (32 per vector with AVX-512, 16 with AVX2) and on its threads' split
SHAPES = {"float32": [(7, 5), (67,)], "float64": [(7, 5), (67,)]}
NARROW_SHAPES = [(8, 4), (64,)]
SPECIAL = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-40]


@pytest.fixture
def correctly_rounded_sqrt(monkeypatch):
    def sqrt(self):  # float16 and bfloat16: from float32, as torch's kernel
        wide = self.detach() if self.dtype == torch.float64 else self.detach().float()
        return torch.from_numpy(np.sqrt(wide.numpy())).to(self.dtype)

    def sqrt_(self):
        return self.copy_(sqrt(self))

    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", sqrt_)
    monkeypatch.setattr(torch, "sqrt", lambda t, **kw: sqrt(t))


def _run(lib, name, kwargs, dtype, steps=8, special=False):
    """Parameters and state after `steps` steps (8: ASGD's t0=5 variant averages from step 7);
    special: parameters and gradients hold inf, -inf, nan, ±0 and a subnormal."""
    rng = np.random.default_rng(0)
    shapes = SHAPES.get(dtype, NARROW_SHAPES)
    start = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    if special:
        for values in [start, *grads]:
            values[1][:6] = SPECIAL
            values[1][6:12] = rng.permutation(SPECIAL)
    if lib is torch:

        def tensor(x):
            return torch.tensor(x).to(getattr(torch, dtype))
    else:

        def tensor(x):
            return ad.tensor(x).to(getattr(ad, dtype))

    make = torch.nn.Parameter if lib is torch else nn.Parameter
    params = [make(tensor(s.copy())) for s in start]
    optimizer = getattr(lib.optim, name)(
        [p for p in params if ONLY.get(name, lambda _: True)(p)], **kwargs
    )
    for step in grads:
        for p, g in zip(params, step):
            p.grad = tensor(g.copy())
        optimizer.step()
    state = [{k: _bits(v) for k, v in s.items()} for s in optimizer.state_dict()["state"].values()]
    return [_bits(p) for p in params], state


def _bits(value) -> np.ndarray:
    """The values as an array; 2-byte floats as their bits (NumPy has no bfloat16 of torch's)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        return (value.view(torch.int16) if value.element_size() == 2 else value).numpy()
    array = np.asarray(value.detach().numpy() if isinstance(value, ad.Tensor) else value)
    return array.view(np.int16) if array.dtype.itemsize == 2 else array


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "float16"])
@pytest.mark.parametrize(
    "name,kwargs", COMPARED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(COMPARED)]
)
def test_steps_are_torchs_bit_for_bit(name, kwargs, dtype, correctly_rounded_sqrt):
    ours, ours_state = _run(nn, name, kwargs, dtype)
    theirs, theirs_state = _run(torch, name, kwargs, dtype)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert len(ours_state) == len(theirs_state)  # no state where torch keeps none
    for mine, torchs in zip(ours_state, theirs_state):
        assert sorted(mine) == sorted(torchs)
        for key, value in torchs.items():
            np.testing.assert_array_equal(mine[key], value, err_msg=key)


@pytest.mark.parametrize(
    "name,kwargs", COMPARED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(COMPARED)]
)
def test_non_finite_values_step_as_torchs(name, kwargs, correctly_rounded_sqrt):
    """inf, nan, ±0 and subnormals in parameters and gradients: torch skips what a zero
    option leaves out (0 · inf would be nan), and so must every shortcut here."""
    with np.errstate(all="ignore"):
        ours, ours_state = _run(nn, name, kwargs, "float32", special=True)
    theirs, theirs_state = _run(torch, name, kwargs, "float32", special=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    for mine, torchs in zip(ours_state, theirs_state):
        for key, value in torchs.items():
            np.testing.assert_array_equal(mine[key], value, err_msg=key)
