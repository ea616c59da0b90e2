"""A GPT training step in PyTorch's words, at the sizes learners train on a CPU; run by
bench_transformer.py with real torch and under `autodiff run`. Prints one JSON line: the
median CPU milliseconds of a step.

    python benchmarks/transformer_step.py nanogpt|makemore [--steps N]
"""

import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

# nanoGPT's shakespeare_char CPU recipe and makemore.py's transformer defaults
SIZES = {
    "nanogpt": dict(vocab=65, block=64, batch=12, layers=4, heads=4, embd=128),
    "makemore": dict(vocab=27, block=16, batch=32, layers=4, heads=4, embd=64),
}


class CausalSelfAttention(nn.Module):
    def __init__(self, embd, heads):
        super().__init__()
        self.c_attn = nn.Linear(embd, 3 * embd)
        self.c_proj = nn.Linear(embd, embd)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, embd, heads):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(embd), nn.LayerNorm(embd)
        self.attn = CausalSelfAttention(embd, heads)
        self.mlp = nn.Sequential(nn.Linear(embd, 4 * embd), nn.GELU(), nn.Linear(4 * embd, embd))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab, block, layers, heads, embd):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, embd), nn.Embedding(block, embd)
        self.blocks = nn.ModuleList([Block(embd, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(embd)
        self.lm_head = nn.Linear(embd, vocab, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * layers))

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1))
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=SIZES)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    s = SIZES[args.model]
    torch.manual_seed(1337)
    model = GPT(s["vocab"], s["block"], s["layers"], s["heads"], s["embd"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    data = torch.randint(s["vocab"], (4096,))
    times = []
    for _ in range(args.steps + 3):  # 3 warm-up steps
        ix = torch.randint(len(data) - s["block"] - 1, (s["batch"],))
        x = torch.stack([data[i : i + s["block"]] for i in ix])
        y = torch.stack([data[i + 1 : i + 1 + s["block"]] for i in ix])
        start = time.process_time()
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.process_time() - start)
    print(json.dumps({"ms": 1000 * statistics.median(times[3:]), "loss": loss.item()}))


if __name__ == "__main__":
    main()
