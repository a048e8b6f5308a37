/**
 * `charnn score`: the core Scorer against the model's own training loss, and the real binary: JSON lines, its
 * figures against `eval` on the same text, a line's total against its per-char surprisals, --sort, bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Scorer, surprisal } from '../src/sample/score.js';
import { runCli, runShell, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--backend', 'js'];

describe('Scorer (core)', () => {
  it('surprisal is −log softmax, also for huge logits', () => {
    const logits = [1, 2, 3, -1];
    const z = logits.reduce((a, l) => a + Math.exp(l), 0);
    for (let t = 0; t < 4; t++) expect(surprisal(logits, 4, t)).toBeCloseTo(-Math.log(Math.exp(logits[t]) / z), 12);
    expect(surprisal([1000, 1000], 2, 0)).toBeCloseTo(Math.LN2, 12);
  });

  it("the mean surprisal of a text equals the model's cross-entropy on it (forward over one window)", async () => {
    const k = await createKernels('naive');
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const m = new CharRNN(k, { cell, layers: 2, hidden: 5, vocabSize: 7, dropout: 0 });
      m.init(new Rng(3));
      const ids = Array.from({ length: 12 }, (_, i) => (i * 5 + 2) % 7);
      const s = new Scorer(m).surprisals(ids.slice(0, 1), ids.slice(1));
      const x = Int32Array.from(ids.slice(0, -1)), y = Int32Array.from(ids.slice(1));
      const loss = m.forward(x, y, 11, 1, m.newState(1), { training: false });
      expect(s.reduce((a, b) => a + b, 0) / 11).toBeCloseTo(loss, 10);
      // a second text from the same Scorer starts from a fresh state
      expect(new Scorer(m).surprisals([ids[0]], ids.slice(1))).toEqual(s);
    }
  });
});

describe('charnn score (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  const text = smallText();
  const probe = 'the lazy dog runs home.\nthe quick brown fox.\nzz yy xx qq\n';
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': text, 'probe.txt': probe }));
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '60', '--out', 'run', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(() => cleanup());
  const records = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

  it('whole text: agrees with eval on the same text (every character after the first, one stream)', async () => {
    const s = await runCli(['score', 'run/latest.json', 'probe.txt', '--by', 'text'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stderr).toBe('');
    const [r] = records(s.stdout);
    expect(r.text).toBe(probe);
    expect(r.characters).toBe([...probe].length - 1);
    // eval's own layout (windows with the state carried) and one window for the whole text
    for (const layout of [[], ['--batch', '1', '--seq', String(r.characters)]]) {
      const e = await runCli(['eval', 'run/latest.json', 'probe.txt', ...layout], { cwd: dir });
      const m = /^(\d+\.\d+) nats\/char, (\d+\.\d+) bits\/char over (\d+) characters/.exec(e.stdout)!;
      expect(Number(m[3])).toBe(r.characters);
      expect(r.nats_per_char).toBeCloseTo(Number(m[1]), 3);
      expect(r.bits_per_char).toBeCloseTo(Number(m[2]), 3);
    }
    expect(r.nats_per_char).toBeCloseTo(r.nats / r.characters, 5);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.nats_per_char), 4);
    // stdin and the default argument read the same text
    const piped = await runCli(['score', 'run/latest.json', '--by', 'text'], { cwd: dir, input: probe });
    expect(records(piped.stdout)).toEqual([r]);
  });

  it("per line: one record per line, each line's nats the sum of its --per-char surprisals, line break included", async () => {
    const s = await runCli(['score', 'run/latest.json', 'probe.txt', '--by', 'line', '--per-char'], { cwd: dir });
    expect(s.code).toBe(0);
    const rs = records(s.stdout);
    expect(rs.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(rs.map((r) => r.text)).toEqual(probe.split('\n').slice(0, 3));
    for (const r of rs) {
      expect(r.per_char.map((c: { char: string }) => c.char).join('')).toBe(r.text + '\n');
      expect(r.characters).toBe(r.per_char.length);
      const sum = r.per_char.reduce((a: number, c: { nats: number }) => a + c.nats, 0);
      expect(Math.abs(sum - r.nats)).toBeLessThan(1e-6 * r.characters);
      for (const c of r.per_char) expect(c.nats).toBeGreaterThan(0);
    }
    // a line scores the same on its own (fresh state per line): equal to a one-line file
    const alone = await runCli(['score', 'run/latest.json', '-', '--by', 'line'], { cwd: dir, input: 'the quick brown fox.' });
    expect(records(alone.stdout)[0].nats).toBe(rs[1].nats);
  });

  it('--sort ranks lines from most to least likely per character; the gibberish line comes last', async () => {
    const plain = records((await runCli(['score', 'run/latest.json', 'probe.txt', '--by', 'line'], { cwd: dir })).stdout);
    const sorted = records((await runCli(['score', 'run/latest.json', 'probe.txt', '--by', 'line', '--sort'], { cwd: dir })).stdout);
    expect([...plain].sort((a, b) => a.nats_per_char - b.nats_per_char)).toEqual(sorted);
    expect(sorted[sorted.length - 1].text).toBe('zz yy xx qq');
  });

  it('unseen characters: one line naming them and where, exit 1, nothing on stdout', async () => {
    const r = await runCli(['score', 'run/latest.json', '-', '--by', 'line'], { cwd: dir, input: 'the dog\nthe ΩЖ dog\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^charnn: cannot score: the text has 2 characters the model never saw: .*U\+03A9.*\(line 2\).*\n$/);
    const bad = await runCli(['score', 'run/latest.json', '-', '--by', 'words'], { cwd: dir, input: 'x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--by "words": must be one of line, text/);
  });

  it('a closed pipe ends quietly, status 0', async () => {
    writeFileSync(join(dir, 'big.txt'), 'the dog runs.\n'.repeat(3000));
    const r = await runShell('set -o pipefail; $CHARNN score run/latest.json big.txt --by line | head -n 2', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });
});
