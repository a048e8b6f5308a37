#!/usr/bin/python3
"""Training throughput of the PyTorch companion (charnn's step: forward, loss, backward, clip, Adam) in characters
per second, for a table beside charnn's CPU figures in docs/speed.md. One JSON line per config on stdout.

  python3 torch/bench.py                       # config M and a 3x1024 LSTM, on CUDA when present
  python3 torch/bench.py --configs S --device cpu --steps 20
Configs: S lstm 2x128 seq 50 batch 50; M lstm 2x512 seq 100 batch 64; L lstm 3x1024 seq 100 batch 64.
The first --warmup steps (cuDNN planning, allocator) are not timed; the GPU is synchronised before each clock.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from charnn_data import code_points, encode, read_corpus  # noqa: E402
from charnn_model import CharRNN, make_optimizer  # noqa: E402
from charnn_trainer import Trainer  # noqa: E402

CONFIGS = {"S": ("lstm", 2, 128, 50, 50), "M": ("lstm", 2, 512, 100, 64), "L": ("lstm", 3, 1024, 100, 64)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--configs", default="M,L")
    p.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpora", "tinyshakespeare.txt"))
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--tf32", action="store_true")
    a = p.parse_args()
    dev = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else ("cpu" if a.device == "auto" else a.device))
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    raw, _ = read_corpus(a.corpus)
    vocab, ids = encode(code_points(raw))
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for name in a.configs.split(","):
        cell, L, H, T, B = CONFIGS[name]
        cfg = {"batch": B, "seq": T, "valFrac": 0.1, "lr": 2e-3, "clip": 5, "historyEvery": 50, "seed": 1}
        model = CharRNN(cell, L, H, len(vocab), 0.0)
        model.init_weights("pytorch", 1)
        model.to(dev)
        tr = Trainer(model, model, make_optimizer("adam", list(model.named_parameters()), cfg), ids, cfg, dev)
        for _ in range(a.warmup):
            tr.step()
        sync()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            tr.step()
        sync()
        secs = time.perf_counter() - t0
        print(json.dumps({"config": name, "cell": cell, "layers": L, "hidden": H, "seq": T, "batch": B,
                          "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
                          "torch": torch.__version__, "tf32": a.tf32, "steps": a.steps,
                          "train_chars_per_sec": round(a.steps * B * T / secs, 1)}), flush=True)


if __name__ == "__main__":
    main()
