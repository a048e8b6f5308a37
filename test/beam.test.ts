/**
 * Decoding: beam search against exhaustive search (a beam as wide as every prefix is exhaustive), K = 1 against
 * temperature 0, its score against `score`'s surprisals; banned strings never emitted (and emitted without the
 * ban, so the check can fail); then the real binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import { createKernels } from '../src/math/backend.js';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Bans } from '../src/sample/ban.js';
import { beamSearch, logSoftmax } from '../src/sample/beam.js';
import { Sampler } from '../src/sample/sampler.js';
import { Scorer } from '../src/sample/score.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

let k: Kernels;
beforeAll(async () => {
  k = await createKernels('naive');
});

function model(seed: number, V: number, cell: 'gru' | 'lstm' | 'rnn' = 'gru'): CharRNN {
  const m = new CharRNN(k, { cell, layers: 2, hidden: 6, vocabSize: V, dropout: 0 });
  m.init(new Rng(seed), 'charrnn');
  for (let i = 0; i < m.numParams; i++) m.params[i] *= 20; // sharper distributions: different paths differ clearly
  return m;
}

/** log p(seq | prime) by stepping the model. */
function logProb(m: CharRNN, prime: number[], seq: number[]): number {
  return -new Scorer(m).surprisals(prime, seq).reduce((a, b) => a + b, 0);
}

/** Every sequence of length n over V ids, or (with end) every sequence that stops at its first end. */
function* sequences(V: number, n: number, end?: number): Generator<number[]> {
  function* rec(prefix: number[]): Generator<number[]> {
    if (prefix.length === n || (end !== undefined && prefix[prefix.length - 1] === end)) {
      yield prefix;
      return;
    }
    for (let v = 0; v < V; v++) yield* rec([...prefix, v]);
  }
  yield* rec([]);
}

describe('beamSearch (core)', () => {
  it('logSoftmax rows sum to 1 in probability', () => {
    const out = new Float64Array(3);
    logSoftmax(out, [1, 2, 1000], 3);
    expect(Math.exp(out[0]) + Math.exp(out[1]) + Math.exp(out[2])).toBeCloseTo(1, 12);
  });

  it('a beam as wide as every prefix finds the exhaustive optimum, also with an end id and length normalisation', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const V = 3, n = 4, prime = [seed % V, 1];
      const m = model(seed, V);
      for (const end of [undefined, 2]) {
        let best: { seq: number[]; mean: number } | null = null;
        for (const seq of sequences(V, n, end)) {
          const mean = logProb(m, prime.slice(0, 1), [prime[1], ...seq]) / (seq.length + 1);
          if (!best || mean > best.mean) best = { seq, mean };
        }
        const r = beamSearch(m, prime, { width: V ** (n - 1), length: n, end });
        expect(r.ids).toEqual(best!.seq);
        expect(r.scored).toBe(r.ids.length + 1); // the prime's second character counts
        expect(r.logProb / r.scored).toBeCloseTo(best!.mean, 9);
      }
    }
  });

  it('K = 1 is temperature 0 (the argmax at every step), with and without a prime', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const V = 7;
      const m = model(seed, V, (['gru', 'lstm', 'rnn'] as const)[seed % 3]);
      const vocab = Vocab.fromChars('abcdefg'.split(''));
      const prime = seed % 2 ? [3] : [1, 4, 2];
      const s = new Sampler(m, vocab, { temperature: 0 });
      s.feed(prime);
      const greedy = Array.from({ length: 40 }, () => s.next());
      expect(beamSearch(m, prime, { width: 1, length: 40 }).ids).toEqual(greedy);
    }
  });

  it("the score is the text's log-probability, prime included (as score computes it)", () => {
    const m = model(9, 5);
    const prime = [0, 3, 1];
    const r = beamSearch(m, prime, { width: 4, length: 25 });
    expect(r.logProb).toBeCloseTo(logProb(m, prime.slice(0, 1), [...prime.slice(1), ...r.ids]), 9);
    expect(r.scored).toBe(2 + 25);
    // wider beams never do worse here than greedy on this model, and K = 4 is deterministic
    expect(beamSearch(m, prime, { width: 4, length: 25 })).toEqual(r);
  });

  it('banned strings never appear in the generated text, by sampling or by beam; without the ban they do', () => {
    const V = 4;
    const chars = 'abcd'.split('');
    const vocab = Vocab.fromChars(chars);
    for (let seed = 1; seed <= 5; seed++) {
      const m = new CharRNN(k, { cell: 'gru', layers: 1, hidden: 5, vocabSize: V, dropout: 0 });
      m.init(new Rng(seed));
      const gen = (ban?: Bans) => {
        const s = new Sampler(m, vocab, { temperature: 1, seed, ban });
        s.feed([0]);
        return [...s.generate(600)].join('');
      };
      const free = gen();
      const banned = ['ab', 'cc', 'dab', 'b'].filter((b) => free.includes(b)).slice(0, 2);
      expect(banned.length).toBeGreaterThan(0);
      const ban = new Bans(banned.map((b) => [...b].map((c) => vocab.idOf(c))));
      const text = 'a' + gen(ban); // the prime's character too: no banned string may end in the generated part
      for (const b of banned) expect(text.includes(b)).toBe(false);
      const beam = beamSearch(m, [0], { width: 3, length: 200, ban });
      const bt = 'a' + vocab.decode(beam.ids);
      for (const b of banned) expect(bt.includes(b)).toBe(false);
    }
  });

  it('banning every character is an error, not a hang', () => {
    const m = model(1, 2);
    const vocab = Vocab.fromChars(['x', 'y']);
    const s = new Sampler(m, vocab, { temperature: 0.5, ban: new Bans([[0], [1]]) });
    s.feed([0]);
    expect(() => s.next()).toThrow(/every character the model knows is banned/);
    expect(() => beamSearch(m, [0], { width: 2, length: 3, ban: new Bans([[0], [1]]) })).toThrow(/banned/);
  });
});

describe('sample --beam and --ban (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
    const r = await runCli(['train', 'corpus.txt', '--hidden', '16', '--layers', '1', '--batch', '8', '--seq', '16', '--backend', 'js', '--steps', '150', '--lr', '0.01', '--out', 'run', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(() => cleanup());
  const sample = (...a: string[]) => runCli(['sample', 'run/latest.json', '--length', '150', ...a], { cwd: dir });

  it('--beam 1 prints exactly what --temp 0 prints; --beam 4 is deterministic and starts with the prime', async () => {
    for (const prime of [[], ['--prime', 'the ']]) {
      const greedy = await sample('--temp', '0', ...prime);
      const b1 = await sample('--beam', '1', ...prime);
      expect(b1.code).toBe(0);
      expect(b1.stdout).toBe(greedy.stdout);
    }
    const a = await sample('--beam', '4', '--prime', 'the ');
    const b = await sample('--beam', '4', '--prime', 'the ', '--seed', '9');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.startsWith('the ')).toBe(true);
    expect([...a.stdout].length).toBe(150);
  });

  it('--ban (repeatable) keeps the strings out of the text, also at temperature 0 where they were', async () => {
    const greedy = (await sample('--temp', '0')).stdout;
    // the two commonest pairs of characters of the greedy text (no line breaks: they would not survive argv)
    const count = new Map<string, number>();
    for (let i = 0; i + 2 <= greedy.length; i++) {
      const p = greedy.slice(i, i + 2);
      if (!p.includes('\n')) count.set(p, (count.get(p) ?? 0) + 1);
    }
    const present = [...count].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([p]) => p);
    expect(present.length).toBe(2);
    for (const mode of [['--temp', '0'], ['--temp', '1', '--seed', '4'], ['--beam', '3']]) {
      const r = await sample(...mode, '--ban', present[0], '--ban', present[1]);
      expect(r.code).toBe(0);
      for (const w of present) expect(r.stdout.includes(w)).toBe(false);
    }
  });

  it('bad combinations are usage errors', async () => {
    const a = await sample('--beam', '2', '--temp', '0.5');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^charnn: invalid options: --beam with --temp \(beam search draws nothing: drop them\)\n$/);
    const b = await sample('--beam', '2', '--forever');
    expect(b.code).toBe(2);
    const c = await sample('--ban', '');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--ban "": must not be empty/);
  });
});
