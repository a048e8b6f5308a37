/**
 * The prime: the text a sample starts from, as `charnn sample` and the library both prepare it (pure core).
 *
 * - A leading byte-order mark (U+FEFF) is dropped: it is an encoding mark, not text (the corpus reader drops it too).
 * - Windows line ends (CRLF) become LF when the model has no '\r' (a model trained on LF text would refuse them).
 * - Characters the model never saw are an error naming them, or, with `skipUnknown`, dropped and counted so the
 *   caller can say which were dropped and how often.
 * - With no prime at all the model starts as after a line break, the most neutral context a text has (fed, not
 *   printed), so a prime-less sample begins like a paragraph.
 */
import { describeCodePoint, type Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';

export interface Prime {
  /** ids fed to the model, in order */
  ids: number[];
  /** the prime as printed (the characters kept) */
  text: string;
  /** characters dropped by skipUnknown, with how many times each, in order of first appearance */
  dropped: Map<string, number>;
}

/** The hint of an unseen-character error, as the command line words it (other front ends pass their own). */
export const SKIP_UNKNOWN_HINT = 'remove them, or pass --skip-unknown to drop them';

/** The prime text normalised for this vocabulary (BOM, CRLF) and encoded. */
export function preparePrime(raw: string, vocab: Vocab, skipUnknown = false, hint = SKIP_UNKNOWN_HINT): Prime {
  let text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  if (vocab.idOf('\r') < 0) text = text.replace(/\r\n/g, '\n');
  const { ids, dropped } = encodePrime(text, vocab, skipUnknown, hint);
  return { ids, text: vocab.decode(ids), dropped };
}

/** Ids of the characters of `text`, or an error naming the characters the model never saw (with `skipUnknown`
 *  they are dropped and counted instead). */
export function encodePrime(text: string, vocab: Vocab, skipUnknown = false, hint = SKIP_UNKNOWN_HINT): { ids: number[]; dropped: Map<string, number> } {
  const ids: number[] = [];
  const dropped = new Map<string, number>();
  for (const ch of text) {
    const id = vocab.idOf(ch);
    if (id < 0) dropped.set(ch, (dropped.get(ch) ?? 0) + 1);
    else ids.push(id);
  }
  if (dropped.size && !skipUnknown) {
    const list = [...dropped.keys()].map((c) => describeCodePoint(c.codePointAt(0)!)).join(', ');
    throw new CharnnError(
      `the prime has ${dropped.size} character${dropped.size > 1 ? 's' : ''} the model never saw: ${list}`,
      hint,
    );
  }
  return { ids, dropped };
}

/** '"é" (U+00E9) x2, "ß" (U+00DF) x1' */
export function describeDropped(dropped: Map<string, number>): string {
  return [...dropped].map(([ch, n]) => `${describeCodePoint(ch.codePointAt(0)!)} x${n}`).join(', ');
}

/** What the model is fed before the first draw: the prime, else a line break when the vocabulary has one. */
export function startIds(prime: readonly number[], vocab: Vocab): number[] {
  if (prime.length) return [...prime];
  const nl = vocab.idOf('\n');
  return nl >= 0 ? [nl] : [];
}
