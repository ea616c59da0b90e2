"""The lecture's scalar exercises (seed ch. 4), built on the engine; used by demo, graph, tests."""

from autodiff import float64, sigmoid, tensor


def add_mul(x=-2.0, y=5.0, z=-4.0):
    """f = (x + y)·z; returns (f, {name: tensor}) after backward."""
    x, y, z = (
        tensor(v, dtype=float64, requires_grad=True, name=n)
        for v, n in ((x, "x"), (y, "y"), (z, "z"))
    )
    q = x + y
    q.name = "q"
    q.retain_grad()
    f = q * z
    f.name = "f"
    f.backward()
    return f, {"x": x, "y": y, "z": z, "q": q}


def sigmoid_neuron(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0, fused=True):
    """s = σ(w0·x0 + w1·x1 + w2), as one sigmoid node or as 1/(1+exp(−z)) gates."""
    names = ("w0", "x0", "w1", "x1", "w2")
    leaves = {
        n: tensor(v, dtype=float64, requires_grad=True, name=n)
        for n, v in zip(names, (w0, x0, w1, x1, w2))
    }
    z = leaves["w0"] * leaves["x0"] + leaves["w1"] * leaves["x1"] + leaves["w2"]
    z.name = "z"
    s = sigmoid(z) if fused else 1 / (1 + (-z).exp())
    s.name = "s"
    s.backward()
    return s, leaves
