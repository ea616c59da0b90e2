"""A bad call raises what a script written for torch catches, and what our own callers catch.

Each row is one mistake, written once for both libraries (t is torch or autodiff, then nn,
nn.functional and the optimizers), and the type our documentation promises (ValueError for
values and shapes, TypeError for types and dtypes, ...). Ours must raise that type; with torch
installed, torch must raise too, and ours must be an instance of torch's built-in class, so
`except RuntimeError` around torch code catches ours (autodiff.errors: each class is both).
"""

import types
import warnings

import pytest

import autodiff as ad
import nn

OURS = types.SimpleNamespace(t=ad, nn=nn, F=nn.functional, optim=nn.optim)


def _param(t, nn):
    return nn.Parameter(t.ones(2))


def _backward_twice(t):
    y = t.ones(2, requires_grad=True).exp().sum()
    y.backward()
    y.backward()


def _modified_after_save(t):
    y = t.ones(2, requires_grad=True).exp()
    y.mul_(2)
    y.sum().backward()


def _nonfinite_clip(t, nn):
    p = nn.Parameter(t.ones(1))
    p.grad = t.tensor([float("nan")])
    nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


# fmt: off
ROWS = [
    # tensors and autograd
    ("matmul inner dims", lambda t, nn, F, o: t.ones(2, 3) @ t.ones(4, 5), ValueError),
    ("matmul 1-D", lambda t, nn, F, o: t.ones(3) @ t.ones(4), ValueError),
    ("matmul batch dims", lambda t, nn, F, o: t.ones(2, 2, 3) @ t.ones(3, 3, 2), ValueError),
    ("matmul 0-d", lambda t, nn, F, o: t.ones(()) @ t.ones(2), ValueError),
    ("mm of 3-D", lambda t, nn, F, o: t.mm(t.ones(2, 2, 2), t.ones(2, 2)), ValueError),
    ("bmm of 2-D", lambda t, nn, F, o: t.bmm(t.ones(2, 2), t.ones(2, 2)), ValueError),
    ("bmm batch", lambda t, nn, F, o: t.bmm(t.ones(2, 2, 2), t.ones(3, 2, 2)), ValueError),
    ("item of two", lambda t, nn, F, o: t.ones(2).item(), ValueError),
    ("float() of two", lambda t, nn, F, o: float(t.ones(2)), ValueError),
    ("int tensor requires grad", lambda t, nn, F, o: t.tensor([1, 2], requires_grad=True),
     TypeError),
    ("requires_grad_ on int", lambda t, nn, F, o: t.ones(2, dtype=t.long).requires_grad_(),
     TypeError),
    ("zeros int requires grad",
     lambda t, nn, F, o: t.zeros(2, dtype=t.int64, requires_grad=True), TypeError),
    ("add broadcast", lambda t, nn, F, o: t.ones(2, 3) + t.ones(4), ValueError),
    ("mul broadcast", lambda t, nn, F, o: t.ones(2, 3) * t.ones(2, 4), ValueError),
    ("where broadcast", lambda t, nn, F, o: t.where(t.ones(2) > 0, t.ones(3), t.ones(2)),
     ValueError),
    ("reshape", lambda t, nn, F, o: t.ones(2, 3).reshape(4, 2), ValueError),
    ("view", lambda t, nn, F, o: t.ones(2, 3).view(-1, 4), ValueError),
    ("two -1", lambda t, nn, F, o: t.ones(2, 3).reshape(-1, -1), ValueError),
    ("cat sizes", lambda t, nn, F, o: t.cat([t.ones(2, 3), t.ones(2, 4)]), ValueError),
    ("cat empty", lambda t, nn, F, o: t.cat([]), ValueError),
    ("cat ndims", lambda t, nn, F, o: t.cat([t.ones(2, 3), t.ones(3)]), ValueError),
    ("stack sizes", lambda t, nn, F, o: t.stack([t.ones(2), t.ones(3)]), ValueError),
    ("stack empty", lambda t, nn, F, o: t.stack([]), ValueError),
    ("expand", lambda t, nn, F, o: t.ones(2, 3).expand(4, 3), ValueError),
    ("expand fewer dims", lambda t, nn, F, o: t.ones(2, 3).expand(3), ValueError),
    ("permute repeats", lambda t, nn, F, o: t.ones(2, 3).permute(0, 0), ValueError),
    ("permute count", lambda t, nn, F, o: t.ones(2, 3).permute(0), ValueError),
    ("flatten dims", lambda t, nn, F, o: t.ones(2, 3, 4).flatten(2, 1), ValueError),
    ("sum dim", lambda t, nn, F, o: t.ones(2, 3).sum(dim=2), IndexError),
    ("softmax dim", lambda t, nn, F, o: t.ones(2, 3).softmax(dim=-3), IndexError),
    ("transpose dim", lambda t, nn, F, o: t.ones(2, 3).transpose(0, 5), IndexError),
    ("unsqueeze dim", lambda t, nn, F, o: t.ones(2, 3).unsqueeze(4), IndexError),
    ("max of empty", lambda t, nn, F, o: t.ones(0, 3).max(), RuntimeError),
    ("max over an empty dim", lambda t, nn, F, o: t.ones(3, 0).max(1), RuntimeError),
    ("argmax of empty", lambda t, nn, F, o: t.ones(0).argmax(), IndexError),
    ("clamp without bounds", lambda t, nn, F, o: t.ones(2).clamp(), ValueError),
    ("where float condition", lambda t, nn, F, o: t.where(t.ones(2), t.ones(2), t.ones(2)),
     TypeError),
    ("masked_fill float mask", lambda t, nn, F, o: t.ones(2).masked_fill(t.ones(2), 0.0),
     TypeError),
    ("float index", lambda t, nn, F, o: t.ones(2)[t.tensor([0.5])], IndexError),
    ("index past the end", lambda t, nn, F, o: t.ones(2)[5], IndexError),
    ("ragged list", lambda t, nn, F, o: t.tensor([[1.0, 2.0], [3.0]]), ValueError),
    ("int default dtype", lambda t, nn, F, o: t.set_default_dtype(t.int32), TypeError),
    ("mean of int", lambda t, nn, F, o: t.mean(t.tensor([1, 2])), TypeError),
    ("var of int", lambda t, nn, F, o: t.tensor([1, 2]).var(), TypeError),
    ("std of int", lambda t, nn, F, o: t.tensor([1, 2]).std(), TypeError),
    ("negative size", lambda t, nn, F, o: t.ones(-1), ValueError),
    ("negative size randn", lambda t, nn, F, o: t.randn(2, -3), ValueError),
    ("float size", lambda t, nn, F, o: t.ones(2.5), TypeError),
    ("arange step 0", lambda t, nn, F, o: t.arange(0, 5, 0), ValueError),
    ("arange wrong way", lambda t, nn, F, o: t.arange(0, 5, -1), ValueError),
    ("linspace negative steps", lambda t, nn, F, o: t.linspace(0, 1, -1), ValueError),
    ("histogram of int", lambda t, nn, F, o: t.histogram(t.tensor([1, 2])), TypeError),
    ("histogram bins 0", lambda t, nn, F, o: t.histogram(t.ones(3), bins=0), ValueError),
    ("histogram range reversed",
     lambda t, nn, F, o: t.histogram(t.ones(3), bins=2, range=(3.0, 1.0)), ValueError),
    ("histogram of NaN", lambda t, nn, F, o: t.histogram(t.tensor([1.0, float("nan")])),
     ValueError),
    ("histogram weight shape",
     lambda t, nn, F, o: t.histogram(t.ones(3), bins=2, weight=t.ones(2)), ValueError),
    ("randint empty range", lambda t, nn, F, o: t.randint(5, 5, (2,)), ValueError),
    ("randint without size", lambda t, nn, F, o: t.randint(0, 5), TypeError),
    ("normal negative std", lambda t, nn, F, o: t.normal(0.0, -1.0, (2,)), ValueError),
    ("from_numpy of a list", lambda t, nn, F, o: t.from_numpy([1.0]), TypeError),
    ("index_select float", lambda t, nn, F, o: t.ones(3).index_select(0, t.tensor([0.0])),
     TypeError),
    ("index_select past the end",
     lambda t, nn, F, o: t.ones(3).index_select(0, t.tensor([3])), IndexError),
    ("index_select negative", lambda t, nn, F, o: t.ones(3).index_select(0, t.tensor([-1])),
     IndexError),
    ("gather float index", lambda t, nn, F, o: t.ones(3).gather(0, t.tensor([0.0])), TypeError),
    ("gather past the end", lambda t, nn, F, o: t.ones(3).gather(0, t.tensor([5])), IndexError),
    ("gather negative", lambda t, nn, F, o: t.ones(3).gather(0, t.tensor([-1])), IndexError),
    ("gather ndims", lambda t, nn, F, o: t.ones(3, 2).gather(0, t.tensor([0])), ValueError),
    ("scatter past the end", lambda t, nn, F, o: t.ones(3).scatter(0, t.tensor([5]), t.ones(1)),
     IndexError),
    ("scatter without a source", lambda t, nn, F, o: t.ones(3).scatter(0, t.tensor([0])),
     TypeError),
    ("repeat fewer counts", lambda t, nn, F, o: t.ones(2, 3).repeat(2), ValueError),
    ("topk k too big", lambda t, nn, F, o: t.ones(3).topk(5), ValueError),
    ("t of 3-D", lambda t, nn, F, o: t.ones(2, 2, 2).t(), ValueError),
    ("chunk 0", lambda t, nn, F, o: t.ones(4).chunk(0), ValueError),
    ("split sizes", lambda t, nn, F, o: t.ones(4).split([1, 2]), ValueError),
    ("narrow past the end", lambda t, nn, F, o: t.ones(4).narrow(0, 2, 3), ValueError),
    ("tril of 1-D", lambda t, nn, F, o: t.tril(t.ones(3)), ValueError),
    ("meshgrid indexing", lambda t, nn, F, o: t.meshgrid(t.ones(2), t.ones(2), indexing="ab"),
     ValueError),
    ("norm p", lambda t, nn, F, o: t.ones(3).norm(p="abc"), ValueError),
    ("in place broadcast", lambda t, nn, F, o: t.ones(3).add_(t.ones(2, 3)), ValueError),
    ("in place float into int", lambda t, nn, F, o: t.ones(3, dtype=t.long).add_(t.ones(3) / 2),
     TypeError),
    ("copy_ shapes", lambda t, nn, F, o: t.ones(3).copy_(t.ones(2)), ValueError),
    ("in place on a leaf", lambda t, nn, F, o: t.ones(2, requires_grad=True).add_(1.0),
     RuntimeError),
    ("bool of two", lambda t, nn, F, o: bool(t.ones(2)), RuntimeError),
    ("len of 0-d", lambda t, nn, F, o: len(t.ones(())), TypeError),
    ("backward of a non-scalar", lambda t, nn, F, o: (t.ones(2, requires_grad=True) * 2).backward(),
     RuntimeError),
    ("backward without grad", lambda t, nn, F, o: (t.ones(2) * 2).sum().backward(), RuntimeError),
    ("backward gradient shape",
     lambda t, nn, F, o: (t.ones(2, 3, requires_grad=True) * 2).backward(t.ones(3)),
     RuntimeError),
    ("backward twice", lambda t, nn, F, o: _backward_twice(t), RuntimeError),
    ("saved tensor modified", lambda t, nn, F, o: _modified_after_save(t), RuntimeError),
    ("grad of an unused input",
     lambda t, nn, F, o: t.autograd.grad((t.ones(2, requires_grad=True) * 2).sum(),
                                         [t.ones(2, requires_grad=True)]), RuntimeError),
    ("unknown device", lambda t, nn, F, o: t.ones(2, device="tpu"), RuntimeError),
    # layers
    ("Linear input size", lambda t, nn, F, o: nn.Linear(4, 5)(t.ones(2, 3)), ValueError),
    ("Linear 1-D input", lambda t, nn, F, o: nn.Linear(4, 5)(t.ones(3)), ValueError),
    ("Linear int input", lambda t, nn, F, o: nn.Linear(2, 2)(t.ones(1, 2, dtype=t.long)),
     TypeError),
    ("Linear float64 input", lambda t, nn, F, o: nn.Linear(2, 2)(t.ones(1, 2, dtype=t.float64)),
     TypeError),
    ("Linear negative size", lambda t, nn, F, o: nn.Linear(3, -1), ValueError),
    ("Linear float size", lambda t, nn, F, o: nn.Linear(2.5, 3), TypeError),
    ("F.linear weight", lambda t, nn, F, o: F.linear(t.ones(2, 3), t.ones(4, 5)), ValueError),
    ("Conv2d channels", lambda t, nn, F, o: nn.Conv2d(3, 4, 3)(t.ones(1, 2, 5, 5)), ValueError),
    ("Conv2d 2-D input", lambda t, nn, F, o: nn.Conv2d(3, 4, 3)(t.ones(5, 5)), ValueError),
    ("Conv2d kernel too big", lambda t, nn, F, o: nn.Conv2d(1, 1, 7)(t.ones(1, 1, 5, 5)),
     ValueError),
    ("Conv2d groups", lambda t, nn, F, o: nn.Conv2d(3, 4, 3, groups=2), ValueError),
    ("Conv2d padding_mode", lambda t, nn, F, o: nn.Conv2d(1, 1, 2, padding_mode="foo"),
     ValueError),
    ("conv2d weight channels",
     lambda t, nn, F, o: F.conv2d(t.ones(1, 3, 5, 5), t.ones(4, 2, 3, 3)), ValueError),
    ("conv2d padding string",
     lambda t, nn, F, o: F.conv2d(t.ones(1, 1, 3, 3), t.ones(1, 1, 2, 2), padding="foo"),
     ValueError),
    ("conv2d same and strided", lambda t, nn, F, o: F.conv2d(
        t.ones(1, 1, 3, 3), t.ones(1, 1, 2, 2), stride=2, padding="same"), ValueError),
    ("conv2d negative padding",
     lambda t, nn, F, o: F.conv2d(t.ones(1, 1, 3, 3), t.ones(1, 1, 2, 2), padding=-1),
     ValueError),
    ("conv2d 3-D weight", lambda t, nn, F, o: F.conv2d(t.ones(1, 1, 3, 3), t.ones(1, 2, 2)),
     ValueError),
    ("conv2d weight groups",
     lambda t, nn, F, o: F.conv2d(t.ones(1, 2, 3, 3), t.ones(3, 1, 2, 2), groups=2), ValueError),
    ("conv2d bias", lambda t, nn, F, o: F.conv2d(t.ones(1, 1, 3, 3), t.ones(2, 1, 2, 2),
                                                 t.ones(3)), ValueError),
    ("conv2d dtypes", lambda t, nn, F, o: F.conv2d(t.ones(1, 1, 3, 3, dtype=t.float64),
                                                   t.ones(2, 1, 2, 2)), TypeError),
    ("MaxPool2d too big", lambda t, nn, F, o: nn.MaxPool2d(7)(t.ones(1, 1, 5, 5)), ValueError),
    ("MaxPool2d padding", lambda t, nn, F, o: nn.MaxPool2d(2, padding=2)(t.ones(1, 1, 5, 5)),
     ValueError),
    ("MaxPool2d 1-D input", lambda t, nn, F, o: nn.MaxPool2d(2)(t.ones(5)), ValueError),
    ("max_pool2d stride 0", lambda t, nn, F, o: F.max_pool2d(t.ones(1, 1, 4, 4), 2, stride=0),
     ValueError),
    ("AvgPool2d too big", lambda t, nn, F, o: nn.AvgPool2d(7)(t.ones(1, 1, 5, 5)), ValueError),
    ("avg_pool2d divisor 0",
     lambda t, nn, F, o: F.avg_pool2d(t.ones(1, 1, 4, 4), 2, divisor_override=0), ValueError),
    ("pad odd length", lambda t, nn, F, o: F.pad(t.ones(2, 2), (1,)), ValueError),
    ("pad crops too much", lambda t, nn, F, o: F.pad(t.ones(2, 2), (-2, -1)), ValueError),
    ("pad mode", lambda t, nn, F, o: F.pad(t.ones(1, 1, 2, 2), (1, 1), mode="foo"), ValueError),
    ("BatchNorm1d features", lambda t, nn, F, o: nn.BatchNorm1d(3)(t.ones(2, 4)), ValueError),
    ("BatchNorm1d batch of 1", lambda t, nn, F, o: nn.BatchNorm1d(3)(t.ones(1, 3)), ValueError),
    ("BatchNorm1d 4-D", lambda t, nn, F, o: nn.BatchNorm1d(3)(t.ones(2, 3, 2, 2)), ValueError),
    ("BatchNorm2d 3-D", lambda t, nn, F, o: nn.BatchNorm2d(3)(t.ones(3, 2, 2)), ValueError),
    ("BatchNorm2d features", lambda t, nn, F, o: nn.BatchNorm2d(3)(t.ones(2, 4, 2, 2)),
     ValueError),
    ("LayerNorm shape", lambda t, nn, F, o: nn.LayerNorm(4)(t.ones(2, 3)), ValueError),
    ("LayerNorm dtype", lambda t, nn, F, o: nn.LayerNorm(2)(t.ones(2, 2, dtype=t.float64)),
     TypeError),
    ("Embedding past the end", lambda t, nn, F, o: nn.Embedding(3, 2)(t.tensor([3])), IndexError),
    ("Embedding negative index", lambda t, nn, F, o: nn.Embedding(3, 2)(t.tensor([-1])),
     IndexError),
    ("Embedding float index", lambda t, nn, F, o: nn.Embedding(3, 2)(t.tensor([1.0])), TypeError),
    ("Embedding negative size", lambda t, nn, F, o: nn.Embedding(-1, 2), ValueError),
    ("embedding 1-D weight", lambda t, nn, F, o: F.embedding(t.tensor([0]), t.ones(3)),
     ValueError),
    ("PReLU channels", lambda t, nn, F, o: nn.PReLU(3)(t.ones(2, 4)), ValueError),
    ("gelu approximate", lambda t, nn, F, o: F.gelu(t.ones(2), approximate="foo"), ValueError),
    ("Dropout p", lambda t, nn, F, o: nn.Dropout(1.5), ValueError),
    ("F.softmax dim", lambda t, nn, F, o: F.softmax(t.ones(2, 3), dim=2), IndexError),
    ("Flatten dims", lambda t, nn, F, o: nn.Flatten(2, 1)(t.ones(2, 3, 4)), ValueError),
    ("Unflatten sizes", lambda t, nn, F, o: nn.Unflatten(1, (2, 2))(t.ones(2, 3)), ValueError),
    ("Unflatten size type", lambda t, nn, F, o: nn.Unflatten(1, "ab"), TypeError),
    ("RNN input size", lambda t, nn, F, o: nn.RNN(3, 4)(t.ones(5, 2, 2)), RuntimeError),
    ("LSTM input size", lambda t, nn, F, o: nn.LSTM(3, 4)(t.ones(5, 2, 2)), RuntimeError),
    ("GRU input size", lambda t, nn, F, o: nn.GRU(3, 4)(t.ones(5, 2, 2)), RuntimeError),
    ("RNN 4-D input", lambda t, nn, F, o: nn.RNN(3, 4)(t.ones(5, 2, 2, 3)), ValueError),
    ("RNN hidden shape", lambda t, nn, F, o: nn.RNN(2, 2)(t.ones(3, 1, 2), t.ones(1, 1, 3)),
     RuntimeError),
    ("RNN nonlinearity", lambda t, nn, F, o: nn.RNN(2, 2, nonlinearity="foo"), ValueError),
    ("RNN hidden_size 0", lambda t, nn, F, o: nn.RNN(2, 0), ValueError),
    # losses
    ("cross_entropy target past the end",
     lambda t, nn, F, o: F.cross_entropy(t.ones(2, 3), t.tensor([0, 5])), IndexError),
    ("cross_entropy negative target",
     lambda t, nn, F, o: F.cross_entropy(t.ones(2, 3), t.tensor([0, -3])), IndexError),
    ("cross_entropy batch", lambda t, nn, F, o: F.cross_entropy(t.ones(4, 3), t.tensor([0, 1, 2])),
     ValueError),
    ("cross_entropy probabilities shape",
     lambda t, nn, F, o: F.cross_entropy(t.ones(2, 3), t.ones(2, 4)), ValueError),
    ("cross_entropy float 1-D target",
     lambda t, nn, F, o: F.cross_entropy(t.ones(2, 3), t.ones(2)), ValueError),
    ("cross_entropy label_smoothing", lambda t, nn, F, o: F.cross_entropy(
        t.ones(2, 3), t.tensor([0, 1]), label_smoothing=2.0), ValueError),
    ("nll_loss float target", lambda t, nn, F, o: F.nll_loss(t.ones(2, 3), t.ones(2)), TypeError),
    ("nll_loss target past the end",
     lambda t, nn, F, o: F.nll_loss(t.ones(2, 3), t.tensor([0, 3])), IndexError),
    ("nll_loss 2-D target", lambda t, nn, F, o: F.nll_loss(t.ones(2, 3), t.tensor([[0], [1]])),
     ValueError),
    ("mse_loss shapes", lambda t, nn, F, o: F.mse_loss(t.ones(3), t.ones(4)), ValueError),
    ("l1_loss shapes", lambda t, nn, F, o: F.l1_loss(t.ones(3), t.ones(4)), ValueError),
    ("huber_loss shapes", lambda t, nn, F, o: F.huber_loss(t.ones(3), t.ones(4)), ValueError),
    ("smooth_l1_loss shapes", lambda t, nn, F, o: F.smooth_l1_loss(t.ones(3), t.ones(4)),
     ValueError),
    ("kl_div shapes", lambda t, nn, F, o: F.kl_div(t.ones(3), t.ones(4)), ValueError),
    ("smooth_l1_loss beta", lambda t, nn, F, o: F.smooth_l1_loss(t.ones(2), t.ones(2), beta=-1.0),
     ValueError),
    ("huber_loss delta", lambda t, nn, F, o: F.huber_loss(t.ones(2), t.ones(2), delta=0.0),
     ValueError),
    ("gaussian_nll_loss var", lambda t, nn, F, o: F.gaussian_nll_loss(
        t.ones(2), t.ones(2), -t.ones(2)), ValueError),
    ("loss reduction", lambda t, nn, F, o: F.mse_loss(t.ones(2), t.ones(2), reduction="foo"),
     ValueError),
    ("binary_cross_entropy range",
     lambda t, nn, F, o: F.binary_cross_entropy(t.ones(3) * 2, t.ones(3)), ValueError),
    ("binary_cross_entropy shapes",
     lambda t, nn, F, o: F.binary_cross_entropy(t.ones(3) / 2, t.ones(4)), ValueError),
    ("binary_cross_entropy weight", lambda t, nn, F, o: F.binary_cross_entropy(
        t.ones(2, 3) / 2, t.ones(2, 3), weight=t.ones(4)), ValueError),
    ("bce_with_logits pos_weight", lambda t, nn, F, o: F.binary_cross_entropy_with_logits(
        t.ones(2, 3), t.ones(2, 3), pos_weight=t.ones(4)), ValueError),
    ("one_hot too few classes", lambda t, nn, F, o: F.one_hot(t.tensor([3]), 2), ValueError),
    ("one_hot negative", lambda t, nn, F, o: F.one_hot(t.tensor([-1]), 2), ValueError),
    ("one_hot float", lambda t, nn, F, o: F.one_hot(t.tensor([1.0]), 2), TypeError),
    # modules, optimizers, utilities
    ("load_state_dict missing keys", lambda t, nn, F, o: nn.Linear(2, 3).load_state_dict({}),
     RuntimeError),
    ("load_state_dict shapes", lambda t, nn, F, o: nn.Linear(2, 3).load_state_dict(
        {"weight": t.ones(3, 3), "bias": t.ones(3)}), RuntimeError),
    ("Sequential index", lambda t, nn, F, o: nn.Sequential(nn.ReLU())[3], IndexError),
    ("module attribute", lambda t, nn, F, o: nn.Linear(2, 2).weights, AttributeError),
    ("parameter of a float", lambda t, nn, F, o: nn.Linear(2, 2).register_parameter("w", 3.0),
     TypeError),
    ("tensor for a parameter", lambda t, nn, F, o: setattr(nn.Linear(2, 2), "weight",
                                                            t.ones(2, 2)), TypeError),
    ("train('yes')", lambda t, nn, F, o: nn.Linear(2, 2).train("yes"), ValueError),
    ("Module.to(int)", lambda t, nn, F, o: nn.Linear(2, 2).to(t.int64), TypeError),
    ("optimizer without parameters", lambda t, nn, F, o: o.SGD([], lr=0.1), ValueError),
    ("optimizer negative lr", lambda t, nn, F, o: o.SGD([_param(t, nn)], lr=-1), ValueError),
    ("optimizer of a tensor", lambda t, nn, F, o: o.SGD(_param(t, nn), lr=1), TypeError),
    ("Adam betas", lambda t, nn, F, o: o.Adam([_param(t, nn)], betas=(1.5, 0.9)), ValueError),
    ("optimizer of a non-leaf",
     lambda t, nn, F, o: o.SGD([t.ones(2, requires_grad=True) * 2], lr=1), ValueError),
    ("nesterov without momentum", lambda t, nn, F, o: o.SGD([_param(t, nn)], lr=1, nesterov=True),
     ValueError),
    ("clip_grad_norm_ non-finite", lambda t, nn, F, o: _nonfinite_clip(t, nn), RuntimeError),
    ("calculate_gain", lambda t, nn, F, o: nn.init.calculate_gain("foo"), ValueError),
    ("xavier of 1-D", lambda t, nn, F, o: nn.init.xavier_uniform_(t.ones(3)), ValueError),
    # the layers learners' programs reach for (issue 22)
    ("conv1d channels", lambda t, nn, F, o: F.conv1d(t.ones(1, 3, 5), t.ones(2, 4, 3)),
     ValueError),
    ("conv_transpose1d channels",
     lambda t, nn, F, o: F.conv_transpose1d(t.ones(1, 3, 5), t.ones(2, 1, 3)), ValueError),
    ("conv_transpose output_padding", lambda t, nn, F, o: F.conv_transpose1d(
        t.ones(1, 2, 5), t.ones(2, 1, 3), stride=2, output_padding=2), ValueError),
    ("glu odd dim", lambda t, nn, F, o: F.glu(t.ones(3)), ValueError),
    ("softshrink negative lambda", lambda t, nn, F, o: F.softshrink(t.ones(2), -1.0), ValueError),
    ("hardtanh min above max", lambda t, nn, F, o: F.hardtanh(t.ones(2), 2.0, 1.0), ValueError),
    ("group_norm groups", lambda t, nn, F, o: F.group_norm(t.ones(2, 5), 2), ValueError),
    ("GroupNorm groups", lambda t, nn, F, o: nn.GroupNorm(2, 5), ValueError),
    ("dropout1d of 4-D", lambda t, nn, F, o: F.dropout1d(t.ones(2, 3, 4, 5)), ValueError),
    ("sdpa shapes", lambda t, nn, F, o: F.scaled_dot_product_attention(
        t.ones(1, 2, 3), t.ones(1, 2, 4), t.ones(1, 2, 4)), ValueError),
    ("interpolate without size", lambda t, nn, F, o: F.interpolate(t.ones(1, 1, 4, 4)),
     ValueError),
    ("cosine_similarity shapes",
     lambda t, nn, F, o: F.cosine_similarity(t.ones(4, 5), t.ones(3, 5)), ValueError),
    ("vector_to_parameters length", lambda t, nn, F, o: nn.utils.vector_to_parameters(
        t.ones(3), nn.Linear(2, 2).parameters()), ValueError),
    ("pack_padded_sequence zero length", lambda t, nn, F, o: nn.utils.rnn.pack_padded_sequence(
        t.ones(5, 3, 2), [5, 0, 3], enforce_sorted=False), ValueError),
    ("pack_padded_sequence unsorted", lambda t, nn, F, o: nn.utils.rnn.pack_padded_sequence(
        t.ones(5, 3, 2), [2, 5, 3]), RuntimeError),
    ("LBFGS parameter groups", lambda t, nn, F, o: o.LBFGS(
        [{"params": [_param(t, nn)]}, {"params": [_param(t, nn)]}]), ValueError),
]

# torch raises a class ours is not an instance of; kept, each for its reason
DIFFERENT = [
    ("string data", lambda t, nn, F, o: t.tensor(["a"]), TypeError,
     "torch says ValueError ('too many dimensions'); a string is a wrong type here"),
    ("index_select 2-D index",
     lambda t, nn, F, o: t.ones(3).index_select(0, t.tensor([[0]])), ValueError,
     "torch says IndexError for an index that is not a vector; ours is a shape (ValueError)"),
    ("RNN float64 input", lambda t, nn, F, o: nn.RNN(2, 2)(t.ones(3, 1, 2, dtype=t.float64)),
     TypeError, "torch says ValueError for this dtype mismatch, RuntimeError for Linear's"),
    ("cuda", lambda t, nn, F, o: t.ones(2).to("cuda"), RuntimeError,
     "torch's CPU build fails an assert (AssertionError); ours says which devices exist"),
    ("Embedding padding_idx", lambda t, nn, F, o: nn.Embedding(3, 2, padding_idx=5), ValueError,
     "torch asserts (AssertionError)"),
    ("ModuleDict.update of ints", lambda t, nn, F, o: nn.ModuleDict().update([1]), ValueError,
     "torch says TypeError (not iterable); ours says it is not a (key, value) pair"),
]
# fmt: on


def _outcome(call, lib) -> BaseException | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns on mse_loss of different sizes
            call(lib.t, lib.nn, lib.F, lib.optim)
    except Exception as e:
        return e
    return None


def _torch():
    torch = pytest.importorskip("torch")
    return types.SimpleNamespace(t=torch, nn=torch.nn, F=torch.nn.functional, optim=torch.optim)


def _builtin(error: BaseException) -> type:
    """The built-in exception class an `except` written for torch names (torch's own classes
    derive from one; NotImplementedError is caught by `except RuntimeError`)."""
    for cls in type(error).__mro__:
        if cls.__module__ == "builtins":
            return RuntimeError if cls is NotImplementedError else cls
    raise AssertionError(f"no built-in base in {type(error).__mro__}")


@pytest.mark.parametrize("call, ours", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_ours_raises_the_documented_type(call, ours):
    error = _outcome(call, OURS)
    assert isinstance(error, ours), f"expected {ours.__name__}, got {error!r}"


@pytest.mark.parametrize("call, ours", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_an_except_written_for_torch_catches_ours(call, ours):
    theirs = _outcome(call, _torch())
    assert theirs is not None, "torch accepts this call: the row does not belong here"
    error = _outcome(call, OURS)
    assert isinstance(error, _builtin(theirs)), (
        f"torch raises {type(theirs).__name__} ({theirs}), ours {error!r}"
    )


@pytest.mark.parametrize(
    "call, ours, reason", [r[1:] for r in DIFFERENT], ids=[r[0] for r in DIFFERENT]
)
def test_the_known_differences_are_still_the_only_ones(call, ours, reason):
    error = _outcome(call, OURS)
    assert isinstance(error, ours), f"expected {ours.__name__}, got {error!r}"
    theirs = _outcome(call, _torch())
    assert theirs is not None and not isinstance(error, _builtin(theirs)), (
        f"now caught like torch's {type(theirs).__name__}: move the row to ROWS"
    )


def test_each_class_is_caught_by_both_families():
    from autodiff import errors

    assert issubclass(errors.ShapeError, ValueError) and issubclass(errors.ShapeError, RuntimeError)
    assert issubclass(errors.DtypeError, TypeError) and issubclass(errors.DtypeError, RuntimeError)
    assert issubclass(errors.IndexOutOfRangeError, IndexError)
    assert issubclass(errors.IndexOutOfRangeError, RuntimeError)
