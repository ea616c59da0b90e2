"""L-BFGS with torch's algorithm (minFunc's): two-loop recursion over a limited history, a fixed
step or a strong-Wolfe line search (cubic interpolation, bracketing then zoom), and torch's
stopping rules, so trajectories match torch's.

step(closure) calls closure several times per step; all parameters form one flat vector.
Scalars stay in the parameters' dtype where torch keeps them as 0-d tensors, so float32
trajectories round as torch's do.
"""

import numpy as np

import autodiff as ad
from autodiff import tracing
from autodiff.autograd.graph import increment_version

from .optimizer import Optimizer, step_hooked


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to bounds
    (default: between the points); the middle of the bounds if the cubic has none."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d meeting the strong Wolfe conditions: (loss, flat grad, t, evaluations).

    evaluate(t) is the loss and flat gradient at x + t·d. First bracket an interval that holds
    an acceptable step, growing t by cubic extrapolation; then shrink it by interpolation."""
    f_new, g_new = evaluate(t)
    evals, gtd_new = 1, g_new @ d
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g.copy(), gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        bounds = (t + 0.01 * (t - t_prev), t * 10)
        t_prev, t = t, _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds)
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, g_new @ d, ls_iter + 1
    if ls_iter == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]
    conditions = (f, gtd, c1, c2, tolerance_change, max_ls)
    t, f_new, g_new, evals = _zoom(evaluate, d, bracket, done, ls_iter, evals, *conditions)
    return f_new, g_new, t, evals


def _zoom(evaluate, d, bracket, done, ls_iter, evals, f, gtd, c1, c2, tolerance, max_ls):
    """Shrink a bracket [[t, f, g, gtd], ...] to an acceptable step: (t, f, g, evaluations)."""
    d_norm, insufficient = np.abs(d).max(), False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance:
            break
        t = _cubic_minimum(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
        lo, hi = min(bracket[0][0], bracket[1][0]), max(bracket[0][0], bracket[1][0])
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:  # too close to an end: move inward unless progress is made
            if insufficient or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, g_new @ d, ls_iter + 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new.copy(), gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
            continue
        if abs(gtd_new) <= -c2 * gtd:
            done = True
        elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = [t, f_new, g_new.copy(), gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return t, f_new, g_new, evals


def _as_arrays(value):
    """Tensors (and lists of them) of a loaded state as the arrays the step computes with."""
    if isinstance(value, ad.Tensor):
        return value.numpy(force=True)
    if isinstance(value, list):
        return [_as_arrays(v) for v in value]
    return value


class LBFGS(Optimizer):
    """Limited-memory BFGS, as torch.optim.LBFGS: step(closure) runs up to max_iter iterations
    (max_eval closure calls); line_search_fn=None or "strong_wolfe"; one parameter group."""

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval=None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn=None,
    ):
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_iter * 5 // 4 if max_eval is None else max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults, ("lr",))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check_options(self, defaults: dict) -> None:
        if defaults["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: only 'strong_wolfe' is supported, got {defaults['line_search_fn']!r}"
            )

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate(
            [
                np.zeros(p.numel(), p.dtype) if p.grad is None else p.grad.numpy(force=True).ravel()
                for p in self._params
            ]
        )

    def _add(self, step, direction: np.ndarray) -> None:
        """x ← x + step·direction over the flat vector of parameters, in place."""
        offset = 0
        for p in self._params:
            n, values = p.numel(), p.numpy(force=True)
            values += p.dtype.type(step) * direction[offset : offset + n].reshape(values.shape)
            increment_version(p)
            offset += n

    def _set(self, saved: list) -> None:
        for p, values in zip(self._params, saved):
            p.numpy(force=True)[...] = values
            increment_version(p)

    @tracing.replayed  # ad.compile replays the whole step, closure calls included
    @step_hooked
    def step(self, closure):
        """One L-BFGS step; closure() must zero the gradients, compute the loss, call
        backward and return the loss."""
        if closure is None:
            raise ValueError("LBFGS: step() needs a closure that re-evaluates the loss")

        def evaluate_loss():
            with ad.enable_grad():
                return closure()

        with ad.no_grad():
            return self._step(evaluate_loss)

    def _step(self, closure):
        group = self.param_groups[0]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss, evals = float(orig_loss), 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        for n_iter in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            d = self._direction(state, flat_grad, d, t, group["history_size"])
            state["prev_flat_grad"], state["prev_loss"] = flat_grad.copy(), loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * group["lr"]
            else:
                t = group["lr"]
            gtd = flat_grad @ d
            if gtd > -group["tolerance_change"]:  # not a descent direction: stop here
                break
            last = n_iter == group["max_iter"]
            loss, flat_grad, t, ls_evals = self._move(
                closure, group, d, t, loss, flat_grad, gtd, group["max_eval"] - evals, last
            )
            evals += ls_evals
            state["func_evals"] += ls_evals
            if self._stops(group, n_iter, evals, flat_grad, d, t, loss, state["prev_loss"]):
                break
        state["d"], state["t"] = d, t  # the next step's first (y, s) pair uses them
        return orig_loss

    def _move(self, closure, group, d, t, loss, flat_grad, gtd, evals_left, last) -> tuple:
        """Step along d, by the line search or by t: (loss, flat grad, t, evaluations)."""
        if group["line_search_fn"] is not None:
            evaluate = self._evaluator(
                closure, [p.numpy(force=True).copy() for p in self._params], d
            )
            loss, flat_grad, t, evals = _strong_wolfe(
                evaluate, t, d, loss, flat_grad, gtd, max_ls=evals_left
            )
            self._add(t, d)
            return loss, flat_grad, t, evals
        self._add(t, d)
        if last:  # torch does not re-evaluate after the last iteration's fixed step
            return loss, flat_grad, t, 0
        return float(closure()), self._flat_grad(), t, 1

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state_dict()'s (or torch's) state; the history is kept as arrays here."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            for key, value in state.items():
                state[key] = _as_arrays(value)

    @staticmethod
    def _stops(group, n_iter, evals, flat_grad, d, t, loss, prev_loss) -> bool:
        """torch's stopping rules after an iteration."""
        return (
            n_iter == group["max_iter"]
            or evals >= group["max_eval"]
            or np.abs(flat_grad).max() <= group["tolerance_grad"]
            or np.abs(d * t).max() <= group["tolerance_change"]
            or abs(loss - prev_loss) < group["tolerance_change"]
        )

    @staticmethod
    def _direction(state: dict, flat_grad, d, t, history_size: int) -> np.ndarray:
        """−H·g by the two-loop recursion over the stored (y, s) pairs, after adding the last
        step's pair (s = t·d); steepest descent on the first iteration."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return -flat_grad
        y = flat_grad - state["prev_flat_grad"]
        s = d * t
        ys = y @ s
        if ys > 1e-10:  # keep the pair only if the curvature condition holds
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / (y @ y)
        dirs, steps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        al = state.setdefault("al", [None] * history_size)
        q = -flat_grad
        for i in range(len(dirs) - 1, -1, -1):
            al[i] = (steps[i] @ q) * ro[i]
            q -= al[i] * dirs[i]
        r = q * state["H_diag"]
        for i in range(len(dirs)):
            be_i = (dirs[i] @ r) * ro[i]
            r += (al[i] - be_i) * steps[i]
        return r

    def _evaluator(self, closure, saved: list, d: np.ndarray):
        """evaluate(t): loss and flat gradient at saved + t·d, the parameters left at saved."""

        def evaluate(t):
            self._add(t, d)
            loss = float(closure())
            flat_grad = self._flat_grad()
            self._set(saved)
            return loss, flat_grad

        return evaluate
