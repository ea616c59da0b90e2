"""torch.accelerator's questions get torch's CPU-only answers (pytorch/examples pick a device
with them)."""

import importlib

import pytest

import autodiff as ad


def test_accelerator_answers_as_torch_on_a_cpu_only_machine():
    torch = pytest.importorskip("torch")
    ours, theirs = ad.accelerator, torch.accelerator
    assert ours.is_available() is theirs.is_available() is False
    assert ours.device_count() == theirs.device_count() == 0
    assert ours.current_accelerator() is theirs.current_accelerator() is None


def test_float32_matmul_precision_is_kept_as_torch_keeps_it(monkeypatch):
    """build-nanogpt calls torch.set_float32_matmul_precision("high"): kept and reported back,
    allow_tf32 following it, a wrong word warned about and ignored, a non-str refused; as
    torch does on the CPU (products stay float32, which every setting allows)."""
    devices = importlib.import_module("autodiff.device")  # ad.device is the device class
    monkeypatch.setitem(devices._float32_matmul, "precision", "highest")
    monkeypatch.setattr(ad.backends.cuda.matmul, "allow_tf32", False)
    assert ad.get_float32_matmul_precision() == "highest"
    ad.set_float32_matmul_precision("high")
    assert ad.get_float32_matmul_precision() == "high" and ad.backends.cuda.matmul.allow_tf32
    with pytest.warns(UserWarning, match="HIGH is not one of 'highest', 'high', or 'medium'"):
        ad.set_float32_matmul_precision("HIGH")
    assert ad.get_float32_matmul_precision() == "high"
    with pytest.raises(RuntimeError, match="expects a str, but got int"):
        ad.set_float32_matmul_precision(1)
    ad.set_float32_matmul_precision("highest")
    assert not ad.backends.cuda.matmul.allow_tf32
    a = ad.randn(8, 8)
    assert (a @ a).dtype == ad.float32
