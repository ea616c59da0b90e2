"""Where a new op goes (docs/architecture.md), checked: every public op of autodiff, every
function of autodiff.linalg and every public Tensor method has a row in optable.py (float64
finite differences and torch), is an in-place form (test_inplace.py derives those from the
Tensor class), is a discrete op compared with torch below, or is listed here with its reason."""

from pathlib import Path

import numpy as np
import pytest
from optable import ROWS

import autodiff as ad

# ops whose results carry no gradient (comparisons, tests of values, indices, counts): each is
# compared with torch here, on values with ties, zeros, infinities and NaNs where they matter
DISCRETE = {
    "all": lambda lib, x: (x > 0).all(dim=1),
    "any": lambda lib, x: lib.any(x > 1),
    "allclose": lambda lib, x: lib.allclose(x, x + 1e-9),
    "argmax": lambda lib, x: x.argmax(dim=0),
    "linalg.matrix_rank": lambda lib, x: (
        lib.linalg.matrix_rank(x),
        lib.linalg.matrix_rank(x @ x.mT, hermitian=True),
        lib.linalg.matrix_rank(x, atol=1.5),
        lib.linalg.matrix_rank(x.reshape(2, 2, 3), rtol=0.5),
        lib.linalg.matrix_rank(x[:, :1] * x[0]),  # rank one
    ),
    "argmin": lambda lib, x: lib.argmin(x),
    "count_nonzero": lambda lib, x: lib.count_nonzero(x, dim=(0, -1)),
    "signbit": lambda lib, x: (x * -1).signbit(),
    "isin": lambda lib, x: (lib.isin(x, x[0]), lib.isin(x, x[:, 0], invert=True)),
    "isreal": lambda lib, x: x.isreal(),
    "argsort": lambda lib, x: x.argsort(dim=1, descending=True),
    "argwhere": lambda lib, x: lib.argwhere(x > 0),
    "eq": lambda lib, x: x.eq(0.5),
    "equal": lambda lib, x: lib.equal(x, x.clone()),
    "ge": lambda lib, x: x.ge(0.0),
    "gt": lambda lib, x: lib.gt(x, x.flip(1)),
    "le": lambda lib, x: x.le(0.5),
    "lt": lambda lib, x: lib.lt(x, 0.0),
    "ne": lambda lib, x: x.ne(x.flip(0)),
    "isclose": lambda lib, x: lib.isclose(x, x.flip(1), atol=0.6),
    "isfinite": lambda lib, x: (x / x.sum(0)).isfinite(),
    "isinf": lambda lib, x: lib.isinf(1 / x),
    "isnan": lambda lib, x: (x / 0).isnan(),
    "nonzero": lambda lib, x: x.nonzero(),
    "unique": lambda lib, x: lib.unique(x, return_counts=True),
    "histc": lambda lib, x: x.histc(bins=4, min=-1, max=2),
    "histogram": lambda lib, x: lib.histogram(x, bins=4, range=(-1.0, 2.0)),
    "bool": lambda lib, x: x.bool(),
    "int": lambda lib, x: (x * 3).int(),
    "long": lambda lib, x: (x * 3).long(),
    "byte": lambda lib, x: (x * 3).byte(),
    "char": lambda lib, x: (x * -3).char(),
    "short": lambda lib, x: (x * 3).short(),
    "greater": lambda lib, x: lib.greater(x, 0.5),
    "greater_equal": lambda lib, x: x.greater_equal(x.flip(0)),
    "less": lambda lib, x: x.less(0.0),
    "less_equal": lambda lib, x: lib.less_equal(x, x.flip(1)),
    "not_equal": lambda lib, x: x.not_equal(0.5),
    "isposinf": lambda lib, x: (1 / x).isposinf(),
    "isneginf": lambda lib, x: lib.isneginf(-1 / x),
    "logical_and": lambda lib, x: lib.logical_and(x, x.flip(0)),
    "logical_or": lambda lib, x: x.logical_or(x.flip(1)),
    "logical_xor": lambda lib, x: lib.logical_xor(x, x > 0.5),
    "logical_not": lambda lib, x: x.logical_not(),
    "bitwise_and": lambda lib, x: lib.bitwise_and((x * 4).long(), (x * 2).long().flip(0)),
    "bitwise_or": lambda lib, x: (x * 4).long().bitwise_or(3),
    "bitwise_xor": lambda lib, x: lib.bitwise_xor((x * 4).long(), (x * 4).long().flip(1)),
    "bitwise_not": lambda lib, x: (x * 4).long().bitwise_not(),
    "bitwise_left_shift": lambda lib, x: lib.bitwise_left_shift((x * 4).long(), 2),
    "bitwise_right_shift": lambda lib, x: (x * -4).long().bitwise_right_shift(1),
    "searchsorted": lambda lib, x: lib.searchsorted(x.sort(dim=1).values, x, right=True),
    "bucketize": lambda lib, x: lib.bucketize(x, lib.tensor([-0.5, 0.0, 0.5, 1.0])),
    "bincount": lambda lib, x: (x * 2 + 2).long().flatten().bincount(minlength=9),
    "unravel_index": lambda lib, x: lib.unravel_index((x * 4 + 4).long(), (3, 4)),
    "gcd": lambda lib, x: lib.gcd((x * 4).long(), (x * 6).long().flip(0)),
    "lcm": lambda lib, x: (x * 4).long().lcm((x * -2).long().flip(1)),
    "unique_consecutive": lambda lib, x: lib.unique_consecutive(
        x, return_inverse=True, return_counts=True
    ),
}
# names with no row, by reason; a reason that names a test file is checked to mention the name
NO_ROW = {
    "the sparse COO layout: its conversions and accessors take no gradient (a sparse tensor "
    "refuses requires_grad); values, products and gradients against torch bit for bit on "
    "hypothesis-drawn inputs in tests/autodiff/test_sparse.py": [
        "coalesce",
        "dense_dim",
        "indices",
        "is_coalesced",
        "sparse_dim",
        "to_dense",
        "to_sparse",
        "to_sparse_coo",
        "values",
    ],
    "not differentiable in torch (no gradient to check): values against torch on "
    "hypothesis-drawn inputs in tests/autodiff/test_special_bessel.py": [
        "special.airy_ai",
        "special.bessel_j0",
        "special.bessel_j1",
        "special.bessel_y0",
        "special.bessel_y1",
        "special.modified_bessel_i0",
        "special.modified_bessel_i1",
        "special.modified_bessel_k0",
        "special.modified_bessel_k1",
        "special.scaled_modified_bessel_k0",
        "special.scaled_modified_bessel_k1",
        "special.spherical_bessel_j0",
    ],
    "not differentiable in torch (no gradient to check): values against torch on "
    "hypothesis-drawn inputs in tests/autodiff/test_special_polynomials.py": [
        "special.chebyshev_polynomial_t",
        "special.chebyshev_polynomial_u",
        "special.chebyshev_polynomial_v",
        "special.chebyshev_polynomial_w",
        "special.hermite_polynomial_h",
        "special.hermite_polynomial_he",
        "special.laguerre_polynomial_l",
        "special.legendre_polynomial_p",
        "special.shifted_chebyshev_polynomial_t",
        "special.shifted_chebyshev_polynomial_u",
        "special.shifted_chebyshev_polynomial_v",
        "special.shifted_chebyshev_polynomial_w",
    ],
    "zeta's gradient in q only (torch's): gradcheck, second order and torch's values in "
    "tests/autodiff/test_special_zeta.py": ["special.zeta"],
    "draws: bit for bit with torch's generator in tests/autodiff/test_random.py": [
        "bernoulli",
        "multinomial",
    ],
    "float16 conversion: the to_float32 row checks the same ToCopy op (central differences "
    "cannot resolve float16); dtype in tests/autodiff/test_torch_surface.py": ["half"],
    "bfloat16 conversion: the same ToCopy op as to_float32's row (central differences cannot "
    "resolve bfloat16); rounding, values and gradients against torch in "
    "tests/autodiff/test_bfloat16.py": ["bfloat16"],
    "the graph itself, not an op: tests/autodiff/test_semantics.py": [
        "backward",
        "detach",
        "grad",
        "grad_fn",
        "is_leaf",
        "register_hook",
        "requires_grad",
        "retain_grad",
        "retains_grad",
    ],
    "storage shared with the tensor (no graph): tests/autodiff/test_inplace.py": ["data"],
    "a hook of the graph, not an op: tests/autodiff/test_statistics.py": [
        "register_post_accumulate_grad_hook"
    ],
    "a tensor's facts, read out to Python: tests/autodiff/test_torch_surface.py": [
        "device",
        "dim",
        "dtype",
        "element_size",
        "is_contiguous",
        "is_cuda",
        "is_mps",
        "is_xpu",
        "is_ipu",
        "is_maia",
        "is_mtia",
        "is_vulkan",
        "is_xla",
        "is_sparse_csr",
        "layout",
        "is_floating_point",
        "nelement",
        "numel",
        "type",
    ],
    "the tensor's values and shape, out to Python: tests/autodiff/test_torch_surface.py": [
        "item",
        "ndim",
        "numpy",
        "shape",
        "size",
        "tolist",
    ],
    "devices: the CPU only, tests/autodiff/test_torch_surface.py": ["cpu", "cuda"],
    "torch's legacy constructor with a tensor's dtype: tests/autodiff/test_names5.py": ["new"],
    "a view op, then clone (the *_copy family): values and gradients against torch in "
    "tests/autodiff/test_names5.py": list(ad.ops.copies.__all__),
    "creation from a tensor's dtype: tests/autodiff/test_torch_surface.py": [
        "new_empty",
        "new_full",
        "new_ones",
        "new_tensor",
        "new_zeros",
    ],
    "a label for pictures: tests/viz": ["name"],
    "views by storage geometry (overlapping windows, offsets outside the tensor), against "
    "torch and gradcheck in tests/autodiff/test_as_strided.py": [
        "as_strided",
        "as_strided_",
        "as_strided_scatter",
    ],
    "draws, a finite-difference estimate, norms, index_reduce, nonzero_static and matrix_rank "
    "(torch's removal message): values, gradients and errors against torch in "
    "tests/autodiff/test_surface2_names.py": [
        "binomial",
        "frobenius_norm",
        "gradient",
        "histogramdd",
        "index_reduce",
        "matrix_rank",
        "nonzero_static",
        "nuclear_norm",
        "poisson",
    ],
    "a tensor's facts and torch's aliases without a node: tests/autodiff/test_aliases.py": [
        "conj",
        "resolve_conj",
        "resolve_neg",
        "is_conj",
        "is_neg",
        "is_inference",
        "is_pinned",
        "is_shared",
        "is_sparse",
        "is_quantized",
        "is_meta",
        "is_mkldnn",
        "is_nested",
        "get_device",
        "is_complex",
        "is_cpu",
        "is_nonzero",
        "is_same_size",
        "is_signed",
        "itemsize",
        "nbytes",
        "ndimension",
        "positive",
        "storage_offset",
        "stride",
    ],
    "complex tensors (complex inputs or outputs, outside the float64 op table): gradients "
    "against torch's and finite differences in tests/autodiff/test_complex.py": [
        "angle",
        "complex",
        "conj_physical",
        "polar",
        "view_as_complex",
        "view_as_real",
    ],
    "torch.stft and torch.istft as methods (compositions of indexing, torch.fft and "
    "index_add): values and gradients against torch in tests/autodiff/test_fft.py": [
        "istft",
        "stft",
    ],
    "where a tensor's memory is, not its values (views relate as torch's): "
    "tests/autodiff/test_storage.py": ["data_ptr", "untyped_storage"],
    "torch's function spelling of a Tensor method (torch.abs_(x) is x.abs_()), and a real "
    "tensor's real/imag: tests/autodiff/test_names5.py": [
        "real",
        "imag",
        *(n for n in ad.ops.methods.__all__ if n.endswith("_")),
    ],
    "an exception class (a RuntimeError, as torch's): tests/autodiff/test_linalg_factorizations.py": [
        "linalg.LinAlgError"
    ],
    "complex results, which carry no gradient here (refused when A needs one), compared with "
    "torch in tests/autodiff/test_linalg_factorizations.py": ["linalg.eig", "linalg.eigvals"],
    "no derivative in torch (GeqrfBackward0 raises in backward), compared with torch in "
    "tests/autodiff/test_linalg_factorizations.py": ["geqrf"],
    "no derivative in torch (their node is NotImplemented), compared with torch in "
    "tests/autodiff/test_linalg_factorizations.py": [
        "linalg.ldl_factor",
        "linalg.ldl_factor_ex",
        "linalg.ldl_solve",
    ],
    "no derivative in torch (its node, NotImplemented, raises in backward): compared with torch "
    "in tests/autodiff/test_modulo_and_statistics.py": ["floor_divide", "heaviside"],
    "torch.special's spelling of an op with a row, compared with torch.special in "
    "tests/autodiff/test_special.py": [
        "special.log_softmax",
        "special.logsumexp",
        "special.multigammaln",
        "special.round",
        "special.softmax",
    ],
}
NO_ROW_NAMES = {n for names in NO_ROW.values() for n in names}


def _public_names() -> set:
    """ad.X for every op, linalg.X for autodiff.linalg, and every public Tensor attribute but
    the in-place forms (test_inplace.py)."""
    names = set(ad.ops.__all__) | {f"linalg.{n}" for n in ad.linalg.__all__}
    names |= {f"special.{n}" for n in ad.special.__all__}
    names |= {n for n in dir(ad.Tensor) if not n.startswith("_") and not n.endswith("_")}
    return names


def _covered() -> set:
    """The names rows check: each row's name and covers, and linalg.X where it is ad.X."""
    names = {op.name for op in ROWS} | {n for op in ROWS for n in op.covers}
    names |= {
        f"linalg.{n}"
        for n in ad.linalg.__all__
        if n in names and getattr(ad.linalg, n) is getattr(ad.ops, n, None)
    }
    rows_of = {getattr(ad.ops, n): n for n in ad.ops.__all__ if n in names}
    names |= {f"special.{n}" for n in ad.special.__all__ if getattr(ad.special, n) in rows_of}
    return names | set(DISCRETE)


def test_every_public_op_and_tensor_method_has_a_row_or_a_reason():
    missing = sorted(_public_names() - _covered() - NO_ROW_NAMES)
    assert not missing, (
        f"no op-table row for {missing}: add a row to tests/autodiff/optable.py (a new name of "
        "an op that has a row: that row's covers=), a discrete op to DISCRETE, or a reason to "
        "NO_ROW in tests/autodiff/test_surface_rows.py"
    )


def test_no_row_reasons_are_current():
    public = _public_names()
    stale = sorted(NO_ROW_NAMES - public)
    assert not stale, f"NO_ROW lists names that are no longer public: {stale}"
    doubled = sorted(NO_ROW_NAMES & _covered())
    assert not doubled, f"NO_ROW lists names that have a row: {doubled}"
    rows = {op.name for op in ROWS}
    assert not set(DISCRETE) - public, "DISCRETE names an op that is not public"
    assert not set(DISCRETE) & rows, "DISCRETE names an op that has a row"
    for op in ROWS:
        unknown = [n for n in op.covers if n not in public or n in rows]
        assert not unknown, f"row {op.name}: covers={unknown} names no other public name"


@pytest.mark.parametrize("reason", [r for r in NO_ROW if "tests/" in r])
def test_a_reason_names_a_test_that_uses_each_name(reason):
    where = Path(__file__).parents[2] / reason[reason.index("tests/") :]
    files = [where] if where.suffix == ".py" else sorted(where.rglob("*.py"))
    text = "".join(f.read_text() for f in files)
    for name in NO_ROW[reason]:
        module, _, bare = name.rpartition(".")
        forms = [f".{name}", f"{name}(", f'"{name}"']
        if module and f".{module}" in text:  # a table of the module's names: getattr(ad.special, n)
            forms.append(f'"{bare}"')
        assert any(form in text for form in forms), f"{where} does not use {name}"


def _same(ours, theirs, name):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            _same(a, b, name)
        return
    if isinstance(theirs, bool):
        assert ours is theirs, name
        return
    assert not ours.requires_grad and ours.grad_fn is None, name  # torch's unique records a
    assert str(ours.dtype) == str(theirs.dtype), (name, ours.dtype, theirs.dtype)  # node
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), err_msg=name)


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_ops_match_torch_and_carry_no_gradient(name):
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, -1.0, 0.0, 2.0], [0.5, 0.0, -0.25, 1.5], [-1.0, 2.0, 0.5, 0.5]])
    call = DISCRETE[name]
    ours = call(ad, ad.tensor(values, requires_grad=True))
    theirs = call(torch, torch.tensor(values, requires_grad=True))
    _same(ours, theirs, name)
