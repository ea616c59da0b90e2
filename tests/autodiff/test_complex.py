"""Complex tensors: creation, printing and promotion as torch's; torch's complex gradients (the
conjugate Wirtinger derivative: z.grad = dL/dRe(z) + i dL/dIm(z)) for the ops marked
complex_grad, against torch's and against finite differences; and the seam check that refuses
every other op meeting a complex tensor that requires grad."""

import numpy as np
import pytest

import autodiff as ad

DTYPES = ["complex64", "complex128"]


def _draw(seed: int, shape, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.uniform(0.3, 2.0, shape) * np.exp(1j * rng.uniform(-2.5, 2.5, shape))
    return z.astype(dtype)


def _real_loss(out, weights):
    """A real loss of a real or complex output: Re(Σ out·w), w complex."""
    return (out * weights).real.sum() if out.is_complex() else (out * weights.real).sum()


def _grads_against_torch(fn, arrays, seed=0, create_graph=False):
    """fn(lib, *tensors) on ours and torch's: the outputs and every input's gradient."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *ts)
        w = _draw(seed + 100, tuple(out.shape), "complex128")
        w = lib.tensor(
            w.astype(np.complex64 if out.dtype in (lib.float32, lib.complex64) else w.dtype)
        )
        _real_loss(out, w).backward()
        results.append((out, [t.grad for t in ts]))
    (ours, our_grads), (theirs, their_grads) = results
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    rtol = 1e-4 if ours.dtype in (ad.float32, ad.complex64) else 1e-10
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().resolve_conj().detach().numpy(),
                               rtol=rtol, atol=rtol)  # fmt: skip
    for g, h in zip(our_grads, their_grads):
        assert str(g.dtype) == str(h.dtype)
        np.testing.assert_allclose(
            g.detach().numpy(), h.resolve_conj().detach().numpy(), rtol=rtol, atol=rtol
        )
    return ours, our_grads


# fn(lib, z, w): z and w complex of one shape (3, 4)
BINARY = {
    "add": lambda lib, z, w: z + w,
    "sub": lambda lib, z, w: lib.sub(z, w, alpha=2),
    "mul": lambda lib, z, w: z * w,
    "div": lambda lib, z, w: z / w,
    "matmul": lambda lib, z, w: z @ w.mT,
    "adjoint": lambda lib, z, w: (z.mH @ w) + lib.adjoint(w) @ z + z.H @ w,
    "cat": lambda lib, z, w: lib.cat([z, w * 2], dim=1),
    "stack": lambda lib, z, w: lib.stack([z, w.conj()]),
    "mixed": lambda lib, z, w: lib.exp(z) * lib.log(w) - z.abs() * w.angle(),
}
UNARY = {
    "neg": lambda lib, z: -z,
    "conj": lambda lib, z: z.conj() * z,
    "resolve_conj": lambda lib, z: lib.resolve_conj(lib.conj(z)) * 3,
    "conj_physical": lambda lib, z: z.conj_physical() + z,
    "abs": lambda lib, z: z.abs(),
    "angle": lambda lib, z: lib.angle(z),
    "real": lambda lib, z: z.real * 2,
    "imag": lambda lib, z: z.imag * 3,
    "real_imag_fn": lambda lib, z: lib.real(z) * lib.imag(z),
    "exp": lambda lib, z: z.exp(),
    "log": lambda lib, z: lib.log(z),
    "sqrt": lambda lib, z: z.sqrt(),
    "sin": lambda lib, z: lib.sin(z),
    "cos": lambda lib, z: z.cos(),
    "tanh": lambda lib, z: lib.tanh(z),
    "pow3": lambda lib, z: z**3,
    "pow_half": lambda lib, z: z**0.5,
    "pow_negative": lambda lib, z: lib.pow(z, -1.5),
    "pow0": lambda lib, z: z**0,
    "reciprocal": lambda lib, z: z.reciprocal(),
    "square": lambda lib, z: lib.square(z),
    "sum": lambda lib, z: z.sum(dim=0),
    "sum_all": lambda lib, z: z.sum(),
    "mean": lambda lib, z: z.mean(dim=1, keepdim=True),
    "reshape": lambda lib, z: z.reshape(4, 3) * lib.arange(3.0),
    "view": lambda lib, z: z.view(12)[::2],
    "transpose": lambda lib, z: z.transpose(0, 1)[1:],
    "permute": lambda lib, z: z.unsqueeze(0).permute(2, 0, 1).squeeze(1),
    "index": lambda lib, z: z[[0, 2, 2], 1:3],
    "roll": lambda lib, z: lib.roll(z, 1, 0),
    "conj_transposes": lambda lib, z: z.H + z.mH + lib.adjoint(z) + z.T.conj(),
    "expand": lambda lib, z: z[:1].expand(3, 4) * z,
    "clone": lambda lib, z: z.clone() * 1j,
    "to128": lambda lib, z: z.to(lib.complex128),
    "python_complex": lambda lib, z: (z * (2 - 1j) + 1j) / (1 + 1j),
    "view_as_real": lambda lib, z: lib.view_as_real(z) * lib.tensor([1.0, -2.0]),
    "view_as_complex": lambda lib, z: lib.view_as_complex(lib.view_as_real(z) * 2) * z,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_complex_gradients_equal_torchs(name, seed, dtype):
    _grads_against_torch(UNARY[name], [_draw(seed, (3, 4), dtype)], seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_complex_gradients_equal_torchs(name, seed, dtype):
    arrays = [_draw(seed, (3, 4), dtype), _draw(seed + 7, (3, 4), dtype)]
    _grads_against_torch(BINARY[name], arrays, seed)


# fn(lib, x, y): real inputs, complex inside
REAL_INPUTS = {
    "complex": lambda lib, x, y: lib.complex(x, y) ** 2,
    "polar": lambda lib, x, y: lib.polar(x, y) * lib.polar(y, x),
    "polar_broadcast": lambda lib, x, y: lib.polar(x[:1], y),
    "real_times_complex": lambda lib, x, y: x * lib.complex(y, x).exp(),
    "to_complex": lambda lib, x, y: x.to(lib.complex64) * lib.complex(y, y),
    "view_as_complex": lambda lib, x, y: lib.view_as_complex(lib.stack([x, y], -1)).log(),
    "abs_of_complex": lambda lib, x, y: lib.complex(x, y).abs() + lib.complex(x, y).angle(),
    "complex_matmul": lambda lib, x, y: lib.complex(x, y) @ lib.complex(y, x).mT,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(REAL_INPUTS))
def test_real_inputs_of_complex_ops_get_torchs_real_gradients(name, dtype):
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(0.5, 2.0, (3, 4)).astype(dtype) for _ in range(2)]
    _, grads = _grads_against_torch(REAL_INPUTS[name], arrays, 3)
    assert all(not g.is_complex() for g in grads)


def _numeric_complex_grad(loss, z: np.ndarray, eps=1e-6) -> np.ndarray:
    """dL/dRe(z) + i dL/dIm(z) by central differences (complex128)."""
    grad = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        for step in (1, 1j):
            up, down = z.copy(), z.copy()
            up[i] += eps * step
            down[i] -= eps * step
            slope = (loss(up) - loss(down)) / (2 * eps)
            grad[i] += slope * step
    return grad


@pytest.mark.parametrize(
    "name", ["mul", "div", "mixed", "matmul", "abs", "angle", "sqrt", "pow_half", "view_as_real"]
)
def test_complex_gradients_equal_finite_differences(name):
    z0, w0 = _draw(5, (3, 4), "complex128"), _draw(6, (3, 4), "complex128")
    weights = ad.tensor(_draw(7, (24,), "complex128"))
    if name in BINARY:
        fn = BINARY[name]
    else:

        def fn(lib, z, w):
            return UNARY[name](lib, z)

    def loss(z, w=w0):
        out = fn(ad, ad.tensor(z), ad.tensor(w))
        return _real_loss(out, _fit(weights, out)).item()

    z = ad.tensor(z0, requires_grad=True)
    out = fn(ad, z, ad.tensor(w0))
    _real_loss(out, _fit(weights, out)).backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), _numeric_complex_grad(loss, z0), atol=1e-6)


def _fit(weights, out):
    w = weights.reshape(-1)[: out.numel()].reshape(out.shape)
    return w if out.ndim else w.reshape(())


def test_second_order_through_complex_ops_equals_torchs():
    torch = pytest.importorskip("torch")
    z0 = _draw(2, (4,), "complex128")
    grads = []
    for lib in (ad, torch):
        z = lib.tensor(z0, requires_grad=True)
        loss = (z.exp() * z.conj() + z**3 / (z + 2)).abs().sum()
        (g,) = lib.autograd.grad(loss, z, create_graph=True)
        (g.abs() ** 2).sum().backward()
        grads.append((g.detach(), z.grad))
    np.testing.assert_allclose(
        grads[0][0].detach().numpy(), grads[1][0].detach().numpy(), rtol=1e-10
    )
    np.testing.assert_allclose(
        grads[0][1].detach().numpy(), grads[1][1].detach().numpy(), rtol=1e-10
    )


# --- the seam: ops not written for complex gradients refuse -------------------------------
REFUSED = {
    "sigmoid": lambda z: ad.sigmoid(z),
    "cumsum": lambda z: z.cumsum(0),
    "prod": lambda z: z.prod(),
    "where": lambda z: ad.where(ad.tensor([True, False]), z, z * 2),
    "tensor_power": lambda z: z ** ad.tensor([2.0, 3.0]),
    "dot": lambda z: ad.vdot(z, z),
    "vector_norm": lambda z: ad.linalg.vector_norm(z),
    "var": lambda z: z.var(),  # complex input, real output: refused by the input's dtype
    "std": lambda z: ad.std(z),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_ops_without_complex_gradients_refuse_a_complex_tensor_that_requires_grad(name):
    z = ad.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    with pytest.raises(
        NotImplementedError, match=r"not implemented for complex .*complex64.*Ops with"
    ):
        REFUSED[name](z)
    REFUSED[name](z.detach())  # without grad the values are computed


def test_the_refusal_names_the_op_and_the_dtypes():
    z = ad.tensor([1 + 2j], dtype=ad.complex128, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"^SigmoidBackward0: .*\(dtypes complex128\)"):
        ad.sigmoid(z)
    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"^CumsumBackward0: .*\(dtypes complex64\)"):
        ad.cumsum(x * 1j, 0)  # a real leaf reaching a complex output of an op without it


def test_real_ops_still_record_without_the_seam():
    x = ad.tensor([0.5, -1.0], requires_grad=True)
    ad.sigmoid(x).sum().backward()
    assert x.grad is not None


def test_a_users_function_may_handle_complex_tensors_as_in_torch():
    class Double(ad.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            return z * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    z = ad.tensor([1 + 1j], requires_grad=True)
    Double.apply(z).abs().sum().backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), [2 * (1 + 1j) / np.sqrt(2)], rtol=1e-6)


def test_a_complex_loss_needs_an_explicit_gradient_as_in_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        z = lib.tensor([1 + 2j], requires_grad=True)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for real"):
            (z * 2).sum().backward()
    z = ad.tensor([1 + 2j], requires_grad=True)
    (z * 2).sum().backward(ad.tensor(1 - 1j))
    np.testing.assert_allclose(z.grad.detach().numpy(), [2 - 2j])


def test_real_and_imag_are_views_of_the_storage_as_torchs():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        z = lib.tensor([1 + 2j, 3j])
        z.real[0] = 5
        z.imag[1] = -1
        lib.view_as_real(z)[1, 0] = 4
        assert z.tolist() == [5 + 2j, 4 - 1j]
        assert lib.view_as_complex(lib.tensor([[1.0, 2.0]])).tolist() == [1 + 2j]


def test_writing_through_real_or_imag_with_grad_is_refused():
    z = ad.tensor([1 + 2j, 3j], requires_grad=True) * 1
    for part in (lambda t: t.real, lambda t: t.imag, ad.view_as_real):
        with pytest.raises(NotImplementedError, match="in-place change of a complex tensor"):
            part(z).mul_(2)


def test_bad_arguments_are_refused_as_by_torch():
    torch = pytest.importorskip("torch")
    calls = [
        (lambda lib: lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError),
        (
            lambda lib: lib.complex(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64)),
            RuntimeError,
        ),  # fmt: skip
        (lambda lib: lib.polar(lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError),
        (lambda lib: lib.view_as_real(lib.ones(2)), RuntimeError),
        (lambda lib: lib.view_as_complex(lib.ones(2, 3)), RuntimeError),
        (lambda lib: lib.view_as_complex(lib.ones(2, 2).t()), RuntimeError),
        (
            lambda lib: lib.view_as_complex(lib.ones(3, dtype=lib.float64)[1:].reshape(1, 2)),
            RuntimeError,
        ),  # fmt: skip
        (lambda lib: lib.view_as_complex(lib.ones(2, dtype=lib.int64)), RuntimeError),
    ]
    for call, error in calls:
        for lib in (ad, torch):
            with pytest.raises(error):
                call(lib)


# --- creation, printing, promotion --------------------------------------------------------
PRINTED = [
    lambda lib: lib.tensor([1 + 2j, 3j]),
    lambda lib: lib.tensor([1.5 + 2j, 3j]),
    lambda lib: lib.tensor([1 + 2j], dtype=lib.complex128),
    lambda lib: lib.tensor([1e-5 + 2j, 1e6j]),
    lambda lib: lib.tensor([[1 - 1j, -2.25 + 0j], [0j, 7 + 7j]]),
    lambda lib: lib.tensor([1 + 2j], requires_grad=True),
    lambda lib: lib.tensor(2.5 - 1j),
    lambda lib: lib.polar(lib.tensor([1.0, 2.0]), lib.tensor([0.0, 1.5])),
    lambda lib: lib.complex(lib.tensor([1.0]), lib.tensor([-0.0])),
]


@pytest.mark.parametrize("make", PRINTED)
def test_complex_tensors_print_as_torchs(make):
    torch = pytest.importorskip("torch")
    assert repr(make(ad)) == repr(make(torch))


def test_python_complex_numbers_make_the_default_complex_dtype():
    assert ad.tensor([1 + 2j, 3j]).dtype == ad.complex64
    ad.set_default_dtype(ad.float64)
    try:
        assert ad.tensor([1j]).dtype == ad.complex128
        assert (ad.tensor([1, 2]) * 1j).dtype == ad.complex128
    finally:
        ad.set_default_dtype(ad.float32)


PROMOTED = [
    lambda lib: lib.tensor([1, 2]) * 1j,
    lambda lib: lib.tensor([1.0, 2]) * 1j,
    lambda lib: lib.tensor([1, 2]) * lib.tensor([1j]),
    lambda lib: lib.tensor([1.0], dtype=lib.float64) * lib.tensor([1j]),
    lambda lib: lib.tensor([1j], dtype=lib.complex128) + lib.tensor([1.0]),
    lambda lib: lib.tensor([1j]) / lib.tensor([2]),
    lambda lib: lib.tensor([1j]) * 2.5,
    lambda lib: lib.angle(lib.tensor([-1, 2])),
    lambda lib: lib.angle(lib.tensor([-1.0, 2.0], dtype=lib.float64)),
    lambda lib: lib.linalg.vector_norm(lib.tensor([3 + 4j, 1j])),
    lambda lib: lib.linalg.vector_norm(lib.tensor([3 + 4j, 1j], dtype=lib.complex128), ord=1),
    lambda lib: lib.dist(lib.tensor([3 + 4j, 1j]), lib.tensor([1j, 0j])),
]


@pytest.mark.parametrize("make", PROMOTED)
def test_complex_promotion_as_torchs(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(ad), make(torch)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_tensor_methods_for_complex_numbers():
    z = ad.tensor([3 + 4j])
    assert z.is_complex() and ad.is_complex(z) and not z.real.is_complex()
    assert z.abs().item() == 5.0 and z.conj().item() == 3 - 4j
    assert z.angle().item() == pytest.approx(np.arctan2(4, 3))
    assert not z.is_conj() and z.resolve_conj() is z


def test_a_compiled_step_with_complex_ops_equals_eager():
    z0 = _draw(4, (2, 3), "complex64")

    def step(z):
        loss = (ad.fft.fft(z * z.conj().exp()) ** 2).abs().sum()
        loss.backward()
        return loss.detach()

    eager_z = ad.tensor(z0, requires_grad=True)
    eager = step(eager_z)
    compiled = ad.compile(step)
    for _ in range(2):
        z = ad.tensor(z0, requires_grad=True)
        np.testing.assert_array_equal(compiled(z).detach().numpy(), eager.detach().numpy())
        np.testing.assert_array_equal(z.grad.detach().numpy(), eager_z.grad.detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3,), (10,), (40,), (2, 9)])
def test_randn_of_a_complex_dtype_draws_torchs_numbers(shape, dtype):
    torch = pytest.importorskip("torch")
    draws = []
    for lib in (ad, torch):
        lib.manual_seed(0)
        z = lib.randn(*shape, dtype=getattr(lib, dtype))
        draws.append((z.detach().numpy(), lib.randn_like(z).detach().numpy()))
    for ours, theirs in zip(*draws):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


REFUSED_VALUES = {
    "relu": (lambda lib, z: lib.relu(z), NotImplementedError),
    "clamp": (lambda lib, z: lib.clamp(z, 0.0, 1.0), NotImplementedError),
    "clamp_min": (lambda lib, z: lib.clamp_min(z, 0.0), NotImplementedError),
    "max": (lambda lib, z: lib.max(z), NotImplementedError),
    "min": (lambda lib, z: z.min(), NotImplementedError),
    "argmax": (lambda lib, z: lib.argmax(z), RuntimeError),
    "argmin": (lambda lib, z: z.argmin(), RuntimeError),
    "sort": (lambda lib, z: lib.sort(z), RuntimeError),
    "sign": (lambda lib, z: lib.sign(z), NotImplementedError),
    "softmax": (lambda lib, z: lib.softmax(z, 0), NotImplementedError),
    "round": (lambda lib, z: lib.round(z), NotImplementedError),
    "floor": (lambda lib, z: z.floor(), NotImplementedError),
    "erf": (lambda lib, z: lib.erf(z), NotImplementedError),
    "nansum": (lambda lib, z: lib.nansum(z), RuntimeError),
}


@pytest.mark.parametrize("name", sorted(REFUSED_VALUES))
def test_ops_torch_refuses_on_complex_values_are_refused_not_computed(name):
    torch = pytest.importorskip("torch")
    call, error = REFUSED_VALUES[name]
    for lib in (ad, torch):
        with pytest.raises(error):
            call(lib, lib.tensor([1 + 2j, -0.5 + 0.3j]))


VALUES = ["sigmoid", "exp2", "tanh", "sinh", "log1p", "conj_physical", "sgn", "prod", "cumsum"]


@pytest.mark.parametrize("name", VALUES)
def test_complex_values_of_other_ops_equal_torchs(name):
    torch = pytest.importorskip("torch")
    z0 = _draw(9, (2, 3), "complex64")
    outs = []
    for lib in (ad, torch):
        fn = getattr(lib, name)
        out = fn(lib.tensor(z0), 0) if name == "cumsum" else fn(lib.tensor(z0))
        outs.append(out)
    assert str(outs[0].dtype) == str(outs[1].dtype)
    np.testing.assert_allclose(
        outs[0].detach().numpy(), outs[1].resolve_conj().detach().numpy(), rtol=1e-5
    )
