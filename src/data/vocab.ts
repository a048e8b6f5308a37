/**
 * The vocabulary: the distinct Unicode code points of a corpus, sorted by code point (as Python's
 * `sorted(set(text))`), so ids agree with the PyTorch reference. A symbol is a whole code point, never a UTF-16
 * half: an emoji is one symbol, a combining mark is its own symbol (as in Python).
 *
 * Two ways in:
 * - `Vocab.fromText(string)` / `vocab.encode(string)` for small texts (prime strings, tests);
 * - `encodeUtf8(bytes)` for corpora: builds the vocabulary and the id array straight from the UTF-8 bytes in
 *   two passes with a hand-written decoder (pass 1 validates, marks a seen-table of code points and counts them;
 *   pass 2 writes ids). No JS string of the corpus and no per-character objects are made, so a 100 MB corpus
 *   costs its bytes plus 2 bytes per character of ids (4 past 65,536 symbols) plus a 1.1 MB seen-table.
 *
 * Decisions on bad input (bytes path):
 * - Invalid UTF-8 (stray continuation bytes, truncated or overlong sequences, surrogates, > U+10FFFF) is refused,
 *   not replaced: a silently corrupted vocabulary would end up in checkpoints. The Error gives how many bytes are
 *   invalid and the byte offset of the first, with the hint to convert the file (e.g. with iconv).
 * - A NUL byte means the data looks binary (or UTF-16): refused.
 * - A leading UTF-8 byte-order mark (EF BB BF) is stripped; it is not text.
 */

/** Token ids: Uint16Array while the vocabulary has at most 65,536 symbols, Uint32Array past that. */
export type Ids = Uint16Array | Uint32Array;

/** Largest Unicode code point. */
const MAX_CODE_POINT = 0x10ffff;

/** 'x' (U+0078) with control characters escaped, for error messages. */
export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return `${JSON.stringify(String.fromCodePoint(cp))} (U+${hex})`;
}

function allocIds(size: number, n: number): Ids {
  return size <= 65536 ? new Uint16Array(n) : new Uint32Array(n);
}

export class Vocab {
  /** V: number of symbols. */
  readonly size: number;
  /** The symbols in id order, each one code point as a string. */
  readonly chars: readonly string[];
  /** (V) code point of each id. */
  readonly codePoints: Uint32Array;
  /** code point -> id + 1 (0: absent); sized to the largest code point + 1. Read-only for callers. */
  readonly lookup: Int32Array;

  private constructor(codePoints: Uint32Array) {
    this.codePoints = codePoints;
    this.size = codePoints.length;
    this.chars = Array.from(codePoints, (cp) => String.fromCodePoint(cp));
    let max = -1;
    for (const cp of codePoints) if (cp > max) max = cp;
    this.lookup = new Int32Array(max + 1);
    codePoints.forEach((cp, id) => {
      if (this.lookup[cp] !== 0) throw new Error(`vocabulary has ${describeCodePoint(cp)} twice`);
      this.lookup[cp] = id + 1;
    });
  }

  /** The sorted distinct code points of `text`. */
  static fromText(text: string): Vocab {
    const seen = new Set<number>();
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      seen.add(cp);
    }
    return new Vocab(Uint32Array.from(seen).sort());
  }

  /** A vocabulary in the given id order (e.g. from a checkpoint); each entry must be exactly one code point. */
  static fromChars(chars: readonly string[]): Vocab {
    const cps = new Uint32Array(chars.length);
    chars.forEach((ch, id) => {
      const cp = ch.codePointAt(0);
      if (cp === undefined || ch.length !== (cp > 0xffff ? 2 : 1)) {
        throw new Error(`vocabulary entry ${id} (${JSON.stringify(ch)}) is not exactly one Unicode code point`);
      }
      cps[id] = cp;
    });
    return new Vocab(cps);
  }

  /** A vocabulary from code points in id order. */
  static fromCodePoints(codePoints: ArrayLike<number>): Vocab {
    const cps = Uint32Array.from(codePoints as ArrayLike<number>);
    for (const cp of cps) if (cp > MAX_CODE_POINT) throw new Error(`not a Unicode code point: ${cp}`);
    return new Vocab(cps);
  }

  /** Id of a code point, or -1. */
  idOfCodePoint(cp: number): number {
    return cp < this.lookup.length ? this.lookup[cp] - 1 : -1;
  }

  /** Id of a one-code-point string, or -1. */
  idOf(ch: string): number {
    const cp = ch.codePointAt(0);
    if (cp === undefined || ch.length !== (cp > 0xffff ? 2 : 1)) return -1;
    return this.idOfCodePoint(cp);
  }

  has(ch: string): boolean {
    return this.idOf(ch) >= 0;
  }

  /** Code points of `text` -> ids. Throws on a symbol the vocabulary lacks, naming it and its position. */
  encode(text: string): Ids {
    let n = 0;
    for (let i = 0; i < text.length; i++, n++) if (text.codePointAt(i)! > 0xffff) i++;
    const ids = allocIds(this.size, n);
    for (let i = 0, k = 0; i < text.length; i++, k++) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      const id = this.idOfCodePoint(cp);
      if (id < 0) {
        throw new Error(`character ${describeCodePoint(cp)} at position ${k} is not in the vocabulary`);
      }
      ids[k] = id;
    }
    return ids;
  }

  /** Ids -> text. Throws on an id outside [0, V). */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    const parts: string[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (!(id >= 0 && id < this.size && Number.isInteger(id))) {
        throw new Error(`id ${id} at position ${k} is outside the vocabulary (size ${this.size})`);
      }
      out += this.chars[id];
      // flush now and then so very long decodes do not build a deep rope
      if (out.length >= 65536) {
        parts.push(out);
        out = '';
      }
    }
    parts.push(out);
    return parts.join('');
  }

  /** Fresh id array of the right width for this vocabulary. */
  allocIds(n: number): Ids {
    return allocIds(this.size, n);
  }
}

// ---- the UTF-8 bytes path ------------------------------------------------------------------------------------

/** Result of `encodeUtf8`: the vocabulary and the ids of every code point of the corpus. */
export interface EncodedCorpus {
  vocab: Vocab;
  /** (N) one id per code point */
  ids: Ids;
  /** where each part after the first begins in ids (several parts: documents, e.g. files) */
  docStarts: number[];
  /** characters mapped to the unknown symbol (minCount, or `unknown` with a given vocabulary) */
  unknown: number;
}

export interface EncodeOptions {
  /** build the vocabulary from characters seen at least this often; the rarer ones map to `unknownChar`
   *  (default 1: every character) */
  minCount?: number;
  /** the unknown symbol (U+FFFD); with a given vocabulary that has it, characters it lacks map to it */
  unknownChar?: string;
  /** names of the parts, for error messages */
  names?: readonly string[];
  /** called now and then with bytes processed so far (both passes: 2 x total) and that total */
  onProgress?(done: number, total: number): void;
}

/**
 * Decodes one UTF-8 sequence starting at bytes[i] (i < end). Returns the code point, or -1 if the bytes at i do
 * not start a valid sequence (the caller then counts one invalid byte and moves on by one). The length of a
 * valid sequence is recomputed by the caller from the code point (`utf8Len`).
 * Rules (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
 */
function decodeAt(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return b0;
  if (b0 < 0xc2) return -1; // continuation byte or overlong 2-byte lead
  if (b0 < 0xe0) {
    if (i + 1 >= end) return -1;
    const b1 = bytes[i + 1];
    if ((b1 & 0xc0) !== 0x80) return -1;
    return ((b0 & 0x1f) << 6) | (b1 & 0x3f);
  }
  if (b0 < 0xf0) {
    if (i + 2 >= end) return -1;
    const b1 = bytes[i + 1], b2 = bytes[i + 2];
    if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) return -1;
    const cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return -1; // overlong or surrogate
    return cp;
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return -1;
    const b1 = bytes[i + 1], b2 = bytes[i + 2], b3 = bytes[i + 3];
    if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) return -1;
    const cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
    if (cp < 0x10000 || cp > MAX_CODE_POINT) return -1;
    return cp;
  }
  return -1;
}

const utf8Len = (cp: number): number => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/** Offset where the text starts: 3 past a leading UTF-8 byte-order mark, else 0. */
function textStart(bytes: Uint8Array): number {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Corpus bytes -> vocabulary + ids, without building a string. Throws on invalid UTF-8, NUL bytes (binary) and
 * empty text. `vocab` given: encode with it instead (e.g. a checkpoint's), throwing on a symbol it lacks (or
 * mapping it to `unknownChar` when the vocabulary has that). Several parts (files) are one corpus: one vocabulary,
 * ids end to end, each part's start in `docStarts`, a byte-order mark stripped from each.
 */
export function encodeUtf8(input: Uint8Array | readonly Uint8Array[], vocab?: Vocab, o: EncodeOptions = {}): EncodedCorpus {
  const parts = input instanceof Uint8Array ? [input] : input;
  const minCount = o.minCount ?? 1;
  const where = (p: number) => (parts.length > 1 || o.names ? ` of ${o.names?.[p] ?? `part ${p + 1}`}` : '');
  const totalBytes = parts.reduce((s, b) => s + b.length, 0);
  let doneBytes = 0;
  const STRIDE = 1 << 24;

  // pass 1: validate, count code points, count each one's uses
  const seen = vocab ? null : new Uint32Array(MAX_CODE_POINT + 1);
  let count = 0;
  for (let p = 0; p < parts.length; p++) {
    const bytes = parts[p];
    const end = bytes.length;
    let invalid = 0;
    let firstInvalid = -1;
    let firstNul = -1;
    let report = STRIDE;
    for (let i = textStart(bytes); i < end; ) {
      if (i >= report && o.onProgress) {
        o.onProgress(doneBytes + i, 2 * totalBytes);
        report += STRIDE;
      }
      const b = bytes[i];
      if (b < 0x80) {
        // ASCII fast path
        if (b === 0 && firstNul < 0) firstNul = i;
        if (seen) seen[b]++;
        count++;
        i++;
        continue;
      }
      const cp = decodeAt(bytes, i, end);
      if (cp < 0) {
        if (firstInvalid < 0) firstInvalid = i;
        invalid++;
        i++;
        continue;
      }
      if (seen) seen[cp]++;
      count++;
      i += utf8Len(cp);
    }
    doneBytes += end;
    if (firstNul >= 0) {
      throw new Error(
        `the corpus looks binary: it has a NUL byte at byte offset ${firstNul}${where(p)} ` +
          `(a text corpus is needed; if it is UTF-16 text, convert it with iconv -f UTF-16 -t UTF-8)`,
      );
    }
    if (invalid > 0) {
      throw new Error(
        `the corpus is not valid UTF-8: ${invalid} invalid byte${invalid === 1 ? '' : 's'}, the first at byte offset ` +
          `${firstInvalid}${where(p)} (convert it to UTF-8, e.g. iconv -f LATIN1 -t UTF-8 in.txt > out.txt)`,
      );
    }
  }
  if (count === 0) throw new Error('the corpus is empty (it has no characters)');

  const unk = o.unknownChar !== undefined ? o.unknownChar.codePointAt(0)! : -1;
  let v = vocab;
  if (!v) {
    // characters below minCount are left out; the unknown symbol stands for them (if there are any)
    let rare = 0;
    for (let cp = 0; cp <= MAX_CODE_POINT; cp++) if (seen![cp] > 0 && seen![cp] < minCount) rare += seen![cp];
    if (rare > 0) {
      if (unk < 0) throw new Error('minCount needs an unknown symbol (unknownChar)');
      seen![unk] = Math.max(seen![unk], minCount);
    }
    let size = 0;
    for (let cp = 0; cp <= MAX_CODE_POINT; cp++) if (seen![cp] >= minCount && seen![cp] > 0) size++;
    const cps = new Uint32Array(size);
    for (let cp = 0, k = 0; cp <= MAX_CODE_POINT; cp++) if (seen![cp] >= minCount && seen![cp] > 0) cps[k++] = cp;
    v = Vocab.fromCodePoints(cps);
  }

  // pass 2: ids (the bytes are known valid now)
  const ids = v.allocIds(count);
  const lut = v.lookup;
  const unkId = unk >= 0 && unk < lut.length ? lut[unk] - 1 : -1;
  const docStarts: number[] = [];
  let unknown = 0;
  let k = 0;
  for (let p = 0; p < parts.length; p++) {
    const bytes = parts[p];
    const end = bytes.length;
    if (p > 0) docStarts.push(k);
    let report = STRIDE;
    for (let i = textStart(bytes); i < end; k++) {
      if (i >= report && o.onProgress) {
        o.onProgress(doneBytes + i, 2 * totalBytes);
        report += STRIDE;
      }
      const b = bytes[i];
      const cp = b < 0x80 ? b : decodeAt(bytes, i, end);
      let id = cp < lut.length ? lut[cp] - 1 : -1;
      if (id < 0) {
        if (unkId < 0) throw new Error(`character ${describeCodePoint(cp)} at position ${k} is not in the vocabulary`);
        id = unkId;
        unknown++;
      }
      ids[k] = id;
      i += b < 0x80 ? 1 : utf8Len(cp);
    }
    doneBytes += end;
  }
  o.onProgress?.(2 * totalBytes, 2 * totalBytes);
  return { vocab: v, ids, docStarts, unknown };
}
