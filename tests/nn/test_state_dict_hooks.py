"""Module's state-dict hooks against torch: when each runs and with what, what it may change,
the dict's _metadata, and the load hooks' effect on strict loading."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _model(space):
    return space.Sequential(space.Linear(2, 3), space.Sequential(space.BatchNorm1d(3)))


def _saving_calls(space):
    """Which state-dict hooks run, in what order, with what arguments, and their effect."""
    model, calls = _model(space), []
    for name, module in model.named_modules():
        module.register_state_dict_pre_hook(
            lambda m, prefix, keep_vars, name=name: calls.append(("pre", name, prefix, keep_vars))
        )

        def post(m, state_dict, prefix, local_metadata, name=name):
            calls.append(("post", name, prefix, len(state_dict), dict(local_metadata)))
            state_dict[prefix + "note"] = len(state_dict)  # in place: kept

        module.register_state_dict_post_hook(post)
    saved = model.state_dict(keep_vars=True)
    metadata = {key: dict(value) for key, value in saved._metadata.items()}
    return calls, list(saved), metadata


def test_state_dict_hooks_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _saving_calls(nn), _saving_calls(torch.nn)
    assert ours == theirs
    calls, keys, metadata = ours
    assert calls[0] == ("pre", "", "", True) and calls[-1][:3] == ("post", "", "")
    assert "1.0.note" in keys and keys[-1] == "note"
    assert metadata["1.0"] == {"version": 2}  # BatchNorm's layout version, as torch's


def test_a_public_post_hook_returns_none_a_private_one_may_replace_the_dict():
    for space in _spaces():
        model = space.Linear(2, 2)
        handle = model.register_state_dict_post_hook(lambda m, sd, prefix, meta: {"x": 1})
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            model.state_dict()
        handle.remove()
        model._register_state_dict_hook(lambda m, sd, prefix, meta: {"replaced": 1})
        assert dict(model.state_dict()) == {"replaced": 1}


def _loading(space, lib, old_keys: bool, post_clears: bool):
    """A model whose root renames an old checkpoint's keys in a load pre-hook (as torch's own
    compatibility hooks do), with a post hook that may clear the missing keys."""
    model, calls = _model(space), []
    checkpoint = {k: v.detach().numpy() * 0 + 1 for k, v in _model(space).state_dict().items()}
    checkpoint = {k: lib.tensor(v) for k, v in checkpoint.items() if "running_var" not in k}
    if old_keys:
        checkpoint["0.w"] = checkpoint.pop("0.weight")

    def rename(m, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        calls.append(("pre", prefix, sorted(local_metadata), strict))
        if prefix + "0.w" in state_dict:
            state_dict[prefix + "0.weight"] = state_dict.pop(prefix + "0.w")

    model.register_load_state_dict_pre_hook(rename)

    def clear(m, keys):
        calls.append(("post", type(m).__name__, list(keys.missing_keys)))
        if post_clears:
            keys.missing_keys.clear()

    model[1][0].register_load_state_dict_post_hook(clear)
    model.register_load_state_dict_post_hook(
        lambda m, keys: calls.append(("root post", list(keys.missing_keys)))
    )
    try:
        result = model.load_state_dict(checkpoint)
        outcome = (list(result.missing_keys), list(result.unexpected_keys))
    except RuntimeError as error:
        outcome = str(error).split("\n")[1].strip()
    return calls, outcome, "0.w" in checkpoint, float(model[0].weight.detach().numpy().sum())


@pytest.mark.parametrize("old_keys", [False, True])
@pytest.mark.parametrize("post_clears", [False, True])
def test_load_hooks_as_torch(old_keys, post_clears):
    torch = pytest.importorskip("torch")
    ours = _loading(nn, ad, old_keys, post_clears)
    theirs = _loading(torch.nn, torch, old_keys, post_clears)
    assert ours == theirs
    calls, outcome, caller_keeps_old_key, loaded = ours
    assert calls[0] == ("pre", "", [], True) and caller_keeps_old_key == old_keys
    assert [c[0] for c in calls] == ["pre", "post", "root post"]  # the child's post hook first
    assert loaded == 6.0  # loaded before strict's check, as torch's
    if post_clears:
        assert outcome == ([], [])
    else:
        assert outcome == 'Missing key(s) in state_dict: "1.0.running_var".'


def test_a_load_post_hook_returns_none_and_a_failed_load_without_hooks_changes_nothing():
    model = nn.Linear(2, 2)
    before = model.weight.detach().numpy().copy()
    good = {k: v * 0 for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match="Unexpected key"):
        model.load_state_dict({**good, "extra": ad.zeros(1)})
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)
    model.register_load_state_dict_post_hook(lambda m, keys: keys)
    with pytest.raises(RuntimeError, match="not expected to return new values"):
        model.load_state_dict(good)


def test_private_load_pre_hook_without_module_and_the_saved_modules_refusal():
    model, seen = nn.Linear(2, 2), []
    model._register_load_state_dict_pre_hook(lambda *args: seen.append(len(args)))
    model._register_load_state_dict_pre_hook(lambda *args: seen.append(len(args)), True)
    model.load_state_dict(model.state_dict())
    assert seen == [7, 8]
    with pytest.raises(TypeError, match="load_state_dict_pre_hooks"):
        ad.save(model, "unused.pt")


def _spaces():
    torch = pytest.importorskip("torch")
    return (nn, torch.nn)


def _post_hook_order(space):
    model = space.Sequential(space.Sequential(space.Linear(1, 1)), space.Linear(1, 1))
    calls = []
    for name, module in model.named_modules():
        module.register_load_state_dict_post_hook(lambda m, keys, name=name: calls.append(name))
    model.load_state_dict(model.state_dict())
    return calls


def test_load_post_hooks_run_children_first_as_torch():
    torch = pytest.importorskip("torch")
    assert _post_hook_order(nn) == _post_hook_order(torch.nn) == ["0.0", "0", "1", ""]
