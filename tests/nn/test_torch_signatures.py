"""torch's signatures for nn's layers, losses, F functions, init and the optimizers: every
argument torch takes is taken (and means what it means there), in torch's positional order.
The factory argument device= is checked, never ignored; torch's deprecated loss flags
(size_average, reduce), softmax's dtype=, the weighted MSE/L1 and the other arguments this
scan found missing behave as torch's."""

import inspect
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
import nn.optim as optim


def _positional(params) -> list:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [n for n, p in params.items() if p.kind in kinds and n != "self"]


def _mismatch(theirs, ours) -> str:
    """What ours lacks of torch's signature, or a positional argument in another place."""
    try:
        tp = inspect.signature(theirs).parameters
        op = inspect.signature(ours).parameters
    except (TypeError, ValueError):  # a builtin without a signature: nothing to compare
        return ""
    kinds = {p.kind for p in op.values()}
    missing = [] if inspect.Parameter.VAR_KEYWORD in kinds else [
        n for n in tp if n not in op and n not in ("self", "args", "kwargs")
    ]  # fmt: skip
    moved = [] if inspect.Parameter.VAR_POSITIONAL in kinds else [
        (i, a, b) for i, (a, b) in enumerate(zip(_positional(tp), _positional(op))) if a != b
    ]  # fmt: skip
    return f"missing {missing}, positions {moved[:1]}" if missing or moved else ""


def _pairs(torch):
    """(name, torch's callable, ours) for every class and function both have."""
    spaces = [
        ("nn", torch.nn, nn, True),
        ("optim", torch.optim, optim, True),
        ("lr_scheduler", torch.optim.lr_scheduler, optim.lr_scheduler, True),
        ("F", torch.nn.functional, F, False),
        ("init", torch.nn.init, nn.init, False),
    ]
    for space, theirs, ours, classes in spaces:
        for name in dir(theirs):
            t, o = getattr(theirs, name), getattr(ours, name, None)
            if name.startswith("_") or o is None or inspect.isclass(t) != classes:
                continue
            if classes and inspect.isclass(o):
                yield f"{space}.{name}", t.__init__, o.__init__
            elif not classes and callable(t) and callable(o):
                yield f"{space}.{name}", t, o


def test_every_torch_argument_is_taken_in_torch_order():
    torch = pytest.importorskip("torch")
    checked, wrong = 0, []
    for name, theirs, ours in _pairs(torch):
        checked += 1
        if problem := _mismatch(theirs, ours):
            wrong.append(f"{name}: {problem}")
    assert checked > 300  # the scan reaches every layer, loss, optimizer and F function
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_a_missing_or_moved_argument():
    def theirs(input, target, size_average=None, reduction="mean"):
        pass

    def lacks(input, target, reduction="mean"):
        pass

    def moved(input, target, reduction="mean", size_average=None):
        pass

    assert "missing ['size_average']" in _mismatch(theirs, lacks)
    assert "positions [(2, 'size_average', 'reduction')]" in _mismatch(theirs, moved)
    assert _mismatch(theirs, theirs) == ""


# --- device= on every layer that takes it --------------------------------------------------

LAYER_ARGS = {
    "Linear": (3, 2), "NonDynamicallyQuantizableLinear": (3, 2), "Bilinear": (3, 2, 4),
    "LazyLinear": (2,),
    "Conv1d": (2, 3, 3), "Conv2d": (2, 3, 3), "Conv3d": (2, 3, 3),
    "ConvTranspose1d": (2, 3, 3), "ConvTranspose2d": (2, 3, 3), "ConvTranspose3d": (2, 3, 3),
    "LazyConv3d": (3, 3), "LazyConvTranspose3d": (3, 3), "LazyBatchNorm3d": (),
    "LazyInstanceNorm3d": (),
    "LazyConv1d": (3, 3), "LazyConv2d": (3, 3),
    "LazyConvTranspose1d": (3, 3), "LazyConvTranspose2d": (3, 3),
    "BatchNorm1d": (3,), "BatchNorm2d": (3,), "BatchNorm3d": (3,),
    "LazyBatchNorm1d": (), "LazyBatchNorm2d": (),
    "InstanceNorm1d": (3, 1e-5, 0.1, True), "InstanceNorm2d": (3, 1e-5, 0.1, True),
    "InstanceNorm3d": (3, 1e-5, 0.1, True),
    "LazyInstanceNorm1d": (), "LazyInstanceNorm2d": (),
    "LayerNorm": (3,), "GroupNorm": (1, 3), "RMSNorm": (3,),
    "Embedding": (5, 3), "EmbeddingBag": (5, 3),
    "RNNCell": (3, 4), "LSTMCell": (3, 4), "GRUCell": (3, 4),
    "RNN": (3, 4), "LSTM": (3, 4), "GRU": (3, 4),
    "RNNBase": ("LSTM", 3, 4), "RNNCellBase": (3, 4, True, 4),
    "MultiheadAttention": (4, 2), "PReLU": (),
    "TransformerEncoderLayer": (4, 2, 8), "TransformerDecoderLayer": (4, 2, 8),
    "Transformer": (4, 2, 1, 1, 8), "AdaptiveLogSoftmaxWithLoss": (4, 10, [3]),
}  # fmt: skip


def _takes_device(cls) -> bool:
    return inspect.isclass(cls) and "device" in inspect.signature(cls.__init__).parameters


def test_every_layer_that_takes_device_is_listed_here():
    layers = {name for name in dir(nn) if _takes_device(getattr(nn, name))}
    assert layers == set(LAYER_ARGS)


@pytest.mark.parametrize("name", sorted(LAYER_ARGS))
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch's note, tested elsewhere
def test_device_cpu_makes_the_same_layer_and_cuda_is_refused(name):
    cls, args = getattr(nn, name), LAYER_ARGS[name]
    ad.manual_seed(0)
    plain = cls(*args)
    for device in ("cpu", ad.device("cpu")):
        ad.manual_seed(0)
        same = cls(*args, device=device)
        assert same.state_dict().keys() == plain.state_dict().keys()
        for key, value in plain.state_dict().items():
            np.testing.assert_array_equal(
                same.state_dict()[key].detach().numpy(), value.detach().numpy()
            )
    wide = cls(*args, device="cpu", dtype=ad.float64).state_dict().values()
    assert {v.dtype for v in wide if v.dtype.is_floating_point} == {ad.float64}
    with pytest.raises(RuntimeError, match=rf"{name}: device: 'cuda' is not available"):
        cls(*args, device="cuda")


def test_device_positionally_where_torch_puts_it():
    layer = nn.Linear(3, 2, True, "cpu", ad.float64)  # torch: (in, out, bias, device, dtype)
    assert layer.weight.dtype == ad.float64
    with pytest.raises(RuntimeError, match="Linear: device"):
        nn.Linear(3, 2, True, "cuda")


# --- torch's deprecated size_average / reduce ----------------------------------------------

LEGACY = [(None, None), (False, None), (None, False), (True, True), (False, True), (True, False)]


@pytest.mark.parametrize("size_average, reduce", LEGACY)
def test_legacy_loss_flags_mean_what_torch_makes_of_them(size_average, reduce):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    p, y = rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))
    labels = np.array([0, 2, 1, 1])
    flags = dict(size_average=size_average, reduce=reduce)
    cases = [  # (name, its arguments): the module form and the F form of each
        ("MSELoss", "mse_loss", (x, t)),
        ("L1Loss", "l1_loss", (x, t)),
        ("BCELoss", "binary_cross_entropy", (p, y)),
        ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", (x, y)),
        ("NLLLoss", "nll_loss", (x, labels)),
        ("CrossEntropyLoss", "cross_entropy", (x, labels)),
        ("SmoothL1Loss", "smooth_l1_loss", (x, t)),
        ("SoftMarginLoss", "soft_margin_loss", (x, np.sign(t))),
    ]
    legacy = size_average is not None or reduce is not None
    for module, function, arrays in cases:
        ours_in, theirs_in = [ad.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]
        with warnings.catch_warnings(record=True) as theirs_said:
            warnings.simplefilter("always")
            expected = getattr(torch.nn, module)(**flags)(*theirs_in)
            expected_f = getattr(torch.nn.functional, function)(*theirs_in, **flags)
        with warnings.catch_warnings(record=True) as ours_said:
            warnings.simplefilter("always")
            got = getattr(nn, module)(**flags)(*ours_in)
            got_f = getattr(F, function)(*ours_in, **flags)
        for a, b in ((got, expected), (got_f, expected_f)):
            np.testing.assert_allclose(
                a.detach().numpy(), b.detach().numpy(), rtol=1e-12, err_msg=module
            )
        said = sorted(str(w.message) for w in ours_said if "size_average" in str(w.message))
        assert said == sorted(
            str(w.message) for w in theirs_said if "size_average" in str(w.message)
        ), module
        assert len(said) == (2 if legacy else 0), module


def test_torch_positional_order_of_the_losses():
    x, labels = ad.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]]), ad.tensor([2, 0])
    w = ad.tensor([1.0, 2.0, 3.0])
    # torch: (input, target, weight, size_average, ignore_index, reduce, reduction)
    by_position = F.cross_entropy(x, labels, w, None, 0, None, "sum")
    by_name = F.cross_entropy(x, labels, weight=w, ignore_index=0, reduction="sum")
    assert by_position.item() == by_name.item()
    layer = nn.CrossEntropyLoss(w, None, 0, None, "sum")
    assert (layer.ignore_index, layer.reduction) == (0, "sum")


# --- the other arguments the scan found missing ----------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
def test_weighted_mse_and_l1_as_torch(loss, reduction):
    torch = pytest.importorskip("torch")
    from tests.nn.torch_twin import compare

    rng = np.random.default_rng(1)
    x, t, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0, 2, (3, 4))
    compare(
        torch,
        lambda a, b: getattr(F, loss)(a, ad.tensor(t), reduction=reduction, weight=b),
        lambda a, b: getattr(torch.nn.functional, loss)(
            a, torch.tensor(t), reduction=reduction, weight=b
        ),
        x,
        w,
    )
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        getattr(F, loss)(ad.tensor(x), ad.tensor(t), weight=ad.ones(4))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_casts_the_input_first_as_torch(name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 5))
    ours = getattr(F, name)(ad.tensor(x, requires_grad=True), dim=1, dtype=ad.float32)
    theirs = getattr(torch.nn.functional, name)(
        torch.tensor(x, requires_grad=True), dim=1, dtype=torch.float32
    )
    assert ours.dtype == ad.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert ours.grad_fn.name() == type(theirs.grad_fn).__name__
    chain = [type(f).__name__ for f, _ in theirs.grad_fn.next_functions if f is not None]
    assert [f.name() for f, _ in ours.grad_fn.next_functions if f is not None] == chain
    tensor_form = getattr(ad.tensor(x), name, None)
    if tensor_form is not None:  # Tensor.softmax / log_softmax take dtype too
        assert tensor_form(1, dtype=ad.float32).dtype == ad.float32


def test_softmax_without_dim_warns_and_picks_torch_dim():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ours = F.softmax(ad.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        theirs = torch.nn.functional.softmax(torch.tensor(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_hardtanh_old_argument_names_warn_and_bounds_must_differ():
    with pytest.warns(FutureWarning) as said:
        layer = nn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert [str(w.message) for w in said] == [
        "keyword argument `min_value` is deprecated and renamed to `min_val`",
        "keyword argument `max_value` is deprecated and renamed to `max_val`",
    ]
    assert (layer.min_val, layer.max_val) == (-2.0, 3.0)
    with pytest.raises(ValueError, match="max_val"):
        nn.Hardtanh(1.0, 1.0)  # torch refuses equal bounds too


def test_instance_norm_without_bias_as_torch():
    torch = pytest.importorskip("torch")
    ours = nn.InstanceNorm1d(3, affine=True, bias=False)
    theirs = torch.nn.InstanceNorm1d(3, affine=True, bias=False)
    assert ours.bias is None and theirs.bias is None
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    x = np.random.default_rng(4).standard_normal((2, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(
        ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6
    )
    assert nn.LazyBatchNorm1d(bias=False).bias is None


def test_optimizer_arguments_in_torch_positions():
    p = nn.Parameter(ad.ones(2))
    assert optim.Adadelta([p], 1.0, 0.9, 1e-6, 0, None).defaults["maximize"] is False
    assert optim.RMSprop([p], 0.01, 0.99, 1e-8, 0, 0, False, False, None, True).defaults["maximize"]
