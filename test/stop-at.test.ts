/**
 * StopAt, the stop strings of `--stop-at` (repeatable), POST /v1/sample's stopAt and OpenAI's stop: where in a
 * chunk the first occurrence of any of them ends, across chunk boundaries and the prime's tail, never counting one
 * wholly inside the prime.
 */
import { describe, expect, it } from 'vitest';
import { StopAt } from '../src/commands/sample/plan.js';

/** Where the text made of `chunks` after `prime` is cut: the characters kept, or null when no stop is reached. */
function cut(stops: string[], prime: string, chunks: string[]): string | null {
  const s = new StopAt(stops, prime);
  let out = '';
  for (const c of chunks) {
    const end = s.find(c);
    if (end >= 0) return out + c.slice(0, end);
    out += c;
  }
  return null;
}

describe('StopAt', () => {
  it('one stop string: cut after its first occurrence, as before', () => {
    expect(cut(['ab'], '', ['xxa', 'bxxab'])).toBe('xxab');
    expect(cut(['\n\n'], 'A:', ['one\n', '\ntwo'])).toBe('one\n\n');
    expect(cut(['z'], '', ['abc', 'def'])).toBeNull();
  });
  it('several: the earliest end wins, whichever string it is', () => {
    expect(cut(['love', 'lo'], '', ['the lov', 'e'])).toBe('the lo');
    expect(cut(['cd', 'abcdef'], '', ['abcdef'])).toBe('abcd');
    expect(cut(['x', 'yy'], '', ['ay', 'yx'])).toBe('ayy');
  });
  it('an occurrence may begin in the prime, but one wholly inside it does not count', () => {
    expect(cut(['ab'], 'xa', ['bc'])).toBe('b');
    // the kept tail of the prime is 3 characters (the longest stop's length - 1): 'b' inside it is not a stop
    expect(cut(['b', 'long'], 'xxb', ['aab'])).toBe('aab');
    expect(cut(['b', 'long'], 'xxlo', ['ng'])).toBe('ng');
  });
});
