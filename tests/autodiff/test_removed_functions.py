"""torch.solve, torch.lstsq, torch.eig, torch.symeig: removed in torch 1.9, kept as names that
raise torch's RuntimeError naming the torch.linalg replacement; torch.GradScaler at the top."""

import pytest

import autodiff as ad

CALLS = {
    "solve": (lambda L: L.solve(L.eye(2), L.eye(2)), "torch.linalg.solve(A, B)"),
    "lstsq": (lambda L: L.lstsq(L.eye(2), L.eye(2)), "torch.linalg.lstsq(A, B).solution"),
    "eig": (lambda L: L.eig(L.eye(2), True), "torch.linalg.eigh(A)"),
    "symeig": (lambda L: L.symeig(L.eye(2), True, False), "torch.linalg.eigh(A, UPLO='L')"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_removed_functions_raise_torchs_error_with_the_replacement(name):
    torch = pytest.importorskip("torch")
    call, replacement = CALLS[name]
    start = "This function was deprecated since version 1.9 and is now removed."
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(ad)
    assert str(theirs.value).startswith(start) and str(ours.value).startswith(start)
    assert replacement in str(ours.value)
    replaced = replacement.split("(")[0].replace("torch.", "")  # it exists here
    assert callable(ad.linalg.__dict__[replaced.split(".")[-1]])


def test_grad_scaler_at_the_top_level_is_amps():
    torch = pytest.importorskip("torch")
    assert torch.GradScaler is torch.amp.GradScaler
    assert ad.GradScaler is ad.amp.GradScaler
