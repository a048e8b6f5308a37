/**
 * Issue 13: `eval` of a text counts every character, on the real binary: one stream from the zero state in
 * windows with the state carried, equal to a one-pass reference evaluation of the whole text (one forward call
 * over all n - 1 predictions, written here); --batch/--seq change the speed, never the count, and the batched
 * figure equals its own reference (streams from zero, the last one to the end); the validation split keeps the
 * training layout, equal to the validation loss training reported, and says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { modelFromCheckpoint } from '../src/checkpoint/run-state.js';
import { encodeUtf8, Vocab, type Ids } from '../src/data/vocab.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import type { CharRNN } from '../src/model/char-rnn.js';
import { smallText, tempDir } from './helpers/cli.js';
import { recordRow, runCharnn } from './helpers/reliability.js';

let dir: string;
let cleanup: () => void;
let model: CharRNN;
let text: Ids;
const textChars = smallText(120).slice(0, 2000); // a 2,000-character text (ASCII: characters = bytes)

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText(300), 'text.txt': textChars }));
  const r = await runCharnn(
    ['train', 'corpus.txt', '--cell', 'lstm', '--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--steps', '40', '--eval-every', '20', '--backend', 'js', '--out', 'run', '-q'],
    { cwd: dir },
  );
  expect(r.code, r.stderr).toBe(0);
  const ckpt = loadCheckpoint(join(dir, 'run', 'latest.json'));
  model = modelFromCheckpoint(createJsKernels(), ckpt);
  text = encodeUtf8(new TextEncoder().encode(textChars), Vocab.fromChars(ckpt.vocab)).ids;
});
afterAll(() => cleanup());

/** Summed loss of ids[a..b] as one stream from the zero state in ONE forward call (b - a predictions). */
function onePass(a: number, b: number): number {
  const T = b - a;
  const k = model.kernels;
  const x = k.allocI32(T), y = k.allocI32(T);
  for (let t = 0; t < T; t++) {
    x[t] = text[a + t];
    y[t] = text[a + t + 1];
  }
  return model.forward(x, y, T, 1, model.newState(1), { training: false }) * T;
}

function parse(stdout: string): { nats: number; chars: number } {
  const m = /^(\d+\.\d{4}) nats\/char, \d+\.\d{4} bits\/char over ([\d,]+) characters of /.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return { nats: Number(m![1]), chars: Number(m![2].replace(/,/g, '')) };
}

describe.concurrent('eval counts every character', () => {
  it('by default: one stream, 1,999 characters of a 2,000-character text, equal to a one-pass reference', async () => {
    expect(readFileSync(join(dir, 'text.txt'), 'utf8')).toHaveLength(2000);
    const r = await runCharnn(['eval', join('run', 'latest.json'), 'text.txt', '--backend', 'js'], { cwd: dir });
    recordRow('eval', 'eval of a 2,000-character text', r, `stdout: ${r.stdout.trim().replace(/^[\d.]+ nats\/char, [\d.]+ bits\/char /, '')}; equal to a one-pass reference`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/over 1,999 characters of text\.txt \(every character after the first: one stream from the zero state, windows of 16 with the state carried\)\n$/);
    const ref = onePass(0, text.length - 1) / (text.length - 1);
    expect(Math.abs(parse(r.stdout).nats - ref)).toBeLessThan(1.5e-4);
  });

  it('--seq only changes the speed: same count, same figure', async () => {
    const [a, b] = await Promise.all(
      [['--seq', '100'], ['--seq', '7']].map((o) => runCharnn(['eval', join('run', 'latest.json'), 'text.txt', '--backend', 'js', '--batch', '1', ...o], { cwd: dir })),
    );
    expect(a.code, a.stderr).toBe(0);
    expect(parse(a.stdout)).toEqual({ nats: parse(b.stdout).nats, chars: 1999 });
    const ref = onePass(0, text.length - 1) / (text.length - 1);
    expect(Math.abs(parse(a.stdout).nats - ref)).toBeLessThan(1.5e-4);
  });

  it('--batch 3 --seq 100: the remainder is counted; equal to its reference (streams from zero, the last one to the end)', async () => {
    const r = await runCharnn(['eval', join('run', 'latest.json'), 'text.txt', '--backend', 'js', '--batch', '3', '--seq', '100'], { cwd: dir });
    recordRow('eval', 'eval --batch 3 --seq 100 of the same text', r, `stdout: ${r.stdout.trim().replace(/^[\d.]+ nats\/char, [\d.]+ bits\/char /, '')}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/over 1,999 characters of text\.txt \(every character after the first: 3 streams from the zero state, the last one to the end, windows of 100/);
    const P = text.length - 1, len = Math.floor(P / 3); // 666, 666, 667
    const ref = (onePass(0, len) + onePass(len, 2 * len) + onePass(2 * len, P)) / P;
    expect(Math.abs(parse(r.stdout).nats - ref)).toBeLessThan(1.5e-4);
  });

  it('without a text: the validation split in the training layout, equal to the validation loss training reported, and it says so', async () => {
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    const r = await runCharnn(['eval', join('run', 'latest.json'), '--backend', 'js'], { cwd: dir });
    recordRow('eval', 'eval without a text (the validation split)', r, `stdout: ${r.stdout.trim().replace(/^[\d.]+ nats\/char, [\d.]+ bits\/char /, '')}; equal to the validation loss training reported`);
    expect(r.code, r.stderr).toBe(0);
    const val = c.progress.lossHistory.filter((p) => p.val !== undefined).at(-1)!.val!;
    expect(r.stdout).toMatch(new RegExp(`^${val.toFixed(4)} nats/char, .* characters of the validation split of corpus\\.txt \\(the training layout, 4 streams x 16, as training measured it; the last \\d+ left out, as in training\\)\\n$`));
  });
});
