/**
 * Issue 20, item 8 (and eval --json from item 13), through the real binary: eval finds the training corpus by its
 * recorded absolute path from any folder, `--corpus FILE` rebuilds the validation split from any copy with the
 * right SHA-256 (also for a run trained on stdin), and a registry corpus that cannot be fetched says the network
 * failed.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { cleanEnv, runCli, smallText, tempDir } from './helpers/cli.js';

let dir: string;
let cleanup: () => void;
const text = smallText(150);
const TINY = ['--cell', 'gru', '--layers', '1', '--hidden', '16', '--steps', '20', '--seq', '16', '--batch', '4', '--eval-every', '10', '--backend', 'js', '-q'];
const lossOf = (stdout: string) => /^(\d+\.\d{4}) nats\/char/.exec(stdout)?.[1];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir({ 'corpus.txt': text, 'other.txt': text.toUpperCase() }));
  mkdirSync(join(dir, 'elsewhere'));
  const r = await runCli(['train', 'corpus.txt', ...TINY, '--out', 'run'], { cwd: dir, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  const s = await runCli(['train', '-', ...TINY, '--out', 'stdin-run'], { cwd: dir, input: text, timeoutMs: 60_000 });
  expect(s.code, s.stderr).toBe(0);
}, 120_000);
afterAll(() => cleanup());

describe('eval finds the corpus', () => {
  it('records the absolute path, and finds the corpus from another folder through it', async () => {
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    expect(c.corpus).toMatchObject({ source: 'corpus.txt', path: join(dir, 'corpus.txt') });
    const here = await runCli(['eval', 'run/latest.json'], { cwd: dir });
    expect(here.code, here.stderr).toBe(0);
    expect(here.stdout).toMatch(/of the validation split of corpus\.txt \(the training layout[^\n]*\)\n$/);
    const there = await runCli(['eval', '../run/latest.json'], { cwd: join(dir, 'elsewhere') });
    expect(there.code, there.stderr).toBe(0);
    expect(lossOf(there.stdout)).toBe(lossOf(here.stdout));
    // the split is the corpus's last 10%: that text scored as one stream gives the split's one-stream figure
    const ids = [...text];
    writeFileSync(join(dir, 'val.txt'), ids.slice(Math.floor(ids.length * 0.9)).join(''));
    const whole = await runCli(['eval', 'run/latest.json', 'val.txt'], { cwd: dir });
    const oneStream = await runCli(['eval', 'run/latest.json', '--batch', '1'], { cwd: dir });
    expect(lossOf(whole.stdout)).toBe(lossOf(oneStream.stdout));
  });

  it('--corpus FILE rebuilds the split from any copy with the right SHA-256, and refuses another text', async () => {
    const want = lossOf((await runCli(['eval', 'run/latest.json'], { cwd: dir })).stdout);
    writeFileSync(join(dir, 'copy.txt'), text);
    const r = await runCli(['eval', 'run/latest.json', '--corpus', 'copy.txt'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(lossOf(r.stdout)).toBe(want);
    expect(r.stdout).toMatch(/of the validation split of copy\.txt \(the training layout[^\n]*\)\n$/);
    const s = await runCli(['eval', 'run/latest.json', '--corpus', '-'], { cwd: dir, input: text });
    expect(lossOf(s.stdout)).toBe(want);
    const bad = await runCli(['eval', 'run/latest.json', '--corpus', 'other.txt'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^charnn: cannot evaluate: other\.txt is not the corpus this checkpoint was trained on \(SHA-256 [0-9a-f]{12}…, \d+ bytes; the checkpoint's corpus\.txt: [0-9a-f]{12}…, \d+ bytes\) \(pass the same text/);
    const both = await runCli(['eval', 'run/latest.json', 'val.txt', '--corpus', 'copy.txt'], { cwd: dir });
    expect(both.code).toBe(2);
  });

  it('a run trained on stdin is evaluated on its split with --corpus; without it the error says why', async () => {
    const want = lossOf((await runCli(['eval', 'run/latest.json'], { cwd: dir })).stdout);
    const no = await runCli(['eval', 'stdin-run/latest.json'], { cwd: dir });
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/^charnn: cannot evaluate: the checkpoint's corpus is not available: it was read from standard input \(give --corpus FILE, any copy with SHA-256 [0-9a-f]{12}…, or a text to evaluate\)\n$/);
    const yes = await runCli(['eval', 'stdin-run/latest.json', '--corpus', 'corpus.txt'], { cwd: dir });
    expect(yes.code, yes.stderr).toBe(0);
    // the same corpus, the same recipe: the same model, whether read from a file or stdin
    expect(lossOf(yes.stdout)).toBe(want);
  });

  it('a moved corpus: the error lists what was tried', async () => {
    renameSync(join(dir, 'corpus.txt'), join(dir, 'moved.txt'));
    try {
      const r = await runCli(['eval', 'run/latest.json'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^charnn: cannot evaluate: the checkpoint's corpus is not available: corpus\.txt is not found; .*corpus\.txt is not found \(give --corpus FILE/);
    } finally {
      renameSync(join(dir, 'moved.txt'), join(dir, 'corpus.txt'));
    }
  });

  it('offline, a registry corpus says the network failed', async () => {
    const sha = loadCheckpoint(join(dir, 'run', 'latest.json')).corpus!.sha256;
    writeFileSync(join(dir, 'registry.json'), JSON.stringify({
      version: 1,
      default: 'demo',
      corpora: [{ name: 'demo', url: 'http://127.0.0.1:9/demo.txt', bytes: Buffer.byteLength(text), sha256: sha, source: 'nowhere' }],
    }));
    const c = loadCheckpoint(join(dir, 'run', 'latest.json'));
    c.corpus = { source: 'demo', bytes: c.corpus!.bytes, chars: c.corpus!.chars, sha256: sha };
    writeFileSync(join(dir, 'reg.json'), checkpointToText(c));
    const env = cleanEnv({ CHARNN_CORPUS_REGISTRY: join(dir, 'registry.json'), CHARNN_CORPUS_CACHE: join(dir, 'cache') });
    const r = await runCli(['eval', 'reg.json'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/charnn: cannot evaluate: the checkpoint's corpus is not available: the registry corpus demo is not cached here and could not be downloaded: the network failed \(offline\?\) \(give --corpus FILE/);
    const ok = await runCli(['eval', 'reg.json', '--corpus', 'corpus.txt'], { cwd: dir, env });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('eval --json', () => {
  it('prints one JSON object with the same figures as the text line', async () => {
    const line = await runCli(['eval', 'run/latest.json'], { cwd: dir });
    const r = await runCli(['eval', 'run/latest.json', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['checkpoint', 'text', 'nats', 'bpc', 'chars', 'how', 'protocol']);
    expect(j.protocol).toBe('training-layout'); // the validation split as training measured it
    expect(j.checkpoint).toBe('run/latest.json');
    expect(j.text).toBe('the validation split of corpus.txt');
    expect(j.nats.toFixed(4)).toBe(lossOf(line.stdout));
    expect(j.bpc).toBeCloseTo(j.nats / Math.LN2, 12);
    expect(line.stdout).toContain(`over ${j.chars.toLocaleString('en-US')} characters`);
  });
});
