"""torch.accelerator's questions get torch's CPU-only answers (pytorch/examples pick a device
with them)."""

import pytest

import autodiff as ad


def test_accelerator_answers_as_torch_on_a_cpu_only_machine():
    torch = pytest.importorskip("torch")
    ours, theirs = ad.accelerator, torch.accelerator
    assert ours.is_available() is theirs.is_available() is False
    assert ours.device_count() == theirs.device_count() == 0
    assert ours.current_accelerator() is theirs.current_accelerator() is None
