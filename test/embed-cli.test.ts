/**
 * --embed through the real binary (default native backend where it loads): a few training steps with a learned
 * embedding, then sample, eval, score, inspect, info, serve, export and import (safetensors round trip) from its checkpoint; N
 * steps then --resume for M equals N+M bit for bit; a resumed run refuses another --embed; --vocab extend grows
 * encoder.weight by the new characters' rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, smallText, tempDir } from './helpers/cli.js';
import { cliSample, parseEvents, postSample, startServer, textOf } from './helpers/serve.js';

const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--embed', '16'];
const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

let dir: string;
let cleanup: () => void;
const text = smallText();

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': text }));
  const r = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '20', '--eval-every', '10', '--out', 'run'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^training: gru 2x12, embedding 16, /m);
});
afterAll(() => cleanup());

describe('--embed through the CLI', () => {
  it('the checkpoint records embed and stores encoder.weight (V, 16) first; info shows it', async () => {
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    expect(c.model.embed).toBe(16);
    expect(c.config.embed).toBe(16);
    expect(c.tensors[0].name).toBe('encoder.weight');
    expect(c.tensors[0].shape).toEqual([c.vocab.length, 16]);
    expect(c.tensors.find((t) => t.name === 'rnn.weight_ih_l0')!.shape).toEqual([36, 16]);
    const info = await runCli(['info', 'run/latest.json'], { cwd: dir });
    expect(info.stdout).toMatch(/input embedding 16/);
  });

  it('a one-hot run records no embed field in its model config (checkpoints as before)', async () => {
    const r = await runCli(['train', 'corpus.txt', ...TINY.slice(0, -2), '--steps', '2', '--eval-every', '0', '--out', 'plain', '-q'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const c = loadCheckpoint(join(dir, 'plain', 'latest.json'));
    expect(c.model).not.toHaveProperty('embed');
    expect(c.tensors[0].name).toBe('rnn.weight_ih_l0');
  });

  it('sample, eval, score and inspect read it', async () => {
    const s = await runCli(['sample', 'run/latest.json', '--length', '200', '--seed', '4', '--prime', 'the '], { cwd: dir });
    expect(s.code, s.stderr).toBe(0);
    expect([...s.stdout]).toHaveLength(200);
    expect(s.stdout.startsWith('the ')).toBe(true);
    const e = await runCli(['eval', 'run/latest.json', 'corpus.txt'], { cwd: dir });
    expect(e.code, e.stderr).toBe(0);
    const nats = Number(/^(\d+\.\d+) nats\/char/.exec(e.stdout)![1]);
    expect(nats).toBeGreaterThan(0.5);
    expect(nats).toBeLessThan(Math.log(40)); // learnt something in 20 steps: below a uniform guess
    writeFileSync(join(dir, 'probe.txt'), 'the lazy dog\n');
    const sc = await runCli(['score', 'run/latest.json', 'probe.txt', '--by', 'text'], { cwd: dir });
    expect(sc.code, sc.stderr).toBe(0);
    expect(JSON.parse(sc.stdout.trim().split('\n')[0])).toHaveProperty('nats');
    const i = await runCli(['inspect', 'run/latest.json', 'probe.txt', '--layer', '0', '--unit', '3'], { cwd: dir });
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout.length).toBeGreaterThan(0);
  });

  it('serve streams what sample prints', async () => {
    const s = await startServer(['run/latest.json'], dir);
    try {
      const o = { prime: 'the', temp: 0.8, seed: 7, length: 300 };
      const [r, want] = await Promise.all([postSample(s.url, o), cliSample('run/latest.json', o, dir)]);
      expect(r.status).toBe(200);
      expect(textOf(parseEvents(r.body))).toBe(want);
    } finally {
      await s.stop();
    }
  });

  it('safetensors export and import keep the embedding', async () => {
    const ex = await runCli(['export', 'run/latest.json', '--format', 'safetensors', '-o', 'm.safetensors'], { cwd: dir });
    expect(ex.code, ex.stderr).toBe(0);
    const back = await runCli(['import', 'm.safetensors', '-o', 'back.json'], { cwd: dir });
    expect(back.code, back.stderr).toBe(0);
    const a = loadCheckpoint(join(dir, 'run', 'latest.json')), b = loadCheckpoint(join(dir, 'back.json'));
    expect(b.model.embed).toBe(16);
    expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
    const head = readFileSync(join(dir, 'm.safetensors')).subarray(8, 4000).toString('latin1');
    expect(head).toContain('"encoder.weight"');
  });

  it('N steps, then --resume for M more, equals N+M steps bit for bit (dropout on)', async () => {
    // a constant rate: a resume given --steps decays a cosine anew over them (a new plan)
    const args = ['train', 'corpus.txt', ...TINY, '--dropout', '0.1', '--eval-every', '7', '--seed', '3', '--lr-schedule', 'constant', '-q'];
    const [one, first] = await Promise.all([
      runCli([...args, '--steps', '25', '--out', 'one'], { cwd: dir }),
      runCli([...args, '--steps', '11', '--out', 'two'], { cwd: dir }),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['train', 'corpus.txt', '--resume', 'two/latest.json', '--steps', '14', '-q'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const a = loadCheckpoint(join(dir, 'one', 'latest.json'));
    const b = loadCheckpoint(join(dir, 'two', 'latest.json'));
    expect(b.progress.step).toBe(25);
    expect(b.model.embed).toBe(16);
    expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
    for (const slot of ['exp_avg', 'exp_avg_sq']) expect(b.optimizer!.slots[slot].map(bits)).toEqual(a.optimizer!.slots[slot].map(bits));
    expect(bits(b.state!)).toBe(bits(a.state!));
  });

  it('a resumed run refuses another --embed; fine-tuning one refuses another width', async () => {
    const r = await runCli(['train', 'corpus.txt', '--resume', 'run/latest.json', '--embed', '8', '--steps', '1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^charnn: cannot resume: --embed 8 differs from the checkpoint's 16/);
    const f = await runCli(['train', 'corpus.txt', '--init-from', 'run/latest.json', '--embed', '0', '--steps', '1'], { cwd: dir });
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/^charnn: cannot fine-tune: --embed 0 differs from the model's 16/);
  });

  it('--vocab extend adds rows to encoder.weight; the old rows stay bit for bit', async () => {
    writeFileSync(join(dir, 'new.txt'), text.replace(/fox/g, 'FOX!'));
    const r = await runCli(
      ['train', 'new.txt', '--init-from', 'run/latest.json', '--vocab', 'extend', '--batch', '4', '--seq', '16', '--optimizer', 'sgd', '--lr', '1e-30', '--steps', '1', '--out', 'ext', '-q'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const old = loadCheckpoint(join(dir, 'run', 'latest.json')), ext = loadCheckpoint(join(dir, 'ext', 'latest.json'));
    const V = old.vocab.length, V2 = ext.vocab.length;
    expect(V2).toBeGreaterThan(V);
    expect(ext.model.embed).toBe(16);
    const e0 = old.tensors.find((t) => t.name === 'encoder.weight')!, e1 = ext.tensors.find((t) => t.name === 'encoder.weight')!;
    expect(e1.shape).toEqual([V2, 16]);
    expect(bits({ data: e1.data.subarray(0, V * 16) })).toBe(bits({ data: e0.data }));
  });
});
