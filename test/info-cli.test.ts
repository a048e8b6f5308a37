/**
 * Issue 20, item 13 (info's part), through the real binary: info shows the run's plan and what is left of it, the
 * training loss of a run shorter than one loss-curve point, and prints one JSON object with --json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

let dir: string;
let cleanup: () => void;
const TINY = ['--cell', 'gru', '--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--backend', 'js', '-q'];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText(150) }));
  // 12 steps without validation: shorter than one loss-curve point (--history-every 50)
  const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '12', '--val-frac', '0', '--out', 'short'], { cwd: dir, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(() => cleanup());

describe('info', () => {
  it('shows the loss of a run shorter than one loss-curve point (was "not recorded yet")', async () => {
    const c = loadCheckpoint(join(dir, 'short', 'latest.json'));
    expect(c.progress.lossHistory).toEqual([]);
    const mean = c.progress.pending.sum / c.progress.pending.count;
    const r = await runCli(['info', 'short/latest.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/not recorded yet/);
    expect(r.stdout).toMatch(new RegExp(`^loss\\s+train ${mean.toFixed(4)} nats \\(\\d\\.\\d{3} bpc\\) at step 12 \\(mean of its last 12 steps\\)$`, 'm'));
  });

  it("shows the run's plan: reached, or what is left of it", async () => {
    const done = await runCli(['info', 'short/latest.json'], { cwd: dir });
    expect(done.stdout).toMatch(/^plan\s+until step 12: reached$/m);
    // as if it had been stopped early in a 42-step, 90-seconds-longer plan (rewritten through the codec)
    const c = loadCheckpoint(join(dir, 'short', 'latest.json'));
    Object.assign(c.config, { untilStep: 42, untilEpoch: 0, untilMs: c.progress.elapsedMs + 90_000 });
    writeFileSync(join(dir, 'cut.json'), checkpointToText(c));
    const cut = await runCli(['info', 'cut.json'], { cwd: dir });
    expect(cut.stdout).toMatch(/^plan\s+until step 42 or \d+m\d\ds of training, whichever comes first: 30 steps or 1m30s left \(train --resume continues it\)$/m);
    // the same file exported sampling-only (no optimizer moments, no carried state): --resume would refuse it
    const exported = await runCli(['export', 'cut.json', '--format', 'charnn', '-o', 'cut-sampling.json'], { cwd: dir });
    expect(exported.code, exported.stderr).toBe(0);
    const so = await runCli(['info', 'cut-sampling.json'], { cwd: dir });
    expect(so.stdout).toMatch(/^plan\s+until step 42 .*: 30 steps or 1m30s left \(sampling-only: train --init-from starts a new run from its weights\)$/m);
    expect((await runCli(['train', 'corpus.txt', '--resume', 'cut-sampling.json', ...TINY], { cwd: dir })).code).not.toBe(0);
    Object.assign(c.config, { untilStep: 0, untilEpoch: 0, untilMs: 0 });
    writeFileSync(join(dir, 'open.json'), checkpointToText(c));
    expect((await runCli(['info', 'open.json'], { cwd: dir })).stdout).toMatch(/^plan\s+no budget \(until Ctrl-C\)$/m);
  });

  it('--json prints one JSON object: header, sizes, plan, latest losses, no tensor data', async () => {
    const r = await runCli(['info', 'short/latest.json', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const c = loadCheckpoint(join(dir, 'short', 'latest.json'));
    expect(j.checkpoint).toBe('short/latest.json');
    expect(j.formatVersion).toBe(2);
    expect(j.model).toEqual(c.model);
    expect(j.parameters).toBe(3 * 16 * (c.model.vocabSize + 16) + 2 * 3 * 16 + c.model.vocabSize * 16 + c.model.vocabSize);
    expect(j.vocab).toEqual(c.vocab);
    expect(j.plan).toEqual({ untilStep: 12, untilEpoch: 0, untilMs: 0, reached: true, left: { steps: 0 } });
    expect(j.lastTrain).toEqual({ step: 12, nats: c.progress.pending.sum / c.progress.pending.count, meanOfSteps: 12 });
    expect(j.lastVal).toBeNull();
    expect(j.resumable).toBe(true);
    expect(r.stdout).not.toMatch(/"tensors"|"data"/);
  });
});
