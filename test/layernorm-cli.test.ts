/**
 * --layer-norm through the real binary: the training line says so; the checkpoint records it (model and config)
 * with the gains and biases as tensors; N steps then --resume for M more equals N+M bit for bit (gru and lstm,
 * dropout on); a resumed run keeps it either way; rnn and the ONNX export refuse it in one line; safetensors
 * export and import round-trip it (same sample).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--dropout', '0.1', '--eval-every', '7', '--seed', '3', '-q'];

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() }));
});
afterAll(() => cleanup());

const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

describe('--layer-norm through the CLI', () => {
  for (const cell of ['gru', 'lstm'] as const) {
    it(`${cell}: recorded in the checkpoint, and N steps then --resume for M more equals N+M bit for bit`, async () => {
      // a constant rate: a resume given --steps decays a cosine anew over them (a new plan)
      const args = ['train', 'corpus.txt', '--cell', cell, '--layer-norm', ...TINY, '--lr-schedule', 'constant'];
      const [one, first] = await Promise.all([
        runCli([...args, '--steps', '20', '--out', `${cell}-one`], { cwd: dir }),
        runCli([...args, '--steps', '9', '--out', `${cell}-two`], { cwd: dir }),
      ]);
      expect([one.code, one.stderr]).toEqual([0, '']);
      expect(first.code).toBe(0);
      const second = await runCli(['train', 'corpus.txt', '--resume', `${cell}-two/latest.json`, '--steps', '11', '-q'], { cwd: dir });
      expect([second.code, second.stderr]).toEqual([0, '']);
      const a = loadCheckpoint(join(dir, `${cell}-one`, 'latest.json'));
      const b = loadCheckpoint(join(dir, `${cell}-two`, 'latest.json'));
      expect(a.model.layerNorm).toBe(true);
      expect(a.config).toMatchObject({ layerNorm: true });
      const ln = a.tensors.filter((t) => t.name.startsWith('rnn.ln_')).map((t) => t.name);
      expect(ln).toContain('rnn.ln_hh_weight_l1');
      expect(ln.length).toBe(cell === 'lstm' ? 12 : 8);
      expect(b.progress.step).toBe(20);
      expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
      for (const slot of ['exp_avg', 'exp_avg_sq']) expect(b.optimizer!.slots[slot].map(bits)).toEqual(a.optimizer!.slots[slot].map(bits));
      expect(bits(b.state!)).toBe(bits(a.state!));
    });
  }

  it('says so on the training line; a model without it has no such tensors; resume keeps the setting', async () => {
    const on = await runCli(['train', 'corpus.txt', '--layer-norm', ...TINY.slice(0, -1), '--steps', '2', '--out', 'on'], { cwd: dir });
    expect(on.code).toBe(0);
    expect(on.stderr).toMatch(/^training: gru 2x12 with layer norm, /m);
    const off = await runCli(['train', 'corpus.txt', ...TINY.slice(0, -1), '--steps', '2', '--out', 'off'], { cwd: dir });
    expect(off.stderr).toMatch(/^training: gru 2x12, /m);
    const plain = loadCheckpoint(join(dir, 'off', 'latest.json'));
    expect(plain.model.layerNorm).toBeUndefined();
    expect(plain.tensors.some((t) => t.name.startsWith('rnn.ln_'))).toBe(false);
    const add = await runCli(['train', 'corpus.txt', '--resume', 'off/latest.json', '--layer-norm', '--steps', '3'], { cwd: dir });
    expect(add.code).toBe(2);
    expect(add.stderr).toMatch(/^charnn: cannot resume: --layer-norm true differs from the checkpoint's false/);
    const more = await runCli(['train', 'corpus.txt', '--resume', 'on/latest.json', '--steps', '3'], { cwd: dir });
    expect(more.stderr).toMatch(/^resuming .* at step 2: gru 2x12 with layer norm, /m);
  });

  it('rnn and the ONNX export refuse it in one line; safetensors export and import keep it', async () => {
    const rnn = await runCli(['train', 'corpus.txt', '--cell', 'rnn', '--layer-norm', '--steps', '1', '--out', 'rnn'], { cwd: dir });
    expect(rnn.code).not.toBe(0);
    expect(rnn.stderr).toMatch(/^charnn: .*layer norm is for the gru and lstm cells, not rnn \(use --cell gru or lstm\)\n$/);
    await runCli(['train', 'corpus.txt', '--cell', 'lstm', '--layer-norm', ...TINY, '--steps', '3', '--out', 'lstm'], { cwd: dir });
    const onnx = await runCli(['export', 'lstm/latest.json', '--format', 'onnx'], { cwd: dir });
    expect(onnx.code).not.toBe(0);
    expect(onnx.stderr).toMatch(/^charnn: cannot export .*: ONNX GRU\/LSTM operators have no layer normalisation \(--layer-norm\): export it as safetensors\n$/);
    const st = await runCli(['export', 'lstm/latest.json', '--format', 'safetensors', '-o', 'ln.safetensors'], { cwd: dir });
    expect(st.code).toBe(0);
    const im = await runCli(['import', 'ln.safetensors', '-o', 'back.json'], { cwd: dir });
    expect(im.code).toBe(0);
    expect(loadCheckpoint(join(dir, 'back.json')).model.layerNorm).toBe(true);
    const a = await runCli(['sample', 'lstm/latest.json', '--seed', '4', '--length', '120'], { cwd: dir });
    const b = await runCli(['sample', 'back.json', '--seed', '4', '--length', '120'], { cwd: dir });
    expect(a.stdout.length).toBeGreaterThan(100);
    expect(b.stdout).toBe(a.stdout);
  });
});
