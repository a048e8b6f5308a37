#!/usr/bin/env python3
"""A safetensors reader in the Python standard library alone (no torch, no numpy, no safetensors package), to
show the format `charnn export --format safetensors` writes and to load it by name anywhere:

  8 bytes  header length N (unsigned 64-bit little-endian) | N bytes JSON header | the tensors' raw bytes
  header:  {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}

  python3 torch/read_safetensors.py model.safetensors      # names, shapes, a checksum of each tensor, metadata
  from read_safetensors import load; tensors, meta = load("model.safetensors")   # {name: (shape, array('f'))}
With torch: model.load_state_dict({n: torch.tensor(a).view(s) for n, (s, a) in tensors.items()}).
"""
import array
import json
import struct
import sys


def load(path):
    """({name: (shape list, array('f') of row-major values)}, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {t['dtype']}; this reader reads F32 only")
        begin, end = t["data_offsets"]
        values = array.array("f")
        values.frombytes(raw[base + begin:base + end])
        if sys.byteorder != "little":
            values.byteswap()
        count = 1
        for d in t["shape"]:
            count *= d
        if len(values) != count:
            raise ValueError(f"{name}: {len(values)} values for shape {t['shape']}")
        tensors[name] = (t["shape"], values)
    return tensors, meta


if __name__ == "__main__":
    tensors, meta = load(sys.argv[1])
    print(json.dumps({"tensors": {n: {"shape": s, "sum": sum(v), "first": v[0] if len(v) else None} for n, (s, v) in tensors.items()},
                      "metadata": sorted(meta)}))
