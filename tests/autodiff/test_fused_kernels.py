"""torch's fused elementwise kernels (cpu_math): add with alpha, lerp, addcmul and addcdiv round
as torch's x86 builds compute them, checked against exact rationals (hypothesis) and against
torch bit for bit; the BLAS axpy they use where it rounds once is checked before it is trusted.
The optimizers built on them: tests/nn/test_optimizer_bits.py."""

import ctypes
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
from autodiff import cpu_math


def _rounded(values, dtype) -> np.ndarray:
    """Exact rationals rounded once to dtype (nearest, ties to even)."""
    out = []
    for v in values:
        near = dtype.type(float(v))  # float64 is exact; float32 may round twice: try neighbours
        candidates = [
            np.nextafter(near, dtype.type(-np.inf)),
            near,
            np.nextafter(near, dtype.type(np.inf)),
        ]
        out.append(
            min(
                candidates,
                key=lambda f: (abs(Fraction(float(f)) - v), int(f.view(_INT[dtype])) & 1),
            )
        )
    return np.array(out, dtype)


_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _exact_scaled_add(input, other, alpha):
    a = Fraction(float(alpha))
    return [
        Fraction(float(x)) + a * Fraction(float(y)) for x, y in zip(input.ravel(), other.ravel())
    ]


def _floats(dtype):
    width = 32 if dtype == np.float32 else 64
    return st.floats(-1e6, 1e6, width=width, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)]))
def test_scaled_add_rounds_once(data, dtype):
    """input + alpha·other: once through BLAS's axpy (plain arrays) and once through the
    emulation (a strided view of other), both equal to the exact value rounded once."""
    n = data.draw(st.integers(1, 80))
    input = data.draw(hnp.arrays(dtype, n, elements=_floats(dtype)))
    other = data.draw(hnp.arrays(dtype, 2 * n, elements=_floats(dtype)))
    alpha = data.draw(_floats(dtype).filter(lambda a: abs(a) < 100))
    expected = _rounded(_exact_scaled_add(input, other[::2], alpha), dtype)
    np.testing.assert_array_equal(cpu_math.scaled_add(input, other[::2].copy(), alpha), expected)
    np.testing.assert_array_equal(cpu_math.scaled_add(input, other[::2], alpha), expected)


def test_scaled_add_in_place_and_aliased():
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(1000).astype(dtype)
        y = rng.standard_normal(1000).astype(dtype)
        expected = cpu_math.fma(dtype(0.3), y, x)
        assert (expected != x + dtype(0.3) * y).any()  # the values do need one rounding
        inplace = x.copy()
        assert cpu_math.scaled_add(inplace, y, 0.3, out=inplace) is inplace
        np.testing.assert_array_equal(inplace, expected)
        into_other = y.copy()  # out is other: x + 0.3·y written over y
        np.testing.assert_array_equal(
            cpu_math.scaled_add(x, into_other, 0.3, out=into_other), expected
        )
        both = x.copy()  # x + 0.3·x
        np.testing.assert_array_equal(
            cpu_math.scaled_add(both, both, 0.3, out=both), cpu_math.fma(dtype(0.3), x, x)
        )


def test_fma32_with_out_an_input_keeps_the_exact_ties():
    """The exact path reads its operands before the rounded sums overwrite out (an input)."""
    near = 1 + 2.0**-12
    a = np.array([near, near], np.float32)
    c = np.array([2.0**-80, -(2.0**-80)], np.float32)
    expected = _rounded(
        [Fraction(float(x)) ** 2 + Fraction(float(z)) for x, z in zip(a, c)], np.dtype(np.float32)
    )
    assert (expected != (a.astype(np.float64) ** 2 + c).astype(np.float32)).any()  # a real tie
    np.testing.assert_array_equal(cpu_math.fma32(a, a, c, out=c), expected)


def test_fma_broadcasts_and_computes_narrow_dtypes_in_float32():
    """Operands of different shapes broadcast as NumPy's; float16 and bfloat16 compute in float32
    and round once more, as torch's opmath."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((1, 4))
    c = rng.standard_normal(4)
    for dtype in (np.float32, np.float64):
        x, y, z = (v.astype(dtype) for v in (a, b, c))
        got = cpu_math.fma(x, y, z)
        assert got.shape == (3, 4) and got.dtype == dtype
        flat = (np.broadcast_to(v, (3, 4)).ravel() for v in (x, y, z))
        exact = [
            Fraction(float(p)) * Fraction(float(q)) + Fraction(float(r)) for p, q, r in zip(*flat)
        ]
        np.testing.assert_array_equal(got.ravel(), _rounded(exact, np.dtype(dtype)))
    for narrow in (np.float16, ml_dtypes.bfloat16):
        x, y, z = (v.astype(narrow) for v in (a, b, c))
        wide = cpu_math.fma32(*(v.astype(np.float32) for v in (x, y, z)))
        np.testing.assert_array_equal(cpu_math.fma(x, y, z), wide.astype(narrow))


def test_scaled_add_into_a_strided_view():
    """In place on every other element (torch's p[::2].add_(g, alpha=)) and on the left half of
    a matrix (whose flat form would be a copy): the view itself is updated, through the exact
    path, and the elements around it are left alone."""
    rng = np.random.default_rng(6)
    for dtype in (np.float32, np.float64):
        for shape, part in (((200,), np.s_[::2]), ((30, 40), np.s_[:, :20])):
            base = rng.standard_normal(shape).astype(dtype)
            other = np.ascontiguousarray(rng.standard_normal(shape)[part], dtype)
            expected = base.copy()
            expected[part] = cpu_math.fma(dtype(0.3), other, base[part].copy())
            view = base[part]
            assert cpu_math.scaled_add(view, other, 0.3, out=view) is view
            np.testing.assert_array_equal(base, expected)


def test_lerp_at_a_weight_of_one_half_takes_torchs_second_formula():
    """torch's lerp uses w·(end − start) + start only where |w| < 0.5: at 0.5 exactly,
    (w − 1)·(end − start) + end, which rounds differently for about a third of the values."""
    rng = np.random.default_rng(0)
    start, end = (rng.standard_normal(1000).astype(np.float32) for _ in range(2))
    weight = np.full(1000, 0.5, np.float32)
    second = cpu_math.fma32(weight - 1, end - start, end)
    assert (second != cpu_math.fma32(weight, end - start, start)).any()
    np.testing.assert_array_equal(cpu_math.lerp(start, end, weight), second)
    np.testing.assert_array_equal(cpu_math.lerp(start, end, np.float32(0.5)), second)


def test_fma64_of_products_near_the_bottom_of_the_range():
    """Products near the subnormals leave the exact splits no room: those go through exact
    rationals (Python's float() of a Fraction rounds once, correctly)."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 2, 300) * 2.0**-500, rng.uniform(1, 2, 300) * 2.0**-520
    c = rng.uniform(-1, 1, 300) * 2.0**-1060
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(cpu_math.fma64(a, b, c), exact)


def test_lerp_with_a_weight_broadcast_beyond_start_and_end():
    start, end = np.array([1.0], np.float32), np.array([3.0], np.float32)
    weight = np.array([0.25, 0.5, 0.75], np.float32)
    np.testing.assert_array_equal(cpu_math.lerp(start, end, weight), [1.5, 2.0, 2.5])


def test_scaled_add_of_integers_in_place():
    x = np.array([1, 2, 3], np.int64)
    assert cpu_math.scaled_add(x, np.array([1, 1, 1], np.int64), 2, out=x) is x
    np.testing.assert_array_equal(x, [3, 4, 5])


def test_scaled_add_never_writes_through_a_read_only_array():
    """The BLAS writes through a pointer, past NumPy's checks: a read-only out must fail as
    NumPy fails, whatever its size, and stay unchanged."""
    for n in (10, 50_000):
        frozen = np.zeros(n, np.float32)
        frozen.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            cpu_math.scaled_add(frozen, np.ones(n, np.float32), 2.0, out=frozen)
        assert not frozen.any()


def _openblas() -> bool:
    from threadpoolctl import threadpool_info

    return any(i.get("internal_api") == "openblas" for i in threadpool_info())


@pytest.mark.skipif(not _openblas(), reason="NumPy's BLAS here is not OpenBLAS")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaled_add_runs_the_blas_body_and_an_exact_numpy_tail(dtype, monkeypatch):
    """The fast path must stay in use: with OpenBLAS's axpy (fused in blocks) the update runs
    the BLAS over whole blocks in chunks, only the tail in NumPy, fma() nowhere (the exact
    emulation is ~10x slower; once, unnoticed, it took every SGD step). A few elements: no
    BLAS call at all."""
    found = cpu_math._axpy(np.dtype(dtype))
    assert found is not None, "OpenBLAS's axpy was not taken: every update runs the emulation"
    function, block = found
    assert block in (8, 16, 32, 64)
    calls, fmas = [], []

    real_fma = cpu_math.fma

    def counted(n, *args):
        calls.append(n)
        function(n, *args)

    def spied_fma(*args, **kwargs):
        fmas.append(args)
        return real_fma(*args, **kwargs)

    monkeypatch.setattr(cpu_math, "_axpy", lambda _: (counted, block))
    monkeypatch.setattr(cpu_math, "fma", spied_fma)
    chunk, rng = cpu_math._AXPY_CHUNK, np.random.default_rng(8)
    n = 2 * chunk + 3 * block + 5
    x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    expected = real_fma(dtype(0.1), x, y)
    fmas.clear()
    got = cpu_math.scaled_add(y, x, 0.1, out=y)
    np.testing.assert_array_equal(got, expected)
    assert calls == [chunk, chunk, 3 * block]
    assert len(fmas) == (dtype == np.float64)  # float32's tail: one NumPy pass, no emulation
    calls.clear()
    few = y[: cpu_math._FEW]
    cpu_math.scaled_add(few, x[: cpu_math._FEW], 0.1, out=few)
    assert calls == []


def test_fused_block_finds_the_block_and_refuses_a_split_between_threads():
    def fused_in(block, threads_above=None):
        def axpy(n, alpha, x, incx, y, incy):
            xs, ys = _as_arrays(n, x, y)
            before = ys.copy()
            body = n - n % block
            ys[:body] = cpu_math.fma32(np.float32(alpha), xs[:body], ys[:body])
            ys[body:] = ys[body:] + np.float32(alpha) * xs[body:]
            if threads_above is not None and n > threads_above:  # a thread's tail, unfused
                ys[n // 2 - 1] = before[n // 2 - 1] + np.float32(alpha) * xs[n // 2 - 1]

        return axpy

    for block in (8, 16, 64):
        assert cpu_math.fused_block(fused_in(block), np.float32) == block
    split = fused_in(32, threads_above=cpu_math._AXPY_CHUNK - 1)
    assert cpu_math.fused_block(split, np.float32) is None


def _as_arrays(n, x, y):
    return (
        np.ctypeslib.as_array(ctypes.cast(p, ctypes.POINTER(ctypes.c_float)), (n,)) for p in (x, y)
    )


@pytest.mark.parametrize("n", [3, 40, 2000])  # the small pass; the tail after the BLAS
def test_scaled_add_on_a_float32_tie_rounds_once(n):
    """A float64 sum on a float32 midpoint (its exact value just off it) rounds wrongly a second
    time: the few-element pass and the BLAS's tail must take the exact path there."""
    near = np.float32(1 + 2.0**-12)
    x = np.full(n, near, np.float32)
    y = np.zeros(n, np.float32)
    y[-3:] = [2.0**-80, -(2.0**-80), 0.0]
    expected = _rounded(
        [Fraction(float(near)) ** 2 + Fraction(float(v)) for v in y], np.dtype(np.float32)
    )
    assert (expected != (x.astype(np.float64) * float(near) + y).astype(np.float32)).any()
    got = y.copy()
    np.testing.assert_array_equal(cpu_math.scaled_add(got, x, near, out=got), expected)


def test_a_blas_axpy_is_used_only_in_the_blocks_where_it_rounds_once():
    def unfused(n, alpha, x, incx, y, incy):
        xs, ys = _as_arrays(n, x, y)
        ys[:] = ys + np.float32(alpha) * xs

    def fused(n, alpha, x, incx, y, incy):
        xs, ys = _as_arrays(n, x, y)
        ys[:] = cpu_math.fma32(np.float32(alpha), xs, ys)

    def fused_body(n, alpha, x, incx, y, incy):  # OpenBLAS's way: a tail of n % 32 unfused
        xs, ys = _as_arrays(n, x, y)
        body = n - n % 32
        ys[:body] = cpu_math.fma32(np.float32(alpha), xs[:body], ys[:body])
        ys[body:] = ys[body:] + np.float32(alpha) * xs[body:]

    assert cpu_math.fused_block(unfused, np.float32) is None
    assert cpu_math.fused_block(fused, np.float32) == 1
    assert cpu_math.fused_block(fused_body, np.float32) == 32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaled_add_through_blas_in_chunks_and_a_tail(dtype):
    """Sizes around the BLAS's block and the chunks each call gets (a call over 10,000 elements
    would be split between threads, each with a tail of its own): all rounded once."""
    rng = np.random.default_rng(2)
    chunk = cpu_math._AXPY_CHUNK
    for n in (1, 31, 32, 33, chunk - 1, chunk, chunk + 17, 3 * chunk + 40, 200_705):
        x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
        expected = cpu_math.fma(dtype(-0.01), x, y)
        got = y.copy()
        assert cpu_math.scaled_add(got, x, -0.01, out=got) is got
        np.testing.assert_array_equal(got, expected, err_msg=f"n={n}")


# --- against torch ------------------------------------------------------------------------
DTYPES = ["float32", "float64", "bfloat16", "float16"]


def _pair(dtype, n=10_003, seed=0):
    """(ours, torch's) arrays of n values: start, end, a positive divisor, a weight."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(n), rng.standard_normal(n), rng.random(n) + 0.1, rng.random(n)]
    ours = [v.astype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype) for v in values]
    return ours, [v.astype(np.float64) for v in ours]


def _torch(torch, dtype):
    return lambda v: torch.tensor(v).to(getattr(torch, dtype))


def _same(ours: np.ndarray, theirs) -> None:
    theirs = theirs.float().numpy() if theirs.element_size() == 2 else theirs.numpy()
    np.testing.assert_array_equal(ours.astype(theirs.dtype), theirs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kernels_are_torchs(dtype):
    torch = pytest.importorskip("torch")
    (s, e, d, w), wide = _pair(dtype)
    t = [_torch(torch, dtype)(v) for v in wide]
    for weight in (0.1, 0.9, -0.3, 0.5, 1.0):
        _same(cpu_math.lerp(s, e, weight), torch.lerp(t[0], t[1], weight))
    _same(cpu_math.lerp(s, e, w), torch.lerp(t[0], t[1], t[3]))
    for value in (1, 1e-3, -0.5):
        _same(cpu_math.addcmul(s, e, d, value), torch.addcmul(t[0], t[1], t[2], value=value))
        _same(cpu_math.addcdiv(s, e, d, value), torch.addcdiv(t[0], t[1], t[2], value=value))
    for number in (0.999, 3.3):
        _same(cpu_math.multiply_by(s, number), t[0] * number)
        _same(cpu_math.divide_by(s, number), t[0] / number)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_are_needed(dtype):
    """Two roundings where torch has one would differ in many values: the tests above can fail."""
    (s, e, d, _), _ = _pair(dtype)
    assert np.mean(cpu_math.lerp(s, e, 0.1) != s + s.dtype.type(0.1) * (e - s)) > 0.05
    assert np.mean(cpu_math.addcmul(s, e, d, 0.5) != s + s.dtype.type(0.5) * e * d) > 0.05
    assert np.mean(cpu_math.scaled_add(s, e, 0.3) != s + s.dtype.type(0.3) * e) > 0.05


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_add_and_sub_with_alpha_are_torchs(dtype):
    torch = pytest.importorskip("torch")
    (x, y, _, _), wide = _pair(dtype, n=1000)
    tx, ty = (_torch(torch, dtype)(v) for v in wide[:2])
    ax, ay = ad.tensor(x), ad.tensor(y)
    for alpha in (0.3, -1.7, 2):
        _same(ad.add(ax, ay, alpha=alpha).numpy(), torch.add(tx, ty, alpha=alpha))
        _same(ad.sub(ax, ay, alpha=alpha).numpy(), torch.sub(tx, ty, alpha=alpha))
        _same(ad.rsub(ax, ay, alpha=alpha).numpy(), torch.rsub(tx, ty, alpha=alpha))
        _same(ax.clone().add_(ay, alpha=alpha).numpy(), tx.clone().add_(ty, alpha=alpha))
        _same(ax.clone().sub_(ay, alpha=alpha).numpy(), tx.clone().sub_(ty, alpha=alpha))
        _same(ax.clone().add_(ax, alpha=alpha).numpy(), tx.clone().add_(tx, alpha=alpha))


def test_in_place_add_with_alpha_is_one_node():
    """x.add_(y, alpha=) records AddBackward0 with the alpha (torch's node), not a product first."""
    y = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.zeros(2).requires_grad_().clone()
    x.add_(y, alpha=0.5)
    assert x.grad_fn.name() == "AddBackward0"
    assert x.grad_fn.next_functions[1][0].name().endswith("AccumulateGrad")
    x.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.5])


OPS = {
    "lerp": lambda lib, a, b, c, w: lib.lerp(a, b, 0.3),
    "lerp_tensor": lambda lib, a, b, c, w: lib.lerp(a, b, w),
    "addcmul": lambda lib, a, b, c, w: lib.addcmul(a, b, c, value=0.7),
    "addcdiv": lambda lib, a, b, c, w: lib.addcdiv(a, b, c, value=-0.7),
}


@pytest.mark.parametrize("op", OPS)
def test_lerp_addcmul_addcdiv_values_and_gradients_are_torchs(op):
    """Bit for bit, with torch's node: the gradients' formulas in torch's order and roundings."""
    torch = pytest.importorskip("torch")
    (a, b, c, w), _ = _pair("float32", n=2000, seed=3)
    g = np.random.default_rng(4).standard_normal(2000).astype(np.float32)
    results = []
    for lib in (ad, torch):
        inputs = [lib.tensor(v, requires_grad=True) for v in (a, b, c, w)]
        out = OPS[op](lib, *inputs)
        grads = lib.autograd.grad(out, inputs, lib.tensor(g), allow_unused=True)
        results.append(
            (out.grad_fn.name(), out.detach().numpy(), [x is None or x.numpy() for x in grads])
        )
    (name, value, grads), (name_t, value_t, grads_t) = results
    assert name == name_t
    np.testing.assert_array_equal(value, value_t)
    for mine, torchs in zip(grads, grads_t):
        np.testing.assert_array_equal(mine, torchs)


def test_edge_cases_as_torch():
    """Integer alpha wraps in the dtype; mixed float dtypes compute in the result's dtype
    (float32 operands exact in float64); lerp refuses what torch refuses."""
    torch = pytest.importorskip("torch")
    cases = [
        lambda lib: lib.sub(
            lib.tensor([10, 20], dtype=lib.uint8), lib.tensor([1, 2], dtype=lib.uint8), alpha=3
        ),
        lambda lib: lib.add(lib.tensor([1, 2, 3]), lib.tensor([4, 5, 6]), alpha=-2),
        lambda lib: lib.addcmul(
            lib.ones(2, dtype=lib.float64), lib.ones(2) * 0.1, lib.ones(2) * 0.3
        ),
        lambda lib: lib.addcmul(
            lib.ones(2, dtype=lib.float64), lib.ones(2) * 0.1, lib.ones(2) * 0.3, value=0.7
        ),
        lambda lib: lib.lerp(
            lib.ones(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64) * 0.1, 0.3
        ),
        lambda lib: lib.add(lib.tensor([1 + 2j]), lib.tensor([3 - 1j]), alpha=0.3),
        lambda lib: lib.add(
            lib.tensor([float("nan"), float("inf"), 1.0]),
            lib.tensor([1.0, -float("inf"), float("inf")]),
            alpha=0.3,
        ),
    ]
    for case in cases:
        ours, theirs = case(ad), case(torch)
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="'end' must be a Tensor"):
        ad.lerp(ad.ones(2), 3.0, 0.5)
    with pytest.raises(RuntimeError, match="expected dtype torch.float32 for `weight`"):
        ad.lerp(ad.ones(2), ad.zeros(2), ad.tensor([0.3, 0.7], dtype=ad.float64))


@pytest.mark.parametrize("op", OPS)
def test_gradients_of_some_inputs_only_are_torchs(op):
    """Each input alone requiring grad: the node keeps what that gradient needs, nothing else."""
    torch = pytest.importorskip("torch")
    (a, b, c, w), _ = _pair("float32", n=200, seed=5)
    g = np.random.default_rng(6).standard_normal(200).astype(np.float32)
    for which in range(4):
        results = []
        for lib in (ad, torch):
            inputs = [lib.tensor(v, requires_grad=i == which) for i, v in enumerate((a, b, c, w))]
            out = OPS[op](lib, *inputs)
            if not out.requires_grad:
                results.append(None)
                continue
            (grad,) = lib.autograd.grad(out, [inputs[which]], lib.tensor(g))
            results.append(grad.numpy())
        if results[1] is None:
            assert results[0] is None
        else:
            np.testing.assert_array_equal(results[0], results[1])


def test_fma_other_dtypes_and_a_wrong_out():
    np.testing.assert_array_equal(
        cpu_math.fma(np.int64(3), np.arange(4), np.arange(4)), [0, 4, 8, 12]
    )
    half = cpu_math.fma(np.float16(0.1), np.ones(3, np.float16), np.ones(3, np.float16))
    assert half.dtype == np.float16 and half[0] == np.float16(1.1)
    with pytest.raises(ValueError, match="fma: out is float32"):
        cpu_math.fma32(
            np.ones(3, np.float32), np.ones(3, np.float32), 0, out=np.empty(2, np.float32)
        )
    with pytest.raises(ValueError, match=r"fma: out is float32\[3\], the result float64\[3\]"):
        cpu_math.fma64(np.ones(3), np.ones(3), 0, out=np.empty(3, np.float32))


def test_fma64_near_the_bottom_of_the_range():
    """Products below 2^-969 leave the exact split's low part subnormal: those take the exact
    path (here a·b + c needs bits of a·b far below its own last one)."""
    a = np.array([(1 + 2.0**-30) * 2.0**-500, 3.0 * 2.0**-520])
    c = np.array([-(2.0**-1000), 2.0**-1030])
    exact = [
        float(Fraction(float(x)) * Fraction(float(x)) + Fraction(float(z))) for x, z in zip(a, c)
    ]
    assert (a * a + c != exact).any()
    np.testing.assert_array_equal(cpu_math.fma64(a, a, c), exact)


def test_fma_into_a_strided_out():
    rng = np.random.default_rng(7)
    a, b, c = (rng.standard_normal((40, 30)).astype(np.float32) for _ in range(3))
    expected = cpu_math.fma32(a, b, c)
    out = np.zeros((30, 40), np.float32).T  # a transposed view: not C-contiguous
    assert cpu_math.fma32(a, b, c, out=out) is out
    np.testing.assert_array_equal(out, expected)
