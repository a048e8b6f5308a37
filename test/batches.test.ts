import { describe, expect, it } from 'vitest';
import { Batches, splitIds } from '../src/data/batches.js';

/** ids 0..n-1 (mod 65536) so every position is recognisable. */
const seq = (n: number) => Uint16Array.from({ length: n }, (_, i) => i % 65536);

/**
 * A direct transcription of the reference (shared/reference/pytorch_ref.py):
 *   n = (len(data) - 1) // (B * T) * (B * T)
 *   xs = data[:n].view(B, -1); ys = data[1:n + 1].view(B, -1)
 *   window w: xs[:, w*T:(w+1)*T].t()  -> (T, B)
 */
function referenceWindows(data: ArrayLike<number>, B: number, T: number) {
  const n = Math.floor((data.length - 1) / (B * T)) * (B * T);
  const cols = n / B;
  const xs = (b: number, j: number) => data[b * cols + j];
  const ys = (b: number, j: number) => data[1 + b * cols + j];
  const windows: { x: number[]; y: number[] }[] = [];
  for (let w = 0; w < n / (B * T); w++) {
    const x: number[] = [], y: number[] = [];
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      x.push(xs(b, w * T + t));
      y.push(ys(b, w * T + t));
    }
    windows.push({ x, y });
  }
  return windows;
}

function allWindows(bt: Batches) {
  const x = new Int32Array(bt.B * bt.T), y = new Int32Array(bt.B * bt.T);
  const out: { x: number[]; y: number[] }[] = [];
  for (let w = 0; w < bt.numWindows; w++) {
    bt.fill(x, y, w);
    out.push({ x: Array.from(x), y: Array.from(y) });
  }
  return out;
}

describe('splitIds', () => {
  it('takes the first 90% for training like int(len * 0.9)', () => {
    const ids = seq(1_115_394);
    const { train, val } = splitIds(ids);
    expect(train.length).toBe(1_003_854); // int(1115394 * 0.9)
    expect(val!.length).toBe(1_115_394 - 1_003_854);
    expect(val![0]).toBe(train.length % 65536); // val starts right after train
  });

  it('supports other fractions and 0 (no validation)', () => {
    const ids = seq(1000);
    const s = splitIds(ids, 0.25);
    expect([s.train.length, s.val!.length]).toEqual([750, 250]);
    const none = splitIds(ids, 0);
    expect(none.train.length).toBe(1000);
    expect(none.val).toBeNull();
    expect(() => splitIds(ids, 1)).toThrow(RangeError);
    expect(() => splitIds(ids, -0.1)).toThrow(RangeError);
  });
});

describe('Batches', () => {
  it.each([
    [1000, 4, 7],
    [101, 10, 10],
    [57, 1, 5],
    [333, 3, 1],
    [5000, 50, 50],
  ])('matches the reference layout for len %i, B %i, T %i', (len, B, T) => {
    const ids = seq(len);
    const bt = new Batches(ids, B, T);
    expect(bt.numWindows).toBe(Math.floor((len - 1) / (B * T)));
    expect(allWindows(bt)).toEqual(referenceWindows(ids, B, T));
  });

  it('y is x shifted by one in every stream', () => {
    const ids = Uint16Array.from({ length: 999 }, (_, i) => (i * 7919) % 61); // not a plain counter
    const bt = new Batches(ids, 5, 8);
    const x = new Int32Array(40), y = new Int32Array(40);
    for (let w = 0; w < bt.numWindows; w++) {
      bt.fill(x, y, w);
      for (let b = 0; b < 5; b++) {
        for (let t = 0; t + 1 < 8; t++) expect(y[t * 5 + b]).toBe(x[(t + 1) * 5 + b]);
      }
    }
  });

  it('continues each stream exactly from one window to the next, streams contiguous and disjoint', () => {
    const ids = seq(1234);
    const B = 6, T = 9;
    const bt = new Batches(ids, B, T);
    const wins = allWindows(bt);
    const perStream = bt.streamLength;
    for (let b = 0; b < B; b++) {
      // concatenating stream b over all windows gives one contiguous run starting at b * n/B
      const xs: number[] = [];
      for (const win of wins) for (let t = 0; t < T; t++) xs.push(win.x[t * B + b]);
      expect(xs).toEqual(Array.from({ length: perStream }, (_, j) => b * perStream + j));
      // the last target of window w is the first input of window w+1
      for (let w = 0; w + 1 < wins.length; w++) expect(wins[w].y[(T - 1) * B + b]).toBe(wins[w + 1].x[b]);
    }
  });

  it('refuses a corpus too small for B and T, naming the largest values that fit', () => {
    expect(() => new Batches(seq(100), 10, 10)).toThrow(
      /training split is too small for batch 10 and sequence length 10: it has 100 characters, one window needs 101 \(reduce --batch or --seq: at most --batch 9 with --seq 10, or --seq 9 with --batch 10\)/,
    );
    expect(() => new Batches(seq(101), 10, 10)).not.toThrow();
    expect(() => new Batches(seq(1), 1, 1)).toThrow(/needs at least 2 characters/);
    expect(() => new Batches(seq(30), 50, 2)).toThrow(/at most --batch 14 with --seq 2\)/);
    expect(() => new Batches(seq(10), 0, 5)).toThrow(RangeError);
  });

  it('rejects windows out of range', () => {
    const bt = new Batches(seq(100), 2, 3);
    const x = new Int32Array(6), y = new Int32Array(6);
    expect(() => bt.fill(x, y, bt.numWindows)).toThrow(RangeError);
  });
});
