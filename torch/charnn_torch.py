#!/usr/bin/python3
"""charnn_torch: charnn's model and training recipe on PyTorch, for models that outgrow a CPU.

  python3 torch/charnn_torch.py train corpus.txt --steps 5000            # CUDA when present, else CPU
  python3 torch/charnn_torch.py train --resume checkpoints/run/latest.json --steps 20000
  torchrun --standalone --nproc_per_node 4 torch/charnn_torch.py train --resume ... --steps 20000
  python3 torch/charnn_torch.py eval checkpoints/run/latest.json          # validation loss, as `charnn eval`
  charnn train --resume checkpoints/run/latest.json                       # and back to charnn (sample, eval too)

It reads and writes charnn checkpoints (weights, optimizer moments, carried state, data position, loss curve), so
a run continues on either side. Options, defaults and their meaning are charnn train's (src/cli/options.ts);
`defaults` prints them as JSON. Progress goes to stderr, the checkpoint path to stdout. Needs torch and numpy only.
"""
import argparse
import json
import math
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import charnn_checkpoint as ck  # noqa: E402
from charnn_data import DataError, code_points, encode, read_corpus  # noqa: E402
from charnn_rng import splitmix_state  # noqa: E402
from charnn_model import (ADAMW_DEFAULT_DECAY, CharRNN, OPTIMIZER_DEFAULTS, load_optimizer_state,  # noqa: E402
                          make_optimizer, optimizer_slots)
from charnn_trainer import Diverged, Trainer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# charnn train's defaults (src/cli/options.ts TRAIN; test/torch-companion.test.ts checks they agree)
DEFAULTS = {
    "cell": "gru", "layers": 2, "hidden": 256, "embed": 0, "dropout": 0.2, "dropoutMode": "element", "weightDrop": 0,
    "init": "pytorch",
    "seq": 64, "batch": 32, "valFrac": 0.1,
    "optimizer": "adam", "weightDecay": 0, "lr": 2e-3, "lrSchedule": "auto", "warmup": 0, "lrEvery": 1000, "lrFactor": 0.5,
    "lrMin": 0, "clip": 5,
    "steps": 0, "epochs": 0, "time": 300,
    "evalEvery": 200, "saveEvery": 200, "historyEvery": 50,
    "out": "", "name": "", "seed": 1, "layerNorm": False,
}
LOCKED_ON_RESUME = ["cell", "layers", "hidden", "embed", "layerNorm", "dropout", "dropoutMode", "weightDrop", "seq", "batch", "valFrac", "optimizer"]
EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class Fail(Exception):
    """One line for stderr and an exit code."""

    def __init__(self, what, why, hint=None, code=EXIT_FAILURE):
        super().__init__(f"{what}: {why}" + (f" ({hint})" if hint else ""))
        self.code = code


def duration(raw):
    """'10m', '90s', '1h30m', '45' (seconds) -> seconds."""
    s = raw.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", s)
    if not parts or "".join(a + b for a, b in parts) != s:
        raise argparse.ArgumentTypeError("must be a duration such as 90s, 10m, 1h30m")
    return sum(float(a) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[b] for a, b in parts)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="charnn_torch", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train (fresh or --resume); prints the checkpoint path on stdout")
    t.add_argument("corpus", nargs="?", help="a text file or - (default: the checkpoint's corpus when resuming)")
    def add(flag, dest, **kw):  # default None: "not given", so a resumed run takes the checkpoint's value
        kw.setdefault("help", "as charnn train")
        kw["help"] += f" (default: {DEFAULTS[dest]!r}, or the checkpoint's when resuming)"
        t.add_argument(flag, dest=dest, default=None, **kw)
    add("--cell", "cell", choices=["lstm", "gru", "rnn"])
    add("--layers", "layers", type=int)
    add("--hidden", "hidden", type=int)
    add("--embed", "embed", type=int, help="learned input embedding width, as charnn train (0: one-hot)")
    add("--dropout", "dropout", type=float)
    add("--dropout-mode", "dropoutMode", choices=["element", "variational"])
    add("--weight-drop", "weightDrop", type=float)
    add("--layer-norm", "layerNorm", action="store_const", const=True)
    add("--init", "init", choices=["pytorch", "charrnn"])
    add("--seq", "seq", type=int)
    add("--batch", "batch", type=int, help="streams over all processes (torchrun splits them)")
    add("--val-frac", "valFrac", type=float)
    add("--optimizer", "optimizer", choices=["adam", "adamw", "rmsprop", "sgd"])
    add("--weight-decay", "weightDecay", type=float, help=f"adamw's decoupled weight decay on the weight matrices "
        f"(adamw's default: {ADAMW_DEFAULT_DECAY})")
    add("--lr", "lr", type=float)
    add("--lr-schedule", "lrSchedule", choices=["auto", "constant", "step", "cosine"])
    add("--warmup", "warmup", type=int)
    add("--lr-every", "lrEvery", type=int)
    add("--lr-factor", "lrFactor", type=float)
    add("--lr-min", "lrMin", type=float)
    add("--clip", "clip", type=float)
    add("--steps", "steps", type=int)
    add("--epochs", "epochs", type=int)
    add("--time", "time", type=duration)
    add("--eval-every", "evalEvery", type=int)
    add("--save-every", "saveEvery", type=int)
    add("--history-every", "historyEvery", type=int)
    add("--out", "out")
    add("--name", "name")
    add("--seed", "seed", type=int)
    t.add_argument("--resume", default="", help="continue from this charnn checkpoint, exactly where it stopped")
    t.add_argument("--force", action="store_true", help="resume even on a different corpus")
    t.add_argument("--device", default="auto", help="auto (cuda when present), cpu, cuda, cuda:N")
    t.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    t.add_argument("--tf32", action="store_true", help="allow TF32 matrix products on Ampere+ GPUs (faster, less exact)")
    t.add_argument("--log-every", type=float, default=10.0, help="seconds between progress lines on stderr")
    t.add_argument("-q", "--quiet", action="store_true")
    e = sub.add_parser("eval", help="validation loss of a checkpoint (its corpus, B streams of T, as charnn eval)")
    e.add_argument("checkpoint")
    e.add_argument("corpus", nargs="?", help="the corpus file (default: the checkpoint's)")
    e.add_argument("--device", default="auto")
    sub.add_parser("defaults", help="charnn train's defaults as this companion uses them, as JSON")
    return p.parse_args(argv)


# ---- set-up helpers -------------------------------------------------------------------------------------------

def pick_device(arg, local_rank):
    if arg == "auto":
        arg = "cuda" if torch.cuda.is_available() else "cpu"
    if arg == "cuda":
        arg = f"cuda:{local_rank}"
    if arg.startswith("cuda") and not torch.cuda.is_available():
        raise Fail("cannot use the GPU", "torch sees no CUDA device", "use --device cpu", EXIT_USAGE)
    return torch.device(arg)


def find_corpus(arg, ckpt):
    """A path to read: the argument, else the checkpoint's source as a path or as a cached registry corpus."""
    if arg:
        return arg
    if ckpt is None or ckpt.get("corpus") is None:
        raise Fail("no corpus", "give a text file (or - for standard input)", code=EXIT_USAGE)
    src = ckpt["corpus"]["source"]
    candidates = [src, os.path.join(REPO, "corpora", src + ".txt"),
                  os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "charnn", "corpora", src + ".txt")]
    if os.environ.get("CHARNN_CORPUS_MIRROR"):
        candidates.append(os.path.join(os.environ["CHARNN_CORPUS_MIRROR"], src + ".txt"))
    for c in candidates:
        if os.path.isfile(c):
            return c
    raise Fail("cannot find the checkpoint's corpus", f"{src} is neither a file nor a cached corpus here",
               "give the corpus file as an argument", EXIT_USAGE)


def budget_targets(o, given, ckpt, step0, epoch0, ms0):
    """train.ts budgetTargets: stop targets as totals over every resumed run (0: none)."""
    any_given = bool({"steps", "epochs", "time"} & given)
    if ckpt is not None and not any_given:
        c = ckpt["config"]
        num = lambda v, d=0: v if isinstance(v, (int, float)) and v >= 0 else d
        return {"untilStep": num(c.get("untilStep")), "untilEpoch": num(c.get("untilEpoch")), "untilMs": num(c.get("untilMs")),
                "fromStep": num(c.get("fromStep"), step0), "fromEpoch": num(c.get("fromEpoch"), epoch0),
                "fromMs": num(c.get("fromMs"), ms0)}
    tm = (o["time"] if "time" in given else 0) if any_given else o["time"]
    return {"untilStep": step0 + o["steps"] if o["steps"] else 0, "untilEpoch": epoch0 + o["epochs"] if o["epochs"] else 0,
            "untilMs": ms0 + round(tm * 1000) if tm else 0, "fromStep": step0, "fromEpoch": epoch0, "fromMs": ms0}


def plan_fraction(t, step, epoch, ms):
    """src/commands/train/plan.ts planFraction: how far along its plan the run is (the budget closest to its end), from where
    the plan began; what the cosine schedule follows. None without a budget."""
    parts = []
    if t["untilStep"]:
        parts.append((step - t["fromStep"]) / max(1, t["untilStep"] - t["fromStep"]))
    if t["untilEpoch"]:
        parts.append((epoch - t["fromEpoch"]) / max(1e-9, t["untilEpoch"] - t["fromEpoch"]))
    if t["untilMs"]:
        parts.append((ms - t["fromMs"]) / max(1, t["untilMs"] - t["fromMs"]))
    return min(1.0, max(0.0, *parts)) if parts else None


def reached(t, step, epoch, ms):
    return (t["untilStep"] > 0 and step >= t["untilStep"]) or (t["untilEpoch"] > 0 and epoch >= t["untilEpoch"]) or \
        (t["untilMs"] > 0 and ms >= t["untilMs"])


def writer_name():
    try:
        with open(os.path.join(REPO, "package.json"), encoding="utf-8") as f:
            v = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        v = "unknown"
    return f"{v} (charnn_torch, torch {torch.__version__})"


def rng_init_state(seed):
    """charnn's training RNG for a fresh run: Rng((seed ^ 0x5eed5eed) >>> 0)."""
    return splitmix_state((seed ^ 0x5EED5EED) & 0xFFFFFFFF)


def model_of(mc):
    """The CharRNN of a model config (charnn's model section; the variants absent in older ones: the defaults)."""
    return CharRNN(mc["cell"], mc["layers"], mc["hidden"], mc["vocabSize"], mc["dropout"],
                   mc.get("dropoutMode", "element"), mc.get("weightDrop", 0), mc.get("layerNorm", False), mc.get("embed", 0))


def display_path(p):
    """A path as the user would type it: relative to the current folder when inside it (as charnn prints paths)."""
    rel = os.path.relpath(p)
    return p if rel.startswith("..") or os.path.isabs(rel) else rel


def log(msg, quiet=False):
    if not quiet:
        print(f"charnn_torch: {msg}", file=sys.stderr, flush=True)


# ---- train ----------------------------------------------------------------------------------------------------

def train(a):
    # ---- plan: options, the checkpoint to resume, the budget
    given = {k for k in DEFAULTS if getattr(a, k, None) is not None}
    o = {k: (getattr(a, k) if k in given else v) for k, v in DEFAULTS.items()}
    ckpt = ck.load(a.resume) if a.resume else None
    if ckpt is not None:
        if ckpt["optimizer"] is None or ckpt["state"] is None or "train" not in ckpt["rng"]:
            raise Fail("cannot resume", f"{a.resume} is a sampling-only checkpoint (no optimizer or carried state)",
                       "start a new run without --resume")
        saved, model_cfg = ckpt["config"], ckpt["model"]
        from_model = {k: model_cfg[k] for k in ("cell", "layers", "hidden", "dropout")}
        from_model.update(dropoutMode=model_cfg.get("dropoutMode", "element"), weightDrop=model_cfg.get("weightDrop", 0))
        from_model["embed"] = model_cfg.get("embed") or 0  # absent in a one-hot model's config
        for key in LOCKED_ON_RESUME:
            was = from_model.get(key, saved.get(key))
            if key in given and was is not None and was != o[key]:
                raise Fail("cannot resume", f"--{key} {o[key]} differs from the checkpoint's {was}",
                           "a resumed run keeps its model and data layout; drop the option", EXIT_USAGE)
        for key in DEFAULTS:
            if key not in given and key not in ("out", "name") and key in saved:
                o[key] = saved[key]
        o.update(from_model)
    # --weight-decay (src/commands/train/plan.ts weightDecayOf): adamw's default is PyTorch's, a resumed run keeps its own; the
    # other optimizers take none
    if o["optimizer"] == "adamw" and "weightDecay" not in given and not (ckpt is not None and "weightDecay" in ckpt["config"]):
        o["weightDecay"] = ADAMW_DEFAULT_DECAY
    if o["optimizer"] != "adamw" and o["weightDecay"] > 0:
        raise Fail("invalid options", f"--weight-decay {o['weightDecay']} with --optimizer {o['optimizer']}",
                   "weight decay is AdamW's (decoupled): add --optimizer adamw", EXIT_USAGE)
    if o["weightDecay"] < 0:
        raise Fail("invalid options", f"--weight-decay {o['weightDecay']}: must be at least 0", code=EXIT_USAGE)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    quiet = a.quiet or rank != 0
    device = pick_device(a.device, local_rank)

    # ---- set up: corpus, model, optimizer, trainer (every input checked before any file is written)
    path = find_corpus(a.corpus, ckpt)
    raw, sha = read_corpus(path)
    if ckpt is not None and ckpt.get("corpus") and ckpt["corpus"]["sha256"] != sha and not a.force:
        raise Fail("cannot resume", f"the corpus differs from the one the checkpoint was trained on ({ckpt['corpus']['source']})",
                   "pass the same corpus, or add --force")
    cps = code_points(raw)
    vocab, ids = encode(cps, ckpt["vocab"] if ckpt is not None else None)
    corpus_info = {"source": ckpt["corpus"]["source"] if ckpt is not None and ckpt.get("corpus") and not a.corpus else (a.corpus or path),
                   "bytes": len(raw), "chars": int(len(ids)), "sha256": sha}
    if a.threads:
        torch.set_num_threads(a.threads)
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    mc = ckpt["model"] if ckpt is not None else {"cell": o["cell"], "layers": o["layers"], "hidden": o["hidden"],
                                                   "vocabSize": len(vocab), "dropout": o["dropout"],
                                                   **({"layerNorm": True} if o["layerNorm"] else {}),
                                                   **({"embed": o["embed"]} if o["embed"] else {})}
    if not 0 <= o["weightDrop"] < 1 or not 0 <= o["dropout"] < 1:
        raise Fail("invalid options", "--dropout and --weight-drop must be in [0, 1)", code=EXIT_USAGE)
    if ckpt is None:  # the variants in the model config only when not the default, as charnn writes it
        mc.update({"dropoutMode": o["dropoutMode"]} if o["dropoutMode"] != "element" else {})
        mc.update({"weightDrop": o["weightDrop"]} if o["weightDrop"] > 0 else {})
    model = model_of(mc)
    if ckpt is not None:
        model.load_state_dict({n: torch.from_numpy(v.copy()) for n, v in ckpt["tensors"].items()})
    else:
        model.init_weights(o["init"], o["seed"])
    model.to(device)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP
        net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    named = list(model.named_parameters())
    cfg = dict(o)
    for k, v in OPTIMIZER_DEFAULTS.items():
        cfg.setdefault(k, v)
    opt = make_optimizer(o["optimizer"], named, cfg)
    step0 = ckpt["progress"]["step"] if ckpt is not None else 0
    epoch0 = ckpt["progress"]["epoch"] if ckpt is not None else 0
    ms0 = ckpt["progress"]["elapsedMs"] if ckpt is not None else 0
    targets = budget_targets(o, given, ckpt, step0, epoch0, ms0)
    no_budget = not (targets["untilStep"] or targets["untilEpoch"] or targets["untilMs"])
    if o["lrSchedule"] == "auto":  # charnn's default: a cosine over a time budget of 10 minutes or more
        long_time = targets["untilMs"] > 0 and targets["untilMs"] - targets["fromMs"] >= 10 * 60_000
        o["lrSchedule"] = cfg["lrSchedule"] = "cosine" if long_time else "constant"
    if o["lrSchedule"] == "cosine" and no_budget:
        raise Fail("invalid options", "the cosine schedule needs a budget to decay over", "add --time, --steps or --epochs", EXIT_USAGE)
    trainer = Trainer(model, net, opt, ids, cfg, device, rank, world)
    trainer.total_steps = targets["untilStep"] or 1
    if ckpt is not None:
        load_optimizer_state(opt, o["optimizer"], named, ckpt["optimizer"]["t"], ckpt["optimizer"]["slots"])
        trainer.set_progress(ckpt["progress"])
        trainer.set_carry(torch.from_numpy(ckpt["state"].copy()))
        if reached(targets, step0, epoch0, ms0):
            raise Fail("nothing to train", f"the run already reached its budget (step {step0}, epoch {epoch0})",
                       "give --steps, --epochs or --time to train further", EXIT_USAGE)
    opt_t = ckpt["optimizer"]["t"] if ckpt is not None else 0
    out_dir = os.path.abspath(o["out"] or (os.path.dirname(os.path.abspath(a.resume)) if a.resume else os.path.join(
        "checkpoints", o["name"] or f"{os.path.splitext(os.path.basename(path))[0]}-{mc['cell']}{mc['layers']}x{mc['hidden']}-{time.strftime('%Y%m%d-%H%M%S')}")))
    latest, best_path = os.path.join(out_dir, "latest.json"), os.path.join(out_dir, "best.json")
    effective = dict(ckpt["config"]) if ckpt is not None else {}
    effective.update(o)
    effective.update(targets)
    rng_state = ckpt["rng"] if ckpt is not None else {"train": rng_init_state(o["seed"])}
    if model.charnn_masks:
        model.mask_rng_state = list(rng_state["train"])  # charnn's masks, drawn from charnn's training RNG
    chars = ckpt["progress"]["chars"] if ckpt is not None else 0
    t_start = time.time()
    elapsed = lambda: ms0 + (time.time() - t_start) * 1000

    def save(also_best):
        carry = trainer.full_carry()  # every rank takes part in the gather
        if rank != 0:
            return
        c = {"model": mc, "vocab": vocab, "config": effective, "corpus": corpus_info,
             "progress": trainer.progress(chars, elapsed()),
             "rng": dict(rng_state, train=model.mask_rng_state) if model.charnn_masks else rng_state,
             "tensors": {n: t.detach().float().cpu().numpy() for n, t in model.state_dict().items()},
             "optimizer": {"name": o["optimizer"], "t": opt_t + trainer.step_count - step0,
                           "slots": optimizer_slots(opt, o["optimizer"], named)},
             "state": carry.numpy()}
        text = ck.save(latest, c, writer_name())
        if also_best:
            ck.write_atomic(best_path, text)

    # ---- run
    stop = {"sig": None}

    def on_signal(sig, _frame):
        if stop["sig"] is not None:
            sys.exit(EXIT_INTERRUPTED)
        stop["sig"] = sig
        log("interrupted: finishing this step and saving (again to quit at once)", quiet)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def agree(flag):
        """True on every process when it is true on any (a time budget or a signal seen by one rank stops all)."""
        if world == 1:
            return flag
        import torch.distributed as dist
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def agree_max(v):
        """The largest of v over the processes."""
        if world == 1:
            return v
        import torch.distributed as dist
        t = torch.tensor([float(v)], dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())
    B, T = o["batch"], o["seq"]
    P = sum(p.numel() for p in model.parameters())
    log(f"{'resuming ' + a.resume + ' at step ' + str(step0) if ckpt is not None else 'training'}: {mc['cell']} "
        f"{mc['layers']}x{mc['hidden']}, {P:,} parameters, vocabulary {len(vocab)}, {len(ids):,} characters, batch {B} x "
        f"seq {T}, {o['optimizer']} lr {o['lr']}{' weight decay ' + str(o['weightDecay']) if o['weightDecay'] > 0 else ''}, {device}{f' x {world} processes' if world > 1 else ''}, torch "
        f"{torch.__version__}; saving to {display_path(out_dir)}", quiet)
    last_eval = -1
    saved_any, last_save, best_unsaved, loss = False, step0, False, float("nan")
    t_log = time.time()
    while not agree(stop["sig"] is not None or reached(targets, trainer.step_count, trainer.epoch, elapsed())):
        # the cosine follows the fraction of the plan done, as charnn's loop sets Trainer.budgetDone (the largest
        # over the ranks: their clocks differ, their rates must not)
        frac = plan_fraction(targets, trainer.step_count, trainer.epoch + trainer.window / trainer.batches.num_windows, elapsed())
        trainer.budget_done = agree_max(frac or 0.0)
        try:
            loss, norm, lr = trainer.step()
        except Diverged as e:
            kept = f"the last good checkpoint is {latest}" if saved_any else "the checkpoint you resumed from is unchanged" \
                if ckpt is not None else "no checkpoint was written"
            raise Fail(f"training stopped at step {trainer.step_count + 1}", str(e), kept)
        chars += B * T
        s = trainer.step_count
        if o["evalEvery"] and trainer.val is not None and s % o["evalEvery"] == 0:
            v, best = trainer.evaluate()
            last_eval, best_unsaved = s, best_unsaved or best
            log(f"step {s}: val {v:.4f} nats ({v / math.log(2):.3f} bpc){' best' if best else ''}, train {loss:.4f}", quiet)
        if best_unsaved or (o["saveEvery"] and s % o["saveEvery"] == 0):
            save(best_unsaved)
            saved_any, best_unsaved, last_save = True, False, s
        if time.time() - t_log >= a.log_every:
            t_log = time.time()
            cps_now = (s - step0) * B * T / max(time.time() - t_start, 1e-3)
            log(f"step {s} | epoch {trainer.epoch} | loss {loss:.4f} | {cps_now:,.0f} chars/s", quiet)
    interrupted = agree(stop["sig"] is not None)
    if not interrupted and trainer.val is not None and last_eval != trainer.step_count and trainer.step_count > step0:
        v, best = trainer.evaluate()
        best_unsaved = best_unsaved or best
        log(f"step {trainer.step_count}: val {v:.4f} nats ({v / math.log(2):.3f} bpc){' best' if best else ''}", quiet)
    if not saved_any or trainer.step_count > last_save or best_unsaved:
        save(best_unsaved)
    if world > 1:
        # no rank leaves while rank 0 still writes, and gloo's threads are stopped before exit (left running, a
        # rank that exits first can abort with "terminate called without an active exception")
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()

    # ---- report
    secs = time.time() - t_start
    bv = trainer.best_val
    log(f"{'interrupted' if interrupted else 'done'}: step {trainer.step_count} (epoch {trainer.epoch}), "
        + (f"best val {bv:.4f} nats at step {trainer.best_val_step}, " if bv is not None else f"train loss {loss:.4f}, ")
        + f"{secs:.1f}s, {(trainer.step_count - step0) * B * T / max(secs, 1e-3):,.0f} chars/s", quiet)
    if rank == 0:
        print(display_path(latest), flush=True)
    return EXIT_INTERRUPTED if interrupted else 0


# ---- eval -----------------------------------------------------------------------------------------------------

def evaluate(a):
    c = ck.load(a.checkpoint)
    raw, sha = read_corpus(find_corpus(a.corpus, c))
    if not a.corpus and c.get("corpus") and c["corpus"]["sha256"] != sha:
        raise Fail("cannot evaluate", f"the checkpoint's corpus {c['corpus']['source']} has changed", "give a text to evaluate")
    vocab, ids = encode(code_points(raw), c["vocab"])
    mc, cfg = c["model"], dict(DEFAULTS, **c["config"])
    model = model_of(mc)
    model.load_state_dict({n: torch.from_numpy(v.copy()) for n, v in c["tensors"].items()})
    device = pick_device(a.device, 0)
    model.to(device)
    trainer = Trainer(model, model, make_optimizer("sgd", list(model.named_parameters()), dict(cfg, momentum=0, weightDecay=0)), ids, cfg, device)
    if trainer.val is None:
        raise Fail("cannot evaluate", "the checkpoint was trained without a validation split")
    loss, _ = trainer.evaluate()
    chars = trainer.val.num_windows * trainer.B * trainer.T
    print(f"{loss:.6f} nats/char, {loss / math.log(2):.6f} bits/char over {chars:,} characters of the validation split")
    return 0


def main(argv):
    a = parse_args(argv)
    try:
        if a.command == "defaults":
            print(json.dumps(DEFAULTS))
            return 0
        return train(a) if a.command == "train" else evaluate(a)
    except (Fail, DataError, ck.CheckpointError, ValueError) as e:
        print(f"charnn_torch: {e}", file=sys.stderr)
        return getattr(e, "code", EXIT_FAILURE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
