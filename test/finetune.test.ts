/**
 * Fine-tuning (`train --init-from`): the weights of a model on a new corpus, a fresh optimizer and run folder;
 * --vocab strict refuses new characters naming them, --vocab extend gives them new rows and leaves every old
 * row bit-identical. The core extendTensors, then the real binary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import type { Tensor } from '../src/checkpoint/schema.js';
import { extendTensors } from '../src/model/extend-vocab.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--backend', 'js'];

describe('extendTensors (core)', () => {
  it('copies every old value to its place; the new columns and rows keep the fresh values', () => {
    const old = [
      { name: 'w_in', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, // (G*H, V): a column per character
      { name: 'dec_w', shape: [3, 2], data: Float32Array.from([7, 8, 9, 10, 11, 12]) }, // (V, H): a row per character
      { name: 'dec_b', shape: [3], data: Float32Array.from([13, 14, 15]) },
      { name: 'w_hh', shape: [2, 2], data: Float32Array.from([16, 17, 18, 19]) },
    ];
    const fresh = [
      { name: 'w_in', shape: [2, 5], data: new Float32Array(10).fill(-1) },
      { name: 'dec_w', shape: [5, 2], data: new Float32Array(10).fill(-2) },
      { name: 'dec_b', shape: [5], data: new Float32Array(5).fill(-3) },
      { name: 'w_hh', shape: [2, 2], data: new Float32Array(4).fill(-4) },
    ];
    const out = extendTensors(old, fresh, 3, 5);
    expect(Array.from(out[0].data)).toEqual([1, 2, 3, -1, -1, 4, 5, 6, -1, -1]);
    expect(Array.from(out[1].data)).toEqual([7, 8, 9, 10, 11, 12, -2, -2, -2, -2]);
    expect(Array.from(out[2].data)).toEqual([13, 14, 15, -3, -3]);
    expect(Array.from(out[3].data)).toEqual([16, 17, 18, 19]);
    expect(fresh[0].data[0]).toBe(-1); // fresh is not modified
    expect(() => extendTensors(old, [{ ...fresh[3], shape: [2, 3], data: new Float32Array(6) }, ...fresh.slice(0, 3)], 3, 5)).toThrow(/w_hh is \[2, 2\]/);
  });
});

describe('charnn train --init-from (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  const text = smallText();
  const newText = smallText(60).replace(/fox/g, 'fÖx').replace(/dog/g, 'DØG'); // Ö, Ø, D, G are new
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir({ 'corpus.txt': text, 'new.txt': newText, 'same.txt': smallText(80) }));
    const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '20', '--out', 'base', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(() => cleanup());

  it('--vocab strict (the default) refuses new characters, naming them, and writes nothing', async () => {
    const r = await runCli(['train', 'new.txt', '--init-from', 'base/latest.json', ...TINY, '--steps', '2', '--out', 'strict'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'charnn: cannot fine-tune: the corpus has 4 characters the model base/latest.json never saw: "D" (U+0044), "G" (U+0047), "Ö" (U+00D6), "Ø" (U+00D8) (add --vocab extend to give them new rows, or remove them from the corpus)\n',
    );
    expect(existsSync(join(dir, 'strict'))).toBe(false);
  });

  it('on a corpus of known characters: the weights, a fresh optimizer and step count, its own folder and corpus', async () => {
    const r = await runCli(['train', 'same.txt', '--init-from', 'base/latest.json', ...TINY, '--steps', '3', '--out', 'ft', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    const base = loadCheckpoint(join(dir, 'base', 'latest.json'));
    const ft = loadCheckpoint(join(dir, 'ft', 'latest.json'));
    expect(ft.progress.step).toBe(3);
    expect(ft.optimizer!.t).toBe(3);
    expect(ft.vocab).toEqual(base.vocab);
    expect(ft.corpus!.source).toBe('same.txt');
    expect(ft.config).toMatchObject({ initFrom: 'base/latest.json', hidden: 12, layers: 2 });
    // the weights moved from the base model's (3 Adam steps), not from a fresh init: they are close to it
    const w = (c: typeof ft) => c.tensors.find((t) => t.name === 'rnn.weight_hh_l1')!.data;
    let diff = 0;
    for (let i = 0; i < w(ft).length; i++) diff = Math.max(diff, Math.abs(w(ft)[i] - w(base)[i]));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.02); // 3 steps of lr 2e-3
    // the shape is the model's
    const bad = await runCli(['train', 'same.txt', '--init-from', 'base/latest.json', '--hidden', '20', '--out', 'x'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot fine-tune: --hidden 20 differs from the model's 12/);
  });

  it('--vocab extend adds the new characters after the old ones; every old row stays bit-identical', async () => {
    // SGD at lr 1e-30: updates far below float32 resolution, so the checkpoint holds the starting weights
    const r = await runCli(
      ['train', 'new.txt', '--init-from', 'base/latest.json', '--vocab', 'extend', ...TINY, '--optimizer', 'sgd', '--lr', '1e-30', '--steps', '1', '--out', 'ext'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/fine-tuning base\/latest\.json: gru 2x12, .* vocabulary \d+ \(4 new\)/);
    const base = loadCheckpoint(join(dir, 'base', 'latest.json'));
    const ext = loadCheckpoint(join(dir, 'ext', 'latest.json'));
    const V = base.vocab.length, V2 = ext.vocab.length;
    expect(V2).toBe(V + 4);
    expect(ext.vocab.slice(0, V)).toEqual(base.vocab);
    expect(ext.vocab.slice(V)).toEqual(['D', 'G', 'Ö', 'Ø']);
    const bits = (x: number) => Buffer.from(Float32Array.of(x).buffer).toString('hex');
    const bound = 1 / Math.sqrt(12); // the pytorch init scheme: uniform in ±1/sqrt(H)
    const byName = (c: typeof ext, n: string): Tensor => c.tensors.find((t) => t.name === n)!;
    for (const t of base.tensors) {
      const e = byName(ext, t.name);
      const vocabDim = t.shape.findIndex((d, i) => d !== e.shape[i]);
      const [rows, cols] = t.shape.length === 2 ? t.shape : [1, t.shape[0]];
      const eCols = e.shape.length === 2 ? e.shape[1] : e.shape[0];
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(bits(e.data[i * eCols + j])).toBe(bits(t.data[i * cols + j]));
      if (vocabDim < 0) continue;
      expect(['rnn.weight_ih_l0', 'decoder.weight', 'decoder.bias']).toContain(t.name);
      const fresh: number[] = [];
      const eRows = e.shape.length === 2 ? e.shape[0] : 1;
      for (let i = 0; i < eRows; i++) for (let j = 0; j < eCols; j++) if ((vocabDim === 0 && e.shape.length === 2 ? i : j) >= V) fresh.push(e.data[i * eCols + j]);
      expect(fresh.length).toBe((e.data.length / V2) * 4);
      for (const x of fresh) expect(Math.abs(x)).toBeLessThanOrEqual(bound);
      expect(new Set(fresh).size).toBeGreaterThan(fresh.length / 2); // drawn, not a constant
    }
    // the extended model samples the new characters' ids without complaint
    const s = await runCli(['sample', 'ext/latest.json', '--prime', 'the fÖx', '--length', '20', '--seed', '1'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith('the fÖx')).toBe(true);
  });
});
