/**
 * Issue 18 on the real binary, with small generated corpora: many files (arguments, a folder, a glob) recorded in
 * the checkpoint and checked on resume; corpus preparation (--newline lf, --nfc, --min-char-count) recorded and
 * applied by sample and eval; validation on a seeded subset or the whole split; progress lines; Ctrl-C during an
 * evaluation; --val-frac shown with enough digits.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { cleanEnv, runCli, smallText, tempDir } from './helpers/cli.js';

const TINY = ['--hidden', '12', '--layers', '1', '--batch', '4', '--seq', '16', '--backend', 'js', '--eval-every', '0', '--save-every', '0'];
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

let dir: string;
let cleanup: () => void;
const a = smallText(60);
const b = smallText(90).replace(/o/g, 'O');
const c = smallText(40).replace(/e/g, 'E');

beforeAll(() => {
  ({ dir, cleanup } = tempDir({ 'a.txt': a, 'b.txt': b }));
  mkdirSync(join(dir, 'docs', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'docs', 'b.txt'), b);
  writeFileSync(join(dir, 'docs', 'sub', 'c.txt'), c);
  writeFileSync(join(dir, 'docs', 'a.txt'), a);
  writeFileSync(join(dir, 'docs', '.hidden.txt'), 'not read');
});
afterAll(() => cleanup());

describe('many files', () => {
  it('train a.txt b.txt records each file (name, size, SHA-256) in order and states the order', async () => {
    const r = await runCli(['train', 'b.txt', 'a.txt', ...TINY, '--steps', '3', '--out', 'two'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/corpus: 2 files, each a document \(the carried state resets where one starts\), in this order: b\.txt, a\.txt/);
    const ck = loadCheckpoint(join(dir, 'two', 'latest.json'));
    expect(ck.corpus!.files).toEqual([
      { name: 'b.txt', bytes: Buffer.byteLength(b), sha256: sha(b) },
      { name: 'a.txt', bytes: Buffer.byteLength(a), sha256: sha(a) },
    ]);
    expect(ck.corpus!.sha256).toBe(sha(b + a));
    expect(ck.corpus!.chars).toBe(b.length + a.length);
  });

  it('a folder is read recursively in path order, hidden files skipped; a quoted glob gives its matches sorted', async () => {
    const r = await runCli(['train', 'docs', ...TINY, '--steps', '2', '--out', 'folder'], { cwd: dir });
    expect(r.code).toBe(0);
    const names = loadCheckpoint(join(dir, 'folder', 'latest.json')).corpus!.files!.map((f) => f.name);
    expect(names).toEqual([join('docs', 'a.txt'), join('docs', 'b.txt'), join('docs', 'sub', 'c.txt')]);
    const g = await runCli(['train', 'docs/**/*.txt', ...TINY, '--steps', '2', '--out', 'glob'], { cwd: dir });
    expect(g.code).toBe(0);
    expect(loadCheckpoint(join(dir, 'glob', 'latest.json')).corpus!.files!.map((f) => f.name)).toEqual(names);
    const none = await runCli(['train', 'nothing/*.txt', ...TINY, '--steps', '2'], { cwd: dir });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/^charnn: cannot read the corpus: no file matches nothing\/\*\.txt \(/m);
  });

  it('resume checks the files: the same ones continue; a changed or missing one is refused, naming it', async () => {
    const ok = await runCli(['train', 'docs', '--resume', join('folder', 'latest.json'), '--steps', '2', '--out', 'folder2'], { cwd: dir });
    expect(ok.code).toBe(0);
    const changed = tempDir({});
    try {
      mkdirSync(join(changed.dir, 'docs', 'sub'), { recursive: true });
      writeFileSync(join(changed.dir, 'docs', 'a.txt'), a);
      writeFileSync(join(changed.dir, 'docs', 'b.txt'), b + 'one more line\n');
      writeFileSync(join(changed.dir, 'docs', 'sub', 'c.txt'), c);
      const ck = join(dir, 'folder', 'latest.json');
      const r = await runCli(['train', 'docs', '--resume', ck, '--steps', '2', '--out', 'x'], { cwd: changed.dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/cannot resume: file 2 of 3 differs from the one the checkpoint was trained on \(docs\/b\.txt, \d+ bytes/);
      const fewer = await runCli(['train', 'docs/a.txt', 'docs/b.txt', '--resume', ck, '--steps', '2', '--out', 'y'], { cwd: changed.dir });
      expect(fewer.stderr).toMatch(/trained on 3 files \(docs\/a\.txt, docs\/b\.txt, docs\/sub\/c\.txt\), this corpus has 2/);
    } finally {
      changed.cleanup();
    }
  });

  it('an older checkpoint without a file list or preparation still loads, samples and resumes', async () => {
    const r = await runCli(['train', 'a.txt', ...TINY, '--steps', '2', '--out', 'old'], { cwd: dir });
    expect(r.code).toBe(0);
    const p = join(dir, 'old', 'latest.json');
    // rewritten through the codec: the checksum (format 2) covers the corpus and config, so a hand edit is refused
    const doc = loadCheckpoint(p);
    delete doc.corpus!.files;
    delete doc.corpus!.preparation;
    for (const k of ['newline', 'nfc', 'minCharCount', 'valWindows', 'valFull']) delete doc.config[k];
    writeFileSync(join(dir, 'old', 'older.json'), checkpointToText(doc));
    const s = await runCli(['sample', join('old', 'older.json'), '-n', '20', '--seed', '1', '--prime', 'the'], { cwd: dir });
    expect(s.code).toBe(0);
    const again = await runCli(['train', 'a.txt', '--resume', join('old', 'older.json'), '--steps', '2', '--out', 'old2'], { cwd: dir });
    expect(again.code).toBe(0);
    const other = await runCli(['train', 'b.txt', '--resume', join('old', 'older.json'), '--steps', '2', '--out', 'old3'], { cwd: dir });
    expect(other.stderr).toMatch(/cannot resume: the corpus differs/);
  });
});

describe('corpus preparation', () => {
  const crlf = smallText(80).replace(/\n/g, '\r\n') + 'caf\u0065\u0301 r\u00e9sum\u00e9 \u4e2d\r\n';
  beforeAll(() => writeFileSync(join(dir, 'prep.txt'), crlf));

  it('--newline lf --nfc --min-char-count 3: no CR, composed é, rare characters as U+FFFD; recorded in the checkpoint', async () => {
    const plain = await runCli(['train', 'prep.txt', ...TINY, '--steps', '2', '--out', 'plain'], { cwd: dir });
    expect(plain.code).toBe(0);
    const v0 = loadCheckpoint(join(dir, 'plain', 'latest.json')).vocab;
    expect(v0).toContain('\r');
    expect(v0).toContain('\u0301');
    const r = await runCli(['train', 'prep.txt', ...TINY, '--steps', '2', '--out', 'prep', '--newline', 'lf', '--nfc', '--min-char-count', '3'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--min-char-count 3: 1 characters \(of rare kinds\) read as the unknown symbol/);
    const ck = loadCheckpoint(join(dir, 'prep', 'latest.json'));
    expect(ck.vocab).not.toContain('\r');
    expect(ck.vocab).not.toContain('\u0301');
    expect(ck.vocab).toContain('\u00e9'); // three of them after NFC
    expect(ck.vocab).not.toContain('\u4e2d');
    expect(ck.vocab).toContain('\ufffd');
    expect(ck.corpus!.preparation).toEqual({ newline: 'lf', nfc: true, minCharCount: 3 });
    expect(ck.config).toMatchObject({ newline: 'lf', nfc: true, minCharCount: 3 });
  });

  it('sample prepares the prime the same way; the unprepared model refuses the same prime', async () => {
    const prime = 'the cafe\u0301\r\n\u4e2d';
    const s = await runCli(['sample', join('prep', 'latest.json'), '--prime', prime, '-n', '30', '--seed', '2'], { cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith('the caf\u00e9\n\ufffd')).toBe(true);
    const p = await runCli(['sample', join('plain', 'latest.json'), '--prime', 'x\u4e01', '-n', '30'], { cwd: dir });
    expect(p.code).not.toBe(0);
  });

  it('eval prepares a text the same way (CRLF, decomposed and unseen characters), and the split from the recorded corpus', async () => {
    writeFileSync(join(dir, 'eval.txt'), 'the quick cafe\u0301\r\nfox \u4e01\u4e02\r\n');
    const e = await runCli(['eval', join('prep', 'latest.json'), 'eval.txt'], { cwd: dir });
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/nats\/char, .* over 21 characters of eval\.txt/); // 22 after preparation: "the quick café\nfox ??\n"
    const split = await runCli(['eval', join('prep', 'latest.json')], { cwd: dir });
    expect(split.code).toBe(0);
    expect(split.stdout).toMatch(/the validation split of prep\.txt/);
    const refused = await runCli(['eval', join('plain', 'latest.json'), 'eval.txt'], { cwd: dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not in the vocabulary/);
  });

  it('preparation options are kept on resume: a different one is refused', async () => {
    const r = await runCli(['train', 'prep.txt', '--resume', join('prep', 'latest.json'), '--min-char-count', '2', '--steps', '1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--min-char-count 2 differs from the checkpoint's 3/);
  });
});

describe('validation and progress', () => {
  const big = smallText(400).repeat(6); // ~90k characters
  beforeAll(() => writeFileSync(join(dir, 'big.txt'), big));

  it('--val-frac 0.001 is shown as 0.1%, not rounded away', async () => {
    const r = await runCli(['train', 'big.txt', ...TINY, '--steps', '1', '--val-frac', '0.001', '--out', 'frac'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\(99\.9% training, 0\.1% validation, /);
  });

  it('during training a seeded subset is read (the same every time), --val-full reads all; eval reads the whole split', async () => {
    const args = ['train', 'big.txt', ...TINY, '--steps', '6', '--eval-every', '2', '--val-windows', '3'];
    const r = await runCli([...args, '--out', 'sub'], { cwd: dir, env: cleanEnv({ CHARNN_PROGRESS_SEC: '0' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/each evaluation reads 2\.7% of it \(--val-full: all\)/); // 3 of 113 windows per stream
    expect(r.stderr).toMatch(/validation [\d.]+% of it\)/);
    const f = await runCli([...args, '--val-full', '--out', 'full'], { cwd: dir });
    expect(f.stderr).toMatch(/each evaluation reads all of it/);
    const sub = loadCheckpoint(join(dir, 'sub', 'latest.json'));
    const full = loadCheckpoint(join(dir, 'full', 'latest.json'));
    // same weights (validation does not touch training), different measurements
    expect(sub.progress.lossHistory.map((p) => p.train)).toEqual(full.progress.lossHistory.map((p) => p.train));
    const vs = sub.progress.lossHistory.filter((p) => p.val !== undefined).map((p) => p.val!);
    const vf = full.progress.lossHistory.filter((p) => p.val !== undefined).map((p) => p.val!);
    expect(vs).toHaveLength(3);
    expect(vs).not.toEqual(vf);
    // charnn eval: the whole split, as --val-full measured it, with progress lines
    const e = await runCli(['eval', join('sub', 'latest.json')], { cwd: dir, env: cleanEnv({ CHARNN_PROGRESS_SEC: '0' }) });
    expect(e.code).toBe(0);
    expect(Number(/^([\d.]+) nats/.exec(e.stdout)![1])).toBeCloseTo(vf[2], 4);
    expect(e.stderr).toMatch(/^charnn: evaluating: \d+% \([\d.k]+ of [\d.k]+ characters\), ETA /m);
    expect(r.stderr).toMatch(/^charnn: reading big\.txt: 100% \(73 kB of 73 kB\)/m);
    expect(r.stderr).toMatch(/^charnn: encoding the corpus: 100%/m);
  });

  it('Ctrl-C during an evaluation leaves it, saves and exits 130', async () => {
    writeFileSync(join(dir, 'huge.txt'), big.repeat(20)); // ~1.8M characters, half of it validation
    let sent = false;
    const r = await runCli(['train', 'huge.txt', ...TINY, '--batch', '1', '--steps', '50', '--eval-every', '1', '--val-full', '--val-frac', '0.5', '--out', 'intr'], {
      cwd: dir,
      timeoutMs: 60_000,
      onSpawn: (child) => {
        child.stderr!.on('data', (d: Buffer) => {
          // the first step's progress line comes after its evaluation: the second one is under way
          if (!sent && /^step 1 \|/m.test(d.toString())) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 300);
          }
        });
      },
    });
    expect(sent).toBe(true);
    expect(r.stderr).toMatch(/Ctrl-C: finishing this window, leaving the validation and saving/);
    expect(r.code).toBe(130);
    const ck = loadCheckpoint(join(dir, 'intr', 'latest.json'));
    // the interrupted evaluation recorded nothing: the last measured step is before the saved one
    const measured = ck.progress.lossHistory.filter((p) => p.val !== undefined).map((p) => p.step);
    expect(ck.progress.step).toBeGreaterThan(measured.length ? Math.max(...measured) : 0);
  });
});
