/**
 * The dropout variants through the real binary: recorded in the checkpoint (the model config only when not the
 * default, so a default run's checkpoint is as before), on the training: line, locked on resume, exact resume
 * with both on, bad values refused in one line, and export / sampling of such a model (training-only options:
 * nothing to export).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--backend', 'js'];
const VARIANTS = ['--dropout', '0.1', '--dropout-mode', 'variational', '--weight-drop', '0.3'];
const text = 'The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!\n'.repeat(40);
const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': text }));
});
afterAll(() => cleanup());

describe('dropout variants through the CLI', () => {
  for (const cell of ['lstm', 'gru', 'rnn']) {
    it(`${cell}: N steps, then --resume for M more, equals N+M steps bit for bit`, async () => {
      // a constant rate: a resume given --steps decays a cosine anew over them (a new plan)
      const args = ['train', 'corpus.txt', '--cell', cell, ...TINY, ...VARIANTS, '--eval-every', '7', '--seed', '3', '--lr-schedule', 'constant', '-q'];
      const [one, first] = await Promise.all([
        runCli([...args, '--steps', '20', '--out', `${cell}-one`], { cwd: dir }),
        runCli([...args, '--steps', '9', '--out', `${cell}-two`], { cwd: dir }),
      ]);
      expect([one.code, one.stderr, first.code]).toEqual([0, '', 0]);
      const second = await runCli(['train', 'corpus.txt', '--resume', `${cell}-two/latest.json`, '--steps', '11', '-q'], { cwd: dir });
      expect([second.code, second.stderr]).toEqual([0, '']);
      const a = loadCheckpoint(join(dir, `${cell}-one`, 'latest.json'));
      const b = loadCheckpoint(join(dir, `${cell}-two`, 'latest.json'));
      expect(b.progress.step).toBe(20);
      expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
      expect(bits(b.state!)).toBe(bits(a.state!));
      expect(b.rng).toEqual(a.rng);
      expect(b.model).toEqual(a.model);
      expect(a.model).toMatchObject({ cell, dropout: 0.1, dropoutMode: 'variational', weightDrop: 0.3 });
      expect(a.config).toMatchObject({ dropoutMode: 'variational', weightDrop: 0.3 });
    }, 120_000);
  }

  it('the masks matter: the same run without weight drop, or with element masks, ends elsewhere', async () => {
    const base = ['train', 'corpus.txt', '--cell', 'gru', ...TINY, '--dropout', '0.1', '--seed', '3', '--steps', '5', '-q'];
    await Promise.all([
      runCli([...base, '--out', 'm-element'], { cwd: dir }),
      runCli([...base, '--dropout-mode', 'variational', '--out', 'm-variational'], { cwd: dir }),
      runCli([...base, '--weight-drop', '0.3', '--out', 'm-wd'], { cwd: dir }),
    ]);
    const w = (name: string) => loadCheckpoint(join(dir, name, 'latest.json')).tensors.map(bits).join();
    expect(new Set([w('m-element'), w('m-variational'), w('m-wd')]).size).toBe(3);
    // a default run's model config has no new fields: its checkpoint reads as before the variants
    const plain = loadCheckpoint(join(dir, 'm-element', 'latest.json'));
    expect(Object.keys(plain.model).sort()).toEqual(['cell', 'dropout', 'hidden', 'layers', 'vocabSize']);
    expect(plain.config).toMatchObject({ dropoutMode: 'element', weightDrop: 0 });
  }, 120_000);

  it('says the variants on the training: line, and only when not the default', async () => {
    const on = await runCli(['train', 'corpus.txt', ...TINY, ...VARIANTS, '--steps', '1', '--out', 'line-on'], { cwd: dir });
    expect(on.code).toBe(0);
    expect(on.stderr).toMatch(/^training: gru 2x12, variational dropout 0\.1, weight drop 0\.3, [\d,]+ parameters/m);
    const off = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '1', '--out', 'line-off'], { cwd: dir });
    expect(off.stderr).toMatch(/^training: gru 2x12, [\d,]+ parameters/m);
    const resumed = await runCli(['train', 'corpus.txt', '--resume', 'line-on/latest.json', '--steps', '1'], { cwd: dir });
    expect(resumed.stderr).toMatch(/^resuming .* at step 1: gru 2x12, variational dropout 0\.1, weight drop 0\.3, /m);
  }, 120_000);

  it('a resumed run keeps them: another value is refused in one line; a checkpoint without them (older) is element, 0', async () => {
    await runCli(['train', 'corpus.txt', ...TINY, '--steps', '2', '-q', '--out', 'old'], { cwd: dir });
    for (const [flag, value, was] of [['--weight-drop', '0.2', '0'], ['--dropout-mode', 'variational', 'element']]) {
      const r = await runCli(['train', 'corpus.txt', '--resume', 'old/latest.json', flag, value, '--steps', '1'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`charnn: cannot resume: ${flag} ${value} differs from the checkpoint's ${was} (a resumed run keeps its model and data layout; drop the option, or start a new run)\n`);
    }
    const same = await runCli(['train', 'corpus.txt', '--resume', 'old/latest.json', '--weight-drop', '0', '--dropout-mode', 'element', '--steps', '1', '-q'], { cwd: dir });
    expect([same.code, same.stderr]).toEqual([0, '']);
  }, 120_000);

  it('refuses bad values in one line', async () => {
    for (const [args, why] of [
      [['--dropout-mode', 'locked'], /--dropout-mode.*must be one of element, variational/],
      [['--weight-drop', '1'], /--weight-drop.*must be in \[0, 1\)/],
      [['--weight-drop', '-0.1'], /--weight-drop.*must be in \[0, 1\)/],
    ] as const) {
      const r = await runCli(['train', 'corpus.txt', ...TINY, ...args, '--steps', '1'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
  });

  it('exports (safetensors, onnx) and samples a model trained with them: they are training-only', async () => {
    await runCli(['train', 'corpus.txt', ...TINY, ...VARIANTS, '--steps', '3', '-q', '--out', 'exp'], { cwd: dir });
    const ckpt = join('exp', 'latest.json');
    for (const fmt of ['safetensors', 'onnx']) {
      const r = await runCli(['export', ckpt, '--format', fmt, '-o', `m.${fmt}`], { cwd: dir });
      expect([r.code, r.stdout]).toEqual([0, `m.${fmt}\n`]);
      expect(readFileSync(join(dir, `m.${fmt}`)).length).toBeGreaterThan(1000);
    }
    const im = await runCli(['import', 'm.safetensors', '-o', 'back.json'], { cwd: dir });
    expect([im.code, im.stdout]).toEqual([0, 'back.json\n']);
    expect(loadCheckpoint(join(dir, 'back.json')).tensors.map(bits)).toEqual(loadCheckpoint(join(dir, ckpt)).tensors.map(bits));
    const s = await runCli(['sample', ckpt, '--seed', '1', '--length', '40'], { cwd: dir });
    expect([s.code, [...s.stdout].length]).toEqual([0, 40]);
  });
});
