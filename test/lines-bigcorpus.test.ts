/**
 * Line mode beside issue 18 (large and many-file corpora): the line-mode validation pass one window at a time
 * (beginEval: progress and Ctrl-C) gives what evaluate() and lineLossSum give; several files joined into one list
 * (joinLineParts) against a string oracle; through the real binary: train --lines on two files with --newline lf
 * and --nfc, eval of its validation lines read back from the recorded files, and --min-char-count refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinLineParts } from '../src/data/line-corpus.js';
import { LineBatches, splitLineIndices, splitLines } from '../src/data/lines.js';
import { Vocab } from '../src/data/vocab.js';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { lineLossSum, Trainer } from '../src/train/trainer.js';
import { trainConfig } from './helpers/train-config.js';
import { runCli, tempDir } from './helpers/cli.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { ignoreBOM: true });

describe('joinLineParts', () => {
  it('one part is returned as it is', () => {
    const p = enc.encode('\uFEFFa\nb');
    expect(joinLineParts([p])).toBe(p);
  });

  it('matches the string oracle: later BOMs dropped, a line break after a file without one, empty files skipped', () => {
    const piece = fc.stringMatching(/^(\uFEFF)?[ab\n\r é]{0,12}$/);
    fc.assert(
      fc.property(fc.array(piece, { minLength: 2, maxLength: 5 }), (texts) => {
        const oracle = texts
          .map((t, i) => (i > 0 && t.startsWith('\uFEFF') ? t.slice(1) : t))
          .filter((t) => t.length > 0)
          .map((t) => (t.endsWith('\n') ? t : t + '\n'))
          .join('');
        expect(dec.decode(joinLineParts(texts.map((t) => enc.encode(t))))).toBe(oracle);
      }),
      { seed: 18, numRuns: 300 },
    );
  });
});

describe('line-mode validation, one window at a time', () => {
  const names = ['anna', 'bella', 'carla', 'dana', 'emma', 'fiona', 'gina', 'hanna', 'ida', 'julia-maria-theresa'];
  const text = Array.from({ length: 30 }, () => names).flat().join('\n');
  const vocab = Vocab.fromText(text + '\n');
  const set = splitLines(vocab.encode(text), vocab.idOf('\n'));

  it('beginEval counts every validation line (no subset), as evaluate() and lineLossSum do', async () => {
    const k = await createKernels('js');
    const model = new CharRNN(k, { cell: 'gru', layers: 1, hidden: 16, vocabSize: vocab.size, dropout: 0, mode: 'lines', startState: 'learned' });
    model.init(new Rng(3));
    // seq 8: the long name takes several windows, so a pass has windows that start no line
    const trainer = new Trainer(model, set, trainConfig({ batch: 4, seq: 8, lr: 1e-2, seed: 2, valFrac: 0.2, valWindows: 1 }));
    for (let i = 0; i < 20; i++) expect(trainer.step().ok).toBe(true);
    const vb = trainer.valBatches as LineBatches;
    expect(trainer.evalLayout()).toMatchObject({ steps: vb.windowsIn(0), full: true });

    const e = trainer.beginEval();
    expect(e.total).toBe(vb.windowsIn(0));
    expect(e.total).toBeGreaterThan(1);
    expect(() => e.finish()).toThrow(/not finished/);
    let seen = 0;
    while (e.next()) expect(e.done).toBe(++seen);
    expect(e.done).toBe(e.total);
    const stepwise = e.finish();

    const whole = trainer.evaluate();
    const x = k.allocI32(4 * 8), y = k.allocI32(4 * 8), keep = k.allocI32(4 * 8);
    const val = splitLineIndices(set.starts.length, 0.2, 2).val!;
    const lb = new LineBatches(set, val, 4, 8, { shuffle: false, seed: 0 });
    const ref = lineLossSum(model, lb, x, y, keep, model.newState(4));
    let predictions = 0;
    for (const i of val) predictions += set.lengths[i] + 1;
    for (const r of [stepwise, whole]) {
      expect(r.full).toBe(true);
      expect(r.chars).toBe(predictions);
      expect(r.chars).toBe(ref.chars);
      expect(r.loss).toBeCloseTo(ref.total / ref.chars, 10);
    }
  });
});

describe('line mode on several prepared files (real binary)', () => {
  let dir: string, cleanup: () => void;
  const run = (args: string[], timeoutMs = 120_000) => runCli(args, { cwd: dir, timeoutMs });
  const syl = ['ka', 'ri', 'na', 'lo', 'mi', 'ta', 'el', 'sa'];
  const names = Array.from({ length: 240 }, (_, i) => syl[i % 8] + syl[(i * 5 + 3) % 8] + syl[(i * 7 + 1) % 8]);
  // a.txt: CRLF ends and no final line break, a decomposed é (NFC makes it one character); b.txt: a BOM
  const a = names.slice(0, 120).join('\r\n') + '\r\nre\u0301ne';
  const b = '\uFEFF' + names.slice(120).join('\n') + '\n';

  beforeAll(() => {
    ({ dir, cleanup } = tempDir({ 'a.txt': a, 'b.txt': b }));
  });
  afterAll(() => cleanup?.());

  it('trains one list from both files (the last line of a.txt stays a line); eval reads the files again', async () => {
    const r = await run(['train', 'a.txt', 'b.txt', '--lines', '--newline', 'lf', '--nfc', '--steps', '30', '--hidden', '16', '--layers', '1', '--batch', '16', '--out', 'run', '--eval-every', '30', '--backend', 'js']);
    expect(r.code, r.stderr).toBe(0);
    // 120 + 1 (rené) + 120 lines, none merged across the files
    expect(r.stderr).toMatch(/line mode: 241 lines/);
    expect(r.stderr).toMatch(/done: .*validation \d+(\.\d+)?% of it/);
    const doc = JSON.parse(readFileSync(join(dir, 'run', 'latest.json'), 'utf8'));
    expect(doc.model.mode).toBe('lines');
    expect(doc.vocab).not.toContain('\r');
    expect(doc.vocab).toContain('\u00e9');
    expect(doc.vocab).not.toContain('\u0301');
    expect(doc.corpus.files.map((f: { name: string }) => f.name)).toEqual(['a.txt', 'b.txt']);
    const bestVal = doc.progress.lossHistory.filter((p: { val?: number }) => p.val !== undefined).at(-1).val;

    const e = await run(['eval', join('run', 'latest.json'), '--backend', 'js']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/lines, end tokens included\) of the validation lines of/);
    expect(Number(e.stdout.split(' ')[0])).toBeCloseTo(bestVal, 3);
  }, 240_000);

  it('--min-char-count with --lines is refused in one line', async () => {
    const r = await run(['train', 'a.txt', 'b.txt', '--lines', '--min-char-count', '2', '--steps', '1', '--out', 'run2', '--backend', 'js']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^charnn: invalid options: --min-char-count does not apply to a list \(--lines\) \(drop --min-char-count/);
  });
});
