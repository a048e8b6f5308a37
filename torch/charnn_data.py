"""charnn's data recipe in Python (src/data/vocab.ts, src/data/batches.ts), so ids, split and windows are the same:

  vocabulary   the sorted distinct Unicode code points (Python's sorted(set(text))); a leading UTF-8 BOM is dropped;
               invalid UTF-8 and NUL bytes are refused
  split        train = ids[:floor(N * (1 - f))], validation = the rest (f = 0: none)
  streams      n = floor((len - 1) / (B*T)) * B*T characters; stream b = data[b*n/B : (b+1)*n/B], targets shifted by 1
  window w     x[t, b] = stream b [w*T + t], y[t, b] = the next character: (T, B), time-major

Dimension legend: N corpus characters, B streams, T window length, SL characters per stream.
"""
import hashlib
import math
import sys

import numpy as np
import torch


class DataError(Exception):
    """Bad corpus input; str() is the one-line reason with a hint."""


def read_corpus(path):
    """(bytes, sha256 hex) of a file, or of stdin for '-'."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    except FileNotFoundError:
        raise DataError(f"corpus file {path} does not exist (check the path)")
    except IsADirectoryError:
        raise DataError(f"corpus path {path} is a directory (give a text file inside it)")
    except PermissionError:
        raise DataError(f"corpus file {path} is not readable: permission denied (check its permissions)")
    if not raw:
        raise DataError(f"the corpus {'on stdin' if path == '-' else path} is empty (give a text file with some content)")
    return raw, hashlib.sha256(raw).hexdigest()


def code_points(raw):
    """(N,) uint32 code points of UTF-8 bytes, validated as encodeUtf8 does."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(f"the corpus looks binary: it has a NUL byte at byte offset {nul} (a text corpus is needed)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"the corpus is not valid UTF-8: the first invalid byte is at offset {e.start} "
                        f"(convert it to UTF-8, e.g. iconv -f LATIN1 -t UTF-8 in.txt > out.txt)")
    if not text:
        raise DataError("the corpus is empty (it has no characters)")
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def encode(cps, vocab=None):
    """(vocab as a list of one-character strings in id order, ids (N,) int64). With vocab: encode with it."""
    if vocab is None:
        table = np.unique(cps)
        vocab = [chr(c) for c in table]
    else:
        table = np.array([ord(c) for c in vocab], dtype=np.uint32)
    order = np.argsort(table, kind="stable")
    pos = np.searchsorted(table[order], cps)
    pos = np.minimum(pos, len(table) - 1)
    found = table[order][pos] == cps
    if not found.all():
        k = int(np.argmin(found))
        raise DataError(f"character {chr(int(cps[k]))!r} (U+{int(cps[k]):04X}) at position {k} is not in the "
                        f"vocabulary (the model can only read characters it was trained on)")
    return vocab, torch.from_numpy(order[pos].astype(np.int64))


def split(ids, val_frac):
    """(train, val or None) as splitIds: the reference's int(len * 0.9) for 0.1."""
    if val_frac == 0:
        return ids, None
    ntrain = math.floor(len(ids) * (1 - val_frac))
    return ids[:ntrain], ids[ntrain:]


class Batches:
    """B contiguous streams read in windows of T; `lo:hi` keeps only those streams (one rank's share)."""

    def __init__(self, ids, B, T, what="training", lo=0, hi=None, device="cpu"):
        n_windows = (len(ids) - 1) // (B * T)
        if n_windows < 1:
            raise DataError(f"the {what} split is too small for batch {B} and sequence length {T}: it has "
                            f"{len(ids)} characters, one window needs {B * T + 1} (reduce --batch or --seq)")
        hi = B if hi is None else hi
        self.B, self.T, self.num_windows = B, T, n_windows
        SL = n_windows * T
        n = B * SL
        self.xs = ids[:n].view(B, SL)[lo:hi].to(device)  # (B', SL)
        self.ys = ids[1:n + 1].view(B, SL)[lo:hi].to(device)  # (B', SL)

    def window(self, w):
        """x, y: (T, B') int64 of window w."""
        T = self.T
        return self.xs[:, w * T:(w + 1) * T].t().contiguous(), self.ys[:, w * T:(w + 1) * T].t().contiguous()
