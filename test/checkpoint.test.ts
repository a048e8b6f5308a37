import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointToText, decodeCheckpoint, encodeCheckpoint, type CheckpointInput } from '../src/checkpoint/codec.js';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint/io.js';
import { newProgress, type Tensor } from '../src/checkpoint/schema.js';
import { expectedTensorShapes } from '../src/checkpoint/validate.js';
import { Rng } from '../src/math/rng.js';
import type { ModelConfig } from '../src/model/config.js';

const dir = mkdtempSync(join(tmpdir(), 'charnn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomTensors(c: ModelConfig, rng: Rng): Tensor[] {
  return expectedTensorShapes(c).map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    return { name, shape, data };
  });
}

function sample(): CheckpointInput {
  const model: ModelConfig = { cell: 'lstm', layers: 2, hidden: 5, vocabSize: 4, dropout: 0.1 };
  const rng = new Rng(1);
  const tensors = randomTensors(model, rng);
  // awkward float32 values must survive bit-exactly
  tensors[0].data.set([-0, 1.4e-45, 3.4028234663852886e38, -1 / 3]);
  return {
    model,
    vocab: ['\n', 'a', 'é', '😀'],
    tensors,
    optimizer: { name: 'adam', t: 7, slots: { exp_avg: randomTensors(model, rng), exp_avg_sq: randomTensors(model, rng) } },
    progress: { ...newProgress(), step: 7, epoch: 1, position: 3, chars: 700, lossHistory: [{ step: 5, train: 1.5, val: 1.6 }], pending: { sum: 2.75, count: 2 }, bestValLoss: 1.6, bestValStep: 5, firstLoss: 1.9 },
    rng: { train: new Rng(9).getState() },
    state: { shape: [2, 2, 3, 5], data: Float32Array.from({ length: 60 }, (_, i) => i / 7) },
    corpus: { source: 'x.txt', bytes: 10, chars: 9, sha256: 'a'.repeat(64) },
    config: { lr: 0.002, batch: 3 },
  };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('checkpoint codec', () => {
  it('round-trips every field bit-exactly', () => {
    const c = sample();
    const path = join(dir, 'rt.json');
    saveCheckpoint(path, c);
    const back = loadCheckpoint(path);
    expect(back.model).toEqual(c.model);
    expect(back.vocab).toEqual(c.vocab);
    expect(back.tensors.map((t) => t.name)).toEqual(c.tensors.map((t) => t.name));
    back.tensors.forEach((t, i) => expect(bits(t.data)).toEqual(bits(c.tensors[i].data)));
    for (const slot of ['exp_avg', 'exp_avg_sq']) {
      back.optimizer!.slots[slot].forEach((t, i) => expect(bits(t.data)).toEqual(bits(c.optimizer!.slots[slot][i].data)));
    }
    expect(back.optimizer!.t).toBe(7);
    expect(bits(back.state!.data)).toEqual(bits(c.state!.data));
    expect(back.state!.shape).toEqual([2, 2, 3, 5]);
    expect(back.progress).toEqual(c.progress);
    expect(back.rng).toEqual(c.rng);
    expect(back.corpus).toEqual(c.corpus);
    expect(back.config).toEqual(c.config);
    expect(Object.is(back.tensors[0].data[0], -0)).toBe(true);
    // re-encoding the decoded checkpoint gives the same document (apart from the time stamp)
    const again = encodeCheckpoint({ ...back, created: back.created });
    expect(again).toEqual(JSON.parse(readFileSync(path, 'utf8')));
  });

  it('stores tensors as base64 little-endian float32 under PyTorch names', () => {
    const doc = encodeCheckpoint(sample());
    expect(doc.format).toBe('charnn-checkpoint');
    expect(doc.version).toBe(2);
    expect(Object.keys(doc.tensors)).toContain('rnn.weight_ih_l0');
    const t = doc.tensors['decoder.bias'];
    expect(t.dtype).toBe('float32');
    const buf = Buffer.from(t.data, 'base64');
    const c = sample();
    expect(buf.readFloatLE(4)).toBe(c.tensors.find((x) => x.name === 'decoder.bias')!.data[1]);
    expect(doc.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('checkpoint validation: every bad file gets its own message', () => {
  const good = () => JSON.parse(checkpointToText(sample()));
  const load = (text: string) => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, text);
    return () => loadCheckpoint(p);
  };
  const cases: Array<[string, () => string, RegExp]> = [
    ['empty', () => '', /the file is empty/],
    ['truncated', () => checkpointToText(sample()).slice(0, 500), /truncated/],
    ['not JSON', () => 'hello world\n', /not JSON/],
    ['another JSON document', () => '{"name": "some-package", "version": "1.0.0"}', /not a charnn checkpoint/],
    ['a JSON array', () => '[1, 2, 3]', /not a charnn checkpoint/],
    ['wrong format tag', () => JSON.stringify({ ...good(), format: 'keras' }), /wrong format tag "keras"/],
    ['newer version', () => JSON.stringify({ ...good(), version: 3, charnn: '3.1.0' }), /format version 3 \(written by charnn 3\.1\.0\) is newer than this charnn .* reads \(version 2\)/],
    ['checksum mismatch', () => {
      const d = good();
      const s: string = d.tensors['decoder.bias'].data;
      d.tensors['decoder.bias'].data = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
      return JSON.stringify(d);
    }, /checksum mismatch/],
    ['shape vs config', () => JSON.stringify({ ...good(), model: { ...good().model, hidden: 6 } }), /rnn\.weight_ih_l0 has shape \[20, 4\] but the config \(lstm 2x6, vocabulary 4\) needs \[24, 4\]/],
    ['vocabulary vs tensors', () => {
      const d = good();
      d.vocab.push('z');
      d.model.vocabSize = 5;
      return JSON.stringify(d);
    }, /vocabulary has 5 characters but decoder\.weight has 4 rows/],
    ['vocabulary vs config', () => JSON.stringify({ ...good(), vocab: ['a', 'b', 'c'] }), /vocabulary has 3 characters but the model config says 4/],
    ['data length', () => {
      const d = good();
      d.tensors['decoder.bias'].data = Buffer.alloc(12).toString('base64');
      return JSON.stringify(d);
    }, /decoder\.bias: data holds 12 bytes but shape \[4\] needs 16/],
  ];
  for (const [name, text, msg] of cases) {
    it(name, () => {
      const f = load(text());
      expect(f).toThrow(msg);
      expect(f).toThrow(/^cannot load checkpoint .*bad\.json: /);
    });
  }
  it('missing file and folder', () => {
    expect(() => loadCheckpoint(join(dir, 'nope.json'))).toThrow(/no such file/);
    expect(() => loadCheckpoint(dir)).toThrow(/it is a folder/);
  });
  it('decodeCheckpoint errors carry a hint', () => {
    try {
      decodeCheckpoint('{"format": "charnn-checkpoint", "version": 9, "charnn": "9.0.0"}');
      expect.unreachable();
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/upgrade charnn/);
    }
  });
});

describe('atomic save', () => {
  it('replaces the file and leaves no temporary files', () => {
    const p = join(dir, 'sub', 'latest.json');
    saveCheckpoint(p, sample());
    const c2 = sample();
    c2.progress.step = 8;
    saveCheckpoint(p, c2);
    expect(loadCheckpoint(p).progress.step).toBe(8);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['latest.json']);
  });
  it('keeps the previous file when the target cannot be written, and says so', () => {
    const p = join(dir, 'keep.json');
    saveCheckpoint(p, sample());
    const before = readFileSync(p, 'utf8');
    // the "folder" of the target is a file: every write fails
    writeFileSync(join(dir, 'afile'), 'x');
    expect(() => saveCheckpoint(join(dir, 'afile', 'x.json'), sample())).toThrow(/cannot save checkpoint .*afile.*x\.json/);
    expect(readFileSync(p, 'utf8')).toBe(before);
  });
  it('removes temporary files of dead writers', () => {
    const p = join(dir, 'stale', 'latest.json');
    saveCheckpoint(p, sample());
    writeFileSync(join(dir, 'stale', '.latest.json.999999999-abc.tmp'), 'partial');
    saveCheckpoint(p, sample());
    expect(readdirSync(join(dir, 'stale'))).toEqual(['latest.json']);
  });
});
