/**
 * `charnn eval --windows N` (nanoGPT's estimate_loss protocol): random windows, each from the zero state, every
 * position counted. The oracle: each window evaluated alone, as a text of its own (evaluateText on its n + 1
 * characters: one stream from the zero state), at the same seeded places; the figure is their mean.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { Vocab } from '../src/data/vocab.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { evaluate } from '../src/index.js';
import { evaluateText, evaluateWindows } from '../src/train/evaluate.js';
import { ROOT, runCli, smallText, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');

describe('evaluateWindows', () => {
  const text = 'the quick brown fox jumps over the lazy dog, and runs away home.\n'.repeat(4);
  const vocab = Vocab.fromText(text);
  const ids = vocab.encode(text);
  const model = new CharRNN(createJsKernels('float64'), { cell: 'gru', layers: 2, hidden: 8, vocabSize: vocab.size, dropout: 0 });
  model.init(new Rng(3));

  fcTest.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 9 }), fc.nat()], { numRuns: 25 })(
    'is the mean of each window evaluated alone from the zero state, whatever the batch',
    (n, count, B, seed) => {
      const got = evaluateWindows(model, ids, n, count, seed, B);
      const rng = new Rng(seed);
      let sum = 0;
      for (let i = 0; i < count; i++) {
        const start = rng.int(ids.length - n);
        sum += evaluateText(model, ids.slice(start, start + n + 1), 1, n).loss;
      }
      expect(got.chars).toBe(count * n);
      expect(got.loss).toBeCloseTo(sum / count, 10);
    },
  );

  it('refuses a text shorter than a window', () => {
    expect(() => evaluateWindows(model, ids.slice(0, 10), 10, 1, 1)).toThrow(/fewer than a window of 10/);
  });
});

describe('charnn eval --windows', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir({ 'text.txt': smallText(60).replace(/[^a-z \n]/g, ' ') })));
  afterAll(() => cleanup());

  it("names the protocol, is repeatable by seed, and equals the library's figure", async () => {
    const args = ['eval', BUNDLED, 'text.txt', '--windows', '32', '--count', '40', '--json'];
    const a = await runCli([...args, '--seed', '5'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    expect(r.protocol).toBe('windows');
    expect(r.windows).toEqual({ length: 32, count: 40, seed: 5 });
    expect(r.chars).toBe(32 * 40);
    expect(r.how).toMatch(/40 random windows of 32 characters \(seed 5\), each from the zero state, every position counted/);
    const again = JSON.parse((await runCli([...args, '--seed', '5'], { cwd: dir })).stdout);
    expect(again.nats).toBe(r.nats);
    const other = JSON.parse((await runCli([...args, '--seed', '6'], { cwd: dir })).stdout);
    expect(other.nats).not.toBe(r.nats);
    const lib = await evaluate(BUNDLED, 'text.txt', { windows: 32, count: 40, seed: 5, cwd: dir });
    expect(lib.nats).toBe(r.nats);
    expect(lib.protocol).toBe('windows');
    // the stream protocol says its name too
    const stream = JSON.parse((await runCli(['eval', BUNDLED, 'text.txt', '--json'], { cwd: dir })).stdout);
    expect(stream.protocol).toBe('stream');
    // nanoGPT's own sizes (12,800 windows of 256) take minutes on 2 cores: a few windows say how they differ
    const line = (await runCli(['eval', BUNDLED, 'text.txt', '--windows', '256', '--count', '3'], { cwd: dir })).stdout;
    expect(line).toMatch(/3 random windows of 256 characters \(seed 1337\).*nanoGPT's estimate_loss protocol with other sizes \(it reads 12,800 windows of 256\)\)\n$/);
  }, 120_000);

  it('refuses --count or --seed without --windows, and --windows with --batch', async () => {
    for (const [extra, msg] of [
      [['--count', '5'], '--count is for --windows'],
      [['--seed', '5'], '--seed is for --windows'],
      [['--windows', '16', '--batch', '4'], '--windows with --batch'],
    ] as const) {
      const r = await runCli(['eval', BUNDLED, 'text.txt', ...extra], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(msg);
    }
  });
});
