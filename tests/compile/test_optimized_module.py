"""ad.compile(module) returns torch's OptimizedModule: the module as child `_orig_mod`, its
keys prefixed, attributes forwarded, calls compiled; ad.compile(fn) keeps returning Compiled."""

import copy

import numpy as np
import pytest

import autodiff as ad
import nn


def _pair(torch):
    ad.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    theirs.load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


def test_compile_of_a_module_is_torchs_optimized_module():
    torch = pytest.importorskip("torch")
    model, twin = _pair(torch)
    c, tc = ad.compile(model), torch.compile(twin)
    assert type(c).__name__ == type(tc).__name__ == "OptimizedModule"
    assert isinstance(c, nn.Module) and c._orig_mod is model
    assert repr(c) == repr(tc)
    assert list(c.state_dict()) == list(tc.state_dict())
    assert list(c.state_dict())[0] == "_orig_mod.0.weight"
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in tc.named_parameters()]
    assert [n for n, _ in c.named_modules()] == [n for n, _ in tc.named_modules()]
    assert len(list(c.parameters())) == len(list(tc.parameters())) == 4
    assert len(c) == len(tc) == 3  # the module's length, as torch's
    for wrapper in (c, tc):
        with pytest.raises(TypeError, match="'OptimizedModule' object is not subscriptable"):
            wrapper[0]


def test_attributes_read_and_written_on_the_module():
    torch = pytest.importorskip("torch")
    for model in (nn.Linear(3, 2), torch.nn.Linear(3, 2)):
        c = ad.compile(model) if isinstance(model, nn.Module) else torch.compile(model)
        assert c.in_features == 3 and c.weight is model.weight
        c.note = 5  # torch writes it on the module
        assert model.note == 5 and "note" not in c.__dict__
        del c.note
        assert not hasattr(model, "note")
        c.eval()
        assert not model.training and not c.training
        model.train()
        assert c.training  # read from the module, as torch's
        with pytest.raises(AttributeError, match="no_such"):
            c.no_such  # noqa: B018 (the lookup itself is the test)


def test_load_state_dict_takes_the_prefixed_keys_and_nanogpt_strips_them():
    torch = pytest.importorskip("torch")
    model, twin = _pair(torch)
    c = ad.compile(model)
    saved = {k: v.clone() for k, v in c.state_dict().items()}
    with ad.no_grad():
        model[0].weight.zero_()
    result = c.load_state_dict(saved)
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_array_equal(model[0].weight.numpy(force=True), saved["_orig_mod.0.weight"])
    plain = {k.removeprefix("_orig_mod."): v for k, v in saved.items()}  # nanoGPT's resume
    fresh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    fresh.load_state_dict(plain)
    tplain = {k.removeprefix("_orig_mod."): v for k, v in torch.compile(twin).state_dict().items()}
    assert list(plain) == list(tplain)


def test_the_call_runs_compiled_and_matches_torch():
    torch = pytest.importorskip("torch")
    model, twin = _pair(torch)
    c = ad.compile(model)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    with ad.no_grad():
        for _ in range(2):
            out = c(ad.tensor(x))
    assert c.forward.traces == 1 and c.forward.programs  # traced once, then replayed
    with torch.no_grad():
        expected = twin(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_compile_of_a_function_keeps_compiled():
    compiled = ad.compile(lambda x: x * 2)
    assert type(compiled).__name__ == "Compiled"
    assert ad.compile(nn.Linear(2, 2), disable=True).__class__ is nn.Linear


def test_a_deep_copy_is_a_new_optimized_module_of_a_copied_module():
    torch = pytest.importorskip("torch")
    for lib, mod in ((ad, nn), (torch, torch.nn)):
        c = lib.compile(mod.Linear(2, 2))
        d = copy.deepcopy(c)
        assert type(d).__name__ == "OptimizedModule" and d._orig_mod is not c._orig_mod
        assert list(d.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
