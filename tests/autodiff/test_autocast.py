"""torch.autocast on the CPU: torch's "lower precision" ops cast to bfloat16 (or float16),
its "fp32" ops to float32, the rest run on what they get; state, nesting, decorator; the
gradients reach float32 parameters in float32. Compared with torch."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff.compile import CompileError


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _both(*arrays):
    torch = pytest.importorskip("torch")
    return [ad.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


# (name, call on (library, functional, tensors)): each listed op's result dtype under autocast
CASES = [
    ("linear", lambda m, f, x, w, t: f.linear(x, w)),
    ("matmul", lambda m, f, x, w, t: x @ w.T),
    ("mm", lambda m, f, x, w, t: m.mm(x, w.T)),
    ("bmm", lambda m, f, x, w, t: m.bmm(x[None], w.T[None])),
    ("addmm", lambda m, f, x, w, t: m.addmm(x[:, :3], x, w.T[:, :3])),
    ("conv1d", lambda m, f, x, w, t: f.conv1d(x.T[None], w[:, :, None])),
    ("prelu", lambda m, f, x, w, t: f.prelu(x, m.ones(1))),
    ("sdpa", lambda m, f, x, w, t: f.scaled_dot_product_attention(x[None], x[None], x[None])),
    ("cross_entropy", lambda m, f, x, w, t: f.cross_entropy(f.linear(x, w), t)),
    ("mse_loss", lambda m, f, x, w, t: f.mse_loss(f.linear(x, w), f.linear(x, w) * 0)),
    ("nll_loss", lambda m, f, x, w, t: f.nll_loss(f.linear(x, w), t)),
    ("prod", lambda m, f, x, w, t: f.linear(x, w).prod()),
    ("layer_norm", lambda m, f, x, w, t: f.layer_norm(f.linear(x, w), (3,))),
    ("softmax", lambda m, f, x, w, t: f.linear(x, w).softmax(-1)),
    ("gelu", lambda m, f, x, w, t: f.gelu(f.linear(x, w))),
    ("add_mixed", lambda m, f, x, w, t: f.linear(x, w) + x[:, :3]),
    ("sum", lambda m, f, x, w, t: f.linear(x, w).sum()),
]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
def test_result_dtypes_and_values_as_torch(name, call, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    (x, w), (xt, wt) = _both(_data(4, 5), _data(3, 5, seed=1) * 0.3)
    t, tt = ad.tensor([0, 2, 1, 1]), torch.tensor([0, 2, 1, 1])
    with ad.autocast("cpu", dtype=getattr(ad, dtype)):
        ours = call(ad, F, x, w, t)
    with torch.autocast("cpu", dtype=getattr(torch, dtype)):
        theirs = call(torch, TF, xt, wt, tt)
    assert str(ours.dtype) == str(theirs.dtype)
    tolerance = 2e-2 if dtype == "bfloat16" else 2e-3
    np.testing.assert_allclose(
        ours.float().detach().numpy(),
        theirs.float().detach().numpy(),
        rtol=tolerance,
        atol=tolerance,
    )


def test_state_nesting_and_decorator_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        assert not lib.is_autocast_enabled("cpu")
        with lib.autocast("cpu"):
            assert lib.is_autocast_enabled("cpu") and str(lib.get_autocast_dtype("cpu")) == (
                "torch.bfloat16"
            )
            with lib.autocast("cpu", enabled=False):
                assert not lib.is_autocast_enabled("cpu")
            with lib.autocast("cpu", dtype=lib.float16):
                assert str(lib.get_autocast_dtype("cpu")) == "torch.float16"
            assert lib.is_autocast_enabled("cpu")
            assert str(lib.get_autocast_dtype("cpu")) == "torch.bfloat16"
        assert not lib.is_autocast_enabled("cpu")

        @lib.autocast("cpu")
        def product(a, b):
            return a @ b

        assert str(product(lib.ones(2, 2), lib.ones(2, 2)).dtype) == "torch.bfloat16"
        assert str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype) == "torch.float32"
        with lib.amp.autocast(device_type="cpu"):
            assert str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype) == "torch.bfloat16"


def test_an_unsupported_dtype_disables_with_torchs_warning():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with pytest.warns(UserWarning, match="CPU Autocast only supports") as caught:
            with lib.autocast("cpu", dtype=lib.float64):
                assert not lib.is_autocast_enabled("cpu")
        assert len(caught) == 1


def test_float64_inputs_are_not_cast():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with lib.autocast("cpu"):
            assert str((lib.ones(2, 2).double() @ lib.ones(2, 2).double()).dtype) == (
                "torch.float64"
            )


def _model(lib, seed=0):
    rng = np.random.default_rng(seed)
    layers = lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.GELU(), lib.nn.Linear(8, 4))
    with lib.no_grad():
        for p in layers.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.4))
    return layers


def test_training_step_gradients_are_float32_and_match_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(ad, "nn", nn, raising=False)  # lib.nn names both libraries alike
    (x,), (xt,) = _both(_data(5, 6, seed=2))
    target, target_t = ad.tensor([0, 1, 2, 3, 0]), torch.tensor([0, 1, 2, 3, 0])
    ours, theirs = _model(ad), _model(torch)
    with ad.autocast("cpu", dtype=ad.bfloat16):
        logits = ours(x)
        loss = F.cross_entropy(logits, target)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits_t = theirs(xt)
        loss_t = torch.nn.functional.cross_entropy(logits_t, target_t)
    assert logits.dtype is ad.bfloat16 and loss.dtype is ad.float32
    assert loss.item() == pytest.approx(loss_t.item(), rel=2e-3)
    loss.backward(), loss_t.backward()
    for p, pt in zip(ours.parameters(), theirs.parameters()):
        assert p.grad.dtype is ad.float32
        np.testing.assert_allclose(
            p.grad.detach().numpy(), pt.grad.detach().numpy(), rtol=3e-2, atol=3e-3
        )


def test_backward_outside_autocast_and_no_cost_when_off():
    x = ad.ones(2, 3, requires_grad=True)
    with ad.autocast("cpu"):
        y = F.linear(x, ad.ones(4, 3))
    assert y.grad_fn.name() == "ToCopyBackward0" and y.dtype is ad.bfloat16
    y.float().sum().backward()
    assert x.grad.dtype is ad.float32 and x.grad.tolist() == [[4.0] * 3] * 2
    assert F.linear(x, ad.ones(4, 3)).grad_fn.name() == "MmBackward0"  # off: the op alone


def test_compile_refuses_a_step_under_autocast():
    w = ad.ones(3, 3, requires_grad=True)

    def step(x):
        with ad.autocast("cpu"):
            return (x @ w).float().sum()

    with pytest.raises(CompileError, match="autocast"):
        ad.compile(step)(ad.ones(2, 3))


def test_cuda_autocast_still_turns_itself_off():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ad.autocast("cuda"):
            assert not ad.is_autocast_enabled("cpu")
            assert (ad.ones(2, 2) @ ad.ones(2, 2)).dtype is ad.float32
    assert len(caught) == 1


def test_torch_cpu_amp_autocast_is_the_deprecated_spelling_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with pytest.warns(FutureWarning, match=r"torch.amp.autocast\('cpu'"):
            context = lib.cpu.amp.autocast()
        with context:
            assert lib.is_autocast_enabled("cpu")
            assert str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype) == "torch.bfloat16"
        assert lib.cpu.is_available() and lib.cpu.device_count() == 1
        assert str(lib.cpu.current_device()) == "cpu"


def test_autocast_through_autodiff_run(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "amp_cpu.py"
    script.write_text(
        "import torch\n"
        "import torch.cpu.amp\n"
        "x = torch.ones(2, 3)\n"
        "with torch.autocast(device_type='cpu', dtype=torch.bfloat16):\n"
        "    y = torch.nn.functional.linear(x, torch.ones(4, 3))\n"
        "print(y.dtype, torch.is_autocast_enabled('cpu'), y.float().sum().item())\n"
    )
    ours = subprocess.run(
        [sys.executable, "-m", "autodiff_cli", "run", str(script)], capture_output=True, text=True
    )
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == "torch.bfloat16 False 24.0\n"


def test_a_program_compiled_without_autocast_is_not_replayed_under_it():
    w = ad.ones(3, 3)
    compiled = ad.compile(lambda x: (x @ w).float().sum())
    x = ad.full((2, 3), 1.00390625)
    assert compiled(x).item() == (x @ w).sum().item()  # traced, then replayed
    assert compiled(x).item() == (x @ w).sum().item()
    with ad.autocast("cpu"):  # the guard fails: traced again, and refused (bfloat16 inputs)
        with pytest.raises(CompileError, match="bfloat16"):
            compiled(x)
