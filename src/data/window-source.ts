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
import { Batches, splitIds } from './batches.js';
import { LineBatches, splitLineIndices, type LineSet } from './lines.js';

import type { WindowSource } from './window.js';

export type { EvalLayout, WindowFill, WindowSource } from './window.js';

/** A training corpus: its ids (stream mode), or its lines (line mode). */
export type TrainData = Ids | LineSet;

const isLineSet = (d: TrainData): d is LineSet => (d as LineSet).starts !== undefined;

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
