/**
 * The server's generation loop without HTTP: a full sink pauses only its own stream (no steps until resume), a
 * cancel stops a stream at once, shutdown ends every stream with what it has, and batched or one-by-one steps
 * give every stream the text of Sampler with its seed.
 */
import { describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { BatchSampler } from '../src/sample/batch.js';
import { startIds } from '../src/sample/prime.js';
import { Sampler } from '../src/sample/sampler.js';
import { Engine, type EndReason, type Sink } from '../src/serve/engine.js';
import type { ServedModel } from '../src/serve/models.js';
import type { SampleRequest } from '../src/serve/request.js';

const vocab = Vocab.fromText('abcdefghijklmnop \n');
const model = new CharRNN(createJsKernels('float32'), { cell: 'gru', layers: 2, hidden: 16, vocabSize: vocab.size, dropout: 0 });
model.init(new Rng(5));

function served(): ServedModel {
  return { name: 'm', card: {} as ServedModel['card'], checkpoint: {} as ServedModel['checkpoint'], vocab, model, sampler: new BatchSampler(model, vocab, 8) };
}

function request(m: ServedModel, seed: number, length: number, prime = 'ab'): SampleRequest {
  const ids = [...prime].map((c) => vocab.idOf(c));
  return { model: m, primeText: prime, context: startIds(ids, vocab), temperature: 0.9, topK: 0, topP: 1, seed, length: length + ids.length, draw: length };
}

function oracle(seed: number, length: number, prime = 'ab'): string {
  const s = new Sampler(model, vocab, { temperature: 0.9, seed });
  s.feed(startIds([...prime].map((c) => vocab.idOf(c)), vocab));
  return [...s.generate(length)].join('');
}

/** A sink recording text; `full` makes every write report a full buffer. */
function recorder(full = false): Sink & { text: string; writes: number; ended: { reason: EndReason; chars: number } | null } {
  const r = {
    text: '',
    writes: 0,
    ended: null as { reason: EndReason; chars: number } | null,
    write(t: string) {
      r.text += t;
      r.writes++;
      return !full;
    },
    end(reason: EndReason, chars: number) {
      r.ended = { reason, chars };
    },
  };
  return r;
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 10_000 && !ok(); i++) await new Promise((r) => setImmediate(r));
  expect(ok()).toBe(true);
};

describe('Engine', () => {
  for (const batch of [true, false]) {
    it(`${batch ? 'batched' : 'one stream per step'}: every stream gets Sampler's text for its seed`, async () => {
      const m = served();
      const e = new Engine([m], { batch, turnMs: 1 });
      const sinks = [0, 1, 2, 3, 4].map((i) => {
        const s = recorder();
        e.start(request(m, 40 + i, 150 + 20 * i), s);
        return s;
      });
      await until(() => sinks.every((s) => s.ended));
      sinks.forEach((s, i) => {
        expect(s.text).toBe(oracle(40 + i, 150 + 20 * i));
        expect(s.ended).toEqual({ reason: 'length', chars: 150 + 20 * i });
      });
      expect(e.active).toBe(0);
      expect(m.sampler.size).toBe(0);
      expect(e.generated).toBe(sinks.reduce((a, _s, i) => a + 150 + 20 * i, 0));
    });
  }

  it('a full sink pauses its stream until resume; the others go on', async () => {
    const m = served();
    const e = new Engine([m], { turnMs: 1 });
    const slow = recorder(true);
    const fast = recorder();
    const job = e.start(request(m, 1, 400), slow);
    e.start(request(m, 2, 400), fast);
    await until(() => slow.writes === 1);
    const held = job.stream.generated;
    await until(() => fast.ended !== null);
    expect(job.stream.paused).toBe(true);
    expect(job.stream.generated).toBe(held); // no step ran for it while its reader was full
    expect(slow.writes).toBe(1);
    e.resume(job);
    await turns();
    expect(slow.writes).toBeGreaterThan(1);
    expect(job.stream.generated).toBeGreaterThan(held);
    (slow as { write: (t: string) => boolean }).write = (t: string) => ((slow.text += t), true);
    e.resume(job);
    await until(() => slow.ended !== null);
    expect(slow.text).toBe(oracle(1, 400));
    expect(fast.text).toBe(oracle(2, 400));
  });

  it('cancel frees the stream at once and writes nothing more', async () => {
    const m = served();
    const e = new Engine([m], { turnMs: 1 });
    const s = recorder();
    const job = e.start(request(m, 3, 100_000), s);
    await until(() => s.writes > 0);
    e.cancel(job);
    expect(m.sampler.size).toBe(0);
    const { writes, text } = s;
    await turns(20);
    expect(s.writes).toBe(writes);
    expect(s.ended).toBeNull();
    expect(oracle(3, text.length)).toBe(text);
  });

  it('endAll ends every stream with "shutdown" and the characters it has', async () => {
    const m = served();
    const e = new Engine([m], { turnMs: 1 });
    const a = recorder();
    const b = recorder();
    e.start(request(m, 6, 100_000), a);
    e.start(request(m, 7, 100_000), b);
    await until(() => a.writes > 0 && b.writes > 0);
    e.endAll('shutdown');
    expect(a.ended).toEqual({ reason: 'shutdown', chars: a.text.length });
    expect(b.ended).toEqual({ reason: 'shutdown', chars: b.text.length });
    expect(e.active).toBe(0);
  });
});
