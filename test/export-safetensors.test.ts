/**
 * safetensors export and import (src/export/safetensors.ts, convert.ts, the export/import commands): the byte
 * layout of the format; `charnn export` then `charnn import` gives back the same weights, text and loss; a
 * stdlib-only Python reader (torch/read_safetensors.py) reads the tensors by name; where /usr/bin/python3 has
 * torch, nn.GRU + nn.Linear load them with load_state_dict(strict=True) and score a text as charnn does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { Vocab } from '../src/data/vocab.js';
import { configFromTensors } from '../src/export/convert.js';
import { decodeSafetensors, encodeSafetensors } from '../src/export/safetensors.js';
import { createKernels } from '../src/math/backend.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Rng } from '../src/math/rng.js';
import { ROOT, runCli } from './helpers/cli.js';
import { torchStatus } from '../torch/equivalence.js';

const PRETRAINED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import json, struct, array'], { encoding: 'utf8' }).status === 0);
const torch = torchStatus();

describe('the safetensors byte layout', () => {
  it('is an 8-byte little-endian header length, a space-padded JSON header, then the tensors in order', () => {
    const tensors = [
      { name: 'a', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      { name: 'b.bias', shape: [1], data: Float32Array.of(-0.5) },
    ];
    const bytes = encodeSafetensors(tensors, { note: 'x' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
    expect(header.__metadata__).toEqual({ note: 'x' });
    expect(header).toMatchObject({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] }, 'b.bias': { dtype: 'F32', shape: [1], data_offsets: [24, 28] } });
    expect(bytes.length).toBe(8 + n + 28);
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 24, true)).toBe(-0.5);
    const back = decodeSafetensors(bytes);
    expect(back.tensors.map((t) => [t.name, t.shape, [...t.data]])).toEqual(tensors.map((t) => [t.name, t.shape, [...t.data]]));
  });

  it('round-trips random tensors, shapes (empty ones too) and Unicode metadata, 50 seeded cases', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 50; c++) {
      const tensors = Array.from({ length: 1 + rng.int(5) }, (_, i) => {
        const shape = Array.from({ length: rng.int(4) }, () => rng.int(5));
        const n = shape.reduce((a, b) => a * b, 1);
        return { name: `t${i}.w_${rng.int(100)}`, shape, data: Float32Array.from({ length: n }, () => rng.normal() * 10) };
      });
      const metadata = { 'charnn.vocab': JSON.stringify(['\n', 'é', '😀', '"', '\\']), k: 'ü'.repeat(rng.int(9)) };
      const bytes = encodeSafetensors(tensors, metadata);
      expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0); // the data starts 8-byte aligned
      const back = decodeSafetensors(bytes);
      expect(back.metadata).toEqual(metadata);
      expect(back.tensors.map((t) => [t.name, t.shape, bits(t.data as Float32Array)])).toEqual(tensors.map((t) => [t.name, t.shape, bits(t.data)]));
    }
  });

  it('refuses what is not one, naming why', () => {
    expect(() => decodeSafetensors(new TextEncoder().encode('{"format": "charnn-checkpoint"}'))).toThrow(/not a safetensors file/);
    const f16 = new TextEncoder().encode('{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}');
    const withLen = new Uint8Array(8 + f16.length + 2);
    new DataView(withLen.buffer).setBigUint64(0, BigInt(f16.length), true);
    withLen.set(f16, 8);
    expect(() => decodeSafetensors(withLen)).toThrow(/F16; charnn reads F32 tensors only/);
  });
});

describe('charnn export --format safetensors / charnn import', () => {
  let dir: string;
  let text: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charnn-st-'));
    const ex = await runCli(['export', PRETRAINED, '-o', 'model.safetensors'], { cwd: dir });
    expect([ex.code, ex.stdout]).toEqual([0, 'model.safetensors\n']);
    text = (await runCli(['sample', PRETRAINED, '--seed', '3', '--length', '1500'], { cwd: dir })).stdout;
    writeFileSync(join(dir, 'text.txt'), text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the state_dict by name and the vocabulary and config in the metadata', () => {
    const f = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const c = loadCheckpoint(PRETRAINED);
    expect(f.tensors.map((t) => t.name)).toEqual(c.tensors.map((t) => t.name));
    for (const [i, t] of c.tensors.entries()) expect(bits(f.tensors[i].data as Float32Array)).toBe(bits(t.data));
    expect(JSON.parse(f.metadata['charnn.vocab'])).toEqual(c.vocab);
    expect(JSON.parse(f.metadata['charnn.model'])).toEqual(c.model);
    expect(f.metadata.format).toBe('pt');
    expect(configFromTensors(f.tensors)).toEqual({ ...c.model, dropout: 0 });
  });

  it('import makes a sampling checkpoint that samples and scores as the original', async () => {
    const im = await runCli(['import', 'model.safetensors', '-o', 'back.json'], { cwd: dir });
    expect([im.code, im.stdout]).toEqual([0, 'back.json\n']);
    const back = loadCheckpoint(join(dir, 'back.json'));
    expect(back.optimizer).toBeNull();
    const a = await runCli(['sample', PRETRAINED, '--seed', '9', '--length', '200'], { cwd: dir });
    const b = await runCli(['sample', 'back.json', '--seed', '9', '--length', '200'], { cwd: dir });
    expect(b.stdout).toBe(a.stdout);
    const ea = await runCli(['eval', PRETRAINED, 'text.txt'], { cwd: dir });
    const eb = await runCli(['eval', 'back.json', 'text.txt'], { cwd: dir });
    expect([eb.code, eb.stdout]).toEqual([0, ea.stdout]);
    const again = await runCli(['import', 'model.safetensors', '-o', 'back.json'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^charnn: cannot import: back\.json exists/);
    const resume = await runCli(['train', 'text.txt', '--resume', 'back.json', '--steps', '1'], { cwd: dir });
    expect(resume.stderr).toMatch(/sampling-only checkpoint/);
  });

  it('imports a bare state_dict (no charnn metadata) with the vocabulary taken from a corpus', async () => {
    const f = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
    writeFileSync(join(dir, 'bare.safetensors'), encodeSafetensors(f.tensors, {}));
    const corpus = loadCheckpoint(PRETRAINED).vocab.join('').repeat(3);
    writeFileSync(join(dir, 'vocab.txt'), corpus);
    const no = await runCli(['import', 'bare.safetensors'], { cwd: dir });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/no charnn\.vocab metadata \(give the corpus it was trained on: --vocab-from FILE\)/);
    const yes = await runCli(['import', 'bare.safetensors', '--vocab-from', 'vocab.txt'], { cwd: dir });
    expect([yes.code, yes.stdout]).toEqual([0, 'bare.json\n']);
    // the same layout on both sides: a bare file has no training config to take batch and seq from
    const ea = await runCli(['eval', PRETRAINED, 'text.txt', '--batch', '2', '--seq', '100'], { cwd: dir });
    expect((await runCli(['eval', 'bare.json', 'text.txt', '--batch', '2', '--seq', '100'], { cwd: dir })).stdout).toBe(ea.stdout);
  });

  it.skipIf(!python)(python ? 'a Python reader with the standard library alone reads every tensor by name' : 'Python reader (skipped: no python3 here)', () => {
    const r = spawnSync(python!, [join(ROOT, 'torch', 'read_safetensors.py'), join(dir, 'model.safetensors')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const got = JSON.parse(r.stdout) as { tensors: Record<string, { shape: number[]; sum: number; first: number }>; metadata: string[] };
    const c = loadCheckpoint(PRETRAINED);
    expect(Object.keys(got.tensors)).toEqual(c.tensors.map((t) => t.name));
    for (const t of c.tensors) {
      expect(got.tensors[t.name].shape).toEqual(t.shape);
      expect(got.tensors[t.name].first).toBe(t.data[0]);
      expect(got.tensors[t.name].sum).toBeCloseTo(t.data.reduce((s, v) => s + v, 0), 3);
    }
    expect(got.metadata).toEqual(expect.arrayContaining(['charnn.model', 'charnn.vocab', 'format']));
  });

  it.skipIf(!torch.ok)(torch.ok ? 'PyTorch loads it by name (load_state_dict, strict) and scores a text as charnn' : `PyTorch loading (skipped: ${torch.why})`, async () => {
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'torch'))})
import torch, torch.nn as nn, torch.nn.functional as F
from read_safetensors import load
tensors, meta = load(sys.argv[1])
cfg, vocab = json.loads(meta["charnn.model"]), json.loads(meta["charnn.vocab"])
V, H, L = cfg["vocabSize"], cfg["hidden"], cfg["layers"]
m = nn.Module()
m.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cfg["cell"]](V, H, L)
m.decoder = nn.Linear(H, V)
m.load_state_dict({n: torch.tensor(v).view(s) for n, (s, v) in tensors.items()}, strict=True)
ids = torch.tensor([vocab.index(c) for c in open(sys.argv[2], encoding="utf-8").read()])
with torch.no_grad():
    out, _ = m.rnn(F.one_hot(ids[:-1], V).float().unsqueeze(1))
    print(F.cross_entropy(m.decoder(out).view(-1, V), ids[1:]).item())
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, join(dir, 'model.safetensors'), join(dir, 'text.txt')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    const torchLoss = Number(r.stdout);
    // charnn's loss of the same text: one stream, one window (nothing carried between windows)
    const c = loadCheckpoint(PRETRAINED);
    const k = await createKernels('js');
    const model = new CharRNN(k, c.model);
    model.importStateDict(c.tensors);
    const ids = Vocab.fromChars(c.vocab).encode(text);
    const x = Int32Array.from(ids.subarray(0, ids.length - 1)), y = Int32Array.from(ids.subarray(1));
    const loss = model.forward(x, y, x.length, 1, model.newState(1), { training: false });
    expect(Math.abs(torchLoss - loss)).toBeLessThan(5e-5);
  });
});
