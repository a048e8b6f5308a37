"""charnn's Trainer (src/train/trainer.ts) in PyTorch: the same step, guard, loss curve and evaluation, so that a
run moves between charnn and PyTorch mid-way and its checkpoint means the same thing on both sides.

One step: window w of the B streams from the carried state -> forward -> mean cross-entropy -> guard -> backward ->
global-norm clip (clip_grad_norm_, charnn's rule) -> learning rate of this step -> optimizer step; the final state
is the next window's carry (detached); at the epoch boundary the carry restarts from zero.
Guard: a step whose loss or gradient norm is not finite, or whose loss exceeds EXPLODE_FACTOR (3, src/train/trainer.ts) times the run's
first loss, is refused with the weights, moments and carry as they were; training stops.

Several processes (torchrun, DistributedDataParallel): rank r of W trains streams [r*B/W, (r+1)*B/W) of the same B
streams, DDP averages the gradients, so the update is the single-process one with the global batch B. The carry is
gathered on rank 0 for checkpoints; evaluation sums the ranks' losses.
Dimension legend: B streams (B' one rank's share), T window, V vocabulary, L layers, S state slots, H hidden.
"""
import math

import torch
import torch.distributed as dist
import torch.nn.functional as F

from charnn_data import Batches, split
from charnn_model import detach, learning_rate, to_carry, to_torch_state, zero_carry


class Diverged(Exception):
    pass


class Trainer:
    def __init__(self, model, net, opt, ids, cfg, device, rank=0, world=1):
        """model: the CharRNN (weights, names); net: what runs forward (model itself, or DDP around it)."""
        self.model, self.net, self.opt, self.cfg, self.device = model, net, opt, cfg, device
        self.rank, self.world = rank, world
        B, T = cfg["batch"], cfg["seq"]
        if B % world:
            raise ValueError(f"--batch {B} does not split over {world} processes (give a multiple of {world})")
        lo, hi = rank * B // world, (rank + 1) * B // world
        train, val = split(ids, cfg["valFrac"])
        self.batches = Batches(train, B, T, "training", lo, hi, device)
        self.val = Batches(val, B, T, "validation", lo, hi, device) if val is not None else None
        self.B, self.T, self.share = B, T, hi - lo
        model.share = (lo, hi, B)  # the dropout variants draw charnn's masks over all B streams and keep these
        self.carry = to_torch_state(model.cell, zero_carry(model, self.share, device))
        self.step_count = self.epoch = self.window = 0
        self.history, self.pending_sum, self.pending_count = [], 0.0, 0
        self.best_val = self.best_val_step = self.first_loss = None
        self.total_steps = 1  # the cosine schedule's horizon in steps, for callers without a plan
        self.budget_done = None  # the fraction of the plan done, set before each step by charnn_torch's loop: what the cosine follows

    # ---- the step
    def step(self):
        cfg, m = self.cfg, self.model
        lr = learning_rate(cfg["lr"], cfg, self.step_count, self.total_steps, self.budget_done)
        if m.p > 0:
            # masks reproducible from (seed, step, rank): a resumed run draws what an uninterrupted one would
            torch.manual_seed((cfg["seed"] * 1000003 + self.step_count * 7919 + self.rank) % (2 ** 63))
        x, y = self.batches.window(self.window)
        logits, state = self.net(x, self.carry)
        loss = F.cross_entropy(logits.view(-1, m.V), y.reshape(-1))
        loss_v = self.mean_over_ranks(loss.detach())
        if not math.isfinite(loss_v):
            raise Diverged(f"the loss is {loss_v} (lower the learning rate, or keep gradient clipping on)")
        f = cfg.get("explodeFactor", 3)
        if self.first_loss is not None and f > 0 and loss_v > f * self.first_loss:
            raise Diverged(f"the loss {loss_v:.4f} exceeds {f} times the first loss {self.first_loss:.4f} "
                           f"(the run is diverging: lower the learning rate or the clip value)")
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        clip = cfg["clip"]
        norm = float(torch.nn.utils.clip_grad_norm_(m.parameters(), clip if clip > 0 else math.inf))
        if not math.isfinite(norm):
            self.opt.zero_grad(set_to_none=True)
            raise Diverged(f"the gradient norm is {norm} (lower the learning rate, or keep gradient clipping on)")
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.step()
        self.carry = detach(state)
        if self.first_loss is None:
            self.first_loss = loss_v
        self.step_count += 1
        self.record(loss_v)
        self.window += 1
        if self.window == self.batches.num_windows:
            self.window, self.epoch = 0, self.epoch + 1
            self.carry = to_torch_state(m.cell, zero_carry(m, self.share, self.device))
        return loss_v, norm, lr

    def mean_over_ranks(self, t):
        if self.world > 1:
            t = t.clone()
            dist.all_reduce(t)
            t /= self.world
        return float(t)

    # ---- the loss curve (trainer.ts record / flushPoint)
    def record(self, loss):
        self.pending_sum += loss
        self.pending_count += 1
        if self.step_count % self.cfg["historyEvery"] == 0:
            self.flush_point()

    def flush_point(self):
        if self.pending_count == 0:
            last = self.history[-1] if self.history else None
            return last if last is not None and last["step"] == self.step_count else None
        p = {"step": self.step_count, "train": self.pending_sum / self.pending_count}
        self.history.append(p)
        self.pending_sum, self.pending_count = 0.0, 0
        return p

    # ---- validation: the whole split, state carried from zero, no dropout
    @torch.no_grad()
    def evaluate(self):
        m = self.model
        m.eval()
        state = to_torch_state(m.cell, zero_carry(m, self.share, self.device))
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        for w in range(self.val.num_windows):
            x, y = self.val.window(w)
            logits, state = m(x, state)
            total += F.cross_entropy(logits.view(-1, m.V), y.reshape(-1), reduction="sum").double()
        m.train()
        if self.world > 1:
            dist.all_reduce(total)
        chars = self.val.num_windows * self.T * self.B
        loss = float(total) / chars
        best = math.isfinite(loss) and (self.best_val is None or loss < self.best_val)
        if best:
            self.best_val, self.best_val_step = loss, self.step_count
        p = self.flush_point()
        if p is not None:
            p["val"] = loss
        return loss, best

    # ---- checkpoint state
    def full_carry(self):
        """(L, S, B, H) on the CPU, the ranks' shares gathered in stream order (every rank must call it)."""
        c = to_carry(self.model.cell, self.carry).contiguous()
        if self.world > 1:
            parts = [torch.empty_like(c) for _ in range(self.world)]
            dist.all_gather(parts, c)
            c = torch.cat(parts, dim=2)
        return c.cpu()

    def set_carry(self, full):
        """full (L, S, B, H): keep this rank's streams."""
        lo = self.rank * self.share
        self.carry = to_torch_state(self.model.cell, full[:, :, lo:lo + self.share].to(self.device))

    def progress(self, chars, elapsed_ms):
        return {
            "step": self.step_count, "epoch": self.epoch, "position": self.window, "chars": int(chars),
            "elapsedMs": int(round(elapsed_ms)), "lossHistory": [dict(p) for p in self.history],
            "pending": {"sum": self.pending_sum, "count": self.pending_count},
            "bestValLoss": self.best_val, "bestValStep": self.best_val_step, "firstLoss": self.first_loss,
        }

    def set_progress(self, p):
        if not (0 <= p["position"] < self.batches.num_windows):
            raise ValueError(f"saved window position {p['position']} is outside this corpus's "
                             f"{self.batches.num_windows} windows (resume with the same corpus)")
        self.step_count, self.epoch, self.window = p["step"], p["epoch"], p["position"]
        self.history = [dict(q) for q in p["lossHistory"]]
        self.pending_sum, self.pending_count = p["pending"]["sum"], p["pending"]["count"]
        self.best_val, self.best_val_step, self.first_loss = p["bestValLoss"], p["bestValStep"], p.get("firstLoss")
