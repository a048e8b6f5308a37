/**
 * What the trainer reads: windows of (T, B) time-major ids, from one of two sources with one interface.
 *
 *   stream mode (data/batches.ts `Batches`): B contiguous streams of the corpus, window w = T characters of each;
 *     a stream restarts (from the zero state) where a document starts inside its window;
 *   line mode (data/lines.ts `LineBatches`): a window is a batch of B lines (or a part of one, for lines longer
 *     than T − 1), padded slots left out of the loss; every stream restarts, from the model's start state, at a
 *     batch's first window.
 *
 * From the trainer's view both are the same thing: a window says which streams restart before it is run, and the
 * trainer restarts them from the model's start state (zero for a model without one, and for every stream model).
 * Between restarts the state is carried from window to window.
 * Dimension legend: B streams (lines per batch), T window length, Tb a window's own length (<= T).
 */
import type { Ids } from './vocab.js';
import type { EvalLayout } from './val-subset.js';
import { Batches, splitIds } from './batches.js';
import { LineBatches, splitLineIndices, type LineSet } from './lines.js';

/** What `fill` reports about the window it wrote. */
export interface WindowFill {
  /** Tb: time steps of this window (x, y hold Tb·B ids) */
  T: number;
  /** predictions in this window (B·Tb unless padded) */
  count: number;
  /** true: `keep[0..count)` lists the rows (t·B + b) that are predictions (the others are padding) */
  masked: boolean;
  /** how many streams restart before this window (`restart[b]` = 1 for each; B: the whole batch) */
  restarts: number;
}

/** The windows a validation pass reads (defined in data/val-subset.ts). */
export type { EvalLayout };

export interface WindowSource {
  /** streams (lines per batch) */
  readonly B: number;
  /** the longest window */
  readonly T: number;
  /** windows in the first epoch (`windowsIn` is exact for every epoch) */
  readonly numWindows: number;
  /** windows in the given epoch (line mode: lines longer than T − 1 make it vary a little) */
  windowsIn(epoch: number): number;
  /** the most predictions a window can have (B·T in stream mode) */
  readonly maxWindowSize: number;
  /**
   * Writes window w of `epoch` into x, y ((Tb, B) time-major), the predicted rows into keep when masked, and
   * restart[b] = 1 for each stream that restarts before it (else 0). `offsets` (B): stream b reads its window
   * w + offsets[b] (a validation subset; stream mode only). x, y, keep: at least B·T elements; restart: B.
   */
  readWindow(x: Int32Array, y: Int32Array, keep: Int32Array, restart: Uint8Array, epoch: number, w: number, offsets?: Int32Array): WindowFill;
  /** The windows a validation pass over this source reads: `windows` per stream at places seeded by `seed`
   *  (0, or `full`: all of them). Line mode reads every line. */
  evalLayout(windows: number, seed: number, full: boolean): EvalLayout;
}

/** A training corpus: its ids (stream mode), or its lines (line mode). */
export type TrainData = Ids | LineSet;

export const isLineSet = (d: TrainData): d is LineSet => (d as LineSet).starts !== undefined;

/** The ids of the corpus (line mode: the text the lines are spans of). */
export const idsOf = (d: TrainData): Ids => (isLineSet(d) ? d.ids : d);

/**
 * The training and validation sources of a corpus: its end (stream mode) or a seeded shuffle's last lines (line
 * mode) held out, `valFrac` of it (0: no validation source), laid out in windows of `seq` over `batch` streams.
 * docStarts (stream mode): sorted positions in the ids where a new document (file) begins, after the first.
 */
export function windowSources(
  data: TrainData,
  o: { batch: number; seq: number; valFrac: number; seed: number },
  docStarts: readonly number[] = [],
): { train: WindowSource; val: WindowSource | null } {
  const { batch: B, seq: T } = o;
  if (isLineSet(data)) {
    const split = splitLineIndices(data.starts.length, o.valFrac, o.seed);
    const train = new LineBatches(data, split.train, B, T, { shuffle: true, seed: o.seed, what: 'training' });
    if (!split.val) return { train, val: null };
    if (split.val.length === 0) throw new Error(`the validation split has no lines (give a longer list or a larger validation fraction, or 0 for none)`);
    return { train, val: new LineBatches(data, split.val, B, T, { shuffle: false, seed: 0, what: 'validation' }) };
  }
  const split = splitIds(data, o.valFrac);
  const ntrain = split.train.length;
  const train = new Batches(split.train, B, T, 'training', docStarts.filter((p) => p > 0 && p < ntrain));
  if (!split.val) return { train, val: null };
  try {
    const valStarts = docStarts.filter((p) => p > ntrain).map((p) => p - ntrain);
    return { train, val: new Batches(split.val, B, T, 'validation', valStarts) };
  } catch (e) {
    throw new Error(`${(e as Error).message.replace(/\)$/, '')}; or give a larger validation fraction, or 0 for none)`);
  }
}
