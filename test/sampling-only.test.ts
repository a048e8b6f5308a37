/**
 * Sampling-only checkpoints (the bundled model's format) through the real binary: a checkpoint without optimizer
 * state samples, evaluates and reports like any other, and `train --resume` refuses it with one clear line.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { loadCheckpoint, writeFileAtomic } from '../src/checkpoint/io.js';
import { isSamplingOnly, samplingOnly } from '../src/checkpoint/sampling-only.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

describe('sampling-only checkpoints', () => {
  let dir: string;
  let cleanup: () => void;
  const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--backend', 'js'];
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '20', '--eval-every', '10', '--out', 'run', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    const full = loadCheckpoint(join(dir, 'run', 'best.json'));
    writeFileAtomic(join(dir, 'small.json'), checkpointToText(samplingOnly(full)));
  });
  afterAll(() => cleanup());

  it('drop the optimizer moments, carried state and RNG, and keep weights, vocabulary and progress', () => {
    const full = loadCheckpoint(join(dir, 'run', 'best.json'));
    const small = loadCheckpoint(join(dir, 'small.json'));
    expect(isSamplingOnly(full)).toBe(false);
    expect(isSamplingOnly(small)).toBe(true);
    expect(small.optimizer).toBeNull();
    expect(small.state).toBeNull();
    expect(small.tensors.map((t) => [t.name, Array.from(t.data)])).toEqual(full.tensors.map((t) => [t.name, Array.from(t.data)]));
    expect(small.vocab).toEqual(full.vocab);
    expect(small.progress).toEqual(full.progress);
    expect(statSync(join(dir, 'small.json')).size).toBeLessThan(statSync(join(dir, 'run', 'best.json')).size / 2);
  });

  it('sample, info and eval use them as any other checkpoint', async () => {
    const [a, b] = await Promise.all([
      runCli(['sample', 'small.json', '--length', '60', '--seed', '3'], { cwd: dir }),
      runCli(['sample', join('run', 'best.json'), '--length', '60', '--seed', '3'], { cwd: dir }),
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const info = await runCli(['info', 'small.json'], { cwd: dir });
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/training\s+step 20/);
    const [e1, e2] = await Promise.all([
      runCli(['eval', 'small.json', 'corpus.txt'], { cwd: dir }),
      runCli(['eval', join('run', 'best.json'), 'corpus.txt'], { cwd: dir }),
    ]);
    expect(e1.code).toBe(0);
    expect(e1.stdout).toBe(e2.stdout);
  });

  it('train --resume refuses them with one clear line and writes nothing', async () => {
    const r = await runCli(['train', 'corpus.txt', '--resume', 'small.json', '--steps', '2', '--out', 'resumed'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^charnn: cannot resume: small\.json is a sampling-only checkpoint: it has no optimizer state or carried hidden state to continue from \(sample or evaluate it; to train, start a new run without --resume\)/);
    expect(existsSync(join(dir, 'resumed'))).toBe(false);
  });
});
