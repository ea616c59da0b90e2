"""torch.distributions.constraints: what a parameter or a value must satisfy. check(value)
answers a bool tensor (False where the constraint fails), reduced over the constraint's
event dims; the reprs are torch's, since validate_args' error messages show them."""

import numpy as np

from .. import creation

__all__ = [
    "Constraint",
    "MixtureSameFamilyConstraint",
    "boolean",
    "cat",
    "corr_cholesky",
    "dependent",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "less_than",
    "lower_cholesky",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_semidefinite",
    "real",
    "real_vector",
    "simplex",
    "stack",
    "unit_interval",
]


def _array(value) -> np.ndarray:
    return np.asarray(value.detach().numpy(force=True) if hasattr(value, "detach") else value)


class Constraint:
    """A region of values. is_discrete: integer-valued; event_dim: how many rightmost dims
    one check covers (the simplex covers a vector, so 1)."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError(f"{type(self).__name__}.check is not defined")

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters: never checked (torch's dependent)."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


class _Real(Constraint):
    def check(self, value):
        x = _array(value)
        return creation.tensor(x == x)  # not NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        x = _array(value)
        return creation.tensor((x == 0) | (x == 1))


class _Bounded(Constraint):
    """One or two bounds; the subclasses say which sides are closed."""

    def __init__(self, lower_bound=None, upper_bound=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def __repr__(self) -> str:
        bounds = []
        if self.lower_bound is not None:
            bounds.append(f"lower_bound={self.lower_bound}")
        if self.upper_bound is not None:
            bounds.append(f"upper_bound={self.upper_bound}")
        return f"{type(self).__name__.lstrip('_')}({', '.join(bounds)})"


class _GreaterThan(_Bounded):
    def check(self, value):
        return creation.tensor(_array(self.lower_bound) < _array(value))


class _GreaterThanEq(_Bounded):
    def check(self, value):
        return creation.tensor(_array(self.lower_bound) <= _array(value))


class _LessThan(_Bounded):
    def __init__(self, upper_bound):
        super().__init__(None, upper_bound)

    def check(self, value):
        return creation.tensor(_array(value) < _array(self.upper_bound))


class _Interval(_Bounded):
    def check(self, value):
        x = _array(value)
        return creation.tensor((_array(self.lower_bound) <= x) & (x <= _array(self.upper_bound)))


class _HalfOpenInterval(_Bounded):
    def check(self, value):
        x = _array(value)
        return creation.tensor((_array(self.lower_bound) <= x) & (x < _array(self.upper_bound)))


class _IntegerInterval(_Bounded):
    is_discrete = True

    def check(self, value):
        x = _array(value)
        ok = (x % 1 == 0) & (_array(self.lower_bound) <= x) & (x <= _array(self.upper_bound))
        return creation.tensor(ok)


class _IntegerGreaterThan(_Bounded):
    is_discrete = True

    def check(self, value):
        x = _array(value)
        return creation.tensor((x % 1 == 0) & (x >= _array(self.lower_bound)))


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        x = _array(value)
        # np.add.reduce: a NaN or inf row is refused quietly (ndarray.sum's wrapper would warn)
        ok = np.all(x >= 0, axis=-1) & (np.abs(np.add.reduce(x, axis=-1) - 1) < 1e-6)
        return creation.tensor(ok)


class _OneHot(Constraint):
    """Vectors of zeros with a single one."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        x = _array(value)
        return creation.tensor(np.all((x == 0) | (x == 1), axis=-1) & (x.sum(-1) == 1))


class _Multinomial(Constraint):
    """Count vectors: nonnegative, summing to at most upper_bound (torch checks this weaker
    condition, not the sum being equal to it)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        x = _array(value)
        return creation.tensor(np.all(x >= 0, axis=-1) & (x.sum(-1) <= self.upper_bound))


class _IndependentConstraint(Constraint):
    """base_constraint over reinterpreted_batch_ndims more rightmost dims."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = _array(self.base_constraint.check(value))
        n = self.reinterpreted_batch_ndims
        if ok.ndim < n:
            raise ValueError(
                f"IndependentConstraint.check: expected value.dim() >= {self.event_dim}, "
                f"but got {np.ndim(_array(value))}"
            )
        return creation.tensor(ok.reshape(ok.shape[: ok.ndim - n] + (-1,)).all(-1))

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """The components' constraint on a mixture's value: checked with the component dim
    added back (the value broadcast against every component), all of them passing."""

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, Constraint):
            raise AssertionError(
                f"base_constraint must be a Constraint, got {type(base_constraint).__name__}"
            )
        self.base_constraint = base_constraint
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim

    def check(self, value):
        x = _array(value)
        if x.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {x.ndim}")
        ok = _array(self.base_constraint.check(np.expand_dims(x, -1 - self.event_dim)))
        keep = x.ndim - self.event_dim
        return creation.tensor(ok.reshape(ok.shape[:keep] + (-1,)).all(-1))

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _LowerCholesky(Constraint):
    """Lower triangular with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        x = _array(value)
        lower = np.all(np.tril(x) == x, axis=(-2, -1))
        positive = np.all(np.diagonal(x, axis1=-2, axis2=-1) > 0, axis=-1)
        return creation.tensor(lower & positive)


class _PositiveDefinite(Constraint):
    """Symmetric, with a Cholesky factor."""

    event_dim = 2

    def check(self, value):
        x = _array(value)
        symmetric = np.all(np.isclose(x, np.swapaxes(x, -1, -2), atol=1e-6), axis=(-2, -1))
        flat = x.reshape((-1,) + x.shape[-2:])
        factored = np.array([_has_cholesky(m) for m in flat], bool).reshape(x.shape[:-2])
        return creation.tensor(symmetric & factored)


class _PositiveSemidefinite(Constraint):
    """Symmetric, with no negative eigenvalue."""

    event_dim = 2

    def check(self, value):
        x = _array(value)
        symmetric = np.all(np.isclose(x, np.swapaxes(x, -1, -2), atol=1e-6), axis=(-2, -1))
        if not symmetric.all():
            return creation.tensor(symmetric)
        return creation.tensor(np.all(np.linalg.eigvalsh(x) >= 0, axis=-1))


class _CorrCholesky(_LowerCholesky):
    """The Cholesky factor of a correlation matrix: lower Cholesky with rows of unit length
    (to within torch's tolerance, 10 · eps · n)."""

    def check(self, value):
        x = _array(value)
        tol = np.finfo(x.dtype).eps * x.shape[-1] * 10
        unit_rows = np.all(np.abs(np.linalg.norm(x, axis=-1) - 1.0) <= tol, axis=-1)
        return creation.tensor(_array(super().check(value)) & unit_rows)


class _Sequence(Constraint):
    """cat's and stack's constraints: cseq, one per piece of the value along dim."""

    def __init__(self, cseq, dim=0):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self) -> bool:
        return any(c.is_discrete for c in self.cseq)

    def _checked_dim(self, x) -> None:
        if not -x.ndim <= self.dim < x.ndim:
            raise AssertionError(f"dim {self.dim} out of range for value with {x.ndim} dimensions")


class _Cat(_Sequence):
    """cseq[i] on the i-th block of lengths[i] entries along dim (as torch.cat joins them)."""

    def __init__(self, cseq, dim=0, lengths=None):
        super().__init__(cseq, dim)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(
                f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})"
            )

    @property
    def event_dim(self) -> int:
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        x = _array(value)
        self._checked_dim(x)
        bounds = np.cumsum([0] + self.lengths)
        checks = [
            _array(c.check(np.take(x, np.arange(start, stop), axis=self.dim)))
            for c, start, stop in zip(self.cseq, bounds[:-1], bounds[1:])
        ]
        return creation.tensor(np.concatenate(checks, axis=self.dim))


class _Stack(_Sequence):
    """cseq[i] on the i-th slice along dim (as torch.stack joins them)."""

    @property
    def event_dim(self) -> int:
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        x = _array(value)
        self._checked_dim(x)
        slices = [np.take(x, i, axis=self.dim) for i in range(x.shape[self.dim])]
        checks = [_array(c.check(v)) for v, c in zip(slices, self.cseq)]
        return creation.tensor(np.stack(checks, axis=self.dim))


def _has_cholesky(matrix) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


dependent = _Dependent()
real = _Real()
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
nonnegative_integer = _IntegerGreaterThan(0)
simplex = _Simplex()
one_hot = _OneHot()
real_vector = _IndependentConstraint(real, 1)
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
positive_semidefinite = _PositiveSemidefinite()
corr_cholesky = _CorrCholesky()
cat = _Cat
stack = _Stack
independent = _IndependentConstraint
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
multinomial = _Multinomial
