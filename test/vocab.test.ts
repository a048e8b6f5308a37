import { describe, expect, it } from 'vitest';
import { Vocab, encodeUtf8 } from '../src/data/vocab.js';

const enc = (s: string) => new TextEncoder().encode(s);
const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

const tricky =
  'Hello, wörld!\r\n' +
  '😀👍🏽 emoji with a skin-tone modifier and 𝄞 (U+1D11E)\r\n' +
  '漢字かな交じり文\n' +
  'e\u0301 (e + combining acute) and \u00e9 (precomposed)\n' +
  'Zero-width joiner family: 👨\u200d👩\u200d👧\n';

describe('Vocab from text', () => {
  it('is the sorted distinct code points, never UTF-16 halves', () => {
    const v = Vocab.fromText(tricky);
    const expected = [...new Set(cps(tricky))].sort((a, b) => a - b);
    expect(Array.from(v.codePoints)).toEqual(expected);
    expect(v.size).toBe(expected.length);
    expect(v.chars).toEqual(expected.map((c) => String.fromCodePoint(c)));
    // no lone surrogate ended up as a symbol
    for (const ch of v.chars) expect(ch.codePointAt(0)! < 0xd800 || ch.codePointAt(0)! > 0xdfff).toBe(true);
    expect(v.has('😀')).toBe(true);
    expect(v.has('\u0301')).toBe(true);
    expect(v.has('\r')).toBe(true);
  });

  it('round-trips emoji, CJK, combining marks and CRLF exactly', () => {
    const v = Vocab.fromText(tricky);
    const ids = v.encode(tricky);
    expect(ids.length).toBe(cps(tricky).length);
    expect(ids).toBeInstanceOf(Uint16Array);
    expect(v.decode(ids)).toBe(tricky);
  });

  it('orders like Python sorted(set(text)) (by code point)', () => {
    const v = Vocab.fromText('ba\nAé😀z');
    expect(v.chars).toEqual(['\n', 'A', 'a', 'b', 'z', 'é', '😀']);
    expect(Array.from(v.encode('zA😀'))).toEqual([4, 1, 6]);
  });

  it('throws naming the missing character (text and U+XXXX) and its code-point position', () => {
    const v = Vocab.fromText('abc');
    expect(() => v.encode('ab😀c\n')).toThrow(/"😀" \(U\+1F600\) at position 2 is not in the vocabulary/);
    // positions count code points: the emoji before the newline is one position, not two
    expect(() => Vocab.fromText('a😀').encode('a😀\n')).toThrow(/"\\n" \(U\+000A\) at position 2 /);
  });

  it('fromChars keeps the given id order and rejects bad entries', () => {
    const v = Vocab.fromChars(['z', 'a', '😀']);
    expect(Array.from(v.encode('a😀z'))).toEqual([1, 2, 0]);
    expect(() => Vocab.fromChars(['ab'])).toThrow(/not exactly one Unicode code point/);
    expect(() => Vocab.fromChars([''])).toThrow(/not exactly one/);
    expect(() => Vocab.fromChars(['a', 'a'])).toThrow(/twice/);
  });

  it('decode rejects ids outside the vocabulary', () => {
    const v = Vocab.fromText('ab');
    expect(() => v.decode([0, 2])).toThrow(/id 2 at position 1 is outside the vocabulary/);
  });

  it('uses Uint32Array ids past 65,536 symbols', () => {
    const many = Array.from({ length: 66000 }, (_, i) => 0x10000 + i);
    const v = Vocab.fromCodePoints(many);
    expect(v.size).toBe(66000);
    const ids = v.encode(String.fromCodePoint(0x10000 + 65999, 0x10000));
    expect(ids).toBeInstanceOf(Uint32Array);
    expect(Array.from(ids)).toEqual([65999, 0]);
  });
});

describe('encodeUtf8 (the bytes path)', () => {
  it('gives the same vocabulary and ids as the string path', () => {
    const { vocab, ids } = encodeUtf8(enc(tricky));
    const v = Vocab.fromText(tricky);
    expect(vocab.chars).toEqual(v.chars);
    expect(Array.from(ids)).toEqual(Array.from(v.encode(tricky)));
    expect(vocab.decode(ids)).toBe(tricky);
  });

  it('decodes every UTF-8 length, including the boundaries', () => {
    const edge = [0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff];
    const text = String.fromCodePoint(...edge);
    const { vocab, ids } = encodeUtf8(enc(text));
    expect(Array.from(vocab.codePoints)).toEqual(edge);
    expect(vocab.decode(ids)).toBe(text);
  });

  it('strips a leading BOM only', () => {
    const bom = [0xef, 0xbb, 0xbf];
    const { vocab, ids } = encodeUtf8(new Uint8Array([...bom, ...enc('ab'), ...bom]));
    expect(vocab.decode(ids)).toBe('ab\ufeff');
  });

  it('encodes with a given vocabulary and names a missing character', () => {
    const v = Vocab.fromText('abc');
    expect(Array.from(encodeUtf8(enc('cab'), v).ids)).toEqual([2, 0, 1]);
    expect(() => encodeUtf8(enc('ab😀'), v)).toThrow(/"😀" \(U\+1F600\) at position 2/);
  });

  it.each([
    ['a stray continuation byte', [0x61, 0x80, 0x62], 1, 1],
    ['a truncated 3-byte sequence at the end', [0x61, 0x62, 0xe2, 0x82], 2, 2],
    ['an overlong encoding of /', [0xc0, 0xaf], 2, 0],
    ['an encoded surrogate', [0x61, 0xed, 0xa0, 0x80], 3, 1],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 4, 0],
    ['Latin-1 text', [0x63, 0x61, 0x66, 0xe9, 0x20, 0xe0], 2, 3],
  ])('refuses invalid UTF-8: %s', (_what, bytes, count, first) => {
    const e = (() => {
      try {
        encodeUtf8(new Uint8Array(bytes));
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    })();
    expect(e.message).toContain('not valid UTF-8');
    expect(e.message).toContain(`${count} invalid byte${count === 1 ? '' : 's'}`);
    expect(e.message).toContain(`byte offset ${first}`);
    expect(e.message).toContain('iconv');
  });

  it('refuses NUL bytes as binary (e.g. UTF-16 text)', () => {
    const utf16 = new Uint8Array(Buffer.from('hello', 'utf16le'));
    expect(() => encodeUtf8(utf16)).toThrow(/looks binary.*byte offset 1/);
  });

  it('refuses empty text (also a lone BOM)', () => {
    expect(() => encodeUtf8(new Uint8Array(0))).toThrow(/empty/);
    expect(() => encodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf]))).toThrow(/empty/);
  });

  it('matches TextDecoder on a large mixed random text', () => {
    // deterministic pseudo-random code points from every plane in use
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = [...'abcXYZ \n\r\t', 'é', 'ß', '€', '漢', '字', '😀', '𝄞', '\u0301', '\u200d'];
    let text = '';
    for (let i = 0; i < 20000; i++) text += pool[Math.floor(rand() * pool.length)];
    const bytes = enc(text);
    const { vocab, ids } = encodeUtf8(bytes);
    expect(vocab.decode(ids)).toBe(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    expect(vocab.chars).toEqual(Vocab.fromText(text).chars);
  });
});
