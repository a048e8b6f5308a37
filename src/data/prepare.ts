/**
 * Corpus preparation: what happens to the text before it becomes ids, recorded in the checkpoint so that
 * `sample` and `eval` treat primes and texts the same way.
 *   newline 'lf'   CRLF and lone CR become LF (a Windows file and a Unix one give the same vocabulary)
 *   nfc            Unicode normalisation form C (an "é" typed as e + U+0301 and a precomposed one are one symbol)
 *   minCharCount   characters seen fewer than this many times map to one unknown symbol, U+FFFD, so the long
 *                  tail of a CJK corpus does not swell the vocabulary (1: off; applied in vocab.ts `encodeUtf8`)
 * Bytes in, bytes out (no JS string of a whole corpus): the newline rule works on the bytes in place; NFC decodes
 * and normalises one piece of about 1 MB at a time, cut after a newline (a starter no normalisation crosses).
 */
export type NewlineMode = 'keep' | 'lf';
export const NEWLINE_MODES: readonly NewlineMode[] = ['keep', 'lf'];

export interface Preparation {
  newline: NewlineMode;
  nfc: boolean;
  minCharCount: number;
}

/** The symbol rare characters map to. */
export const UNKNOWN_CHAR = '\uFFFD';

/** The preparation recorded in a checkpoint (absent in older ones: none). */
export function preparationOf(recorded: Partial<Preparation> | undefined | null): Preparation {
  return {
    newline: recorded?.newline === 'lf' ? 'lf' : 'keep',
    nfc: recorded?.nfc === true,
    minCharCount: typeof recorded?.minCharCount === 'number' && recorded.minCharCount >= 1 ? recorded.minCharCount : 1,
  };
}

export function isPrepared(p: Preparation): boolean {
  return p.newline !== 'keep' || p.nfc || p.minCharCount > 1;
}

/** CRLF and lone CR -> LF, in place; returns the shortened view. */
export function newlinesToLf(bytes: Uint8Array): Uint8Array {
  let w = 0;
  const n = bytes.length;
  for (let r = 0; r < n; r++) {
    const b = bytes[r];
    if (b === 0x0d) {
      bytes[w++] = 0x0a;
      if (r + 1 < n && bytes[r + 1] === 0x0a) r++;
    } else bytes[w++] = b;
  }
  return bytes.subarray(0, w);
}

const PIECE = 1 << 20;

/** NFC of UTF-8 bytes, a piece at a time (pieces end after a LF, or at the end). Invalid UTF-8 is left for the
 *  encoder to report: a piece that does not decode cleanly is passed through unchanged. */
export function nfcBytes(bytes: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  let total = 0;
  const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const enc = new TextEncoder();
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(bytes.length, start + PIECE);
    while (end < bytes.length && bytes[end - 1] !== 0x0a) end++;
    const piece = bytes.subarray(start, end);
    let done: Uint8Array = piece;
    try {
      const s = dec.decode(piece);
      const n = s.normalize('NFC');
      if (n !== s) done = enc.encode(n);
    } catch {
      /* not valid UTF-8: encodeUtf8 will say where */
    }
    out.push(done);
    total += done.length;
    start = end;
  }
  if (out.length === 1) return out[0];
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of out) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

/** Applies the byte-level steps (newline, NFC) of a preparation; may modify `bytes` in place. */
export function prepareBytes(bytes: Uint8Array, p: Preparation): Uint8Array {
  let b = bytes;
  if (p.newline === 'lf') b = newlinesToLf(b);
  if (p.nfc) b = nfcBytes(b);
  return b;
}

/** The same steps on a short string (a prime). */
export function prepareText(text: string, p: Preparation): string {
  let s = text;
  if (p.newline === 'lf') s = s.replace(/\r\n?/g, '\n');
  if (p.nfc) s = s.normalize('NFC');
  return s;
}
