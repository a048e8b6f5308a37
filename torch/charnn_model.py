"""charnn's model in PyTorch: one-hot characters (or, with --embed n, nn.Embedding(V, n) as `encoder`) -> nn.LSTM / nn.GRU / nn.RNN (tanh) with L layers -> dropout ->
nn.Linear decoder. Its state_dict names are charnn's tensor names ([encoder.weight,] rnn.weight_ih_l0 ... decoder.bias), with the
same shapes, so a charnn checkpoint loads with load_state_dict as it is.

Dropout as charnn's: inverted dropout on every layer's output, the last one included (nn.RNN's own dropout covers
the outputs between layers, F.dropout the one before the decoder). The masks come from torch's generator, not
charnn's: same distribution, other draws.

Initialisation is charnn's (src/model/init.ts), draw for draw: charnn's seeded RNG (charnn_rng.py) fills charnn's
flat parameter buffer in its order (layer by layer W_ih, W_hh, b_ih, b_hh, then the decoder, weights stored
transposed), so `--seed N` gives the same initial weights as `charnn train --seed N`:
  pytorch  every weight and bias uniform in +-1/sqrt(H) (nn.LSTM's default; nn.Linear(H, V)'s bound is 1/sqrt(H) too)
  charrnn  everything uniform in +-0.08, then the LSTM forget-gate block of bias_ih set to 1
An embedding (first in the buffer) gets its uniform draws like the rest; 'pytorch' then redraws it N(0, 1) from the
following uniforms (charnn's Box-Muller, two per value), as nn.Embedding's default.

Optimizers and schedules (src/train/optimizer.ts, schedule.ts): torch.optim's Adam, RMSprop, SGD have charnn's
update rules and defaults; the learning rate is set before every step from the same pure function of the step.
Dimension legend: T window, B streams, V vocabulary, H hidden, L layers, S state slots (lstm 2: h, c; else 1).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from charnn_checkpoint import STATE_SLOTS
from charnn_rng import uniforms

OPTIMIZER_BUFFERS = {"adam": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"], "sgd": ["momentum_buffer"]}
# charnn's optimizer constants (src/train/trainer.ts DEFAULT_TRAIN_OPTIONS); a checkpoint's config may override them
OPTIMIZER_DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "alpha": 0.99, "momentum": 0.9}


class CharRNN(nn.Module):
    def __init__(self, cell, layers, hidden, vocab_size, dropout, embed=0):
        super().__init__()
        self.cell, self.V, self.H, self.L, self.p, self.E = cell, vocab_size, hidden, layers, dropout, embed or 0
        between = dropout if layers > 1 else 0.0  # nn.RNN warns about dropout with one layer
        D = self.E or vocab_size  # layer 0's input width
        if self.E:
            self.encoder = nn.Embedding(vocab_size, self.E)  # before rnn: its state_dict entry comes first, as in charnn
        if cell == "lstm":
            self.rnn = nn.LSTM(D, hidden, layers, dropout=between)
        elif cell == "gru":
            self.rnn = nn.GRU(D, hidden, layers, dropout=between)
        else:
            self.rnn = nn.RNN(D, hidden, layers, nonlinearity="tanh", dropout=between)
        self.decoder = nn.Linear(hidden, vocab_size)

    def forward(self, x, state):
        """x (T, B) int64, state as to_torch_state gives -> logits (T, B, V), new state."""
        inp = self.encoder(x) if self.E else F.one_hot(x, self.V).to(self.decoder.weight.dtype)
        out, state = self.rnn(inp, state)
        if self.training and self.p > 0:
            out = F.dropout(out, self.p, True)
        return self.decoder(out), state

    def init_weights(self, scheme, seed):
        """charnn's CharRNN.init(new Rng(seed), scheme), bit for bit."""
        bound = 1 / math.sqrt(self.H) if scheme == "pytorch" else 0.08
        params = dict(self.named_parameters())
        # charnn's flat order; weights are stored transposed there (internal (D, G*H), PyTorch (G*H, D))
        order = [("encoder.weight", False)] if self.E else []
        for k in range(self.L):
            order += [(f"rnn.weight_ih_l{k}", True), (f"rnn.weight_hh_l{k}", True), (f"rnn.bias_ih_l{k}", False), (f"rnn.bias_hh_l{k}", False)]
        order += [("decoder.weight", True), ("decoder.bias", False)]
        total = sum(params[n].numel() for n, _ in order)
        normals = self.E * self.V if self.E and scheme == "pytorch" else 0
        u = uniforms(seed, total + 2 * normals)
        values = (-bound + (bound - -bound) * u[:total]).astype(np.float32)  # Rng.range(lo, hi) in float64, then float32
        if normals:  # Rng.normal(): sqrt(-2 ln u) cos(2 pi v), over the encoder's place at the buffer's start
            a, b = u[total::2], u[total + 1::2]
            values[:normals] = (np.sqrt(-2 * np.log(a)) * np.cos(2 * np.pi * b)).astype(np.float32)
        at = 0
        with torch.no_grad():
            for name, transposed in order:
                p = params[name]
                n = p.numel()
                chunk = values[at:at + n]
                at += n
                if transposed:
                    chunk = chunk.reshape(p.shape[1], p.shape[0]).T
                p.copy_(torch.from_numpy(np.ascontiguousarray(chunk).reshape(p.shape)))
            if scheme == "charrnn" and self.cell == "lstm":
                for k in range(self.L):
                    getattr(self.rnn, f"bias_ih_l{k}")[self.H:2 * self.H] = 1.0  # gates [i | f | g | o]


def to_torch_state(cell, carry):
    """charnn's carry (L, S, B, H) -> nn.LSTM's (h, c), each (L, B, H), or the others' h (L, B, H)."""
    if cell == "lstm":
        return carry[:, 0].contiguous(), carry[:, 1].contiguous()
    return carry[:, 0].contiguous()


def to_carry(cell, state):
    """The inverse of to_torch_state: (L, S, B, H)."""
    if cell == "lstm":
        return torch.stack([state[0], state[1]], dim=1)
    return state.unsqueeze(1)


def zero_carry(model, B, device):
    return torch.zeros(model.L, STATE_SLOTS[model.cell], B, model.H, device=device)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def make_optimizer(name, params, cfg):
    c = {k: cfg.get(k, v) for k, v in OPTIMIZER_DEFAULTS.items()}
    lr = cfg["lr"]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(c["beta1"], c["beta2"]), eps=c["eps"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=c["alpha"], eps=c["eps"])
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=c["momentum"])
    raise ValueError(f"optimizer must be one of adam, rmsprop, sgd, got {name}")


def load_optimizer_state(opt, name, named_params, t, slots):
    """charnn's moments {slot: {tensor name: array}} and step count t into a torch optimizer."""
    for pname, p in named_params:
        st = {}
        for slot in OPTIMIZER_BUFFERS[name]:
            st[slot] = torch.as_tensor(slots[slot][pname], dtype=p.dtype).to(p.device).clone()
        if name != "sgd":
            st["step"] = torch.tensor(float(t))  # a CPU float tensor, as torch.optim keeps it
        if name == "sgd" and opt.defaults["momentum"] == 0:
            st = {}
        opt.state[p] = st


def optimizer_slots(opt, name, named_params):
    """{slot: {tensor name: numpy array}} of a torch optimizer's moments (zeros where none exist yet)."""
    out = {slot: {} for slot in OPTIMIZER_BUFFERS[name]}
    for pname, p in named_params:
        st = opt.state.get(p, {})
        for slot in OPTIMIZER_BUFFERS[name]:
            buf = st.get(slot)
            out[slot][pname] = (torch.zeros_like(p) if buf is None else buf).detach().float().cpu().numpy()
    return out


def learning_rate(lr, cfg, step, total):
    """schedule.ts learningRate for the 0-based step about to be taken."""
    warmup = cfg.get("warmup", 0)
    if step < warmup:
        return lr * (step + 1) / warmup
    kind = cfg.get("lrSchedule", "constant")
    if kind == "constant":
        return lr
    if kind == "step":
        return lr * math.pow(cfg.get("lrFactor", 0.5), step // cfg.get("lrEvery", 1000))
    if kind == "cosine":
        lo = cfg.get("lrMin", 0)
        span = total - warmup
        p = min(1.0, max(0.0, (step - warmup) / span)) if span > 0 else 1.0
        return lo + (lr - lo) * (1 + math.cos(math.pi * p)) / 2
    raise ValueError(f"schedule must be one of constant, step, cosine, got {kind}")
