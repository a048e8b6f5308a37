/**
 * Line mode (`charnn train list.txt --lines`): every line of the corpus is one example, as in makemore.
 *
 *   line "emma" (ids e m m a), end token ⏎ = the id of '\n':
 *   x = ⏎ e m m a        inputs: the end token doubles as the start token (makemore's '.')
 *   y = e m m a ⏎        targets: the model learns to emit the end token
 *
 * so a line of n characters gives n + 1 predictions, and every line starts from the model's start state.
 *
 * Packing (no padding to the longest line of the corpus): each epoch the training lines are shuffled, sorted by
 * length within chunks of POOL·B lines, cut into batches of B lines of about the same length, and the batches
 * shuffled. A batch is laid out like a stream window, (Tb, B) time-major, with Tb = its longest line + 1 (not
 * --seq): on names (2 to 15 letters) a batch pads under 1% of its slots. Padded slots are not predicted (the
 * model's `keep` rows leave them out of the loss). A line longer than T − 1 characters (T = --seq) is cut into
 * windows of T predictions; its state is carried from one window of the line to the next (truncated BPTT within
 * the line), and every line still starts from the start state: state never crosses from one line to another.
 *
 * Train/validation split: the lines are shuffled once by the seed and the last fraction held out (makemore
 * shuffles before its 80/10/10 split too; a tail split would test on the rarest names of a frequency-sorted list).
 * Empty lines (and a trailing '\r' of CRLF files) are not examples: they are skipped and counted.
 *
 * Dimension legend: B lines per batch, T window (most predictions per line per window), Tb a window's length.
 */
import { Rng } from '../math/rng.js';
import type { Ids } from './vocab.js';
import type { WindowFill, WindowSource } from './window.js';
import type { EvalLayout } from './val-subset.js';

/** The lines of a corpus, as spans of its ids (no copy). */
export interface LineSet {
  ids: Ids;
  /** (n) where each line starts in ids */
  starts: Uint32Array;
  /** (n) its length in characters (without the line break) */
  lengths: Uint32Array;
  /** the end-of-line token id ('\n') */
  endId: number;
  /** empty lines skipped */
  empty: number;
}

/** Splits ids at `endId`; `crId` (or -1): a '\r' right before the break is not part of the line. */
export function splitLines(ids: Ids, endId: number, crId = -1): LineSet {
  const starts: number[] = [];
  const lengths: number[] = [];
  let empty = 0;
  let start = 0;
  for (let i = 0; i <= ids.length; i++) {
    if (i < ids.length && ids[i] !== endId) continue;
    let end = i;
    if (end > start && ids[end - 1] === crId) end--;
    if (end > start) {
      starts.push(start);
      lengths.push(end - start);
    } else if (i < ids.length) {
      empty++; // an empty line; text ending with a line break does not end with an empty line
    }
    start = i + 1;
  }
  return { ids, starts: Uint32Array.from(starts), lengths: Uint32Array.from(lengths), endId, empty };
}

/** A subset of a line set's lines (indices into it). */
export interface LineSplit {
  train: Uint32Array;
  val: Uint32Array | null;
}

/** Shuffles the line indices by `seed` and holds out the last `valFraction` (0: none). */
export function splitLineIndices(n: number, valFraction: number, seed: number): LineSplit {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${valFraction}`);
  const order = permutation(n, new Rng((seed ^ 0x11e5) >>> 0));
  if (valFraction === 0) return { train: order, val: null };
  const ntrain = Math.floor(n * (1 - valFraction));
  return { train: order.subarray(0, ntrain), val: order.subarray(ntrain) };
}

/** 0..n−1 in a seeded random order (Fisher–Yates). */
function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

/** Lines are sorted by length within pools of this many batches (bigger: less padding, less randomness). */
const POOL = 16;

/** What `fill` reports about the window it wrote. */
export interface LineWindow {
  /** Tb: time steps of this window (x, y hold Tb·B ids) */
  T: number;
  /** true on a batch's first window: the state must be the start state */
  reset: boolean;
  /** rows (t·B + b) that are predictions; keep[0..count) */
  count: number;
}

/** One batch: B line indices (−1: an empty slot) and its longest line. */
interface Batch {
  lines: Int32Array;
  maxLen: number;
}

/**
 * Line batches for one split. Windows are numbered within an epoch; the epoch's order comes from (seed, epoch)
 * alone, so a resumed run rebuilds it exactly. `shuffle` false (validation): the lines in a fixed order, sorted
 * by length, the same every time. As a WindowSource (data/window-source.ts): windows are padded (keep rows), and
 * every stream restarts, from the start state, at a batch's first window.
 */
export class LineBatches implements WindowSource {
  readonly B: number;
  readonly T: number;
  /** predictions per epoch: the lines' characters plus one end token each */
  readonly predictions: number;
  private readonly set: LineSet;
  private readonly subset: Uint32Array;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private epochBuilt = -1;
  private batches: Batch[] = [];
  /** window w -> [batch, window within the batch] */
  private windowOf: Int32Array = new Int32Array(0);
  private readonly numWindowsOf: number;

  constructor(set: LineSet, subset: Uint32Array, B: number, T: number, opts: { shuffle: boolean; seed: number; what?: string }) {
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`batch size must be a positive integer, got ${B}`);
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`sequence length must be a positive integer, got ${T}`);
    if (subset.length === 0) throw new Error(`the ${opts.what ?? 'training'} split has no lines (give a longer list, or a smaller validation fraction)`);
    this.set = set;
    this.subset = subset;
    this.B = B;
    this.T = T;
    this.shuffle = opts.shuffle;
    this.seed = opts.seed;
    let p = 0;
    for (const i of subset) p += set.lengths[i] + 1;
    this.predictions = p;
    this.build(0);
    this.numWindowsOf = this.windowOf.length / 2;
  }

  /** Windows in the first epoch. Lines longer than T − 1 make the count vary a little from epoch to epoch (it
   *  depends on which lines share a batch): `windowsIn(epoch)` is exact. */
  get numWindows(): number {
    return this.numWindowsOf;
  }

  /** Windows in the given epoch. */
  windowsIn(epoch: number): number {
    this.build(epoch);
    return this.windowOf.length / 2;
  }

  /** Largest Tb·B a window can have (for buffers): min(longest line + 1, T) · B. */
  get maxWindowSize(): number {
    let m = 0;
    for (const i of this.subset) if (this.set.lengths[i] > m) m = this.set.lengths[i];
    return Math.min(m + 1, this.T) * this.B;
  }

  /**
   * Writes window w of `epoch` into x, y ((Tb, B) time-major) and the predicted rows into keep.
   * Padded slots get x = y = the end token (valid ids) and are left out of keep.
   */
  fill(x: Int32Array, y: Int32Array, keep: Int32Array, epoch: number, w: number): LineWindow {
    this.build(epoch);
    const nw = this.windowOf.length / 2;
    if (!Number.isInteger(w) || w < 0 || w >= nw) throw new RangeError(`window ${w} out of range [0, ${nw})`);
    const batch = this.batches[this.windowOf[2 * w]];
    const k = this.windowOf[2 * w + 1];
    const { B, T } = this;
    const { ids, starts, lengths, endId } = this.set;
    const p0 = k * T; // first prediction of this window, within each line
    const Tb = Math.min(T, batch.maxLen + 1 - p0);
    if (x.length < Tb * B || y.length < Tb * B || keep.length < Tb * B) throw new RangeError(`x, y and keep need ${Tb * B} elements`);
    let count = 0;
    for (let t = 0; t < Tb; t++) {
      const p = p0 + t; // prediction index within the line: input is line[p − 1] (⏎ for p = 0), target line[p] (⏎ for p = n)
      for (let b = 0; b < B; b++) {
        const r = t * B + b;
        const li = batch.lines[b];
        const n = li < 0 ? -1 : lengths[li];
        if (p > n) {
          x[r] = endId;
          y[r] = endId;
          continue;
        }
        const s = starts[li];
        x[r] = p === 0 ? endId : ids[s + p - 1];
        y[r] = p === n ? endId : ids[s + p];
        keep[count++] = r;
      }
    }
    return { T: Tb, reset: k === 0, count };
  }

  /** WindowSource: `fill`; on a batch's first window every stream restarts (each line starts from the start
   *  state). No offsets: a validation pass reads every line. */
  readWindow(x: Int32Array, y: Int32Array, keep: Int32Array, restart: Uint8Array, epoch: number, w: number): WindowFill {
    const lw = this.fill(x, y, keep, epoch, w);
    restart.fill(lw.reset ? 1 : 0, 0, this.B);
    return { T: lw.T, count: lw.count, masked: true, restarts: lw.reset ? this.B : 0 };
  }

  /** WindowSource: every validation line (a batch's windows share their lines' start, so no subset is cut). */
  evalLayout(): EvalLayout {
    return { steps: this.windowsIn(0), counted: () => true, full: true };
  }

  /** Lays out the batches of an epoch (cached: the last epoch built). */
  private build(epoch: number): void {
    if (epoch === this.epochBuilt) return;
    const { B, T, set } = this;
    const n = this.subset.length;
    const order = Uint32Array.from(this.subset);
    const len = (i: number) => set.lengths[i];
    const rng = this.shuffle ? new Rng((this.seed * 0x9e3779b1 + epoch * 0x85ebca6b + 1) >>> 0) : null;
    if (rng) {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = order[i]; order[i] = order[j]; order[j] = t;
      }
      // sort by length within pools, so a batch holds lines of about the same length
      for (let s = 0; s < n; s += POOL * B) order.subarray(s, Math.min(n, s + POOL * B)).sort((a, b) => len(a) - len(b));
    } else {
      order.sort((a, b) => len(a) - len(b) || a - b);
    }
    const batches: Batch[] = [];
    for (let s = 0; s < n; s += B) {
      const lines = new Int32Array(B).fill(-1);
      let maxLen = 0;
      for (let b = 0; b < B && s + b < n; b++) {
        lines[b] = order[s + b];
        maxLen = Math.max(maxLen, len(order[s + b]));
      }
      batches.push({ lines, maxLen });
    }
    if (rng) {
      for (let i = batches.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [batches[i], batches[j]] = [batches[j], batches[i]];
      }
    }
    const windows: number[] = [];
    batches.forEach((bt, i) => {
      const nw = Math.ceil((bt.maxLen + 1) / T);
      for (let k = 0; k < nw; k++) windows.push(i, k);
    });
    this.batches = batches;
    this.windowOf = Int32Array.from(windows);
    this.epochBuilt = epoch;
  }
}
