"""In the style of PyTorch's "Language Modeling with nn.Transformer" and "Language Translation
with nn.Transformer" tutorials, on a small generated corpus."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

torch.manual_seed(0)
words = "the cat sat on a mat and the dog ran to the red ball while a bird sang".split()
vocab = {w: i for i, w in enumerate(sorted(set(words)))}
text = [vocab[words[(i * 7 + i // 3) % len(words)]] for i in range(600)]
data = torch.tensor(text, dtype=torch.long)


def batchify(data: Tensor, bsz: int) -> Tensor:
    seq_len = data.size(0) // bsz
    data = data[: seq_len * bsz]
    return data.view(bsz, seq_len).t().contiguous()


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 500):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.2):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(
            layers, nlayers, enable_nested_tensor=False
        )
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src: Tensor, src_mask: Tensor = None) -> Tensor:
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        output = self.transformer_encoder(src, src_mask)
        return self.linear(output)


train_data = batchify(data[:480], 4)
val_data = batchify(data[480:], 2)
bptt = 12


def get_batch(source: Tensor, i: int):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


ntokens = len(vocab)
model = TransformerModel(ntokens, 32, 2, 64, 2, 0.2)
print("parameters", sum(p.numel() for p in model.parameters()))
print("mask", nn.Transformer.generate_square_subsequent_mask(3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=2.0)  # the tutorial: 5.0
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)


def train() -> float:
    model.train()
    total = 0.0
    starts = range(0, train_data.size(0) - 1, bptt)
    for i in starts:
        x, targets = get_batch(train_data, i)
        output = model(x)
        loss = criterion(output.view(-1, ntokens), targets)
        optimizer.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total += loss.item()
    print(f"last grad norm {norm.item():.4f} lr {scheduler.get_last_lr()[0]:.4f}")
    return total / len(starts)


def evaluate(source: Tensor) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, bptt):
            x, targets = get_batch(source, i)
            out = model(x)
            total += len(x) * criterion(out.view(-1, ntokens), targets).item()
    return total / (len(source) - 1)


for epoch in range(1, 4):
    loss = train()
    val = evaluate(val_data)
    print(f"epoch {epoch} train loss {loss:.4f} val loss {val:.4f} ppl {math.exp(val):.3f}")
    scheduler.step()

# the translation tutorial's pieces: nn.Transformer with padding masks, greedy decoding
PAD, BOS, EOS = 0, 1, 2
torch.manual_seed(1)
seq = nn.Transformer(
    d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32, dropout=0.1
)
emb = nn.Embedding(12, 16, padding_idx=PAD)
gen = nn.Linear(16, 12)
src = torch.tensor([[BOS, 5, 6, 7, EOS], [BOS, 8, 9, EOS, PAD]]).t()
tgt = torch.tensor([[BOS, 7, 6, 5], [BOS, 9, 8, EOS]]).t()
params = list(seq.parameters()) + list(emb.parameters()) + list(gen.parameters())
opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
for step in range(5):
    tgt_in = tgt[:-1]
    tgt_mask = seq.generate_square_subsequent_mask(tgt_in.size(0))
    src_pad = (src == PAD).t()
    tgt_pad = (tgt_in == PAD).t()
    out = seq(
        emb(src),
        emb(tgt_in),
        tgt_mask=tgt_mask,
        src_key_padding_mask=src_pad,
        tgt_key_padding_mask=tgt_pad,
        memory_key_padding_mask=src_pad,
    )
    logits = gen(out)
    loss = F.cross_entropy(logits.reshape(-1, 12), tgt[1:].reshape(-1), ignore_index=PAD)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"translation step {step} loss {loss.item():.5f}")
seq.eval()
with torch.no_grad():
    memory = seq.encoder(emb(src[:, :1]))
    ys = torch.ones(1, 1).fill_(BOS).type(torch.long)
    for _ in range(4):
        mask = seq.generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
        out = seq.decoder(emb(ys), memory, mask)
        prob = gen(out[-1])
        _, next_word = torch.max(prob, dim=1)
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word.item())], dim=0)
    print("greedy", ys.flatten().tolist())

# inference with padding: torch's TransformerEncoder gives zeros at padded positions in eval
# mode without gradients (its nested-tensor path), the padded computation otherwise
torch.manual_seed(2)
layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
x = torch.randn(2, 4, 8)
pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
encoder.eval()
with torch.no_grad():
    print("eval, no grad", encoder(x, src_key_padding_mask=pad)[:, :, :3])
print("eval, grad", encoder(x, src_key_padding_mask=pad)[:, :, :3].detach())
torch.backends.mha.set_fastpath_enabled(False)
with torch.no_grad():
    print("fast path off", encoder(x, src_key_padding_mask=pad)[:, :, :3])
torch.backends.mha.set_fastpath_enabled(True)
unchecked = nn.TransformerEncoder(layer, 1, mask_check=False).eval()
not_at_end = torch.tensor([[True, False, False, False], [False, True, False, True]])
with torch.no_grad():
    print("mask_check=False", unchecked(x, src_key_padding_mask=not_at_end)[:, :, :2])
    unchecked.mask_check = True
    print("mask_check=True", unchecked(x, src_key_padding_mask=not_at_end)[:, :, :2])
    all_padded = torch.tensor([[False] * 4, [True] * 4])
    print("all padded", unchecked(x, src_key_padding_mask=all_padded)[:, :, :2])
print("use_nested_tensor", encoder.use_nested_tensor, seq.encoder.use_nested_tensor)
