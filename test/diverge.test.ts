/**
 * Divergence without losing the run (real binary): a learning rate far too high makes the loss explode; the run
 * rolls back to its last saved state (here its start), cuts the learning rate by --diverge-factor, says so on
 * stderr and in the checkpoint (config.divergences), and finishes; --on-diverge stop keeps the old behaviour;
 * past --diverge-retries it stops, saying the rollbacks did not help.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '16', '--layers', '1', '--batch', '8', '--seq', '16', '--backend', 'js', '--no-color'];

describe('train: divergence recovery (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
  });
  afterAll(() => cleanup());

  it('--lr 5 explodes; the run rolls back, cuts the rate, records it, and finishes with a good loss', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--lr', '5', '--steps', '60', '--eval-every', '20', '--out', 'run'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('diverged'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^diverged at step \d+: the loss \d+\.\d+ exceeds 3 times the first loss \d+\.\d+; rolled back to step 0, learning rate 5 -> 2\.5 \(rollback 1 of 3; --on-diverge stop to stop instead\)$/);
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    expect(c.progress.step).toBe(60);
    const d = c.config.divergences as Array<{ step: number; rolledBackTo: number; lrFrom: number; lrTo: number }>;
    expect(d.length).toBe(lines.length);
    d.forEach((x, i) => {
      expect(x.lrTo).toBeCloseTo(x.lrFrom * 0.5, 12);
      if (i > 0) expect(x.lrFrom).toBe(d[i - 1].lrTo);
    });
    expect(c.config.lr).toBeCloseTo(5 * 0.5 ** d.length, 12); // a resume continues at the cut rate
    // the loss curve has no point from the abandoned steps: it counts up to 60 once
    const steps = c.progress.lossHistory.map((p) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(c.progress.bestValLoss!).toBeLessThan(Math.log(c.vocab.length)); // it learnt something after all
  });

  it('mid-run: back to the last save; diverging again before the next save goes one save further back', async () => {
    // warm-up to lr 5 over 40 steps: the first saves are healthy, the damage comes later
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--lr', '5', '--warmup', '40', '--steps', '80', '--save-every', '5', '--eval-every', '0', '--out', 'mid'], { cwd: dir });
    expect(r.code).toBe(0);
    const back = [...r.stderr.matchAll(/^diverged at step (\d+): .*; rolled back to step (\d+), learning rate ([\d.]+) -> ([\d.]+) /gm)].map((m) => m.slice(1).map(Number));
    expect(back.length).toBeGreaterThanOrEqual(2);
    const [[failed, to], [failed2, to2]] = back;
    expect(to).toBeGreaterThan(0); // a saved state, not the start
    expect(to % 5).toBe(0);
    expect(failed).toBeGreaterThan(to);
    expect(failed2).toBe(failed); // the saved state was already damaged: its next step explodes at any rate
    expect(to2).toBeLessThan(to); // so the second rollback goes to an older one
    expect(back[0].slice(2)).toEqual([5, 2.5]);
    expect(back[1][2]).toBe(2.5);
    expect(loadCheckpoint(join(dir, 'mid', 'latest.json')).progress.step).toBe(80);
  });

  it('--on-diverge stop stops at the first explosion, as before, writing nothing', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--lr', '5', '--steps', '60', '--on-diverge', 'stop', '--out', 'stopped'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/rolled back/);
    expect(r.stderr).toMatch(/charnn: training stopped at step \d+: the loss .* exceeds 3 times the first loss .* \(no checkpoint was written\)\n$/);
    expect(existsSync(join(dir, 'stopped'))).toBe(false);
  });

  it('past --diverge-retries it stops and says the rollbacks did not help', async () => {
    const r = await runCli(
      ['train', 'corpus.txt', ...TINY, '--lr', '1000', '--clip', '0', '--steps', '60', '--diverge-retries', '2', '--diverge-factor', '0.9', '--out', 'hopeless'],
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(r.stderr.match(/^diverged at/gm)).toHaveLength(2);
    expect(r.stderr).toMatch(/; 2 rollbacks did not help \(no checkpoint was written\)\n$/);
  });
});
