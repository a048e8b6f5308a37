/**
 * Banned strings (`sample --ban`): a character is forbidden when emitting it would complete a banned string, that
 * is, when the text so far ends with the string minus its last character. Forbidding exactly those characters
 * means the generated text never contains a banned string (one inside the prime is the user's own), and nothing
 * else is forbidden. Pure core, no allocation per call.
 */
import { CharnnError } from '../errors.js';

export class Bans {
  /** the longest banned string minus one: how much history the check needs */
  readonly memory: number;

  /** @param seqs banned strings as id sequences (empty ones are ignored) */
  constructor(private readonly seqs: readonly (readonly number[])[]) {
    this.memory = Math.max(0, ...seqs.map((s) => s.length - 1));
  }

  get size(): number {
    return this.seqs.length;
  }

  /**
   * Set mask[id] = 1 for every id forbidden next; `back(k)` is the k-th last id of the text so far (k = 1: the
   * last), `n` how many ids there are. Returns how many ids were marked (with repeats).
   */
  mark(mask: Uint8Array, back: (k: number) => number, n: number): number {
    let marked = 0;
    for (const s of this.seqs) {
      const m = s.length;
      if (m === 0 || m - 1 > n) continue;
      let match = true;
      for (let k = 1; k < m && match; k++) match = back(k) === s[m - 1 - k];
      if (match) {
        mask[s[m - 1]] = 1;
        marked++;
      }
    }
    return marked;
  }
}

/** The error when every character is forbidden at some point. */
export function allBanned(): CharnnError {
  return new CharnnError('every character the model knows is banned at this point of the text', 'ban fewer or longer strings');
}
