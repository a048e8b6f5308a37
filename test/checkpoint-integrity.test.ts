/**
 * Issue 20, item 1: the checksum covers everything that gives the weights their meaning (format 2), and
 * format-1 files (checksum over the tensors only) still load, with their vocabulary order checked.
 * Through the real binary: the bundled model with 'e' and 't' swapped in its vocabulary is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/checkpoint/checksum.js';
import { decodeCheckpoint } from '../src/checkpoint/codec.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
/** A format-1 checkpoint written by charnn before this change (lstm 1x8, 3 steps, full optimizer state). */
const V1 = join(ROOT, 'test', 'fixtures', 'v1-lstm-1x8.json');

type Doc = Record<string, any>;
const edited = (path: string, fn: (d: Doc) => void): string => {
  const d = JSON.parse(readFileSync(path, 'utf8'));
  fn(d);
  return JSON.stringify(d);
};
const swap = (v: string[], a: string, b: string) => {
  const i = v.indexOf(a), j = v.indexOf(b);
  [v[i], v[j]] = [v[j], v[i]];
};

describe('format 2: every field is covered', () => {
  const edits: Array<[string, (d: Doc) => void]> = [
    ['vocabulary swapped', (d) => swap(d.vocab, 'e', 't')],
    ['vocabulary entry replaced (order kept)', (d) => (d.vocab[d.vocab.indexOf('Z')] = '[')],
    ['model dropout', (d) => (d.model.dropout = 0.5)],
    ['training config', (d) => (d.config.valFrac = 0.2)],
    ['corpus hash', (d) => (d.corpus.sha256 = '0'.repeat(64))],
    ['progress', (d) => (d.progress.step += 1)],
    ['loss curve', (d) => (d.progress.lossHistory[0].train += 0.5)],
    ['writer version', (d) => (d.charnn = '0.0.1')],
  ];
  for (const [name, fn] of edits) {
    it(`detects: ${name}`, () => {
      expect(() => decodeCheckpoint(edited(BUNDLED, fn))).toThrow(/checksum mismatch: the file is not what charnn wrote/);
    });
  }

  it('verifies a file re-serialised with other key order and indentation (canonical JSON)', () => {
    const d = JSON.parse(readFileSync(BUNDLED, 'utf8'));
    const reversed = (o: Doc): Doc => Object.fromEntries(Object.entries(o).reverse().map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? reversed(v) : v]));
    const c = decodeCheckpoint(JSON.stringify(reversed(d), null, 2));
    expect(c.formatVersion).toBe(2);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});

describe('format 1 (older files) still load', () => {
  it('loads with its tensors verified', () => {
    const c = decodeCheckpoint(readFileSync(V1, 'utf8'));
    expect(c.formatVersion).toBe(1);
    expect(c.vocab).toHaveLength(29);
  });
  it('a flipped tensor bit is still caught', () => {
    const text = edited(V1, (d) => {
      const b = Buffer.from(d.tensors['decoder.bias'].data, 'base64');
      b[2] ^= 1;
      d.tensors['decoder.bias'].data = b.toString('base64');
    });
    expect(() => decodeCheckpoint(text)).toThrow(/checksum mismatch: the tensor data/);
  });
  it('a swapped vocabulary is caught by its order', () => {
    expect(() => decodeCheckpoint(edited(V1, (d) => swap(d.vocab, 'e', 't')))).toThrow(/vocabulary is not in code point order \(entry 7 "t" comes before "f"\): it was edited/);
  });
});

describe('the real binary', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it("refuses the bundled model with 'e' and 't' swapped (the issue's reproduction)", async () => {
    writeFileSync(join(dir, 'swapped.json'), edited(BUNDLED, (d) => swap(d.vocab, 'e', 't')));
    const r = await runCli(['sample', 'swapped.json', '--temp', '0', '--prime', 'ROMEO:'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^charnn: cannot load checkpoint swapped\.json: checksum mismatch: the file is not what charnn wrote .*\(the file is corrupted or was edited/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('samples from a format-1 file, refuses one with a swapped vocabulary, and info says how each is checked', async () => {
    const ok = await runCli(['sample', V1, '--seed', '3', '--length', '40', '--backend', 'js'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect([...ok.stdout]).toHaveLength(40);
    writeFileSync(join(dir, 'v1-swapped.json'), edited(V1, (d) => swap(d.vocab, 'e', 't')));
    const bad = await runCli(['sample', 'v1-swapped.json', '--length', '5'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/vocabulary is not in code point order/);
    const i1 = await runCli(['info', V1], { cwd: dir });
    expect(i1.stdout).toMatch(/checksum\s+verified over the tensors only \(format 1, older charnn\); vocabulary order checked/);
    const i2 = await runCli(['info', BUNDLED], { cwd: dir });
    expect(i2.stdout).toMatch(/checksum\s+verified: covers every field/);
  });
});
