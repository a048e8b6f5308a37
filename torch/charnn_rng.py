"""charnn's seeded RNG (src/math/rng.ts: splitmix32 seeding, xoshiro128**, 53-bit uniforms) in numpy, so a fresh
PyTorch run draws the same initial weights as `charnn train --seed N` (src/model/init.ts), bit for bit.

xoshiro128** is sequential, but its state update is linear over GF(2): advancing by d steps is a 128x128 bit
matrix to the power d. The n draws are cut into K lanes of m consecutive draws; lane j starts at state A^(j*m) s0,
and the K lanes step together as numpy vectors, so millions of draws take a fraction of a second.
"""
import numpy as np

M32 = 0xFFFFFFFF


def splitmix_state(seed):
    """Rng(seed)'s four state words."""
    s = int(seed) & M32
    out = []
    for _ in range(4):
        s = (s + 0x9E3779B9) & M32
        z = s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        out.append((z ^ (z >> 16)) & M32)
    return out if any(out) else [1, 0, 0, 0]


def _rotl(x, k):
    return ((x << np.uint32(k)) | (x >> np.uint32(32 - k))).astype(np.uint32)


def _step_words(s):
    """One xoshiro128** state update of four Python ints."""
    s0, s1, s2, s3 = s
    t = (s1 << 9) & M32
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = ((s3 << 11) | (s3 >> 21)) & M32
    return [s0, s1, s2, s3]


def _bits(words):
    return np.array([(words[b // 32] >> (b % 32)) & 1 for b in range(128)], dtype=np.int64)


def _words(bits):
    return [int(sum(int(bits[w * 32 + i]) << i for i in range(32))) for w in range(4)]


_STEP = None


def _step_matrix():
    """(128, 128) over GF(2): column b is the update of the state with only bit b set."""
    global _STEP
    if _STEP is None:
        cols = []
        for b in range(128):
            unit = [0, 0, 0, 0]
            unit[b // 32] = 1 << (b % 32)
            cols.append(_bits(_step_words(unit)))
        _STEP = np.stack(cols, axis=1)
    return _STEP


def _matpow(a, d):
    r = np.eye(128, dtype=np.int64)
    while d:
        if d & 1:
            r = (r @ a) & 1
        a = (a @ a) & 1
        d >>= 1
    return r


def _lanes(state, lanes, m, capture=None):
    """nextU32() outputs of `lanes` lanes of m consecutive draws, (m, lanes) uint32: lane j starts at A^(j*m) of
    state, so lane-major order is the sequential stream. capture=(j, r): also lane j's state after r steps (for
    j == lanes, the last lane's final state); else None."""
    jump = _matpow(_step_matrix(), m)
    starts, v = [], _bits(state)
    for _ in range(lanes):
        starts.append(_words(v))
        v = (jump @ v) & 1
    s = np.array(starts, dtype=np.uint32).T.copy()  # (4, lanes)
    s0, s1, s2, s3 = s
    out = np.empty((m, lanes), dtype=np.uint32)
    after = None
    five, nine = np.uint32(5), np.uint32(9)
    for i in range(m):
        if capture is not None and i == capture[1] and capture[0] < lanes:
            j = capture[0]
            after = [int(s0[j]), int(s1[j]), int(s2[j]), int(s3[j])]
        out[i] = _rotl(s1 * five, 7) * nine
        t = s1 << np.uint32(9)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
    if capture is not None and after is None:
        after = [int(s0[-1]), int(s1[-1]), int(s2[-1]), int(s3[-1])]
    return out, after


def u32_stream(state, n, lanes=4096):
    """The next n outputs of nextU32() from state (four words), as uint32 (n,)."""
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    lanes = max(1, min(lanes, n))
    m = -(-n // lanes)
    return _lanes(state, lanes, m)[0].T.reshape(-1)[:n]


def uniforms(seed, n):
    """The first n values of Rng(seed).uniform(), float64 in [0, 1) with 53 random bits."""
    u = u32_stream(splitmix_state(seed), 2 * n).astype(np.float64)
    hi, lo = np.floor(u[0::2] / 32), np.floor(u[1::2] / 64)  # >>> 5 and >>> 6
    return (hi * 67108864 + lo) / 9007199254740992


def u32_draws(state, n):
    """(the next n outputs of nextU32() from state as uint32 (n,), the four state words after them): charnn's
    dropout masks drawn in its order, so a companion run continues charnn's training RNG exactly. About sqrt(n)
    lanes, so a draw of a few thousand values costs milliseconds; the state after n draws is lane j's after r
    steps (n = j*m + r), read off during the loop."""
    if n == 0:
        return np.zeros(0, dtype=np.uint32), list(state)
    lanes = max(1, min(4096, int(np.sqrt(n))))
    m = -(-n // lanes)
    lanes = -(-n // m)  # every lane has work: (lanes - 1) * m < n <= lanes * m
    out, after = _lanes(state, lanes, m, divmod(n, m))  # j == lanes (then r == 0): the last lane's final state
    return out.T.reshape(-1)[:n], after


def dropout_mask(state, n, p):
    """charnn's drawMask (src/model/dropout.ts): n values, 0 where the u32 falls below p*2^32, else 1/(1 - p), as
    float32; returns (mask, the state after)."""
    u, after = u32_draws(state, n)
    keep = np.float32(1 / (1 - p))
    return np.where(u.astype(np.float64) < p * 4294967296, np.float32(0), keep).astype(np.float32), after
