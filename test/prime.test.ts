import { describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import { describeDropped, preparePrime, startIds } from '../src/sample/prime.js';

describe('preparePrime', () => {
  const lf = Vocab.fromText('ab\n');
  const crlf = Vocab.fromText('ab\r\n');
  it('drops a leading BOM only', () => {
    expect(preparePrime('\uFEFFab', lf).text).toBe('ab');
    expect(() => preparePrime('a\uFEFFb', lf)).toThrow(/never saw: "\uFEFF" \(U\+FEFF\)/);
  });
  it('turns CRLF into LF only when the model has no \\r', () => {
    expect(preparePrime('a\r\nb', lf).text).toBe('a\nb');
    expect(preparePrime('a\r\nb', crlf).text).toBe('a\r\nb');
    expect(() => preparePrime('a\rb', lf)).toThrow(/never saw: "\\r" \(U\+000D\)/);
  });
  it('skipUnknown drops and counts, in order of first appearance', () => {
    const p = preparePrime('xaéxbé€x', lf, true);
    expect(p.text).toBe('ab');
    expect([...p.dropped]).toEqual([['x', 3], ['é', 2], ['€', 1]]);
    expect(describeDropped(p.dropped)).toBe('"x" (U+0078) x3, "é" (U+00E9) x2, "€" (U+20AC) x1');
  });
  it('no prime starts after a line break when the vocabulary has one', () => {
    expect(startIds([], lf)).toEqual([lf.idOf('\n')]);
    expect(startIds([], Vocab.fromText('ab'))).toEqual([]);
    expect(startIds([1, 0], lf)).toEqual([1, 0]);
  });
});
