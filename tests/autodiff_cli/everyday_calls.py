# Everyday torch calls from the code learners study (Karpathy's makemore lectures and
# makemore.py, the "let's build GPT" lecture and nanoGPT, the "What is torch.nn really?"
# tutorial, pytorch/examples). Each line prints "label: result" or "label: FAIL ...", so the
# output under `autodiff run` compares line by line with real torch's.
import contextlib
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def check(label, fn):
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 (the point is to report every failure)
        result = f"FAIL {type(e).__name__}: {str(e).splitlines()[0][:90] if str(e) else ''}"
    print(f"{label}: " + str(result))  # str: a 0-d tensor prints as tensor(...)


def run(*statements):
    """Run statements (strings) in one namespace; the last one's value is the result."""
    scope = dict(torch=torch, nn=nn, F=F, np=np, math=math, contextlib=contextlib, X=X, W=W)
    *body, last = statements
    for line in body:
        exec(line, scope)
    return eval(last, scope)


X = torch.arange(12).reshape(3, 4)
W = torch.linspace(-1.5, 2.0, 12).reshape(3, 4)

# tensors, shapes and dtypes (makemore 1-2, the GPT lecture)
check("shape", lambda: X.shape)
check("size", lambda: W.size())
check("size_dim", lambda: W.size(-1))
check("dtype", lambda: (X.dtype, W.dtype))
check("dtype_str", lambda: str(torch.float64))
check("zeros_int32", lambda: torch.zeros((2, 3), dtype=torch.int32))
check("index_add", lambda: run("N = torch.zeros((3, 3), dtype=torch.int32)", "N[1, 2] += 1", "N"))
check("float_div_sum", lambda: run("p = X[1].float()", "p / p.sum()"))
check("sum_keepdims", lambda: (X + 1).float().sum(1, keepdims=True))
check("one_hot", lambda: F.one_hot(torch.tensor([0, 2]), num_classes=4).float())
check("arange_index", lambda: W[torch.arange(3), torch.tensor([0, 1, 3])])
check("range_index", lambda: W[range(3), torch.tensor([0, 1, 3])])
check("view_minus1", lambda: torch.tensor([[1, 2], [3, 4]]).view(-1))
check("tensor_view", lambda: W.view(2, -1).shape)
check("unbind_cat", lambda: torch.cat(torch.unbind(W.view(3, 2, 2), 1), 1))
check("pow_tensor", lambda: 10 ** torch.linspace(-3, 0, 4))
check("item", lambda: torch.tensor([0.5]).item())
check("print_float", lambda: W)
check("print_requires_grad", lambda: torch.tensor([[0.1234, -1.0]], requires_grad=True))
check("print_grad_fn", lambda: torch.tensor([1.0, 2.0], requires_grad=True) + 1)
check("print_float64", lambda: torch.tensor([1.5, 2.0], dtype=torch.float64))
check("print_scalar", lambda: torch.tensor(3.25))
check("print_bool", lambda: X > 5)
check("print_large", lambda: torch.arange(2000))
check("print_sci", lambda: torch.tensor([1e-5, 1.0, 1e5]))
check("print_nan", lambda: torch.tensor([float("nan"), float("inf"), 1.0]))
check("format_spec", lambda: "{:+.2f}".format(torch.tensor(1.2345)))  # noqa: UP032 (as examples write it)
check("fstring", lambda: f"{torch.tensor(2.5)}")
check("mean_std_keepdim", lambda: (W.mean(0, keepdim=True), W.std(0, keepdim=True)))
check("var_tuple_dims", lambda: W.view(3, 2, 2).var((0, 1), keepdim=True).shape)
check("max_values", lambda: W.max(1, keepdim=True).values)
check("abs_gt_mean", lambda: (W.abs() > 0.99).float().mean())
check("allclose", lambda: torch.allclose(W, W.clone()))
check("all_item", lambda: (W == W).all().item())
check("nelement", lambda: W.nelement())
check("numel", lambda: sum(p.numel() for p in [W, X]))
check("torch_numel", lambda: torch.numel(W))
check("zeros_like_dtype", lambda: torch.zeros_like(W, dtype=torch.long))
check(
    "no_grad_decorator",
    lambda: run("@torch.no_grad()\ndef f(x):\n    return x * 2", "f(W).requires_grad"),
)
check(
    "inference_mode",
    lambda: run("@torch.inference_mode()\ndef f(x):\n    return x * 2", "f(W).sum()"),
)
check("float_alias", lambda: torch.arange(3).float().dtype == torch.float)
check("long_alias", lambda: torch.tensor([1.7]).long())

# makemore.py and nanoGPT
check("cat_dim1", lambda: torch.cat((X, X[:, :1]), dim=1).shape)
check("topk", lambda: torch.topk(W[0], 2))
check("masked_assign", lambda: run("L = W.clone()", "L[L < 0.5] = -float('Inf')", "L"))
check("tril_view", lambda: torch.tril(torch.ones(3, 3)).view(1, 1, 3, 3).shape)
check(
    "masked_fill_inf",
    lambda: W[:, :3].masked_fill(torch.tril(torch.ones(3, 3)) == 0, float("-inf")),
)
check("transpose_contiguous", lambda: W.transpose(0, 1).contiguous().view(2, 6))
check("is_contiguous", lambda: (W.is_contiguous(), W.t().is_contiguous()))
check("full_long", lambda: torch.full((3,), 0, dtype=torch.long))
check("ellipsis_none", lambda: torch.tensor([1, 2], dtype=torch.long)[None, ...])
check("index_0d", lambda: run("i = torch.tensor(2)", "np.arange(10)[i:i + 3]"))
check(
    "stack_slices", lambda: torch.stack([torch.arange(10)[i : i + 3] for i in torch.tensor([1, 4])])
)
check("from_numpy_int64", lambda: torch.from_numpy(np.arange(5).astype(np.int64))[1:3])
check("arange_long", lambda: torch.arange(0, 4, dtype=torch.long, device="cpu"))
check(
    "allow_tf32",
    lambda: run("torch.backends.cuda.matmul.allow_tf32 = True", "torch.backends.cudnn.allow_tf32"),
)
check(
    "autocast_nullcontext",
    lambda: run(
        "ctx = contextlib.nullcontext() if True else None",
        "type(torch.amp.autocast(device_type='cuda', dtype=torch.bfloat16)).__name__",
    ),
)
check("grad_scaler", lambda: torch.cuda.amp.GradScaler(enabled=False).is_enabled())
check("bfloat16", lambda: str(torch.bfloat16))
check("cuda_available", lambda: torch.cuda.is_available())
check(
    "zeros_eval_iters", lambda: run("losses = torch.zeros(3)", "losses[1] = 0.5", "losses.mean()")
)
check("multinomial", lambda: torch.multinomial(torch.tensor([0.0, 1.0]), num_samples=1))
check("randint_shape", lambda: torch.randint(10, (4,)).shape)
check("generator", lambda: torch.randn((2, 2), generator=torch.Generator().manual_seed(1)).shape)
check(
    "nn_modules_path",
    lambda: run("import torch.nn.modules.loss as L", "L.CrossEntropyLoss.__name__"),
)
check(
    "dataloader_path",
    lambda: run("from torch.utils.data.dataloader import DataLoader", "DataLoader.__name__"),
)
check(
    "ddp_import",
    lambda: run("from torch.nn.parallel import DistributedDataParallel as DDP", "'ok'"),
)
check(
    "distributed_import",
    lambda: run("from torch.distributed import init_process_group, destroy_process_group", "'ok'"),
)

# "What is torch.nn really?"
check(
    "map_tensor",
    lambda: [t.dtype for t in map(torch.tensor, (np.zeros(2, np.float32), np.arange(2)))],
)
check("min_max", lambda: (X.min(), X.max()))
check("requires_grad_", lambda: (torch.ones(2) / math.sqrt(4)).requires_grad_())
check("log_softmax_manual", lambda: (W - W.exp().sum(-1).log().unsqueeze(-1))[0])
check("argmax_eq_mean", lambda: (torch.argmax(W, dim=1) == torch.tensor([3, 3, 3])).float().mean())
check("print_select", lambda: torch.ones(2, 3, requires_grad=True)[0])
check(
    "device_pick",
    lambda: torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu"),
)
check("view_size", lambda: W.view(-1, W.size(1)).shape)

# pytorch/examples
check("flatten_1", lambda: torch.flatten(W.view(3, 2, 2), 1).shape)
check(
    "eq_view_as",
    lambda: (
        torch.tensor([1, 2]).eq(torch.tensor([[1], [3]]).view_as(torch.tensor([1, 2]))).sum().item()
    ),
)
check("new_zeros", lambda: W.new_zeros((2, 2)))
check("narrow_t", lambda: X.narrow(0, 0, 2).t().contiguous())
check("triu_inf", lambda: torch.triu(torch.ones(3, 3) * float("-inf"), diagonal=1))
check(
    "sin_cos_position", lambda: torch.exp(torch.arange(0, 4, 2).float() * (-math.log(10000.0) / 4))
)
check(
    "split_stack",
    lambda: torch.stack(torch.randn(2, 3, dtype=torch.double).split(1, dim=1), 1).squeeze(2).shape,
)
check(
    "distributions",
    lambda: torch.distributions.Categorical(torch.tensor([0.25, 0.75])).log_prob(torch.tensor(1)),
)
check(
    "returns_norm",
    lambda: run(
        "r = torch.tensor([1.0, 2.0, 4.0])",
        "(r - r.mean()) / (r.std() + np.finfo(np.float32).eps.item())",
    ),
)
check("finfo", lambda: torch.finfo(torch.float32).eps)
check("is_tensor", lambda: torch.is_tensor(W))
check("clip", lambda: W[0].clip(-1, 1))
check("einsum", lambda: torch.einsum("ij,kj->ik", W, W))
check("linalg_norm", lambda: torch.linalg.norm(W))
check("where_1arg", lambda: torch.where(X > 9))
check("nonzero", lambda: (X > 9).nonzero())
check(
    "set_printoptions",
    lambda: run(
        "torch.set_printoptions(precision=2)",
        "s = str(W[0])",
        "torch.set_printoptions(profile='default')",
        "s",
    ),
)
check("manual_seed_returns", lambda: type(torch.manual_seed(0)).__name__)
check("num_threads", lambda: run("torch.set_num_threads(1)", "torch.get_num_threads()"))
check(
    "matmul_precision",
    lambda: run(
        "torch.set_float32_matmul_precision('high')",
        "(torch.get_float32_matmul_precision(), torch.backends.cuda.matmul.allow_tf32)",
    ),
)
# NumPy functions on tensors (a DCGAN tutorial's np.transpose(grid, (1, 2, 0)) for plt.imshow)
check("np_transpose", lambda: np.transpose(X[:2, :3], (1, 0)))
check("np_sin", lambda: np.sin(X[0, :3]))
check("np_greater", lambda: np.greater(X[0, :3], 1))


def raised(fn):
    """The type of error fn raises (torch's message and ours differ in words)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "nothing raised"


check("np_sin_requires_grad", lambda: raised(lambda: np.sin(W[0, :3].clone().requires_grad_())))
print("done", file=sys.stderr)
