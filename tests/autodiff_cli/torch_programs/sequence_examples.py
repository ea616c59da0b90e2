# Sequence programs in the style of pytorch/examples: time_sequence_prediction (two LSTMCells in
# float64 fitted by LBFGS through a closure), word_language_model (an LSTM and a Transformer
# language model, batchify/get_batch, repackage_hidden, clipping, a manual SGD step) and a GRU
# over padded, packed variable-length sequences.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


def deterministic_(model, scale=0.3):
    """Fixed weights, so the printed numbers do not depend on the random stream."""
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(scale * torch.sin(torch.arange(p.numel()) * 1.3 + i).reshape(p.shape))


class Sequence(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


shift = torch.tensor([[0.0], [3.0], [7.0], [11.0], [13.0]])
data = torch.sin((torch.arange(24.0) + shift) / 4.0).double()
seq = Sequence()
seq.double()
deterministic_(seq)
criterion = nn.MSELoss()
optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
inputs, targets = data[1:, :-1], data[1:, 1:]
losses = []


def closure():
    optimizer.zero_grad()
    loss = criterion(seq(inputs), targets)
    losses.append(loss.item())
    loss.backward()
    return loss


for i in range(2):
    losses.clear()
    optimizer.step(closure)
    with torch.no_grad():
        pred = seq(data[:1, :-1], future=5)
        test = criterion(pred[:, :-5], data[:1, 1:])
    print("lbfgs", i, len(losses), f"{losses[0]:.6f} {losses[-1]:.6f} {test.item():.6f}")


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.0):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        dtype = next(self.parameters()).dtype
        if self.rnn_type == "LSTM":
            return (torch.zeros(self.nlayers, bsz, self.nhid, dtype=dtype),
                    torch.zeros(self.nlayers, bsz, self.nhid, dtype=dtype))  # fmt: skip
        return torch.zeros(self.nlayers, bsz, self.nhid, dtype=dtype)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.0, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return self.dropout(x + self.pe[: x.size(0), :])


class TransformerModel(nn.Transformer):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.0):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                         num_encoder_layers=nlayers, num_decoder_layers=1, dropout=dropout)  # fmt: skip
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            self.src_mask = torch.log(torch.tril(torch.ones(len(src), len(src))))
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        output = self.encoder(src, mask=self.src_mask)
        return F.log_softmax(self.decoder(output), dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t()


def get_batch(source, i, bptt=6):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


words = (
    "the quick brown fox jumps over the lazy dog and the dog sleeps while the fox runs " * 4
).split()
vocab = {w: i for i, w in enumerate(sorted(set(words)))}
ids = torch.tensor([vocab[w] for w in words], dtype=torch.long)
train_data = batchify(ids, 4)
for kind in ["LSTM", "GRU", "Transformer"]:
    if kind == "Transformer":
        model = TransformerModel(len(vocab), 8, 2, 16, 2)
    else:
        model = RNNModel(kind, len(vocab), 8, 12, 2)
    deterministic_(model)
    model.train()
    lr, total = 2.0, 0.0
    hidden = model.init_hidden(4) if kind != "Transformer" else None
    starts = range(0, train_data.size(0) - 1, 6)
    for i in starts:
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        if kind == "Transformer":
            output = model(data).view(-1, len(vocab))
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
        loss = nn.NLLLoss()(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total += loss.item()
    if kind != "Transformer":
        model.rnn.flatten_parameters()
    print(kind, len(starts), f"{total / len(starts):.5f} {math.exp(loss.item()):.4f}")

lengths = [5, 2, 4]
seqs = [torch.sin(torch.arange(n * 3.0).reshape(n, 3) + k) for k, n in enumerate(lengths)]
padded = pad_sequence(seqs, batch_first=True)
gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
deterministic_(gru)
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
out, h_n = gru(packed)
unpacked, out_lengths = pad_packed_sequence(out, batch_first=True)
(unpacked.sum() + h_n.sum()).backward()
print("packed", tuple(unpacked.shape), out_lengths.tolist(), f"{unpacked.sum().item():.5f}",
      f"{h_n.abs().sum().item():.5f} {gru.weight_hh_l0.grad.abs().sum().item():.5f}")  # fmt: skip
