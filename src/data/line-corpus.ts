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

/**
 * Several files (already prepared) as one list: end to end, a line break added after a file that does not end
 * with one (so its last line and the next file's first stay two lines), a later file's byte-order mark dropped
 * (encodeUtf8 strips only the first's).
 */
export function joinLineParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const bom = (b: Uint8Array) => (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0);
  const pieces: Uint8Array[] = [];
  parts.forEach((p, i) => {
    const body = i > 0 ? p.subarray(bom(p)) : p;
    if (body.length === 0) return;
    pieces.push(body);
    if (body[body.length - 1] !== 10) pieces.push(Uint8Array.of(10));
  });
  const out = new Uint8Array(pieces.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of pieces) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
