/**
 * The thread-count sweep on the real binary: random small model configurations (cell, 1 to 3 layers, hidden 1 to
 * 200, batch 1 to 64, seq 1 to 100, dropout or not) train 2 steps on the wasm backend with 1, 2 and 3 threads;
 * every run must succeed and give the same weights, optimizer moments, carried state and progress to the bit.
 * This is where the split of each call across threads meets the shapes a model really produces.
 *
 * npm test draws a few configurations (fixed seed); CHARNN_SWEEP_RUNS=N draws N (e.g. 200 for the long run),
 * CHARNN_SWEEP_SEED another seed. Also: a kernel that fails mid-run gives one line naming the model and the
 * work-around, and leaves the checkpoints already written untouched.
 */
import { fc } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, smallText, tempDir } from './helpers/cli.js';

const RUNS = Number(process.env.CHARNN_SWEEP_RUNS) || 6;
const SEED = Number(process.env.CHARNN_SWEEP_SEED) || 20261201;
const THREADS = [1, 2, 3];

interface Config {
  cell: string;
  layers: number;
  hidden: number;
  batch: number;
  seq: number;
  dropout: number;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  cell: fc.constantFrom('rnn', 'lstm', 'gru'),
  layers: fc.integer({ min: 1, max: 3 }),
  hidden: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(5, 7, 8, 12, 16, 17, 20, 24, 31, 32, 33, 40, 48, 64, 100, 127)),
  batch: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, 3, 32, 50, 64)),
  seq: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(1, 25, 64, 100)),
  dropout: fc.constantFrom(0, 0, 0.2),
});

let root: string;
let cleanup: () => void;
beforeAll(() => {
  // 90% of it must hold a 64 x 100 window and the rest one more for validation
  ({ dir: root, cleanup } = tempDir({ 'corpus.txt': smallText(3000) }));
});
afterAll(() => cleanup());

/** What must not depend on the thread count: everything the run computed (not its timing). */
function computed(path: string): unknown {
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { progress: Record<string, unknown> };
  const { elapsedMs: _t, ...progress } = c.progress;
  return { tensors: c.tensors, optimizer: c.optimizer, state: c.state, rng: c.rng, progress };
}

const args = (c: Config) => ['--cell', c.cell, '--layers', `${c.layers}`, '--hidden', `${c.hidden}`, '--batch', `${c.batch}`, '--seq', `${c.seq}`, '--dropout', `${c.dropout}`];

describe('thread sweep: 2 training steps on 1, 2 and 3 threads give identical checkpoints', () => {
  const configs = fc.sample(configArb, { numRuns: RUNS, seed: SEED });
  configs.forEach((c, i) => {
    const label = `${c.cell} ${c.layers}x${c.hidden}, batch ${c.batch} x seq ${c.seq}, dropout ${c.dropout}`;
    it(label, async () => {
      const results: unknown[] = [];
      for (const t of THREADS) {
        const out = join(root, `run${i}-t${t}`);
        const r = await runCli(['train', 'corpus.txt', '--steps', '2', '--eval-every', '0', '--backend', 'wasm', '--threads', `${t}`, '--out', out, '-q', ...args(c)], {
          cwd: root,
          env: cleanEnv(),
          timeoutMs: 120_000,
        });
        expect(r.stderr, `${label}, ${t} threads`).toBe('');
        expect(r.code, `${label}, ${t} threads`).toBe(0);
        results.push(computed(join(out, 'latest.json')));
      }
      for (let t = 1; t < THREADS.length; t++) expect(results[t], `${label}: ${THREADS[t]} threads vs 1`).toEqual(results[0]);
    }, 240_000);
  });
});

describe('a kernel that fails mid-run', () => {
  it('says which model and step, names --threads 1, and leaves the saved checkpoints as they were', async () => {
    const out = join(root, 'fault');
    const base = ['train', 'corpus.txt', '--cell', 'gru', '--layers', '1', '--hidden', '16', '--batch', '8', '--seq', '16', '--backend', 'wasm', '--threads', '2', '--out', out];
    const first = await runCli([...base, '--steps', '6', '--eval-every', '3', '--save-every', '3'], { cwd: root });
    expect(first.code).toBe(0);
    const before = { latest: readFileSync(join(out, 'latest.json')), best: readFileSync(join(out, 'best.json')) };
    // mmTN runs several times a step: its 10th call is a few steps into the resumed run, after nothing was saved
    const r = await runCli([...base, '--resume', join(out, 'latest.json'), '--steps', '20', '--eval-every', '0', '--save-every', '0'], {
      cwd: root,
      env: cleanEnv({ CHARNN_FAULT_KERNEL: 'mmTN:10' }),
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    const last = lines[lines.length - 1];
    expect(last).toMatch(/^charnn: training stopped at step \d+: wasm kernel mmTN \(call 10\) failed on 2 threads: .*\(model gru 1x16, batch 8 x seq 16\)/);
    expect(last).toMatch(/the checkpoint you resumed from is unchanged; retry with --threads 1, and please report it\)$/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    expect(readFileSync(join(out, 'latest.json')).equals(before.latest)).toBe(true);
    expect(readFileSync(join(out, 'best.json')).equals(before.best)).toBe(true);
  });
});
