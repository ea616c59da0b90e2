"""torch.fft against torch: values, dtypes and gradients of every transform (n/s, dim, norm;
real, complex, float32 and float64 inputs), the Hermitian halving of rfft's and irfft's
gradients against finite differences, the helpers, and torch's errors."""

import numpy as np
import pytest

import autodiff as ad

# (name, kwargs) on an input of shape (3, 4, 8)
CASES = [
    ("fft", {}),
    ("fft", {"n": 5}),
    ("fft", {"n": 12, "dim": 1, "norm": "ortho"}),
    ("ifft", {"norm": "forward"}),
    ("ifft", {"dim": 0}),
    ("rfft", {}),
    ("rfft", {"n": 7, "norm": "ortho"}),
    ("rfft", {"dim": 1, "norm": "forward"}),
    ("irfft", {}),
    ("irfft", {"n": 9}),
    ("irfft", {"n": 4, "norm": "ortho"}),
    ("irfft", {"n": 15, "dim": 0, "norm": "forward"}),
    ("hfft", {}),
    ("hfft", {"n": 7, "norm": "ortho"}),
    ("ihfft", {}),
    ("ihfft", {"n": 5, "norm": "forward"}),
    ("fft2", {}),
    ("fft2", {"norm": "forward", "dim": (0, 2)}),
    ("ifft2", {"s": (3, 10)}),
    ("rfft2", {}),
    ("rfft2", {"s": (5, 5), "norm": "ortho"}),
    ("irfft2", {}),
    ("irfft2", {"s": (4, 7)}),
    ("fftn", {}),
    ("fftn", {"dim": (0, 2)}),
    ("fftn", {"s": (2, 9)}),
    ("ifftn", {"norm": "ortho"}),
    ("ifftn", {"s": (-1, 6), "dim": (2, 0)}),
    ("rfftn", {"s": (5, 6)}),
    ("rfftn", {"dim": (2, 0)}),
    ("irfftn", {"dim": (0, 1)}),
    ("irfftn", {"s": (3, 5, 6), "norm": "forward"}),
]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "rfftn"}


def _input(seed, dtype) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4, 8))
    if dtype.startswith("complex"):
        x = x + 1j * rng.standard_normal((3, 4, 8))
    return x.astype(dtype)


def _loss(lib, out, seed):
    """A real loss with random weights: Re(Σ out·w)."""
    w = np.random.default_rng(seed).standard_normal(tuple(out.shape) + (2,))
    w = lib.tensor(w[..., 0] + 1j * w[..., 1] if out.is_complex() else w[..., 0]).to(out.dtype)
    return (out * w).real.sum() if out.is_complex() else (out * w).sum()


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=lambda c: str(c))
def test_transforms_and_gradients_equal_torchs(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    if name in REAL_ONLY and dtype.startswith("complex"):
        pytest.skip("a real-input transform")
    x0 = _input(1, dtype)
    results = []
    for lib in (ad, torch):
        x = lib.tensor(x0, requires_grad=True)
        out = getattr(lib.fft, name)(x, **kwargs)
        _loss(lib, out, 2).backward()
        results.append((out, x.grad))
    (ours, g), (theirs, h) = results
    assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
    assert str(g.dtype) == str(h.dtype)
    tol = 2e-4 if dtype in ("float32", "complex64") else 1e-10
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().resolve_conj().detach().numpy(),
                               rtol=tol, atol=tol)  # fmt: skip
    np.testing.assert_allclose(
        g.detach().numpy(), h.resolve_conj().detach().numpy(), rtol=tol, atol=tol
    )


@pytest.mark.parametrize("n", [6, 7])
@pytest.mark.parametrize("name", ["rfft", "irfft", "hfft", "ihfft"])
def test_hermitian_gradients_equal_finite_differences(name, n):
    """rfft's and irfft's backward handle the halved spectrum: the gradient of the real part
    and the imaginary part of each input entry, by central differences."""
    rng = np.random.default_rng(n)
    complex_input = name in ("irfft", "hfft")
    x0 = rng.standard_normal(n // 2 + 1 if complex_input else n)
    if complex_input:
        x0 = x0 + 1j * rng.standard_normal(x0.shape)
    fn = getattr(ad.fft, name)
    size = n if complex_input else None

    def loss(x):
        out = fn(x, n=size)
        w = np.arange(1, out.numel() + 1) * (1 + (0.5j if out.is_complex() else 0))
        return (out * ad.tensor(w)).real.sum() if out.is_complex() else (out * ad.tensor(w)).sum()

    x = ad.tensor(x0, requires_grad=True)
    loss(x).backward()
    numeric = np.zeros_like(x0)
    for i in range(x0.size):
        for step in (1, 1j) if complex_input else (1,):
            up, down = x0.copy(), x0.copy()
            up[i] += 1e-6 * step
            down[i] -= 1e-6 * step
            numeric[i] += (loss(ad.tensor(up)).item() - loss(ad.tensor(down)).item()) / 2e-6 * step
    # torch's gradient of irfft/hfft counts the imaginary parts of the entries that must be
    # real (0, and n/2 for even n) though the transform ignores them; elsewhere it is the slope
    got = x.grad.detach().numpy()
    if complex_input:
        got = got.real + 1j * np.where(_must_be_real(x0.size, n), numeric.imag, got.imag)
    np.testing.assert_allclose(got, numeric, atol=1e-5)


def _must_be_real(m: int, n: int) -> np.ndarray:
    mask = np.zeros(m, bool)
    mask[0] = True
    if n % 2 == 0:
        mask[n // 2] = True
    return mask


def test_second_order_through_a_transform_equals_torchs():
    torch = pytest.importorskip("torch")
    x0 = _input(3, "float64")[0]
    grads = []
    for lib in (ad, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = lib.fft.irfft(lib.fft.rfft(x, norm="ortho") ** 2, n=8)
        (g,) = lib.autograd.grad((y**2).sum(), x, create_graph=True)
        (g * x).sum().backward()
        grads.append((g.detach().numpy(), x.grad.detach().numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-12)


def test_integer_input_is_read_in_the_default_float_dtype():
    torch = pytest.importorskip("torch")
    for name in ("fft", "rfft", "irfft", "fftn"):
        ours = getattr(ad.fft, name)(ad.arange(6).reshape(2, 3))
        theirs = getattr(torch.fft, name)(torch.arange(6).reshape(2, 3))
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-5)


HELPERS = [
    lambda lib: lib.fft.fftfreq(5),
    lambda lib: lib.fft.fftfreq(8, d=0.25, dtype=lib.float64),
    lambda lib: lib.fft.rfftfreq(6, d=0.5),
    lambda lib: lib.fft.rfftfreq(7, requires_grad=True),
    lambda lib: lib.fft.fftshift(lib.arange(10).reshape(2, 5)),
    lambda lib: lib.fft.fftshift(lib.arange(10).reshape(2, 5), dim=1),
    lambda lib: lib.fft.ifftshift(lib.arange(5)),
    lambda lib: lib.fft.ifftshift(lib.arange(12.0).reshape(3, 4), dim=(-1, 0)),
    lambda lib: lib.fft.fftshift(lib.fft.fft(lib.arange(4.0))),
]


@pytest.mark.parametrize("make", HELPERS)
def test_helpers_equal_torchs(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(ad), make(torch)
    assert repr(ours) == repr(theirs)


def test_fftshift_passes_complex_gradients_back():
    torch = pytest.importorskip("torch")
    z0 = _input(4, "complex128")[0]
    grads = []
    for lib in (ad, torch):
        z = lib.tensor(z0, requires_grad=True)
        (lib.fft.ifftshift(lib.fft.fftshift(z) * lib.arange(8.0), dim=0).abs().sum()).backward()
        grads.append(z.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


ERRORS = [
    (
        lambda lib: lib.fft.fft(lib.ones(4), norm="x"),
        RuntimeError,
        'Invalid normalization mode: "x"',
    ),
    (
        lambda lib: lib.fft.fft(lib.ones(4), n=0),
        RuntimeError,
        r"Invalid number of data points \(0\)",
    ),
    (lambda lib: lib.fft.irfft(lib.ones(1)), RuntimeError, r"Invalid number of data points \(0\)"),
    (lambda lib: lib.fft.fft(lib.ones(4), dim=3), IndexError, "Dimension out of range"),
    (lambda lib: lib.fft.fft2(lib.ones(4)), IndexError, "Dimension out of range"),
    (lambda lib: lib.fft.fftn(lib.ones(4), s=(2, 2)), RuntimeError, "Got shape with 2 values"),
    (
        lambda lib: lib.fft.rfft(lib.ones(3, dtype=lib.complex64)),
        RuntimeError,
        "rfft expects a real input tensor",
    ),  # fmt: skip
    (
        lambda lib: lib.fft.fftn(lib.ones(2, 3), s=(2,), dim=(0, 1)),
        RuntimeError,
        "dim and shape arguments must have the same length",
    ),  # fmt: skip
    (lambda lib: lib.fft.fftn(lib.ones(2, 3), dim=(0, 0)), RuntimeError, "FFT dims must be unique"),
]


@pytest.mark.parametrize("call,error,words", ERRORS)
def test_bad_arguments_are_refused_as_by_torch(call, error, words):
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with pytest.raises(error, match=words):
            call(lib)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, out: lib.fft.fft(lib.arange(4.0), out=out),
        lambda lib, out: lib.fft.rfft(lib.arange(5.0), n=6, out=out),
        lambda lib, out: lib.fft.irfft2(lib.ones(3, 3, dtype=lib.complex64), out=out),
        lambda lib, out: lib.fft.fftfreq(5, d=0.1, out=out),
    ],
)
def test_out_gets_torchs_values_and_is_returned(call):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        dtype = call(lib, None).dtype
        out = lib.empty(0, dtype=lib.float64 if dtype == lib.float32 else dtype)
        assert call(lib, out) is out
        results.append(out.detach().numpy())
    assert results[0].dtype == results[1].dtype
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-6)


# --- torch.stft and torch.istft ------------------------------------------------------------
STFT = [
    {"n_fft": 8},
    {"n_fft": 8, "hop_length": 3, "win_length": 6, "window": "hann"},
    {"n_fft": 16, "hop_length": 4, "window": "hann", "center": False, "normalized": True},
    {"n_fft": 8, "pad_mode": "constant", "window": "hann"},
    {"n_fft": 8, "pad_mode": "replicate", "onesided": False},
    {"n_fft": 8, "pad_mode": "circular", "window": "hann", "return_complex": False},
]


def _with_window(lib, kwargs):
    kwargs = {"return_complex": True, **kwargs}
    if kwargs.get("window") == "hann":
        kwargs["window"] = lib.hann_window(
            kwargs.get("win_length", kwargs["n_fft"]), dtype=lib.float64
        )
    return kwargs


@pytest.mark.filterwarnings("ignore:A window was not provided")
@pytest.mark.filterwarnings("ignore:stft with return_complex=False is deprecated")
@pytest.mark.parametrize("shape", [(40,), (2, 37)])
@pytest.mark.parametrize("kwargs", STFT, ids=str)
def test_stft_and_its_gradient_equal_torchs(kwargs, shape):
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (ad, torch):
        x = lib.tensor(x0, requires_grad=True)
        out = lib.stft(x, **_with_window(lib, kwargs))
        _loss(lib, out, 1).backward()
        results.append((out.detach().resolve_conj().detach().numpy(), x.grad.detach().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-10)


ISTFT = [
    {"n_fft": 8},
    {"n_fft": 8, "hop_length": 2, "win_length": 6, "length": 35},
    {"n_fft": 16, "hop_length": 4, "normalized": True},
    {"n_fft": 8, "onesided": False},
    {"n_fft": 8, "onesided": False, "return_complex": True},
]


@pytest.mark.parametrize("shape", [(40,), (2, 37)])
@pytest.mark.parametrize("kwargs", ISTFT, ids=str)
def test_istft_inverts_stft_with_torchs_gradient(kwargs, shape):
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(1).standard_normal(shape)
    framing = {k: v for k, v in kwargs.items() if k not in ("length", "return_complex")}
    results = []
    for lib in (ad, torch):
        window = lib.hann_window(kwargs.get("win_length", kwargs["n_fft"]), dtype=lib.float64)
        spectra = lib.stft(lib.tensor(x0), window=window, return_complex=True, **framing)
        spectra = spectra.detach().requires_grad_()
        out = lib.istft(spectra, window=window, **kwargs)
        _loss(lib, out, 2).backward()
        results.append((out.detach().numpy(), spectra.grad.resolve_conj().detach().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-10)
    if "length" not in kwargs and shape == (40,) and not kwargs.get("return_complex"):
        np.testing.assert_allclose(results[0][0], x0, atol=1e-10)  # the round trip


def test_istft_pads_a_longer_length_with_zeros_and_warns_as_torch():
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (ad, torch):
        window = lib.hann_window(8, dtype=lib.float64)
        spectra = lib.stft(
            lib.arange(20.0, dtype=lib.float64), 8, window=window, return_complex=True
        )
        with pytest.warns(UserWarning, match="The length of signal is shorter than the length"):
            outs.append(lib.istft(spectra, 8, window=window, length=30).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-10)


def test_stft_and_istft_warn_with_torchs_words_without_a_window_and_for_real_pairs():
    """torch warns once per process (TORCH_WARN_ONCE), so only ours is caught here."""
    with pytest.warns(UserWarning, match="A window was not provided. A rectangular window will"):
        spectra = ad.stft(ad.ones(16), 8, return_complex=True)
    with pytest.warns(UserWarning, match="the same window used by stft to make the inversion"):
        ad.istft(spectra, 8)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated"):
        out = ad.stft(ad.ones(16), 8, window=ad.ones(8), return_complex=False)
    assert out.shape == (5, 9, 2)


STFT_ERRORS = [
    (lambda lib: lib.stft(lib.ones(16), 8), "requires the return_complex parameter"),
    (
        lambda lib: lib.stft(
            lib.ones(16),
            8,
            window=lib.ones(8),
            center=True,
            align_to_window=True,
            return_complex=True,
        ),
        "align_to_window should only be set",
    ),  # fmt: skip
    (
        lambda lib: lib.stft(
            lib.ones(16, dtype=lib.complex64), 8, window=lib.ones(8), onesided=True
        ),
        "Cannot have onesided output",
    ),  # fmt: skip
    (lambda lib: lib.istft(lib.ones(5, 3), 8), "istft requires a complex-valued input"),
    (
        lambda lib: lib.istft(
            lib.stft(lib.ones(16), 8, window=lib.ones(8), return_complex=True),
            8,
            window=lib.zeros(8),
        ),
        "window overlap add min",
    ),  # fmt: skip
    (lambda lib: lib.istft(lib.ones(4, 3, dtype=lib.complex64), 8), "frequency dimension"),
]


@pytest.mark.filterwarnings("ignore:A window was not provided")  # torch's own note
@pytest.mark.parametrize("call,words", STFT_ERRORS)
def test_stft_and_istft_refuse_bad_arguments_as_torch(call, words):
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with pytest.raises(RuntimeError, match=words):
            call(lib)


NODES = [
    ("fft", "real", {}),
    ("fft", "complex", {}),
    ("fft", "complex", {"n": 4}),
    ("fft", "complex", {"n": 12}),
    ("rfft", "real", {}),
    ("rfft", "real", {"n": 4}),
    ("irfft", "complex", {}),
    ("irfft", "complex", {"n": 20}),
    ("hfft", "complex", {}),
    ("ihfft", "real", {}),
    ("fftshift", "complex", {}),
]


@pytest.mark.parametrize("name,kind,kwargs", NODES, ids=str)
def test_nodes_are_named_as_torchs(name, kind, kwargs):
    torch = pytest.importorskip("torch")
    names = []
    for lib in (ad, torch):
        x = lib.ones(8, dtype=lib.float32 if kind == "real" else lib.complex64, requires_grad=True)
        node = getattr(lib.fft, name)(x, **kwargs).grad_fn
        below = node.next_functions[0][0]
        names.append((node.name(), below.name().replace("torch::autograd::", "")))
    assert names[0] == names[1]


def test_stft_and_istft_are_tensor_methods_as_in_torch():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(2).standard_normal(30)
    outs = []
    for lib in (ad, torch):
        window = lib.hann_window(8, dtype=lib.float64)
        spectra = lib.tensor(x0).stft(8, hop_length=2, window=window, return_complex=True)
        outs.append(
            (
                spectra.resolve_conj().detach().numpy(),
                spectra.istft(8, 2, window=window).detach().numpy(),
            )
        )
    np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1e-10)
    np.testing.assert_allclose(outs[0][1], outs[1][1], atol=1e-10)
    np.testing.assert_allclose(outs[0][1], x0, atol=1e-10)
