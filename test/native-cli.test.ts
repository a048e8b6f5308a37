/**
 * The native backend on the command line: the default where it loads (train names it and its instruction set),
 * CHARNN_NATIVE_ISA forcing each instruction set, the fallback to wasm with one line saying why when the addon
 * cannot load, and checkpoints moving between native and wasm in both directions.
 * The fallback is provoked with node-gyp-build's CHARNN_PREBUILD (where it looks for the addon instead of the
 * package): pointed at an empty folder, nothing loads.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { cleanEnv, runCli, smallText, tempDir } from './helpers/cli.js';
import { nativeIsas, nativeMissing } from './helpers/backends.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--eval-every', '0', '--threads', '2', '--seed', '3'];

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
  mkdirSync(join(dir, 'empty'));
});
afterAll(() => cleanup());

const maxDiff = (a: string, b: string): number => {
  const x = loadCheckpoint(join(dir, a, 'latest.json')).tensors, y = loadCheckpoint(join(dir, b, 'latest.json')).tensors;
  let d = 0;
  x.forEach((t, i) => t.data.forEach((v, j) => (d = Math.max(d, Math.abs(v - y[i].data[j])))));
  return d;
};

describe('without the addon', () => {
  it('train runs on wasm and says once why; an explicit --backend native is an error', async () => {
    const env = cleanEnv({ CHARNN_PREBUILD: join(dir, 'empty') });
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '2', '--out', 'fallback'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => /native/.test(l));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^charnn: warning: running on the wasm backend: the native one did not load \(No native build was found/);
    expect(r.stderr).toMatch(/wasm backend \(/);
    const e = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '2', '--backend', 'native', '--out', 'no'], { cwd: dir, env });
    expect(e.code).not.toBe(0);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/cannot start the native backend: the native addon is not available/);
  });
});

describe.skipIf(nativeMissing !== null)(`native backend on the command line${nativeMissing ? ` (skipped: ${nativeMissing})` : ''}`, () => {
  it('is the default: train names it with its instruction set and threads', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '2', '--out', 'default'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`native backend (${nativeIsas()[0]}, 2 threads)`);
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('CHARNN_NATIVE_ISA runs each instruction set (the same model to float32 rounding); an unknown one is an error', async () => {
    const runs = await Promise.all(
      nativeIsas().map((isa) =>
        runCli(['train', 'corpus.txt', ...TINY, '--steps', '4', '--out', `isa-${isa}`], { cwd: dir, env: cleanEnv({ CHARNN_NATIVE_ISA: isa }) }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`native backend (${nativeIsas()[i]}, 2 threads)`);
    });
    for (const isa of nativeIsas().slice(1)) expect(maxDiff(`isa-${nativeIsas()[0]}`, `isa-${isa}`)).toBeLessThan(1e-4);
    const bad = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'bad'], { cwd: dir, env: cleanEnv({ CHARNN_NATIVE_ISA: 'mmx' }) });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/cannot start the native backend: unknown instruction set "mmx"/);
  });

  it('a checkpoint trained on native resumes on wasm, and one trained on wasm resumes on native', async () => {
    const train = (out: string, backend: string, steps: number, resume?: string) =>
      // a constant rate: a resume given --steps decays a cosine anew over them (a new plan)
      runCli(['train', 'corpus.txt', ...TINY, '--lr-schedule', 'constant', '--steps', String(steps), '--backend', backend, '--out', out, ...(resume ? ['--resume', join(resume, 'latest.json')] : [])], { cwd: dir });
    const [n3, w3, n6, w6] = await Promise.all([train('n3', 'native', 3), train('w3', 'wasm', 3), train('n6', 'native', 6), train('w6', 'wasm', 6)]);
    [n3, w3, n6, w6].forEach((r) => expect(r.code).toBe(0));
    const [nw, wn] = await Promise.all([train('n3w', 'wasm', 3, 'n3'), train('w3n', 'native', 3, 'w3')]);
    expect(nw.code).toBe(0);
    expect(wn.code).toBe(0);
    expect(nw.stderr).toMatch(/wasm backend/);
    expect(wn.stderr).toMatch(/native backend/);
    expect(loadCheckpoint(join(dir, 'n3w', 'latest.json')).progress.step).toBe(6);
    expect(loadCheckpoint(join(dir, 'w3n', 'latest.json')).progress.step).toBe(6);
    // the same run as six steps on either backend, to float32 rounding (the two backends round differently)
    expect(maxDiff('n3w', 'n6')).toBeLessThan(1e-4);
    expect(maxDiff('w3n', 'w6')).toBeLessThan(1e-4);
    expect(maxDiff('n3', 'n6')).toBeGreaterThan(1e-4); // the last three steps did change the weights
  });
});
