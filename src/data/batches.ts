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

/** B contiguous streams over ids, read in windows of T. */
export class Batches {
  readonly B: number;
  readonly T: number;
  /** windows per pass over the data (an epoch) */
  readonly numWindows: number;
  /** characters per stream: numWindows · T */
  readonly streamLength: number;
  private readonly ids: Ids;

  /** `what` names the split in the too-small error ('training', 'validation'). */
  constructor(ids: Ids, B: number, T: number, what = 'training') {
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
  }

  /** Characters of predictions per window (T·B). */
  get windowSize(): number {
    return this.B * this.T;
  }

  /** Writes window w (0 <= w < numWindows) into x, y (T*B), time-major. */
  fill(x: Int32Array, y: Int32Array, w: number): void {
    const { B, T, ids, streamLength } = this;
    if (!Number.isInteger(w) || w < 0 || w >= this.numWindows) {
      throw new RangeError(`window ${w} out of range [0, ${this.numWindows})`);
    }
    if (x.length < B * T || y.length < B * T) throw new RangeError(`x and y need ${B * T} elements`);
    for (let b = 0; b < B; b++) {
      const base = b * streamLength + w * T; // stream b starts at b·n/B
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
