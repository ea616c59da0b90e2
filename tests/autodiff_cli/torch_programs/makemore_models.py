# makemore's model zoo on a few names: bigram, MLP, RNN and GRU cells, bag of words and a
# small Transformer, each trained a few AdamW steps, in the style of Karpathy's makemore.py
# (ModuleDict blocks, a causal tril buffer, ignore_index=-1 targets, an endless loader).
import math
import sys

import torch
import torch.nn as nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

WORDS = "emma olivia ava isabella sophia mia charlotte amelia harper evelyn abigail emily ella \
elizabeth camila luna sofia avery mila aria scarlett penelope layla chloe victoria madison \
eleanor grace nora riley zoey hannah hazel lily ellie violet lillian zoe stella aurora".split()


class CharDataset(Dataset):
    def __init__(self, words):
        self.words = words
        self.chars = sorted(set("".join(words)))
        self.stoi = {ch: i + 1 for i, ch in enumerate(self.chars)}
        self.max_word_length = max(len(w) for w in words)

    def __len__(self):
        return len(self.words)

    def get_vocab_size(self):
        return len(self.chars) + 1

    def get_output_length(self):
        return self.max_word_length + 1

    def __getitem__(self, idx):
        ix = torch.tensor([self.stoi[w] for w in self.words[idx]], dtype=torch.long)
        x = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        y = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        x[1 : 1 + len(ix)] = ix
        y[: len(ix)] = ix
        y[len(ix) + 1 :] = -1  # the loss ignores these
        return x, y


class Config:
    vocab_size = 0
    block_size = 0
    n_embd = 16
    n_embd2 = 24
    n_head = 2
    n_layer = 2


class NewGELU(nn.Module):
    def forward(self, x):
        return (
            0.5
            * x
            * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
        )


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        size = config.block_size
        self.register_buffer("bias", torch.tril(torch.ones(size, size)).view(1, 1, size, size))
        self.n_head, self.n_embd = config.n_head, config.n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.ModuleDict(dict(
            c_fc=nn.Linear(config.n_embd, 4 * config.n_embd),
            c_proj=nn.Linear(4 * config.n_embd, config.n_embd),
            act=NewGELU(),
        ))  # fmt: skip
        m = self.mlp
        self.mlpf = lambda x: m.c_proj(m.act(m.c_fc(x)))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlpf(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.block_size = config.block_size
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd),
        ))  # fmt: skip
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


class CausalBoW(nn.Module):
    def __init__(self, config):
        super().__init__()
        size = config.block_size
        self.register_buffer("bias", torch.tril(torch.ones(size, size)).view(1, size, size))

    def forward(self, x):
        B, T, C = x.size()
        att = torch.zeros((B, T, T), device=x.device)
        att = att.masked_fill(self.bias[:, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        return att @ x


class BoW(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.cbow = CausalBoW(config)
        self.mlp = nn.Sequential(nn.Linear(config.n_embd, config.n_embd2), nn.Tanh(),
                                 nn.Linear(config.n_embd2, config.n_embd))  # fmt: skip
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
        x = self.cbow(self.wte(idx) + self.wpe(pos))
        return self.lm_head(x + self.mlp(x))


class RNNCell(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.xh_to_h = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)

    def forward(self, xt, hprev):
        return F.tanh(self.xh_to_h(torch.cat([xt, hprev], dim=1)))


class GRUCell(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.xh_to_z = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)
        self.xh_to_r = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)
        self.xh_to_hbar = nn.Linear(config.n_embd + config.n_embd2, config.n_embd2)

    def forward(self, xt, hprev):
        xh = torch.cat([xt, hprev], dim=1)
        r = F.sigmoid(self.xh_to_r(xh))
        hbar = F.tanh(self.xh_to_hbar(torch.cat([xt, r * hprev], dim=1)))
        z = F.sigmoid(self.xh_to_z(xh))
        return (1 - z) * hprev + z * hbar


class RNN(nn.Module):
    def __init__(self, config, cell_type):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(1, config.n_embd2))
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.cell = RNNCell(config) if cell_type == "rnn" else GRUCell(config)
        self.lm_head = nn.Linear(config.n_embd2, config.vocab_size)

    def forward(self, idx):
        b, t = idx.size()
        emb = self.wte(idx)
        hprev = self.start.expand((b, -1))
        hiddens = []
        for i in range(t):
            hprev = self.cell(emb[:, i, :], hprev)
            hiddens.append(hprev)
        return self.lm_head(torch.stack(hiddens, 1))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.block_size, self.vocab_size = config.block_size, config.vocab_size
        self.wte = nn.Embedding(config.vocab_size + 1, config.n_embd)
        self.mlp = nn.Sequential(nn.Linear(self.block_size * config.n_embd, config.n_embd2),
                                 nn.Tanh(), nn.Linear(config.n_embd2, self.vocab_size))  # fmt: skip

    def forward(self, idx):
        embs = []
        for _ in range(self.block_size):
            embs.append(self.wte(idx))
            idx = torch.roll(idx, 1, 1)
            idx[:, 0] = self.vocab_size
        return self.mlp(torch.cat(embs, -1))


class Bigram(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros((config.vocab_size, config.vocab_size)))

    def forward(self, idx):
        return self.logits[idx]


def deterministic_(model):
    """Fixed weights, so the printed numbers do not depend on the random stream."""
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(0.3 * torch.sin(torch.arange(p.numel()) * 1.7 + i).reshape(p.shape))


class InfiniteDataLoader:
    def __init__(self, dataset, **kwargs):
        sampler = torch.utils.data.RandomSampler(dataset, replacement=True, num_samples=int(1e10))
        self.train_loader = DataLoader(dataset, sampler=sampler, **kwargs)
        self.data_iter = iter(self.train_loader)

    def next(self):
        try:
            return next(self.data_iter)
        except StopIteration:
            self.data_iter = iter(self.train_loader)
            return next(self.data_iter)


torch.manual_seed(3407)
dataset = CharDataset(WORDS)
config = Config()
config.vocab_size, config.block_size = dataset.get_vocab_size(), dataset.get_output_length()
endless = InfiniteDataLoader(dataset, batch_size=8, pin_memory=True, num_workers=2)
X, Y = endless.next()
print(
    "batch", tuple(X.shape), bool((Y.max() < config.vocab_size).item()), len(endless.train_loader)
)
batches = [torch.stack(t) for t in zip(*[dataset[i] for i in range(len(dataset))])]
models = {"bigram": Bigram(config), "mlp": MLP(config), "rnn": RNN(config, "rnn"),
          "gru": RNN(config, "gru"), "bow": BoW(config), "transformer": Transformer(config)}  # fmt: skip
for name, model in models.items():
    deterministic_(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01,
                                  betas=(0.9, 0.99), eps=1e-8)  # fmt: skip
    for step in range(8):
        x, y = batches[0][step * 4 : step * 4 + 8], batches[1][step * 4 : step * 4 + 8]
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), ignore_index=-1)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.inference_mode():
        logits = model(batches[0])
        full = F.cross_entropy(
            logits.view(-1, logits.size(-1)), batches[1].view(-1), ignore_index=-1
        )
        v, _ = torch.topk(logits[:, -1, :], 3)
    n_params = sum(p.numel() for p in model.parameters())
    print(name, n_params, f"{loss.item():.4f}", f"{full.item():.4f}", f"{v[0, 0].item():.4f}")
sys.exit(0)
