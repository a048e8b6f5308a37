"""charnn's model in PyTorch: one-hot characters (or, with --embed n, nn.Embedding(V, n) as `encoder`) -> nn.LSTM / nn.GRU / nn.RNN (tanh) with L layers -> dropout ->
nn.Linear decoder. Its state_dict names are charnn's tensor names ([encoder.weight,] rnn.weight_ih_l0 ... decoder.bias), with the
same shapes, so a charnn checkpoint loads with load_state_dict as it is.

Dropout as charnn's: inverted dropout on every layer's output, the last one included (nn.RNN's own dropout covers
the outputs between layers, F.dropout the one before the decoder). The masks come from torch's generator, not
charnn's: same distribution, other draws.

The dropout variants (--dropout-mode variational, --weight-drop p; src/model/dropout.ts, weight-drop.ts) draw every
mask from charnn's own training RNG (charnn_rng.dropout_mask), in charnn's order: per layer, W_hh's mask (H*G*H
draws in charnn's (H, G*H) order) then the layer output's (variational: B*H draws, one (B, H) mask broadcast over
T; element: T*B*H). The layers then run one at a time (torch._VF, the functions nn.LSTM/GRU/RNN call) on
W_hh * mask, so autograd gives dW_hh = dW~ * mask; a run takes the same masks on both sides, and its RNG state,
saved in the checkpoint, continues in charnn.

Initialisation is charnn's (src/model/init.ts), draw for draw: charnn's seeded RNG (charnn_rng.py) fills charnn's
flat parameter buffer in its order (layer by layer W_ih, W_hh, b_ih, b_hh, then the decoder, weights stored
transposed), so `--seed N` gives the same initial weights as `charnn train --seed N`:
  pytorch  every weight and bias uniform in +-1/sqrt(H) (nn.LSTM's default; nn.Linear(H, V)'s bound is 1/sqrt(H) too)
  charrnn  everything uniform in +-0.08, then the LSTM forget-gate block of bias_ih set to 1
An embedding (first in the buffer) gets its uniform draws like the rest; 'pytorch' then redraws it N(0, 1) from the
following uniforms (charnn's Box-Muller, two per value), as nn.Embedding's default.

Layer normalisation (charnn --layer-norm, src/model/gru.ts and lstm.ts): LayerNormRNN below, a manual cell loop
with F.layer_norm (eps 1e-5) of the input part x W_ih^T + b_ih and of the recurrent part h W_hh^T + b_hh, each over
all G*H pre-activations with its own gain and bias (ln_ih_*, ln_hh_*), and for lstm of c before its tanh (ln_c_*);
the GRU's r multiplies the normalised recurrent n block. Its state_dict names are charnn's (rnn.ln_ih_weight_l0 ...).

Optimizers and schedules (src/train/optimizer.ts, schedule.ts): torch.optim's Adam, AdamW, RMSprop, SGD have
charnn's update rules and defaults; the learning rate is set before every step from the same pure function of the
step. AdamW decays the tensors charnn decays (src/model/layout.ts decays: the weight matrices, not the biases), as
two parameter groups, one with weight_decay 0.

Dimension legend: T window, B streams, V vocabulary, H hidden, L layers, S state slots (lstm 2: h, c; else 1).
"""
import math
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from charnn_checkpoint import STATE_SLOTS
from charnn_rng import dropout_mask, uniforms

OPTIMIZER_BUFFERS = {"adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"], "sgd": ["momentum_buffer"]}
# charnn's optimizer constants (src/train/optimizer.ts: ADAM_BETA1, ADAM_BETA2, OPTIMIZER_EPS, RMSPROP_ALPHA, SGD_MOMENTUM); a checkpoint's config may override them
OPTIMIZER_DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "alpha": 0.99, "momentum": 0.9, "weightDecay": 0}
ADAMW_DEFAULT_DECAY = 0.01  # torch.optim.AdamW's default, as charnn's (src/train/optimizer.ts)


def decays(name):
    """src/model/layout.ts decays: weight decay shrinks the weight matrices, never biases (or a start state)."""
    return re.fullmatch(r"rnn\.weight_(ih|hh)_l\d+", name) is not None or name == "decoder.weight"


class LayerNormRNN(nn.Module):
    """nn.GRU / nn.LSTM (time-major, L layers) with charnn's layer normalisation; same state format as they take."""

    def __init__(self, cell, input_size, hidden, layers, dropout):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError("layer norm is for the gru and lstm cells, not rnn")
        self.cell, self.H, self.L, self.p = cell, hidden, layers, dropout
        GH = (4 if cell == "lstm" else 3) * hidden
        for k in range(layers):
            D = input_size if k == 0 else hidden
            b = 1 / math.sqrt(hidden)
            for name, shape in [("weight_ih", (GH, D)), ("weight_hh", (GH, hidden)), ("bias_ih", (GH,)), ("bias_hh", (GH,))]:
                setattr(self, f"{name}_l{k}", nn.Parameter(torch.empty(shape).uniform_(-b, b)))
            # registered in charnn's flat order (layout.ts): the layer-norm tensors come after all the others
        for k in range(layers):
            for part, n in [("ih", GH), ("hh", GH)] + ([("c", hidden)] if cell == "lstm" else []):
                setattr(self, f"ln_{part}_weight_l{k}", nn.Parameter(torch.ones(n)))
                setattr(self, f"ln_{part}_bias_l{k}", nn.Parameter(torch.zeros(n)))

    def forward(self, x, state):
        """x (T, B, D); state h (L, B, H) for gru, (h, c) for lstm -> out (T, B, H), new state."""
        lstm = self.cell == "lstm"
        hs, cs = (state[0], state[1]) if lstm else (state, None)
        new_h, new_c = [], []
        inp = x
        for k in range(self.L):
            w = lambda n: getattr(self, f"{n}_l{k}")
            GH = w("weight_hh").shape[0]
            gi = F.layer_norm(inp @ w("weight_ih").t() + w("bias_ih"), (GH,), w("ln_ih_weight"), w("ln_ih_bias"), 1e-5)  # (T, B, GH)
            h = hs[k]
            c = cs[k] if lstm else None
            outs = []
            for t in range(inp.shape[0]):
                gh = F.layer_norm(h @ w("weight_hh").t() + w("bias_hh"), (GH,), w("ln_hh_weight"), w("ln_hh_bias"), 1e-5)  # (B, GH)
                if lstm:
                    i, f, g, o = (gi[t] + gh).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    cn = F.layer_norm(c, (self.H,), w("ln_c_weight"), w("ln_c_bias"), 1e-5)
                    h = torch.sigmoid(o) * torch.tanh(cn)
                else:
                    ir, iz, i_n = gi[t].chunk(3, dim=1)
                    hr, hz, h_n = gh.chunk(3, dim=1)
                    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                    n = torch.tanh(i_n + r * h_n)
                    h = (1 - z) * n + z * h
                outs.append(h)
            new_h.append(h)
            new_c.append(c)
            inp = torch.stack(outs)
            if self.training and self.p > 0 and k < self.L - 1:
                inp = F.dropout(inp, self.p, True)  # between layers, as nn.GRU's dropout; the last is CharRNN's
        h = torch.stack(new_h)
        return inp, ((h, torch.stack(new_c)) if lstm else h)


class CharRNN(nn.Module):
    def __init__(self, cell, layers, hidden, vocab_size, dropout, dropout_mode="element", weight_drop=0.0, layer_norm=False, embed=0):
        if layer_norm and (dropout_mode == "variational" or weight_drop > 0):
            raise ValueError("the companion does not combine --layer-norm with --dropout-mode variational or --weight-drop")
        super().__init__()
        self.cell, self.V, self.H, self.L, self.p, self.E = cell, vocab_size, hidden, layers, dropout, embed or 0
        self.dropout_mode, self.weight_drop = dropout_mode, weight_drop
        # the variants take charnn's masks: mask_rng_state is charnn's training RNG (four words, advanced by every
        # training forward); share = (lo, hi, B): this process's streams [lo, hi) of the B (DistributedDataParallel)
        self.charnn_masks = dropout_mode == "variational" or weight_drop > 0
        self.mask_rng_state, self.share = None, None
        between = dropout if layers > 1 else 0.0  # nn.RNN warns about dropout with one layer
        D = self.E or vocab_size  # layer 0's input width
        if self.E:
            self.encoder = nn.Embedding(vocab_size, self.E)  # before rnn: its state_dict entry comes first, as in charnn
        if layer_norm:
            self.rnn = LayerNormRNN(cell, D, hidden, layers, between)
        elif cell == "lstm":
            self.rnn = nn.LSTM(D, hidden, layers, dropout=between)
        elif cell == "gru":
            self.rnn = nn.GRU(D, hidden, layers, dropout=between)
        else:
            self.rnn = nn.RNN(D, hidden, layers, nonlinearity="tanh", dropout=between)
        self.decoder = nn.Linear(hidden, vocab_size)

    def forward(self, x, state):
        """x (T, B) int64, state as to_torch_state gives -> logits (T, B, V), new state."""
        if self.charnn_masks:
            return self.forward_charnn_masks(x, state)
        inp = self.encoder(x) if self.E else F.one_hot(x, self.V).to(self.decoder.weight.dtype)
        out, state = self.rnn(inp, state)
        if self.training and self.p > 0:
            out = F.dropout(out, self.p, True)
        return self.decoder(out), state

    def draw(self, n, p):
        mask, self.mask_rng_state = dropout_mask(self.mask_rng_state, n, p)
        return mask

    def forward_charnn_masks(self, x, state):
        """forward with the variants: layer by layer, every mask from charnn's RNG in charnn's order."""
        T, Bs = x.shape
        H, G = self.H, {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]
        lo, hi, B = self.share if self.share is not None else (0, Bs, Bs)  # masks over all B streams, this share's used
        dev, dt = self.decoder.weight.device, self.decoder.weight.dtype
        train = self.training
        inp = self.encoder(x) if self.E else F.one_hot(x, self.V).to(dt)
        hs, cs = [], []
        for k in range(self.L):
            wih, whh = getattr(self.rnn, f"weight_ih_l{k}"), getattr(self.rnn, f"weight_hh_l{k}")
            bih, bhh = getattr(self.rnn, f"bias_ih_l{k}"), getattr(self.rnn, f"bias_hh_l{k}")
            if train and self.weight_drop > 0:
                m = self.draw(H * G * H, self.weight_drop).reshape(H, G * H).T  # charnn's (H, G*H) -> (G*H, H)
                whh = whh * torch.from_numpy(np.ascontiguousarray(m)).to(dev)
            params = (wih, whh, bih, bhh)
            if self.cell == "lstm":
                out, h, c = torch._VF.lstm(inp, (state[0][k:k + 1], state[1][k:k + 1]), params, True, 1, 0.0, train, False, False)
                cs.append(c)
            elif self.cell == "gru":
                out, h = torch._VF.gru(inp, state[k:k + 1], params, True, 1, 0.0, train, False, False)
            else:
                out, h = torch._VF.rnn_tanh(inp, state[k:k + 1], params, True, 1, 0.0, train, False, False)
            hs.append(h)
            if train and self.p > 0:
                if self.dropout_mode == "variational":
                    m = self.draw(B * H, self.p).reshape(1, B, H)[:, lo:hi]
                else:
                    m = self.draw(T * B * H, self.p).reshape(T, B, H)[:, lo:hi]
                out = out * torch.from_numpy(np.ascontiguousarray(m)).to(dev)
            inp = out
        h = torch.cat(hs, 0)
        return self.decoder(inp), ((h, torch.cat(cs, 0)) if self.cell == "lstm" else h)

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


def make_optimizer(name, named_params, cfg):
    """named_params: [(state_dict name, parameter)] (AdamW groups them by whether they decay)."""
    c = {k: cfg.get(k, v) for k, v in OPTIMIZER_DEFAULTS.items()}
    lr = cfg["lr"]
    params = [p for _, p in named_params]
    if name == "adamw":
        groups = [{"params": [p for n, p in named_params if decays(n)], "weight_decay": c["weightDecay"]},
                  {"params": [p for n, p in named_params if not decays(n)], "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(c["beta1"], c["beta2"]), eps=c["eps"])
    if c["weightDecay"] > 0:
        raise ValueError(f"weight decay needs the adamw optimizer (decoupled decay), got {name}")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(c["beta1"], c["beta2"]), eps=c["eps"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=c["alpha"], eps=c["eps"])
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=c["momentum"])
    raise ValueError(f"optimizer must be one of adam, adamw, rmsprop, sgd, got {name}")


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


def learning_rate(lr, cfg, step, total, progress=None):
    """schedule.ts learningRate for the 0-based step about to be taken; with `progress` (the fraction of the plan
    done) the cosine follows it (schedule.ts byProgress), else the steps over `total`."""
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
        if progress is not None:
            p = min(1.0, max(0.0, progress))
        else:
            span = total - warmup
            p = min(1.0, max(0.0, (step - warmup) / span)) if span > 0 else 1.0
        return lo + (lr - lo) * (1 + math.cos(math.pi * p)) / 2
    raise ValueError(f"schedule must be one of constant, step, cosine, got {kind}")
