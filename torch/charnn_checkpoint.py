"""charnn checkpoints in Python: read, verify, write (the format of src/checkpoint/schema.ts, versions 1 and 2).

One JSON document. Tensors are {shape, dtype: "float32", data: base64 of row-major little-endian float32} under
PyTorch state_dict names, so they load into nn.LSTM / nn.GRU / nn.RNN + nn.Linear as they are. A compact
sampling-only file (charnn export --format charnn-f16) stores its weights as dtype "float16" (IEEE binary16,
little-endian); they are read widened to float32, exactly. The checksum goes
with the file's version (src/checkpoint/checksum.ts); both are read, version 2 is written, as charnn does:
  version 1: SHA-256 over the tensor stream, in this order (tensors sorted by name inside each group):
    group "tensors", then "optimizer.<slot>" for each slot (sorted), then "state" (one tensor named "hidden"):
      utf8(group + "/" + name + ":" + "x".join(shape) + "\\n") followed by the tensor's bytes
      (a float16 tensor: utf8(group + "/" + name + ":" + "x".join(shape) + ":float16\\n") and its stored halves).
  version 2: SHA-256 over utf8("charnn-checkpoint/2\\n" + canonical_json(header) + "\\n"), then the tensor stream;
    header = the fields in HEADER_FIELDS that the document has, the optimizer as {name, t} (charnn_json.py says
    how canonical_json matches JavaScript byte for byte).
Writes are atomic (temporary file in the same folder, fsync, rename), so a crash never leaves half a checkpoint.
Only the standard library and numpy.
"""
import base64
import datetime
import hashlib
import json
import os
import tempfile

import numpy as np

from charnn_json import canonical_json, dumps

FORMAT = "charnn-checkpoint"
VERSION = 2  # the version written; every version up to it is read
# what the version-2 checksum covers besides the tensors (codec.ts checksumHeader); "optimizer" is added as {name, t}
HEADER_FIELDS = ("format", "version", "charnn", "created", "model", "vocab", "config", "corpus", "progress", "rng")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
STATE_SLOTS = {"rnn": 1, "lstm": 2, "gru": 1}


class CheckpointError(Exception):
    """A checkpoint that cannot be used; str() is the one-line reason with a hint."""


def expected_shapes(model):
    """state_dict names and shapes of a config, in state_dict order (validate.ts expectedTensorShapes)."""
    G, H, V, L = GATES[model["cell"]], model["hidden"], model["vocabSize"], model["layers"]
    n = model.get("embed") or 0  # --embed: nn.Embedding (V, n) first; absent or 0 = one-hot
    out = [("encoder.weight", [V, n])] if n else []
    for k in range(L):
        D = (n or V) if k == 0 else H
        out += [(f"rnn.weight_ih_l{k}", [G * H, D]), (f"rnn.weight_hh_l{k}", [G * H, H]),
                (f"rnn.bias_ih_l{k}", [G * H]), (f"rnn.bias_hh_l{k}", [G * H])]
    out += [("decoder.weight", [V, H]), ("decoder.bias", [V])]
    if model.get("layerNorm"):
        for k in range(L):
            out += [(f"rnn.ln_{p}_{kind}_l{k}", [G * H]) for p in ("ih", "hh") for kind in ("weight", "bias")]
            if model["cell"] == "lstm":
                out += [(f"rnn.ln_c_{kind}_l{k}", [H]) for kind in ("weight", "bias")]
    return out


STORED = {"float32": "<f4", "float16": "<f2"}  # a tensor's dtype in the file -> its numpy dtype


def decode_tensor(t, where):
    """The tensor as float32 (float16 widened, which is exact)."""
    if t.get("dtype") not in STORED:
        raise CheckpointError(f"{where}: dtype is {t.get('dtype')!r}, only float32 and float16 are supported")
    raw = base64.b64decode(t["data"])
    n = int(np.prod(t["shape"], dtype=np.int64))
    width = np.dtype(STORED[t["dtype"]]).itemsize
    if len(raw) != width * n:
        raise CheckpointError(f"{where}: data holds {len(raw)} bytes but shape {t['shape']} needs {width * n} ({t['dtype']})")
    return np.frombuffer(raw, dtype=STORED[t["dtype"]]).reshape(t["shape"]).astype(np.float32)


def encode_tensor(a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "dtype": "float32", "data": base64.b64encode(a.tobytes()).decode("ascii")}


def checksum(tensors, slots, state, header=None, stored=None):
    """tensors: {name: array}; slots: {slot: {name: array}} or None; state: array or None; header: the document's
    fields (the optimizer without slots) for version 2, None for version 1; stored: {"group/name": "float16"} for
    the tensors the file stores as float16 (their values, exact halves, hash as those halves)."""
    stored = stored or {}
    h = hashlib.sha256()
    if header is not None:
        h.update(f"{FORMAT}/2\n{canonical_json(header)}\n".encode("utf-8"))

    def group(g, named):
        for name in sorted(named):
            dtype = stored.get(f"{g}/{name}", "float32")
            a = np.ascontiguousarray(named[name], dtype=STORED[dtype])
            tag = "" if dtype == "float32" else ":" + dtype
            h.update(f"{g}/{name}:{'x'.join(str(d) for d in a.shape)}{tag}\n".encode("utf-8"))
            h.update(a.tobytes())

    group("tensors", tensors)
    if slots is not None:
        for slot in sorted(slots):
            group(f"optimizer.{slot}", slots[slot])
    if state is not None:
        group("state", {"hidden": state})
    return "sha256:" + h.hexdigest()


def checksum_header(doc, opt):
    """The version-2 header of a document (or of the fields encode writes): a field the document lacks is left out,
    as JSON.stringify drops an undefined one; opt is the optimizer {name, t, ...} or None."""
    header = {k: doc[k] for k in HEADER_FIELDS if k in doc}
    header["optimizer"] = None if opt is None else {"name": opt["name"], "t": opt["t"]}
    return header


def load(path):
    """The checkpoint as a dict with decoded arrays: tensors {name: array}, optimizer {name, t, slots} or None,
    state array (L, S, B, H) or None; the other fields as in the file."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"cannot load checkpoint {path}: no such file (check the path)")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CheckpointError(f"cannot load checkpoint {path}: the file is not JSON (a charnn checkpoint is a .json file)")
    what = f"cannot load checkpoint {path}"
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{what}: not a charnn checkpoint (pass a checkpoint written by charnn train)")
    v = doc.get("version")
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # JSON has one number type: 2.0 is 2, as charnn reads it
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise CheckpointError(f"{what}: invalid format version {json.dumps(v)} (the file was edited or is damaged)")
    if v > VERSION:
        raise CheckpointError(f"{what}: format version {v} is newer than this reader's {VERSION}")
    tensors = {n: decode_tensor(t, f"tensor {n}") for n, t in doc["tensors"].items()}
    opt = doc.get("optimizer")
    slots = None
    if opt is not None:
        slots = {s: {n: decode_tensor(t, f"optimizer {s} {n}") for n, t in rec.items()} for s, rec in opt["slots"].items()}
    state = decode_tensor(doc["state"], "hidden state") if doc.get("state") is not None else None
    stored = {f"tensors/{n}": t["dtype"] for n, t in doc["tensors"].items() if t["dtype"] != "float32"}
    if opt is not None:
        stored.update({f"optimizer.{s}/{n}": t["dtype"] for s, rec in opt["slots"].items() for n, t in rec.items() if t["dtype"] != "float32"})
    if doc.get("state") is not None and doc["state"]["dtype"] != "float32":
        stored["state/hidden"] = doc["state"]["dtype"]
    if v >= 2:
        if checksum(tensors, slots, state, checksum_header(doc, opt), stored) != doc.get("checksum"):
            raise CheckpointError(f"{what}: checksum mismatch: the file is not what was written (weights, vocabulary, "
                                  "config or progress changed; use another checkpoint)")
    else:
        if checksum(tensors, slots, state, None, stored) != doc.get("checksum"):
            raise CheckpointError(f"{what}: checksum mismatch: the tensor data is not what was written (use another checkpoint)")
        # version 1 does not cover the vocabulary; charnn writes it in code point order, so another order is an edit
        vocab = doc.get("vocab") or []
        for i in range(1, len(vocab)):
            if vocab[i - 1] >= vocab[i]:  # one code point each: str order is code point order
                raise CheckpointError(f"{what}: the vocabulary is not in code point order (entry {i - 1} "
                                      f"{json.dumps(vocab[i - 1])} comes before {json.dumps(vocab[i])}): it was edited "
                                      "(use another checkpoint)")
    want = expected_shapes(doc["model"])
    for name, shape in want:
        if name not in tensors or list(tensors[name].shape) != shape:
            raise CheckpointError(f"{what}: tensor {name} is missing or not of shape {shape}")
    if len(doc["vocab"]) != doc["model"]["vocabSize"]:
        raise CheckpointError(f"{what}: the vocabulary does not match the model's size")
    doc["storage"] = sorted({t["dtype"] for t in doc["tensors"].values()})  # what the weights are stored as
    doc["tensors"] = tensors
    doc["optimizer"] = None if opt is None else {"name": opt["name"], "t": opt["t"], "slots": slots}
    doc["state"] = state
    return doc


def now_iso():
    """ISO 8601 UTC with milliseconds and Z, as JavaScript's Date.toISOString."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode(c, writer):
    """The JSON document for c (same fields as load returns), field order as schema.ts CheckpointJSON."""
    tensors = {n: np.asarray(a, dtype=np.float32) for n, a in c["tensors"].items()}
    opt = c.get("optimizer")
    slots = None if opt is None else {s: {n: np.asarray(a, dtype=np.float32) for n, a in rec.items()} for s, rec in opt["slots"].items()}
    state = None if c.get("state") is None else np.asarray(c["state"], dtype=np.float32)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "charnn": writer,
        "created": now_iso(),
        "model": c["model"],
        "vocab": c["vocab"],
        "config": c["config"],
        "corpus": c["corpus"],
        "progress": c["progress"],
        "rng": c["rng"],
    }
    opt_head = None if opt is None else {"name": opt["name"], "t": int(opt["t"])}
    return {
        **head,
        "checksum": checksum(tensors, slots, state, checksum_header(head, opt_head)),
        "tensors": {n: encode_tensor(a) for n, a in tensors.items()},
        "optimizer": None if opt is None else {"name": opt["name"], "t": int(opt["t"]),
                                               "slots": {s: {n: encode_tensor(a) for n, a in rec.items()} for s, rec in slots.items()}},
        "state": None if state is None else encode_tensor(state),
    }


def write_atomic(path, text):
    """Write text to path so that a crash leaves the old file or the new one, never a partial one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic


def save(path, c, writer):
    text = dumps(encode(c, writer)) + "\n"
    write_atomic(path, text)
    return text
