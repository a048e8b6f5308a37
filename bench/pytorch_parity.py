#!/usr/bin/python3
"""Step-by-step parity of charnn's trainer with PyTorch (driven by bench/pytorch-parity.ts).

Reads the initial weights charnn exported (PyTorch state_dict names and shapes) and runs the reference recipe of
../shared/reference/pytorch_ref.py (same split, streams, windows, state carry, Adam, clip_grad_norm_) from them,
printing one JSON line: the training loss and the gradient norm before clipping of every step.
"""
import argparse, json
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--init", required=True)
p.add_argument("--corpus", required=True)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--eval-at", default="", help="comma-separated steps at which to measure the validation loss")
a = p.parse_args()

init = json.load(open(a.init))
cfg = init["config"]
V, H, L, B, T = cfg["vocabSize"], cfg["hidden"], cfg["layers"], init["batch"], init["seq"]
torch.set_num_threads(1)

text = open(a.corpus, encoding="utf-8").read()
chars = sorted(set(text))
assert "".join(chars) == "".join(init["vocab"]), "vocabularies differ"
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
train = data[: int(len(data) * 0.9)]
val = data[int(len(data) * 0.9) :]
eval_at = {int(s) for s in a.eval_at.split(",") if s}


class CharRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = (nn.LSTM if cfg["cell"] == "lstm" else nn.GRU)(input_size=V, hidden_size=H, num_layers=L)
        self.decoder = nn.Linear(H, V)

    def forward(self, x, state):
        y, state = self.rnn(F.one_hot(x, V).float(), state)
        return self.decoder(y), state


model = CharRNN()
sd = {t["name"]: torch.tensor(t["data"], dtype=torch.float32).view(t["shape"]) for t in init["tensors"]}
model.load_state_dict(sd)
opt = torch.optim.Adam(model.parameters(), lr=init["lr"])

n = (len(train) - 1) // (B * T) * (B * T)
tx, ty, nwin = train[:n].view(B, -1), train[1 : n + 1].view(B, -1), n // (B * T)


def evaluate():
    """The reference's validation: B streams of T windows over the last 10%, state carried from zero."""
    m = (len(val) - 1) // (B * T) * (B * T)
    vx, vy, vn = val[:m].view(B, -1), val[1 : m + 1].view(B, -1), m // (B * T)
    tot, cnt, s = 0.0, 0, None
    with torch.no_grad():
        for k in range(vn):
            xx, yy = vx[:, k * T : (k + 1) * T].t().contiguous(), vy[:, k * T : (k + 1) * T].t().contiguous()
            lg, s = model(xx, s)
            tot += F.cross_entropy(lg.view(-1, V), yy.view(-1), reduction="sum").item()
            cnt += yy.numel()
    return tot / cnt


state, w, out, evals = None, 0, [], []
for it in range(a.steps):
    if w == nwin:
        w, state = 0, None
    x = tx[:, w * T : (w + 1) * T].t().contiguous()
    y = ty[:, w * T : (w + 1) * T].t().contiguous()
    w += 1
    if state is not None:
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), init["clip"])
    opt.step()
    out.append({"loss": loss.item(), "norm": float(norm)})
    if it + 1 in eval_at:
        evals.append({"step": it + 1, "val": evaluate()})
print(json.dumps({"steps": out, "evals": evals}))
