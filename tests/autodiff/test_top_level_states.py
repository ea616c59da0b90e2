"""torch's top-level questions about modes: the deterministic debug mode (get/set, by int or
name) and autocast's state and dtype, answered as torch answers them on this machine."""

import pytest

import autodiff as ad


@pytest.fixture
def restore_deterministic_mode():
    torch = pytest.importorskip("torch")
    yield torch
    torch.use_deterministic_algorithms(False)
    ad.use_deterministic_algorithms(False)


@pytest.mark.parametrize("mode", [0, 1, 2, "default", "warn", "error", True])
def test_deterministic_debug_mode_as_torch(mode, restore_deterministic_mode):
    torch = restore_deterministic_mode
    for lib in (torch, ad):
        lib.set_deterministic_debug_mode(mode)
    assert ad.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
    assert ad.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
    assert (
        ad.is_deterministic_algorithms_warn_only_enabled()
        == torch.is_deterministic_algorithms_warn_only_enabled()
    )
    ad.use_deterministic_algorithms(True, warn_only=True)
    torch.use_deterministic_algorithms(True, warn_only=True)
    assert ad.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode() == 1


@pytest.mark.parametrize(
    "mode, error, words",
    [("x", RuntimeError, "expected one of `default`, `warn`, `error`, but got x"),
     (3, RuntimeError, "expected 0, 1, or 2, but got 3"),
     (1.5, TypeError, "debug_mode must be str or int")],
)  # fmt: skip
def test_bad_debug_modes_are_torchs_errors(mode, error, words, restore_deterministic_mode):
    torch = restore_deterministic_mode
    for lib in (torch, ad):
        with pytest.raises(error, match=words):
            lib.set_deterministic_debug_mode(mode)


@pytest.mark.parametrize("device_type", ["cpu", "cuda", "mps"])
def test_autocast_state_and_dtype_as_torch(device_type):
    torch = pytest.importorskip("torch")
    assert ad.is_autocast_enabled(device_type) is torch.is_autocast_enabled(device_type) is False
    assert ad.is_autocast_enabled() is torch.is_autocast_enabled() is False
    assert str(ad.get_autocast_dtype(device_type)) == str(torch.get_autocast_dtype(device_type))
    with ad.autocast(device_type, enabled=False):
        assert ad.is_autocast_enabled(device_type) is False


def test_an_unknown_device_type_is_an_error():
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        with pytest.raises(RuntimeError):
            lib.get_autocast_dtype("gpu")
        with pytest.raises(RuntimeError):
            lib.is_autocast_enabled("gpu")
