/**
 * The one interface of the trainer's window sources (stream and line batches: window-source.ts says how each
 * fills it). Types only, so the sources and the factory that builds them (window-source.ts) import it without a
 * cycle.
 */
import type { EvalLayout } from './val-subset.js';

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
