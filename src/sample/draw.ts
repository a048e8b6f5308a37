/**
 * One stream's draws: logits row (V) / temperature -> softmax -> optional top-k and top-p cut -> seeded
 * categorical draw, and the validation of those options. Shared by Sampler (one stream) and BatchSampler (many
 * streams, one model step for all), so both give the same characters for the same seed (pure core: no I/O).
 *
 * Dimension legend: V vocabulary.
 */
import type { Vec } from '../math/kernels.js';
import { Rng } from '../math/rng.js';
import { CharnnError } from '../errors.js';
import { allBanned } from './ban.js';

export interface SampleOptions {
  /** softmax temperature; 0 means always the most likely character (argmax) */
  temperature?: number;
  /** keep only the k most likely characters (0 = off) */
  topK?: number;
  /** keep the smallest set of most likely characters whose probability reaches p (1 = off) */
  topP?: number;
  /** seed of the draws (same seed, same model, same text) */
  seed?: number;
  /** or an existing generator */
  rng?: Rng;
}

export class Drawer {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly rng: Rng;
  private readonly probs: Float64Array; // (V) unnormalised probabilities of the current draw
  private readonly order: Int32Array; // (V) ids sorted by probability, for top-k / top-p

  /** Throws a CharnnError naming the first invalid option. */
  constructor(readonly V: number, opts: SampleOptions = {}) {
    this.temperature = opts.temperature ?? 1;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    if (!(this.temperature >= 0) || !Number.isFinite(this.temperature)) throw new CharnnError(`temperature must be a number >= 0, got ${this.temperature}`);
    if (!Number.isInteger(this.topK) || this.topK < 0) throw new CharnnError(`top-k must be an integer >= 0, got ${this.topK}`);
    if (!(this.topP > 0 && this.topP <= 1)) throw new CharnnError(`top-p must be in (0, 1], got ${this.topP}`);
    this.rng = opts.rng ?? new Rng(opts.seed ?? 0);
    this.probs = new Float64Array(V);
    this.order = new Int32Array(V);
  }

  /** The first id of a text with no context at all: uniform. */
  uniform(): number {
    return this.rng.int(this.V);
  }

  /** One draw from logits[off .. off+V); ids marked in `banned` (V) have probability 0 (ban.ts). */
  draw(logits: Vec, off = 0, banned: Uint8Array | null = null): number {
    const { V, probs } = this;
    let best = -1;
    for (let v = 0; v < V; v++) if (!banned?.[v] && (best < 0 || logits[off + v] > logits[off + best])) best = v;
    if (best < 0) throw allBanned();
    if (this.temperature === 0) return best;
    const invT = 1 / this.temperature;
    const max = logits[off + best];
    let total = 0;
    for (let v = 0; v < V; v++) total += probs[v] = banned?.[v] ? 0 : Math.exp((logits[off + v] - max) * invT);
    if (!(total > 0) || !Number.isFinite(total)) return best; // NaN/inf logits: fall back to argmax
    if ((this.topK > 0 && this.topK < V) || this.topP < 1) total = this.cut(total);
    return this.rng.categorical(probs, V, total);
  }

  /** Zero every probability outside the top-k and the top-p nucleus; returns the remaining total. */
  private cut(total: number): number {
    const { V, probs, order } = this;
    for (let v = 0; v < V; v++) order[v] = v;
    heapSortDescending(order, probs, V);
    const k = this.topK > 0 ? Math.min(this.topK, V) : V;
    let keep = k;
    if (this.topP < 1) {
      // the nucleus is measured within the top-k (renormalised), as Hugging Face's samplers chain them
      let kTotal = 0;
      for (let i = 0; i < k; i++) kTotal += probs[order[i]];
      let cum = 0;
      for (keep = 0; keep < k; ) {
        cum += probs[order[keep++]];
        if (cum >= this.topP * kTotal) break;
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += probs[order[i]];
    for (let i = keep; i < V; i++) probs[order[i]] = 0;
    return kept > 0 ? kept : total;
  }
}

/**
 * Sort ids (n) in place by key descending, ties by smaller id first; heapsort, so no allocation.
 * The heap keeps at its top the element that belongs LAST in the output and moves it to the end each round.
 */
function heapSortDescending(ids: Int32Array, key: Float64Array, n: number): void {
  const later = (a: number, b: number) => key[a] < key[b] || (key[a] === key[b] && a > b); // a belongs after b
  const sift = (root: number, end: number) => {
    for (;;) {
      let child = 2 * root + 1;
      if (child >= end) return;
      if (child + 1 < end && later(ids[child + 1], ids[child])) child++;
      if (!later(ids[child], ids[root])) return;
      const t = ids[root]; ids[root] = ids[child]; ids[child] = t;
      root = child;
    }
  };
  for (let i = (n >> 1) - 1; i >= 0; i--) sift(i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = ids[0]; ids[0] = ids[end]; ids[end] = t;
    sift(0, end);
  }
}
