import { describe, expect, it } from 'vitest';
import { newlinesToLf, nfcBytes, prepareBytes, prepareText, preparationOf, UNKNOWN_CHAR } from '../src/data/prepare.js';
import { encodeUtf8, Vocab } from '../src/data/vocab.js';
import { Rng } from '../src/math/rng.js';

const u8 = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** Drawn texts from a small alphabet rich in CR, LF, combining marks and composed letters. */
function drawText(rng: Rng, n: number): string {
  const alphabet = ['a', 'e', '\r', '\n', '\r\n', '\u0301', '\u00e9', 'e\u0301', '\u4e2d', '\u{1F600}', ' ', '\u0958', '\u1e0b\u0323'];
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

describe('corpus preparation', () => {
  it('newlinesToLf, nfcBytes and prepareText agree with the string oracle on drawn texts (pieces cut after LF)', () => {
    const rng = new Rng(4);
    for (let c = 0; c < 200; c++) {
      const s = drawText(rng, rng.int(400));
      expect(str(newlinesToLf(u8(s)))).toBe(s.replace(/\r\n?/g, '\n'));
      expect(str(nfcBytes(u8(s)))).toBe(s.normalize('NFC'));
      const p = { newline: 'lf' as const, nfc: true, minCharCount: 1 };
      expect(str(prepareBytes(u8(s), p))).toBe(prepareText(s, p));
      expect(prepareText(s, p)).toBe(s.replace(/\r\n?/g, '\n').normalize('NFC'));
    }
  });

  it('nfcBytes on a text of several pieces (over 1 MB) equals the whole-string normalisation', () => {
    const line = 'cafe\u0301 \u1e0b\u0323 \u0958 plain words to fill the line\n';
    const s = line.repeat(Math.ceil((1.5 * (1 << 20)) / line.length));
    expect(str(nfcBytes(u8(s)))).toBe(s.normalize('NFC'));
  });

  it('an older checkpoint (no preparation recorded) reads as none', () => {
    expect(preparationOf(undefined)).toEqual({ newline: 'keep', nfc: false, minCharCount: 1 });
    expect(preparationOf({ newline: 'lf', nfc: true, minCharCount: 4 })).toEqual({ newline: 'lf', nfc: true, minCharCount: 4 });
  });
});

describe('encodeUtf8 with several parts and a minimum count', () => {
  it('parts encode as their concatenation, each part a document start, a BOM stripped from each', () => {
    const parts = ['hello\n', '\ufeffworld\n', 'again'];
    const r = encodeUtf8(parts.map(u8));
    const whole = encodeUtf8(u8('hello\nworld\nagain'));
    expect(Array.from(r.ids)).toEqual(Array.from(whole.ids));
    expect(r.docStarts).toEqual([6, 12]);
  });

  it('characters seen fewer than minCount times map to the unknown symbol (naive twin on drawn texts)', () => {
    const rng = new Rng(8);
    for (let c = 0; c < 50; c++) {
      const text = drawText(rng, 1 + rng.int(300));
      const min = 1 + rng.int(6);
      const r = encodeUtf8(u8(text), undefined, { minCount: min, unknownChar: UNKNOWN_CHAR });
      const counts = new Map<string, number>();
      for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
      const kept = [...counts].filter(([, n]) => n >= min).map(([ch]) => ch);
      const rare = [...counts].some(([, n]) => n < min);
      const want = Vocab.fromText(kept.join('') + (rare ? UNKNOWN_CHAR : ''));
      expect(r.vocab.chars).toEqual(want.chars);
      const ids = [...text].map((ch) => want.idOf(counts.get(ch)! >= min ? ch : UNKNOWN_CHAR));
      expect(Array.from(r.ids)).toEqual(ids);
      expect(r.unknown).toBe([...text].filter((ch) => counts.get(ch)! < min).length);
    }
  });

  it('with a given vocabulary that has the unknown symbol, unseen characters map to it; without, they are refused', () => {
    const v = Vocab.fromText('ab' + UNKNOWN_CHAR);
    const r = encodeUtf8(u8('abz'), v, { unknownChar: UNKNOWN_CHAR });
    expect(Array.from(r.ids)).toEqual([0, 1, 2]);
    expect(() => encodeUtf8(u8('abz'), Vocab.fromText('ab'))).toThrow(/not in the vocabulary/);
  });

  it('an error in a later part names it', () => {
    expect(() => encodeUtf8([u8('fine'), new Uint8Array([0x61, 0xff])], undefined, { names: ['a.txt', 'b.txt'] })).toThrow(/byte offset 1 of b\.txt/);
  });
});
