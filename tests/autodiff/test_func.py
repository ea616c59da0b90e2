"""torch.func on the engine (autodiff.func, nn.func): every transform against real torch.func on
the same inputs (values, the structure of the outputs, requires_grad), nested, in the tutorials'
patterns (per-sample gradients, Jacobians and Hessians, hvp, ensembling), and torch's errors;
without torch, against finite differences, autograd.functional and a loop."""

import inspect
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
import autodiff.func
import nn


def _side(T, nn_, func_ns):
    return types.SimpleNamespace(T=T, nn=nn_, F=nn_.functional, func=func_ns)


OURS = _side(
    ad,
    nn,
    types.SimpleNamespace(
        **{name: getattr(autodiff.func, name) for name in autodiff.func.__all__},
        functional_call=nn.func.functional_call,
        stack_module_state=nn.func.stack_module_state,
        replace_all_batch_norm_modules_=nn.func.replace_all_batch_norm_modules_,
    ),
)


def _sides() -> tuple:
    """Ours and torch's (the test skips where torch is not installed)."""
    torch = pytest.importorskip("torch")
    return OURS, _side(torch, torch.nn, torch.func)


def _compare(ours, theirs, rtol=1e-9, atol=1e-12, path="out"):
    """Same structure (types, lengths, keys in order), same shapes, dtypes and requires_grad,
    values equal to rounding."""
    import torch

    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ad.Tensor), f"{path}: {type(ours)}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: {ours.shape} {theirs.shape}"
        assert str(ours.dtype) == str(theirs.dtype), f"{path}: {ours.dtype} {theirs.dtype}"
        assert ours.requires_grad == theirs.requires_grad, f"{path}: requires_grad"
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol, atol, err_msg=path
        )
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{path}: {ours!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(a, b, rtol, atol, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys"
        for k in theirs:
            _compare(ours[k], theirs[k], rtol, atol, f"{path}[{k!r}]")
    else:
        assert ours == theirs, path


def _both(case, *arrays, rtol=1e-9, atol=1e-12):
    """case(side, *tensors) on each side, from the same float64 arrays; results compared."""
    results = [case(side, *(side.T.tensor(np.array(a)) for a in arrays)) for side in _sides()]
    _compare(*results, rtol=rtol, atol=atol)
    return results[0]


def _errors_match(case):
    """case(side) raises on both sides: the same exception type and torch's message."""
    caught = []
    for side in _sides():
        with pytest.raises(Exception) as info:
            case(side)
        caught.append(info)
    ours, theirs = caught
    assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    return str(ours.value), str(theirs.value)


RNG = np.random.default_rng(0)
X3, Y3, Z2 = RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=2)
M23, M32 = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))


# --- grad, grad_and_value ----------------------------------------------------------------


def test_grad_of_a_scalar_function():
    _both(lambda s, x: s.func.grad(lambda x: (x.sin() * x).sum())(x), X3)


def test_grad_argnums_int_negative_and_tuple():
    def f(x, y):
        return (x * y.exp()).sum()

    _both(lambda s, x, y: s.func.grad(f, argnums=1)(x, y), X3, Y3)
    _both(lambda s, x, y: s.func.grad(f, argnums=-1)(x, y), X3, Y3)
    _both(lambda s, x, y: s.func.grad(f, argnums=(1, 0))(x, y), X3, Y3)
    _both(lambda s, x, y: s.func.grad(f, argnums=(0,))(x, y), X3, Y3)


def test_grad_of_an_unused_input_is_zeros_not_none():
    _both(lambda s, x, y: s.func.grad(lambda x, y: y.sum() * 2, argnums=(0, 1))(x, y), X3, Y3)
    _both(lambda s, x: s.func.grad(lambda x: s.T.tensor(2.0, dtype=s.T.float64))(x), X3)


def test_grad_pytree_inputs_and_aux():
    def f(p, x):
        loss = (p["w"] * x).sum() + p["b"][0].tanh().sum() * p["b"][1].sum()
        return loss, {"double": loss * 2, "parts": [x.cos()]}

    def case(s, w, b0, b1, x):
        params = {"w": w, "b": [b0, b1]}
        return (
            s.func.grad(f, has_aux=True)(params, x),
            s.func.grad_and_value(f, has_aux=True)(params, x),
            s.func.grad_and_value(lambda p, x: f(p, x)[0], argnums=(0, 1))(params, x),
        )

    _both(case, X3, Z2, Z2 * 3, Y3)


def test_grad_results_require_grad_only_through_outer_graphs():
    def case(s, x, w):
        w.requires_grad_(True)
        plain = s.func.grad(lambda x: (x.sin() * 3).sum())(x)  # no graph outside: detached
        closure = s.func.grad(lambda x: (x.sin() * w).sum())(x)  # w requires grad: kept
        through_input = s.func.grad(lambda x: x.pow(3).sum())(w)  # the input requires grad
        (outer,) = s.T.autograd.grad(closure.sum(), w)  # and regular autograd goes through
        return plain, closure, through_input, outer

    _both(case, X3, Y3)


def test_transforms_under_no_grad_differentiate_but_return_no_graph():
    def case(s, x, w):
        w.requires_grad_(True)
        with s.T.no_grad():
            return (
                s.func.grad(lambda x: (x.sin() * w).sum())(x),
                s.func.grad(lambda x: x.sin().sum())(w),
                s.func.jacrev(lambda x: x.sin() * w)(x),
                s.func.vjp(lambda x: x * w, x)[1](x),
                s.func.vjp(lambda x: x * w, x)[0],
                s.func.grad_and_value(lambda x: (x.sin() * w).sum())(x),
                s.func.jvp(lambda x: x * w, (x,), (x,)),
            )

    _both(case, X3, Y3)


def test_nested_grad_is_a_higher_derivative():
    def case(s, x):
        d1 = s.func.grad(lambda x: x.sin() * x.exp())
        d2 = s.func.grad(d1)
        d3 = s.func.grad(d2)
        return d1(x), d2(x), d3(x)

    _both(case, 0.7)


def test_nesting_keeps_each_levels_variable_apart():
    # d/dx [x * (d/dy (x*y))(y=x)] = d/dx x**2 = 2x: the inner grad must not see the outer x
    def case(s, x):
        return s.func.grad(lambda x: x * s.func.grad(lambda y: x * y)(x))(x)

    _both(case, 1.5)


# --- vjp, jvp, hvp -----------------------------------------------------------------------


def test_vjp_single_and_several_outputs():
    def case(s, x, y, v):
        out, vjp_fn = s.func.vjp(lambda x: x.sin() * x, x)
        outs, vjp_fn2 = s.func.vjp(lambda x, y: (x.exp(), {"s": (x * y).sum()}), x, y)
        ct = (v, {"s": s.T.tensor(2.0, dtype=s.T.float64)})
        return out, vjp_fn(v), outs, vjp_fn2(ct), vjp_fn2(ct)  # vjp_fn may run again

    _both(case, X3, Y3, X3 * 2)


def test_vjp_fn_retain_graph_and_create_graph():
    def case(s, x, v):
        w = v.clone().requires_grad_(True)
        _, vjp_fn = s.func.vjp(lambda x: x.sin() * w, x)
        with_graph = vjp_fn(v, create_graph=True)
        without = vjp_fn(v, create_graph=False)
        last = vjp_fn(v, retain_graph=False)
        with pytest.raises(RuntimeError):
            vjp_fn(v)  # the graph was freed
        return with_graph, without, last

    _both(case, X3, Y3)


def test_vjp_has_aux_and_unused_primal():
    def case(s, x, y, v):
        out, vjp_fn, aux = s.func.vjp(lambda x, y: (x.tanh(), x.sum()), x, y, has_aux=True)
        return out, vjp_fn(v), aux

    _both(case, X3, Y3, Y3)


def test_jvp_and_hvp_by_jvp_of_grad():
    def f(x):
        return (x.sin() * x.roll(1)).sum()

    def case(s, x, v):
        value, tangent = s.func.jvp(lambda x: x.sin() * x, (x,), (v,))
        hvp = s.func.jvp(s.func.grad(f), (x,), (v,))[1]
        with_aux = s.func.jvp(lambda x: (x.exp(), x.sum()), (x,), (v,), has_aux=True)
        pair = s.func.jvp(lambda x, y: (x * y, y), (x, v), (v, x))
        return value, tangent, hvp, with_aux, pair

    _both(case, X3, Y3)


def test_linearize_gives_jvp_at_the_primals_for_any_tangent():
    def case(s, x, v, w):
        output, jvp_fn = s.func.linearize(lambda x, p: (x.sin() * p["w"], x.sum()), x, {"w": w})
        return output, jvp_fn(v, {"w": w}), jvp_fn(w, {"w": v})

    _both(case, X3, Y3, Z2[:1].repeat(3))


def test_hvp_equals_autograd_functional():
    x, v = ad.tensor(X3), ad.tensor(Y3)
    f = lambda x: (x.sin() * x.roll(1)).sum()  # noqa: E731
    ours = autodiff.func.jvp(autodiff.func.grad(f), (x,), (v,))[1]
    np.testing.assert_allclose(
        ours.detach().numpy(), ad.autograd.functional.hvp(f, x, v)[1].detach().numpy()
    )


# --- jacrev, jacfwd, hessian -------------------------------------------------------------


def _predict(s, weight, bias, x):
    return s.T.tanh(s.F.linear(x, weight, bias))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_of_the_tutorials_function(transform):
    def case(s, w, b, x):
        jac = getattr(s.func, transform)
        f = lambda w, b, x: _predict(s, w, b, x)  # noqa: E731
        return (
            jac(f, argnums=2)(w, b, x),
            jac(f, argnums=(0, 1))(w, b, x),
            jac(lambda x: (f(w, b, x), x.sum()), has_aux=True)(x),
            jac(lambda p: {"y": f(p["w"], p["b"], x), "n": p["w"].norm()})({"w": w, "b": b}),
        )

    _both(case, RNG.normal(size=(2, 3)), Z2, X3)


def test_jacobian_of_a_jacobian_and_the_hessian():
    def f(x, y):
        return (x.sin() * y.sum() + x.pow(2) * y[0]).sum()

    def case(s, x, y):
        return (
            s.func.jacrev(s.func.jacrev(lambda x: x.sin() * x.prod()))(x),
            s.func.jacfwd(s.func.jacrev(f))(x, y),
            s.func.hessian(f)(x, y),
            s.func.hessian(f, argnums=(0, 1))(x, y),
        )

    _both(case, X3, Z2)


def test_jacobian_of_an_output_that_ignores_the_input():
    _both(lambda s, x: s.func.jacrev(lambda x: (x * 0).sum() + s.T.ones(2).double())(x), X3)


# --- vmap --------------------------------------------------------------------------------


def test_vmap_in_dims_out_dims_and_tuples():
    def f(a, b):
        return (a * b.sum()).sin(), a.sum()

    def case(s, x, y, c):
        v = s.func.vmap
        return (
            v(f)(x, x),
            v(f, in_dims=(0, 1))(x, y),
            v(f, in_dims=(-2, None))(x, c),
            v(f, in_dims=(1, None), out_dims=(1, 0))(x, c),
            v(f, out_dims=-1)(x, x),
            v(lambda a: a * 2, out_dims=(1,))(x),
            v(lambda p: p["a"] + p["b"][0], in_dims=({"a": 0, "b": [1]},))({"a": x, "b": [y]}),
            v(lambda a, k=None: a * k)(x, k=c),
            v(lambda a: {"k": a, "s": [a.sum()]}, out_dims={"k": 1, "s": 0})(x),
        )

    _both(case, M23, M32, X3)


def test_nested_vmap_and_out_dims_none():
    def case(s, x, y):
        v = s.func.vmap
        outer = v(v(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(x[0], y)
        unbatched = v(lambda a: (a.exp(), y * 2), out_dims=(0, None))(x)
        return outer, unbatched

    _both(case, M23, M32)


def test_vmap_of_grad_and_of_jacrev():
    def case(s, x, y):
        per_row = s.func.vmap(s.func.grad(lambda a, b: (a.sin() * b).sum()), in_dims=(0, None))
        return per_row(x, y), s.func.vmap(s.func.jacrev(lambda a: a.exp() * a.sum()))(x)

    _both(case, M23, X3)


def test_vmap_over_a_size_zero_dim():
    _both(lambda s, x: s.func.vmap(lambda a: (a * 2, a.sum()))(x), np.zeros((0, 3)))


def test_jacrev_through_vmap():
    _both(lambda s, x: s.func.jacrev(s.func.vmap(lambda a: a.sin() * a.sum()))(x), M23)


@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
    data=st.data(),
)
def test_vmap_matches_torch_for_any_dims(shape, data):
    ndim = len(shape)
    in_dim = data.draw(st.integers(-ndim, ndim - 1))
    size = shape[in_dim]
    other = data.draw(hnp.arrays(np.float64, (size, 2), elements=st.floats(-3, 3)))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    out_dim = data.draw(st.integers(-ndim, ndim - 1))

    def case(s, x, o):
        f = lambda a, b: (a.tanh() * b.sum() + b[0], b * a.sum())  # noqa: E731
        return s.func.vmap(f, in_dims=(in_dim, 0), out_dims=(out_dim, 0))(x, o)

    _both(case, x, other)


@given(
    data=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3), elements=st.floats(-2, 2))
)
def test_grad_jacrev_hessian_match_torch_on_any_input(data):
    def f(x):
        return (x.sin() * x.exp()).sum() + (x * x).sum().sqrt()

    def case(s, x):
        x = x + 0.5  # away from 0, where sqrt's derivative blows up only when x is all -0.5
        return (
            s.func.grad(f)(x),
            s.func.jacrev(lambda x: x.tanh() * x.sum())(x),
            s.func.hessian(f)(x),
        )

    _both(case, data, rtol=1e-7, atol=1e-9)


def test_vmap_randomness_same_and_different_draw_as_torch():
    def case(s, x):
        s.T.manual_seed(0)
        same = s.func.vmap(lambda a: a * 0 + s.T.rand(3), randomness="same")(x)
        s.T.manual_seed(0)
        different = s.func.vmap(lambda a: a * 0 + s.T.rand(3), randomness="different")(x)
        return same.float(), different.float(), s.T.rand(2)

    ours = _both(case, M23)
    assert (ours[0][0] == ours[0][1]).all() and not (ours[1][0] == ours[1][1]).all()


# --- functional_call and stack_module_state ---------------------------------------------


class _Net:
    """The same small model on either side (torch's and our initialisation agree by seed)."""

    @staticmethod
    def make(s):
        s.T.manual_seed(0)
        return s.nn.Sequential(
            s.nn.Linear(3, 4), s.nn.BatchNorm1d(4), s.nn.Tanh(), s.nn.Linear(4, 2)
        )


def test_functional_call_uses_the_given_tensors_and_puts_the_modules_back():
    def case(s, x, w):
        model = _Net.make(s)
        before = dict(model.named_parameters())
        weight = w.reshape(4, 3).float()
        out = s.func.functional_call(model, {"0.weight": weight}, (x.float(),))
        out2 = s.func.functional_call(
            model, ({"0.weight": weight}, {"1.running_mean": s.T.zeros(4)}), x.float()
        )
        kept = all(p is before[k] for k, p in model.named_parameters())
        return out, out2, kept, model(x.float())

    _both(case, M23.repeat(2, axis=1)[:, :3], RNG.normal(size=12), rtol=1e-5, atol=1e-6)


def test_stateless_functional_call_is_the_same_call_with_torchs_warning():
    def case(s, x):
        model = _Net.make(s).eval()
        with pytest.warns(FutureWarning, match="torch.func.functional_call"):
            return s.nn.utils.stateless.functional_call(model, {"3.bias": s.T.ones(2)}, x.float())

    _both(case, M23.repeat(2, axis=1)[:, :3], rtol=1e-5, atol=1e-6)


def test_functional_call_puts_the_modules_back_after_an_error():
    for s in (OURS, *_sides()[1:]):
        model = _Net.make(s)
        weight = model[0].weight
        with pytest.raises(RuntimeError):
            s.func.functional_call(model, {"0.weight": s.T.zeros(4, 5)}, (s.T.zeros(2, 3),))
        assert model[0].weight is weight and "weight" in model[0]._parameters


def test_functional_call_updates_the_dict_with_buffers_the_module_changed():
    def case(s, x):
        model = _Net.make(s)
        stats = {"1.running_mean": s.T.zeros(4), "1.num_batches_tracked": s.T.tensor(0)}
        s.func.functional_call(model, stats, (x.float(),))
        return stats, dict(model.named_buffers())

    _both(case, M23.repeat(2, axis=0)[:, :3], rtol=1e-5, atol=1e-7)


def test_functional_call_hands_back_a_buffer_the_module_reassigned():
    def case(s, x):
        class Counter(s.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("count", s.T.zeros(()))

            def forward(self, x):
                self.count = self.count + 1  # a new tensor, not an in-place change
                return x * self.count

        model, given = Counter(), {"count": s.T.tensor(5.0)}
        out = s.func.functional_call(model, given, x.float())
        return out, given, model.count

    _both(case, X3, rtol=1e-6)


def test_functional_call_ties_weights_unless_told_not_to():
    def case(s, x):
        s.T.manual_seed(0)
        a, b = s.nn.Linear(3, 3, bias=False), s.nn.Linear(3, 3, bias=False)
        b.weight = a.weight
        model = s.nn.Sequential(a, b)
        new = s.T.ones(3, 3)
        return (
            s.func.functional_call(model, {"0.weight": new}, (x.float(),)),
            s.func.functional_call(model, {"0.weight": new}, (x.float(),), tie_weights=False),
            s.func.functional_call(model, {"0.weight": new, "1.weight": new}, (x.float(),)),
        )

    _both(case, X3, rtol=1e-5, atol=1e-6)


def test_per_sample_gradients_of_a_small_cnn():
    def case(s, data, targets):
        s.T.manual_seed(0)
        model = s.nn.Sequential(
            s.nn.Conv2d(1, 2, 3), s.nn.ReLU(), s.nn.MaxPool2d(2), s.nn.Flatten(), s.nn.Linear(8, 3)
        )
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def loss(params, buffers, sample, target):
            out = s.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return s.F.cross_entropy(out, target.unsqueeze(0))

        per_sample = s.func.vmap(s.func.grad(loss), in_dims=(None, None, 0, 0))
        return per_sample(params, buffers, data.float(), targets.long())

    grads = _both(case, RNG.normal(size=(4, 1, 6, 6)), np.array([0, 2, 1, 2]), rtol=1e-4, atol=1e-6)
    assert grads["0.weight"].shape == (4, 2, 1, 3, 3)


def test_per_sample_gradients_through_batch_norm_without_running_stats():
    def case(s, data):
        s.T.manual_seed(0)
        model = s.nn.Sequential(s.nn.Linear(3, 4), s.nn.BatchNorm1d(4), s.nn.Tanh())
        s.func.replace_all_batch_norm_modules_(model)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(params, x):
            return s.func.functional_call(model, params, (x,)).pow(2).sum()

        grads = s.func.vmap(s.func.grad(loss), in_dims=(None, 0))(params, data.float())
        return grads, dict(model.named_buffers()), model[1].track_running_stats

    _both(case, RNG.normal(size=(2, 5, 3)), rtol=1e-4, atol=1e-6)


def test_model_ensembling_with_stack_module_state():
    def case(s, x):
        s.T.manual_seed(0)
        models = [
            s.nn.Sequential(s.nn.Linear(3, 4), s.nn.ReLU(), s.nn.Linear(4, 2)) for _ in range(3)
        ]
        params, buffers = s.func.stack_module_state(models)

        def fmodel(params, buffers, x):
            return s.func.functional_call(models[0], (params, buffers), (x,))

        out = s.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x.float())
        (out * s.T.arange(4.0).reshape(1, 2, 2)).sum().backward()
        grads = {k: p.grad for k, p in params.items()}  # training the ensemble as one
        return params, buffers, out, s.T.stack([m(x.float()) for m in models]), grads

    ours = _both(case, M23, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[2].detach().numpy(), ours[3].detach().numpy(), atol=1e-6)
    assert all(p.is_leaf for p in ours[0].values())


# --- errors --------------------------------------------------------------------------------


def _x(s):
    return s.T.ones(2, 3)


ERRORS = {
    "grad of a non-scalar": lambda s: s.func.grad(lambda x: x.sin())(_x(s)),
    "grad of a non-tensor": lambda s: s.func.grad(lambda x: 3.0)(_x(s)),
    "grad without (output, aux)": lambda s: s.func.grad(lambda x: x.sum(), has_aux=True)(_x(s)),
    "grad of an int tensor": lambda s: s.func.grad(lambda x: x.sum())(s.T.arange(3)),
    "grad of a float": lambda s: s.func.grad(lambda x: x.sum())(3.0),
    "argnums out of range": lambda s: s.func.grad(lambda x, y: x.sum(), argnums=2)(_x(s), _x(s)),
    "argnums repeated": lambda s: s.func.grad(lambda x, y: x.sum(), argnums=(0, 0))(_x(s), _x(s)),
    "argnums empty": lambda s: s.func.grad(lambda x, y: x.sum(), argnums=())(_x(s), _x(s)),
    "argnums a list": lambda s: s.func.grad(lambda x, y: x.sum(), argnums=[0])(_x(s), _x(s)),
    "argnums holds a float": lambda s: s.func.grad(lambda x: x.sum(), argnums=(0, 1.0))(_x(s)),
    "jacfwd of a non-tensor": lambda s: s.func.jacfwd(lambda x: 3.0)(_x(s)),
    "vmap in_dim a float": lambda s: s.func.vmap(lambda a: a, in_dims=(0.5,))(_x(s)),
    "vmap out_dims a string": lambda s: s.func.vmap(lambda a: a, out_dims="a")(_x(s)),
    "vmap out_dims holds a float": lambda s: s.func.vmap(lambda a: a, out_dims=(0.5,))(_x(s)),
    "vjp of a non-tensor": lambda s: s.func.vjp(lambda x: 3.0, _x(s)),
    "vjp cotangents": lambda s: s.func.vjp(lambda x: (x, x), _x(s))[1](_x(s)),
    "jvp primals not a tuple": lambda s: s.func.jvp(lambda x: x, _x(s), _x(s)),
    "jvp tangent shape": lambda s: s.func.jvp(lambda x: x, (_x(s),), (s.T.ones(3),)),
    "jvp strict": lambda s: s.func.jvp(lambda x: (x, s.T.ones(3)), (_x(s),), (_x(s),), strict=True),
    "linearize tangent shape": lambda s: s.func.linearize(lambda x: x, _x(s))[1](s.T.ones(3)),
    "linearize tangent structure": lambda s: s.func.linearize(lambda x: x, _x(s))[1](_x(s), _x(s)),
    "jvp no primals": lambda s: s.func.jvp(lambda: 1, (), ()),
    "jacrev chunk_size": lambda s: s.func.jacrev(lambda x: x, chunk_size=0),
    "jacfwd random op": lambda s: s.func.jacfwd(lambda x: s.F.dropout(x, 0.5))(_x(s)),
    "vmap sizes differ": lambda s: s.func.vmap(lambda a, b: a)(_x(s), s.T.ones(3)),
    "vmap in_dim out of range": lambda s: s.func.vmap(lambda a: a, in_dims=2)(_x(s)),
    "vmap negative in_dim": lambda s: s.func.vmap(lambda a: a, in_dims=-3)(_x(s)),
    "vmap in_dims a list": lambda s: s.func.vmap(lambda a: a, in_dims=[0])(_x(s)),
    "vmap over a float": lambda s: s.func.vmap(lambda a, b: a)(_x(s), 2.0),
    "vmap nothing mapped": lambda s: s.func.vmap(lambda a: a, in_dims=(None,))(_x(s)),
    "vmap in_dims None": lambda s: s.func.vmap(lambda a: a, in_dims=None)(_x(s)),
    "vmap no inputs": lambda s: s.func.vmap(lambda: 1)(),
    "vmap returns a float": lambda s: s.func.vmap(lambda a: 1.0)(_x(s)),
    "vmap out_dim out of range": lambda s: s.func.vmap(lambda a: a, out_dims=2)(_x(s)),
    "vmap batched out_dims=None": lambda s: s.func.vmap(lambda a: a, out_dims=None)(
        s.T.arange(6.0).reshape(2, 3)
    ),
    "vmap randomness name": lambda s: s.func.vmap(lambda a: a, randomness="bad"),
    "vmap chunk_size": lambda s: s.func.vmap(lambda a: a, chunk_size=0),
    "vmap random op": lambda s: s.func.vmap(lambda a: a + s.T.randn(3))(_x(s)),
    "vmap dropout": lambda s: s.func.vmap(lambda a: s.F.dropout(a, 0.5))(_x(s)),
    "functional_call repeated keys": lambda s: s.func.functional_call(
        s.nn.Linear(3, 2), ({"bias": s.T.zeros(2)}, {"bias": s.T.zeros(2)}), (_x(s),)
    ),
    "functional_call not dicts": lambda s: s.func.functional_call(s.nn.Linear(3, 2), 3, (_x(s),)),
    "functional_call strict": lambda s: s.func.functional_call(
        s.nn.Linear(3, 2), {"bias": s.T.zeros(2), "scale": s.T.ones(1)}, (_x(s),), strict=True
    ),
    "functional_call tied": lambda s: s.func.functional_call(
        _tied(s), {"0.weight": s.T.ones(3, 3), "1.weight": s.T.zeros(3, 3)}, (s.T.ones(3),)
    ),
    "functional_call through a parameter": lambda s: s.func.functional_call(
        s.nn.Linear(3, 2), {"weight.x": s.T.ones(1)}, (_x(s),)
    ),
    "functional_call not a tensor": lambda s: s.func.functional_call(
        s.nn.Linear(3, 2), {"bias": [0.0, 1.0]}, (_x(s),)
    ),
    "stack_module_state empty": lambda s: s.func.stack_module_state([]),
    "stack_module_state classes": lambda s: s.func.stack_module_state(
        [s.nn.Linear(2, 2), s.nn.Sequential(s.nn.Linear(2, 2))]
    ),
    "stack_module_state modes": lambda s: s.func.stack_module_state(
        [s.nn.Linear(2, 2), s.nn.Linear(2, 2).eval()]
    ),
}


def _tied(s):
    a, b = s.nn.Linear(3, 3, bias=False), s.nn.Linear(3, 3, bias=False)
    b.weight = a.weight
    return s.nn.Sequential(a, b)


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_torchs(name):
    ours, theirs = _errors_match(ERRORS[name])
    # a module's repr in the message shows its own random parameters: compare up to it
    ours, theirs = ours.split("Parameter containing")[0], theirs.split("Parameter containing")[0]
    assert " ".join(ours.split()) == " ".join(theirs.split()), (ours, theirs)


@pytest.mark.parametrize(
    "in_dims, args",
    [((0,), "two"), ((0, None, 0), "two"), (({"a": 0},), "one")],
)
def test_vmap_in_dims_that_do_not_match_the_arguments(in_dims, args):
    def case(s):
        inputs = (_x(s), _x(s)) if args == "two" else (_x(s),)
        return s.func.vmap(lambda *a: a[0], in_dims=in_dims)(*inputs)

    ours, theirs = _errors_match(case)
    head = "in_dims is not compatible with the structure of `inputs`. in_dims has structure "
    assert head in ours and ours.split(head)[0] == theirs.split(head)[0]
    assert " ".join(ours.split()).replace(",", "") == " ".join(theirs.split()).replace(",", "")


def test_out_dims_that_do_not_match_the_outputs():
    ours, theirs = _errors_match(
        lambda s: s.func.vmap(lambda a: (a, a.sum()), out_dims=(1,))(_x(s))
    )
    assert " ".join(ours.split()) == " ".join(theirs.split())


def test_vmap_refuses_outputs_whose_structure_depends_on_the_index():
    # torch cannot get here (its func runs once on the whole batch); a loop can
    with pytest.raises(ValueError, match="different structures for different indices"):
        autodiff.func.vmap(lambda a: (a,) if a[0] > 0 else (a, a))(ad.tensor([[1.0], [-1.0]]))


def test_a_random_op_is_refused_only_inside_vmap():
    with pytest.raises(RuntimeError, match="randomness error mode"):
        autodiff.func.vmap(lambda a: a + ad.rand(3))(ad.ones(2, 3))
    assert ad.rand(3).shape == (3,)  # allowed again afterwards


# --- without torch: finite differences, autograd.functional, a loop ----------------------


def _central_differences(f, x: np.ndarray, h=1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        up, down = f(ad.tensor(x + step)).item(), f(ad.tensor(x - step)).item()
        grad[i] = (up - down) / (2 * h)
    return grad


def test_grad_and_its_grad_match_finite_differences():
    f = lambda x: (x.sin() * x.exp()).sum() + x.prod()  # noqa: E731
    np.testing.assert_allclose(
        autodiff.func.grad(f)(ad.tensor(X3)).detach().numpy(),
        _central_differences(f, X3),
        rtol=1e-6,
    )
    second = autodiff.func.grad(lambda x: autodiff.func.grad(f)(x)[0])
    along = _central_differences(lambda x: autodiff.func.grad(f)(x)[0], X3)
    np.testing.assert_allclose(second(ad.tensor(X3)).detach().numpy(), along, rtol=1e-5)


def test_jacobians_and_hessian_equal_autograd_functional():
    x = ad.tensor(X3)
    f = lambda x: x.sin() * x.sum()  # noqa: E731
    g = lambda x: (x.sin() * x.roll(1)).sum()  # noqa: E731
    expected = ad.autograd.functional.jacobian(f, x).detach().numpy()
    for jac in (autodiff.func.jacrev, autodiff.func.jacfwd):
        np.testing.assert_allclose(jac(f)(x).detach().numpy(), expected, rtol=1e-12)
    hessian = ad.autograd.functional.hessian(g, x).detach().numpy()
    np.testing.assert_allclose(autodiff.func.hessian(g)(x).detach().numpy(), hessian, rtol=1e-12)


def test_vmap_equals_a_loop_and_stack():
    x, y = ad.tensor(M23), ad.tensor(M32)
    f = lambda a, b: (a * b.sum()).tanh()  # noqa: E731
    loop = ad.stack([f(x[:, j], y[j]) for j in range(3)], dim=1)
    mapped = autodiff.func.vmap(f, in_dims=(1, 0), out_dims=1)(x, y)
    np.testing.assert_array_equal(mapped.detach().numpy(), loop.detach().numpy())


@pytest.mark.parametrize(
    "name",
    ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian", "vmap"]
    + ["functional_call", "stack_module_state", "replace_all_batch_norm_modules_"]
    + ["stateless.functional_call"],
)
def test_torch_signatures(name):
    """Each parameter torch has, with its kind and default, in torch's order."""
    torch = pytest.importorskip("torch")
    if name.startswith("stateless."):
        ours, theirs = nn.utils.stateless.functional_call, torch.nn.utils.stateless.functional_call
    else:
        ours, theirs = getattr(OURS.func, name), getattr(torch.func, name)

    def described(fn):
        params = inspect.signature(fn).parameters.values()
        return [(p.name, p.kind, p.default) for p in params]

    assert described(ours) == described(theirs)
