/**
 * Train/validation split and the truncated-BPTT batch layout, exactly as the PyTorch reference
 * (../shared/reference/pytorch_ref.py `streams` and `window`) lays them out, so losses compare iteration by
 * iteration:
 *
 *   train = ids[0, floor(N·(1−f)));  validation = the rest (f = validation fraction; f = 0: no validation)
 *   n = floor((len − 1) / (B·T)) · B·T      characters used (the tail that does not fill a window is dropped)
 *   stream b = data[b·n/B, (b+1)·n/B)       B contiguous streams; targets are the same shifted by one
 *   window w: x[t, b] = stream b [w·T + t],  y[t, b] = data[b·n/B + w·T + t + 1]
 *
 * so window w+1 of stream b continues window w of stream b exactly, and the carried RNN state stays meaningful.
 * Dimension legend: N corpus ids, B streams, T window (sequence) length. x, y are (T, B) time-major: x[t*B + b].
 */
import type { Ids } from './vocab.js';
import type { WindowFill, WindowSource } from './window.js';
import { fullLayout, subsetLayout, type EvalLayout } from './val-subset.js';

export interface Split {
  /** the first part of the ids (a view, no copy) */
  train: Ids;
  /** the last `valFraction` of the ids (a view), or null when the fraction is 0 */
  val: Ids | null;
}

/** Splits ids into training (first) and validation (last) parts; valFraction in [0, 1). */
export function splitIds(ids: Ids, valFraction = 0.1): Split {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`validation fraction must be in [0, 1), got ${valFraction}`);
  }
  if (valFraction === 0) return { train: ids, val: null };
  // the reference: ntrain = int(len(data) * 0.9)
  const ntrain = Math.floor(ids.length * (1 - valFraction));
  return { train: ids.subarray(0, ntrain), val: ids.subarray(ntrain) };
}

/** B contiguous streams over ids, read in windows of T. As a WindowSource (data/window-source.ts): every epoch
 *  has the same windows, none is padded, and a stream restarts where a document starts in its window (`resets`). */
export class Batches implements WindowSource {
  readonly B: number;
  readonly T: number;
  /** windows per pass over the data (an epoch) */
  readonly numWindows: number;
  /** characters per stream: numWindows · T */
  readonly streamLength: number;
  private readonly ids: Ids;
  /** sorted positions (in this split) where a new document starts; empty: one document */
  private readonly docStarts: readonly number[];

  /** `what` names the split in the too-small error ('training', 'validation'). `docStarts`: sorted positions in
   *  `ids` where a new document (file) begins (see `resets`). */
  constructor(ids: Ids, B: number, T: number, what = 'training', docStarts: readonly number[] = []) {
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`batch size must be a positive integer, got ${B}`);
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`sequence length must be a positive integer, got ${T}`);
    const usable = ids.length - 1; // the last character has no target
    const numWindows = Math.floor(Math.max(0, usable) / (B * T));
    if (numWindows < 1) throw new Error(tooSmallMessage(ids.length, B, T, what));
    this.ids = ids;
    this.B = B;
    this.T = T;
    this.numWindows = numWindows;
    this.streamLength = numWindows * T;
    this.docStarts = docStarts;
  }

  /** true when the split holds more than one document, so `resets` can flag streams */
  get hasDocuments(): boolean {
    return this.docStarts.length > 0;
  }

  /**
   * Document boundaries, at window granularity: flags[b] = 1 when a document starts among the inputs of stream
   * b's window w (+ offsets[b]), so the state carried into that window is reset to zero. A boundary on the window's
   * first character is exact; one inside it lets the new document's first characters (fewer than T) see the tail
   * of the previous one, but nothing older. Returns the number of flagged streams.
   */
  resets(flags: Uint8Array, w: number, offsets?: Int32Array): number {
    const { B, T, streamLength, docStarts } = this;
    let n = 0;
    for (let b = 0; b < B; b++) {
      const base = b * streamLength + (w + (offsets ? offsets[b] : 0)) * T;
      // first start >= base
      let lo = 0, hi = docStarts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (docStarts[mid] < base) lo = mid + 1;
        else hi = mid;
      }
      flags[b] = lo < docStarts.length && docStarts[lo] < base + T ? 1 : 0;
      n += flags[b];
    }
    return n;
  }

  /** Characters of predictions per window (T·B). */
  get windowSize(): number {
    return this.B * this.T;
  }

  /** WindowSource: every epoch reads the same windows. */
  windowsIn(_epoch: number): number {
    return this.numWindows;
  }

  /** WindowSource: every window is full (T·B). */
  get maxWindowSize(): number {
    return this.B * this.T;
  }

  /** WindowSource: `fill`, and the streams a document starts in restart (`resets`); no padding (keep unused). */
  readWindow(x: Int32Array, y: Int32Array, _keep: Int32Array, restart: Uint8Array, _epoch: number, w: number, offsets?: Int32Array): WindowFill {
    this.fill(x, y, w, offsets);
    let restarts = 0;
    if (this.hasDocuments) restarts = this.resets(restart, w, offsets);
    else restart.fill(0, 0, this.B);
    return { T: this.T, count: this.B * this.T, masked: false, restarts };
  }

  /** WindowSource: the whole split, or `windows` per stream at seeded places (data/val-subset.ts). */
  evalLayout(windows: number, seed: number, full: boolean): EvalLayout {
    return full ? fullLayout(this) : subsetLayout(this, windows, seed);
  }

  /** Writes window w (0 <= w < numWindows) into x, y (T*B), time-major. `offsets` (B): stream b reads its window
   *  w + offsets[b] instead (a validation subset reads each stream at its own place). */
  fill(x: Int32Array, y: Int32Array, w: number, offsets?: Int32Array): void {
    const { B, T, ids, streamLength } = this;
    if (x.length < B * T || y.length < B * T) throw new RangeError(`x and y need ${B * T} elements`);
    for (let b = 0; b < B; b++) {
      const wb = w + (offsets ? offsets[b] : 0);
      if (!Number.isInteger(wb) || wb < 0 || wb >= this.numWindows) {
        throw new RangeError(`window ${wb} out of range [0, ${this.numWindows})`);
      }
      const base = b * streamLength + wb * T; // stream b starts at b·n/B
      for (let t = 0; t < T; t++) {
        x[t * B + b] = ids[base + t];
        y[t * B + b] = ids[base + t + 1];
      }
    }
  }
}

/** "too small" with the largest batch (for this T) and the largest T (for this batch) that would fit. */
function tooSmallMessage(len: number, B: number, T: number, what: string): string {
  const usable = Math.max(0, len - 1);
  const maxB = Math.floor(usable / T);
  const maxT = Math.floor(usable / B);
  const fits: string[] = [];
  if (maxB >= 1) fits.push(`--batch ${maxB} with --seq ${T}`);
  if (maxT >= 1) fits.push(`--seq ${maxT} with --batch ${B}`);
  // none fits with either kept: batch x seq must come down to the predictions there are (`usable`)
  const hint = fits.length
    ? `reduce --batch or --seq: at most ${fits.join(', or ')}`
    : usable >= 1
      ? `reduce --batch and --seq: batch x seq must be at most ${usable}, e.g. --batch 1 --seq ${usable}`
      : `the ${what} split needs at least 2 characters; use a larger corpus`;
  return (
    `the ${what} split is too small for batch ${B} and sequence length ${T}: it has ${len} character${len === 1 ? '' : 's'}, ` +
    `one window needs ${B * T + 1} (${hint})`
  );
}
