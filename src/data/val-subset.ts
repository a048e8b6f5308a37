/**
 * Which validation windows an evaluation reads. The whole split (`full`), or a fixed, seeded subset: in each of
 * the B streams (each a contiguous 1/B of the split, data/batches.ts) one segment of `windows` consecutive
 * windows at a seeded place, preceded by one warm-up window that is run but not counted, so every counted window
 * starts from a carried state as in the full pass, not from zero. Stratified (one segment per stream) so the
 * subset covers the whole split evenly; seeded so every evaluation of a run reads the same characters and the
 * curve and the best-checkpoint choice compare like with like.
 *
 * A split with no more windows than the subset needs (windows + 1) is read whole: the subset never costs more
 * than the full pass, and small corpora evaluate exactly as before.
 * Dimension legend: B streams, T window.
 */
import { Rng } from '../math/rng.js';

/** What a layout needs of the validation split's stream layout (data/batches.ts Batches). */
interface StreamLayout {
  readonly B: number;
  readonly numWindows: number;
}

export interface EvalLayout {
  /** windows to run, warm-up included */
  readonly steps: number;
  /** (B) window offset of each stream, or undefined for the full split */
  readonly offsets?: Int32Array;
  /** whether run j (0 <= j < steps) counts towards the loss */
  counted(j: number): boolean;
  /** true: the whole split */
  readonly full: boolean;
}

export function fullLayout(vb: StreamLayout): EvalLayout {
  return { steps: vb.numWindows, counted: () => true, full: true };
}

/** `windows` counted windows per stream at seeded places (0: the full split). */
export function subsetLayout(vb: StreamLayout, windows: number, seed: number): EvalLayout {
  if (windows <= 0 || vb.numWindows <= windows + 1) return fullLayout(vb);
  const rng = new Rng(seed >>> 0);
  const offsets = new Int32Array(vb.B);
  const room = vb.numWindows - windows; // warm-up start in [0, room)
  for (let b = 0; b < vb.B; b++) offsets[b] = rng.int(room);
  return { steps: windows + 1, offsets, counted: (j) => j > 0, full: false };
}
