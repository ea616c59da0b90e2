"""torch.linalg's LU family, triangular solves, the *_ex forms, LinAlgError, matrix_rank, cond,
vander, tensorinv and tensorsolve against torch: what the op table's generic rows do not reach
(integer results, pivots and info, singular and empty inputs, non-square LU, every option) and
the errors."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _both(array):
    return ad.tensor(array), torch.tensor(array)


def _same(ours, theirs, rtol=1e-12):
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12
    )


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
BATCH = np.stack([np.eye(2) * 2.0, SINGULAR, [[0.0, 1.0], [1.0, 0.0]]])  # the middle one


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, a: lib.linalg.inv(a),
        lambda lib, a: lib.linalg.solve(a, a[..., 0]),
        lambda lib, a: lib.linalg.cholesky(a),
        lambda lib, a: lib.inverse(a),
    ],
)
def test_singular_input_raises_linalg_error_as_torch(call):
    with pytest.raises(torch.linalg.LinAlgError):
        call(torch, torch.tensor(BATCH))
    with pytest.raises(ad.linalg.LinAlgError, match=r"linalg\.\w+: .*singular") as info:
        call(ad, ad.tensor(BATCH))
    assert isinstance(info.value, RuntimeError)  # what it raised before it had a name
    assert ad.linalg.LinAlgError.__name__ == "LinAlgError"


@pytest.mark.parametrize("name", ["inv_ex", "solve_ex", "cholesky_ex"])
def test_ex_forms_report_info_as_torch_and_raise_when_asked(name):
    matrices = np.concatenate([BATCH, [-np.eye(2), [[4.0, 2.0], [2.0, 3.0]]]])
    args = lambda lib, a: (a, a[..., :1]) if name == "solve_ex" else (a,)  # noqa: E731
    ours, theirs = _both(matrices)
    result, info = getattr(ad.linalg, name)(*args(ad, ours))
    result_t, info_t = getattr(torch.linalg, name)(*args(torch, theirs))
    _same(info, info_t)  # int32, one per matrix, LAPACK's index
    ok = info_t.detach().numpy() == 0
    np.testing.assert_allclose(
        result.detach().numpy()[ok], result_t.detach().numpy()[ok], rtol=1e-12
    )
    assert np.isnan(result.detach().numpy()[~ok]).all()  # torch's is LAPACK's partial work
    with pytest.raises(ad.linalg.LinAlgError, match=f"linalg.{name[:-3]}: "):  # inv, solve...
        getattr(ad.linalg, name)(*args(ad, ours), check_errors=True)
    with pytest.raises(torch.linalg.LinAlgError):
        getattr(torch.linalg, name)(*args(torch, theirs), check_errors=True)


def test_cholesky_ex_upper_and_its_field_names():
    a = RNG.standard_normal((2, 3, 3))
    ours, theirs = _both(a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))
    out, out_t = (
        ad.linalg.cholesky_ex(ours, upper=True),
        torch.linalg.cholesky_ex(theirs, upper=True),
    )
    _same(out.L, out_t.L)
    _same(out.info, out_t.info)
    assert repr(out).startswith("torch.return_types.linalg_cholesky_ex(")
    assert ad.linalg.inv_ex(ours).inverse.shape == (2, 3, 3)
    assert ad.linalg.solve_ex(ours, ours[..., 0]).result.shape == (2, 3)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (4, 2), (2, 5), (3, 1, 1), (0, 3, 3)])
def test_lu_factor_ex_lu_and_lu_unpack_match_torch(shape):
    a = RNG.standard_normal(shape)
    ours, theirs = _both(a)
    LU, pivots, info = ad.linalg.lu_factor_ex(ours)
    LU_t, pivots_t, info_t = torch.linalg.lu_factor_ex(theirs)
    _same(LU, LU_t, rtol=1e-10)
    _same(pivots, pivots_t)  # int32, 1-based, LAPACK's choices
    _same(info, info_t)
    for mine, yours in zip(ad.linalg.lu(ours), torch.linalg.lu(theirs)):
        _same(mine, yours, rtol=1e-10)
    for mine, yours in zip(ad.lu_unpack(LU, pivots), torch.lu_unpack(LU_t, pivots_t)):
        _same(mine, yours, rtol=1e-10)
    P, L, U = ad.linalg.lu(ours)
    np.testing.assert_allclose((P @ L @ U).detach().numpy(), a, atol=1e-12)


def test_lu_of_singular_matrices_reports_the_first_zero_pivot_as_torch():
    a = np.array([[[0.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [0.0, 2.0]]])
    ours, theirs = _both(a)
    for mine, yours in zip(ad.linalg.lu_factor_ex(ours), torch.linalg.lu_factor_ex(theirs)):
        _same(mine, yours)
    with pytest.raises(ad.linalg.LinAlgError, match="lu_factor: .*singular"):
        ad.linalg.lu_factor(ours)
    with pytest.raises(ad.linalg.LinAlgError, match="lu_factor"):
        ad.linalg.lu_factor_ex(ours, check_errors=True)
    with pytest.raises(RuntimeError, match="U\\[1,1\\] is zero"):  # torch's is no LinAlgError
        torch.linalg.lu_factor(theirs)


def test_lu_unpack_leaves_out_what_it_is_told_to():
    LU, pivots = ad.linalg.lu_factor(ad.tensor(RNG.standard_normal((3, 3))))
    LU_t, pivots_t = torch.linalg.lu_factor(torch.tensor(LU.detach().numpy()))
    for flags in [dict(unpack_data=False), dict(unpack_pivots=False)]:
        for mine, yours in zip(
            ad.lu_unpack(LU, pivots, **flags), torch.lu_unpack(LU_t, pivots_t, **flags)
        ):
            assert tuple(mine.shape) == tuple(yours.shape)
    with pytest.raises(ValueError, match=r"lu_unpack: LU_pivots \(2,\) must have shape \(3,\)"):
        ad.lu_unpack(LU, pivots[:2])


def test_lu_gradient_of_a_non_square_matrix_is_refused_clearly():
    a = ad.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    P, L, U = ad.linalg.lu(a)
    assert L.shape == (3, 2) and U.shape == (2, 2)
    with pytest.raises(NotImplementedError, match=r"linalg.lu: the gradient .* \(3, 2\)"):
        (L.sum() + U.sum()).backward()
    with pytest.raises(ValueError, match="pivot=False is not supported"):
        ad.linalg.lu_factor(a, pivot=False)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve_matches_torch_with_a_batch(left, adjoint):
    a, b = RNG.standard_normal((2, 3, 3)), RNG.standard_normal((2, 3, 4) if left else (2, 4, 3))
    (A, B), (A_t, B_t) = zip(_both(a), _both(b))
    out = ad.linalg.lu_solve(*ad.linalg.lu_factor(A), B, left=left, adjoint=adjoint)
    out_t = torch.linalg.lu_solve(*torch.linalg.lu_factor(A_t), B_t, left=left, adjoint=adjoint)
    _same(out, out_t, rtol=1e-9)


def test_lu_solve_and_solve_triangular_refuse_what_does_not_fit():
    LU, pivots = ad.linalg.lu_factor(ad.tensor(RNG.standard_normal((3, 3))))
    with pytest.raises(ValueError, match=r"lu_solve: LU \(3, 3\) and B \(2, 1\) do not fit"):
        ad.linalg.lu_solve(LU, pivots, ad.ones(2, 1, dtype=ad.float64))
    with pytest.raises(ValueError, match="pivots must be integers of shape"):
        ad.linalg.lu_solve(LU, pivots.double(), ad.ones(3, 1, dtype=ad.float64))
    A = ad.tensor(np.triu(RNG.standard_normal((3, 3))))
    with pytest.raises(ValueError, match=r"solve_triangular: A \(3, 3\) and B \(3,\) do not fit"):
        ad.linalg.solve_triangular(A, ad.ones(3, dtype=ad.float64), upper=True)
    with pytest.raises(TypeError, match="one dtype, got torch.float64 and torch.float32"):
        ad.linalg.solve_triangular(A, ad.ones(3, 1), upper=True)
    with pytest.raises(ValueError, match=r"expects square matrices .* \(3, 2\)"):
        ad.linalg.solve_triangular(A[:, :2], ad.ones(3, 1, dtype=ad.float64), upper=True)
    with pytest.raises(RuntimeError):
        torch.linalg.solve_triangular(torch.eye(3), torch.ones(3), upper=True)


def test_solve_triangular_reads_one_triangle_and_broadcasts_batches_as_torch():
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal((2, 3, 2))
    (A, B), (A_t, B_t) = zip(_both(a), _both(b))
    for upper in (True, False):
        for unit in (True, False):
            out = ad.linalg.solve_triangular(A + 3 * ad.eye(3), B, upper=upper, unitriangular=unit)
            out_t = torch.linalg.solve_triangular(A_t + 3 * torch.eye(3), B_t, upper=upper,
                                                  unitriangular=unit)  # fmt: skip
            _same(out, out_t, rtol=1e-10)
    zero_diagonal = ad.linalg.solve_triangular(ad.zeros(2, 2), ad.ones(2, 1), upper=True)
    assert not np.isfinite(
        zero_diagonal.detach().numpy()
    ).any()  # inf/nan, as LAPACK's trtrs: no error


def test_matrix_rank_edge_cases_match_torch():
    for a in [np.zeros((0, 3)), np.zeros((2, 3)), np.eye(4)[:, :2], RNG.standard_normal((2, 3, 3))]:
        ours, theirs = _both(a)
        _same(ad.linalg.matrix_rank(ours), torch.linalg.matrix_rank(theirs))
    with pytest.raises(ValueError, match=r"matrix_rank: expects matrices .* got shape \(3,\)"):
        ad.linalg.matrix_rank(ad.ones(3))
    with pytest.raises(TypeError, match="matrix_rank: expects a floating tensor"):
        ad.linalg.matrix_rank(ad.ones(2, 2, dtype=ad.int64))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
def test_cond_matches_torch_including_singular_and_batched(p):
    a = np.concatenate([RNG.standard_normal((2, 3, 3)), [np.zeros((3, 3))], [np.eye(3)]])
    ours, theirs = _both(a)
    _same(ad.linalg.cond(ours, p), torch.linalg.cond(theirs, p), rtol=1e-10)  # nan, inf too


def test_cond_of_a_rectangular_matrix_and_bad_norms():
    a = RNG.standard_normal((4, 2))
    ours, theirs = _both(a)
    _same(ad.linalg.cond(ours), torch.linalg.cond(theirs), rtol=1e-10)
    with pytest.raises(ValueError, match=r"expects square matrices .* \(4, 2\)"):
        ad.linalg.cond(ours, "fro")
    with pytest.raises(ValueError, match="linalg.cond: p must be one of"):
        ad.linalg.cond(ours, 3)
    with pytest.raises(RuntimeError):
        torch.linalg.cond(theirs, "fro")


def test_vander_matches_torch_for_integers_floats_and_n_2():
    for x, N in [([1, 2, 3], None), ([1.5, -2.0], 2), ([[1.0, 2.0, 3.0], [0.5, 0.0, 2.0]], 4)]:
        ours, theirs = _both(np.array(x))
        _same(ad.linalg.vander(ours, N=N), torch.linalg.vander(theirs, N=N))
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    ad.linalg.vander(x, N=2).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [1.0, 1.0])
    for bad, message in [(ad.tensor([1.0, 2.0]), "N must be greater than 1, got N=1")]:
        with pytest.raises(ValueError, match=message):
            ad.linalg.vander(bad, N=1)
    with pytest.raises(ValueError, match="x must have at least one dimension"):
        ad.linalg.vander(ad.tensor(2.0))
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        torch.linalg.vander(torch.tensor([1.0, 2.0]), N=1)


def test_tensorinv_and_tensorsolve_match_torch_and_refuse_bad_shapes():
    a = RNG.standard_normal((2, 3, 6))
    ours, theirs = _both(a)
    _same(ad.linalg.tensorinv(ours, ind=2), torch.linalg.tensorinv(theirs, ind=2), rtol=1e-9)
    b = RNG.standard_normal((2, 3))
    _same(
        ad.linalg.tensorsolve(ours, ad.tensor(b)),
        torch.linalg.tensorsolve(theirs, torch.tensor(b)),
        rtol=1e-9,
    )
    moved = RNG.standard_normal((6, 2, 3))
    (m, m_t), (c, c_t) = _both(moved), _both(RNG.standard_normal((2, 3)))
    _same(
        ad.linalg.tensorsolve(m, c, dims=(0,)),
        torch.linalg.tensorsolve(m_t, c_t, dims=(0,)),
        rtol=1e-9,
    )
    with pytest.raises(ValueError, match=r"tensorinv: the first ind=2 dims \(2, 3\) and the rest"):
        ad.linalg.tensorinv(ad.ones(2, 3, 5, dtype=ad.float64))
    with pytest.raises(ValueError, match="ind must be a positive integer, got 0"):
        ad.linalg.tensorinv(ours, ind=0)
    with pytest.raises(ValueError, match=r"tensorsolve: A \(2, 3, 6\) and B \(5,\) do not fit"):
        ad.linalg.tensorsolve(ours, ad.ones(5, dtype=ad.float64))
    flat = ad.linalg.tensorsolve(ours, ad.tensor(b.T.copy()))  # B's element count is what counts
    _same(flat, torch.linalg.tensorsolve(theirs, torch.tensor(b.T.copy())), rtol=1e-9)
    for call in (lambda: torch.linalg.tensorinv(torch.ones(2, 3, 5), ind=2),
                 lambda: torch.linalg.tensorsolve(theirs, torch.ones(5, dtype=torch.float64))):  # fmt: skip
        with pytest.raises(RuntimeError):
            call()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_eig_and_eigvals_give_torchs_complex_values(dtype):
    a = RNG.standard_normal((2, 3, 3)).astype(dtype)
    ours, theirs = _both(a)
    (values, vectors), (values_t, vectors_t) = ad.linalg.eig(ours), torch.linalg.eig(theirs)
    _same(values, values_t, rtol=1e-5)
    if dtype == "float32":  # torch runs sgeev: each vector the same up to its sign
        vectors, vectors_t = vectors.abs(), vectors_t.abs()
    _same(vectors, vectors_t, rtol=1e-5)
    _same(ad.linalg.eigvals(ours), torch.linalg.eigvals(theirs), rtol=1e-5)
    _same(ad.linalg.eigvals(ad.zeros(0, 0)), torch.linalg.eigvals(torch.zeros(0, 0)))


def test_eig_refuses_a_gradient_it_cannot_carry_and_names_eigh():
    a = ad.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    for op in (ad.linalg.eig, ad.linalg.eigvals):
        with pytest.raises(NotImplementedError, match=r"complex .* use linalg.eigh .*detach"):
            op(a)
        with ad.no_grad():
            assert op(a)[0].dtype == ad.complex128
        assert op(a.detach())[0].dtype == ad.complex128
    with pytest.raises(ValueError, match=r"linalg.eig: expects square matrices .* \(2, 3\)"):
        ad.linalg.eig(ad.ones(2, 3))
    with pytest.raises(TypeError, match="linalg.eigvals: expects a floating tensor"):
        ad.linalg.eigvals(ad.ones(2, 2, dtype=ad.int64))
    with pytest.raises(RuntimeError):
        torch.linalg.eig(torch.ones(2, 3))


def test_householder_product_and_orgqr_match_torch_and_refuse_bad_shapes():
    a, tau = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 2))
    (A, T), (A_t, T_t) = zip(_both(a), _both(tau))
    _same(ad.linalg.householder_product(A, T), torch.linalg.householder_product(A_t, T_t))
    _same(A.orgqr(T), A_t.orgqr(T_t))
    _same(ad.orgqr(A, T[..., :0]), torch.orgqr(A_t, T_t[..., :0]))  # no reflectors: I's columns
    for bad_a, bad_tau in [(a[..., :2, :], tau), (a, RNG.standard_normal((2, 4))), (a[0], tau)]:
        with pytest.raises(ValueError, match="householder_product: A .* and tau .* do not fit"):
            ad.linalg.householder_product(ad.tensor(bad_a), ad.tensor(bad_tau))
        with pytest.raises(RuntimeError):
            torch.linalg.householder_product(torch.tensor(bad_a), torch.tensor(bad_tau))
    with pytest.raises(TypeError, match="one dtype"):
        ad.linalg.householder_product(A, T.float())


def _spd(n=3, batch=(2,)):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_and_the_tensor_methods_match_torch(upper):
    L = np.linalg.cholesky(_spd())
    L = np.swapaxes(L, -1, -2) if upper else L
    b = RNG.standard_normal((2, 3, 2))
    (F, B), (F_t, B_t) = zip(_both(L), _both(b))
    _same(ad.cholesky_solve(B, F, upper), torch.cholesky_solve(B_t, F_t, upper))
    _same(B.cholesky_solve(F, upper=upper), B_t.cholesky_solve(F_t, upper=upper))
    _same(ad.cholesky_inverse(F, upper), torch.cholesky_inverse(F_t, upper), rtol=1e-10)
    _same(F.cholesky_inverse(upper), F_t.cholesky_inverse(upper), rtol=1e-10)
    S, S_t = _both(_spd())
    _same(S.cholesky(upper=upper), S_t.cholesky(upper=upper))
    with pytest.raises(ValueError, match=r"cholesky_solve: B \(2, 2, 2\) and L \(2, 3, 3\)"):
        ad.cholesky_solve(B[:, :2], F)
    with pytest.raises(TypeError, match="cholesky_solve: B and L must have one dtype"):
        ad.cholesky_solve(B.float(), F)
    with pytest.raises(RuntimeError):
        torch.cholesky_solve(B_t[:, :2], F_t)


@pytest.mark.filterwarnings("ignore:torch.lu is deprecated", "ignore:torch.lu_solve is deprec")
@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
def test_torchs_older_lu_and_triangular_solve_and_their_methods():
    a, b = RNG.standard_normal((2, 3, 3)), RNG.standard_normal((2, 3, 2))
    (A, B), (A_t, B_t) = zip(_both(a), _both(b))
    for mine, yours in zip(ad.lu(A, get_infos=True), torch.lu(A_t, get_infos=True)):
        _same(mine, yours, rtol=1e-10)
    for mine, yours in zip(A.lu(), A_t.lu()):
        _same(mine, yours, rtol=1e-10)
    _same(ad.lu_solve(B, *ad.lu(A)), torch.lu_solve(B_t, *torch.lu(A_t)), rtol=1e-9)
    _same(B.lu_solve(*A.lu()), B_t.lu_solve(*A_t.lu()), rtol=1e-9)
    for mine, yours in zip(ad.lu(ad.zeros(2, 2)), torch.lu(torch.zeros(2, 2))):
        _same(mine, yours)  # a singular A is no error for torch.lu
    for flags in [{}, dict(upper=False, transpose=True, unitriangular=True)]:
        out, out_t = ad.triangular_solve(B, A, **flags), torch.triangular_solve(B_t, A_t, **flags)
        _same(out.solution, out_t.solution, rtol=1e-9)
        _same(out.cloned_coefficient, out_t.cloned_coefficient)
        _same(B.triangular_solve(A, **flags)[0], B_t.triangular_solve(A_t, **flags)[0], rtol=1e-9)


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
def test_tensor_qr_svd_and_pinverse_take_torchs_arguments():
    a = RNG.standard_normal((4, 3))
    A, A_t = _both(a)
    for some in (True, False):
        for mine, yours in zip(A.qr(some), A_t.qr(some)):
            _same(mine.abs(), yours.abs(), rtol=1e-10)  # the signs of Q's columns are LAPACK's
        for mine, yours in zip(A.svd(some), A_t.svd(some)):
            _same(mine.abs(), yours.abs(), rtol=1e-10)
    _same(A.pinverse(), A_t.pinverse(), rtol=1e-10)
    _same(ad.pinverse(A, rcond=0.5), torch.pinverse(A_t, rcond=0.5), rtol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3), (3, 0)])
def test_geqrf_matches_lapacks_through_torch(shape):
    a = RNG.standard_normal(shape)
    ours, theirs = _both(a)
    for mine, yours in zip(ad.geqrf(ours), torch.geqrf(theirs)):
        _same(mine, yours, rtol=1e-10)
    _same(ours.geqrf().tau, theirs.geqrf().tau, rtol=1e-10)
    if shape[-1] and shape[-2] >= shape[-1]:  # Q R gives A back
        packed, tau = ad.geqrf(ours)
        Q = ad.linalg.householder_product(packed, tau)
        np.testing.assert_allclose(
            (Q @ packed[..., : shape[-1], :].triu()).detach().numpy(), a, atol=1e-12
        )


def test_geqrf_has_no_derivative_as_in_torch_and_a_zero_column_is_left_alone():
    a = ad.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    packed, tau = ad.geqrf(a)
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf' is not implemented"):
        (packed.sum() + tau.sum()).backward()
    for mine, yours in zip(ad.geqrf(ad.zeros(3, 2)), torch.geqrf(torch.zeros(3, 2))):
        _same(mine, yours)
    with pytest.raises(ValueError, match=r"geqrf: expects matrices .* \(3,\)"):
        ad.geqrf(ad.ones(3))


def test_ormqr_applies_geqrfs_q_as_torch_and_refuses_what_does_not_fit():
    a, c = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))
    (A, C), (A_t, C_t) = zip(_both(a), _both(c))
    packed, tau = ad.geqrf(A)
    packed_t, tau_t = torch.geqrf(A_t)
    for transpose in (False, True):
        _same(ad.ormqr(packed, tau, C, transpose=transpose),
              torch.ormqr(packed_t, tau_t, C_t, transpose=transpose), rtol=1e-10)  # fmt: skip
        _same(packed.ormqr(tau, C.mT, left=False, transpose=transpose),
              packed_t.ormqr(tau_t, C_t.mT, left=False, transpose=transpose), rtol=1e-10)  # fmt: skip
    Q = ad.ormqr(packed, tau, ad.eye(4, dtype=ad.float64))  # Q itself: orthogonal, Q R = A
    np.testing.assert_allclose((Q.mT @ Q).detach().numpy(), np.eye(4), atol=1e-12)
    for bad in [(packed, tau[:2], C), (packed, tau, C[:3]), (packed, tau, C, False)]:
        with pytest.raises(ValueError, match="ormqr: input .* do not fit"):
            ad.ormqr(*bad)
        with pytest.raises(RuntimeError):
            torch.ormqr(
                *(torch.tensor(t.detach().numpy()) if isinstance(t, ad.Tensor) else t for t in bad)
            )


def _symmetric(batch, n, small_diagonal):
    a = RNG.standard_normal(batch + (n, n))
    a = a + np.swapaxes(a, -1, -2)
    return a - a * np.eye(n) * 0.99 if small_diagonal else a  # small diagonals: 2 x 2 blocks


@pytest.mark.parametrize("small_diagonal", [False, True])
@pytest.mark.parametrize("shape", [((), 1), ((), 4), ((3,), 5)])
def test_ldl_factor_and_solve_match_lapacks_through_torch(shape, small_diagonal):
    a = _symmetric(*shape, small_diagonal)
    ours, theirs = _both(a)
    for mine, yours in zip(ad.linalg.ldl_factor_ex(ours), torch.linalg.ldl_factor_ex(theirs)):
        _same(mine, yours, rtol=1e-10)
    LD, pivots = ad.linalg.ldl_factor(ours, hermitian=True)
    LD_t, pivots_t = torch.linalg.ldl_factor(theirs, hermitian=True)
    b = RNG.standard_normal(a.shape[:-1] + (2,))
    _same(ad.linalg.ldl_solve(LD, pivots, ad.tensor(b)),
          torch.linalg.ldl_solve(LD_t, pivots_t, torch.tensor(b)), rtol=1e-8)  # fmt: skip
    np.testing.assert_allclose(ad.linalg.ldl_solve(LD, pivots, ad.tensor(b)).detach().numpy(),
                               np.linalg.solve(a, b), rtol=1e-8, atol=1e-10)  # fmt: skip


def test_ldl_of_singular_matrices_and_its_errors():
    a = np.stack([np.zeros((3, 3)), [[1.0, 1, 0], [1, 1, 0], [0, 0, 0]], np.eye(3)])
    ours, theirs = _both(a)
    for mine, yours in zip(ad.linalg.ldl_factor_ex(ours), torch.linalg.ldl_factor_ex(theirs)):
        _same(mine, yours)
    with pytest.raises(ad.linalg.LinAlgError, match="ldl_factor: .*singular"):
        ad.linalg.ldl_factor(ours)
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(theirs)
    x = ad.tensor(_symmetric((), 3, False), requires_grad=True)
    LD, pivots = ad.linalg.ldl_factor(x)
    theirs_node = torch.linalg.ldl_factor(torch.tensor(x.detach().numpy(), requires_grad=True))[
        0
    ].grad_fn
    assert LD.grad_fn.name() == type(theirs_node).__name__ == "NotImplemented"  # as it prints
    with pytest.raises(NotImplementedError, match="not implemented"):
        LD.sum().backward()
    with pytest.raises(ValueError, match=r"ldl_solve: LD \(3, 3\) and B \(2, 1\) do not fit"):
        ad.linalg.ldl_solve(LD, pivots, ad.ones(2, 1, dtype=ad.float64))
    with pytest.raises(ValueError, match="ldl_solve: pivots must be integers"):
        ad.linalg.ldl_solve(LD, pivots.double(), ad.ones(3, 1, dtype=ad.float64))
    with pytest.raises(ValueError, match=r"linalg.ldl_factor: expects square matrices"):
        ad.linalg.ldl_factor(ad.ones(2, 3, dtype=ad.float64))
