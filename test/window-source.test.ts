/**
 * One window source (data/window-source.ts): stream batches and line batches seen as the trainer sees them.
 * - Batches.readWindow = fill, its streams restarting exactly where `resets` flags a document start (flags
 *   cleared where there are no documents), never padded;
 * - LineBatches.readWindow = fill, every stream restarting at a batch's first window and none elsewhere, padded;
 * - windowSources splits a corpus as splitIds / splitLineIndices do, with no validation source at fraction 0, and
 *   a line source's validation layout reads every line.
 */
import { describe, expect, it } from 'vitest';
import { Batches, splitIds } from '../src/data/batches.js';
import { LineBatches, splitLineIndices, splitLines } from '../src/data/lines.js';
import { windowSources } from '../src/data/window-source.js';
import { Rng } from '../src/math/rng.js';

function corpus(n: number, V = 7): Uint16Array {
  const rng = new Rng(3);
  const ids = new Uint16Array(n);
  for (let i = 0; i < n; i++) ids[i] = rng.int(V);
  return ids;
}

describe('Batches as a WindowSource', () => {
  it('readWindow writes fill’s window and restarts the streams resets flags (with documents), none without', () => {
    const ids = corpus(500);
    const B = 3, T = 5;
    const starts = [17, 60, 61, 200, 333, 420];
    const docs = new Batches(ids, B, T, 'training', starts);
    const plain = new Batches(ids, B, T);
    const x = new Int32Array(B * T), y = new Int32Array(B * T), keep = new Int32Array(B * T);
    const x2 = new Int32Array(B * T), y2 = new Int32Array(B * T);
    const restart = new Uint8Array(B), flags = new Uint8Array(B);
    let restarted = 0;
    for (let w = 0; w < docs.numWindows; w++) {
      const r = docs.readWindow(x, y, keep, restart, 7, w);
      docs.fill(x2, y2, w);
      expect(Array.from(x)).toEqual(Array.from(x2));
      expect(Array.from(y)).toEqual(Array.from(y2));
      const n = docs.resets(flags, w);
      expect(Array.from(restart)).toEqual(Array.from(flags));
      expect(r).toEqual({ T, count: B * T, masked: false, restarts: n });
      restarted += n;

      restart.fill(1); // a source clears what it does not flag
      expect(plain.readWindow(x, y, keep, restart, 0, w).restarts).toBe(0);
      expect(Array.from(restart)).toEqual([0, 0, 0]);
    }
    expect(restarted).toBeGreaterThan(0);
    expect(docs.windowsIn(5)).toBe(docs.numWindows);
    expect(docs.maxWindowSize).toBe(B * T);
  });

  it('readWindow with offsets reads and flags each stream at its own window', () => {
    const ids = corpus(800);
    const bt = new Batches(ids, 4, 3, 'validation', [50, 400]);
    const offsets = Int32Array.from([0, 5, 2, 9]);
    const x = new Int32Array(12), y = new Int32Array(12), x2 = new Int32Array(12), y2 = new Int32Array(12);
    const restart = new Uint8Array(4), flags = new Uint8Array(4);
    for (let w = 0; w < bt.numWindows - 9; w++) {
      bt.readWindow(x, y, new Int32Array(12), restart, 0, w, offsets);
      bt.fill(x2, y2, w, offsets);
      bt.resets(flags, w, offsets);
      expect(Array.from(x)).toEqual(Array.from(x2));
      expect(Array.from(restart)).toEqual(Array.from(flags));
    }
  });
});

describe('LineBatches as a WindowSource', () => {
  it('readWindow writes fill’s window; every stream restarts at a batch’s first window, none elsewhere', () => {
    const text = ['ann', 'bo', 'cyrillaxxxxxxxx', 'd', 'eve', 'francescayyyyyy', 'gus', 'hal', 'ivy'].join('\n');
    const chars = [...new Set(text)];
    const ids = Uint16Array.from(text, (c) => chars.indexOf(c));
    const set = splitLines(ids, chars.indexOf('\n'));
    const B = 2, T = 6;
    const lb = new LineBatches(set, Uint32Array.from(set.starts.keys()), B, T, { shuffle: true, seed: 4 });
    const x = new Int32Array(B * T), y = new Int32Array(B * T), keep = new Int32Array(B * T);
    const x2 = new Int32Array(B * T), y2 = new Int32Array(B * T), keep2 = new Int32Array(B * T);
    const restart = new Uint8Array(B);
    let mid = 0;
    for (const epoch of [0, 1]) {
      for (let w = 0; w < lb.windowsIn(epoch); w++) {
        const r = lb.readWindow(x, y, keep, restart, epoch, w);
        const f = lb.fill(x2, y2, keep2, epoch, w);
        expect(Array.from(x.subarray(0, f.T * B))).toEqual(Array.from(x2.subarray(0, f.T * B)));
        expect(Array.from(keep.subarray(0, f.count))).toEqual(Array.from(keep2.subarray(0, f.count)));
        expect(r).toEqual({ T: f.T, count: f.count, masked: true, restarts: f.reset ? B : 0 });
        expect(Array.from(restart)).toEqual(new Array(B).fill(f.reset ? 1 : 0));
        if (!f.reset) mid++;
      }
    }
    expect(mid).toBeGreaterThan(0); // long lines: windows that carry the state within a line
    expect(lb.evalLayout()).toMatchObject({ steps: lb.windowsIn(0), full: true });
  });
});

describe('windowSources', () => {
  it('stream mode: the split of splitIds, documents shifted into each split, no validation at fraction 0', () => {
    const ids = corpus(1000);
    const { train, val } = windowSources(ids, { batch: 3, seq: 4, valFrac: 0.2, seed: 1 }, [100, 900]);
    const split = splitIds(ids, 0.2);
    expect(train.numWindows).toBe(new Batches(split.train, 3, 4).numWindows);
    expect(val!.numWindows).toBe(new Batches(split.val!, 3, 4).numWindows);
    expect((train as Batches).hasDocuments && (val as Batches).hasDocuments).toBe(true);
    expect(windowSources(ids, { batch: 3, seq: 4, valFrac: 0, seed: 1 }).val).toBeNull();
  });

  it('line mode: the seeded split of splitLineIndices; its validation reads every line', () => {
    const text = Array.from({ length: 40 }, (_, i) => 'x'.repeat(1 + (i % 7))).join('\n');
    const ids = Uint16Array.from(text, (c) => (c === '\n' ? 0 : 1));
    const set = splitLines(ids, 0);
    const { train, val } = windowSources(set, { batch: 4, seq: 8, valFrac: 0.25, seed: 9 });
    const split = splitLineIndices(40, 0.25, 9);
    expect(train.windowsIn(3)).toBe(new LineBatches(set, split.train, 4, 8, { shuffle: true, seed: 9 }).windowsIn(3));
    const layout = val!.evalLayout(1, 123, false);
    expect(layout).toMatchObject({ steps: val!.windowsIn(0), full: true });
    expect(layout.offsets).toBeUndefined();
  });
});
