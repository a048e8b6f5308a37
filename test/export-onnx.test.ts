/**
 * ONNX export (src/export/onnx.ts) run by onnxruntime-node: for all three cells and 1 to 3 layers, the exported
 * step graph gives charnn's logits (within 1e-4) at every character of a 500-character stream, state fed back each
 * step, batch 1 and batch 3; the bundled model exported by `charnn export` samples the same 300 characters as
 * `charnn sample --temp 0`. Also the protobuf varints against known encodings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import { buildOnnx } from '../src/export/onnx.js';
import { varint } from '../src/export/protobuf.js';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { STATE_SLOTS, type CellType } from '../src/model/config.js';
import { ROOT, runCli } from './helpers/cli.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;
let why = '';
try {
  ort = await import('onnxruntime-node');
} catch (e) {
  why = `onnxruntime-node does not load here: ${(e as Error).message.split('\n')[0]}`;
}

// any text will do (a printable-ASCII stretch of the docs)
const TEXT = readFileSync(join(ROOT, 'docs', 'checkpoint-format.md'), 'utf8').replace(/[^\x20-\x7e\n]/g, ' ').slice(0, 4000);

describe('protobuf varints', () => {
  it('encode as the protobuf spec shows', () => {
    expect([...varint(1)]).toEqual([1]);
    expect([...varint(150)]).toEqual([0x96, 0x01]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 40)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...varint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

/** Runs a session one step at a time over ids (B streams of the same length), feeding the state back. */
async function onnxLogits(o: Ort, bytes: Uint8Array, cell: CellType, L: number, H: number, streams: number[][]): Promise<Float32Array[]> {
  const s = await o.InferenceSession.create(bytes);
  const B = streams.length;
  let h = new o.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
  let c = new o.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
  const out: Float32Array[] = [];
  for (let t = 0; t < streams[0].length; t++) {
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = { id: new o.Tensor('int64', BigInt64Array.from(streams.map((ids) => BigInt(ids[t]))), [B]), h };
    if (cell === 'lstm') feeds.c = c;
    const r = await s.run(feeds);
    out.push(Float32Array.from(r.logits.data as Float32Array));
    h = r.h_out as typeof h;
    if (cell === 'lstm') c = r.c_out as typeof c;
  }
  await s.release();
  return out;
}

describe.skipIf(!ort)(ort ? 'ONNX export under onnxruntime-node' : `ONNX export (skipped: ${why})`, () => {
  const vocab = Vocab.fromText(TEXT);
  const ids = Array.from(vocab.encode(TEXT));

  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    for (const L of [1, 2, 3]) {
      it(`${cell} ${L} layer${L > 1 ? 's' : ''}: logits match charnn's over a 500-character stream (batch 1 and 3)`, async () => {
        const H = 24;
        const k = await createKernels('js');
        const model = new CharRNN(k, { cell, layers: L, hidden: H, vocabSize: vocab.size, dropout: 0 });
        model.init(new Rng(7 + L), 'pytorch');
        // larger weights than at init, so the gates saturate and the state carries far, as in a trained model; a
        // tanh RNN gets less: x3 makes it chaotic, and float32 rounding (1e-7 a step on either side) then grows
        // over 500 steps into 1e-2 whatever computes it
        const scale = cell === 'rnn' ? 2 : 3;
        for (let i = 0; i < model.numParams; i++) model.params[i] *= scale;
        const bytes = buildOnnx({ config: model.config, vocab: vocab.chars, tensors: model.exportStateDict() });
        const streams = [ids.slice(0, 500), ids.slice(1000, 1500), ids.slice(2000, 2500)];
        for (const B of [1, 3]) {
          const got = await onnxLogits(ort!, bytes, cell, L, H, streams.slice(0, B));
          const state = model.newState(B); // (L, S, B, H)
          const logits = k.alloc(B * vocab.size);
          const x = new Int32Array(B);
          let worst = 0;
          for (let t = 0; t < 500; t++) {
            for (let b = 0; b < B; b++) x[b] = streams[b][t];
            model.step(logits, x, B, state);
            for (let i = 0; i < B * vocab.size; i++) worst = Math.max(worst, Math.abs(logits[i] - got[t][i]));
          }
          console.log(`onnx ${cell} ${L}x${H} batch ${B}: largest logit gap ${worst.toExponential(2)} over 500 characters`);
          expect(worst).toBeLessThan(1e-4);
          expect(state.length).toBe(L * STATE_SLOTS[cell] * B * H);
        }
      });
    }
  }

  describe('the bundled model, exported by the CLI', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'charnn-onnx-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('samples the same 300 characters as charnn sample --temp 0', async () => {
      const ckpt = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
      const ex = await runCli(['export', ckpt, '--format', 'onnx', '-o', 'model.onnx'], { cwd: dir });
      expect([ex.code, ex.stdout]).toEqual([0, 'model.onnx\n']);
      const prime = 'ROMEO:\n';
      const cli = await runCli(['sample', ckpt, '--temp', '0', '--prime', prime, '--length', String(prime.length + 300)], { cwd: dir });
      expect(cli.code).toBe(0);

      const o = ort!;
      const s = await o.InferenceSession.create(join(dir, 'model.onnx'));
      const meta = JSON.parse(readFileSync(ckpt, 'utf8')) as { model: { layers: number; hidden: number }; vocab: string[] };
      const { layers: L, hidden: H } = meta.model;
      let h = new o.Tensor('float32', new Float32Array(L * H), [L, 1, H]);
      let logits: Float32Array = new Float32Array(0);
      const step = async (id: number) => {
        const r = await s.run({ id: new o.Tensor('int64', BigInt64Array.of(BigInt(id)), [1]), h });
        h = r.h_out as typeof h;
        logits = r.logits.data as Float32Array;
      };
      for (const ch of prime) await step(meta.vocab.indexOf(ch));
      let text = prime;
      for (let i = 0; i < 300; i++) {
        let best = 0;
        for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
        text += meta.vocab[best];
        await step(best);
      }
      await s.release();
      expect(text).toBe(cli.stdout);
      expect(new Set(text.slice(prime.length)).size).toBeGreaterThan(10); // real text, not one repeated character
    });

    it('refuses to replace an existing file without --overwrite, and rejects an unknown format', async () => {
      const ckpt = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
      const again = await runCli(['export', ckpt, '--format', 'onnx', '-o', 'model.onnx'], { cwd: dir });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/^charnn: cannot export: model\.onnx exists \(add --overwrite/);
      const forced = await runCli(['export', ckpt, '-o', 'model.onnx', '--overwrite'], { cwd: dir });
      expect(forced.code).toBe(0);
      const bad = await runCli(['export', ckpt, '--format', 'tflite'], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--format "tflite": must be one of safetensors, onnx/);
    });
  });
});
