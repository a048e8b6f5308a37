/**
 * Line-mode corpora (train --lines, sample --novel, eval): the corpus bytes -> vocabulary (always with
 * the end token '\n', even for a one-line list) -> ids -> lines; and the set of the corpus's lines as strings, for
 * --novel. No I/O: the commands read the files.
 */
import { encodeUtf8, Vocab, type Ids } from './vocab.js';
import { splitLines, type LineSet } from './lines.js';

/** The end-of-line token: the line break itself, so a sampled line prints as a line. */
export const END = '\n';

export interface LineCorpus {
  vocab: Vocab;
  ids: Ids;
  lines: LineSet;
  /** lines longer than seq − 1 characters (trained in several windows, state carried inside the line) */
  long: number;
  /** the longest line, in characters */
  maxLen: number;
}

/** Encodes a list (with `vocab` when resuming) and splits it into lines; throws on a list with no lines. */
export function encodeLines(bytes: Uint8Array, seq: number, vocab?: Vocab): LineCorpus {
  let enc = encodeUtf8(bytes, vocab);
  if (!enc.vocab.has(END)) {
    // a one-line list has no line break: the end token must still be a symbol
    if (vocab) throw new Error(`the checkpoint's vocabulary has no line break, so it was not trained with --lines`);
    enc = encodeUtf8(bytes, Vocab.fromCodePoints([...enc.vocab.codePoints, 10].sort((a, b) => a - b)));
  }
  const v = enc.vocab;
  const lines = splitLines(enc.ids, v.idOf(END), v.idOf('\r'));
  if (lines.starts.length === 0) throw new Error('the list has no lines with text (every line is empty)');
  let long = 0, maxLen = 0;
  for (const n of lines.lengths) {
    if (n > seq - 1) long++;
    if (n > maxLen) maxLen = n;
  }
  return { vocab: v, ids: enc.ids, lines, long, maxLen };
}

/** The corpus's lines as strings (for --novel). */
export function lineStrings(c: LineCorpus): Set<string> {
  const out = new Set<string>();
  const { starts, lengths } = c.lines;
  for (let i = 0; i < starts.length; i++) out.add(c.vocab.decode(c.ids.subarray(starts[i], starts[i] + lengths[i])));
  return out;
}
